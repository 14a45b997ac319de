"""The order lifecycle through ``handle`` on the in-memory unit of work: each action one
transaction, dated and attributed, audited and published; a refusal writes nothing. The same
scenarios run on SQLite and PostgreSQL in tests/integration/test_order_services.py."""

from __future__ import annotations

from datetime import UTC, datetime
from decimal import Decimal

import pytest

from acsa.commands import (
    AcceptOrder,
    AddNote,
    AmendAgreement,
    CancelOrder,
    DeliverOrder,
    OrderCommand,
    PlaceOrder,
    ReceiveOrder,
    RejectOrder,
    SubmitOrder,
)
from acsa.domain.access import ForbiddenError, Principal
from acsa.domain.documents import Kind
from acsa.domain.errors import AcsaError, Code, Violation
from acsa.domain.order import Order, OrderStatus
from acsa.domain.order_search import order_query
from acsa.services import agreements, orders
from acsa.services.handlers import handle
from tests.fakes import FakeOrders, FakeUnitOfWork, Node, Tables
from tests.orders_data import order_doc, with_line

T0 = datetime(2026, 10, 1, 8, 30, tzinfo=UTC)
ORDER_VALUE = Decimal(12000 * 152 + 400 * 1850) + Decimal("2000.5") * 40


def placed(uow: FakeUnitOfWork, at: datetime = T0, **changes: object) -> int:
    """The id of a new draft."""
    order, _ = handle(uow, PlaceOrder.from_wire(order_doc(**changes)), actor="Lt K. Sato", at=at)
    return int(order.id)


def accepted(uow: FakeUnitOfWork) -> int:
    order_id = placed(uow)
    handle(uow, SubmitOrder(order_id=order_id), actor="Capt. J. Smith", at=T0)
    handle(uow, AcceptOrder(order_id=order_id), actor="Cdr M. Tanaka", at=T0)
    return order_id


def refused(uow: FakeUnitOfWork, command: object, actor: str = "x") -> list[str]:
    """The codes ``command`` is refused with; the committed tables must not have changed."""
    before = uow.snapshot()
    with pytest.raises(AcsaError) as error:
        handle(uow, command, actor=actor, at=T0)  # type: ignore[arg-type]
    assert uow.snapshot() == before, "a refused action wrote something"
    return error.value.codes


def test_history_is_stored_dated_and_attributed(uow: FakeUnitOfWork) -> None:
    order_id = placed(uow)
    handle(uow, SubmitOrder(order_id=order_id), actor="Capt. J. Smith", at=T0.replace(hour=9))
    handle(uow, AcceptOrder(order_id=order_id), actor="Cdr M. Tanaka", at=T0.replace(hour=10))
    stored = orders.get_order(uow, order_id)
    assert [(e.seq, e.action.value, e.actor, e.at) for e in stored.history] == [
        (1, "create", "Lt K. Sato", T0),
        (2, "submit", "Capt. J. Smith", T0.replace(hour=9)),
        (3, "accept", "Cdr M. Tanaka", T0.replace(hour=10)),
    ]
    assert stored.status is OrderStatus.ACCEPTED
    assert stored.version == 3


def test_lines_and_money_survive_the_round_trip_exactly(uow: FakeUnitOfWork) -> None:
    stored = orders.get_order(uow, placed(uow))
    assert [ln.quantity for ln in stored.lines] == [Decimal(12000), Decimal(400), Decimal("2000.5")]
    assert stored.total.amount == ORDER_VALUE
    assert stored.lines[0].nsn == "9130-01-031-5816"


def test_partial_delivery_and_receipt_with_discrepancy_are_stored(uow: FakeUnitOfWork) -> None:
    order_id = accepted(uow)
    handle(uow, DeliverOrder(order_id=order_id, quantities={1: Decimal(6000)}), actor="s")
    receipt = ReceiveOrder(order_id=order_id, quantities={1: Decimal(5990)}, note="10 L spilt")
    handle(uow, receipt, actor="r")
    stored = orders.get_order(uow, order_id)
    assert stored.status is OrderStatus.PARTIALLY_RECEIVED
    assert stored.lines[0].quantity_short == Decimal(10)
    assert stored.history[-1].details["note"] == "10 L spilt"


def test_each_action_is_one_audit_record_and_one_published_document(uow: FakeUnitOfWork) -> None:
    order_id = accepted(uow)
    handle(uow, DeliverOrder(order_id=order_id), actor="s", at=T0)
    handle(uow, ReceiveOrder(order_id=order_id), actor="r", at=T0)
    records = list(uow.audit.records(order_id=order_id))
    assert [r.action for r in records] == [
        "order.place",
        "order.submit",
        "order.accept",
        "order.deliver",
        "order.receive",
    ]
    assert records[-1].entries == {"count": 2}  # the receipt's two books
    assert [d.kind for d in uow.committed.documents] == [
        Kind.ORDER,
        Kind.SUBMIT,
        Kind.ACCEPT,
        Kind.DELIVER,
        Kind.RECEIVE,
    ]
    assert records[-1].before["status"] == "delivered"
    assert records[-1].after["status"] == "received"


def test_submit_refused_by_the_checks_writes_nothing(uow: FakeUnitOfWork) -> None:
    order_id = placed(uow, agreement="JPN-NZL", requester="NZL")
    assert refused(uow, SubmitOrder(order_id=order_id)) == ["AGREEMENT_NOT_IN_FORCE"]
    assert orders.get_order(uow, order_id).status is OrderStatus.DRAFT


def test_malformed_order_is_refused_and_writes_nothing(uow: FakeUnitOfWork) -> None:
    before = uow.snapshot()
    bad = with_line(order_doc(), 0, quantity="-1", currency="XYZ")
    with pytest.raises(AcsaError) as error:
        handle(uow, PlaceOrder.from_wire(bad), actor="officer")
    assert set(error.value.codes) == {"INVALID_QUANTITY", "UNKNOWN_CURRENCY"}
    assert uow.snapshot() == before


@pytest.mark.parametrize(
    "command",
    [DeliverOrder, ReceiveOrder, AcceptOrder, RejectOrder],
)
def test_a_step_out_of_turn_is_an_invalid_transition_and_writes_nothing(
    uow: FakeUnitOfWork, command: type[OrderCommand]
) -> None:
    order_id = placed(uow)
    assert refused(uow, command(order_id=order_id)) == ["INVALID_TRANSITION"]


def test_reject_records_the_reason(uow: FakeUnitOfWork) -> None:
    order_id = placed(uow)
    handle(uow, SubmitOrder(order_id=order_id), actor="x")
    rejected = handle(uow, RejectOrder(order_id=order_id, reason="no fuel at Darwin"), actor="y")
    assert rejected.status is OrderStatus.REJECTED
    assert orders.get_order(uow, order_id).history[-1].details["reason"] == "no fuel at Darwin"
    assert refused(uow, AcceptOrder(order_id=order_id)) == ["INVALID_TRANSITION"]


def test_cancel_before_delivery_and_not_after(uow: FakeUnitOfWork) -> None:
    first = placed(uow)
    assert handle(uow, CancelOrder(order_id=first), actor="x").status is OrderStatus.CANCELLED
    second = accepted(uow)
    handle(uow, DeliverOrder(order_id=second), actor="s")
    assert refused(uow, CancelOrder(order_id=second, reason="late")) == ["INVALID_TRANSITION"]


def test_a_failure_inside_the_transaction_rolls_everything_back(
    uow: FakeUnitOfWork, monkeypatch: pytest.MonkeyPatch
) -> None:
    order_id = placed(uow)
    handle(uow, SubmitOrder(order_id=order_id), actor="x")
    before = uow.snapshot()
    store = FakeOrders.update

    def store_then_fail(self: FakeOrders, order: Order, now: datetime) -> None:
        store(self, order, now)
        raise RuntimeError("disk full")

    monkeypatch.setattr(FakeOrders, "update", store_then_fail)
    with pytest.raises(RuntimeError):
        handle(uow, AcceptOrder(order_id=order_id), actor="x")
    assert uow.snapshot() == before


def test_a_stale_order_version_is_refused(uow: FakeUnitOfWork) -> None:
    order_id = placed(uow)
    mine = uow.orders.get(order_id)
    assert mine is not None
    handle(uow, SubmitOrder(order_id=order_id), actor="someone else")
    mine.submit([], T0, "me")
    with uow, pytest.raises(AcsaError) as error:
        uow.orders.update(mine, T0)
    assert error.value.codes == ["CONCURRENT_UPDATE"]
    assert [e.actor for e in orders.get_order(uow, order_id).history] == [
        "Lt K. Sato",
        "someone else",
    ]


def test_unknown_order_and_agreement_are_coded(uow: FakeUnitOfWork) -> None:
    with pytest.raises(AcsaError) as missing:
        orders.get_order(uow, 999)
    assert missing.value.codes == ["ORDER_NOT_FOUND"]
    assert refused(uow, SubmitOrder(order_id=999)) == ["ORDER_NOT_FOUND"]
    with pytest.raises(AcsaError) as unknown:
        handle(uow, PlaceOrder.from_wire(order_doc(agreement="JPN-XXX")), actor="x")
    assert unknown.value.codes == ["AGREEMENT_NOT_FOUND"]


def test_list_filters_by_status_and_agreement(uow: FakeUnitOfWork) -> None:
    first = placed(uow)
    placed(uow, agreement="JPN-ITA", requester="ITA")
    handle(uow, SubmitOrder(order_id=first), actor="x")
    assert [o.id for o in orders.list_orders(uow, order_query(status="submitted"))] == [first]
    assert len(orders.list_orders(uow, order_query(agreement="JPN-ITA"))) == 1
    with pytest.raises(AcsaError) as bad:
        orders.list_orders(uow, order_query(status="lost"))
    assert bad.value.codes == ["INVALID_FIELD"]


def test_checks_run_again_on_accept_against_an_amended_agreement(uow: FakeUnitOfWork) -> None:
    order_id = placed(uow)
    handle(uow, SubmitOrder(order_id=order_id), actor="x")
    current = agreements.get_agreement(uow, "JPN-AUS").latest
    amendment = {
        "label": "2026 amendment without fuel",
        "signed": "2026-01-10",
        "in_force": "2026-02-01",
        "activities": sorted(current.activities),
        "categories": sorted(current.categories - {"fuel"}),
        "settlement_methods": sorted(current.settlement_methods),
    }
    handle(uow, AmendAgreement.from_wire(amendment, agreement_id="JPN-AUS"), actor="op")
    assert refused(uow, AcceptOrder(order_id=order_id), "approver") == ["CATEGORY_NOT_COVERED"]


def test_a_guard_that_refuses_the_order_leaves_it_untouched(registry_tables: Tables) -> None:
    def only_drafts(order: Order) -> None:
        if order.status is not OrderStatus.DRAFT:
            raise ForbiddenError([Violation(Code.FORBIDDEN, "order", "not yours")])

    uow = FakeUnitOfWork(registry_tables.copy(), guard=only_drafts)
    order_id = placed(uow)
    handle(uow, SubmitOrder(order_id=order_id), actor="x")
    assert refused(uow, AcceptOrder(order_id=order_id)) == ["FORBIDDEN"]


def test_on_a_node_the_partners_step_is_not_this_nodes(registry_tables: Tables) -> None:
    # Japan's node supplies Australia: the order itself is Australia's document.
    uow = FakeUnitOfWork(registry_tables.copy(), node=Node("JPN"))
    before = uow.snapshot()
    with pytest.raises(AcsaError) as error:
        placed(uow)
    assert error.value.codes == ["NOT_THIS_NODE"]
    assert uow.snapshot() == before


def test_a_note_is_dated_and_attributed_and_changes_nothing_of_the_order(
    registry_tables: Tables,
) -> None:
    uow = FakeUnitOfWork(registry_tables.copy(), principal=Principal("Maj. Brown", "AUS"))
    order_id = accepted(uow)
    before = orders.get_order(uow, order_id)
    noted = T0.replace(hour=15)
    handle(uow, AddNote(order_id=order_id, note="Bowser 3 delayed\tby a day"), "Maj. Brown", noted)
    after = orders.get_order(uow, order_id)
    assert (after.status, after.version, after.history) == (
        before.status,
        before.version,
        before.history,
    )
    with uow:
        [note] = uow.orders.notes(order_id)
    assert (note.at, note.actor, note.nation, note.text) == (
        noted,
        "Maj. Brown",
        "AUS",
        "Bowser 3 delayed\tby a day",
    )
    record = list(uow.audit.records(order_id=order_id))[-1]
    assert (record.action, record.nation, record.after["note"]) == (
        "order.note",
        "AUS",
        "Bowser 3 delayed\tby a day",
    )
    assert uow.committed.documents[-1].kind is Kind.NOTE


def test_a_blank_note_or_one_on_no_order_is_refused(uow: FakeUnitOfWork) -> None:
    with pytest.raises(AcsaError) as blank:
        AddNote(order_id=1, note="  ")
    assert blank.value.codes == ["MISSING_FIELD"]
    assert refused(uow, AddNote(order_id=999, note="late")) == ["ORDER_NOT_FOUND"]
