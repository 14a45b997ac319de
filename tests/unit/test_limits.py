"""The bounds of ``acsa.domain.limits``: numbers only as plain bounded ASCII decimals, dates in
range and ISO only, texts bounded and free of control characters, line maps with plain keys;
and the domain's steps (place, accept, deliver, receive, invoice, pay, replace, exchange)
refusing what is out of bounds, whichever path the input came by."""

from __future__ import annotations

import string
from dataclasses import replace
from datetime import UTC, date, datetime
from decimal import Decimal

import pytest
from hypothesis import given
from hypothesis import strategies as st

from acsa.domain import limits
from acsa.domain.errors import AcsaError, Code
from acsa.domain.money import from_minor, to_minor
from acsa.domain.rules import validate_lines
from acsa.schemas.orders import OrderIn, order_from_doc, parse_model
from tests.orders_data import order_doc, with_line

AT = datetime(2026, 10, 1, 12, tzinfo=UTC)

#: The inputs issue 13 found taken as numbers, and more of the same kinds.
NOT_PLAIN = [
    "1e28",
    "1E5",
    "9" * 41,
    "1e309",
    "١٢٣",
    "１２",
    "1_000",
    " 5 ",
    "5 ",
    "1.00000000000000000000000000000000000000001",
    "NaN",
    "Infinity",
    "-Infinity",
    "0x10",
    "1,000",
    "",
    "5.",
    ".5",
    "+5",
    "--5",
    "5\x00",
    "٥",
    "𝟓",
]


@pytest.mark.parametrize("text", NOT_PLAIN)
@pytest.mark.parametrize(
    ("bound", "code"),
    [
        (limits.QUANTITY, Code.INVALID_QUANTITY),
        (limits.PRICE, Code.INVALID_PRICE),
        (limits.AMOUNT, Code.INVALID_AMOUNT),
    ],
)
def test_anything_but_a_plain_decimal_is_refused_naming_the_field(text, bound, code):
    number, violation = limits.number_violation("lines[0].quantity", text, bound, code)
    assert number is None
    assert violation is not None
    assert violation.code is code
    assert violation.field == "lines[0].quantity"
    assert violation.message.startswith("lines[0].quantity ")


@pytest.mark.parametrize(
    ("value", "bound", "rule"),
    [
        ("1000000001", limits.QUANTITY, "at most 1,000,000,000"),
        ("1000000000000000000", limits.QUANTITY, "at most 1,000,000,000"),
        ("0.0000001", limits.QUANTITY, "at most 6 are allowed"),
        ("0", limits.QUANTITY, "more than 0"),
        ("-5", limits.QUANTITY, "more than 0"),
        ("-1", limits.QUANTITY_OR_ZERO, "0 or more"),
        ("100000000000000000000", limits.PRICE, "at most 1,000,000,000,000"),
        ("1.0001", limits.PRICE, "at most 3 are allowed"),
        ("1000000000000000.01", limits.AMOUNT, "at most 1,000,000,000,000,000"),
        ("0", limits.AMOUNT, "more than 0"),
    ],
)
def test_numbers_outside_their_bound_are_refused_naming_the_bound(value, bound, rule):
    _, violation = limits.number_violation("x", value, bound, Code.INVALID_AMOUNT)
    assert violation is not None
    assert rule in violation.message


@pytest.mark.parametrize(
    "value", [1.5, float("inf"), float("nan"), True, None, [1], {"1": 2}, Decimal("Infinity")]
)
def test_floats_and_other_types_are_not_numbers(value):
    _, violation = limits.number_violation("x", value, limits.AMOUNT, Code.INVALID_AMOUNT)
    assert violation is not None


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("12", Decimal(12)),
        ("0.25", Decimal("0.25")),
        (7, Decimal(7)),
        (Decimal("2.5"), Decimal("2.5")),
    ],
)
def test_plain_decimals_within_bounds_are_taken_exactly(value, expected):
    assert limits.check_number("x", value, limits.QUANTITY, Code.INVALID_QUANTITY) == expected


@given(st.text(max_size=40))
def test_any_string_that_is_not_a_plain_bounded_decimal_is_refused(text):
    number, violation = limits.number_violation("x", text, limits.AMOUNT, Code.INVALID_AMOUNT)
    plain = (
        bool(text)
        and all(c in string.digits + "." for c in text)
        and text.count(".") <= 1
        and not text.startswith(".")
        and not text.endswith(".")
    )
    if not plain:
        assert number is None
        assert violation is not None
        return
    exact = Decimal(text)
    in_bounds = (
        0 < exact <= limits.AMOUNT_MAX
        and -exact.as_tuple().exponent <= limits.AMOUNT_DECIMALS_MAX  # type: ignore[operator]
        and len(text) <= limits.NUMBER_CHARS_MAX
    )
    assert (violation is None) == in_bounds, (text, violation)
    if in_bounds:
        assert number == exact


@given(
    st.integers(min_value=1, max_value=10**15 * 1000).map(lambda n: Decimal(n).scaleb(-3)),
    st.sampled_from(["KWD", "USD", "JPY"]),
)
def test_any_accepted_amount_round_trips_exactly_through_minor_units(amount, currency):
    text = format(amount, "f")
    taken, violation = limits.number_violation("amount", text, limits.AMOUNT, Code.INVALID_AMOUNT)
    if violation is not None:
        assert amount > limits.AMOUNT_MAX
        return
    assert taken == amount
    places = {"KWD": 3, "USD": 2, "JPY": 0}[currency]
    if amount == amount.quantize(Decimal(1).scaleb(-places)):
        minor = to_minor(taken, currency)
        assert minor <= 10**18  # a signed 64-bit integer holds nine such amounts
        assert 9 * minor < 2**63
        assert from_minor(minor, currency) == amount


@pytest.mark.parametrize(
    "value",
    [
        *("0", 0, "9999-12-31", "0001-01-01", "1970-01-01", "1989-12-31", "2101-01-01"),
        *("2026-02-30", "2026-1-5", "20261005", "2026-10-05T00:00:00", " 2026-10-05", ""),
        *(None, 20261005),
    ],
)
def test_dates_outside_the_range_or_not_iso_are_refused(value):
    with pytest.raises(AcsaError) as refused:
        limits.parse_date("order_date", value)
    [violation] = refused.value.violations
    assert (violation.code, violation.field) == (Code.INVALID_DATE, "order_date")


def test_the_range_of_dates_is_inclusive():
    assert limits.parse_date("d", "1990-01-01") == limits.DATE_MIN
    assert limits.parse_date("d", "2100-12-31") == limits.DATE_MAX
    assert limits.parse_date("d", date(2026, 1, 1)) == date(2026, 1, 1)


@pytest.mark.parametrize("char", ["\x00", "\x07", "\x1b", "\x7f", "\x85", "\x9f", "\x0b"])
def test_control_characters_are_refused_in_every_text(char):
    for field in ("location", "remarks", "lines[0].description", "row 7: location"):
        violation = limits.text_violation(field, f"a{char}b")
        assert violation is not None
        assert (violation.code, violation.field) == (Code.INVALID_FIELD, field)
        assert "control character" in violation.message


def test_line_breaks_only_in_multiline_fields():
    assert limits.text_violation("remarks", "a\nb\r\n\tc") is None
    assert limits.text_violation("lines[0].description", "a\nb") is None
    assert limits.text_violation("location", "a\nb") is not None


@given(st.sampled_from(sorted(limits.TEXT_FIELDS)))
def test_every_text_field_is_bounded_by_its_limit(name):
    bound = limits.TEXT_FIELDS[name]
    assert limits.text_violation(name, "x" * bound) is None
    violation = limits.text_violation(name, "x" * (bound + 1))
    assert violation is not None
    assert f"at most {bound}" in violation.message


@pytest.mark.parametrize(
    "given_",
    [
        {"1 ": "5"},
        {"01": "5"},
        {"1.0": "5"},
        {"١": "5"},
        {"0": "5"},
        {"-1": "5"},
        {"": "5"},
        [("1", "5"), ("1", "6")],
        {str(n): "1" for n in range(1, limits.ORDER_LINES_MAX + 2)},
        "1=5",
    ],
)
def test_line_maps_take_only_plain_line_numbers_each_once(given_):
    with pytest.raises(AcsaError) as refused:
        limits.line_quantities("lines", given_, limits.QUANTITY_OR_ZERO)
    assert {v.code for v in refused.value.violations} == {Code.INVALID_FIELD}
    assert all(v.field.startswith("lines") for v in refused.value.violations)


def test_line_maps_refuse_bad_quantities_each_by_its_line():
    with pytest.raises(AcsaError) as refused:
        limits.line_quantities("lines", {"1": "1e28", "2": "5", "3": " 5 "}, limits.QUANTITY)
    assert [(v.code, v.field) for v in refused.value.violations] == [
        (Code.INVALID_QUANTITY, "lines[1].quantity"),
        (Code.INVALID_QUANTITY, "lines[3].quantity"),
    ]
    assert limits.line_quantities("lines", {"1": "5", 2: "0"}, limits.QUANTITY_OR_ZERO) == {
        1: Decimal(5),
        2: Decimal(0),
    }


# --- the domain's steps -------------------------------------------------------------------


def _order(**line_changes: str):
    return order_from_doc(parse_model(OrderIn, with_line(order_doc(), 0, **line_changes)))


@pytest.mark.parametrize(
    ("changes", "code", "field"),
    [
        ({"quantity": "1000000000000000000"}, Code.INVALID_QUANTITY, "lines[0].quantity"),
        ({"quantity": "1000000001"}, Code.INVALID_QUANTITY, "lines[0].quantity"),
        ({"quantity": "1.1234567"}, Code.INVALID_QUANTITY, "lines[0].quantity"),
        ({"unit_price": "100000000000000000000"}, Code.INVALID_PRICE, "lines[0].unit_price"),
        # Each within its bound, the line worth 10^18: more than any amount.
        ({"quantity": "1000000000", "unit_price": "1000000000"}, Code.INVALID_AMOUNT, "lines[0]"),
    ],
)
def test_validate_lines_refuses_numbers_out_of_bounds(changes, code, field):
    found = [(v.code, v.field) for v in validate_lines(_order(**changes))]
    assert (code, field) in found


@pytest.mark.parametrize(
    ("changes", "field"),
    [
        ({"description": "x" * 2001}, "lines[0].description"),
        ({"category": "fuel\x00"}, "lines[0].category"),
        ({"unit": "L" * 33}, "lines[0].unit"),
        ({"nsn": "9130\x1b"}, "lines[0].nsn"),
    ],
)
def test_validate_lines_refuses_texts_out_of_bounds(changes, field):
    """The domain's own check, for paths that do not go through the input models."""
    order = _order()
    order.lines[0] = replace(order.lines[0], **changes)
    assert (Code.INVALID_FIELD, field) in [(v.code, v.field) for v in validate_lines(order)]


def test_an_order_total_over_the_amount_bound_is_refused_though_each_line_fits():
    doc = order_doc()
    line = {**doc["lines"][0], "quantity": "900000000", "unit_price": "1000000"}
    order = order_from_doc(parse_model(OrderIn, {**doc, "lines": [line, line]}))
    assert [(v.code, v.field) for v in validate_lines(order)] == [(Code.INVALID_AMOUNT, "lines")]


def test_dates_and_texts_of_an_order_are_checked_by_the_domain_too():
    order = replace(
        _order(),
        order_date=date(9999, 12, 31),
        location="Darwin\x00",
        remarks="r" * 4001,
    )
    found = {(v.code, v.field) for v in validate_lines(order)}
    assert {
        (Code.INVALID_DATE, "order_date"),
        (Code.INVALID_FIELD, "location"),
        (Code.INVALID_FIELD, "remarks"),
    } <= found


def test_too_many_lines_are_refused():
    order = _order()
    order.lines = [replace(order.lines[0], number=n) for n in range(1, limits.ORDER_LINES_MAX + 2)]
    [violation] = validate_lines(order)
    assert (violation.code, violation.field) == (Code.INVALID_FIELD, "lines")


def _moved(order, *steps):
    for step in steps:
        step(order)
    return order


@pytest.mark.parametrize(
    ("action", "quantity"),
    [
        ("accept", Decimal("1E+18")),
        ("accept", Decimal("0.0000001")),
        ("deliver", Decimal("1E+18")),
        ("deliver", Decimal("-1")),
        ("receive", Decimal("1E+18")),
        ("receive", Decimal("0.1234567")),
    ],
)
def test_lifecycle_steps_refuse_quantities_out_of_bounds_and_change_nothing(action, quantity):
    order = _order()
    order.submit([], AT, "a")
    if action != "accept":
        order.accept([], AT, "b")
    if action == "receive":
        order.deliver(AT, "c")
    before = (order.status, [line.terms() for line in order.lines], len(order.new_events))
    step = getattr(order, action)
    args: tuple[object, ...] = (
        ([], AT, "x", {1: quantity}) if action == "accept" else (AT, "x", {1: quantity})
    )
    with pytest.raises(AcsaError) as refused:
        step(*args)
    assert refused.value.codes == ["INVALID_QUANTITY"]
    assert refused.value.violations[0].field == "lines[1].quantity"
    assert (order.status, [line.terms() for line in order.lines], len(order.new_events)) == before


def test_a_receipt_note_with_a_control_character_is_refused():
    order = _order()
    order.submit([], AT, "a")
    order.accept([], AT, "b")
    order.deliver(AT, "c")
    with pytest.raises(AcsaError) as refused:
        order.receive(AT, "d", None, "ok\x00")
    assert refused.value.violations[0].field == "note"
