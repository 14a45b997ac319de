"""Disputes between two real nodes (AUS on SQLite, JPN on PostgreSQL, each serving with its
own key): AUS disputes the receipt of JPN's goods, with a scan of the receipt as evidence;
the dispute crosses as a signed document, so both nodes show the same open dispute and the
amount apart as disputed; JPN answers with a credit note for the agreed amount, whose answer
and credit note cross too. Both books are then equal and balanced, each node reconciles the
other's signed book with zero differences, and `ledger verify` and `audit verify` pass on
both."""

from __future__ import annotations

import functools
import hashlib
from decimal import Decimal
from typing import Any

from tests.exchange.nodes import Node, wait_for
from tests.exchange.test_corrections_cross import _mirrored
from tests.exchange.test_two_nodes import _books_agree, _chain, _status
from tests.orders_data import order_doc

SCAN = b"%PDF-1.5\n% 12 cases of water crushed, Sgt Brown, RAAF Darwin\n%%EOF\n"


def _disputes(node: Node, oid: int) -> list[dict[str, Any]]:
    found: list[dict[str, Any]] = node.call("finance", "GET", f"/orders/{oid}/disputes")
    return found


def _one(node: Node, oid: int, status: str) -> dict[str, Any] | None:
    shown = _disputes(node, oid)
    return shown[0] if shown and shown[0]["status"] == status else None


def test_a_disputed_receipt_resolved_by_a_credit_note_leaves_both_books_equal(
    nodes: tuple[Node, Node],
) -> None:
    aus, jpn = nodes
    placed = aus.call("requester", "POST", "/orders", json=order_doc())
    uid, aid = placed["uid"], placed["id"]
    aus.call("requester", "POST", f"/orders/{aid}/submit")
    jid = wait_for(lambda: _status(jpn, uid, "submitted"), what="the order on JPN")["id"]
    jpn.call("approver", "POST", f"/orders/{jid}/accept")
    jpn.call("logistics", "POST", f"/orders/{jid}/deliver")
    wait_for(lambda: _status(aus, uid, "delivered"), what="the delivery on AUS")
    aus.call("logistics", "POST", f"/orders/{aid}/receive")
    wait_for(lambda: _status(jpn, uid, "received"), what="the receipt on JPN")
    history = aus.call("viewer", "GET", f"/orders/{aid}")["history"]
    receipt = f"receipt:{next(e['seq'] for e in history if e['action'] == 'receive')}"
    with aus.client("logistics") as client:
        sent = client.post(
            f"/orders/{aid}/attachments",
            files={"file": ("crushed.pdf", SCAN, "application/pdf")},
            data={"step": receipt},
        )
    assert sent.status_code == 201, sent.text
    digest = hashlib.sha256(SCAN).hexdigest()

    opened = aus.call(
        "logistics",
        "POST",
        f"/orders/{aid}/disputes",
        json={
            "step": receipt,
            "ground": "quality",
            "reason": "12 cases of water arrived crushed",
            "amount": "24000",
            "evidence": digest,
        },
    )
    number = opened["number"]
    there = wait_for(lambda: _one(jpn, jid, "open"), what="the dispute on JPN")
    for key in ("number", "step", "ground", "reason", "amount", "currency", "evidence"):
        assert there[key] == opened[key], key
    assert (there["opened_by"], there["partner"]) == ("AUS", "AUS")
    for node, oid in ((aus, aid), (jpn, jid)):
        account = node.call("finance", "GET", f"/orders/{oid}/account")["account"]
        assert Decimal(account["disputed"]) == Decimal(24000)

    invoice = jpn.call("finance", "POST", f"/orders/{jid}/invoices", json={})
    total = Decimal(invoice["amount"])
    answered = jpn.call(
        "finance",
        "POST",
        f"/orders/{jid}/disputes/{number}/answer",
        json={"resolution": "credit_note", "agreed": "18000", "note": "9 cases agreed"},
    )
    assert answered["status"] == "resolved"
    assert answered["credit_note"] is not None
    on_aus = wait_for(lambda: _one(aus, aid, "resolved"), what="the answer on AUS")
    assert (on_aus["resolution"], on_aus["agreed"], on_aus["credit_note"]) == (
        "credit_note",
        "18000",
        answered["credit_note"],
    )

    def credited(node: Node, oid: int) -> dict[str, Any] | None:
        account: dict[str, Any] = node.call("finance", "GET", f"/orders/{oid}/account")["account"]
        return account if account["credited"] == "18000" else None

    for node, oid in ((aus, aid), (jpn, jid)):
        account = wait_for(functools.partial(credited, node, oid), what="the credit note")
        assert Decimal(account["owed_in_cash"]) == total - 18000
        assert Decimal(account["disputed"]) == 0
    assert _chain(aus.db_url, uid) == _chain(jpn.db_url, uid)
    _mirrored(aus, jpn)
    for node in (aus, jpn):
        assert node.call("auditor", "GET", "/ledger/verify")["ok"]
        assert node.call("auditor", "GET", "/audit/verify")["ok"]
        [row] = node.call("all", "GET", "/exchange/status")["partners"]
        assert (row["pending"], row["refused"]) == (0, 0)
    _books_agree(aus, jpn)
