"""What an order attests crosses to the partner's node with it: the order document carries the
reason for cash, the determination it cites, the hostilities declared and the warnings
confirmed, signed; the partner's node records them on its copy of the order."""

from __future__ import annotations

import json
from typing import Any

from sqlalchemy import select

from acsa.adapters.db import tables as t
from acsa.adapters.db.engine import make_engine
from tests.exchange.nodes import Node, wait_for
from tests.orders_data import order_doc

ATTESTED = {
    "cash_reason": "Rations and water are consumed in the exercise; returning them is difficult",
    "determination": "JPN-AUS determination 2026-07",
    "determination_date": "2026-09-15",
    "hostilities": True,
}
SHOWN = ("cash_reason", "determination", "determination_date", "hostilities", "confirmed")


def _order_document(url: str, uid: str) -> dict[str, Any]:
    """The body of the order's first document as the node holds it (signed, as sent)."""
    engine = make_engine(url)
    d = t.documents.c
    try:
        with engine.connect() as conn:
            wire = conn.execute(select(d.wire).where(d.order_uid == uid, d.seq == 1)).scalar_one()
    finally:
        engine.dispose()
    document: dict[str, Any] = json.loads(wire)
    return document


def _body(document: dict[str, Any]) -> dict[str, Any]:
    body = document.get("body", document)
    assert isinstance(body, dict)
    return body


def test_an_order_arrives_on_the_partners_node_with_what_it_attests(
    nodes: tuple[Node, Node],
) -> None:
    aus, jpn = nodes
    doc = order_doc(**ATTESTED, confirm=["ACTIVITY_UNVERIFIED"])
    placed = aus.call("requester", "POST", "/orders", json=doc)
    uid = placed["uid"]
    aus.call("requester", "POST", f"/orders/{placed['id']}/submit")
    there = wait_for(lambda: jpn.order_by_uid(uid), what="the order on JPN's node")
    assert {k: there[k] for k in SHOWN} == {k: placed[k] for k in SHOWN}
    assert there["confirmed"] == ["ACTIVITY_UNVERIFIED"]
    assert there["hostilities"] is True
    # the signed document itself carries them, the same on both nodes
    sent = _order_document(aus.db_url, uid)
    assert sent == _order_document(jpn.db_url, uid)
    body = _body(sent)
    for name, value in ATTESTED.items():
        assert body[name] == value, name
    assert body["confirm"] == ["ACTIVITY_UNVERIFIED"]


def test_an_order_attesting_nothing_sends_no_attestation(nodes: tuple[Node, Node]) -> None:
    aus, jpn = nodes
    # settled by return, as the text prefers: no reason for cash to give
    doc = order_doc(settlement="replacement_in_kind")
    plain = {k: v for k, v in doc.items() if k != "cash_reason"}
    placed = aus.call("requester", "POST", "/orders", json=plain)
    aus.call("requester", "POST", f"/orders/{placed['id']}/submit")
    there = wait_for(lambda: jpn.order_by_uid(placed["uid"]), what="the order on JPN's node")
    assert (there["cash_reason"], there["hostilities"], there["confirmed"]) == (None, False, [])
    body = _body(_order_document(aus.db_url, placed["uid"]))
    for name in ("cash_reason", "determination", "determination_date", "hostilities", "confirm"):
        assert name not in body, name
