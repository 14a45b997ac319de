"""Designations on two real nodes (AUS and JPN, each over its own SQLite file, in process): a
partner's signed documents applied from the inbox are never checked against this node's
designations (the partner's officials are the partner's business), even where this node
requires designations of the partner's nation; each node still checks its own people."""

from __future__ import annotations

from pathlib import Path

import pytest

from acsa.adapters.db.unit_of_work import UnitOfWork
from acsa.commands import AcceptOrder, DeliverOrder, PlaceOrder, ReceiveOrder, SubmitOrder
from acsa.domain.errors import AcsaError
from acsa.services import designations, orders, users
from acsa.services.handlers import handle
from tests.exchange.test_every_kind import Pair
from tests.orders_data import order_doc


def _designate(uow: UnitOfWork, user: str, nation: str, role: str) -> None:
    users.add_user(uow, {"name": user, "nation": nation, "roles": ["viewer"]}, "test")
    doc = {
        "user": user,
        "role": role,
        "limit": "10000000",
        "currency": "JPY",
        "valid_from": "2020-01-01",
        "reference": f"{nation}-{role}",
        "reference_date": "2019-12-01",
    }
    designations.add_designation(uow, doc, "test")


def test_the_partners_steps_are_applied_without_our_designations(tmp_path: Path) -> None:
    pair = Pair(tmp_path)
    aus, jpn = (lambda: pair.uow("AUS")), (lambda: pair.uow("JPN"))
    _designate(aus(), "aus-ops", "AUS", "ordering")
    _designate(aus(), "aus-logistics", "AUS", "receiving")
    _designate(jpn(), "jpn-approver", "JPN", "accepting")
    # Each node requires designations of the partner's nation too: none is recorded there.
    designations.set_policy(aus(), "JPN", required=True)
    designations.set_policy(jpn(), "AUS", required=True)
    order, _ = handle(aus(), PlaceOrder.from_wire(order_doc()), "aus-ops")
    assert order.id is not None
    assert order.uid is not None
    with pytest.raises(AcsaError) as caught:
        handle(aus(), SubmitOrder(order_id=order.id), "aus-clerk")
    assert caught.value.codes == ["NOT_DESIGNATED"]
    handle(aus(), SubmitOrder(order_id=order.id), "aus-ops")
    pair.pump()
    theirs = pair.local_id("JPN", order.uid)
    assert orders.get_order(jpn(), theirs).status.value == "submitted"
    with pytest.raises(AcsaError) as refused:
        handle(jpn(), AcceptOrder(order_id=theirs), "jpn-someone")
    assert refused.value.codes == ["NOT_DESIGNATED"]
    handle(jpn(), AcceptOrder(order_id=theirs), "jpn-approver")
    handle(jpn(), DeliverOrder(order_id=theirs), "jpn-logistics")
    pair.pump()
    assert orders.get_order(aus(), order.id).status.value == "delivered"
    handle(aus(), ReceiveOrder(order_id=order.id), "aus-logistics")
    pair.pump()
    assert orders.get_order(jpn(), theirs).status.value == "received"
    assert [k for k, _ in pair.wires("AUS")] == [k for k, _ in pair.wires("JPN")]
