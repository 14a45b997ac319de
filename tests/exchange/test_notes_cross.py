"""Notes cross between two nodes (AUS on SQLite, JPN on PostgreSQL, two real servers): a
note either side takes is sent as a signed ``note`` document and recorded on the partner's
node as it was taken (who, when, for which nation, the text), in the order's one chain of
documents, with its audit record; neither node's order moves, so a step made with the
version read before the note is no conflict on either node."""

from __future__ import annotations

from typing import Any

from sqlalchemy import select

from acsa.adapters.db import tables as t
from acsa.adapters.db.engine import make_engine
from tests.exchange.nodes import Node, wait_for
from tests.orders_data import order_doc


def _notes(node: Node, oid: int, count: int) -> list[dict[str, Any]] | None:
    notes: list[dict[str, Any]] = node.call("viewer", "GET", f"/orders/{oid}")["notes"]
    return notes if len(notes) == count else None


def _rows(url: str, uid: str) -> tuple[list[tuple[int, str, str]], list[tuple[Any, ...]]]:
    """The order's chain of documents (seq, kind, hash) and its note audit records."""
    engine = make_engine(url)
    d, a, o = t.documents.c, t.audit_log.c, t.orders.c
    with engine.connect() as conn:
        chain = conn.execute(
            select(d.seq, d.kind, d.hash).where(d.order_uid == uid).order_by(d.seq)
        ).all()
        oid = conn.execute(select(o.id).where(o.uid == uid)).scalar_one()
        records = conn.execute(
            select(a.actor, a.nation, a.after)
            .where(a.order_id == oid, a.action == "order.note")
            .order_by(a.seq)
        ).all()
    engine.dispose()
    return [tuple(r) for r in chain], [tuple(r) for r in records]


def test_notes_from_either_side_are_recorded_on_the_partner_s_node(
    nodes: tuple[Node, Node],
) -> None:
    aus, jpn = nodes
    placed = aus.call("requester", "POST", "/orders", json=order_doc())
    aid, uid, version = placed["id"], placed["uid"], placed["version"]
    there = wait_for(lambda: jpn.order_by_uid(uid), what="the order on JPN's node")
    jid = there["id"]

    ours = "Fuel truck delayed at the gate,\nexpect two hours late."
    aus.call("logistics", "POST", f"/orders/{aid}/note", json={"note": ours})
    [seen] = wait_for(lambda: _notes(jpn, jid, 1), what="AUS's note on JPN's node")
    [taken] = aus.call("viewer", "GET", f"/orders/{aid}")["notes"]
    assert seen == taken
    assert (seen["actor"], seen["nation"], seen["note"]) == ("AUS-logistics", "AUS", ours)

    # A draft is AUS's alone: JPN's node refuses a note on it (its note could take the place
    # of an edit of the draft, which cannot be taken back), and records nothing.
    theirs = "Stock confirmed at Darwin; we load on Tuesday."
    with jpn.client("approver") as client:
        early = client.post(f"/orders/{jid}/note", json={"note": theirs})
    assert early.status_code == 422, early.text
    assert early.json()["code"] == "NOT_THIS_NODE"

    # Neither order moved: the draft is submitted with the version read before the note.
    for node, oid in ((aus, aid), (jpn, jid)):
        shown = node.call("viewer", "GET", f"/orders/{oid}")
        assert (shown["status"], shown["version"]) == ("draft", version)
    with aus.client("requester") as client:
        submitted = client.post(f"/orders/{aid}/submit", headers={"If-Match": f'"{version}"'})
    assert submitted.status_code == 200, submitted.text
    wait_for(
        lambda: jpn.call("viewer", "GET", f"/orders/{jid}")["status"] == "submitted",
        what="the submission on JPN's node",
    )

    jpn.call("approver", "POST", f"/orders/{jid}/note", json={"note": theirs})
    on_aus = wait_for(lambda: _notes(aus, aid, 2), what="JPN's note on AUS's node")
    on_jpn = jpn.call("viewer", "GET", f"/orders/{jid}")["notes"]
    assert on_aus == on_jpn
    assert [(n["actor"], n["nation"], n["note"]) for n in on_aus] == [
        ("AUS-logistics", "AUS", ours),
        ("JPN-approver", "JPN", theirs),
    ]

    # One chain of documents on both nodes; each note has its audit record on both.
    aus_chain, aus_records = _rows(aus.db_url, uid)
    jpn_chain, jpn_records = _rows(jpn.db_url, uid)
    assert [kind for _, kind, _ in aus_chain] == ["order", "note", "submit", "note"]
    assert aus_chain == jpn_chain
    assert [(actor, nation, after["note"]) for actor, nation, after in aus_records] == [
        ("AUS-logistics", "AUS", ours),
        ("JPN-approver", "JPN", theirs),
    ]
    assert [(actor, nation, after) for actor, nation, after in jpn_records] == [
        (actor, nation, after) for actor, nation, after in aus_records
    ]
    assert len(jpn.call("viewer", "GET", f"/orders/{jid}")["notes"]) == 2
