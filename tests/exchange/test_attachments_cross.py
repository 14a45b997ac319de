"""Source documents cross between two nodes (AUS on SQLite, JPN on PostgreSQL, two real
servers): AUS's scan of its receipt travels to JPN's node inside a signed ``attachment``
document naming its SHA-256, where it is kept under that hash, listed on the order's receipt
and downloaded byte for byte; the two books reconcile with zero differences. A document whose
file does not hash to the hash it names (signed with AUS's own key) is refused on JPN's node
with ATTACHMENT_HASH_MISMATCH and nothing is recorded."""

from __future__ import annotations

import base64
import dataclasses
import hashlib
import json
import uuid
from typing import Any

import httpx
from sqlalchemy import func, select

from acsa.adapters.db import tables as t
from acsa.adapters.db.engine import make_engine
from acsa.adapters.signing import NodeKey
from acsa.domain.documents import Document, Kind, parse
from tests.exchange.nodes import Node, counts, wait_for
from tests.orders_data import order_doc

SCAN = b"%PDF-1.5\n% receipt signed by Sgt Brown, RAAF Darwin\n1 0 obj\n<<>>\nendobj\n%%EOF\n"
FORGED = b"%PDF-1.5\n% receipt for 10 L more than arrived\n%%EOF\n"


def _status(node: Node, uid: str, status: str) -> dict[str, Any] | None:
    order = node.order_by_uid(uid)
    return order if order is not None and order["status"] == status else None


def _chain(node: Node, uid: str) -> list[Document]:
    engine = make_engine(node.db_url)
    with engine.connect() as conn:
        rows = conn.execute(
            select(t.documents.c.wire)
            .where(t.documents.c.order_uid == uid)
            .order_by(t.documents.c.seq)
        ).all()
    engine.dispose()
    return [parse(json.loads(r.wire)) for r in rows]


def _files(node: Node) -> tuple[int, int]:
    engine = make_engine(node.db_url)
    with engine.connect() as conn:
        held = tuple(
            int(conn.execute(select(func.count()).select_from(table)).scalar_one())
            for table in (t.attachment_blobs, t.order_attachments)
        )
    engine.dispose()
    return held  # type: ignore[return-value]


def _listed(node: Node, oid: int, count: int) -> list[dict[str, Any]] | None:
    found: list[dict[str, Any]] = node.call("viewer", "GET", f"/orders/{oid}/attachments")
    return found if len(found) == count else None


def test_a_receipt_scan_travels_to_the_partner_and_a_forged_hash_is_refused(
    nodes: tuple[Node, Node],
) -> None:
    aus, jpn = nodes
    placed = aus.call("requester", "POST", "/orders", json=order_doc())
    aid, uid = placed["id"], placed["uid"]
    aus.call("requester", "POST", f"/orders/{aid}/submit")
    jid = wait_for(lambda: _status(jpn, uid, "submitted"), what="the order on JPN")["id"]
    jpn.call("approver", "POST", f"/orders/{jid}/accept")
    jpn.call("logistics", "POST", f"/orders/{jid}/deliver")
    wait_for(lambda: _status(aus, uid, "delivered"), what="the delivery on AUS")
    aus.call("logistics", "POST", f"/orders/{aid}/receive")
    wait_for(lambda: _status(jpn, uid, "received"), what="the receipt on JPN")
    history = aus.call("viewer", "GET", f"/orders/{aid}")["history"]
    receipt = next(e["seq"] for e in history if e["action"] == "receive")
    there = jpn.call("viewer", "GET", f"/orders/{jid}")["history"]
    assert next(e["seq"] for e in there if e["action"] == "receive") == receipt

    with aus.client("logistics") as client:
        sent = client.post(
            f"/orders/{aid}/attachments",
            files={"file": ("receipt-scan.pdf", SCAN, "application/pdf")},
            data={"step": f"receipt:{receipt}"},
        )
    assert sent.status_code == 201, sent.text
    digest = hashlib.sha256(SCAN).hexdigest()
    assert sent.json()["sha256"] == digest

    [on_jpn] = wait_for(lambda: _listed(jpn, jid, 1), what="the scan on JPN's node")
    [on_aus] = aus.call("viewer", "GET", f"/orders/{aid}/attachments")
    assert {k: v for k, v in on_jpn.items() if k != "order"} == {
        k: v for k, v in on_aus.items() if k != "order"
    }
    assert (on_jpn["sha256"], on_jpn["step"], on_jpn["actor"], on_jpn["nation"]) == (
        digest,
        f"receipt:{receipt}",
        "AUS-logistics",
        "AUS",
    )
    with jpn.client("finance") as client:
        got = client.get(f"/attachments/{digest}")
    assert got.status_code == 200
    assert got.content == SCAN
    assert got.headers["Content-Disposition"].startswith("attachment; ")

    # A file larger than any other document (a 3 MB scan) crosses as well.
    big = b"%PDF-1.7\n" + bytes(range(256)) * (3 * 1024 * 4) + b"\n%%EOF\n"
    with jpn.client("finance") as client:
        large = client.post(
            f"/orders/{jid}/attachments",
            files={"file": ("delivery-photos.pdf", big, "application/pdf")},
        )
    assert large.status_code == 201, large.text
    wait_for(lambda: _listed(aus, aid, 2), what="the large file on AUS's node")
    with aus.client("viewer") as client:
        assert client.get(f"/attachments/{hashlib.sha256(big).hexdigest()}").content == big

    # One chain on both nodes, the attachment in it naming the file's hash.
    aus_chain, jpn_chain = _chain(aus, uid), _chain(jpn, uid)
    assert [d.hash for d in aus_chain] == [d.hash for d in jpn_chain]
    head = aus_chain[-2]
    assert head.kind is Kind.ATTACHMENT
    assert head.body["sha256"] == digest
    assert aus_chain[-1].kind is Kind.ATTACHMENT

    # The books agree: a file moves no money.
    for here, other in ((aus, jpn), (jpn, aus)):
        with other.client("auditor") as client:
            exported = client.get("/books/export", params={"partner": here.nation})
        assert exported.status_code == 200, exported.text
        report = here.call("auditor", "POST", "/books/reconcile", content=exported.content)
        assert report["differences"] == [], report

    # A document signed with AUS's own key whose file is not the file its hash names.
    key = NodeKey.load(aus.key_file)
    body = {
        **head.body,
        "name": "receipt-scan-2.pdf",
        "size": len(FORGED),
        "content": base64.b64encode(FORGED).decode(),
    }
    last = aus_chain[-1]
    forged = dataclasses.replace(
        head, id=str(uuid.uuid4()), seq=last.seq + 1, prev=last.hash, body=body, signature=""
    )
    signed = dataclasses.replace(forged, signature=key.sign(forged.signed_bytes()))
    engine = make_engine(jpn.db_url)
    before = (counts(engine), _files(jpn))
    refused = httpx.post(
        jpn.server.base + "/api/v1/courier/documents",
        content=signed.wire(),
        headers={"Content-Type": "application/json"},
        timeout=30,
    )
    assert refused.status_code == 422, refused.text
    assert refused.json()["code"] == "ATTACHMENT_HASH_MISMATCH"
    assert (counts(engine), _files(jpn)) == before
    engine.dispose()
    assert len(jpn.call("viewer", "GET", f"/orders/{jid}/attachments")) == 2
    forged_digest = hashlib.sha256(FORGED).hexdigest()
    with jpn.client("viewer") as client:
        assert client.get(f"/attachments/{forged_digest}").status_code == 404
