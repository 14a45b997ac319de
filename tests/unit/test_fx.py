"""Conversion at reference rates: exact maths, cross rates through EUR, weekends, and refusals;
and reading the ECB file layouts."""

from datetime import date
from decimal import Decimal

import pytest

from acsa.adapters.fx_file import parse_ecb_csv
from acsa.domain.errors import AcsaError
from acsa.domain.fx import MemoryRateTable, Rate, convert
from acsa.domain.money import Money

FRI, SAT, SUN, MON = date(2026, 10, 23), date(2026, 10, 24), date(2026, 10, 25), date(2026, 10, 26)


def rate(day, currency, per_eur):
    return Rate(day, currency, Decimal(per_eur), "test")


TABLE = MemoryRateTable(
    [
        rate(FRI, "USD", "1.1600"),
        rate(FRI, "JPY", "176.50"),
        rate(FRI, "GBP", "0.8700"),
        rate(MON, "USD", "1.1650"),
        rate(MON, "JPY", "177.00"),
        rate(MON, "GBP", "0.8725"),
        rate(date(2026, 10, 1), "AUD", "1.6000"),
    ]
)


def test_from_eur_multiplies_by_the_rate_and_rounds_to_the_target_minor_unit():
    done = convert(TABLE, Money(Decimal("100.00"), "EUR"), "JPY", FRI)
    assert done.amount == Money(Decimal(17650), "JPY")
    assert done.rate == Decimal("176.50")
    assert done.rate_date == FRI
    assert done.source == "test"


def test_to_eur_divides_by_the_rate():
    done = convert(TABLE, Money(Decimal(176500), "JPY"), "EUR", FRI)
    assert done.amount == Money(Decimal("1000.00"), "EUR")


def test_cross_rate_goes_through_eur_exactly():
    # 1,000,000 JPY / 176.50 * 1.1600 = 6572.237960339943... USD
    done = convert(TABLE, Money(Decimal(1_000_000), "JPY"), "USD", FRI)
    assert done.amount == Money(Decimal("6572.24"), "USD")
    assert done.rate == Decimal("0.00657223796034")


def test_rounding_is_half_even_on_an_exact_tie():
    table = MemoryRateTable([rate(FRI, "USD", "2"), rate(FRI, "JPY", "1")])
    # 2 USD or 1 JPY per EUR: 1 USD is 0.5 JPY (rounded to 0), 3 USD is 1.5 JPY (rounded to 2)
    assert convert(table, Money(Decimal("1.00"), "USD"), "JPY", FRI).amount.amount == 0
    assert convert(table, Money(Decimal("3.00"), "USD"), "JPY", FRI).amount.amount == 2


def test_no_float_ever_enters_the_result():
    done = convert(TABLE, Money(Decimal("0.10"), "GBP"), "USD", FRI)
    assert isinstance(done.amount.amount, Decimal)
    assert done.amount.amount == Decimal("0.13")  # 0.10 / 0.87 * 1.16 = 0.1333...


@pytest.mark.parametrize("on", [SAT, SUN])
def test_a_weekend_uses_fridays_rate(on):
    done = convert(TABLE, Money(Decimal(100), "EUR"), "USD", on)
    assert done.rate_date == FRI
    assert done.amount.amount == Decimal("116.00")


def test_monday_uses_mondays_rate():
    assert convert(TABLE, Money(Decimal(100), "EUR"), "USD", MON).rate == Decimal("1.1650")


def test_a_rate_up_to_seven_days_old_is_used_and_an_older_one_is_not():
    seven_days_later = date(2026, 10, 8)
    assert convert(TABLE, Money(Decimal(1), "EUR"), "AUD", seven_days_later).rate_date == date(
        2026, 10, 1
    )
    with pytest.raises(AcsaError) as missing:
        convert(TABLE, Money(Decimal(1), "EUR"), "AUD", date(2026, 10, 9))
    assert missing.value.codes == ["RATE_MISSING"]


def test_a_missing_rate_is_refused_naming_the_currency_and_the_date_never_one():
    with pytest.raises(AcsaError) as missing:
        convert(TABLE, Money(Decimal(100), "USD"), "CAD", FRI)
    [violation] = missing.value.violations
    assert violation.code == "RATE_MISSING"
    assert "CAD" in violation.message
    assert "2026-10-23" in violation.message


def test_no_rate_before_the_first_day():
    with pytest.raises(AcsaError) as missing:
        convert(TABLE, Money(Decimal(100), "JPY"), "USD", date(2026, 10, 22))
    assert "JPY" in missing.value.violations[0].message


def test_eur_is_one_and_the_same_currency_needs_no_rate():
    empty = MemoryRateTable([])
    same = convert(empty, Money(Decimal("12.34"), "USD"), "USD", FRI)
    assert same.amount == Money(Decimal("12.34"), "USD")
    assert same.rate == 1
    assert convert(empty, Money(Decimal(5), "EUR"), "EUR", FRI).amount.amount == 5


def test_an_unknown_target_currency_is_refused():
    with pytest.raises(AcsaError) as refused:
        convert(TABLE, Money(Decimal(1), "EUR"), "XYZ", FRI)
    assert refused.value.codes == ["UNKNOWN_CURRENCY"]


HISTORY = """Date,USD,JPY,CYP,
2026-10-26,1.1650,177.00,N/A,
2026-10-23,1.1600,176.50,N/A,
"""

DAILY = """Date, USD, JPY, GBP, \n30 October 2026, 1.1172, 175.68, 0.83380, \n"""


def test_the_history_layout_is_read_with_na_cells_skipped():
    found = parse_ecb_csv(HISTORY, "hist")
    assert found.days == (FRI, MON)
    assert found.currencies == ("USD", "JPY")
    assert (MON, "JPY", Decimal("177.00")) in found.rates
    assert len(found.rates) == 4


def test_the_daily_layout_is_read():
    found = parse_ecb_csv(DAILY, "daily")
    assert found.days == (date(2026, 10, 30),)
    assert found.rates[2] == (date(2026, 10, 30), "GBP", Decimal("0.83380"))


@pytest.mark.parametrize(
    ("text", "field", "words"),
    [
        (HISTORY.replace("177.00", "abc"), "rows[2].JPY", "'abc' is not a rate"),
        (HISTORY.replace("1.1600", "-1.16"), "rows[3].USD", "not a rate"),
        (HISTORY.replace("1.1600", "0"), "rows[3].USD", "not a rate"),
        (HISTORY.replace("2026-10-23", "2026-13-23"), "rows[3].Date", "not a date"),
        (HISTORY.replace("2026-10-23", "2026-10-26"), "rows[3].Date", "also on row 2"),
        (HISTORY.replace("177.00,N/A,", "177.00"), "rows[2].Date", "columns"),
        (HISTORY.replace("Date,", "Day,"), "rows[1].Date", "first column"),
        (HISTORY.replace("CYP", "cyp"), "rows[1].cyp", "not a currency code"),
    ],
)
def test_a_bad_cell_is_refused_naming_its_row_and_column(text, field, words):
    with pytest.raises(AcsaError) as refused:
        parse_ecb_csv(text, "bad")
    [violation] = refused.value.violations
    assert violation.code == "INVALID_RATE"
    assert violation.field == field
    assert words in violation.message
    row = field.removeprefix("rows[").split("]")[0]
    assert violation.message.startswith(f"row {row}, ")


def test_an_empty_file_or_one_without_rates_is_refused():
    for text in ("", "Date,USD,\n", "Date,USD,\n2026-10-23,N/A,\n"):
        with pytest.raises(AcsaError) as refused:
            parse_ecb_csv(text, "empty")
        assert refused.value.codes == ["INVALID_RATE"]


def test_many_bad_cells_are_summarised():
    rows = "".join(f"2026-{m:02d}-{d:02d},x,\n" for m in range(1, 4) for d in range(1, 15))
    with pytest.raises(AcsaError) as refused:
        parse_ecb_csv("Date,USD,\n" + rows, "bad")
    assert len(refused.value.violations) == 21
    assert "and 22 more" in refused.value.violations[-1].message
