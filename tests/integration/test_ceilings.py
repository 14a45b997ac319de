"""Annual ceilings checked through the service on a real database (SQLite file and PostgreSQL):
what counts, in which fiscal year, at the edge of the ceiling, and across currencies."""

import threading
import time
from datetime import UTC, date, datetime
from decimal import Decimal

import pytest

from acsa.adapters.db.unit_of_work import UnitOfWork
from acsa.adapters.nations_file import shipped_fiscal_calendars
from acsa.commands import (
    AcceptOrder,
    AddAgreement,
    CancelOrder,
    DeliverOrder,
    PlaceOrder,
    ReceiveOrder,
    RejectOrder,
    SubmitOrder,
)
from acsa.domain.ceilings import Acquired, CeilingContext
from acsa.domain.ceilings import ceiling_violations as check_ceilings
from acsa.domain.money import Money
from acsa.schemas.orders import AgreementDoc, agreement_from_doc, parse_model
from acsa.services import rates
from acsa.services.ceilings import ceiling_violations
from acsa.services.handlers import handle
from acsa.services.orders import load_order
from tests.unit.helpers import order_from

CLAUSE = "article 7 (annual limits)"


def agreement_doc(agreement_id, parties, ceilings):
    return {
        "id": agreement_id,
        "title": f"Test agreement {agreement_id} with annual ceilings",
        "parties": parties,
        "versions": [
            {
                "label": "2020 text",
                "signed": "2020-01-01",
                "in_force": "2020-01-01",
                "activities": ["exercise"],
                "categories": ["food", "fuel", "communications", "transportation", "medical"],
                "settlement_methods": ["cash"],
                "annual_ceilings": ceilings,
                "clauses": {"ceilings": CLAUSE},
            }
        ],
    }


def line(category, price, quantity="1", currency="JPY"):
    return {
        "category": category,
        "description": category,
        "quantity": quantity,
        "unit": "EA",
        "unit_price": str(price),
        "currency": currency,
    }


def placed(uow, agreement_id, requester, supplier, day, *lines):
    doc = {
        "agreement": agreement_id,
        "requester": requester,
        "supplier": supplier,
        "activity": "exercise",
        "settlement": "cash",
        "order_date": day,
        "needed_by": day,
        "location": "Darwin",
        "lines": list(lines),
        "cash_reason": "consumed in the exercise; returning the same items is difficult",
    }
    order, _ = handle(uow, PlaceOrder.from_wire(doc), "Lt K. Sato")
    handle(uow, SubmitOrder(order_id=order.id), "Capt. J. Smith")
    return order.id


def accepted(uow, *args, quantities=None):
    order_id = placed(uow, *args)
    handle(uow, AcceptOrder(order_id=order_id, quantities=quantities), "Cdr M. Tanaka")
    return order_id


def violations(uow, order_id, quantities=None):
    with uow:
        order = load_order(uow, order_id)
        agreement = uow.agreements.get(order.agreement_id)
        return ceiling_violations(uow, order, agreement, quantities)


@pytest.fixture
def capped(uow):
    """AUS may acquire 10,000,000 JPY a fiscal year, of which 3,000,000 JPY supplies."""
    ceilings = [
        {"currency": "JPY", "amount": "10000000", "party": "AUS", "note": "test"},
        {"currency": "JPY", "amount": "3000000", "applies_to": "supplies"},
    ]
    handle(uow, AddAgreement.from_wire(agreement_doc("CAP-AUS", ["JPN", "AUS"], ceilings)), "op")
    return "CAP-AUS"


def test_exactly_at_the_ceiling_passes_and_one_yen_over_is_refused(uow, capped):
    accepted(uow, capped, "AUS", "JPN", "2026-08-01", line("transportation", 6_000_000))
    at_the_edge = placed(uow, capped, "AUS", "JPN", "2026-09-01", line("medical", 4_000_000))
    assert violations(uow, at_the_edge) == []
    over = placed(uow, capped, "AUS", "JPN", "2026-09-01", line("medical", 4_000_001))
    [violation] = violations(uow, over)
    assert violation.code == "CEILING_EXCEEDED"
    assert violation.field == "lines"
    assert violation.clause == f"CAP-AUS 2020 text, {CLAUSE}"
    assert "annual ceiling of 10,000,000 JPY on supplies and services acquired by AUS" in (
        violation.message
    )
    assert "FY2027 (2026-07-01 to 2027-06-30)" in violation.message
    assert "6,000,000 JPY used, 4,000,000 JPY left" in violation.message
    assert "this order adds 4,000,001 JPY" in violation.message


def test_the_year_is_the_requesters_fiscal_year(uow, capped):
    # Australia's FY2026 ends on 30 June 2026: those orders do not count in FY2027.
    accepted(uow, capped, "AUS", "JPN", "2026-06-30", line("transportation", 9_000_000))
    first_day = placed(uow, capped, "AUS", "JPN", "2026-07-01", line("medical", 10_000_000))
    assert violations(uow, first_day) == []
    last_day = placed(uow, capped, "AUS", "JPN", "2026-06-30", line("medical", 1_000_001))
    [violation] = violations(uow, last_day)
    assert "FY2026 (2025-07-01 to 2026-06-30)" in violation.message


def test_rejected_cancelled_and_unaccepted_orders_do_not_count(uow, capped):
    rejected = placed(uow, capped, "AUS", "JPN", "2026-08-01", line("medical", 9_000_000))
    handle(uow, RejectOrder(order_id=rejected), "Cdr M. Tanaka")
    cancelled = accepted(uow, capped, "AUS", "JPN", "2026-08-01", line("medical", 9_000_000))
    handle(uow, CancelOrder(order_id=cancelled), "Lt K. Sato")
    placed(uow, capped, "AUS", "JPN", "2026-08-01", line("medical", 9_000_000))  # submitted
    order = placed(uow, capped, "AUS", "JPN", "2026-08-02", line("medical", 10_000_000))
    assert violations(uow, order) == []


def test_delivered_orders_count_at_their_accepted_value(uow, capped):
    first = accepted(
        uow,
        capped,
        "AUS",
        "JPN",
        "2026-08-01",
        line("transportation", 1_000_000, quantity="8"),
        quantities={1: Decimal(5)},
    )
    handle(uow, DeliverOrder(order_id=first), "s")
    handle(uow, ReceiveOrder(order_id=first), "r")
    fits = placed(uow, capped, "AUS", "JPN", "2026-08-02", line("medical", 5_000_000))
    assert violations(uow, fits) == []
    [violation] = violations(
        uow, placed(uow, capped, "AUS", "JPN", "2026-08-02", line("medical", 5_000_001))
    )
    assert "5,000,000 JPY used" in violation.message


def test_a_supplies_ceiling_counts_goods_and_either_but_not_services(uow, capped):
    accepted(uow, capped, "AUS", "JPN", "2026-08-01", line("fuel", 2_000_000))
    accepted(uow, capped, "AUS", "JPN", "2026-08-01", line("transportation", 5_000_000))
    services = placed(uow, capped, "AUS", "JPN", "2026-08-02", line("medical", 3_000_000))
    assert violations(uow, services) == []
    either = placed(uow, capped, "AUS", "JPN", "2026-08-02", line("communications", 1_000_001))
    [violation] = violations(uow, either)
    assert "3,000,000 JPY on supplies acquired by AUS" in violation.message
    assert "2,000,000 JPY used, 1,000,000 JPY left" in violation.message


def test_a_partial_acceptance_is_judged_on_the_quantities_accepted(uow, capped):
    order = placed(uow, capped, "AUS", "JPN", "2026-08-02", line("food", 1_000_000, quantity="4"))
    assert len(violations(uow, order)) == 1
    assert violations(uow, order, {1: Decimal(3)}) == []


def test_a_ceiling_on_one_party_leaves_the_other_to_the_each_party_ceiling(uow, capped):
    accepted(uow, capped, "JPN", "AUS", "2026-08-01", line("transportation", 9_000_000))
    # JPN: only the supplies ceiling applies, and JPN's own orders count (Japan's FY2026).
    order = placed(uow, capped, "JPN", "AUS", "2026-08-02", line("medical", 9_000_000))
    assert violations(uow, order) == []
    # AUS's orders are not affected by JPN's.
    mine = placed(uow, capped, "AUS", "JPN", "2026-08-02", line("medical", 10_000_000))
    assert violations(uow, mine) == []


def check_and_accept(engine, order_id, checked=None, hold=0.0):
    """What accept does: check the ceilings, accept, commit; optionally holding in between."""
    with UnitOfWork(engine) as uow:
        order = load_order(uow, order_id)
        agreement = uow.agreements.get(order.agreement_id)
        assert agreement is not None
        found = ceiling_violations(uow, order, agreement)
        if checked is not None:
            checked.set()
        time.sleep(hold)
        if not found:
            stamp = datetime.now(UTC)
            order.accept(found, stamp, "Cdr M. Tanaka")
            uow.orders.update(order, stamp)
            uow.commit()
        return found


def test_two_acceptances_at_once_cannot_both_fit_under_the_ceiling(engine, uow, capped):
    first = placed(uow, capped, "AUS", "JPN", "2026-08-01", line("medical", 6_000_000))
    second = placed(uow, capped, "AUS", "JPN", "2026-08-01", line("medical", 6_000_000))
    checked = threading.Event()
    results = {}

    def accept_first():
        results[first] = check_and_accept(engine, first, checked, hold=0.5)

    thread = threading.Thread(target=accept_first)
    thread.start()
    assert checked.wait(10)
    # The second check waits for the first acceptance to commit, then counts it.
    results[second] = check_and_accept(engine, second)
    thread.join()
    assert results[first] == []
    assert [v.code for v in results[second]] == ["CEILING_EXCEEDED"]
    assert "6,000,000 JPY used, 4,000,000 JPY left" in results[second][0].message


HISTORY = """Date,USD,JPY,
2026-10-30,1.1172,175.68,
2026-10-29,1.1190,176.02,
"""


@pytest.fixture
def capped_in_usd(uow, tmp_path):
    """A ceiling of 10,000.00 USD a fiscal year for each party; rates of late October 2026."""
    ceilings = [{"currency": "USD", "amount": "10000.00"}]
    handle(uow, AddAgreement.from_wire(agreement_doc("CAP-USA", ["JPN", "USA"], ceilings)), "op")
    path = tmp_path / "eurofxref-hist.csv"
    path.write_text(HISTORY)
    rates.import_file(uow, path)
    return "CAP-USA"


def in_usd(uow, yen, on):
    return rates.convert(uow, Money(Decimal(yen), "JPY"), "USD", on).amount.amount


def test_a_usd_ceiling_for_orders_in_yen_converts_at_each_order_dates_rate(uow, capped_in_usd):
    accepted(uow, capped_in_usd, "USA", "JPN", "2026-10-29", line("fuel", 1_000_000))
    used = in_usd(uow, 1_000_000, date(2026, 10, 29))  # at 176.02 and 1.1190
    assert used == Decimal("6357.23")
    left = Decimal("10000.00") - used
    saturday = date(2026, 10, 31)  # Friday's rates: 175.68 and 1.1172
    most = int(left * Decimal("175.68") / Decimal("1.1172"))
    while in_usd(uow, most + 1, saturday) <= left:
        most += 1
    while in_usd(uow, most, saturday) > left:
        most -= 1
    fits = placed(uow, capped_in_usd, "USA", "JPN", "2026-10-31", line("food", most))
    assert violations(uow, fits) == []
    assert in_usd(uow, most + 1, saturday) == left + Decimal("0.01")
    over = placed(uow, capped_in_usd, "USA", "JPN", "2026-10-31", line("food", most + 1))
    [violation] = violations(uow, over)
    assert violation.code == "CEILING_EXCEEDED"
    assert "FY2027 (2026-10-01 to 2027-09-30)" in violation.message
    assert f"6,357.23 USD used, {left:,} USD left" in violation.message
    assert f"this order adds {left + Decimal('0.01'):,} USD ({most + 1:,} JPY" in violation.message


def test_no_rate_for_the_order_date_is_rate_missing_never_a_silent_one(uow, capped_in_usd):
    order = placed(uow, capped_in_usd, "USA", "JPN", "2026-11-20", line("food", 1))
    [violation] = violations(uow, order)
    assert violation.code == "RATE_MISSING"
    assert "JPY" in violation.message
    assert "2026-11-20" in violation.message


def test_an_agreement_without_ceilings_reads_nothing(uow):
    order = placed(uow, "JPN-AUS", "AUS", "JPN", "2026-10-01", line("fuel", 10**12))
    assert violations(uow, order) == []


# --- the pure check, without a database ----------------------------------------------------


def test_a_zero_valued_order_passes_even_when_the_year_is_already_over():
    agreement = agreement_from_doc(
        parse_model(
            AgreementDoc, agreement_doc("CAP", ["JPN", "AUS"], [{"currency": "JPY", "amount": "1"}])
        )
    )
    order = order_from(agreement="CAP", lines=[line("medical", 0)])
    day, nothing = order.order_date, Money(Decimal(0), "JPY")

    def no_conversion(money, currency, on):
        raise AssertionError("no conversion is needed")

    context = CeilingContext(
        order=order,
        agreement=agreement,
        version=agreement.latest,
        fiscal_year=shipped_fiscal_calendars().fiscal_year_of("AUS", day),
        value=Acquired(day, nothing, nothing),
        used=(Acquired(day, nothing, Money(Decimal(20_000_000), "JPY")),),
        convert=no_conversion,
    )
    assert check_ceilings(context) == []
