"""An agreement only one node holds, in process (two SQLite files, documents handed over by the
outbox): the other node learns of it as a signed document, refuses an order under it as
REGISTRY_DIFFERS naming the version on each side (not as a stranger's agreement), and takes it
once it records the same agreement."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from sqlalchemy import select

from acsa.adapters.db import tables as t
from acsa.adapters.db.unit_of_work import UnitOfWork
from acsa.commands import AddAgreement, PlaceOrder
from acsa.services.courier import courier_status
from acsa.services.handlers import handle
from acsa.services.registry_exchange import registry_comparison, send_registry
from tests.exchange.test_every_kind import Pair
from tests.orders_data import order_doc

NEW: dict[str, Any] = {
    "id": "AUS-JPN-2026",
    "title": "A new arrangement only AUS has recorded yet",
    "parties": ["AUS", "JPN"],
    "versions": [
        {
            "label": "2026 text",
            "signed": "2026-01-10",
            "in_force": "2026-02-01",
            "activities": ["exercise"],
            "categories": ["food", "fuel", "water"],
            "settlement_methods": ["cash"],
        }
    ],
}


def _orders(engine: Any) -> list[str]:
    with engine.connect() as conn:
        return [str(u) for u in conn.execute(select(t.orders.c.uid)).scalars()]


def test_an_order_under_an_agreement_only_the_partner_holds(tmp_path: Path) -> None:
    pair = Pair(tmp_path)
    aus, jpn = pair.engines["AUS"], pair.engines["JPN"]
    handle(UnitOfWork(aus), AddAgreement.from_wire(NEW), "aus-registry")
    order, _ = handle(
        UnitOfWork(aus), PlaceOrder.from_wire(order_doc(agreement="AUS-JPN-2026")), "aus-ops"
    )
    pair.pump()

    shown = registry_comparison(jpn, "AUS")
    assert [(d.key, d.only) for d in shown.differences if d.key.startswith("AUS-JPN")] == [
        ("AUS-JPN-2026#1", "theirs")
    ]
    [refused] = courier_status(aus).refused
    assert (refused.kind, refused.code) == ("order", "REGISTRY_DIFFERS")
    assert refused.error is not None
    assert "here none, at AUS AUS-JPN-2026#1 (2026 text)" in refused.error
    assert order.uid not in _orders(jpn)
    for engine in pair.engines.values():
        engine.dispose()


def test_a_node_sends_its_whole_registry_to_a_partner_registered_later(tmp_path: Path) -> None:
    pair = Pair(tmp_path)
    aus, jpn = pair.engines["AUS"], pair.engines["JPN"]
    ours = [d.key for d in registry_comparison(jpn, "AUS").differences]
    # Nothing received from AUS yet: JPN's versions of JPN-AUS are held here only.
    assert ours
    assert all(k.startswith("JPN-AUS#") for k in ours)

    # Both nodes hold the same shipped registry: once each sent it, nothing differs.
    assert send_registry(aus, "JPN", "aus-admin") >= 1
    assert send_registry(jpn, "AUS", "jpn-admin") >= 1
    pair.pump()
    assert registry_comparison(jpn, "AUS").differences == []
    assert registry_comparison(aus, "JPN").differences == []
    assert registry_comparison(jpn, "AUS").received == len(ours)
    for engine in pair.engines.values():
        engine.dispose()
