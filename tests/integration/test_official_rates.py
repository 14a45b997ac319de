"""Official rates per fiscal year on a real database (SQLite file and PostgreSQL): recorded and
audited, the rule set per installation, conversions, annual ceilings judged at Japan's official
rate of each fiscal year (an order on the last and the first day of its fiscal year falling into
two years' totals), and the order form's rate, date and source."""

from datetime import date
from decimal import Decimal

import pytest
from sqlalchemy import select

from acsa.adapters.db import tables as t
from acsa.adapters.db.unit_of_work import UnitOfWork
from acsa.commands import AddAgreement
from acsa.domain.access import ForbiddenError, Principal, Role
from acsa.domain.errors import AcsaError
from acsa.domain.money import Money
from acsa.domain.rate_rules import RateRule
from acsa.services import rates
from acsa.services.handlers import handle
from acsa.services.order_forms import order_form
from tests.integration.dump import content
from tests.integration.test_ceilings import accepted, agreement_doc, line, placed, violations

FY2025_LAST, FY2026_FIRST = date(2026, 3, 31), date(2026, 4, 1)
NOTICE_2025 = "MOF notice of the FY2025 disbursement rate"
NOTICE_2026 = "MOF notice of the FY2026 disbursement rate"


def audit_actions(engine):
    with engine.connect() as conn:
        rows = conn.execute(
            select(t.audit_log.c.action, t.audit_log.c.subject, t.audit_log.c.after)
            .where(t.audit_log.c.action.like("rates.%"))
            .order_by(t.audit_log.c.seq)
        )
        return [(r.action, r.subject, r.after) for r in rows]


@pytest.fixture
def official(uow):
    """JPN's official rates: 150 JPY per USD in FY2025, 100 in FY2026 (no ECB rates at all)."""
    rates.set_official_rate(uow, "JPN", 2025, "USD", "150", NOTICE_2025, "Cdr M. Tanaka")
    rates.set_official_rate(uow, "jpn", 2026, "usd", "100", NOTICE_2026, "Cdr M. Tanaka")
    return uow


def in_yen(uow, usd, on, nation="JPN"):
    return rates.convert_for(uow, nation, Money(Decimal(usd), "USD"), "JPY", on)


def test_a_japanese_order_on_the_last_and_first_day_of_the_fiscal_year_uses_two_rates(official):
    last = in_yen(official, "1000.00", FY2025_LAST)
    first = in_yen(official, "1000.00", FY2026_FIRST)
    assert (last.amount, last.rate, last.rate_date) == (
        Money(Decimal(150_000), "JPY"),
        Decimal(150),
        date(2025, 4, 1),
    )
    assert (first.amount, first.rate, first.rate_date) == (
        Money(Decimal(100_000), "JPY"),
        Decimal(100),
        date(2026, 4, 1),
    )
    assert (
        last.source == f"official rate of JPN for FY2025 (2025-04-01 to 2026-03-31): {NOTICE_2025}"
    )
    assert first.rule == "official_fiscal_year"


def test_a_year_without_a_recorded_rate_is_rate_missing(official):
    with pytest.raises(AcsaError) as refused:
        in_yen(official, "1.00", date(2027, 4, 1))
    [violation] = refused.value.violations
    assert violation.code == "RATE_MISSING"
    assert "no official rate of JPN for USD in JPN FY2027 (2027-04-01 to 2028-03-31)" in (
        violation.message
    )
    assert "`acsa rates official set JPN 2027 USD RATE --source TEXT`" in violation.message


def test_without_a_nation_or_for_a_daily_nation_the_reference_rate_is_used(official):
    with pytest.raises(AcsaError) as refused:
        in_yen(official, "1.00", FY2026_FIRST, nation=None)
    assert "no reference rate for USD per EUR" in refused.value.violations[0].message
    with pytest.raises(AcsaError) as usa:
        in_yen(official, "1.00", FY2026_FIRST, nation="USA")
    assert usa.value.codes == ["RATE_MISSING"]


def test_recording_is_audited_replacing_keeps_the_old_rate_in_the_record_and_again_is_nothing(
    engine, official
):
    listed = rates.official_rates_of(official, "JPN")
    assert [(r.rate.fiscal_year, r.rate.rate, r.year.label, r.home) for r in listed] == [
        (2025, Decimal(150), "FY2025", "JPY"),
        (2026, Decimal(100), "FY2026", "JPY"),
    ]
    assert listed[0].actor == "Cdr M. Tanaka"
    before = content(engine)
    rates.set_official_rate(official, "JPN", 2026, "USD", "100.0", NOTICE_2026, "x")
    assert content(engine) == before  # the same rate: nothing written, nothing audited
    rates.set_official_rate(official, "JPN", 2026, "USD", "101.5", "corrected notice", "y")
    assert in_yen(official, "2.00", FY2026_FIRST).amount == Money(Decimal(203), "JPY")
    assert audit_actions(engine) == [
        (
            "rates.official",
            "official_rate:JPN/2025/USD",
            {"rate": "150", "source": NOTICE_2025, "home": "JPY"},
        ),
        (
            "rates.official",
            "official_rate:JPN/2026/USD",
            {"rate": "100", "source": NOTICE_2026, "home": "JPY"},
        ),
        (
            "rates.official",
            "official_rate:JPN/2026/USD",
            {"rate": "101.5", "source": "corrected notice", "home": "JPY"},
        ),
    ]


def test_a_bad_official_rate_writes_nothing(engine, official):
    before = content(engine)
    for args, code in [
        (("JPN", 2026, "USD", "0", "s"), "INVALID_RATE"),
        (("JPN", 2026, "USD", "1,5", "s"), "INVALID_RATE"),
        (("JPN", 2101, "USD", "1", "s"), "INVALID_FIELD"),
        (("JPN", 2026, "JPY", "1", "s"), "INVALID_FIELD"),
        (("JPN", 2026, "USD", "1", ""), "MISSING_FIELD"),
        (("XXX", 2026, "USD", "1", "s"), "UNKNOWN_PARTY"),
    ]:
        with pytest.raises(AcsaError) as refused:
            rates.set_official_rate(official, *args)
        assert refused.value.codes == [code], args
    assert content(engine) == before


def test_the_rule_is_set_per_installation_audited_and_read_back(engine, official):
    assert rates.rate_rule(official, "JPN").rule is RateRule.OFFICIAL_FISCAL_YEAR
    changed = rates.set_rate_rule(official, "jpn", "daily_reference", "Adm. K. Ito")
    assert (changed.rule, changed.shipped, changed.set_by) == (
        RateRule.DAILY_REFERENCE,
        RateRule.OFFICIAL_FISCAL_YEAR,
        "Adm. K. Ito",
    )
    # Now Japan converts at the day's reference rate, of which none is stored.
    with pytest.raises(AcsaError) as refused:
        in_yen(official, "1.00", FY2026_FIRST)
    assert "no reference rate for USD per EUR" in refused.value.violations[0].message
    rates.set_rate_rule(official, "AUS", "official_fiscal_year", "op")
    listed = {r.nation: r.rule for r in rates.rate_rules(official)}
    assert listed["JPN"] is RateRule.DAILY_REFERENCE
    assert listed["AUS"] is RateRule.OFFICIAL_FISCAL_YEAR
    assert listed["USA"] is RateRule.DAILY_REFERENCE
    assert [a for a in audit_actions(engine) if a[0] == "rates.rule"] == [
        (
            "rates.rule",
            "nation:JPN",
            {"rule": "daily_reference", "shipped": "official_fiscal_year"},
        ),
        (
            "rates.rule",
            "nation:AUS",
            {"rule": "official_fiscal_year", "shipped": "daily_reference"},
        ),
    ]
    with pytest.raises(AcsaError) as bad:
        rates.set_rate_rule(official, "JPN", "weekly", "op")
    assert bad.value.codes == ["INVALID_FIELD"]


def test_only_an_admin_of_the_nation_or_a_registry_keeper_sets_its_rates(engine, official):
    before = content(engine)
    for principal in (
        Principal("AUS-admin", "AUS", frozenset({Role.ADMIN})),
        Principal("JPN-finance", "JPN", frozenset({Role.FINANCE})),
    ):
        uow = UnitOfWork(engine, principal=principal)
        with pytest.raises(ForbiddenError):
            rates.set_official_rate(uow, "JPN", 2026, "USD", "99", "s", principal.name)
        with pytest.raises(ForbiddenError):
            rates.set_rate_rule(uow, "JPN", "daily_reference", principal.name)
    assert content(engine) == before
    admin = UnitOfWork(engine, principal=Principal("JPN-admin", "JPN", frozenset({Role.ADMIN})))
    assert rates.set_official_rate(admin, "JPN", 2026, "USD", "99", "s", "JPN-admin").actor == (
        "JPN-admin"
    )


# --- ceilings -----------------------------------------------------------------------------


@pytest.fixture
def capped_japan(official):
    """JPN may acquire 10,000.00 USD a fiscal year under CAP-JPN; its orders are in yen."""
    ceilings = [{"currency": "USD", "amount": "10000.00", "party": "JPN"}]
    added = AddAgreement.from_wire(agreement_doc("CAP-JPN", ["JPN", "USA"], ceilings))
    handle(official, added, "operator")
    return "CAP-JPN"


def test_a_ceiling_is_judged_at_the_official_rate_of_each_orders_fiscal_year(uow, capped_japan):
    # 2026-03-31, FY2025 at 150 JPY/USD: 1,200,000 JPY is 8,000.00 USD of FY2025.
    accepted(uow, capped_japan, "JPN", "USA", "2026-03-31", line("fuel", 1_200_000))
    # 2026-04-01, FY2026 at 100 JPY/USD: 900,000 JPY is 9,000.00 USD, alone in FY2026's total.
    first_day = placed(uow, capped_japan, "JPN", "USA", "2026-04-01", line("food", 900_000))
    assert violations(uow, first_day) == []
    # The same yen on the last day of FY2025 would be 6,000.00 USD on top of 8,000.00.
    last_day = placed(uow, capped_japan, "JPN", "USA", "2026-03-31", line("food", 900_000))
    [violation] = violations(uow, last_day)
    assert violation.code == "CEILING_EXCEEDED"
    assert "in JPN FY2025 (2025-04-01 to 2026-03-31): 8,000.00 USD used, 2,000.00 USD left" in (
        violation.message
    )
    assert "this order adds 6,000.00 USD (900,000 JPY converted under JPN's rate rule)" in (
        violation.message
    )
    # Exactly what is left of FY2025 at its rate fits: 300,000 JPY = 2,000.00 USD.
    exact = placed(uow, capped_japan, "JPN", "USA", "2026-03-31", line("food", 300_000))
    assert violations(uow, exact) == []
    one_more = placed(uow, capped_japan, "JPN", "USA", "2026-03-31", line("food", 300_002))
    assert violations(uow, one_more)[0].code == "CEILING_EXCEEDED"  # 2000.01 USD


def test_the_first_day_of_the_year_counts_in_the_new_years_total(uow, capped_japan):
    accepted(uow, capped_japan, "JPN", "USA", "2026-04-01", line("food", 900_000))
    accepted(uow, capped_japan, "JPN", "USA", "2026-03-31", line("fuel", 1_200_000))
    over = placed(uow, capped_japan, "JPN", "USA", "2027-03-31", line("food", 100_001))
    [violation] = violations(uow, over)
    assert "in JPN FY2026 (2026-04-01 to 2027-03-31): 9,000.00 USD used, 1,000.00 USD left" in (
        violation.message
    )
    assert "this order adds 1,000.01 USD" in violation.message


def test_a_ceiling_in_a_year_without_an_official_rate_is_rate_missing(uow, capped_japan):
    order = placed(uow, capped_japan, "JPN", "USA", "2027-04-01", line("food", 1))
    [violation] = violations(uow, order)
    assert violation.code == "RATE_MISSING"
    assert "JPN FY2027 (2027-04-01 to 2028-03-31)" in violation.message


def test_the_other_party_is_judged_by_its_own_rule(uow, capped_japan):
    # A USD ceiling on the United States side: USA follows the daily rule; no ECB rate stored.
    ceilings = [{"currency": "USD", "amount": "10.00"}]
    added = AddAgreement.from_wire(agreement_doc("CAP-USA2", ["JPN", "USA"], ceilings))
    handle(uow, added, "operator")
    order = placed(uow, "CAP-USA2", "USA", "JPN", "2026-04-01", line("food", 1000))
    [violation] = violations(uow, order)
    assert violation.code == "RATE_MISSING"
    assert "no reference rate for JPY per EUR on 2026-04-01" in violation.message


# --- the order form -----------------------------------------------------------------------


def test_the_order_form_prints_the_rate_its_date_and_its_source(uow, capped_japan):
    last = placed(uow, capped_japan, "JPN", "USA", "2026-03-31", line("fuel", 10, currency="USD"))
    first = placed(uow, capped_japan, "JPN", "USA", "2026-04-01", line("fuel", 10, currency="USD"))
    later = placed(uow, capped_japan, "JPN", "USA", "2027-04-01", line("fuel", 10, currency="USD"))
    own = placed(uow, capped_japan, "JPN", "USA", "2027-04-01", line("fuel", 10))
    form = order_form(uow, last)
    assert (form.rate, form.rate_date) == ("150 JPY per 1 USD", date(2025, 4, 1))
    assert form.rate_source == (
        f"official rate of JPN for FY2025 (2025-04-01 to 2026-03-31): {NOTICE_2025}"
    )
    form = order_form(uow, first)
    assert (form.rate, form.rate_date) == ("100 JPY per 1 USD", date(2026, 4, 1))
    assert NOTICE_2026 in form.rate_source
    form = order_form(uow, later)
    assert form.rate.startswith("no rate known: no official rate of JPN for USD in JPN FY2027")
    assert form.rate_date is None
    assert form.rate_source == "none (JPN converts by its official_fiscal_year rule)"
    form = order_form(uow, own)
    assert (form.rate, form.rate_date) == ("same currency", None)
    assert form.rate_source == "the order is in JPN's own currency (JPY)"
