"""An order naming an implementing arrangement crosses between two nodes (AUS on SQLite, JPN
on PostgreSQL, two real servers) carrying the arrangement's reference. Arrangements are each
node's registry: where the partner's node holds the same arrangement the reference resolves
to it there (``orders.arrangement_id``); where it does not, the order keeps the reference as
text and is not refused, and the supplier still accepts it."""

from __future__ import annotations

from urllib.parse import quote

from sqlalchemy import select

from acsa.adapters.db import tables as t
from acsa.adapters.db.engine import make_engine
from tests.exchange.nodes import Node, wait_for
from tests.integration.test_arrangements import REFERENCE, arrangement_doc
from tests.orders_data import order_doc

ONLY_AUS = "AUS-JPN local procedure 7"


def _stored(url: str, uid: str) -> tuple[int | None, str | None, str | None]:
    engine = make_engine(url)
    o = t.orders.c
    with engine.connect() as conn:
        row = conn.execute(
            select(o.arrangement_id, o.arrangement, o.fund_citation).where(o.uid == uid)
        ).one()
    engine.dispose()
    return row.arrangement_id, row.arrangement, row.fund_citation


def _accepted(node: Node, oid: int) -> dict[str, object] | None:
    order: dict[str, object] = node.call("viewer", "GET", f"/orders/{oid}")
    return order if order["status"] == "accepted" else None


def test_an_order_arrives_with_its_arrangements_reference(nodes: tuple[Node, Node]) -> None:
    aus, jpn = nodes
    for node in (aus, jpn):
        node.call("admin", "POST", "/agreements/JPN-AUS/arrangements", json=arrangement_doc())
    aus.call(
        "admin",
        "POST",
        "/agreements/JPN-AUS/arrangements",
        json=arrangement_doc(reference=ONLY_AUS),
    )
    assert [
        a["reference"] for a in jpn.call("viewer", "GET", "/agreements/JPN-AUS/arrangements")
    ] == [REFERENCE]

    # held by both nodes: resolved on JPN's as on AUS's
    placed = aus.call("requester", "POST", "/orders", json=order_doc(arrangement=REFERENCE))
    uid = placed["uid"]
    there = wait_for(lambda: jpn.order_by_uid(uid), what="the order on JPN's node")
    assert there["arrangement"] == REFERENCE
    # the requester's default fund citation, filled where it was placed, crossed with it
    assert there["fund_citation"] == placed["fund_citation"] == "DEF cost centre 7731"
    here_id, _, _ = _stored(aus.db_url, uid)
    there_id, there_ref, _ = _stored(jpn.db_url, uid)
    assert here_id is not None
    assert there_id is not None
    assert there_ref == REFERENCE

    # held by AUS's node only: JPN keeps the reference as text, and accepts the order
    other = aus.call("requester", "POST", "/orders", json=order_doc(arrangement=ONLY_AUS))
    aus.call("requester", "POST", f"/orders/{other['id']}/submit")
    other_uid = other["uid"]
    arrived = wait_for(
        lambda: (o := jpn.order_by_uid(other_uid)) and o["status"] == "submitted" and o,
        what="the submitted order on JPN's node",
    )
    assert arrived["arrangement"] == ONLY_AUS
    assert _stored(jpn.db_url, other_uid)[:2] == (None, ONLY_AUS)
    assert _stored(aus.db_url, other_uid)[0] is not None
    jpn.call("approver", "POST", f"/orders/{arrived['id']}/accept")
    wait_for(lambda: _accepted(aus, other["id"]), what="the acceptance on AUS's node")
    page = jpn.call(
        "viewer", "GET", f"/agreements/JPN-AUS/arrangements/{quote(REFERENCE, safe='')}"
    )
    assert page["reference"] == REFERENCE
