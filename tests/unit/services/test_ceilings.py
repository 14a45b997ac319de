"""Annual ceilings checked on accept through ``handle`` on the in-memory unit of work: what
counts, in which fiscal year, at the edge of the ceiling and across currencies; an acceptance
over a ceiling is refused and writes nothing. tests/integration/test_ceilings.py runs them on
SQLite and PostgreSQL, with the race of two acceptances that only a database can hold."""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from typing import Any

import pytest

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
from acsa.domain import fx
from acsa.domain.errors import AcsaError
from acsa.domain.fx import Rate
from acsa.domain.money import Money
from acsa.domain.order import OrderStatus
from acsa.services import orders
from acsa.services.handlers import handle
from tests.fakes import FakeUnitOfWork, Tables

CLAUSE = "article 7 (annual limits)"


def agreement_doc(agreement_id: str, parties: list[str], ceilings: list[Any]) -> dict[str, Any]:
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


def line(category: str, price: int, quantity: str = "1") -> dict[str, Any]:
    return {
        "category": category,
        "description": category,
        "quantity": quantity,
        "unit": "EA",
        "unit_price": str(price),
        "currency": "JPY",
    }


def placed(uow: FakeUnitOfWork, agreement_id: str, requester: str, day: str, *lines: Any) -> int:
    doc = {
        "agreement": agreement_id,
        "requester": requester,
        "supplier": "AUS" if requester == "JPN" else "JPN",
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
    return int(order.id)


def accepted(uow: FakeUnitOfWork, *args: Any, quantities: Any = None) -> int:
    order_id = placed(uow, *args)
    handle(uow, AcceptOrder(order_id=order_id, quantities=quantities), "Cdr M. Tanaka")
    return order_id


def refusal(uow: FakeUnitOfWork, order_id: int, quantities: Any = None) -> AcsaError:
    """The error accepting ``order_id`` is refused with; nothing is written."""
    before = uow.snapshot()
    with pytest.raises(AcsaError) as error:
        handle(uow, AcceptOrder(order_id=order_id, quantities=quantities), "Cdr M. Tanaka")
    assert uow.snapshot() == before
    assert orders.get_order(uow, order_id).status is OrderStatus.SUBMITTED
    return error.value


def accepts(uow: FakeUnitOfWork, order_id: int, quantities: Any = None) -> bool:
    command = AcceptOrder(order_id=order_id, quantities=quantities)
    return handle(uow, command, "Cdr M. Tanaka").status is OrderStatus.ACCEPTED


@pytest.fixture
def capped(uow: FakeUnitOfWork) -> str:
    """AUS may acquire 10,000,000 JPY a fiscal year, of which 3,000,000 JPY supplies."""
    ceilings = [
        {"currency": "JPY", "amount": "10000000", "party": "AUS", "note": "test"},
        {"currency": "JPY", "amount": "3000000", "applies_to": "supplies"},
    ]
    handle(uow, AddAgreement.from_wire(agreement_doc("CAP-AUS", ["JPN", "AUS"], ceilings)), "op")
    return "CAP-AUS"


def test_exactly_at_the_ceiling_passes_and_one_yen_over_is_refused(
    uow: FakeUnitOfWork, capped: str
) -> None:
    accepted(uow, capped, "AUS", "2026-08-01", line("transportation", 6_000_000))
    over = placed(uow, capped, "AUS", "2026-09-01", line("medical", 4_000_001))
    error = refusal(uow, over)
    [violation] = error.violations
    assert (violation.code, violation.field) == ("CEILING_EXCEEDED", "lines")
    assert violation.clause == f"CAP-AUS 2020 text, {CLAUSE}"
    assert "FY2027 (2026-07-01 to 2027-06-30)" in violation.message
    assert "6,000,000 JPY used, 4,000,000 JPY left" in violation.message
    assert "this order adds 4,000,001 JPY" in violation.message
    at_the_edge = placed(uow, capped, "AUS", "2026-09-01", line("medical", 4_000_000))
    assert accepts(uow, at_the_edge)


def test_the_year_is_the_requesters_fiscal_year(uow: FakeUnitOfWork, capped: str) -> None:
    # Australia's FY2026 ends on 30 June 2026: those orders do not count in FY2027.
    accepted(uow, capped, "AUS", "2026-06-30", line("transportation", 9_000_000))
    last_day = placed(uow, capped, "AUS", "2026-06-30", line("medical", 1_000_001))
    assert "FY2026 (2025-07-01 to 2026-06-30)" in refusal(uow, last_day).violations[0].message
    assert accepts(uow, placed(uow, capped, "AUS", "2026-07-01", line("medical", 10_000_000)))


def test_rejected_cancelled_and_unaccepted_orders_do_not_count(
    uow: FakeUnitOfWork, capped: str
) -> None:
    rejected = placed(uow, capped, "AUS", "2026-08-01", line("medical", 9_000_000))
    handle(uow, RejectOrder(order_id=rejected), "Cdr M. Tanaka")
    cancelled = accepted(uow, capped, "AUS", "2026-08-01", line("medical", 9_000_000))
    handle(uow, CancelOrder(order_id=cancelled), "Lt K. Sato")
    placed(uow, capped, "AUS", "2026-08-01", line("medical", 9_000_000))  # submitted
    assert accepts(uow, placed(uow, capped, "AUS", "2026-08-02", line("medical", 10_000_000)))


def test_delivered_orders_count_at_their_accepted_value(uow: FakeUnitOfWork, capped: str) -> None:
    eight = line("transportation", 1_000_000, quantity="8")
    first = accepted(uow, capped, "AUS", "2026-08-01", eight, quantities={1: Decimal(5)})
    handle(uow, DeliverOrder(order_id=first), "s")
    handle(uow, ReceiveOrder(order_id=first), "r")
    over = placed(uow, capped, "AUS", "2026-08-02", line("medical", 5_000_001))
    assert "5,000,000 JPY used" in refusal(uow, over).violations[0].message
    assert accepts(uow, placed(uow, capped, "AUS", "2026-08-02", line("medical", 5_000_000)))


def test_a_supplies_ceiling_counts_goods_and_either_but_not_services(
    uow: FakeUnitOfWork, capped: str
) -> None:
    accepted(uow, capped, "AUS", "2026-08-01", line("fuel", 2_000_000))
    accepted(uow, capped, "AUS", "2026-08-01", line("transportation", 5_000_000))
    either = placed(uow, capped, "AUS", "2026-08-02", line("communications", 1_000_001))
    message = refusal(uow, either).violations[0].message
    assert "3,000,000 JPY on supplies acquired by AUS" in message
    assert "2,000,000 JPY used, 1,000,000 JPY left" in message
    assert accepts(uow, placed(uow, capped, "AUS", "2026-08-02", line("medical", 3_000_000)))


def test_a_partial_acceptance_is_judged_on_the_quantities_accepted(
    uow: FakeUnitOfWork, capped: str
) -> None:
    order = placed(uow, capped, "AUS", "2026-08-02", line("food", 1_000_000, quantity="4"))
    assert refusal(uow, order).codes == ["CEILING_EXCEEDED"]
    assert accepts(uow, order, {1: Decimal(3)})


def test_a_ceiling_on_one_party_leaves_the_other_to_the_each_party_ceiling(
    uow: FakeUnitOfWork, capped: str
) -> None:
    accepted(uow, capped, "JPN", "2026-08-01", line("transportation", 9_000_000))
    # JPN: only the supplies ceiling applies, and JPN's own orders count (Japan's FY2026).
    assert accepts(uow, placed(uow, capped, "JPN", "2026-08-02", line("medical", 9_000_000)))
    # AUS's orders are not affected by JPN's.
    assert accepts(uow, placed(uow, capped, "AUS", "2026-08-02", line("medical", 10_000_000)))


#: The ECB's rates of late October 2026 (units per euro).
LATE_OCTOBER = (
    Rate(date(2026, 10, 29), "USD", Decimal("1.1190"), "test"),
    Rate(date(2026, 10, 29), "JPY", Decimal("176.02"), "test"),
    Rate(date(2026, 10, 30), "USD", Decimal("1.1172"), "test"),
    Rate(date(2026, 10, 30), "JPY", Decimal("175.68"), "test"),
)


@pytest.fixture
def capped_in_usd(registry_tables: Tables) -> FakeUnitOfWork:
    """A ceiling of 10,000.00 USD a fiscal year for each party; rates of late October 2026."""
    uow = FakeUnitOfWork(registry_tables.copy(), rates=LATE_OCTOBER)
    ceilings = [{"currency": "USD", "amount": "10000.00"}]
    handle(uow, AddAgreement.from_wire(agreement_doc("CAP-USA", ["JPN", "USA"], ceilings)), "op")
    return uow


def in_usd(uow: FakeUnitOfWork, yen: int, on: date) -> Decimal:
    return fx.convert(uow.daily_rates, Money(Decimal(yen), "JPY"), "USD", on).amount.amount


def test_a_usd_ceiling_for_orders_in_yen_converts_at_each_order_dates_rate(
    capped_in_usd: FakeUnitOfWork,
) -> None:
    uow = capped_in_usd
    accepted(uow, "CAP-USA", "USA", "2026-10-29", line("fuel", 1_000_000))
    used = in_usd(uow, 1_000_000, date(2026, 10, 29))  # at 176.02 and 1.1190
    assert used == Decimal("6357.23")
    left = Decimal("10000.00") - used
    saturday = date(2026, 10, 31)  # Friday's rates: 175.68 and 1.1172
    most = int(left * Decimal("175.68") / Decimal("1.1172"))
    while in_usd(uow, most + 1, saturday) <= left:
        most += 1
    while in_usd(uow, most, saturday) > left:
        most -= 1
    over = placed(uow, "CAP-USA", "USA", "2026-10-31", line("food", most + 1))
    message = refusal(uow, over).violations[0].message
    assert "FY2027 (2026-10-01 to 2027-09-30)" in message
    assert f"6,357.23 USD used, {left:,} USD left" in message
    assert accepts(uow, placed(uow, "CAP-USA", "USA", "2026-10-31", line("food", most)))


def test_no_rate_for_the_order_date_is_rate_missing_never_a_silent_one(
    capped_in_usd: FakeUnitOfWork,
) -> None:
    order = placed(capped_in_usd, "CAP-USA", "USA", "2026-11-20", line("food", 1))
    [violation] = refusal(capped_in_usd, order).violations
    assert violation.code == "RATE_MISSING"
    assert "2026-11-20" in violation.message


def test_an_agreement_without_ceilings_lets_any_value_through(uow: FakeUnitOfWork) -> None:
    assert accepts(uow, placed(uow, "JPN-AUS", "AUS", "2026-10-01", line("fuel", 10**12)))
