"""The new-order form: reading it, checking it against the agreement as it is filled in, and
the refusals as a person reads them (in their language, next to the field at fault).

The form's inputs are named like the order document's fields (``activity``, ``order_date``)
and, for the lines, ``lines-<row>-<field>`` (``lines-0-category``); an input's id is its name,
so a violation's field path (``lines[0].category``) leads to the input it is about. Blank line
rows are left out of the document, so the document's line ``k`` is the ``k``-th row that holds
something; :meth:`Draft.target` maps a violation back to the row it came from.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from dataclasses import asdict, dataclass, field
from dataclasses import field as dataclass_field
from decimal import Decimal
from typing import Any

from markupsafe import Markup

from acsa.clock import today
from acsa.domain import limits
from acsa.domain.agreement import Agreement
from acsa.domain.errors import AcsaError, Code, Violation
from acsa.domain.vocabulary import ACTIVITIES, CATEGORIES
from acsa.http_status import status_of
from acsa.i18n import violation_text
from acsa.i18n.speech import N_, Speech
from acsa.schemas.orders import OrderIn, OrderOut, parse_model
from acsa.services.orders import check_document
from acsa.web.render import marked
from acsa.web.session import Visitor

# --- what the vocabulary is called ------------------------------------------------------

SETTLEMENTS: dict[str, str] = {
    "cash": N_("Cash"),
    "replacement_in_kind": N_("Replacement in kind"),
    "equal_value_exchange": N_("Equal value exchange"),
}


def activity_title(say: Speech, key: str) -> str:
    """The activity's title in the language; a key acsa does not know, as given."""
    return say(ACTIVITIES[key]) if key in ACTIVITIES else key


def category_title(say: Speech, key: str) -> str:
    return say(CATEGORIES[key][0]) if key in CATEGORIES else key


def settlement_title(say: Speech, key: str) -> str:
    return say(SETTLEMENTS[key]) if key in SETTLEMENTS else key


@dataclass(frozen=True)
class Choice:
    value: str
    label: str


def activity_choices(say: Speech) -> list[Choice]:
    return [Choice(k, activity_title(say, k)) for k in ACTIVITIES]


def category_choices(say: Speech) -> list[Choice]:
    return [Choice(k, category_title(say, k)) for k in CATEGORIES]


def settlement_choices(say: Speech) -> list[Choice]:
    return [Choice(k, settlement_title(say, k)) for k in SETTLEMENTS]


# --- refusals as a person reads them ----------------------------------------------------

#: One sentence per code, in the reader's language, shown before the detail (in the same
#: language), which names the field and the values.
SUMMARIES: dict[str, str] = {
    "AGREEMENT_NOT_IN_FORCE": N_("The agreement was not in force on the order date."),
    "PARTY_NOT_IN_AGREEMENT": N_("A nation of this order is not a party to the agreement."),
    "SAME_PARTY": N_("The requesting and the supplying nation must differ."),
    "ACTIVITY_NOT_COVERED": N_("The agreement does not cover this activity."),
    "CATEGORY_NOT_COVERED": N_("The agreement does not cover this category here."),
    "CATEGORY_EXCLUDED": N_("This category is excluded from the agreement."),
    "SETTLEMENT_METHOD_NOT_ALLOWED": N_("This settlement method is not allowed here."),
    "INVALID_QUANTITY": N_("The quantity is not valid."),
    "INVALID_PRICE": N_("The unit price is not valid."),
    "UNKNOWN_CURRENCY": N_("Not an ISO 4217 currency code."),
    "MIXED_CURRENCIES": N_("All lines must be priced in one currency."),
    "INVALID_TRANSITION": N_("This step is not possible in the order's current state."),
    "INVALID_DATE": N_("The date is not valid."),
    "INVALID_FIELD": N_("The value is not valid."),
    "MISSING_FIELD": N_("Required."),
    "UNKNOWN_PARTY": N_("Unknown nation."),
    "UNKNOWN_LINE": N_("The order has no such line."),
    "QUANTITY_EXCEEDS_ACCEPTED": N_("More than remains to be delivered."),
    "QUANTITY_EXCEEDS_DELIVERED": N_("More than was delivered and not yet received."),
    "NOTHING_TO_RECEIVE": N_("Nothing delivered is waiting for receipt."),
    "NOTHING_TO_DELIVER": N_("Nothing is left to deliver."),
    "AGREEMENT_NOT_FOUND": N_("Choose one of your nation's agreements."),
    "ORDER_NOT_FOUND": N_("No such order."),
    "IDEMPOTENCY_KEY_REUSED": N_(
        "This form was already sent with other values: reload the page to get a new form."
    ),
    "CONCURRENT_UPDATE": N_(
        "This order was changed meanwhile by someone else. The page now shows it as it "
        "stands: check it and try again."
    ),
    "FORBIDDEN": N_("Not yours to do, or the form expired: reload the page and try again."),
    "CEILING_EXCEEDED": N_("The agreement's annual ceiling would be exceeded."),
    "NOT_SETTLED": N_("The order is not settled yet."),
    "INVALID_INPUT": N_("The form could not be read."),
    "CASH_REASON_REQUIRED": N_(
        "The agreement settles supplies by return: say why they are settled in cash."
    ),
    "DETERMINATION_REQUIRED": N_(
        "This activity needs a mutual determination of the two governments: give its "
        "reference and date."
    ),
    "IN_FORCE_DATE_UNCERTAIN": N_(
        "The day the agreement entered into force is not known: confirm it was in force on "
        "the order date."
    ),
    "ACTIVITY_UNVERIFIED": N_(
        "This activity is reported covered but not verified: confirm the agreement covers it."
    ),
}

#: The warnings a person confirms on the form (rules.CONFIRMABLE), with what they confirm.
CONFIRMATIONS: dict[str, str] = {
    "IN_FORCE_DATE_UNCERTAIN": N_(
        "I confirm the agreement was in force on the order date, though the day it entered "
        "into force is not known."
    ),
    "ACTIVITY_UNVERIFIED": N_(
        "I confirm the agreement covers this activity, though acsa could not verify it "
        "against the text."
    ),
}

#: What each field of an order is called.
FIELD_NAMES: dict[str, str] = {
    "agreement": N_("Agreement"),
    "requester": N_("Requesting nation"),
    "supplier": N_("Supplying nation"),
    "activity": N_("Activity"),
    "settlement": N_("Settlement method"),
    "order_date": N_("Order date"),
    "needed_by": N_("Needed by"),
    "location": N_("Location"),
    "operation": N_("Operation"),
    "requester_unit": N_("Requesting unit"),
    "supplier_unit": N_("Supplying unit"),
    "fund_citation": N_("Fund citation"),
    "arrangement": N_("Implementing arrangement"),
    "partner_reference": N_("Partner's reference"),
    "remarks": N_("Remarks"),
    "cash_reason": N_("Reason for settling supplies in cash"),
    "determination": N_("Mutual determination (reference)"),
    "determination_date": N_("Date of the determination"),
    "hostilities": N_("Period of active hostilities"),
    "confirm": N_("Confirmed warnings"),
    "lines": N_("Lines"),
    "category": N_("Category"),
    "description": N_("Description"),
    "nsn": N_("NSN"),
    "quantity": N_("Quantity"),
    "unit": N_("Unit"),
    "unit_price": N_("Unit price"),
    "currency": N_("Currency"),
    "If-Match": N_("Version"),
    "version": N_("Version"),
    "csrf": N_("Form"),
    "status": N_("Status"),
    "reason": N_("Reason"),
    "note": N_("Note"),
    "action": N_("Action"),
    "permission": N_("Permission"),
    "order": N_("Order"),
}

LINE_FIELD = re.compile(r"^lines\[(\d+)\](?:\.(\w+))?$")


@dataclass(frozen=True)
class Problem:
    """One violation for a page: the code, where (in words), a sentence in the reader's
    language, the detail (the violation's message in the same language), the agreement's
    clause, and the id of the input it belongs to ("" for the order as a whole)."""

    code: str
    field: str
    where: str
    summary: str
    message: str
    clause: str | None
    target: str = ""
    #: The detail as the page shows it: escaped, the English data it names marked so.
    html: Markup = dataclass_field(default_factory=Markup)

    def as_json(self) -> dict[str, Any]:
        """The problem for the live check (orders.js): ``html`` is the detail escaped here,
        with what it names as written marked English, as the page itself shows it."""
        found = asdict(self)
        found["html"] = str(self.html)
        return found


def field_words(say: Speech, path: str, one_based: bool = False) -> str:
    """``lines[0].category`` as "Line 1: Category"; ``activity`` as "Activity"."""
    found = LINE_FIELD.match(path)
    if found:
        number = int(found[1]) + (0 if one_based else 1)
        name = found[2]
        if name:
            return say("Line %(n)s: %(field)s", n=number, field=say(FIELD_NAMES.get(name, name)))
        return say("Line %(n)s", n=number)
    return say(FIELD_NAMES[path]) if path in FIELD_NAMES else path


def problem(
    say: Speech, violation: Violation, target: str = "", one_based: bool = False
) -> Problem:
    code = violation.code.value
    summary = SUMMARIES.get(code)
    return Problem(
        code=code,
        field=violation.field,
        where=field_words(say, violation.field, one_based) if violation.field else "",
        summary=say(summary) if summary else "",
        message=violation_text(violation, say.lang),
        clause=violation.clause,
        target=target,
        html=marked(violation.template, violation.params, say.lang),
    )


def refusal_status(error: AcsaError) -> int:
    """The API's status for a refusal (403, 404, 409, 422, ...); a stale form is 403."""
    if any(v.code is Code.FORBIDDEN for v in error.violations):
        return 403
    return status_of(error)


# --- the form ---------------------------------------------------------------------------

TOP_FIELDS = (
    "agreement",
    "activity",
    "settlement",
    "order_date",
    "needed_by",
    "location",
    "operation",
    "requester_unit",
    "supplier_unit",
    "fund_citation",
    "arrangement",
    "partner_reference",
    "remarks",
    "cash_reason",
    "determination",
    "determination_date",
)
#: What the order attests that the form asks for as a text; blank is not given.
ATTESTED_TEXTS = ("cash_reason", "determination", "determination_date")
#: Checkboxes: the hostilities declared, and one per warning a person confirms.
HOSTILITIES = "hostilities"
CONFIRM_PREFIX = "confirm-"
OPTIONAL = frozenset(
    {
        "operation",
        "requester_unit",
        "supplier_unit",
        "fund_citation",
        "arrangement",
        "partner_reference",
    }
)
LINE_FIELDS = ("category", "description", "nsn", "quantity", "unit", "unit_price", "currency")
LINE_NAME = re.compile(r"^lines-(\d{1,4})-([a-z_]+)$")
MAX_LINES = limits.ORDER_LINES_MAX
#: No field of the form is longer than the longest text acsa takes (each field's own bound is
#: checked with the order, naming it).
MAX_TEXT = limits.NOTE_CHARS_MAX
#: Blank rows are left out; a row with only a currency or a unit is still blank.
MEANINGFUL = ("category", "description", "nsn", "quantity", "unit_price")


@dataclass(frozen=True)
class Draft:
    """The form as filled in: the order's fields, and the line rows that hold something, each
    with the row number its inputs are named by."""

    values: dict[str, str]
    rows: list[tuple[int, dict[str, str]]] = field(default_factory=list)

    def renumbered(self) -> Draft:
        """The same rows numbered 0, 1, ... (as a page shows them again)."""
        return Draft(self.values, [(i, row) for i, (_, row) in enumerate(self.rows)])

    def target(self, path: str) -> str:
        """The id of the input a violation's field is about ("" for the whole order)."""
        found = LINE_FIELD.match(path)
        if found:
            index = int(found[1])
            if index >= len(self.rows):
                return "lines"
            row = self.rows[index][0]
            name = found[2]
            return f"lines-{row}-{name}" if name in LINE_FIELDS else f"line-{row}"
        if path in ("requester", "supplier"):
            return "agreement"
        if path in TOP_FIELDS or path in ("lines", HOSTILITIES):
            return path
        return ""


def _clean(value: str) -> str:
    return value.strip()


def read_form(values: Mapping[str, str]) -> Draft:
    """The draft a form's fields describe; refused (INVALID_FIELD) when a field is longer than
    any text acsa takes."""
    too_long = [k for k, v in values.items() if len(v) > MAX_TEXT]
    if too_long:
        raise AcsaError.single(
            Code.INVALID_FIELD,
            too_long[0],
            "{name} is longer than {longest} characters; at most {most} are allowed",
            name=too_long[0],
            longest=MAX_TEXT,
            most=limits.text_bound(too_long[0].rsplit("-", 1)[-1]),
        )
    top = {k: _clean(values.get(k, "")) for k in TOP_FIELDS}
    for flag in (HOSTILITIES, *(CONFIRM_PREFIX + code for code in CONFIRMATIONS)):
        top[flag] = "on" if values.get(flag) else ""
    rows: dict[int, dict[str, str]] = {}
    for name, value in values.items():
        found = LINE_NAME.match(name)
        if found and found[2] in LINE_FIELDS:
            rows.setdefault(int(found[1]), {})[found[2]] = _clean(value)
    if len(rows) > MAX_LINES:
        raise AcsaError.single(
            Code.INVALID_INPUT, "lines", "an order holds at most {most} lines", most=MAX_LINES
        )
    kept = [
        (i, {k: row.get(k, "") for k in LINE_FIELDS})
        for i, row in sorted(rows.items())
        if any(row.get(k) for k in MEANINGFUL)
    ]
    return Draft(top, kept)


def form_of(order: OrderOut) -> Draft:
    """The form filled in with every field of ``order``: to edit a draft in place, or to fix
    a refused draft in a new one (its dates, what it attests and the warnings it confirmed
    too, so that saving it again is saving the same order)."""
    values = dict.fromkeys(TOP_FIELDS, "")
    values.update(
        agreement=order.agreement,
        activity=order.activity,
        settlement=order.settlement,
        order_date=order.order_date.isoformat(),
        needed_by=order.needed_by.isoformat(),
        location=order.location,
        operation=order.operation or "",
        requester_unit=order.requester_unit or "",
        supplier_unit=order.supplier_unit or "",
        fund_citation=order.fund_citation or "",
        arrangement=order.arrangement or "",
        partner_reference=order.partner_reference or "",
        remarks=order.remarks or "",
        cash_reason=order.cash_reason or "",
        determination=order.determination or "",
        determination_date=(
            order.determination_date.isoformat() if order.determination_date else ""
        ),
        hostilities="on" if order.hostilities else "",
    )
    values.update({CONFIRM_PREFIX + code: "on" for code in order.confirmed})
    rows = [
        (
            i,
            {
                "category": line.category,
                "description": line.description,
                "nsn": line.nsn or "",
                "quantity": plain(line.quantity),
                "unit": line.unit,
                "unit_price": plain(line.unit_price),
                "currency": line.currency,
            },
        )
        for i, line in enumerate(order.lines)
    ]
    return Draft(values, rows)


def plain(value: Decimal) -> str:
    """A decimal as an input holds it: every digit, no exponent, no grouping."""
    return format(value, "f")


def document(draft: Draft, who: Visitor, agreement: Agreement | None) -> dict[str, Any]:
    """The order document (OrderIn's shape) the draft describes; blank fields are left out so
    the checks name them as missing. The requester is the visitor's nation; the supplier the
    agreement's other party."""
    doc: dict[str, Any] = {
        "requester": who.nation,
        "supplier": agreement.partner_of(who.nation) if agreement else who.nation,
        **_top_fields(draft, agreement),
    }
    if draft.values.get(HOSTILITIES):
        doc[HOSTILITIES] = True
    confirmed = confirmed_codes(draft)
    if confirmed:
        doc["confirm"] = confirmed
    doc["lines"] = [_line_document(row) for _, row in draft.rows]
    return doc


def _top_fields(draft: Draft, agreement: Agreement | None) -> dict[str, Any]:
    """The order's own fields as filled in: the agreement's id (or what was typed, in capitals),
    None for a blank optional field, and no other blank field."""
    fields: dict[str, Any] = {}
    for name in TOP_FIELDS:
        value = draft.values.get(name, "")
        if name == "agreement":
            fields[name] = agreement.id if agreement else value.upper()
        elif value:
            fields[name] = value
        elif name in OPTIONAL:
            fields[name] = None
    return fields


def _line_document(row: Mapping[str, str]) -> dict[str, Any]:
    """A line as filled in: blank fields left out, the currency in capitals, numbers without
    grouping commas, the NSN None when blank."""
    line: dict[str, Any] = {k: v for k, v in row.items() if v}
    if "currency" in line:
        line["currency"] = line["currency"].upper()
    for number in ("quantity", "unit_price"):
        if number in line:
            line[number] = line[number].replace(",", "")
    line.setdefault("nsn", None)
    return line


def confirmed_codes(draft: Draft) -> list[str]:
    """The warnings the draft's checkboxes confirm."""
    return [code for code in CONFIRMATIONS if draft.values.get(CONFIRM_PREFIX + code)]


def chosen_agreement(
    draft: Draft, agreements: Mapping[str, Agreement]
) -> tuple[Agreement | None, Violation | None]:
    """The agreement the form names, or why there is none."""
    wanted = draft.values.get("agreement", "").strip().upper()
    if not wanted:
        return None, Violation(
            Code.MISSING_FIELD, "agreement", "choose the agreement the order is placed under"
        )
    if wanted not in agreements:
        return None, Violation(
            Code.AGREEMENT_NOT_FOUND,
            "agreement",
            "'{agreement}' is not one of your nation's agreements",
            params={"agreement": wanted},
        )
    return agreements[wanted], None


# --- checking as the form is filled in --------------------------------------------------

#: Stand-ins for fields that cannot be read yet, so the agreement's checks can still run on
#: the rest; whatever the checks then say of a stand-in is not reported.
STAND_INS: dict[str, Any] = {
    "activity": "-",
    "settlement": "cash",
    "location": "-",
    "category": "-",
    "description": "-",
    "unit": "-",
    "quantity": "1",
    "unit_price": "0",
}


def _stand_in(doc: dict[str, Any], paths: Iterable[str]) -> tuple[dict[str, Any], set[str]]:
    """``doc`` with a stand-in for every unreadable field, and the fields stood in for."""
    probe = {**doc, "lines": [dict(line) for line in doc.get("lines", [])]}
    currencies = [
        str(line["currency"]) for line in probe["lines"] if isinstance(line.get("currency"), str)
    ]
    patched: set[str] = set()
    for path in paths:
        found = LINE_FIELD.match(path)
        if found and found[2] and int(found[1]) < len(probe["lines"]):
            line, name = probe["lines"][int(found[1])], found[2]
            if name == "nsn":
                line["nsn"] = None
            elif name == "currency":
                line["currency"] = next(
                    (c for c in currencies if len(c) == 3 and c.isalpha()), "JPY"
                )
            elif name in STAND_INS:
                line[name] = STAND_INS[name]
            else:
                raise LookupError(path)
        elif path == "lines":
            probe["lines"] = [
                {
                    "category": "-",
                    "description": "-",
                    "quantity": "1",
                    "unit": "-",
                    "unit_price": "0",
                    "currency": "JPY",
                }
            ]
        elif path in ("order_date", "needed_by"):
            probe[path] = today().isoformat()
        elif path in ATTESTED_TEXTS:
            probe.pop(path, None)
        elif path in STAND_INS:
            probe[path] = STAND_INS[path]
        else:
            raise LookupError(path)
        patched.add(path)
    return probe, patched


def _stood_in(path: str, patched: set[str]) -> bool:
    if path in patched:
        return True
    if "lines" in patched and path.startswith("lines"):
        return True
    if path == "needed_by" and "order_date" in patched:
        return True
    return path == "lines" and any(p.endswith(".currency") for p in patched)


def check_draft(who: Visitor, draft: Draft, agreements: Mapping[str, Agreement]) -> list[Violation]:
    """Every violation the draft would meet on submit, as far as it can be judged yet: what
    cannot be read (missing, malformed), and what the agreement's checks say of the rest."""
    agreement, missing = chosen_agreement(draft, agreements)
    doc = document(draft, who, agreement)
    found: list[Violation] = [missing] if missing else []
    try:
        parse_model(OrderIn, doc)
        malformed: list[Violation] = []
    except AcsaError as error:
        malformed = [v for v in error.violations if v.field not in ("requester", "supplier")]
    found += malformed
    if agreement is None:
        return found
    try:
        probe, patched = _stand_in(doc, [v.field for v in malformed])
    except LookupError:
        return found
    try:
        checked = check_document(who.reader(), parse_model(OrderIn, probe))
    except AcsaError as error:
        checked = list(error.violations)
    return found + [v for v in checked if not _stood_in(v.field, patched)]
