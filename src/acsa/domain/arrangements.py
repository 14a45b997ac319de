"""Implementing arrangements: what the two nations sign under an agreement to say who bills
whom and how.

An arrangement (or procedure) belongs to one agreement and is named by a reference unique in
it (``JPN-AUS IA 2025-01``). It is signed on a day, in force from a day and, once ended, no
more from its end day. For each of the agreement's two parties it names the billing office
(that issues the party's invoices), the paying office (that pays the invoices the party
receives), its points of contact, and the default fund citation of the party's orders. It
sets the payment term (days from an invoice to its due date) and may cap what a party
acquires under it, per currency, per fiscal year of the acquiring party or in total (as an
agreement's annual ceilings do: ``acsa.domain.ceilings``).

An order names its arrangement by reference: it must be one of the order's agreement, in
force on the order date (ARRANGEMENT_NOT_FOUND, ARRANGEMENT_NOT_IN_FORCE) and the order must
fit under its ceilings (ARRANGEMENT_CEILING_EXCEEDED). These are the pure rules; the service
(``acsa.services.arrangements``) stores, audits and counts.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field, replace
from datetime import date
from decimal import Decimal
from typing import Any

from acsa.domain import limits
from acsa.domain.ceilings import Acquired
from acsa.domain.errors import AcsaError, Code, Violation
from acsa.domain.fiscal import FiscalYear
from acsa.domain.messages import Message, Term, t
from acsa.domain.money import Money, fits_minor_units, is_known_currency

#: How a ceiling counts: per fiscal year of the acquiring party, or over the arrangement's life.
PERIODS = ("fiscal_year", "total")
#: What a ceiling counts, as an agreement's ceilings do.
APPLIES_TO = ("all", "supplies", "services")

_EMAIL = re.compile(r"[^@\s]+@[^@\s]+\.[^@\s]+")
_PHONE = re.compile(r"\+?[0-9 ()./-]{3,}")
_NATION = re.compile(r"[A-Z]{3}")


@dataclass(frozen=True, slots=True)
class Office:
    """A billing or paying office: its name, its postal address (lines) and its e-mail."""

    name: str
    address: tuple[str, ...] = ()
    email: str = ""

    def to_json(self) -> dict[str, Any]:
        return {"name": self.name, "address": list(self.address), "email": self.email}


@dataclass(frozen=True, slots=True)
class Contact:
    """A point of contact of one side."""

    name: str
    position: str = ""
    email: str = ""
    phone: str = ""

    def to_json(self) -> dict[str, str]:
        return {
            "name": self.name,
            "position": self.position,
            "email": self.email,
            "phone": self.phone,
        }


@dataclass(frozen=True, slots=True)
class Side:
    """What an arrangement says of one party."""

    party: str
    billing_office: Office | None = None
    paying_office: Office | None = None
    contacts: tuple[Contact, ...] = ()
    fund_citation: str | None = None

    def to_json(self) -> dict[str, Any]:
        return {
            "billing_office": self.billing_office.to_json() if self.billing_office else None,
            "paying_office": self.paying_office.to_json() if self.paying_office else None,
            "contacts": [c.to_json() for c in self.contacts],
            "fund_citation": self.fund_citation,
        }


@dataclass(frozen=True, slots=True)
class ArrangementCeiling:
    """A cap on what ``party`` (None: each party) acquires under the arrangement, in
    ``currency``, per fiscal year of the acquiring party or in total."""

    currency: str
    amount: Decimal
    period: str = "fiscal_year"
    applies_to: str = "all"
    party: str | None = None
    note: str = ""

    def to_json(self) -> dict[str, Any]:
        return {
            "currency": self.currency,
            "amount": format(self.amount, "f"),
            "period": self.period,
            "applies_to": self.applies_to,
            "party": self.party,
            "note": self.note,
        }


@dataclass(frozen=True, slots=True)
class Arrangement:
    """An implementing arrangement under the agreement ``agreement_id``."""

    agreement_id: str
    reference: str
    title: str
    signed: date
    in_force: date
    sides: tuple[Side, Side]
    payment_term_days: int = 30
    ended: date | None = None
    ceilings: tuple[ArrangementCeiling, ...] = ()
    notes: str = ""
    id: int | None = None

    def side(self, party: str) -> Side:
        """What the arrangement says of ``party`` (an empty side for a stranger)."""
        return next((s for s in self.sides if s.party == party), Side(party))

    def in_force_on(self, day: date) -> bool:
        return self.in_force <= day and (self.ended is None or day < self.ended)

    def status_on(self, day: date) -> str:
        """``signed`` (not yet in force), ``in_force`` or ``ended`` on ``day``."""
        if self.ended is not None and day >= self.ended:
            return "ended"
        return "in_force" if self.in_force <= day else "signed"

    def body(self) -> dict[str, Any]:
        """What the table's ``body`` column keeps: per side, and the ceilings and notes."""
        return {
            "sides": {s.party: s.to_json() for s in self.sides},
            "ceilings": [c.to_json() for c in self.ceilings],
            "notes": self.notes,
        }

    def to_json(self) -> dict[str, Any]:
        """The arrangement as ``arrangements add --file`` takes it (and the API answers)."""
        return {
            "agreement": self.agreement_id,
            "reference": self.reference,
            "title": self.title,
            "signed": self.signed.isoformat(),
            "in_force": self.in_force.isoformat(),
            "ended": self.ended.isoformat() if self.ended else None,
            "payment_term_days": self.payment_term_days,
            **self.body(),
        }


# --- reading an arrangement from a document ---------------------------------------------------


class _Reader:
    """Collects every violation of a document, each naming its field."""

    def __init__(self) -> None:
        self.found: list[Violation] = []

    def refuse(self, code: Code, name: str, template: str, **params: object) -> None:
        self.found.append(Violation(code, name, template, params={"field": name, **params}))

    def text(
        self, name: str, value: object, *, required: bool = False, bound: int | None = None
    ) -> str:
        if value is None or value == "":
            if required:
                self.refuse(Code.MISSING_FIELD, name, t("{field} is required"))
            return ""
        if not isinstance(value, str):
            self.refuse(Code.INVALID_FIELD, name, t("{field} must be text"))
            return ""
        value = value.strip()
        violation = limits.text_violation(name, value, multiline=False, bound=bound)
        if violation is not None:
            self.found.append(violation)
            return ""
        if required and not value:
            self.refuse(Code.MISSING_FIELD, name, t("{field} is required"))
        return value

    def day(self, name: str, value: object, *, required: bool = True) -> date | None:
        if value is None or value == "":
            if required:
                self.refuse(Code.MISSING_FIELD, name, t("{field} is required"))
            return None
        try:
            return limits.parse_date(name, value)
        except AcsaError as exc:
            self.found += exc.violations
            return None

    def mapping(self, name: str, value: object) -> Mapping[str, Any]:
        if value is None:
            return {}
        if not isinstance(value, Mapping):
            self.refuse(Code.INVALID_FIELD, name, t("{field} must be an object"))
            return {}
        return value

    def items(self, name: str, value: object, most: int) -> list[Any]:
        if value is None:
            return []
        if not isinstance(value, list | tuple):
            self.refuse(Code.INVALID_FIELD, name, t("{field} must be a list"))
            return []
        violation = limits.count_violation(name, len(value), most)
        if violation is not None:
            self.found.append(violation)
            return []
        return list(value)

    def unknown(self, name: str, data: Mapping[str, Any], known: Iterable[str]) -> None:
        extra = sorted(str(k) for k in data if k not in set(known))
        for key in extra[:5]:
            where = f"{name}.{key}" if name else key
            self.refuse(Code.INVALID_FIELD, where, t("{field} is not a field acsa knows"))


def _email(reader: _Reader, name: str, value: object) -> str:
    text = reader.text(name, value, bound=limits.ARRANGEMENT_EMAIL_CHARS_MAX)
    if text and not _EMAIL.fullmatch(text):
        reader.refuse(
            Code.INVALID_FIELD,
            name,
            t("{field} {value} is not an e-mail address"),
            value=repr(text[:60]),
        )
        return ""
    return text


def _office(reader: _Reader, name: str, value: object) -> Office | None:
    if value is None:
        return None
    data = reader.mapping(name, value)
    if not data:
        return None
    reader.unknown(name, data, ("name", "address", "email"))
    given = data.get("address")
    if isinstance(given, str):
        given = [ln for ln in given.splitlines() if ln.strip()]
    lines = reader.items(f"{name}.address", given, limits.ADDRESS_LINES_MAX)
    address = tuple(
        text
        for i, line in enumerate(lines)
        if (text := reader.text(f"{name}.address[{i}]", line, bound=limits.ADDRESS_LINE_CHARS_MAX))
    )
    return Office(
        name=reader.text(f"{name}.name", data.get("name"), required=True),
        address=address,
        email=_email(reader, f"{name}.email", data.get("email")),
    )


def _contact(reader: _Reader, name: str, value: object) -> Contact | None:
    data = reader.mapping(name, value)
    if not data:
        if value is not None and not isinstance(value, Mapping):
            return None
        reader.refuse(Code.MISSING_FIELD, f"{name}.name", t("{field} is required"))
        return None
    reader.unknown(name, data, ("name", "position", "email", "phone"))
    phone = reader.text(f"{name}.phone", data.get("phone"), bound=limits.PHONE_CHARS_MAX)
    if phone and not _PHONE.fullmatch(phone):
        reader.refuse(
            Code.INVALID_FIELD,
            f"{name}.phone",
            t("{field} {value} is not a telephone number (digits, spaces, + ( ) . / -)"),
            value=repr(phone[:40]),
        )
    return Contact(
        name=reader.text(f"{name}.name", data.get("name"), required=True),
        position=reader.text(f"{name}.position", data.get("position")),
        email=_email(reader, f"{name}.email", data.get("email")),
        phone=phone,
    )


def _side(reader: _Reader, party: str, value: object) -> Side:
    name = f"sides.{party}"
    data = reader.mapping(name, value)
    reader.unknown(name, data, ("billing_office", "paying_office", "contacts", "fund_citation"))
    contacts = reader.items(f"{name}.contacts", data.get("contacts"), limits.CONTACTS_MAX)
    found = (_contact(reader, f"{name}.contacts[{i}]", c) for i, c in enumerate(contacts))
    citation = reader.text(f"{name}.fund_citation", data.get("fund_citation"))
    return Side(
        party=party,
        billing_office=_office(reader, f"{name}.billing_office", data.get("billing_office")),
        paying_office=_office(reader, f"{name}.paying_office", data.get("paying_office")),
        contacts=tuple(c for c in found if c is not None),
        fund_citation=citation or None,
    )


def _ceiling(
    reader: _Reader, name: str, value: object, parties: tuple[str, str]
) -> ArrangementCeiling | None:
    data = reader.mapping(name, value)
    if not data:
        reader.refuse(Code.MISSING_FIELD, f"{name}.amount", t("{field} is required"))
        return None
    reader.unknown(name, data, ("currency", "amount", "period", "applies_to", "party", "note"))
    currency = reader.text(f"{name}.currency", data.get("currency"), required=True, bound=3)
    currency = currency.upper()
    if currency and not is_known_currency(currency):
        reader.refuse(
            Code.UNKNOWN_CURRENCY,
            f"{name}.currency",
            t("{field} {value} is no ISO 4217 currency"),
            value=repr(currency),
        )
    amount, violation = limits.number_violation(
        f"{name}.amount", data.get("amount"), limits.AMOUNT, Code.INVALID_AMOUNT
    )
    if violation is not None:
        reader.found.append(violation)
    elif (
        amount is not None
        and currency
        and is_known_currency(currency)
        and not fits_minor_units(amount, currency)
    ):
        reader.refuse(
            Code.INVALID_AMOUNT,
            f"{name}.amount",
            t("{field} {amount} has more decimals than {currency} allows"),
            amount=amount,
            currency=currency,
        )
    period = str(data.get("period") or "fiscal_year")
    for key, given, options in (
        ("period", period, PERIODS),
        ("applies_to", str(data.get("applies_to") or "all"), APPLIES_TO),
    ):
        wrong = limits.choice_violation(f"{name}.{key}", given, options)
        if wrong is not None:
            reader.found.append(wrong)
    party = reader.text(f"{name}.party", data.get("party"), bound=3).upper() or None
    if party is not None and party not in parties:
        reader.refuse(
            Code.PARTY_NOT_IN_AGREEMENT,
            f"{name}.party",
            t("{field} {party} is not party to the agreement ({parties})"),
            party=party,
            parties=" & ".join(parties),
        )
    if amount is None:
        return None
    return ArrangementCeiling(
        currency=currency,
        amount=amount,
        period=period,
        applies_to=str(data.get("applies_to") or "all"),
        party=party,
        note=reader.text(f"{name}.note", data.get("note")),
    )


#: The fields of an arrangement's document.
FIELDS = (
    "agreement",
    "reference",
    "title",
    "signed",
    "in_force",
    "ended",
    "payment_term_days",
    "sides",
    "ceilings",
    "notes",
)


def payment_term(reader: _Reader, value: object) -> int:
    if value is None or value == "":
        return limits.PAYMENT_TERM_DAYS_DEFAULT
    text = str(value) if isinstance(value, int) and not isinstance(value, bool) else value
    number, violation = limits.number_violation(
        "payment_term_days", text, limits.PAYMENT_TERM_DAYS, Code.INVALID_FIELD
    )
    if violation is not None or number is None:
        reader.found.append(
            violation
            or Violation(
                Code.INVALID_FIELD,
                "payment_term_days",
                "{field} is not a number",
                params={"field": "payment_term_days"},
            )
        )
        return limits.PAYMENT_TERM_DAYS_DEFAULT
    return int(number)


def _notes(reader: _Reader, value: object) -> str:
    if value in (None, ""):
        return ""
    if not isinstance(value, str):
        reader.refuse(Code.INVALID_FIELD, "notes", t("{field} must be text"))
        return ""
    violation = limits.text_violation("notes", value, multiline=True, bound=limits.NOTE_CHARS_MAX)
    if violation is not None:
        reader.found.append(violation)
        return ""
    return value.strip()


def _check_sides(reader: _Reader, sides_doc: Mapping[str, Any], parties: tuple[str, str]) -> None:
    for key in sides_doc:
        if key not in parties:
            reader.refuse(
                Code.PARTY_NOT_IN_AGREEMENT,
                f"sides.{str(key)[:8]}",
                t("{field}: {party} is not party to the agreement ({parties})"),
                party=repr(str(key)[:8]),
                parties=" & ".join(parties),
            )


def arrangement_from_doc(
    agreement_id: str, parties: tuple[str, str], data: Mapping[str, Any]
) -> Arrangement:
    """The arrangement ``data`` describes under the agreement ``agreement_id`` between
    ``parties``; every field is checked against its bound at once and each wrong one named
    (INVALID_FIELD, MISSING_FIELD, INVALID_DATE, INVALID_AMOUNT...)."""
    reader = _Reader()
    if not isinstance(data, Mapping):
        raise AcsaError.single(Code.INVALID_INPUT, "", "expected a JSON object at the top level")
    reader.unknown("", data, FIELDS)
    given = data.get("agreement")
    if given not in (None, "", agreement_id):
        reader.refuse(
            Code.INVALID_FIELD,
            "agreement",
            t("{field} is {given}; this arrangement is under {agreement}"),
            given=repr(str(given)[:64]),
            agreement=agreement_id,
        )
    reference = reader.text(
        "reference", data.get("reference"), required=True, bound=limits.ARRANGEMENT_REF_CHARS_MAX
    )
    title = reader.text("title", data.get("title"), required=True)
    signed = reader.day("signed", data.get("signed"))
    in_force = reader.day("in_force", data.get("in_force"))
    ended = reader.day("ended", data.get("ended"), required=False)
    term = payment_term(reader, data.get("payment_term_days"))
    sides_doc = reader.mapping("sides", data.get("sides"))
    _check_sides(reader, sides_doc, parties)
    sides = (
        _side(reader, parties[0], sides_doc.get(parties[0])),
        _side(reader, parties[1], sides_doc.get(parties[1])),
    )
    raw = reader.items("ceilings", data.get("ceilings"), limits.ARRANGEMENT_CEILINGS_MAX)
    read = (_ceiling(reader, f"ceilings[{i}]", each, parties) for i, each in enumerate(raw))
    ceilings = tuple(c for c in read if c is not None)
    notes = _notes(reader, data.get("notes"))
    if signed is not None and in_force is not None and in_force < signed:
        reader.refuse(
            Code.INVALID_DATE,
            "in_force",
            t("{field} {in_force} is before the arrangement was signed ({signed})"),
            in_force=in_force,
            signed=signed,
        )
    if in_force is not None and ended is not None and ended <= in_force:
        reader.refuse(
            Code.INVALID_DATE,
            "ended",
            t(
                "{field} {ended} is not after the day the arrangement entered into force "
                "({in_force})"
            ),
            ended=ended,
            in_force=in_force,
        )
    if reader.found:
        raise AcsaError(reader.found)
    assert signed is not None
    assert in_force is not None
    return Arrangement(
        agreement_id=agreement_id,
        reference=reference,
        title=title,
        signed=signed,
        in_force=in_force,
        ended=ended,
        payment_term_days=term,
        sides=sides,
        ceilings=ceilings,
        notes=notes,
    )


def amended(
    current: Arrangement, changes: Mapping[str, Any], parties: tuple[str, str]
) -> Arrangement:
    """``current`` with ``changes`` (fields of its document) applied, checked as a new one is;
    its reference stays (INVALID_FIELD: an arrangement under another reference is added)."""
    if "reference" in changes and changes["reference"] not in (None, current.reference):
        raise AcsaError.single(
            Code.INVALID_FIELD,
            "reference",
            "an arrangement keeps its reference ({reference}); add another for a new one",
            reference=current.reference,
        )
    doc = {**current.to_json(), **{k: v for k, v in changes.items() if k != "agreement"}}
    doc.pop("agreement", None)
    return replace(arrangement_from_doc(current.agreement_id, parties, doc), id=current.id)


def check_end(current: Arrangement, ended: date) -> None:
    """An arrangement ends after it entered into force, once."""
    if current.ended is not None:
        raise AcsaError.single(
            Code.ARRANGEMENT_ENDED,
            "ended",
            "arrangement {reference} ended on {ended} already",
            reference=current.reference,
            ended=current.ended,
        )
    limits.check_date("ended", ended)
    if ended <= current.in_force:
        raise AcsaError(
            [
                Violation(
                    Code.INVALID_DATE,
                    "ended",
                    "{field} {ended} is not after the day the arrangement entered into force "
                    "({in_force})",
                    params={"field": "ended", "ended": ended, "in_force": current.in_force},
                )
            ]
        )


# --- an order under an arrangement ------------------------------------------------------------


def not_found(reference: str, agreement_id: str) -> Violation:
    return Violation(
        Code.ARRANGEMENT_NOT_FOUND,
        "arrangement",
        "no arrangement {reference} under agreement {agreement}; see `acsa arrangements list "
        "{agreement}`",
        params={"reference": repr(reference), "agreement": agreement_id},
    )


def check_in_force(arrangement: Arrangement, day: date) -> list[Violation]:
    """ARRANGEMENT_NOT_IN_FORCE unless ``arrangement`` is in force on the order date ``day``."""
    if arrangement.in_force_on(day):
        return []
    if day < arrangement.in_force:
        template = t(
            "arrangement {reference} enters into force on {in_force}; the order is dated {day}"
        )
    else:
        template = t("arrangement {reference} ended on {ended}; the order is dated {day}")
    return [
        Violation(
            Code.ARRANGEMENT_NOT_IN_FORCE,
            "arrangement",
            template,
            params={
                "reference": arrangement.reference,
                "in_force": arrangement.in_force,
                "ended": arrangement.ended or "",
                "day": day,
            },
        )
    ]


#: Money in a currency on a day -> the same value in another currency (may raise RATE_MISSING).
Converter = Callable[[Money, str, date], Money]


def applicable(arrangement: Arrangement, party: str) -> list[ArrangementCeiling]:
    """The ceilings of ``arrangement`` on what ``party`` acquires."""
    return [c for c in arrangement.ceilings if c.party is None or c.party == party]


def counted_in(ceiling: ArrangementCeiling, year: FiscalYear, day: date) -> bool:
    """Whether an order dated ``day`` counts against ``ceiling`` in the fiscal ``year``."""
    return ceiling.period == "total" or year.start <= day <= year.end


@dataclass(frozen=True, slots=True)
class ArrangementCeilingContext:
    """What checking one order against an arrangement's ceilings needs.

    Attributes:
        arrangement: the arrangement the order names.
        party: the acquiring party (the order's requester).
        year: the party's fiscal year containing the order date.
        value: what the order adds (as requested, or as accepted).
        used: what the party's other counted orders under the arrangement hold (any date).
        convert: how to value money in a ceiling's currency.
    """

    arrangement: Arrangement
    party: str
    year: FiscalYear
    value: Acquired
    used: tuple[Acquired, ...] = ()
    convert: Converter = field(default=lambda money, _currency, _day: money)


def _in(value: Money, currency: str, on: date, convert: Converter) -> Money:
    if value.amount == 0:
        return Money.zero(currency)
    return value if value.currency == currency else convert(value, currency, on)


def ceiling_violations(context: ArrangementCeilingContext) -> list[Violation]:
    """Every ceiling of the arrangement the order would exceed (ARRANGEMENT_CEILING_EXCEEDED,
    naming what is used and left); a ceiling that cannot be judged for want of a rate gives
    the converter's violation."""
    found: list[Violation] = []
    arrangement = context.arrangement
    for ceiling in applicable(arrangement, context.party):
        try:
            limit = Money(ceiling.amount, ceiling.currency)
            this = _in(
                context.value.part(ceiling.applies_to),
                limit.currency,
                context.value.day,
                context.convert,
            )
            if this.amount == 0:
                continue
            used = Money.zero(limit.currency)
            for item in context.used:
                if counted_in(ceiling, context.year, item.day):
                    used = used + _in(
                        item.part(ceiling.applies_to), limit.currency, item.day, context.convert
                    )
        except AcsaError as exc:
            found += [v for v in exc.violations if v not in found]
            continue
        if (used + this).amount <= limit.amount:
            continue
        left = Money(max(limit.amount - used.amount, Decimal(0)), limit.currency)
        period: Term | Message = (
            Message(t("in {party} {year}"), {"party": context.party, "year": context.year.label})
            if ceiling.period == "fiscal_year"
            else Message(t("in total"), {})
        )
        found.append(
            Violation(
                Code.ARRANGEMENT_CEILING_EXCEEDED,
                "arrangement",
                "the ceiling of {limit} of arrangement {reference} on what {party} acquires "
                "would be exceeded {period}: {used} used, {left} left; this order adds {adds}",
                f"{arrangement.agreement_id} {arrangement.reference}",
                params={
                    "limit": limit,
                    "reference": arrangement.reference,
                    "party": context.party,
                    "period": period,
                    "used": used,
                    "left": left,
                    "adds": this,
                },
            )
        )
    return found
