"""Order services on a real database (SQLite file and PostgreSQL): one transaction per action,
and a refusal writes nothing."""

from datetime import UTC, datetime
from decimal import Decimal

import pytest

from acsa.adapters.db.unit_of_work import UnitOfWork
from acsa.commands import (
    AcceptOrder,
    AmendAgreement,
    DeliverOrder,
    PlaceOrder,
    ReceiveOrder,
    SubmitOrder,
)
from acsa.domain.errors import AcsaError
from acsa.domain.order import OrderStatus
from acsa.domain.order_search import order_query
from acsa.services import agreements, orders
from acsa.services.handlers import handle
from tests.integration.dump import content
from tests.orders_data import order_doc, with_line

T0 = datetime(2026, 10, 1, 8, 30, tzinfo=UTC)


def placed(uow, **changes):
    order, _ = handle(uow, PlaceOrder.from_wire(order_doc(**changes)), "Lt K. Sato", T0)
    return order


def test_history_is_stored_dated_and_attributed(uow):
    order = placed(uow)
    handle(uow, SubmitOrder(order_id=order.id), "Capt. J. Smith", T0.replace(hour=9))
    handle(uow, AcceptOrder(order_id=order.id), "Cdr M. Tanaka", T0.replace(hour=10))
    stored = orders.get_order(uow, order.id)
    assert [(e.seq, e.action.value, e.actor, e.at) for e in stored.history] == [
        (1, "create", "Lt K. Sato", T0),
        (2, "submit", "Capt. J. Smith", T0.replace(hour=9)),
        (3, "accept", "Cdr M. Tanaka", T0.replace(hour=10)),
    ]
    assert stored.history[0].at.tzinfo is not None


def test_lines_and_money_survive_the_round_trip_exactly(uow):
    order = placed(uow)
    stored = orders.get_order(uow, order.id)
    assert [ln.quantity for ln in stored.lines] == [Decimal(12000), Decimal(400), Decimal("2000.5")]
    assert stored.lines[0].unit_price == Decimal(152)
    assert stored.total.amount == Decimal(12000 * 152 + 400 * 1850 + 80020)
    assert stored.lines[0].nsn == "9130-01-031-5816"


def test_partial_delivery_and_receipt_with_discrepancy_are_stored(uow):
    order = placed(uow)
    for step in (SubmitOrder, AcceptOrder):
        handle(uow, step(order_id=order.id), "x")
    handle(uow, DeliverOrder(order_id=order.id, quantities={1: Decimal(6000)}), "s")
    handle(
        uow, ReceiveOrder(order_id=order.id, quantities={1: Decimal(5990)}, note="10 L spilt"), "r"
    )
    stored = orders.get_order(uow, order.id)
    assert stored.status is OrderStatus.PARTIALLY_RECEIVED
    assert stored.lines[0].quantity_short == Decimal(10)
    assert stored.history[-1].details["note"] == "10 L spilt"


def test_submit_refused_by_the_checks_writes_nothing(engine, uow):
    order = placed(uow, agreement="JPN-NZL", requester="NZL")
    before = content(engine)
    with pytest.raises(AcsaError) as refused:
        handle(uow, SubmitOrder(order_id=order.id), "officer")
    assert refused.value.codes == ["AGREEMENT_NOT_IN_FORCE"]
    assert content(engine) == before


def test_malformed_order_is_refused_and_writes_nothing(engine, uow):
    before = content(engine)
    bad = with_line(order_doc(), 0, quantity="-1", currency="XYZ")
    with pytest.raises(AcsaError) as refused:
        handle(uow, PlaceOrder.from_wire(bad), "officer")
    assert set(refused.value.codes) == {"INVALID_QUANTITY", "UNKNOWN_CURRENCY"}
    assert content(engine) == before


def test_invalid_transition_writes_nothing(engine, uow):
    order = placed(uow)
    before = content(engine)
    with pytest.raises(AcsaError) as refused:
        handle(uow, DeliverOrder(order_id=order.id), "s")
    assert refused.value.codes == ["INVALID_TRANSITION"]
    assert content(engine) == before


def test_a_failure_inside_the_transaction_rolls_everything_back(engine, uow, monkeypatch):
    order = placed(uow)
    handle(uow, SubmitOrder(order_id=order.id), "x")
    before = content(engine)

    from acsa.adapters.db.repository import OrderRepository

    def explode(self, order):
        raise RuntimeError("disk full")

    monkeypatch.setattr(OrderRepository, "_append_events", explode)
    with pytest.raises(RuntimeError):
        handle(uow, AcceptOrder(order_id=order.id), "x")
    assert content(engine) == before


def test_a_stale_order_version_is_refused(engine, uow):
    order = placed(uow)
    with UnitOfWork(engine, read_only=True) as reader:
        mine = reader.orders.get(order.id)
    assert mine is not None
    handle(uow, SubmitOrder(order_id=order.id), "someone else")
    mine.submit([], T0, "me")
    with UnitOfWork(engine) as writer, pytest.raises(AcsaError) as refused:
        writer.orders.update(mine, T0)
    assert refused.value.codes == ["CONCURRENT_UPDATE"]
    assert [e.actor for e in orders.get_order(uow, order.id).history] == [
        "Lt K. Sato",
        "someone else",
    ]


def test_unknown_order_and_agreement_are_coded(uow):
    with pytest.raises(AcsaError) as missing:
        orders.get_order(uow, 999)
    assert missing.value.codes == ["ORDER_NOT_FOUND"]
    with pytest.raises(AcsaError) as unknown:
        handle(uow, PlaceOrder.from_wire(order_doc(agreement="JPN-XXX")), "x")
    assert unknown.value.codes == ["AGREEMENT_NOT_FOUND"]


def test_list_filters_by_status_and_agreement(uow):
    first = placed(uow)
    placed(uow, agreement="JPN-ITA", requester="ITA")
    handle(uow, SubmitOrder(order_id=first.id), "x")
    assert [o.id for o in orders.list_orders(uow, order_query(status="submitted"))] == [first.id]
    assert len(orders.list_orders(uow, order_query(agreement="JPN-ITA"))) == 1
    with pytest.raises(AcsaError) as bad:
        orders.list_orders(uow, order_query(status="lost"))
    assert bad.value.codes == ["INVALID_FIELD"]


def test_checks_run_again_on_accept_against_an_amended_agreement(uow):
    order = placed(uow)
    handle(uow, SubmitOrder(order_id=order.id), "x")
    current = agreements.get_agreement(uow, "JPN-AUS").latest
    amendment = {
        "label": "2026 amendment without fuel",
        "signed": "2026-01-10",
        "in_force": "2026-02-01",
        "activities": sorted(current.activities),
        "categories": sorted(current.categories - {"fuel"}),
        "settlement_methods": sorted(current.settlement_methods),
    }
    handle(uow, AmendAgreement.from_wire(amendment, agreement_id="JPN-AUS"), "operator")
    with pytest.raises(AcsaError) as refused:
        handle(uow, AcceptOrder(order_id=order.id), "approver")
    assert refused.value.codes == ["CATEGORY_NOT_COVERED"]
    assert "2026 amendment without fuel" in refused.value.violations[0].message
    assert orders.get_order(uow, order.id).status is OrderStatus.SUBMITTED


def test_an_amendment_made_elsewhere_is_seen_at_once(engine, db_url):
    from acsa.adapters.db.engine import make_engine

    order = placed(uow := UnitOfWork(engine))
    handle(uow, SubmitOrder(order_id=order.id), "x")
    assert agreements.get_agreement(uow, "JPN-AUS").latest.version == 2  # now cached
    other = make_engine(db_url)  # another process, say
    current = agreements.get_agreement(UnitOfWork(other), "JPN-AUS").latest
    amendment = {
        "label": "2026 amendment without food",
        "signed": "2026-01-10",
        "in_force": "2026-02-01",
        "activities": sorted(current.activities),
        "categories": sorted(current.categories - {"food"}),
        "settlement_methods": sorted(current.settlement_methods),
    }
    handle(UnitOfWork(other), AmendAgreement.from_wire(amendment, agreement_id="JPN-AUS"), "op")
    other.dispose()
    with pytest.raises(AcsaError) as refused:
        handle(uow, AcceptOrder(order_id=order.id), "approver")
    assert refused.value.codes == ["CATEGORY_NOT_COVERED"]
