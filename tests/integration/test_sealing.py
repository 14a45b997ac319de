"""Sealing what a unit of work publishes (adapters/db/sealing.py), on SQLite and PostgreSQL: on a
node, each change to an order it is party to becomes a document chained after the order's last
one, signed with the node's key and queued for the partner, in the change's own transaction;
a step that is the partner's to record is refused, and a refused change seals nothing."""

from __future__ import annotations

from pathlib import Path

import pytest
from sqlalchemy import Engine

from acsa.adapters.db.unit_of_work import UnitOfWork
from acsa.adapters.signing import parse_public, verify
from acsa.commands import PlaceOrder, SubmitOrder
from acsa.domain.documents import GENESIS, parse_wire
from acsa.domain.errors import AcsaError
from acsa.services import orders
from acsa.services.courier import init_node
from acsa.services.handlers import handle
from tests.orders_data import order_doc


def _node(engine: Engine, nation: str, tmp_path: Path) -> str:
    """This installation made ``nation``'s node; its public key."""
    return init_node(engine, nation, tmp_path / f"{nation}.key", "test").public_key


def test_each_step_is_chained_signed_and_queued_for_the_partner(
    engine: Engine, tmp_path: Path
) -> None:
    public = parse_public(_node(engine, "AUS", tmp_path), "public_key")
    order, _ = handle(UnitOfWork(engine), PlaceOrder.from_wire(order_doc()), "AUS-requester")
    assert order.id is not None
    assert order.uid is not None
    handle(UnitOfWork(engine), SubmitOrder(order_id=order.id), "AUS-requester")

    with UnitOfWork(engine, read_only=True) as uow:
        rows = uow.documents.of_order(order.uid)
        queued = uow.outbox.find(rows[0].id)
    documents = [parse_wire(row.wire.encode()) for row in rows]
    assert [(d.seq, d.kind.value, d.issuer, d.recipient) for d in documents] == [
        (1, "order", "AUS", "JPN"),
        (2, "submit", "AUS", "JPN"),
    ]
    assert documents[0].prev == GENESIS
    assert documents[1].prev == documents[0].hash
    for document in documents:
        assert verify(public, document.signed_bytes(), document.signature)
    assert [(r.partner, r.status) for r in queued] == [("JPN", "pending")]


def test_a_step_that_is_the_partners_to_record_is_refused_and_seals_nothing(
    engine: Engine, tmp_path: Path
) -> None:
    # Japan supplies Australia: the order itself is Australia's document, never Japan's.
    _node(engine, "JPN", tmp_path)
    with pytest.raises(AcsaError) as refused:
        handle(UnitOfWork(engine), PlaceOrder.from_wire(order_doc()), "JPN-requester")
    assert refused.value.codes == ["NOT_THIS_NODE"]
    with UnitOfWork(engine, read_only=True) as uow:
        assert uow.outbox.counts() == {}
        assert orders.list_orders(uow) == []
