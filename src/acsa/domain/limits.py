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
from dataclasses import dataclass
from datetime import date
from decimal import Decimal, InvalidOperation

from acsa.domain.errors import AcsaError, Code, Violation

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

#: Bounds of lists: lines of one order, items of one settlement, records in one request.
ORDER_LINES_MAX = 200
SETTLEMENT_LINES_MAX = 200
#: Largest page a list or search returns.
PAGE_LIMIT_MAX = 1000
#: Largest offset into a list.
PAGE_OFFSET_MAX = 10_000_000

#: Request bodies: the API refuses a larger body before reading it (ACSA_MAX_BODY_BYTES).
BODY_BYTES_DEFAULT = 1024 * 1024
#: Deepest nesting of a JSON document taken in (bodies, files, the node inbox).
JSON_DEPTH_MAX = 32

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
}

_PLAIN_DECIMAL = re.compile(r"-?[0-9]+(\.[0-9]+)?")
#: C0 and C1 control characters and DEL; tab, line feed and carriage return are allowed in
#: multi-line text only.
_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f]")
_CONTROL_SINGLE_LINE = re.compile(r"[\x00-\x1f\x7f-\x9f]")


@dataclass(frozen=True, slots=True)
class NumberBound:
    """The bounds of one kind of number: largest absolute value and most decimal places."""

    maximum: Decimal
    decimals: int
    positive: bool = True


QUANTITY = NumberBound(QUANTITY_MAX, QUANTITY_DECIMALS_MAX)
PRICE = NumberBound(PRICE_MAX, AMOUNT_DECIMALS_MAX, positive=False)
AMOUNT = NumberBound(AMOUNT_MAX, AMOUNT_DECIMALS_MAX)


def text_bound(field: str) -> int:
    """The bound in characters of the text field named ``field`` (its last path segment)."""
    name = field.rsplit(".", 1)[-1].split("[", 1)[0]
    return TEXT_FIELDS.get(name, TEXT_CHARS_MAX)


def text_violation(field: str, value: str, *, multiline: bool = False) -> Violation | None:
    """Why ``value`` cannot be the text of ``field`` (too long, or a control character), or
    None when it can."""
    bound = text_bound(field)
    if len(value) > bound:
        return Violation(
            Code.INVALID_FIELD,
            field,
            f"{field} is {len(value)} characters long; at most {bound} are allowed",
        )
    pattern = _CONTROL if multiline else _CONTROL_SINGLE_LINE
    found = pattern.search(value)
    if found is not None:
        return Violation(
            Code.INVALID_FIELD,
            field,
            f"{field} holds the control character U+{ord(found.group()):04X} at position "
            f"{found.start()}; text may not hold control characters",
        )
    return None


def check_text(field: str, value: str, *, multiline: bool = False) -> str:
    """``value`` when it is a valid text for ``field``; else INVALID_FIELD naming the bound."""
    violation = text_violation(field, value, multiline=multiline)
    if violation is not None:
        raise AcsaError([violation])
    return value


def number_violation(
    field: str, value: object, bound: NumberBound, code: Code
) -> tuple[Decimal | None, Violation | None]:
    """Parse ``value`` as a plain ASCII decimal within ``bound``: (the number, None), or
    (None, the violation under ``code`` naming the field and the rule)."""

    def refuse(rule: str) -> tuple[Decimal | None, Violation | None]:
        return None, Violation(code, field, f"{field} {rule}")

    if isinstance(value, bool | float):
        return refuse(f"must be an exact decimal written as a string, not {value!r}")
    if isinstance(value, int):
        text = str(value)
    elif isinstance(value, Decimal):
        if not value.is_finite():
            return refuse("must be a finite number")
        text = format(value, "f")
    elif isinstance(value, str):
        text = value
    else:
        return refuse("must be a decimal number")
    if len(text) > NUMBER_CHARS_MAX:
        return refuse(f"is {len(text)} characters long; a number has at most {NUMBER_CHARS_MAX}")
    if not _PLAIN_DECIMAL.fullmatch(text):
        return refuse(
            f"{text[:40]!r} is not a plain decimal number (ASCII digits, an optional '-' and "
            "'.'; no exponent, spaces, underscores or other digits)"
        )
    try:
        number = Decimal(text)
    except InvalidOperation:  # pragma: no cover - the pattern admits only valid decimals
        return refuse("is not a decimal number")
    places = -int(number.as_tuple().exponent)
    if places > bound.decimals:
        return refuse(f"has {places} decimal places; at most {bound.decimals} are allowed")
    if bound.positive and number <= 0:
        return refuse("must be greater than zero")
    if abs(number) > bound.maximum:
        return refuse(f"is {text}; at most {bound.maximum:,} is allowed")
    return number, None


def check_number(field: str, value: object, bound: NumberBound, code: Code) -> Decimal:
    """The number ``value`` within ``bound``, or an AcsaError under ``code``."""
    number, violation = number_violation(field, value, bound, code)
    if violation is not None or number is None:
        raise AcsaError([violation or Violation(code, field, f"{field} is not a number")])
    return number


def date_violation(field: str, value: date) -> Violation | None:
    """Why ``value`` is outside the dates acsa takes, or None."""
    if DATE_MIN <= value <= DATE_MAX:
        return None
    return Violation(
        Code.INVALID_DATE,
        field,
        f"{field} {value.isoformat()} is outside the dates acsa takes "
        f"({DATE_MIN.isoformat()} to {DATE_MAX.isoformat()})",
    )


def check_date(field: str, value: date) -> date:
    """``value`` when it lies between DATE_MIN and DATE_MAX; else INVALID_DATE."""
    violation = date_violation(field, value)
    if violation is not None:
        raise AcsaError([violation])
    return value


def check_count(field: str, count: int, maximum: int) -> None:
    """Refuse a list of more than ``maximum`` items with INVALID_FIELD."""
    if count > maximum:
        raise AcsaError.single(
            Code.INVALID_FIELD, field, f"{field} has {count} items; at most {maximum} are allowed"
        )


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
