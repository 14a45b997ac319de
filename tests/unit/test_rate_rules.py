"""A nation's rate rule: Japan converts at the official rate of its fiscal year, the same for
the whole year, others at the day's reference rate; exact maths, crosses through the home
currency, the fiscal year's edges, refusals; the shipped rules and who may change them."""

from datetime import date
from decimal import Decimal

import pytest

from acsa.adapters.nations_file import (
    parse_nations,
    parse_rate_rules,
    shipped_fiscal_calendars,
    shipped_rule,
)
from acsa.domain.access import Principal, Role
from acsa.domain.errors import AcsaError
from acsa.domain.fx import MemoryRateTable, Rate
from acsa.domain.money import Money
from acsa.domain.rate_rules import (
    MemoryOfficialRates,
    NationRule,
    OfficialRate,
    RateRule,
    check_official_rate,
    convert_under,
    may_set_rates,
    parse_rule,
)


def rule_of(nation: str) -> NationRule:
    """The shipped rule of a nation that has one."""
    rule = shipped_rule(nation)
    assert rule is not None
    return rule


JPN = rule_of("JPN")
JAPAN = shipped_fiscal_calendars().calendar("JPN")
LAST_DAY_FY2025, FIRST_DAY_FY2026 = date(2026, 3, 31), date(2026, 4, 1)

OFFICIAL = MemoryOfficialRates(
    [
        OfficialRate("JPN", 2025, "USD", Decimal("150"), "FY2025 notice"),
        OfficialRate("JPN", 2026, "USD", Decimal("140"), "FY2026 notice"),
        OfficialRate("JPN", 2026, "AUD", Decimal("95.5"), "FY2026 notice"),
        OfficialRate("JPN", 2026, "EUR", Decimal("160.123"), "FY2026 EUR notice"),
    ]
)
#: ECB rates of the same days, which an official conversion must not use.
DAILY = MemoryRateTable(
    [
        Rate(LAST_DAY_FY2025, "USD", Decimal("1.10"), "ECB"),
        Rate(LAST_DAY_FY2025, "JPY", Decimal("170"), "ECB"),
        Rate(FIRST_DAY_FY2026, "USD", Decimal("1.10"), "ECB"),
        Rate(FIRST_DAY_FY2026, "JPY", Decimal("171"), "ECB"),
    ]
)


def under(rule, amount, currency, to, on):
    return convert_under(rule, JAPAN, DAILY, OFFICIAL, Money(Decimal(amount), currency), to, on)


def test_japan_ships_the_official_rate_of_each_fiscal_year_citing_the_diet_answer():
    assert JPN is not None
    assert (JPN.rule, JPN.shipped) == (RateRule.OFFICIAL_FISCAL_YEAR,) * 2
    assert JPN.currency == "JPY"
    assert "2019-04-10" in JPN.source
    assert "official rate set for each fiscal year" in JPN.source
    for nation, currency in (("USA", "USD"), ("AUS", "AUD"), ("FRA", "EUR"), ("KOR", "KRW")):
        rule = shipped_rule(nation)
        assert rule is not None
        assert (rule.rule, rule.currency) == (RateRule.DAILY_REFERENCE, currency)
    assert shipped_rule("XXX") is None


def test_the_last_and_first_day_of_japans_fiscal_year_convert_at_two_rates():
    last = under(JPN, "1000.00", "USD", "JPY", LAST_DAY_FY2025)
    first = under(JPN, "1000.00", "USD", "JPY", FIRST_DAY_FY2026)
    assert last.amount == Money(Decimal(150_000), "JPY")
    assert first.amount == Money(Decimal(140_000), "JPY")
    assert (last.rate, last.rate_date) == (Decimal(150), date(2025, 4, 1))
    assert (first.rate, first.rate_date) == (Decimal(140), date(2026, 4, 1))
    assert last.rule == first.rule == "official_fiscal_year"
    assert last.source == (
        "official rate of JPN for FY2025 (2025-04-01 to 2026-03-31): FY2025 notice"
    )


def test_the_rate_holds_for_the_whole_year_whatever_the_day():
    days = [date(2026, 4, 1), date(2026, 9, 15), date(2027, 3, 31)]
    found = {under(JPN, "10.00", "USD", "JPY", day).amount for day in days}
    assert found == {Money(Decimal(1400), "JPY")}


def test_into_a_foreign_currency_divides_and_rounds_once_half_even():
    done = under(JPN, "1000", "JPY", "USD", FIRST_DAY_FY2026)
    # 1000 / 140 = 7.142857... -> 7.14
    assert done.amount == Money(Decimal("7.14"), "USD")
    assert done.rate == Decimal("0.00714285714286")
    assert under(JPN, "1050", "JPY", "USD", FIRST_DAY_FY2026).amount.amount == Decimal("7.50")
    # 7 JPY at 140 = 0.05 exactly; 0.125 would round to even
    halves = MemoryOfficialRates([OfficialRate("JPN", 2026, "USD", Decimal(8), "t")])
    half = convert_under(
        JPN, JAPAN, DAILY, halves, Money(Decimal(1), "JPY"), "USD", FIRST_DAY_FY2026
    )
    assert half.amount.amount == Decimal("0.12")  # 0.125 -> 0.12 (half-even)


def test_two_foreign_currencies_cross_through_the_yen():
    done = under(JPN, "100.00", "USD", "AUD", FIRST_DAY_FY2026)
    # 100 USD = 14000 JPY = 146.596858... AUD
    assert done.amount == Money(Decimal("146.60"), "AUD")
    assert done.rate == Decimal("1.46596858639")
    assert done.source == (
        "official rate of JPN for FY2026 (2026-04-01 to 2027-03-31): FY2026 notice"
    )
    eur = under(JPN, "100.00", "EUR", "USD", FIRST_DAY_FY2026)
    assert eur.amount == Money(Decimal("114.37"), "USD")  # 16012.3 / 140 = 114.3735...
    assert "FY2026 EUR notice + FY2026 notice" in eur.source


def test_the_same_currency_needs_no_rate():
    done = under(JPN, "5.00", "USD", "USD", date(2030, 1, 1))
    assert (done.amount, done.rate, done.source) == (
        Money(Decimal("5.00"), "USD"),
        Decimal(1),
        "same currency",
    )


def test_a_fiscal_year_without_a_rate_is_rate_missing_naming_what_to_record():
    with pytest.raises(AcsaError) as refused:
        under(JPN, "1.00", "USD", "JPY", date(2025, 3, 31))
    [violation] = refused.value.violations
    assert violation.code == "RATE_MISSING"
    assert violation.message == (
        "no official rate of JPN for USD in JPN FY2024 (2024-04-01 to 2025-03-31); JPN converts "
        "at the official rate of each fiscal year: record it with "
        "`acsa rates official set JPN 2024 USD RATE --source TEXT`"
    )
    with pytest.raises(AcsaError) as crossed:
        under(JPN, "1.00", "USD", "GBP", FIRST_DAY_FY2026)
    assert "for GBP in JPN FY2026" in crossed.value.violations[0].message
    with pytest.raises(AcsaError) as unknown:
        under(JPN, "1.00", "USD", "XXY", FIRST_DAY_FY2026)
    assert unknown.value.codes == ["UNKNOWN_CURRENCY"]


def test_the_daily_rule_is_fx_convert_at_the_days_reference_rate():
    usa = rule_of("USA")
    done = convert_under(
        usa, JAPAN, DAILY, OFFICIAL, Money(Decimal("1.10"), "USD"), "JPY", LAST_DAY_FY2025
    )
    assert (done.amount, done.rate_date, done.source, done.rule) == (
        Money(Decimal(170), "JPY"),
        LAST_DAY_FY2025,
        "ECB",
        "daily_reference",
    )
    daily_japan = NationRule("JPN", RateRule.DAILY_REFERENCE, "JPY")
    assert under(daily_japan, "1.10", "USD", "JPY", FIRST_DAY_FY2026).amount.amount == 171


@pytest.mark.parametrize(
    ("fy", "currency", "rate", "source", "codes"),
    [
        (2026, "USD", "150.25", "MOF notice", []),
        (1989, "USD", "150", "s", []),  # holds 1990-01-01 to 1990-03-31
        (1988, "USD", "150", "s", ["INVALID_FIELD"]),
        (2101, "USD", "150", "s", ["INVALID_FIELD"]),
        (True, "USD", "150", "s", ["INVALID_FIELD"]),
        (2026, "JPY", "1", "s", ["INVALID_FIELD"]),
        (2026, "XXY", "1", "s", ["UNKNOWN_CURRENCY"]),
        (2026, "USD", "0", "s", ["INVALID_RATE"]),
        (2026, "USD", "-1", "s", ["INVALID_RATE"]),
        (2026, "USD", "1e3", "s", ["INVALID_RATE"]),
        (2026, "USD", "1000000000001", "s", ["INVALID_RATE"]),
        (2026, "USD", "0.00000000001", "s", ["INVALID_RATE"]),
        (2026, "USD", "0.0000000001", "s", []),
        (2026, "USD", "150", " ", ["MISSING_FIELD"]),
        (2026, "USD", "150", "x" * 2001, ["INVALID_FIELD"]),
        (2026, "USD", "150", "line\nbreak", ["INVALID_FIELD"]),
        (0, "XXY", "0", "", ["INVALID_FIELD", "UNKNOWN_CURRENCY", "INVALID_RATE", "MISSING_FIELD"]),
    ],
)
def test_an_official_rate_is_bounded(fy, currency, rate, source, codes):
    if not codes:
        found = check_official_rate("JPN", JAPAN, fy, currency, "JPY", rate, source)
        assert (found.fiscal_year, found.rate) == (fy, Decimal(rate))
        return
    with pytest.raises(AcsaError) as refused:
        check_official_rate("JPN", JAPAN, fy, currency, "JPY", rate, source)
    assert refused.value.codes == codes


def test_a_rule_is_one_of_two_names():
    assert parse_rule(" official_fiscal_year") is RateRule.OFFICIAL_FISCAL_YEAR
    with pytest.raises(AcsaError) as refused:
        parse_rule("monthly", "--set")
    [violation] = refused.value.violations
    assert (violation.code, violation.field) == ("INVALID_FIELD", "--set")
    assert "daily_reference, official_fiscal_year" in violation.message


def test_an_admin_of_the_nation_or_a_registry_keeper_sets_its_rates():
    assert may_set_rates(None, "JPN")
    assert may_set_rates(Principal("a", "JPN", frozenset({Role.ADMIN})), "JPN")
    assert not may_set_rates(Principal("a", "AUS", frozenset({Role.ADMIN})), "JPN")
    assert not may_set_rates(Principal("f", "JPN", frozenset({Role.FINANCE})), "JPN")
    assert may_set_rates(Principal("k", "FRA", frozenset({Role.REGISTRY_KEEPER})), "JPN")


def test_the_nations_file_may_leave_a_built_in_calendar_out_but_not_others():
    document = {"nations": {"JPN": {"currency": "JPY"}, "GBR": {"currency": "GBP"}}}
    with pytest.raises(ValueError, match="GBR"):
        parse_nations(document)
    assert parse_nations({"nations": {"JPN": {"currency": "JPY"}}}) == {}
    with pytest.raises(ValueError, match="rule"):
        parse_rate_rules({"nations": {"JPN": {"exchange_rate": {"rule": "monthly"}}}})
    with pytest.raises(ValueError, match="currency"):
        parse_rate_rules({"nations": {"JPN": {"currency": "YEN"}}})
