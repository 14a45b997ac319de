"""Corrections between two real nodes (AUS on SQLite, JPN on PostgreSQL, each serving with its
own key): the supplier reverses a payment the requester recorded, voids the invoice and issues
it again, and issues a credit note. Each crosses as a signed document and is applied on the
partner's node; both books stay mirrored, `ledger verify` passes on both, and each node
reconciles the other's signed book with zero differences."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from tests.exchange.nodes import Node, wait_for
from tests.exchange.test_two_nodes import _books_agree, _chain, _status
from tests.orders_data import order_doc


def _invoice(node: Node, number: str) -> dict[str, Any] | None:
    invoices = node.call("finance", "GET", "/invoices")
    return next((i for i in invoices if i["number"] == number), None)


def _when(node: Node, number: str, check: Any, what: str) -> dict[str, Any]:
    def found() -> dict[str, Any] | None:
        invoice = _invoice(node, number)
        return invoice if invoice is not None and check(invoice) else None

    result: dict[str, Any] = wait_for(found, what=what)
    return result


def _mirrored(aus: Node, jpn: Node) -> None:
    [mine] = aus.call("finance", "GET", "/ledger/balances")
    [theirs] = jpn.call("finance", "GET", "/ledger/balances")
    assert (mine["received"], mine["provided"]) == (theirs["provided"], theirs["received"])
    assert (mine["owed_to_us"], mine["owed_by_us"]) == (theirs["owed_by_us"], theirs["owed_to_us"])


def test_a_reversal_a_void_and_a_credit_note_cross_and_the_books_agree(
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
    first = jpn.call("finance", "POST", f"/orders/{jid}/invoices", json={})
    number, total = first["number"], Decimal(first["amount"])
    _when(aus, number, lambda i: True, "the invoice on AUS")

    # AUS pays; JPN reverses the payment (it never arrived): AUS applies the reversal.
    aus.call(
        "finance",
        "POST",
        f"/invoices/{number}/payments",
        json={"amount": "500000", "date": first["issued"], "reference": "TT-1"},
    )
    paid = _when(jpn, number, lambda i: i["payments"], "the payment on JPN")
    payment = paid["payments"][0]["id"]
    reversed_ = jpn.call(
        "finance", "POST", f"/payments/{payment}/reversal", json={"reason": "never arrived"}
    )
    assert (reversed_["paid"], reversed_["payments"][0]["reversed"]) == ("0", True)
    there = _when(aus, number, lambda i: i["corrections"], "the reversal on AUS")
    assert there["paid"] == "0"
    [correction] = there["corrections"]
    assert (correction["kind"], correction["payment"], correction["reason"]) == (
        "reversal",
        1,
        "never arrived",
    )
    assert there["payments"][0]["reversed"] is True
    # The requester's finance may not reverse: the correction is the creditor's.
    with aus.client("finance") as client:
        mine = aus.call("finance", "GET", f"/invoices/{number}")["payments"][0]["id"]
        refused = client.post(f"/payments/{mine}/reversal", json={"reason": "x"})
    assert refused.status_code == 403, refused.text

    # JPN voids the invoice (wrong citation) and invoices again; AUS sees the void.
    voided = jpn.call("finance", "POST", f"/invoices/{number}/void", json={"reason": "citation"})
    assert voided["status"] == "void"
    _when(aus, number, lambda i: i["status"] == "void", "the void on AUS")
    again = jpn.call("finance", "POST", f"/orders/{jid}/invoices", json={})
    assert Decimal(again["amount"]) == total
    _when(aus, again["number"], lambda i: True, "the new invoice on AUS")

    # A credit note by JPN: both books take it off, with the same number on both nodes.
    credited = jpn.call(
        "finance",
        "POST",
        f"/invoices/{again['number']}/credit-notes",
        json={"amount": "80020", "reason": "water price agreed"},
    )
    [note] = credited["corrections"]
    on_aus = _when(aus, again["number"], lambda i: i["corrections"], "the credit note on AUS")
    assert on_aus["corrections"][0]["number"] == note["number"]
    assert on_aus["unpaid"] == str(total - 80020)
    aus.call(
        "finance",
        "POST",
        f"/invoices/{again['number']}/payments",
        json={"amount": str(total - 80020), "date": again["issued"]},
    )
    _when(jpn, again["number"], lambda i: i["status"] == "paid", "the payment on JPN")

    # Both nodes: the same chain, mirrored books, clean checks, reconciled with 0 differences.
    assert _chain(aus.db_url, uid) == _chain(jpn.db_url, uid)
    _mirrored(aus, jpn)
    for node in (aus, jpn):
        checked = node.call("auditor", "GET", "/ledger/verify")
        assert checked["ok"], checked
        status = node.call("all", "GET", "/exchange/status")
        [row] = status["partners"]
        assert (row["pending"], row["refused"]) == (0, 0)
        path = f"/orders/{aid if node is aus else jid}/account"
        account = node.call("finance", "GET", path)["account"]
        assert (account["owed_in_cash"], account["credited"]) == ("0", "80020")
        assert [c["kind"] for c in account["corrections"]] == ["reversal", "void", "credit"]
    _books_agree(aus, jpn)
