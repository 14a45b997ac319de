"""The JSON shapes acsa reads and writes (files, CLI ``--json``, the API): one set of
Pydantic models, and the conversions between them and the domain."""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal
from typing import Annotated, Any, Literal, TypeVar

import pycountry
from pydantic import (
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    StrictBool,
    ValidationError,
    field_validator,
)

from acsa.domain.agreement import Agreement, AgreementVersion, Ceiling, Source
from acsa.domain.agreement_records import InForceDay, Record
from acsa.domain.dates import PartialDate
from acsa.domain.errors import AcsaError, Code, Violation
from acsa.domain.limits import ORDER_LINES_MAX
from acsa.domain.messages import t
from acsa.domain.money import is_known_currency
from acsa.domain.order import Attestations, Event, Order, OrderLine
from acsa.domain.term import Term, Termination, current_term, governing_term
from acsa.i18n import param_text, violation_text
from acsa.schemas.language import reader_language
from acsa.schemas.limits import BoundedAmount, Day, Price, Quantity, Text


def _no_float(value: Any) -> Any:
    """Floats lose cents: accept numbers as strings or integers (JSON is read exactly)."""
    if isinstance(value, float):
        return Decimal(repr(value))
    return value


ExactDecimal = Annotated[Decimal, BeforeValidator(_no_float)]
DecimalStr = Annotated[Decimal, Field(json_schema_extra={"type": "string"})]


def _party(value: str) -> str:
    code = value.strip().upper()
    if len(code) != 3 or pycountry.countries.get(alpha_3=code) is None:
        raise ValueError(f"{value!r} is not an ISO 3166-1 alpha-3 country code")
    return code


Party = Annotated[str, BeforeValidator(lambda v: _party(v) if isinstance(v, str) else v)]
SettlementName = Literal["cash", "replacement_in_kind", "equal_value_exchange"]
SupportKindName = Literal["supplies", "services"]
UseConditionName = Literal["un_charter", "third_party_consent"]
ConfirmableCode = Literal["IN_FORCE_DATE_UNCERTAIN", "ACTIVITY_UNVERIFIED"]


M = TypeVar("M", bound=BaseModel)


class Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


# --- agreements ----------------------------------------------------------------------------


class SourceDoc(Strict):
    title: str
    publisher: str = ""
    date: str = ""
    url: str = ""
    note: str = ""
    reference: str = ""


class CeilingDoc(Strict):
    currency: str
    amount: BoundedAmount
    applies_to: Literal["all", "supplies", "services"] = "all"
    party: Party | None = None
    note: str = ""
    hostilities_exempt: bool = False

    @field_validator("currency")
    @classmethod
    def _iso_currency(cls, value: str) -> str:
        if not is_known_currency(value):
            raise ValueError(f"{value!r} is not an ISO 4217 currency code")
        return value


class TermDoc(Strict):
    """A text's term (domain/term.py): a first term, automatic renewals unless notice of
    non-renewal comes some months before the term expires, and written notice that ends it."""

    years: int = Field(10, ge=1, le=99)
    renewal_years: int = Field(10, ge=1, le=99)
    renewal_notice_months: int = Field(6, ge=0, le=120)
    termination_notice_months: int = Field(12, ge=0, le=120)


class AgreementVersionDoc(Strict):
    """One text of an agreement, as a registry file or an amendment file gives it."""

    version: int | None = None
    label: str
    signed: str
    in_force: str | None = None
    ended: str | None = None
    activities: list[str]
    categories: list[str]
    excluded: list[str] = ["weapons"]
    settlement_methods: list[SettlementName]
    category_conditions: dict[str, list[str]] = {}
    replacement_deadline_days: int = Field(365, gt=0)
    payment_term_days: int = Field(30, gt=0)
    annual_ceilings: list[CeilingDoc] = []
    clauses: dict[str, str] = {}
    sources: list[SourceDoc] = []
    notes: str = ""
    settlement_by_kind: dict[SupportKindName, list[SettlementName]] = {}
    supplies_return_preferred: bool = False
    determination_activities: list[str] = []
    unverified_activities: list[str] = []
    use_conditions: list[UseConditionName] = []
    kind: Literal["text", "amendment"] = "text"
    term: TermDoc | None = None

    @field_validator("signed", "in_force", "ended", mode="before")
    @classmethod
    def _partial_date(cls, value: Any) -> Any:
        if value is None:
            return None
        if isinstance(value, date | int) and not isinstance(value, bool):
            value = str(value)
        if not isinstance(value, str):
            raise ValueError("give a date as text: YYYY, YYYY-MM or YYYY-MM-DD")
        PartialDate.parse(value)
        return value

    @field_validator("excluded")
    @classmethod
    def _weapons_always(cls, value: list[str]) -> list[str]:
        # ACSA.md: weapons are excluded from every agreement.
        return value if "weapons" in value else ["weapons", *value]


class AgreementDoc(Strict):
    """An agreement file: ``acsa agreements add --file`` and the shipped registry."""

    id: str = Field(pattern=r"^[A-Z0-9][A-Z0-9_.-]{1,63}$")
    title: str
    parties: tuple[Party, Party]
    forces: dict[str, str] = {}
    versions: list[AgreementVersionDoc] = Field(min_length=1)


def version_from_doc(doc: AgreementVersionDoc, number: int) -> AgreementVersion:
    return AgreementVersion(
        version=number,
        label=doc.label,
        signed=PartialDate.parse(doc.signed),
        in_force=PartialDate.parse(doc.in_force) if doc.in_force else None,
        ended=PartialDate.parse(doc.ended) if doc.ended else None,
        activities=frozenset(doc.activities),
        categories=frozenset(doc.categories),
        excluded=frozenset(doc.excluded),
        settlement_methods=frozenset(doc.settlement_methods),
        category_conditions={k: frozenset(v) for k, v in doc.category_conditions.items()},
        replacement_deadline_days=doc.replacement_deadline_days,
        payment_term_days=doc.payment_term_days,
        annual_ceilings=tuple(
            Ceiling(c.currency, c.amount, c.applies_to, c.party, c.note, c.hostilities_exempt)
            for c in doc.annual_ceilings
        ),
        clauses=dict(doc.clauses),
        sources=tuple(Source(**s.model_dump()) for s in doc.sources),
        notes=doc.notes,
        settlement_by_kind={k: frozenset(v) for k, v in doc.settlement_by_kind.items()},
        supplies_return_preferred=doc.supplies_return_preferred,
        determination_activities=frozenset(doc.determination_activities),
        unverified_activities=frozenset(doc.unverified_activities),
        use_conditions=tuple(doc.use_conditions),
        kind=doc.kind,
        term=Term(**doc.term.model_dump()) if doc.term is not None else None,
    )


def version_to_doc(version: AgreementVersion) -> AgreementVersionDoc:
    return AgreementVersionDoc(
        version=version.version,
        label=version.label,
        signed=version.signed.isoformat(),
        in_force=version.in_force.isoformat() if version.in_force else None,
        ended=version.ended.isoformat() if version.ended else None,
        activities=sorted(version.activities),
        categories=sorted(version.categories),
        excluded=sorted(version.excluded),
        settlement_methods=sorted(version.settlement_methods),  # type: ignore[arg-type]
        category_conditions={k: sorted(v) for k, v in version.category_conditions.items()},
        replacement_deadline_days=version.replacement_deadline_days,
        payment_term_days=version.payment_term_days,
        annual_ceilings=[
            CeilingDoc(
                currency=c.currency,
                amount=c.amount,
                applies_to=c.applies_to,  # type: ignore[arg-type]
                party=c.party,
                note=c.note,
                hostilities_exempt=c.hostilities_exempt,
            )
            for c in version.annual_ceilings
        ],
        clauses=dict(version.clauses),
        sources=[SourceDoc(**_source_fields(s)) for s in version.sources],
        notes=version.notes,
        settlement_by_kind={
            k: sorted(v)  # type: ignore[misc,arg-type]
            for k, v in version.settlement_by_kind.items()
        },
        supplies_return_preferred=version.supplies_return_preferred,
        determination_activities=sorted(version.determination_activities),
        unverified_activities=sorted(version.unverified_activities),
        use_conditions=list(version.use_conditions),  # type: ignore[arg-type]
        kind=version.kind,  # type: ignore[arg-type]
        term=_term_doc(version.term),
    )


def _term_doc(term: Term | None) -> TermDoc | None:
    if term is None:
        return None
    return TermDoc(
        years=term.years,
        renewal_years=term.renewal_years,
        renewal_notice_months=term.renewal_notice_months,
        termination_notice_months=term.termination_notice_months,
    )


def _source_fields(source: Source) -> dict[str, str]:
    return {
        "title": source.title,
        "publisher": source.publisher,
        "date": source.date,
        "url": source.url,
        "note": source.note,
        "reference": source.reference,
    }


def agreement_from_doc(doc: AgreementDoc) -> Agreement:
    numbered = [
        version_from_doc(v, v.version if v.version is not None else i)
        for i, v in enumerate(doc.versions, start=1)
    ]
    return Agreement(
        id=doc.id,
        title=doc.title,
        parties=doc.parties,
        versions=tuple(numbered),
        forces=dict(doc.forces),
    )


class TermOut(BaseModel):
    """The governing text's term as of a day: its rule and, while the agreement is in force,
    the period running then."""

    years: int
    renewal_years: int
    renewal_notice_months: int
    termination_notice_months: int
    text_version: int = Field(description="The text whose entry into force starts the term.")
    period: int | None = Field(
        description="1 for the first term, 2 for the first renewal...; null when the agreement "
        "is not in force on the day."
    )
    start: date | None
    end: date | None = Field(
        description="The day the period expires: not in force from then unless renewed."
    )
    renewal_notice_by: date | None = Field(
        description="The last day a notice of non-renewal ends the agreement at ``end``."
    )
    approximate: bool = Field(
        description="The text's entry into force is known only to the month or year: the days "
        "are reckoned from the last day it could have been."
    )


class TerminationOut(BaseModel):
    """A recorded notice of termination: the agreement is not in force from ``effective``."""

    notice_date: date
    effective: date
    by: str
    source: str
    reference: str


class InForceDayOut(BaseModel):
    """A day of entry into force a user learnt and recorded; ``was`` is what the registry
    gave before (a year or month)."""

    version: int
    day: date
    source: str
    was: str


class InForceDayIn(Strict):
    """The day a version entered into force, once learnt (``acsa agreements amend ID
    --version N --in-force DAY --source ...``)."""

    version: int = Field(ge=1, le=2**31 - 1)
    in_force: Day
    source: Annotated[str, Text("source", min_length=1)] = Field(
        description="Where the day is stated (a press release, a gazette)."
    )


class TerminationIn(Strict):
    """A notice of termination (``acsa agreements end ID``): valid when ``effective`` is at
    least the text's notice (one year) after ``notice_date``, or the end of the current term
    with the notice given by its renewal-notice deadline."""

    notice_date: Day
    effective: Day = Field(description="The day the agreement ends: not in force from then.")
    by: Annotated[str, Text("party", min_length=3)] = Field(
        description="The party (ISO alpha-3) that gave notice: one of the agreement's two."
    )
    source: Annotated[str, Text("source", min_length=1)] = Field(
        description="Where the notice is recorded."
    )
    reference: Annotated[str, Text("reference")] = ""


class _RecordedDay(Strict):
    version: int
    day: date
    source: str


def in_force_day_from_doc(doc: InForceDayIn) -> InForceDay:
    return InForceDay(doc.version, doc.in_force, doc.source)


def termination_from_doc(doc: TerminationIn) -> Termination:
    return Termination(doc.notice_date, doc.effective, doc.by.upper(), doc.source, doc.reference)


def record_body(record: Record) -> tuple[str, dict[str, Any]]:
    """The kind and JSON body an agreement record is stored as."""
    if isinstance(record, Termination):
        doc = TerminationIn(
            notice_date=record.notice_date,
            effective=record.effective,
            by=record.by,
            source=record.source,
            reference=record.reference,
        )
        return "termination", doc.model_dump(mode="json")
    day = _RecordedDay(version=record.version, day=record.day, source=record.source)
    return "in_force_day", day.model_dump(mode="json")


def record_from_body(kind: str, body: Any) -> Record:
    """The agreement record stored as ``kind`` and ``body``."""
    if kind == "termination":
        return termination_from_doc(TerminationIn.model_validate(body))
    if kind == "in_force_day":
        day = _RecordedDay.model_validate(body)
        return InForceDay(day.version, day.day, day.source)
    raise ValueError(f"unknown agreement record kind {kind!r}")


def term_out(agreement: Agreement, as_of: date) -> TermOut | None:
    """The governing text's term on ``as_of``; None when the sources do not give it."""
    governing = governing_term(agreement, as_of)
    if governing is None:
        return None
    text, term = governing
    period = current_term(agreement, as_of)
    return TermOut(
        years=term.years,
        renewal_years=term.renewal_years,
        renewal_notice_months=term.renewal_notice_months,
        termination_notice_months=term.termination_notice_months,
        text_version=text.version,
        period=period.number if period else None,
        start=period.start if period else None,
        end=period.end if period else None,
        renewal_notice_by=period.renewal_notice_by if period else None,
        approximate=text.in_force is not None and not text.in_force.is_exact,
    )


class AgreementOut(BaseModel):
    """An agreement as of a date: the governing version's scope, plus every version."""

    id: str
    title: str
    parties: list[str]
    forces: dict[str, str]
    as_of: date
    status: Literal["signed", "in_force", "ended"] | None
    signed: str
    in_force: str | None
    in_force_exact: bool
    version: int
    version_label: str
    activities: list[str]
    categories: list[str]
    category_conditions: dict[str, list[str]]
    excluded: list[str]
    settlement_methods: list[str]
    settlement_by_kind: dict[str, list[str]]
    supplies_return_preferred: bool
    determination_activities: list[str]
    unverified_activities: list[str]
    use_conditions: list[str]
    in_force_window: tuple[date, date] | None = Field(
        None,
        description="When the governing text's entry into force is known only to the month "
        "or year: the first and last day it may have been.",
    )
    replacement_deadline_days: int
    payment_term_days: int
    annual_ceilings: list[CeilingDoc]
    clauses: dict[str, str]
    sources: list[SourceDoc]
    notes: str
    versions: list[AgreementVersionDoc]
    term: TermOut | None = Field(
        None, description="The governing text's term; null when the sources do not give it."
    )
    termination: TerminationOut | None = Field(
        None, description="A recorded notice of termination, if any."
    )
    in_force_days: list[InForceDayOut] = Field(
        [], description="Days of entry into force users learnt and recorded, oldest first."
    )


def agreement_out(agreement: Agreement, as_of: date) -> AgreementOut:
    current = agreement.version_on(as_of)
    status = agreement.status_on(as_of)
    since = agreement.in_force_since(as_of)
    doc = version_to_doc(current)
    return AgreementOut(
        id=agreement.id,
        title=agreement.title,
        parties=list(agreement.parties),
        forces=dict(agreement.forces),
        as_of=as_of,
        status=status.value if status else None,
        signed=agreement.first_signed.isoformat(),
        in_force=since.isoformat() if since else None,
        in_force_exact=bool(since and since.is_exact),
        version=current.version,
        version_label=current.label,
        activities=doc.activities,
        categories=doc.categories,
        category_conditions=doc.category_conditions,
        excluded=doc.excluded,
        settlement_methods=list(doc.settlement_methods),
        settlement_by_kind={k: list(v) for k, v in doc.settlement_by_kind.items()},
        supplies_return_preferred=doc.supplies_return_preferred,
        determination_activities=doc.determination_activities,
        unverified_activities=doc.unverified_activities,
        use_conditions=list(doc.use_conditions),
        in_force_window=current.in_force_window(),
        replacement_deadline_days=doc.replacement_deadline_days,
        payment_term_days=doc.payment_term_days,
        annual_ceilings=doc.annual_ceilings,
        clauses=doc.clauses,
        sources=list(
            {
                (s.title, s.publisher, s.date): s
                for v in agreement.versions
                for s in version_to_doc(v).sources
            }.values()
        ),
        notes=doc.notes,
        versions=[version_to_doc(v) for v in agreement.versions],
        term=term_out(agreement, as_of),
        termination=_termination_out(agreement.termination),
        in_force_days=[
            InForceDayOut(version=d.version, day=d.day, source=d.source, was=d.was)
            for d in agreement.in_force_days
        ],
    )


def _termination_out(notice: Termination | None) -> TerminationOut | None:
    if notice is None:
        return None
    return TerminationOut(
        notice_date=notice.notice_date,
        effective=notice.effective,
        by=notice.by,
        source=notice.source,
        reference=notice.reference,
    )


# --- orders --------------------------------------------------------------------------------


class OrderLineIn(Strict):
    category: Annotated[str, Text("category", min_length=1)]
    description: Annotated[str, Text("description", min_length=1)]
    nsn: str | None = Field(None, pattern=r"^[0-9]{4}-?[0-9]{2}-?[0-9]{3}-?[0-9]{4}$")
    quantity: Quantity
    unit: Annotated[str, Text("unit", min_length=1)]
    unit_price: Price
    currency: str = Field(max_length=3)


class OrderIn(Strict):
    """An order file: ``acsa orders new --file order.json``. Every text, number, date and
    list is bounded (see the README's Limits)."""

    agreement: Annotated[str, Text("agreement")]
    requester: Party
    supplier: Party
    activity: Annotated[str, Text("activity")]
    settlement: SettlementName
    order_date: Day
    needed_by: Day
    location: Annotated[str, Text("location", min_length=1)]
    lines: list[OrderLineIn] = Field(min_length=1, max_length=ORDER_LINES_MAX)
    operation: Annotated[str, Text("operation")] | None = None
    requester_unit: Annotated[str, Text("requester_unit")] | None = None
    supplier_unit: Annotated[str, Text("supplier_unit")] | None = None
    fund_citation: Annotated[str, Text("fund_citation")] | None = None
    partner_reference: Annotated[str, Text("partner_reference")] | None = None
    remarks: Annotated[str, Text("remarks")] | None = None
    arrangement: Annotated[str, Text("arrangement", min_length=1)] | None = Field(
        None,
        description="The reference of the implementing arrangement the order is placed "
        "under (`acsa arrangements list AGREEMENT`): one of the agreement's, in force on the "
        "order date (ARRANGEMENT_NOT_FOUND, ARRANGEMENT_NOT_IN_FORCE), within its ceilings "
        "(ARRANGEMENT_CEILING_EXCEEDED); its default fund citation fills an empty one.",
    )
    cash_reason: Annotated[str, Text("cash_reason", min_length=1)] | None = Field(
        None,
        description="Why supplies are settled in currency where the text settles them by "
        "return of the same or equivalent items (required then: CASH_REASON_REQUIRED).",
    )
    determination: Annotated[str, Text("determination", min_length=1)] | None = Field(
        None,
        description="The reference of the two governments' mutual determination an order "
        "under 'other activities' cites (required then: DETERMINATION_REQUIRED).",
    )
    determination_date: Day | None = Field(None, description="The determination's date.")
    hostilities: StrictBool = Field(
        False,
        description="The requester declares a period of active hostilities: annual ceilings "
        "that do not apply then (10 U.S.C. 2347) are not counted. Never assumed: only JSON "
        "true declares it.",
    )
    confirm: list[ConfirmableCode] = Field(
        [],
        max_length=2,
        description="Warnings the person placing the order confirms: IN_FORCE_DATE_UNCERTAIN "
        "(the order date lies where the text's entry into force is not known to the day), "
        "ACTIVITY_UNVERIFIED (the activity is reported covered, not verified).",
    )


def attestations_from_doc(doc: OrderIn) -> Attestations:
    """What the order document attests (see ``Attestations``)."""
    return Attestations(
        cash_reason=doc.cash_reason,
        determination=doc.determination,
        determination_date=doc.determination_date,
        hostilities=doc.hostilities,
        confirmed=frozenset(doc.confirm),
    )


def pydantic_violation(error: Any) -> Violation:
    """One Pydantic error as a coded violation, its field as a path (``lines[0].quantity``)."""
    loc = [str(p) for p in error["loc"]]
    field = ""
    for part in loc:
        field += f"[{part}]" if part.isdigit() else (f".{part}" if field else part)
    names = [part for part in loc if not part.isdigit()]
    code = _pydantic_code(str(error["type"]), names[-1] if names else "")
    context = error.get("ctx") or {}
    template = context.get("template")
    if isinstance(template, str):
        # the limits' own check: its message id, naming the field by its whole path
        params = dict(context.get("params") or {})
        if "field" in params and field:
            params["field"] = field
        return Violation(code, field, template, params=params)
    text = str(error["msg"])
    worded = _PYDANTIC_WORDS.get(text, t("{field}: {problem}"))
    return Violation(code, field, worded, params={"field": field or "document", "problem": text})


def _pydantic_code(kind: str, last: str) -> Code:
    """The code of a Pydantic error of type ``kind`` on the field named ``last``."""
    if kind in Code.__members__:  # the limits' own checks carry their code
        return Code(kind)
    if kind == "missing":
        return Code.MISSING_FIELD
    by_field = {
        "quantity": Code.INVALID_QUANTITY,
        "unit_price": Code.INVALID_PRICE,
        "order_date": Code.INVALID_DATE,
        "needed_by": Code.INVALID_DATE,
        "settlement": Code.SETTLEMENT_METHOD_NOT_ALLOWED,
        "requester": Code.UNKNOWN_PARTY,
        "supplier": Code.UNKNOWN_PARTY,
        "parties": Code.UNKNOWN_PARTY,
    }
    return by_field.get(last, Code.INVALID_FIELD)


#: Pydantic's most common messages, as message ids (its others are said as Pydantic words them).
_PYDANTIC_WORDS = {
    "Field required": t("{field}: Field required"),
    "Extra inputs are not permitted": t("{field}: Extra inputs are not permitted"),
    "extra inputs are not permitted": t("{field}: extra inputs are not permitted"),
}


def parse_model(model: type[M], data: Any) -> M:
    """Validate ``data`` into ``model``, turning every Pydantic error into a coded violation."""
    if not isinstance(data, dict):
        raise AcsaError.single(Code.INVALID_INPUT, "", "expected a JSON object at the top level")
    try:
        return model.model_validate(data)
    except ValidationError as exc:
        raise AcsaError([pydantic_violation(e) for e in exc.errors()]) from None


def order_from_doc(doc: OrderIn) -> Order:
    return Order(
        agreement_id=doc.agreement,
        requester=doc.requester,
        supplier=doc.supplier,
        activity=doc.activity,
        settlement=doc.settlement,
        order_date=doc.order_date,
        needed_by=doc.needed_by,
        location=doc.location,
        lines=[
            OrderLine(
                number=i,
                category=line.category,
                description=line.description,
                nsn=line.nsn,
                quantity=line.quantity,
                unit=line.unit,
                unit_price=line.unit_price,
                currency=line.currency.strip().upper(),
            )
            for i, line in enumerate(doc.lines, start=1)
        ],
        operation=doc.operation,
        requester_unit=doc.requester_unit,
        supplier_unit=doc.supplier_unit,
        fund_citation=doc.fund_citation,
        partner_reference=doc.partner_reference,
        remarks=doc.remarks,
        attestations=attestations_from_doc(doc),
        arrangement=doc.arrangement,
    )


class OrderLineOut(BaseModel):
    number: int
    category: str
    description: str
    nsn: str | None
    unit: str
    quantity: DecimalStr
    quantity_accepted: DecimalStr | None
    quantity_delivered: DecimalStr
    quantity_received: DecimalStr
    quantity_short: DecimalStr
    unit_price: DecimalStr
    currency: str
    total: DecimalStr


class EventOut(BaseModel):
    seq: int
    action: str
    at: datetime
    actor: str
    from_status: str | None
    to_status: str
    details: dict[str, Any]


class NoteOut(BaseModel):
    """A remark on an order (``orders note``): when, by whom (and for which nation, where a
    signed-in person or a partner's node wrote it), and its text."""

    at: datetime
    actor: str
    nation: str | None
    note: str


class ViolationOut(BaseModel):
    """A refusal's violation: ``message`` in the reader's language (an API request's
    ``Accept-Language``), ``message_id`` its English template and ``params`` its parameters
    as written for that reader."""

    code: str
    field: str
    message: str
    clause: str | None
    message_id: str = Field(default="", description="The message's English template.")
    params: dict[str, str] = Field(
        default={}, description="The template's parameters, written for the reader."
    )


class OrderOut(BaseModel):
    id: int
    status: str
    agreement: str
    requester: str
    supplier: str
    activity: str
    settlement: str
    order_date: date
    needed_by: date
    location: str
    operation: str | None
    requester_unit: str | None
    supplier_unit: str | None
    fund_citation: str | None
    partner_reference: str | None
    remarks: str | None
    currency: str
    total: DecimalStr
    value_received: DecimalStr
    lines: list[OrderLineOut]
    history: list[EventOut]
    violations: list[ViolationOut] = Field(
        default=[], description="What the agreement checks would refuse now (drafts only)."
    )
    version: int
    uid: str | None = Field(
        default=None, description="The order's name on every node that holds it."
    )
    cash_reason: str | None = None
    determination: str | None = None
    determination_date: date | None = None
    hostilities: bool = False
    confirmed: list[str] = []
    notes: list[NoteOut] = Field(default=[], description="Remarks on the order, oldest first.")
    arrangement: str | None = Field(
        default=None, description="The implementing arrangement the order names (reference)."
    )


def violation_out(v: Violation, lang: str | None = None) -> ViolationOut:
    """``v`` written for a reader of ``lang`` (else of the answer being written)."""
    reader = lang or reader_language()
    text = param_text(reader)
    return ViolationOut(
        code=v.code.value,
        field=v.field,
        message=violation_text(v, reader),
        clause=v.clause,
        message_id=v.template,
        params={name: text(value) for name, value in v.params.items()},
    )


def event_out(event: Event) -> EventOut:
    return EventOut(
        seq=event.seq,
        action=event.action.value,
        at=event.at,
        actor=event.actor,
        from_status=event.from_status.value if event.from_status else None,
        to_status=event.to_status.value,
        details=dict(event.details),
    )


def order_out(order: Order, violations: list[Violation] | None = None) -> OrderOut:
    assert order.id is not None, "only a stored order has a JSON form"
    return OrderOut(
        uid=order.uid,
        id=order.id,
        status=order.status.value,
        agreement=order.agreement_id,
        requester=order.requester,
        supplier=order.supplier,
        activity=order.activity,
        settlement=order.settlement,
        order_date=order.order_date,
        needed_by=order.needed_by,
        location=order.location,
        operation=order.operation,
        requester_unit=order.requester_unit,
        supplier_unit=order.supplier_unit,
        fund_citation=order.fund_citation,
        partner_reference=order.partner_reference,
        remarks=order.remarks,
        cash_reason=order.attestations.cash_reason,
        determination=order.attestations.determination,
        determination_date=order.attestations.determination_date,
        hostilities=order.attestations.hostilities,
        confirmed=sorted(order.attestations.confirmed),
        arrangement=order.arrangement,
        currency=order.currency,
        total=order.total.amount,
        value_received=order.value_received.amount,
        lines=[
            OrderLineOut(
                number=line.number,
                category=line.category,
                description=line.description,
                nsn=line.nsn,
                unit=line.unit,
                quantity=line.quantity,
                quantity_accepted=line.quantity_accepted,
                quantity_delivered=line.quantity_delivered,
                quantity_received=line.quantity_received,
                quantity_short=line.quantity_short,
                unit_price=line.unit_price,
                currency=line.currency,
                total=line.total.amount,
            )
            for line in order.lines
        ],
        history=[event_out(e) for e in [*order.history, *order.new_events]],
        violations=[violation_out(v) for v in violations or []],
        version=order.version,
    )


class ErrorsOut(BaseModel):
    errors: list[ViolationOut]
