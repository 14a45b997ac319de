"""Settlement rules in the pure domain: deadlines, replacement matching, payments."""

from datetime import date
from decimal import Decimal

import pytest
from hypothesis import given
from hypothesis import strategies as st

from acsa.domain.account import AccountHead, OrderAccount, Replacement, Terms, Tranche
from acsa.domain.errors import AcsaError
from acsa.domain.money import Money
from acsa.domain.order import OrderStatus
from acsa.domain.settlement import (
    ReturnedLine,
    check_payment,
    invoice_number,
    replacement_value,
)
from tests.unit.helpers import order_from


def in_kind(tranches: list[tuple[date, Decimal]], settled: Decimal, days: int) -> OrderAccount:
    """An in-kind account with these receipts and ``settled`` returned in kind."""
    head = AccountHead(1, "JPN", "AUS", "JPY", "replacement_in_kind", OrderStatus.RECEIVED)
    done = (Replacement(date(2025, 1, 10), settled, ()),) if settled else ()
    return OrderAccount(
        head, Terms(days, 30), tuple(Tranche(d, v) for d, v in tranches), in_kind=done
    )


def test_invoice_numbers_are_stable_and_sortable():
    assert invoice_number("JPN", 2026, 42) == "JPN-2026-000042"


def test_overdue_applies_settlements_to_the_oldest_receipts_first():
    tranches = [(date(2025, 1, 10), Decimal(100)), (date(2025, 6, 1), Decimal(50))]
    # 120 settled: the first receipt is covered, 30 of the second remains.
    assert in_kind(tranches, Decimal(120), 365).overdue_in_kind(date(2026, 6, 1)) == 0
    assert in_kind(tranches, Decimal(120), 365).overdue_in_kind(date(2026, 6, 2)) == 30
    assert in_kind(tranches, Decimal(120), 365).next_deadline() == date(2026, 6, 1)
    assert in_kind(tranches, Decimal(150), 365).next_deadline() is None


def test_the_deadline_day_itself_is_still_in_time():
    tranches = [(date(2026, 1, 1), Decimal(10))]
    assert in_kind(tranches, Decimal(0), 90).overdue_in_kind(date(2026, 4, 1)) == 0
    assert in_kind(tranches, Decimal(0), 90).overdue_in_kind(date(2026, 4, 2)) == 10


def test_overpayment_names_the_excess():
    with pytest.raises(AcsaError, match="overpay it by 1 JPY"):
        check_payment(
            Money(Decimal(11), "JPY"),
            Money(Decimal(20), "JPY"),
            Money(Decimal(10), "JPY"),
            "JPN-2026-000001",
        )


def received():
    order = order_from()
    for line in order.lines:
        line.quantity_accepted = line.quantity
        line.quantity_delivered = line.quantity
        line.quantity_received = line.quantity
    return order


@given(st.lists(st.decimals(min_value=Decimal("0.1"), max_value=500, places=1), max_size=6))
def test_replacements_in_parts_add_up_to_the_whole(parts):
    order = received()
    replaced: dict[int, Decimal] = {}
    total = Money.zero("JPY")
    for qty in parts:
        if sum(replaced.values(), Decimal(0)) + qty > Decimal("2000.5"):
            break
        value, replaced = replacement_value(
            order.currency, order.lines, [ReturnedLine(3, "water", qty)], replaced
        )
        total = total + value
    done = replaced.get(3, Decimal(0))
    assert total == Money.of_product(done, Decimal(40), "JPY")
