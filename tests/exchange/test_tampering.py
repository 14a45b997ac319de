"""Documents that must not be recorded: changed on the way, signed by another key, replayed,
out of order, from a nation not party, from the wrong side, or refused by the order's rules.
Each is answered with its code, and the receiving node's database is left exactly as it was."""

from __future__ import annotations

import dataclasses
import json
import uuid
from typing import Any

import httpx
import pytest
from sqlalchemy import select

from acsa.adapters.db import tables as t
from acsa.adapters.db.engine import make_engine
from acsa.adapters.signing import NodeKey
from acsa.domain.documents import Document, Kind, parse
from tests.exchange.nodes import Node, counts, wait_for
from tests.orders_data import order_doc


def _documents(node: Node, uid: str) -> list[Document]:
    engine = make_engine(node.db_url)
    with engine.connect() as conn:
        rows = conn.execute(
            select(t.documents.c.wire)
            .where(t.documents.c.order_uid == uid)
            .order_by(t.documents.c.seq)
        ).all()
    engine.dispose()
    return [parse(json.loads(r.wire)) for r in rows]


def _post(node: Node, wire: bytes) -> httpx.Response:
    return httpx.post(
        node.server.base + "/api/v1/exchange/documents",
        content=wire,
        headers={"Content-Type": "application/json"},
        timeout=30,
    )


def _signed(document: Document, key: NodeKey, fingerprint: str | None = None) -> Document:
    unsigned = dataclasses.replace(document, key=fingerprint or key.fingerprint, signature="")
    return dataclasses.replace(unsigned, signature=key.sign(unsigned.signed_bytes()))


@pytest.fixture
def invoiced(nodes: tuple[Node, Node]) -> tuple[Node, Node, str, list[Document]]:
    """An order AUS placed, JPN accepted, delivered and invoiced, AUS received: both nodes
    hold its six documents."""
    aus, jpn = nodes
    placed = aus.call("requester", "POST", "/orders", json=order_doc())
    uid = placed["uid"]
    aus.call("requester", "POST", f"/orders/{placed['id']}/submit")
    there = wait_for(lambda: jpn.order_by_uid(uid), what="the order on JPN")
    wait_for(lambda: (jpn.order_by_uid(uid) or {}).get("status") == "submitted")
    jpn.call("approver", "POST", f"/orders/{there['id']}/accept")
    jpn.call("logistics", "POST", f"/orders/{there['id']}/deliver")
    wait_for(lambda: (aus.order_by_uid(uid) or {}).get("status") == "delivered")
    aus.call("logistics", "POST", f"/orders/{placed['id']}/receive")
    wait_for(lambda: (jpn.order_by_uid(uid) or {}).get("status") == "received")
    jpn.call("finance", "POST", f"/orders/{there['id']}/invoices", json={})
    docs = wait_for(
        lambda: [d for d in [_documents(aus, uid)] if len(d) == 6], what="six documents on AUS"
    )[0]
    return aus, jpn, uid, docs


def _refused(node: Node, wire: bytes, code: str, status: int) -> dict[str, Any]:
    engine = make_engine(node.db_url)
    before = counts(engine)
    response = _post(node, wire)
    assert response.status_code == status, response.text
    problem: dict[str, Any] = response.json()
    assert problem["code"] == code, problem
    assert counts(engine) == before  # nothing recorded
    engine.dispose()
    return problem


def test_a_changed_amount_is_a_bad_signature(invoiced: Any) -> None:
    aus, _jpn, _uid, docs = invoiced
    invoice = docs[-1]
    assert invoice.kind is Kind.INVOICE
    wire = json.loads(invoice.wire())
    wire["body"]["amount"] = "1"
    problem = _refused(aus, json.dumps(wire).encode(), "DOCUMENT_BAD_SIGNATURE", 422)
    assert "signature" in problem["detail"]


def test_a_document_re_signed_with_another_key_is_refused(invoiced: Any) -> None:
    aus, jpn, _uid, docs = invoiced
    forger = NodeKey.generate()
    changed = dataclasses.replace(docs[-1], body={**docs[-1].body, "amount": "1"})
    # Under the forger's own fingerprint: a key AUS does not know for JPN.
    problem = _refused(aus, _signed(changed, forger).wire(), "DOCUMENT_UNKNOWN_KEY", 422)
    assert jpn.fingerprint in problem["detail"]
    # Claiming JPN's fingerprint: the signature does not verify with JPN's key.
    _refused(aus, _signed(changed, forger, jpn.fingerprint).wire(), "DOCUMENT_BAD_SIGNATURE", 422)


def test_a_replayed_document_is_refused_and_names_what_was_recorded(invoiced: Any) -> None:
    aus, _jpn, _uid, docs = invoiced
    old = docs[2]  # JPN's acceptance, delivered long ago
    problem = _refused(aus, old.wire(), "DOCUMENT_REPLAYED", 409)
    assert old.hash in problem["detail"]


def test_documents_out_of_order_or_off_the_chain_are_refused(invoiced: Any) -> None:
    aus, jpn, _uid, docs = invoiced
    key = NodeKey.load(jpn.key_file)
    head = docs[-1]
    payment = dataclasses.replace(
        head,
        id=str(uuid.uuid4()),
        kind=Kind.PAYMENT,
        body={
            "invoice": head.body["number"],
            "amount": "1",
            "currency": "JPY",
            "paid": head.body["issued"],
            "reference": "",
        },
    )
    gap = dataclasses.replace(payment, seq=head.seq + 2, prev=head.hash)
    _refused(aus, _signed(gap, key).wire(), "DOCUMENT_OUT_OF_ORDER", 409)
    wrong_prev = dataclasses.replace(payment, seq=head.seq + 1, prev=docs[2].hash)
    _refused(aus, _signed(wrong_prev, key).wire(), "DOCUMENT_CHAIN_BROKEN", 409)
    taken = dataclasses.replace(payment, seq=3, prev=docs[1].hash)
    _refused(aus, _signed(taken, key).wire(), "DOCUMENT_CHAIN_BROKEN", 409)
    # In its place, JPN's genuine key and a valid link: recorded (the control).
    good = dataclasses.replace(payment, seq=head.seq + 1, prev=head.hash)
    response = _post(aus, _signed(good, key).wire())
    assert response.status_code == 201, response.text
    # The same document again is a replay.
    _refused(aus, _signed(good, key).wire(), "DOCUMENT_REPLAYED", 409)


def test_documents_from_a_nation_not_party_or_the_wrong_side_are_refused(
    invoiced: Any,
) -> None:
    aus, jpn, _uid, docs = invoiced
    key = NodeKey.load(jpn.key_file)
    head = docs[-1]
    # A receipt is the requester's (AUS) to issue, not JPN's.
    receipt = dataclasses.replace(
        head,
        id=str(uuid.uuid4()),
        kind=Kind.RECEIVE,
        seq=head.seq + 1,
        prev=head.hash,
        body={"lines": {"1": {"received": "1", "short": "0"}}},
    )
    _refused(aus, _signed(receipt, key).wire(), "DOCUMENT_WRONG_SIDE", 422)
    # An order between FRA and JPN sent to AUS: AUS is not party to it.
    body = {**docs[0].body, "requester": "FRA", "agreement": "JPN-FRA"}
    stranger = dataclasses.replace(
        docs[0], id=str(uuid.uuid4()), order=str(uuid.uuid4()), body=body, issuer="JPN"
    )
    _refused(aus, _signed(stranger, key).wire(), "DOCUMENT_NOT_PARTY", 422)


def test_a_document_the_rules_refuse_is_not_recorded(invoiced: Any) -> None:
    aus, jpn, _uid, docs = invoiced
    key = NodeKey.load(jpn.key_file)
    head = docs[-1]
    overpaid = dataclasses.replace(
        head,
        id=str(uuid.uuid4()),
        kind=Kind.PAYMENT,
        seq=head.seq + 1,
        prev=head.hash,
        body={
            "invoice": head.body["number"],
            "amount": str(int(head.body["amount"]) + 1),
            "currency": "JPY",
            "paid": head.body["issued"],
            "reference": "",
        },
    )
    _refused(aus, _signed(overpaid, key).wire(), "OVERPAYMENT", 409)
