"""Approval before commitment between two real nodes (AUS on SQLite, JPN on PostgreSQL): AUS
sets approval tiers; its draft above them, edited and approved tier by tier, is kept on AUS's
node (no document of it is queued, JPN has nothing of it) until it is authorised and
submitted; then JPN's node receives the order (with the note and file attached to the draft)
and its submission together, and shows who authorised it (name, rank, position, date) and
nothing of the approvals' comments."""

from __future__ import annotations

import hashlib
import io
import json
from typing import Any

import httpx
from pypdf import PdfReader
from sqlalchemy import func, select

from acsa.adapters.db import tables as t
from acsa.adapters.db.engine import make_engine
from tests.exchange.nodes import Node, wait_for
from tests.orders_data import order_doc

QUOTE = b"%PDF-1.5\n% quote from the depot, 2,644,020 JPY\n1 0 obj\n<<>>\nendobj\n%%EOF\n"


def _documents(node: Node, uid: str) -> list[str]:
    engine = make_engine(node.db_url)
    try:
        with engine.connect() as conn:
            rows = conn.execute(
                select(t.documents.c.kind)
                .where(t.documents.c.order_uid == uid)
                .order_by(t.documents.c.seq)
            )
            return [r.kind for r in rows]
    finally:
        engine.dispose()


def _outbox(node: Node) -> int:
    engine = make_engine(node.db_url)
    try:
        with engine.connect() as conn:
            return int(conn.execute(select(func.count()).select_from(t.outbox)).scalar_one())
    finally:
        engine.dispose()


def _as(node: Node, role: str, method: str, path: str, **kwargs: Any) -> httpx.Response:
    with node.client(role) as client:
        return client.request(method, path, **kwargs)


def _submitted(node: Node, uid: str) -> dict[str, Any] | None:
    order = node.order_by_uid(uid)
    return order if order is not None and order["status"] == "submitted" else None


def test_the_partner_receives_the_order_only_once_authorised(nodes: tuple[Node, Node]) -> None:
    aus, jpn = nodes
    aus.call(
        "admin",
        "PUT",
        "/approvals/tiers",
        json={"thresholds": ["1000000", "2000000"], "currency": "JPY"},
    )
    for who, rank in (("AUS-approver", "Major"), ("AUS-all", "Colonel")):
        profile = {"full_name": f"{who} officer", "rank": rank, "position": "Logistics"}
        role = who.split("-", 1)[1]
        aus.call(role, "PATCH", f"/users/{who}/profile", json=profile)
    outbox_before = _outbox(aus)
    placed = aus.call("requester", "POST", "/orders", json=order_doc())
    aid, uid = placed["id"], placed["uid"]
    version = aus.call("requester", "GET", f"/orders/{aid}")["version"]
    aus.call(
        "requester",
        "PUT",
        f"/orders/{aid}",
        json=order_doc(remarks="for the exercise"),
        headers={"If-Match": f'"{version}"'},
    )
    aus.call("requester", "POST", f"/orders/{aid}/note", json={"note": "quote from the depot"})
    with aus.client("requester") as client:
        sent = client.post(
            f"/orders/{aid}/attachments", files={"file": ("quote.pdf", QUOTE, "application/pdf")}
        )
    assert sent.status_code == 201, sent.text
    refused = _as(aus, "requester", "POST", f"/orders/{aid}/submit")
    assert (refused.status_code, refused.json()["code"]) == (409, "APPROVAL_REQUIRED")
    aus.call("approver", "POST", f"/approvals/{aid}/approve", json={"comment": "internal"})
    # Nothing of the draft is queued for JPN, and JPN has nothing of it.
    assert _documents(aus, uid) == []
    assert _outbox(aus) == outbox_before
    assert jpn.order_by_uid(uid) is None
    aus.call("all", "POST", f"/approvals/{aid}/approve", json={"tier": 2})
    aus.call("requester", "POST", f"/orders/{aid}/submit")
    there = wait_for(lambda: _submitted(jpn, uid), what="the authorised order on JPN")
    # The order's terms as submitted, then the draft's note and file, then the submission.
    assert _documents(aus, uid) == ["order", "note", "attachment", "submit"]
    assert _documents(jpn, uid) == ["order", "note", "attachment", "submit"]
    shown = jpn.call("viewer", "GET", f"/orders/{there['id']}")
    assert shown["remarks"] == "for the exercise"
    assert [n["note"] for n in shown["notes"]] == ["quote from the depot"]
    [quote] = jpn.call("viewer", "GET", f"/orders/{there['id']}/attachments")
    assert quote["sha256"] == hashlib.sha256(QUOTE).hexdigest()
    [submit] = [h for h in shown["history"] if h["action"] == "submit"]
    named = submit["details"]["approvals"]
    assert [(a["tier"], a["approver"], a["name"], a["rank"]) for a in named] == [
        ("1", "AUS-approver", "AUS-approver officer", "Major"),
        ("2", "AUS-all", "AUS-all officer", "Colonel"),
    ]
    assert all(a["at"] for a in named)
    assert "internal" not in json.dumps(shown)
    # The order form JPN prints names who authorised it (its JSON and its PDF).
    form = jpn.call("viewer", "GET", f"/orders/{there['id']}/form", params={"format": "json"})
    assert [a["approver"] for a in form["approvals"]] == ["AUS-approver", "AUS-all"]
    with jpn.client("viewer") as client:
        pdf = client.get(f"/orders/{there['id']}/form")
    assert pdf.status_code == 200
    text = " ".join(p.extract_text() for p in PdfReader(io.BytesIO(pdf.content)).pages)
    assert "Authorised before submission" in text
    assert "AUS-approver officer, Major, Logistics" in " ".join(text.split())
    # And JPN accepts it as any submitted order.
    jpn.call("approver", "POST", f"/orders/{there['id']}/accept")
    wait_for(
        lambda: (aus.call("viewer", "GET", f"/orders/{aid}")["status"] == "accepted") or None,
        what="the acceptance on AUS",
    )
    # A draft kept back while AUS had tiers still reaches JPN whole once AUS drops them.
    later = aus.call("requester", "POST", "/orders", json=order_doc())
    assert _documents(aus, later["uid"]) == []
    cleared = aus.call("admin", "PUT", "/approvals/tiers", json={"thresholds": []})
    assert cleared["tiers"] == []
    aus.call("requester", "POST", f"/orders/{later['id']}/submit")
    wait_for(lambda: _submitted(jpn, later["uid"]), what="the later order on JPN")
    assert _documents(jpn, later["uid"]) == ["order", "submit"]
