from decimal import Decimal

import pytest
from hypothesis import given
from hypothesis import strategies as st

from acsa.domain.money import (
    Money,
    MoneyError,
    fits_minor_units,
    from_minor,
    is_known_currency,
    minor_units,
    to_decimal,
    to_minor,
)


@pytest.mark.parametrize(("currency", "digits"), [("JPY", 0), ("USD", 2), ("EUR", 2), ("KWD", 3)])
def test_minor_units_follow_iso_4217(currency, digits):
    assert minor_units(currency) == digits


@pytest.mark.parametrize("code", ["JPY", "AUD", "NZD", "PHP", "INR", "GBP", "CAD"])
def test_partner_currencies_are_known(code):
    assert is_known_currency(code)


@pytest.mark.parametrize("code", ["XYZ", "jpy", "US", "", "EURO", "XXX", "XAU", "XTS"])
def test_unknown_currencies_are_refused(code):
    assert not is_known_currency(code)
    with pytest.raises(MoneyError):
        Money(Decimal(1), code)


def test_amount_with_more_decimals_than_the_currency_allows_is_refused():
    with pytest.raises(MoneyError, match="more decimals than JPY"):
        to_minor(Decimal("10.5"), "JPY")


@pytest.mark.parametrize("amount", ["-1.1615630258228277E+124", "1E+40", "9" * 40])
def test_an_amount_too_large_to_hold_in_minor_units_does_not_fit(amount):
    # Quantizing it would need more digits than the decimal context holds: not a crash.
    assert not fits_minor_units(Decimal(amount), "JPY")


def test_floats_never_enter_as_money():
    with pytest.raises(MoneyError, match="exact decimal"):
        to_decimal(0.1)


def test_line_total_rounds_half_even_to_the_minor_unit():
    assert Money.of_product(Decimal("2.5"), Decimal("1"), "JPY").amount == Decimal(2)
    assert Money.of_product(Decimal("3.5"), Decimal("1"), "JPY").amount == Decimal(4)
    assert Money.of_product(Decimal("0.333"), Decimal("10.00"), "USD").amount == Decimal("3.33")


def test_adding_two_currencies_is_refused():
    with pytest.raises(MoneyError, match="cannot combine"):
        _ = Money(Decimal(1), "USD") + Money(Decimal(1), "JPY")


@given(
    units=st.integers(min_value=-(10**15), max_value=10**15),
    currency=st.sampled_from(["JPY", "USD", "EUR", "KWD", "AUD"]),
)
def test_minor_units_round_trip_exactly(units, currency):
    assert to_minor(from_minor(units, currency), currency) == units
