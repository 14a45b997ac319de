"""The order state machine: every transition dated and attributed, partial steps, refusals."""

from datetime import UTC, datetime
from decimal import Decimal

import pytest

from acsa.domain.errors import AcsaError, Code, Violation
from acsa.domain.order import ALLOWED, Action, OrderStatus
from tests.unit.helpers import order_from

AT = datetime(2026, 10, 1, 9, 0, tzinfo=UTC)


def accepted_order():
    order = order_from()
    order.submit([], AT, "requester")
    order.accept([], AT, "approver")
    return order


def test_full_lifecycle_records_who_did_what_and_when():
    order = accepted_order()
    order.deliver(AT, "supplier logistics")
    order.receive(AT, "requester logistics")
    assert order.status is OrderStatus.RECEIVED
    steps = [(e.action, e.actor, e.from_status, e.to_status) for e in order.new_events]
    assert steps == [
        (Action.SUBMIT, "requester", OrderStatus.DRAFT, OrderStatus.SUBMITTED),
        (Action.ACCEPT, "approver", OrderStatus.SUBMITTED, OrderStatus.ACCEPTED),
        (Action.DELIVER, "supplier logistics", OrderStatus.ACCEPTED, OrderStatus.DELIVERED),
        (Action.RECEIVE, "requester logistics", OrderStatus.DELIVERED, OrderStatus.RECEIVED),
    ]
    assert [e.seq for e in order.new_events] == [1, 2, 3, 4]


def test_submit_with_violations_is_refused_and_changes_nothing():
    order = order_from()
    problem = Violation(Code.AGREEMENT_NOT_IN_FORCE, "order_date", "not in force")
    with pytest.raises(AcsaError) as refused:
        order.submit([problem], AT, "requester")
    assert refused.value.codes == ["AGREEMENT_NOT_IN_FORCE"]
    assert order.status is OrderStatus.DRAFT
    assert order.new_events == []


@pytest.mark.parametrize(
    ("status", "action"),
    [
        (OrderStatus.DRAFT, Action.ACCEPT),
        (OrderStatus.DRAFT, Action.DELIVER),
        (OrderStatus.SUBMITTED, Action.RECEIVE),
        (OrderStatus.RECEIVED, Action.CANCEL),
        (OrderStatus.CLOSED, Action.CANCEL),
        (OrderStatus.REJECTED, Action.SUBMIT),
        (OrderStatus.DELIVERED, Action.CANCEL),
        (OrderStatus.CANCELLED, Action.SUBMIT),
    ],
)
def test_transitions_the_machine_does_not_allow_are_refused(status, action):
    order = order_from()
    order.status = status
    calls = {
        Action.SUBMIT: lambda: order.submit([], AT, "x"),
        Action.ACCEPT: lambda: order.accept([], AT, "x"),
        Action.DELIVER: lambda: order.deliver(AT, "x"),
        Action.RECEIVE: lambda: order.receive(AT, "x"),
        Action.CANCEL: lambda: order.cancel(AT, "x"),
    }
    with pytest.raises(AcsaError) as refused:
        calls[action]()
    [violation] = refused.value.violations
    assert violation.code == "INVALID_TRANSITION"
    assert status.value in violation.message
    assert order.status is status


def test_terminal_states_allow_nothing():
    for status in (OrderStatus.CLOSED, OrderStatus.REJECTED, OrderStatus.CANCELLED):
        assert ALLOWED[status] == frozenset()
    assert ALLOWED[OrderStatus.RECEIVED] == frozenset({Action.CLOSE})


def test_partial_delivery_then_the_rest():
    order = accepted_order()
    order.deliver(AT, "s", {1: Decimal(5000)})
    assert order.status is OrderStatus.PARTIALLY_DELIVERED
    assert order.lines[0].quantity_delivered == Decimal(5000)
    assert order.lines[1].quantity_delivered == 0
    order.deliver(AT, "s")
    assert order.status is OrderStatus.DELIVERED
    assert [ln.quantity_delivered for ln in order.lines] == [
        Decimal(12000),
        Decimal(400),
        Decimal("2000.5"),
    ]


def test_delivering_more_than_accepted_is_refused():
    order = accepted_order()
    with pytest.raises(AcsaError) as refused:
        order.deliver(AT, "s", {1: Decimal(12001)})
    assert refused.value.codes == ["QUANTITY_EXCEEDS_ACCEPTED"]
    assert order.lines[0].quantity_delivered == 0


def test_unknown_line_and_zero_quantity_are_refused():
    order = accepted_order()
    with pytest.raises(AcsaError, match="no line 9"):
        order.deliver(AT, "s", {9: Decimal(1)})
    with pytest.raises(AcsaError) as refused:
        order.deliver(AT, "s", {1: Decimal(0)})
    assert refused.value.codes == ["INVALID_QUANTITY"]


def test_receipt_short_of_delivery_records_the_discrepancy():
    order = accepted_order()
    order.deliver(AT, "s")
    order.receive(
        AT,
        "r",
        {1: Decimal(11950), 2: Decimal(400), 3: Decimal("2000.5")},
        note="50 L lost in transfer",
    )
    line = order.lines[0]
    assert (line.quantity_received, line.quantity_short) == (Decimal(11950), Decimal(50))
    assert order.status is OrderStatus.RECEIVED
    event = order.new_events[-1]
    assert event.details["lines"]["1"] == {"received": "11950", "short": "50"}
    assert event.details["note"] == "50 L lost in transfer"
    assert order.value_received.amount == order.total.amount - 50 * 152


def test_receiving_more_than_delivered_is_refused():
    order = accepted_order()
    order.deliver(AT, "s", {1: Decimal(100)})
    with pytest.raises(AcsaError) as refused:
        order.receive(AT, "r", {1: Decimal(101)})
    assert refused.value.codes == ["QUANTITY_EXCEEDS_DELIVERED"]


def test_receipt_of_a_partial_delivery_leaves_the_order_partially_received():
    order = accepted_order()
    order.deliver(AT, "s", {1: Decimal(100)})
    order.receive(AT, "r")
    assert order.status is OrderStatus.PARTIALLY_RECEIVED
    with pytest.raises(AcsaError) as refused:
        order.receive(AT, "r")
    assert refused.value.codes == ["INVALID_TRANSITION"]
    order.deliver(AT, "s")
    order.receive(AT, "r")
    assert order.status is OrderStatus.RECEIVED


def test_accepting_less_than_requested_limits_delivery():
    order = order_from()
    order.submit([], AT, "r")
    order.accept([], AT, "a", {1: Decimal(8000)})
    assert order.lines[0].quantity_accepted == Decimal(8000)
    order.deliver(AT, "s")
    assert order.lines[0].quantity_delivered == Decimal(8000)
    assert order.status is OrderStatus.DELIVERED


def test_accepting_more_than_requested_is_refused():
    order = order_from()
    order.submit([], AT, "r")
    with pytest.raises(AcsaError) as refused:
        order.accept([], AT, "a", {1: Decimal(13000)})
    assert refused.value.codes == ["INVALID_QUANTITY"]
    assert order.status is OrderStatus.SUBMITTED


def test_reject_and_cancel_keep_the_reason():
    rejected = order_from()
    rejected.submit([], AT, "r")
    rejected.reject(AT, "a", "no tanker available")
    assert rejected.new_events[-1].details == {"reason": "no tanker available"}
    cancelled = order_from()
    cancelled.cancel(AT, "r", "exercise postponed")
    assert cancelled.status is OrderStatus.CANCELLED


def test_lines_not_named_in_a_receipt_are_received_as_delivered():
    order = accepted_order()
    order.deliver(AT, "s")
    order.receive(AT, "r", {2: Decimal(390)})
    assert [ln.quantity_received for ln in order.lines] == [
        Decimal(12000),
        Decimal(390),
        Decimal("2000.5"),
    ]
    assert [ln.quantity_short for ln in order.lines] == [0, Decimal(10), 0]
    assert order.status is OrderStatus.RECEIVED


def test_a_line_that_did_not_arrive_is_received_as_zero():
    order = accepted_order()
    order.deliver(AT, "s", {1: Decimal(100)})
    order.receive(AT, "r", {1: Decimal(0)}, note="bowser never arrived")
    assert (order.lines[0].quantity_received, order.lines[0].quantity_short) == (0, 100)
    assert order.status is OrderStatus.PARTIALLY_RECEIVED


def test_a_negative_receipt_is_refused():
    order = accepted_order()
    order.deliver(AT, "s")
    with pytest.raises(AcsaError) as refused:
        order.receive(AT, "r", {1: Decimal(-1)})
    assert refused.value.codes == ["INVALID_QUANTITY"]
    assert order.status is OrderStatus.DELIVERED
