"""Commands: what a person (or a partner's node) asks acsa to do, one frozen, keyword-only
dataclass per user action.

Every entry point builds a command and hands it to ``acsa.services.handlers.handle``: the CLI
(locally, or through the server with the remote client), the API, the web forms, the document
inbox of a node and the history import. A command is valid once it exists: its fields are
checked when it is made, from Python (``AcceptOrder(order_id=5, quantities={1: Decimal(2)})``:
the domain's bounds in ``__post_init__``) or from the wire (``AcceptOrder.from_wire(body,
order_id=5)``: the JSON body's shape and bounds, each problem a coded violation naming its
field, then the same domain bounds).

Each command also says what the edges need to know of it (its ``Spec``): the word that names
it (the route ``POST /api/v1/orders/{order_id}/accept``, the CLI command, the web form's
action), the permission (role and side) it needs, the document it publishes to the partner,
and how it reads a partner's document of that kind. Routers, the remote client, the inbox and
"which actions may this person take now" are built from these declarations, so a new action
is its command, its handler, its words and its tests.
"""

from __future__ import annotations

import dataclasses
import re
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal
from typing import Annotated, Any, ClassVar, Literal, Self

from pydantic import (
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    TypeAdapter,
    ValidationError,
    WithJsonSchema,
)

from acsa.domain import limits
from acsa.domain.access import Permission
from acsa.domain.documents import Kind
from acsa.domain.errors import AcsaError, Code, NotFoundError, Violation
from acsa.domain.order import Action, check_quantities
from acsa.schemas.ledger import ExchangeLineIn, ReturnedLineIn
from acsa.schemas.limits import Amount, Day, LineKey, QuantityOrZero, Text
from acsa.schemas.orders import (
    AgreementDoc,
    AgreementVersionDoc,
    InForceDayIn,
    OrderIn,
    TerminationIn,
    parse_model,
    pydantic_violation,
)

#: The longest invoice reference (its number or id) a route takes.
MAX_INVOICE_REF = 40

#: What a command's result is, for the edges that show it: the order as it now stands, an
#: invoice, a settlement in kind, a conversion to cash, or an agreement as it now stands.
Result = Literal["order", "invoice", "settlement", "conversion", "agreement", "dispute"]


@dataclass(frozen=True)
class Spec:
    """What the edges need to know of a command.

    Attributes:
        name: the action's word: the last part of its route, its web form's ``action``, its
            CLI command (where there is one), its audit record's verb.
        permission: the role (on the side the access policy names) it needs.
        path: its route under /api/v1, ``{order_id}``, ``{invoice}`` or ``{agreement_id}``
            filled from the command (None: no person asks for it alone; the sweep and
            partners' documents do).
        result: what it answers with; status: the HTTP status of success.
        kind: the document it publishes to the partner's node (None: it publishes none).
        action: the order's lifecycle step it is (None: a settlement step).
        check_version: whether an API write must name the order's version (If-Match).
        internal: fields only a partner's document sets (the numbering of the issuing node),
            never a person through the API or a page.
        on_order: whether it acts on an order (or an order's invoice), so that the order's
            guard decides who may; False (the registry of agreements): the permission alone,
            asked before anything is read, and the service decides which agreement.
        method: the HTTP method of its route (PUT: it replaces what the route names).
    """

    name: str
    permission: Permission
    path: str | None
    result: Result = "order"
    status: int = 200
    kind: Kind | None = None
    action: Action | None = None
    check_version: bool = True
    internal: tuple[str, ...] = ()
    on_order: bool = True
    method: Literal["POST", "PUT"] = "POST"


def step(action: Action) -> Spec:
    """The spec of an order's lifecycle step: named, permitted, routed and published as the
    step itself (``accept``: Permission.ACCEPT, /orders/{order_id}/accept, Kind.ACCEPT)."""
    word = action.value
    return Spec(
        word, Permission(word), f"/orders/{{order_id}}/{word}", kind=Kind(word), action=action
    )


def _line_quantities(value: object) -> dict[int, Decimal] | None:
    """A wire ``lines`` map (line number -> quantity, both as JSON gives them) as numbers."""
    if value is not None and not isinstance(value, Mapping):
        # (line, quantity) pairs are the CLI's --line, never a JSON body's: [] is no map
        raise AcsaError.single(
            Code.INVALID_FIELD, "lines", "lines must map line numbers to quantities"
        )
    return limits.line_quantities("lines", value, limits.QUANTITY_OR_ZERO)


#: Per-line quantities on the wire: ``{"1": "12", "2": "0"}``; None for "every line in full".
Quantities = Annotated[
    Mapping[int, Decimal] | None,
    BeforeValidator(_line_quantities),
    WithJsonSchema(
        TypeAdapter(
            Annotated[dict[LineKey, QuantityOrZero], Field(max_length=limits.ORDER_LINES_MAX)]
            | None
        ).json_schema(),
    ),
]
Reason = Annotated[str, Text("reason")]
Note = Annotated[str, Text("note")]


def _text(field: str, value: str) -> None:
    limits.check_text(field, value)


@dataclass(frozen=True, kw_only=True)
class Command:
    """A user action. Subclasses declare ``spec`` and their fields."""

    __pydantic_config__ = ConfigDict(extra="forbid", populate_by_name=False)
    spec: ClassVar[Spec]

    @classmethod
    def from_wire(cls, body: object, **ids: Any) -> Self:
        """The command a JSON ``body`` (an API request, a web form's fields, a CLI file) asks
        for, with ``ids`` from the route (``order_id``, ``invoice``); every problem of the
        body at once, coded and named by its field. Fields a person may not set are refused
        as unknown."""
        if body is None:
            body = {}
        if not isinstance(body, dict):
            raise AcsaError.single(
                Code.INVALID_INPUT, "", "expected a JSON object at the top level"
            )
        internal = [k for k in body if k in cls.spec.internal or k in ids]
        refused = [
            Violation(
                Code.INVALID_FIELD,
                k,
                "{field}: extra inputs are not permitted",
                params={"field": k},
            )
            for k in internal
        ]
        try:
            command = cls._validate({**{k: body[k] for k in body if k not in internal}, **ids})
        except AcsaError as error:
            raise AcsaError([*refused, *error.violations]) from None
        if refused:
            raise AcsaError(refused)
        return command

    @classmethod
    def from_document(cls, body: Mapping[str, Any], **ids: Any) -> Self:
        """The command a partner's signed document of ``spec.kind`` records (its body, with
        the order's id here); by default the document's body is the wire's."""
        return cls._validate({**body, **ids})

    @classmethod
    def _validate(cls, data: dict[str, Any]) -> Self:
        try:
            command: Self = _adapter(cls).validate_python(data)
        except ValidationError as exc:
            raise AcsaError([pydantic_violation(_worded(e)) for e in exc.errors()]) from None
        except AcsaError as error:
            # A field's own check (lines) stops the validation: the others are checked too.
            raise AcsaError([*error.violations, *cls._others(data, error)]) from None
        return command

    @classmethod
    def _others(cls, data: dict[str, Any], error: AcsaError) -> list[Violation]:
        """What the fields that ``error`` does not name break (nothing of those it names)."""
        named = {re.split(r"[.\[]", v.field, maxsplit=1)[0] for v in error.violations}
        try:
            _adapter(cls).validate_python({k: v for k, v in data.items() if k not in named})
        except ValidationError as exc:
            found = [pydantic_violation(_worded(e)) for e in exc.errors()]
            return [v for v in found if v.field not in named]
        except AcsaError:
            return []  # only a further field's own check, or a bound across fields
        return []

    def wire(self) -> dict[str, Any]:
        """The JSON body that asks for this command through the API (the remote client's)."""
        ids = set(self.ids())
        dumped: dict[str, Any] = _adapter(type(self)).dump_python(self, mode="json", by_alias=True)
        return {k: v for k, v in dumped.items() if k not in ids and k not in self.spec.internal}

    def ids(self) -> dict[str, Any]:
        """The route's parameters: ``order_id``, ``invoice`` or ``agreement_id``."""
        return {f.name: getattr(self, f.name) for f in dataclasses.fields(self) if _is_id(f.name)}

    def path(self) -> str:
        """Its route under /api/v1, filled in."""
        if self.spec.path is None:
            raise TypeError(f"{type(self).__name__} has no route")
        return self.spec.path.format(**self.ids())

    @classmethod
    def body_schema(cls) -> dict[str, Any]:
        """The JSON schema of its request body (for the OpenAPI document)."""
        schema = _adapter(cls).json_schema(by_alias=True)
        hidden = {*cls.spec.internal, *(f.name for f in dataclasses.fields(cls) if _is_id(f.name))}
        properties = {k: v for k, v in schema.get("properties", {}).items() if k not in hidden}
        required = [k for k in schema.get("required", []) if k not in hidden]
        body = {**schema, "properties": properties, "required": required}
        if not required:
            body.pop("required")
        return body


#: What an unknown field of a body is told (as the API's models say it).
_EXTRA = "extra inputs are not permitted"


def _worded(error: Any) -> Any:
    """A field the command does not have is told so as for the API's models (not as an
    unexpected argument of a Python call)."""
    if error["type"] == "unexpected_keyword_argument":
        return {**error, "msg": _EXTRA}
    return error


def _is_id(name: str) -> bool:
    return name in ("order_id", "invoice", "agreement_id", "payment", "dispute")


_ADAPTERS: dict[str, TypeAdapter[Any]] = {}


def _adapter(cls: type[Command]) -> TypeAdapter[Any]:
    """The validator of ``cls``'s wire form (built once per command)."""
    found = _ADAPTERS.get(cls.__qualname__)
    if found is None:
        found = _ADAPTERS[cls.__qualname__] = TypeAdapter(cls)
    return found


# --- an order's lifecycle -----------------------------------------------------------------


@dataclass(frozen=True, kw_only=True)
class OrderCommand(Command):
    """An action on one order (an id no order can have names none: ORDER_NOT_FOUND, as the
    services answer an order that is not there)."""

    order_id: Annotated[int, Field(ge=1, le=limits.ID_MAX)]

    def __post_init__(self) -> None:
        if not 0 < self.order_id <= limits.ID_MAX:
            raise NotFoundError(
                [
                    Violation(
                        Code.ORDER_NOT_FOUND,
                        "id",
                        "no order {order}",
                        params={"order": self.order_id},
                    )
                ]
            )


def _day(field: str, day: date | None) -> None:
    """A day within the dates acsa keeps (limits.DATE_MIN..DATE_MAX), if given."""
    if day is not None:
        limits.check_date(field, day)


def _document_quantities(lines: object) -> dict[int, Decimal]:
    """A document's per-line quantities (as its signed body carries them)."""
    return {int(n): Decimal(str(q)) for n, q in dict(lines or {}).items()}  # type: ignore[call-overload]


@dataclass(frozen=True, kw_only=True)
class _QuantitiesStep(OrderCommand):
    """A step given per-line quantities (``lines``; none: every line in full)."""

    quantities: Annotated[Quantities, Field(alias="lines")] = None

    def __post_init__(self) -> None:
        super().__post_init__()
        check_quantities(self.quantities, limits.QUANTITY_OR_ZERO)

    @classmethod
    def from_document(cls, body: Mapping[str, Any], **ids: Any) -> Self:
        return cls(quantities=_document_quantities(body.get("lines")), **ids)


@dataclass(frozen=True, kw_only=True)
class _ReasonStep(OrderCommand):
    """A step that ends an order, with a reason for the record."""

    reason: Reason = ""

    def __post_init__(self) -> None:
        super().__post_init__()
        _text("reason", self.reason)


@dataclass(frozen=True, kw_only=True)
class PlaceOrder(Command):
    """Save a new draft order (``POST /orders``): the order's document as `orders new --file`
    reads it. ``uid`` names an order a partner's node placed (a new one gets its own)."""

    spec = Spec("place", Permission.PLACE, "/orders", status=201, kind=Kind.ORDER)
    order: OrderIn
    uid: str | None = None

    @classmethod
    def from_wire(cls, body: object, **ids: Any) -> Self:  # noqa: ARG003 - no route ids
        return cls(order=parse_model(OrderIn, body))

    @classmethod
    def from_document(cls, body: Mapping[str, Any], **ids: Any) -> Self:
        return cls(order=parse_model(OrderIn, dict(body)), uid=ids.get("uid"))

    def wire(self) -> dict[str, Any]:
        body: dict[str, Any] = self.order.model_dump(mode="json", exclude_unset=True)
        return body


@dataclass(frozen=True, kw_only=True)
class EditDraft(OrderCommand):
    """Edit a draft in place (``PUT /orders/{order_id}``, with If-Match): the whole order
    document as `orders edit --file` reads it, checked as placing it is; the draft's lines
    are replaced, its agreement and nations stay. Only a draft, by the requesting nation."""

    spec = Spec("edit", Permission.PLACE, "/orders/{order_id}", kind=Kind.EDIT, method="PUT")
    order: OrderIn

    @classmethod
    def from_wire(cls, body: object, **ids: Any) -> Self:
        return cls(order=parse_model(OrderIn, body), **ids)

    @classmethod
    def from_document(cls, body: Mapping[str, Any], **ids: Any) -> Self:
        return cls(order=parse_model(OrderIn, dict(body)), **ids)

    def wire(self) -> dict[str, Any]:
        body: dict[str, Any] = self.order.model_dump(mode="json", exclude_unset=True)
        return body

    @classmethod
    def body_schema(cls) -> dict[str, Any]:
        return OrderIn.model_json_schema(by_alias=True)


@dataclass(frozen=True, kw_only=True)
class SubmitOrder(OrderCommand):
    """Submit a draft to the supplier; the agreement checks run first and refuse it with every
    violation."""

    spec = dataclasses.replace(step(Action.SUBMIT), internal=("approvals",))
    #: Who approved the draft before commitment, as the requester's signed submission names
    #: them (acsa.domain.approvals); none from a person, whose node reads its own.
    approvals: (
        Annotated[
            list[dict[Annotated[str, Text("key")], Annotated[str, Text("value")]]],
            Field(max_length=limits.APPROVAL_TIERS_MAX),
        ]
        | None
    ) = None


@dataclass(frozen=True, kw_only=True)
class AcceptOrder(_QuantitiesStep):
    """Accept for the supplying nation, in full or less on some lines (``lines``); the checks
    run again, with the annual ceilings."""

    spec = step(Action.ACCEPT)


@dataclass(frozen=True, kw_only=True)
class RejectOrder(_ReasonStep):
    """Reject a submitted order for the supplying nation, with a reason for the record."""

    spec = step(Action.REJECT)


@dataclass(frozen=True, kw_only=True)
class CancelOrder(_ReasonStep):
    """Cancel an order for the requesting nation before anything is delivered, with a reason
    for the record."""

    spec = step(Action.CANCEL)


@dataclass(frozen=True, kw_only=True)
class DeliverOrder(_QuantitiesStep):
    """Record a delivery by the supplying nation: everything still to deliver, or the
    quantities of ``lines``."""

    spec = step(Action.DELIVER)


@dataclass(frozen=True, kw_only=True)
class ReceiveOrder(_QuantitiesStep):
    """Record the receipt of what was delivered, by the requesting nation; a line received
    short (``lines``) is a discrepancy, with ``note``. Both books get their postings."""

    spec = step(Action.RECEIVE)
    note: Note = ""

    def __post_init__(self) -> None:
        super().__post_init__()
        _text("note", self.note)

    @classmethod
    def from_document(cls, body: Mapping[str, Any], **ids: Any) -> Self:
        lines = dict(body.get("lines") or {})
        received = {n: v["received"] for n, v in lines.items()}
        note = str(body.get("note", ""))
        return cls(quantities=_document_quantities(received), note=note, **ids)


@dataclass(frozen=True, kw_only=True)
class CloseOrder(OrderCommand):
    """Close a received order once nothing is owed on it, in cash or in kind."""

    spec = step(Action.CLOSE)


@dataclass(frozen=True, kw_only=True)
class AddNote(OrderCommand):
    """Add a dated remark to an order, for either party (at most NOTE_CHARS_MAX characters, no
    control characters but tabs and line breaks); recorded in the order's audit record and
    sent to the partner as a signed note. It changes neither the order's status nor its money
    nor its version, so it needs no If-Match and leaves a step's If-Match good."""

    spec = Spec(
        "note",
        Permission.NOTE,
        "/orders/{order_id}/note",
        kind=Kind.NOTE,
        check_version=False,
    )
    note: Note

    def __post_init__(self) -> None:
        super().__post_init__()
        _text("note", self.note)
        if not self.note.strip():  # empty too: one refusal, MISSING_FIELD, for both
            raise AcsaError.single(Code.MISSING_FIELD, "note", "note is blank; give its text")


@dataclass(frozen=True, kw_only=True)
class AttachFile(OrderCommand):
    """Attach a source document (a PDF, PNG or JPEG image, XLSX or CSV spreadsheet) to an order
    or to one of its steps (``step``: delivery:N, receipt:N, invoice:NUMBER, payment:N,
    settlement:N; see acsa.domain.attachments), for either party; kept by its SHA-256, type
    checked by its content, size bounded, and sent to the partner as a signed attachment
    with its bytes. Like a note it changes neither the order's status nor its version. Its
    route takes a file (multipart), so it is not one of the command table's JSON routes."""

    spec = Spec("attach", Permission.NOTE, None, kind=Kind.ATTACHMENT, check_version=False)
    name: Annotated[str, Text("file_name")]
    media_type: Annotated[str, Text("media_type")] = ""
    content: bytes
    step: Annotated[str, Text("step")] | None = None
    #: The hash a partner's document names (checked against the bytes); none from a person.
    sha256: str | None = None

    def __post_init__(self) -> None:
        super().__post_init__()
        from acsa.domain.attachments import check_sha256, parse_step

        parse_step("step", self.step)
        if self.sha256 is not None:
            check_sha256("sha256", self.sha256)

    @classmethod
    def from_document(cls, body: Mapping[str, Any], **ids: Any) -> Self:
        """The file a partner's attachment document carries: its bytes from base64, with the
        hash, type, name and step it names."""
        import base64
        import binascii

        try:
            content = base64.b64decode(str(body.get("content", "")), validate=True)
        except (binascii.Error, ValueError):
            raise AcsaError.single(
                Code.DOCUMENT_INVALID,
                "body.content",
                "body.content must be a file's bytes in base64",
            ) from None
        return cls(
            name=str(body.get("name", "")),
            media_type=str(body.get("type", "")),
            content=content,
            step=body.get("step"),
            sha256=str(body.get("sha256", "")),
            **ids,
        )


# --- settlement ----------------------------------------------------------------------------


@dataclass(frozen=True, kw_only=True)
class IssueInvoice(OrderCommand):
    """Invoice what an order owes in cash and has not been invoiced yet, dated ``issued``
    (default today); ``number`` is the issuing node's, on a partner's document."""

    spec = Spec(
        "invoice",
        Permission.INVOICE,
        "/orders/{order_id}/invoices",
        "invoice",
        201,
        Kind.INVOICE,
        internal=("number",),
    )
    issued: Annotated[Day | None, Field(alias="date")] = None
    number: Annotated[str | None, Text("number")] = None

    def __post_init__(self) -> None:
        super().__post_init__()
        _day("date", self.issued)

    @classmethod
    def from_document(cls, body: Mapping[str, Any], **ids: Any) -> Self:
        return cls._validate({"date": body.get("issued"), "number": body.get("number"), **ids})


@dataclass(frozen=True, kw_only=True)
class RecordPayment(Command):
    """Record a payment against an invoice (its number or id); more than is unpaid is refused
    (OVERPAYMENT)."""

    spec = Spec(
        "pay",
        Permission.PAY,
        "/invoices/{invoice}/payments",
        "invoice",
        201,
        Kind.PAYMENT,
        check_version=False,
    )
    invoice: Annotated[str, Field(min_length=1, max_length=MAX_INVOICE_REF)]
    amount: Amount
    paid: Annotated[Day, Field(alias="date")]
    reference: Annotated[str, Text("reference")] = ""
    currency: Annotated[str | None, Field(min_length=3, max_length=3)] = None

    def __post_init__(self) -> None:
        if not 1 <= len(self.invoice) <= MAX_INVOICE_REF:
            raise NotFoundError(
                [
                    Violation(
                        Code.INVOICE_NOT_FOUND,
                        "invoice",
                        "no invoice {invoice} (give its number or id)",
                        params={"invoice": repr(self.invoice[:MAX_INVOICE_REF])},
                    )
                ]
            )
        limits.check_number("amount", self.amount, limits.AMOUNT, Code.INVALID_AMOUNT)
        _day("date", self.paid)
        _text("reference", self.reference)
        if self.currency is not None:
            object.__setattr__(self, "currency", self.currency.upper())

    @classmethod
    def from_document(cls, body: Mapping[str, Any], **ids: Any) -> Self:  # noqa: ARG003
        fields = {k: body.get(k) for k in ("invoice", "amount", "reference", "currency")}
        return cls._validate({**fields, "date": body.get("paid")})


@dataclass(frozen=True, kw_only=True)
class ReturnInKind(OrderCommand):
    """Goods of the same kind and quantity (and NSN) returned against received lines."""

    spec = Spec(
        "replace",
        Permission.REPLACE,
        "/orders/{order_id}/replacements",
        "settlement",
        201,
        Kind.REPLACEMENT,
    )
    lines: Annotated[list[ReturnedLineIn], Field(min_length=1, max_length=200)]
    day: Annotated[Day | None, Field(alias="date")] = None
    note: Note = ""

    def __post_init__(self) -> None:
        super().__post_init__()
        _day("date", self.day)
        _text("note", self.note)


@dataclass(frozen=True, kw_only=True)
class ExchangeEqualValue(OrderCommand):
    """Other goods or services, valued in the order's currency, against what is owed in kind;
    the valuation and who agreed it (both sides) are recorded."""

    spec = Spec(
        "exchange",
        Permission.EXCHANGE,
        "/orders/{order_id}/exchanges",
        "settlement",
        201,
        Kind.EXCHANGE,
    )
    lines: Annotated[list[ExchangeLineIn], Field(min_length=1, max_length=200)]
    agreed_by: Annotated[str, Text("agreed_by", min_length=1)]
    valuation_note: Annotated[str, Text("valuation_note")] = ""
    day: Annotated[Day | None, Field(alias="date")] = None

    def __post_init__(self) -> None:
        super().__post_init__()
        _day("date", self.day)


@dataclass(frozen=True, kw_only=True)
class ConvertToCash(OrderCommand):
    """Convert what an order owes in kind past its deadline on ``as_of`` into cash, with an
    invoice (numbered ``number`` when a partner's node converted it). The deadline sweep and
    a partner's document ask for it; a person sweeps."""

    spec = Spec(
        "convert",
        Permission.SWEEP,
        None,
        "conversion",
        201,
        Kind.CONVERSION,
        internal=("number",),
    )
    as_of: Day
    number: Annotated[str | None, Text("number")] = None

    def __post_init__(self) -> None:
        super().__post_init__()
        _day("as_of", self.as_of)

    @classmethod
    def from_document(cls, body: Mapping[str, Any], **ids: Any) -> Self:
        return cls._validate({"as_of": body.get("as_of"), "number": body.get("invoice"), **ids})


# --- corrections ---------------------------------------------------------------------------


def _invoice_ref(reference: str) -> None:
    """An invoice reference (number or id) no invoice can have names none: INVOICE_NOT_FOUND."""
    if not 1 <= len(reference) <= MAX_INVOICE_REF:
        raise NotFoundError(
            [
                Violation(
                    Code.INVOICE_NOT_FOUND,
                    "invoice",
                    "no invoice {invoice} (give its number or id)",
                    params={"invoice": repr(reference[:MAX_INVOICE_REF])},
                )
            ]
        )


def _reason(reason: str) -> None:
    _text("reason", reason)
    if not reason.strip():
        raise AcsaError.single(Code.MISSING_FIELD, "reason", "a correction needs a reason; give it")


#: A correction's reason: required, within the reason's bound.
CorrectionReason = Annotated[str, Text("reason", min_length=1)]


@dataclass(frozen=True, kw_only=True)
class VoidInvoice(Command):
    """Void an invoice (its number or id) issued by mistake, with a reason: nothing of it is
    billed any more and the order may be invoiced again for it. Refused while a payment
    stands against it (409 INVOICE_HAS_PAYMENTS: reverse them first) or once void (409
    INVOICE_VOIDED). The supplier's finance; sent to the partner as a signed document."""

    spec = Spec(
        "void",
        Permission.INVOICE,
        "/invoices/{invoice}/void",
        "invoice",
        201,
        Kind.VOID,
        check_version=False,
    )
    invoice: Annotated[str, Field(min_length=1, max_length=MAX_INVOICE_REF)]
    reason: CorrectionReason
    day: Annotated[Day | None, Field(alias="date")] = None

    def __post_init__(self) -> None:
        _invoice_ref(self.invoice)
        _reason(self.reason)
        _day("date", self.day)

    @classmethod
    def from_document(cls, body: Mapping[str, Any], **ids: Any) -> Self:  # noqa: ARG003
        fields = {k: body.get(k) for k in ("invoice", "reason", "date")}
        return cls._validate(fields)


@dataclass(frozen=True, kw_only=True)
class ReversePayment(Command):
    """Reverse a payment (its id) recorded by mistake, returned or not received, with a
    reason: it no longer counts as paid, and both books post its entries reversed on the day
    given (default today). A payment reversed already is refused (409 PAYMENT_REVERSED). The
    supplier's finance (the creditor, whose receivable the payment settled: a requester's
    mistaken payment is reversed at its word), so that a correction never forks an order's
    chain; sent to the partner as a signed document naming the payment by invoice and place."""

    spec = Spec(
        "reverse",
        Permission.INVOICE,
        "/payments/{payment}/reversal",
        "invoice",
        201,
        Kind.PAYMENT_REVERSAL,
        check_version=False,
        internal=("invoice", "place"),
    )
    payment: Annotated[int, Field(ge=0, le=limits.ID_MAX)]
    reason: CorrectionReason
    day: Annotated[Day | None, Field(alias="date")] = None
    #: On a partner's document: the payment by its invoice and its place (1: the first).
    invoice: Annotated[str | None, Field(min_length=1, max_length=MAX_INVOICE_REF)] = None
    place: Annotated[int | None, Field(ge=1, le=limits.ID_MAX)] = None

    def __post_init__(self) -> None:
        if not 0 <= self.payment <= limits.ID_MAX or (self.payment == 0 and self.place is None):
            raise NotFoundError(
                [
                    Violation(
                        Code.PAYMENT_NOT_FOUND,
                        "payment",
                        "no payment {payment}",
                        params={"payment": self.payment},
                    )
                ]
            )
        _reason(self.reason)
        _day("date", self.day)

    @classmethod
    def from_document(cls, body: Mapping[str, Any], **ids: Any) -> Self:  # noqa: ARG003
        return cls._validate(
            {
                "payment": 0,
                "invoice": body.get("invoice"),
                "place": body.get("payment"),
                "reason": body.get("reason"),
                "date": body.get("date"),
            }
        )


@dataclass(frozen=True, kw_only=True)
class IssueCreditNote(Command):
    """Issue a credit note against an invoice (its number or id): ``amount`` comes off what it
    bills and off the order's cash debt, in both books, with a reason. At most what is unpaid
    (409 CREDIT_EXCEEDS_UNPAID: what is paid stays paid; reverse a payment first). Numbered
    per issuer and year (``number`` is the issuing node's, on a partner's document)."""

    spec = Spec(
        "credit",
        Permission.INVOICE,
        "/invoices/{invoice}/credit-notes",
        "invoice",
        201,
        Kind.CREDIT_NOTE,
        check_version=False,
        internal=("number",),
    )
    invoice: Annotated[str, Field(min_length=1, max_length=MAX_INVOICE_REF)]
    amount: Amount
    reason: CorrectionReason
    day: Annotated[Day | None, Field(alias="date")] = None
    currency: Annotated[str | None, Field(min_length=3, max_length=3)] = None
    number: Annotated[str | None, Text("number")] = None

    def __post_init__(self) -> None:
        _invoice_ref(self.invoice)
        limits.check_number("amount", self.amount, limits.AMOUNT, Code.INVALID_AMOUNT)
        _reason(self.reason)
        _day("date", self.day)
        if self.currency is not None:
            object.__setattr__(self, "currency", self.currency.upper())

    @classmethod
    def from_document(cls, body: Mapping[str, Any], **ids: Any) -> Self:  # noqa: ARG003
        fields = {k: body.get(k) for k in ("invoice", "amount", "reason", "date", "currency")}
        return cls._validate({**fields, "number": body.get("number")})


# --- disputes -------------------------------------------------------------------------------


def _side(side: str | None) -> None:
    if side is not None and side not in ("requester", "supplier"):
        raise AcsaError.single(Code.INVALID_FIELD, "side", "side: one of requester, supplier")


@dataclass(frozen=True, kw_only=True)
class OpenDispute(OrderCommand):
    """Dispute a step of an order (either side): a receipt (``step`` receipt:N, on
    ``ground`` quantity or quality), an invoice (invoice:NUMBER: amount or price_basis) or a
    settlement (payment:N or settlement:N: payment, replacement or exchange), with a reason,
    the ``amount`` disputed in the order's currency (at most what the step is worth: 422
    DISPUTE_EXCEEDS_WORTH) and optionally a file of the order as ``evidence`` (its SHA-256).
    The order's account shows the amount apart as disputed until the other side answers;
    sent to the partner as a signed document. ``side`` names the acting side where no person
    is signed in (the installation's own command line)."""

    spec = Spec(
        "dispute",
        Permission.DISPUTE,
        "/orders/{order_id}/disputes",
        "dispute",
        201,
        Kind.DISPUTE,
        check_version=False,
        internal=("number",),
    )
    step: Annotated[str, Text("step")]
    ground: Annotated[str, Text("ground")]
    reason: CorrectionReason
    amount: Amount
    evidence: Annotated[str, Text("evidence")] | None = None
    day: Annotated[Day | None, Field(alias="date")] = None
    side: Annotated[str, Text("side")] | None = None
    number: Annotated[str, Text("dispute")] | None = None

    def __post_init__(self) -> None:
        super().__post_init__()
        from acsa.domain.attachments import check_sha256
        from acsa.domain.disputes import parse_disputed_step, parse_ground

        step = parse_disputed_step("step", self.step)
        parse_ground("ground", self.ground, step)
        _text("reason", self.reason)
        if not self.reason.strip():
            raise AcsaError.single(Code.MISSING_FIELD, "reason", "a dispute needs a reason")
        limits.check_number("amount", self.amount, limits.AMOUNT, Code.INVALID_AMOUNT)
        if self.evidence is not None:
            check_sha256("evidence", self.evidence)
        _day("date", self.day)
        _side(self.side)

    @classmethod
    def from_document(cls, body: Mapping[str, Any], **ids: Any) -> Self:
        fields = {k: body.get(k) for k in ("step", "ground", "reason", "amount", "date")}
        if body.get("evidence") is not None:
            fields["evidence"] = body["evidence"]
        return cls._validate({**fields, "number": body.get("number"), **ids})


@dataclass(frozen=True, kw_only=True)
class AnswerDispute(OrderCommand):
    """Answer a dispute (its number): the other side resolves it by agreement with
    ``resolution`` accept (as billed: no entries), credit_note (the supplier credits the
    ``agreed`` amount on ``invoice``, default the disputed invoice or the order's latest one
    with enough unpaid: a reversing entry), redelivery (of a disputed receipt: the supplier
    delivers again) or write_off (the ``agreed`` amount written off by agreement: reversing
    entries with a memo saying so); the side that opened it may withdraw it. A dispute
    answered already is refused (409 DISPUTE_CLOSED: a racing answer won). Sent to the
    partner as a signed document (a credit note or write-off with its credit note too)."""

    spec = Spec(
        "answer_dispute",
        Permission.DISPUTE,
        "/orders/{order_id}/disputes/{dispute}/answer",
        "dispute",
        201,
        Kind.DISPUTE_ANSWER,
        check_version=False,
        internal=("credit_note",),
    )
    dispute: Annotated[str, Field(min_length=1, max_length=40)]
    resolution: Annotated[str, Text("resolution")]
    agreed: Amount | None = None
    note: Note = ""
    invoice: Annotated[str | None, Field(min_length=1, max_length=MAX_INVOICE_REF)] = None
    day: Annotated[Day | None, Field(alias="date")] = None
    side: Annotated[str, Text("side")] | None = None
    credit_note: Annotated[str, Text("number")] | None = None

    def __post_init__(self) -> None:
        super().__post_init__()
        from acsa.domain.disputes import parse_resolution

        limits.check_text("dispute", self.dispute)
        parse_resolution("resolution", self.resolution)
        if self.agreed is not None:
            limits.check_number("agreed", self.agreed, limits.AMOUNT, Code.INVALID_AMOUNT)
        _text("note", self.note)
        if self.invoice is not None:
            _invoice_ref(self.invoice)
        _day("date", self.day)
        _side(self.side)

    @classmethod
    def from_document(cls, body: Mapping[str, Any], **ids: Any) -> Self:
        fields: dict[str, Any] = {
            "dispute": body.get("number"),
            "resolution": body.get("resolution"),
            "note": body.get("note", ""),
            "date": body.get("date"),
        }
        for name in ("agreed", "invoice", "credit_note"):
            if body.get(name) is not None:
                fields[name] = body[name]
        return cls._validate({**fields, **ids})


# --- the registry of agreements --------------------------------------------------------

#: Bounds the agreement document models leave open but the database and date arithmetic do not.
MAX_LABEL = 200
MAX_DAYS = 36_500
MAX_VERSION = 2**31 - 1


def _version_violations(doc: AgreementVersionDoc, where: str) -> list[Violation]:
    found: list[Violation] = []
    if len(doc.label) > MAX_LABEL:
        found.append(
            Violation(
                Code.INVALID_FIELD,
                f"{where}label",
                "a label has at most {most} chars",
                params={"most": MAX_LABEL},
            )
        )
    for name in ("replacement_deadline_days", "payment_term_days"):
        if getattr(doc, name) > MAX_DAYS:
            found.append(
                Violation(
                    Code.INVALID_FIELD,
                    f"{where}{name}",
                    "{name} is at most {most}",
                    params={"name": name, "most": MAX_DAYS},
                )
            )
    if doc.version is not None and not 1 <= doc.version <= MAX_VERSION:
        found.append(
            Violation(
                Code.INVALID_FIELD,
                f"{where}version",
                "version is from 1 to {most}",
                params={"most": MAX_VERSION},
            )
        )
    return found


def refuse_unstorable(doc: BaseModel, versions: list[tuple[str, AgreementVersionDoc]]) -> None:
    """Refuse (every problem at once) what the agreement document models let through but the
    database or the date arithmetic would choke on: control characters in any text (refused
    alike on SQLite and PostgreSQL), over-long labels, day counts and version numbers."""
    found = limits.json_text_violations(doc.model_dump(mode="json", exclude_unset=True))
    for where, version in versions:
        found.extend(_version_violations(version, where))
    if found:
        raise AcsaError(found)


def _registry_change(name: str, path: str) -> Spec:
    """The spec of a change to the registry: an admin of one of the agreement's parties or a
    registry keeper (the service decides which agreement), answered with the agreement."""
    return Spec(
        name,
        Permission.MANAGE_REGISTRY,
        path,
        "agreement",
        201,
        check_version=False,
        on_order=False,
    )


@dataclass(frozen=True, kw_only=True)
class AgreementCommand(Command):
    """A change to the registry of agreements whose body is one document (``document``: the
    model, held in the field ``body_field``), read and checked as the registry file's. No
    partner's document asks for one: each node keeps its own registry."""

    document: ClassVar[type[BaseModel]]
    body_field: ClassVar[str]

    @classmethod
    def from_wire(cls, body: object, **ids: Any) -> Self:
        return cls(
            **{cls.body_field: parse_model(cls.document, {} if body is None else body)}, **ids
        )

    def body(self) -> BaseModel:
        """The document the command carries."""
        doc: BaseModel = getattr(self, self.body_field)
        return doc

    def wire(self) -> dict[str, Any]:
        body: dict[str, Any] = self.body().model_dump(mode="json", exclude_unset=True)
        return body

    @classmethod
    def body_schema(cls) -> dict[str, Any]:
        return cls.document.model_json_schema(by_alias=True)


@dataclass(frozen=True, kw_only=True)
class AddAgreement(AgreementCommand):
    """Add an agreement with its versions: an admin of one of its two parties, or a registry
    keeper (403 otherwise). An id that is taken is refused (409 AGREEMENT_EXISTS), telling
    nothing of the agreement that holds it."""

    spec = _registry_change("add_agreement", "/agreements")
    document = AgreementDoc
    body_field = "agreement"
    agreement: AgreementDoc

    def __post_init__(self) -> None:
        versions = self.agreement.versions
        refuse_unstorable(self.agreement, [(f"versions.{i}.", v) for i, v in enumerate(versions)])


@dataclass(frozen=True, kw_only=True)
class AmendAgreement(AgreementCommand):
    """Append a version (a new text or an amendment, with its own dates) to an agreement: an
    admin of one of its parties, or a registry keeper; the agreement as it now stands, today.
    One your nation is not party to answers 404 as one that does not exist, before any check
    of the version against it."""

    spec = _registry_change("amend_agreement", "/agreements/{agreement_id}/versions")
    document = AgreementVersionDoc
    body_field = "version"
    agreement_id: str
    version: AgreementVersionDoc

    def __post_init__(self) -> None:
        refuse_unstorable(self.version, [("", self.version)])


@dataclass(frozen=True, kw_only=True)
class RecordInForceDay(AgreementCommand):
    """Record the day a version entered into force, once learnt: it must lie in the month or
    year the registry gives (422 INVALID_DATE naming that window); a version known to the day
    is not changed (409 IN_FORCE_DAY_KNOWN). The version is not edited: the day is a record of
    its own, which closes the version's uncertain window. An admin of one of its parties, or a
    registry keeper; one your nation is not party to answers 404."""

    spec = _registry_change("record_in_force_day", "/agreements/{agreement_id}/in-force-days")
    document = InForceDayIn
    body_field = "day"
    agreement_id: str
    day: InForceDayIn


@dataclass(frozen=True, kw_only=True)
class RecordTermination(AgreementCommand):
    """Record a notice of termination: from ``effective`` the agreement has ended and orders
    dated then are refused (AGREEMENT_NOT_IN_FORCE naming the notice). ``effective`` is at
    least the text's notice (one year) after ``notice_date``, or the end of the term running
    then if notice came by its renewal-notice deadline (422 TERMINATION_NOTICE_TOO_SHORT); a
    second notice is refused (409 AGREEMENT_TERMINATED). An admin of one of its parties, or a
    registry keeper; one your nation is not party to answers 404."""

    spec = _registry_change("record_termination", "/agreements/{agreement_id}/termination")
    document = TerminationIn
    body_field = "notice"
    agreement_id: str
    notice: TerminationIn


#: Every command, in the order a person meets them.
COMMANDS: tuple[type[Command], ...] = (
    PlaceOrder,
    EditDraft,
    SubmitOrder,
    AcceptOrder,
    RejectOrder,
    CancelOrder,
    DeliverOrder,
    ReceiveOrder,
    CloseOrder,
    AddNote,
    AttachFile,
    IssueInvoice,
    RecordPayment,
    ReturnInKind,
    ExchangeEqualValue,
    ConvertToCash,
    VoidInvoice,
    ReversePayment,
    IssueCreditNote,
    OpenDispute,
    AnswerDispute,
    AddAgreement,
    AmendAgreement,
    RecordInForceDay,
    RecordTermination,
)

#: The command of each lifecycle step of an order.
LIFECYCLE: Mapping[Action, type[OrderCommand]] = {
    c.spec.action: c for c in COMMANDS if c.spec.action is not None and issubclass(c, OrderCommand)
}

#: The command a partner's document of each kind asks for.
BY_KIND: Mapping[Kind, type[Command]] = {
    c.spec.kind: c for c in COMMANDS if c.spec.kind is not None
}

#: Commands by their word (a web form's ``action``, a route's last part).
BY_NAME: Mapping[str, type[Command]] = {c.spec.name: c for c in COMMANDS}


@dataclass(frozen=True)
class By:
    """Who takes a command and when: the person (or the partner's official named in a
    document) and the moment recorded for it."""

    actor: str
    at: datetime
