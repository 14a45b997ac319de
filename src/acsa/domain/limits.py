"""A limit on everything: the bounds of every number, date, text and list acsa takes in.

Defined once here and checked in the domain, so that every path (the CLI, the API, the pages,
the history import and the node inbox) refuses the same input with the same code, naming the
field and the bound. Numbers are accepted only as plain ASCII decimals (``12``, ``-3.5``,
``0.25``): no exponent, no underscores, no spaces, no other scripts' digits.

The money bounds are chosen so that any amount, in the minor unit of any currency acsa knows
(three decimals at most), fits a signed 64-bit integer with room for sums: an order's value is
at most ``AMOUNT_MAX`` and a book holds far fewer than a thousand such orders' worth per account.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal, InvalidOperation
from typing import Any

from acsa.domain.errors import AcsaError, Code, Violation
from acsa.domain.messages import Message, t

#: Largest quantity on one line (requested, accepted, delivered, received, replaced).
QUANTITY_MAX = Decimal("1000000000")
#: Most decimal places of a quantity (litres to the millilitre, tonnes to the gram).
QUANTITY_DECIMALS_MAX = 6
#: Largest unit price, in major units of its currency.
PRICE_MAX = Decimal("1000000000000")
#: Largest money amount anywhere (a line's or an order's value, an invoice, a payment, an
#: exchange, a ceiling), in major units of its currency: 10^15, so that in minor units
#: (3 decimals at most) it stays below 2^63 / 1000.
AMOUNT_MAX = Decimal("1000000000000000")
#: Most decimal places any money amount may be written with (the currency then decides).
AMOUNT_DECIMALS_MAX = 3
#: Most characters of a decimal number as written (sign, digits and point).
NUMBER_CHARS_MAX = 32

#: Dates acsa takes: the first ACSA was signed in 1996; nothing is planned past 2100.
DATE_MIN = date(1990, 1, 1)
DATE_MAX = date(2100, 12, 31)

#: Text bounds, in characters (see TEXT_FIELDS for which field has which).
CODE_CHARS_MAX = 64
NAME_CHARS_MAX = 200
TEXT_CHARS_MAX = 2000
NOTE_CHARS_MAX = 4000

#: A user's profile, as the order form prints it beside a signature: full name, rank or
#: grade, position and unit (acsa.domain.profile).
PROFILE_NAME_CHARS_MAX = NAME_CHARS_MAX
RANK_CHARS_MAX = 64
POSITION_CHARS_MAX = NAME_CHARS_MAX
UNIT_NAME_CHARS_MAX = NAME_CHARS_MAX

#: Bounds of lists: lines of one order, items of one settlement, records in one request.
ORDER_LINES_MAX = 200
SETTLEMENT_LINES_MAX = 200
#: Largest page a list or search returns.
PAGE_LIMIT_MAX = 1000
#: Largest offset into a list.
PAGE_OFFSET_MAX = 10_000_000
#: Most characters of a search (the orders list's ``q``).
SEARCH_CHARS_MAX = 200
#: Largest record id (orders, invoices, tokens...): ids are 32-bit integers on PostgreSQL.
ID_MAX = 2**31 - 1

#: Request bodies: the API refuses a larger body before reading it (ACSA_MAX_BODY_BYTES).
BODY_BYTES_DEFAULT = 1024 * 1024
#: Request bodies that carry a file (a partner's book to reconcile, through the API or the
#: page): their own bound (ACSA_MAX_UPLOAD_BYTES).
UPLOAD_BYTES_DEFAULT = 64 * 1024 * 1024
#: The largest either bound may be configured to.
BODY_BYTES_CEILING = 1024 * 1024 * 1024
#: Deepest nesting of a JSON document taken in (bodies, files, the node inbox).
JSON_DEPTH_MAX = 32
#: Largest signed document a node takes from a partner (bytes), checked before it is parsed.
DOCUMENT_BYTES_MAX = 1024 * 1024
#: Source documents attached to an order or its steps (acsa.domain.attachments): the largest
#: file taken by default (bytes; ACSA_MAX_ATTACHMENT_BYTES sets another, up to the ceiling),
#: the longest original file name kept (characters, after cleaning), and the most files one
#: order may carry.
ATTACHMENT_BYTES_DEFAULT = 10 * 1024 * 1024
ATTACHMENT_BYTES_CEILING = 32 * 1024 * 1024
ATTACHMENT_NAME_CHARS_MAX = 120
ATTACHMENTS_PER_ORDER_MAX = 200
#: Approval tiers a nation may set, and orders one approval request may name.
APPROVAL_TIERS_MAX = 5
APPROVAL_BATCH_MAX = 200
#: The largest signed ``attachment`` document a node takes (the file in base64 and its
#: fields), checked before it is parsed; every other kind keeps DOCUMENT_BYTES_MAX.
ATTACHMENT_DOCUMENT_BYTES_MAX = (ATTACHMENT_BYTES_CEILING + 2) // 3 * 4 + 64 * 1024
#: Most documents one order's chain may hold (its ``seq``).
DOCUMENT_SEQ_MAX = 100_000
#: Implementing arrangements (issue 20, acsa.domain.arrangements): a reference (unique per
#: agreement), an office's address lines and each line's characters, an e-mail address
#: (RFC 5321), a telephone number, the points of contact per side, the ceilings per
#: arrangement, the payment term (days from an invoice to its due date: 1 to 365, 30 unless
#: the arrangement says otherwise) and the arrangements one agreement may hold.
ARRANGEMENT_REF_CHARS_MAX = 64
ADDRESS_LINES_MAX = 8
ADDRESS_LINE_CHARS_MAX = NAME_CHARS_MAX
ARRANGEMENT_EMAIL_CHARS_MAX = 254
PHONE_CHARS_MAX = 40
CONTACTS_MAX = 10
ARRANGEMENT_CEILINGS_MAX = 10
PAYMENT_TERM_DAYS_MAX = 365
PAYMENT_TERM_DAYS_DEFAULT = 30
ARRANGEMENTS_PER_AGREEMENT_MAX = 500

#: Sign-in and tokens (acsa.domain.sign_in): a failed sign-in's user name, as typed, is kept
#: in the audit log cut to this many characters; a client address to this many.
SIGN_IN_NAME_RECORDED_MAX = 100
SIGN_IN_ADDRESS_CHARS_MAX = 64
#: The largest any sign-in threshold (free failures, lock after N) may be configured to.
SIGN_IN_FAILURES_CEILING = 10_000
#: The longest delay between two sign-in attempts the throttle may be configured to (1 day),
#: and the longest quiet period after which failures are forgotten (30 days).
SIGN_IN_DELAY_S_CEILING = 86_400
SIGN_IN_FORGET_MINUTES_CEILING = 43_200
#: A token's lifetime: the default and the largest ACSA_TOKEN_MAX_DAYS may be set to.
TOKEN_DAYS_DEFAULT = 90
TOKEN_DAYS_CEILING = 3650
#: The server's audit checkpoints (ACSA_CHECKPOINT_INTERVAL, seconds): default, least, most.
CHECKPOINT_INTERVAL_S_DEFAULT = 3600
CHECKPOINT_INTERVAL_S_MIN = 10
CHECKPOINT_INTERVAL_S_MAX = 7 * 86_400
#: Notices (issue 20, acsa.domain.notices): an event's key, its subject, its roles (comma
#: list), its parameters (how many, each value's characters), the inbox's page.
NOTICE_KEY_CHARS_MAX = 200
NOTICE_SUBJECT_CHARS_MAX = 200
NOTICE_ROLES_CHARS_MAX = 100
NOTICE_PARAMS_MAX = 16
NOTICE_PARAM_CHARS_MAX = 200
NOTICE_PAGE_MAX = 200
#: The scheduler (ACSA_ALERTS_INTERVAL, seconds; 0 is off): default, least (when on), most;
#: its lease lasts LEASE_FACTOR intervals; the daily sweep's hour (ACSA_SWEEP_HOUR, UTC).
ALERTS_INTERVAL_S_DEFAULT = 60
ALERTS_INTERVAL_S_MIN = 1
ALERTS_INTERVAL_S_MAX = 86_400
ALERTS_LEASE_FACTOR = 3
SWEEP_HOUR_DEFAULT = 2
SWEEP_HOUR_MAX = 23
#: A scheduler's holder name (host, process, random), in characters.
SCHEDULER_HOLDER_CHARS_MAX = 200

#: Notices by e-mail and webhook (issue 20, acsa.domain.notice_delivery): an address (RFC 5321:
#: 254 characters, 64 before the @), a webhook's address and its key (HMAC-SHA256; made by acsa,
#: or given of at least WEBHOOK_SECRET_CHARS_MIN), the kinds one webhook may pick, webhooks per
#: nation, the SMTP relay's and the public address's length; a delivery's attempts (then it is
#: abandoned), the first retry's delay (each next one 4 times longer), how long a claimed delivery
#: is held before another runner may take it back, the deliveries one pass sends, how far back a
#: pass looks for new notices, the notices one digest lists, the error kept per attempt, the
#: seconds a send may take, and the hour of the daily digest (UTC).
EMAIL_CHARS_MAX = 254
EMAIL_LOCAL_CHARS_MAX = 64
WEBHOOK_URL_CHARS_MAX = 500
WEBHOOK_SECRET_CHARS_MIN = 16
WEBHOOK_SECRET_CHARS_MAX = 128
WEBHOOK_KINDS_MAX = 32
WEBHOOKS_PER_NATION_MAX = 20
SMTP_URL_CHARS_MAX = 500
#: A file's path acsa takes from the environment (ACSA_SMTP_CA_FILE).
PATH_CHARS_MAX = 4096
PUBLIC_URL_CHARS_MAX = 500
DELIVERY_ATTEMPTS_MAX = 6
DELIVERY_RETRY_FIRST_S = 30
DELIVERY_RETRY_FACTOR = 4
DELIVERY_LEASE_S = 600
DELIVERY_BATCH_MAX = 200
DELIVERY_PLAN_DAYS = 7
DIGEST_NOTICES_MAX = 200
DELIVERY_ERROR_CHARS_MAX = 1000
DELIVERY_TIMEOUT_S = 10
DIGEST_HOUR_DEFAULT = 7
DIGEST_HOUR_MAX = 23

#: A nation's general-ledger mapping and journal (issue 20, acsa.domain.gl_mapping): a ledger
#: code's characters, the rules of one nation, the bytes of a rules file imported, and the
#: entries one journal export takes (a ``--new`` export stops there; the next goes on).
GL_CODE_CHARS_MAX = 40
GL_RULES_MAX = 2000
GL_IMPORT_BYTES_MAX = 1024 * 1024
JOURNAL_ENTRIES_MAX = 100_000

#: Per text field: its bound in characters. A field not listed here is bounded by
#: TEXT_CHARS_MAX.
TEXT_FIELDS: dict[str, int] = {
    "agreement_id": CODE_CHARS_MAX,
    "activity": CODE_CHARS_MAX,
    "category": CODE_CHARS_MAX,
    "settlement": CODE_CHARS_MAX,
    "unit": 32,
    "nsn": 32,
    "currency": 3,
    "uid": 36,
    "number": 40,
    "actor": NAME_CHARS_MAX,
    "name": NAME_CHARS_MAX,
    "title": NAME_CHARS_MAX,
    "location": NAME_CHARS_MAX,
    "operation": NAME_CHARS_MAX,
    "requester_unit": NAME_CHARS_MAX,
    "supplier_unit": NAME_CHARS_MAX,
    "fund_citation": NAME_CHARS_MAX,
    "partner_reference": NAME_CHARS_MAX,
    "reference": NAME_CHARS_MAX,
    "agreed_by": NAME_CHARS_MAX,
    "description": TEXT_CHARS_MAX,
    "reason": TEXT_CHARS_MAX,
    "note": NOTE_CHARS_MAX,
    "remarks": NOTE_CHARS_MAX,
    "valuation_note": NOTE_CHARS_MAX,
    "receipt_note": NOTE_CHARS_MAX,
    "exchanged_for": TEXT_CHARS_MAX,
    "agreement": CODE_CHARS_MAX,
    "order_ref": CODE_CHARS_MAX,
    "invoice": 40,
    "invoice_number": 40,
    "payment_reference": NAME_CHARS_MAX,
    "id": CODE_CHARS_MAX,
    "order": CODE_CHARS_MAX,
    "issuer": 3,
    "recipient": 3,
    "requester": 3,
    "supplier": 3,
    "party": 3,
    "partner": 3,
    "cash_reason": TEXT_CHARS_MAX,
    "determination": NAME_CHARS_MAX,
    "q": SEARCH_CHARS_MAX,
    "file_name": ATTACHMENT_NAME_CHARS_MAX,
    "media_type": 80,
    "step": 60,
    "step_ref": 40,
    "comment": TEXT_CHARS_MAX,
    "dispute": 40,
    "ground": CODE_CHARS_MAX,
    "resolution": CODE_CHARS_MAX,
    "evidence": 64,
    "arrangement": ARRANGEMENT_REF_CHARS_MAX,
    "address": ADDRESS_LINE_CHARS_MAX,
    "phone": PHONE_CHARS_MAX,
    "position": POSITION_CHARS_MAX,
}

#: Text fields that may span lines (tab, line feed and carriage return allowed).
MULTILINE_FIELDS = frozenset(
    {
        "description",
        "reason",
        "note",
        "remarks",
        "valuation_note",
        "receipt_note",
        "notes",
        "cash_reason",
        "comment",
    }
)
#: A JSON Schema pattern for single-line text: no control characters (documents the rule in the
#: OpenAPI document; the check itself is text_violation).
SINGLE_LINE_PATTERN = r"^[^\x00-\x1f\x7f-\x9f]*$"
MULTILINE_PATTERN = r"^[^\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f]*$"

_PLAIN_DECIMAL = re.compile(r"-?[0-9]+(\.[0-9]+)?")
#: C0 and C1 control characters and DEL; tab, line feed and carriage return are allowed in
#: multi-line text only.
_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f]")
_CONTROL_SINGLE_LINE = re.compile(r"[\x00-\x1f\x7f-\x9f]")


@dataclass(frozen=True, slots=True)
class NumberBound:
    """The bounds of one kind of number: largest value, most decimal places, and whether zero
    is allowed (no number acsa takes may be negative)."""

    maximum: Decimal
    decimals: int
    zero: bool = False

    def rule(self) -> Message:
        if self.zero:
            template = t("0 to {most}, at most {decimals} decimal places")
        else:
            template = t("more than 0 to {most}, at most {decimals} decimal places")
        return Message(template, {"most": self.maximum, "decimals": self.decimals})


#: A quantity ordered, delivered or returned; QUANTITY_OR_ZERO: accepted or received.
QUANTITY = NumberBound(QUANTITY_MAX, QUANTITY_DECIMALS_MAX)
QUANTITY_OR_ZERO = NumberBound(QUANTITY_MAX, QUANTITY_DECIMALS_MAX, zero=True)
#: A unit price (a free item costs 0).
PRICE = NumberBound(PRICE_MAX, AMOUNT_DECIMALS_MAX, zero=True)
#: A money amount: an invoice, a payment, an exchange's value, a ceiling.
AMOUNT = NumberBound(AMOUNT_MAX, AMOUNT_DECIMALS_MAX)
#: An arrangement's payment term, in whole days.
PAYMENT_TERM_DAYS = NumberBound(Decimal(PAYMENT_TERM_DAYS_MAX), 0)


def text_bound(field: str) -> int:
    """The bound in characters of the text field named ``field`` (its last path segment:
    ``lines[0].description``, ``row 7: location``)."""
    return TEXT_FIELDS.get(_name(field), TEXT_CHARS_MAX)


def _name(field: str) -> str:
    return field.rsplit(".", 1)[-1].split("[", 1)[0].rsplit(": ", 1)[-1]


def is_multiline(field: str) -> bool:
    return _name(field) in MULTILINE_FIELDS


def text_violation(
    field: str, value: str, *, multiline: bool | None = None, bound: int | None = None
) -> Violation | None:
    """Why ``value`` cannot be the text of ``field`` (too long, or a control character), or
    None when it can. Multi-line fields (MULTILINE_FIELDS) may hold tabs and line breaks."""
    if multiline is None:
        multiline = is_multiline(field)
    if bound is None:
        bound = text_bound(field)
    if len(value) > bound:
        return Violation(
            Code.INVALID_FIELD,
            field,
            "{field} is {length} characters long; at most {most} are allowed",
            params={"field": field, "length": len(value), "most": bound},
        )
    pattern = _CONTROL if multiline else _CONTROL_SINGLE_LINE
    found = pattern.search(value)
    if found is not None:
        return Violation(
            Code.INVALID_FIELD,
            field,
            "{field} holds the control character {character} at position {position}; text "
            "may not hold control characters",
            params={
                "field": field,
                "character": f"U+{ord(found.group()):04X}",
                "position": found.start(),
            },
        )
    return None


def check_text(field: str, value: str, *, multiline: bool | None = None) -> str:
    """``value`` when it is a valid text for ``field``; else INVALID_FIELD naming the bound."""
    violation = text_violation(field, value, multiline=multiline)
    if violation is not None:
        raise AcsaError([violation])
    return value


def text_violations(fields: Iterable[tuple[str, str | None]]) -> list[Violation]:
    """Every text of ``fields`` (name, value; None is no text) that is too long or holds a
    control character."""
    found = (text_violation(name, value) for name, value in fields if value is not None)
    return [v for v in found if v is not None]


def json_text_violations(value: object, where: str = "") -> list[Violation]:
    """Every string (keys too) in a parsed JSON value holding a control character other than
    tab and line breaks, by its path; for documents checked as a whole (agreement files)."""
    found: list[Violation] = []
    stack: list[tuple[object, str]] = [(value, where)]
    while stack:
        item, path = stack.pop()
        if isinstance(item, str):
            violation = text_violation(path or "document", item, multiline=True, bound=10**9)
            if violation is not None:
                found.append(violation)
        elif isinstance(item, dict):
            for key, child in item.items():
                name = f"{path}.{key}" if path else str(key)
                stack.append((str(key), f"{name} (its name)"))
                stack.append((child, name))
        elif isinstance(item, list | tuple):
            stack.extend((child, f"{path}[{i}]") for i, child in enumerate(item))
    return sorted(found, key=lambda v: v.field)


def decimal_violation(
    field: str, value: object, code: Code
) -> tuple[Decimal | None, Violation | None]:
    """Parse ``value`` as a plain ASCII decimal (``12``, ``-3.5``, ``0.25``; a str, an int or a
    finite Decimal) of at most NUMBER_CHARS_MAX characters, whatever its size: (the number,
    None), or (None, the violation under ``code`` naming the field and the rule). The form
    only: ``number_violation`` judges the bounds."""
    try:
        return _plain_decimal(value), None
    except _NotDecimalError as broken:
        return None, Violation(
            code, field, broken.template, params={"field": field, **broken.params}
        )


class _NotDecimalError(Exception):
    """The rule a value breaks on its way to a decimal (caught by decimal_violation): a
    message id naming the value ``{field}`` and its parameters."""

    def __init__(self, template: str, **params: object) -> None:
        super().__init__(template)
        self.template = template
        self.params = params


def _plain_decimal(value: object) -> Decimal:
    """``value`` as a decimal (zero without its sign), or _NotDecimalError with the rule broken."""
    text = _decimal_text(value)
    if len(text) > NUMBER_CHARS_MAX:
        raise _NotDecimalError(
            t("{field} is {length} characters long; a number has at most {most}"),
            length=len(text),
            most=NUMBER_CHARS_MAX,
        )
    if not _PLAIN_DECIMAL.fullmatch(text):
        raise _NotDecimalError(
            t(
                "{field} {value} is not a plain decimal number (ASCII digits, an optional '-' "
                "and '.'; no exponent, spaces, underscores or other digits)"
            ),
            value=repr(text[:40]),
        )
    try:
        number = Decimal(text)
    except InvalidOperation:  # pragma: no cover - the pattern admits only valid decimals
        raise _NotDecimalError(t("{field} is not a decimal number")) from None
    return number.copy_abs() if number.is_zero() else number


def _decimal_text(value: object) -> str:
    """The text to read a decimal from: a str as it is, an int or a finite Decimal written
    out (an int too long to write stands as one digit too many)."""
    if isinstance(value, bool | float):
        raise _NotDecimalError(
            t("{field} must be an exact decimal written as a string, not {value}"),
            value=repr(value),
        )
    if isinstance(value, int):
        return str(value) if abs(value) < 10**NUMBER_CHARS_MAX else "9" * (NUMBER_CHARS_MAX + 1)
    if isinstance(value, Decimal):
        if not value.is_finite():
            raise _NotDecimalError(t("{field} must be a finite number"))
        if value.adjusted() > NUMBER_CHARS_MAX or value.adjusted() < -NUMBER_CHARS_MAX:
            raise _NotDecimalError(
                t("{field} is {value}; a number has at most {most} characters"),
                value=str(value),
                most=NUMBER_CHARS_MAX,
            )
        return format(value, "f")
    if isinstance(value, str):
        return value
    raise _NotDecimalError(t("{field} must be a decimal number"))


def number_violation(
    field: str, value: object, bound: NumberBound, code: Code
) -> tuple[Decimal | None, Violation | None]:
    """Parse ``value`` as a plain ASCII decimal within ``bound``: (the number, None), or
    (None, the violation under ``code`` naming the field and the rule)."""
    number, violation = decimal_violation(field, value, code)
    if violation is not None or number is None:
        return None, violation

    def refuse(template: str, **params: object) -> tuple[Decimal | None, Violation | None]:
        return None, Violation(code, field, template, params={"field": field, **params})

    if number < 0 or (number == 0 and not bound.zero):
        if bound.zero:
            return refuse(t("{field} is {number}; it must be 0 or more"), number=number)
        return refuse(t("{field} is {number}; it must be more than 0"), number=number)
    places = -int(number.as_tuple().exponent)
    if places > bound.decimals:
        return refuse(
            t("{field} has {places} decimal places; at most {most} are allowed"),
            places=places,
            most=bound.decimals,
        )
    if number > bound.maximum:
        return refuse(
            t("{field} is {number}; at most {most} is allowed"),
            number=number,
            most=bound.maximum,
        )
    return number, None


def check_number(field: str, value: object, bound: NumberBound, code: Code) -> Decimal:
    """The number ``value`` within ``bound``, or an AcsaError under ``code``."""
    number, violation = number_violation(field, value, bound, code)
    if violation is not None or number is None:
        raise AcsaError(
            [
                violation
                or Violation(code, field, "{field} is not a number", params={"field": field})
            ]
        )
    return number


def date_violation(field: str, value: date) -> Violation | None:
    """Why ``value`` is outside the dates acsa takes, or None."""
    if DATE_MIN <= value <= DATE_MAX:
        return None
    return Violation(
        Code.INVALID_DATE,
        field,
        "{field} {day} is outside the dates acsa takes ({first} to {last})",
        params={"field": field, "day": value, "first": DATE_MIN, "last": DATE_MAX},
    )


def check_date(field: str, value: date) -> date:
    """``value`` when it lies between DATE_MIN and DATE_MAX; else INVALID_DATE."""
    violation = date_violation(field, value)
    if violation is not None:
        raise AcsaError([violation])
    return value


def count_violation(field: str, count: int, maximum: int) -> Violation | None:
    """Why a list of ``count`` items is too long for ``field``, or None."""
    if count <= maximum:
        return None
    return Violation(
        Code.INVALID_FIELD,
        field,
        "{field} has {count} items; at most {most} are allowed",
        params={"field": field, "count": count, "most": maximum},
    )


def check_count(field: str, count: int, maximum: int) -> None:
    """Refuse a list of more than ``maximum`` items with INVALID_FIELD."""
    violation = count_violation(field, count, maximum)
    if violation is not None:
        raise AcsaError([violation])


def choice_violation(field: str, value: str, options: Sequence[str]) -> Violation | None:
    """Why ``value`` is not one of ``options`` for ``field`` (a sort column, a direction), or
    None."""
    if value in options:
        return None
    return Violation(
        Code.INVALID_FIELD,
        field,
        "{field} {value} is not one of: {options}",
        params={"field": field, "value": repr(value[:40]), "options": tuple(options)},
    )


def page_violations(limit: int | None, offset: int) -> list[Violation]:
    """Why a page of ``limit`` items (None: all) from ``offset`` cannot be asked for: a limit
    from 1 to PAGE_LIMIT_MAX, an offset from 0 to PAGE_OFFSET_MAX."""
    found = []
    if limit is not None and not 1 <= limit <= PAGE_LIMIT_MAX:
        found.append(
            Violation(
                Code.INVALID_FIELD,
                "limit",
                "limit {limit} is not from 1 to {most}",
                params={"limit": limit, "most": Decimal(PAGE_LIMIT_MAX)},
            )
        )
    if not 0 <= offset <= PAGE_OFFSET_MAX:
        found.append(
            Violation(
                Code.INVALID_FIELD,
                "offset",
                "offset {offset} is not from 0 to {most}",
                params={"offset": offset, "most": Decimal(PAGE_OFFSET_MAX)},
            )
        )
    return found


_LINE_NUMBER = re.compile(r"[1-9][0-9]{0,8}")
_ISO_DAY = re.compile(r"[0-9]{4}-[0-9]{2}-[0-9]{2}")


def parse_date(field: str, value: object) -> date:
    """A date given as ISO ``YYYY-MM-DD`` text (or a date) between DATE_MIN and DATE_MAX;
    anything else (``0``, ``2026-1-5``, a timestamp) is INVALID_DATE naming the field."""
    if isinstance(value, datetime):
        value = value.date()
    if isinstance(value, date):
        return check_date(field, value)
    if not isinstance(value, str) or not _ISO_DAY.fullmatch(value):
        shown = repr(value)[:40]
        raise AcsaError(
            [
                Violation(
                    Code.INVALID_DATE,
                    field,
                    "{field} {value} is not a date written YYYY-MM-DD",
                    params={"field": field, "value": shown},
                )
            ]
        )
    try:
        day = date.fromisoformat(value)
    except ValueError:
        raise AcsaError(
            [
                Violation(
                    Code.INVALID_DATE,
                    field,
                    "{field} {value} is not a day of the calendar",
                    params={"field": field, "value": repr(value)},
                )
            ]
        ) from None
    return check_date(field, day)


def line_quantities(
    field: str,
    given: Mapping[Any, object] | Sequence[tuple[object, object]] | None,
    bound: NumberBound,
) -> dict[int, Decimal] | None:
    """Per-line quantities from a map of line number to quantity (a JSON object, a document's
    body, the CLI's ``--line``): each key a plain line number (``1``, not ``01``, `` 1`` or
    ``1.0``), at most ORDER_LINES_MAX of them, each value a plain decimal within ``bound``;
    every problem at once, INVALID_FIELD for keys and INVALID_QUANTITY for values. Given as
    (key, value) pairs, a line given twice is refused too."""
    if given is None:
        return None
    if isinstance(given, Mapping):
        pairs: list[tuple[object, object]] = list(given.items())
    elif isinstance(given, list | tuple) and all(
        isinstance(p, tuple) and len(p) == 2 for p in given
    ):
        pairs = list(given)
    else:
        raise AcsaError(
            [
                Violation(
                    Code.INVALID_FIELD,
                    field,
                    "{field} must map line numbers to quantities",
                    params={"field": field},
                )
            ]
        )
    errors: list[Violation] = []
    too_many = count_violation(field, len(pairs), ORDER_LINES_MAX)
    if too_many is not None:
        raise AcsaError([too_many])
    found: dict[int, Decimal] = {}
    for key, value in pairs:
        text = str(key) if isinstance(key, int) and not isinstance(key, bool) else key
        if not isinstance(text, str) or not _LINE_NUMBER.fullmatch(text):
            errors.append(
                Violation(
                    Code.INVALID_FIELD,
                    f"{field}[{str(key)[:20]!r}]",
                    "{field}: {key} is not a line number; write line numbers as plain whole "
                    "numbers from 1 to {most}",
                    params={"field": field, "key": repr(str(key)[:20]), "most": ORDER_LINES_MAX},
                )
            )
            continue
        number = int(text)
        if number in found:
            errors.append(
                Violation(
                    Code.INVALID_FIELD,
                    f"{field}[{number}]",
                    "{field}: line {line} is given twice; give each line once",
                    params={"field": field, "line": number},
                )
            )
            continue
        name = f"{field}[{number}].quantity"
        quantity, violation = number_violation(name, value, bound, Code.INVALID_QUANTITY)
        if violation is not None or quantity is None:
            errors.append(
                violation
                or Violation(
                    Code.INVALID_QUANTITY, name, "{field} is not a number", params={"field": name}
                )
            )
            continue
        found[number] = quantity
    if errors:
        raise AcsaError(errors)
    return found


_JSON_STRING = re.compile(rb'"(?:[^"\\]|\\.)*"', re.DOTALL)
_JSON_BRACKET = re.compile(rb"[\[\]{}]")


def json_text_depth(data: bytes, limit: int = JSON_DEPTH_MAX) -> int:
    """The nesting depth of JSON text, counted before it is parsed (a parser recurses and fails
    on deep enough text): brackets outside strings; stops once past ``limit`` (limit + 1)."""
    depth = deepest = 0
    for found in _JSON_BRACKET.finditer(_JSON_STRING.sub(b'""', data)):
        if found.group() in (b"[", b"{"):
            depth += 1
            if depth > deepest:
                deepest = depth
                if deepest > limit:
                    return limit + 1
        else:
            depth -= 1
    return deepest


def json_depth(value: object, limit: int = JSON_DEPTH_MAX) -> int:
    """The nesting depth of a parsed JSON value, counted without recursion; stops counting
    once past ``limit`` (returns limit + 1)."""
    deepest = 0
    stack: list[tuple[object, int]] = [(value, 1)]
    while stack:
        item, depth = stack.pop()
        if isinstance(item, dict | list):
            deepest = max(deepest, depth)
            if deepest > limit:
                return limit + 1
            children = item.values() if isinstance(item, dict) else item
            stack.extend((child, depth + 1) for child in children)
    return deepest
