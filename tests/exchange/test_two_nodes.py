"""Two nations, two servers, two databases, two keys: an order's whole life crosses between
them as signed documents, and both books end up the same; a node that is down catches up."""

from __future__ import annotations

import itertools
from typing import Any

from sqlalchemy import select, text

from acsa.adapters.db import tables as t
from acsa.adapters.db.engine import make_engine
from tests.exchange.nodes import Node, counts, wait_for
from tests.orders_data import order_doc


def _status(node: Node, uid: str, status: str) -> dict[str, Any] | None:
    order = node.order_by_uid(uid)
    return order if order is not None and order["status"] == status else None


def _same_order(a: Node, b: Node, uid: str) -> None:
    mine, theirs = a.order_by_uid(uid), b.order_by_uid(uid)
    assert mine is not None
    assert theirs is not None
    for name in ("status", "total", "value_received", "currency", "agreement", "requester"):
        assert mine[name] == theirs[name], name
    strip = ("number", "quantity", "accepted", "delivered", "received", "short")
    assert [{k: ln.get(k) for k in strip} for ln in mine["lines"]] == [
        {k: ln.get(k) for k in strip} for ln in theirs["lines"]
    ]
    assert [(e["action"], e["actor"], e["at"]) for e in mine["history"]] == [
        (e["action"], e["actor"], e["at"]) for e in theirs["history"]
    ]


def _chain(url: str, uid: str) -> list[tuple[int, str, str, str]]:
    engine = make_engine(url)
    d = t.documents.c
    with engine.connect() as conn:
        rows = conn.execute(
            select(d.seq, d.id, d.hash, d.prev).where(d.order_uid == uid).order_by(d.seq)
        ).all()
    engine.dispose()
    return [(r.seq, r.id, r.hash, r.prev) for r in rows]


def _books_agree(aus: Node, jpn: Node) -> None:
    """Each node reconciles the other's signed book file against its own: zero differences."""
    for here, there in ((aus, jpn), (jpn, aus)):
        with there.client("auditor") as client:
            exported = client.get("/books/export", params={"partner": here.nation})
        assert exported.status_code == 200, exported.text
        report = here.call("auditor", "POST", "/books/reconcile", content=exported.content)
        assert report["differences"] == [], report
        assert report["summary"] == f"{report['matched']} matched, 0 differences"
        assert report["matched"] >= 1


def test_an_order_lives_on_both_nodes_and_the_books_agree(nodes: tuple[Node, Node]) -> None:
    aus, jpn = nodes
    placed = aus.call("requester", "POST", "/orders", json=order_doc())
    uid = placed["uid"]
    aus.call("requester", "POST", f"/orders/{placed['id']}/submit")

    # The order appears on JPN's node, submitted, as AUS placed it.
    there = wait_for(lambda: _status(jpn, uid, "submitted"), what="the order on JPN's node")
    jid = there["id"]
    jpn.call("approver", "POST", f"/orders/{jid}/accept")
    jpn.call("logistics", "POST", f"/orders/{jid}/deliver")
    wait_for(lambda: _status(aus, uid, "delivered"), what="the delivery on AUS's node")
    aus.call(
        "logistics",
        "POST",
        f"/orders/{placed['id']}/receive",
        json={"lines": {"1": "11950"}, "note": "50 L lost in transfer"},
    )
    wait_for(lambda: _status(jpn, uid, "received"), what="the receipt on JPN's node")
    invoice = jpn.call("finance", "POST", f"/orders/{jid}/invoices", json={})
    wait_for(
        lambda: any(
            i["number"] == invoice["number"] for i in aus.call("finance", "GET", "/invoices")
        ),
        what="the invoice on AUS's node",
    )
    aus.call(
        "finance",
        "POST",
        f"/invoices/{invoice['number']}/payments",
        json={"amount": invoice["amount"], "date": invoice["issued"], "reference": "TT-1"},
    )
    paid = wait_for(
        lambda: [
            i
            for i in jpn.call("finance", "GET", "/invoices")
            if i["number"] == invoice["number"] and i["status"] == "paid"
        ],
        what="the payment on JPN's node",
    )
    assert paid[0]["paid"] == invoice["amount"]

    # Both nodes hold the same order, the same chain of documents, the same postings.
    _same_order(aus, jpn, uid)
    chain = _chain(aus.db_url, uid)
    assert [seq for seq, *_ in chain] == list(range(1, 8))  # order, submit, ..., payment
    assert chain == _chain(jpn.db_url, uid)
    for before, after in itertools.pairwise(chain):
        assert after[3] == before[2]  # each document carries the previous one's hash
    # Each node's own book mirrors the other's: what AUS received, JPN provided.
    [mine] = aus.call("finance", "GET", "/ledger/balances")
    [theirs] = jpn.call("finance", "GET", "/ledger/balances")
    assert (mine["received"], mine["provided"]) == (theirs["provided"], theirs["received"])
    assert mine["received"] == "2636420"
    assert (mine["owed_to_us"], mine["owed_by_us"]) == (theirs["owed_by_us"], theirs["owed_to_us"])
    _books_agree(aus, jpn)
    for node in (aus, jpn):
        status = node.call("all", "GET", "/exchange/status")
        [row] = status["partners"]
        assert (row["pending"], row["refused"]) == (0, 0)
        # AUS issued the order, submission, receipt and payment; JPN the rest.
        assert (row["delivered"], row["received"]) == ((4, 3) if node is aus else (3, 4))


def test_a_node_down_in_a_burst_gets_everything_once_in_order(
    nodes: tuple[Node, Node],
) -> None:
    aus, jpn = nodes
    uids: list[str] = []
    for number in range(12):
        if number == 4:
            jpn.server.stop()  # down in the middle of the burst
        placed = aus.call("requester", "POST", "/orders", json=order_doc(remarks=f"#{number}"))
        aus.call("requester", "POST", f"/orders/{placed['id']}/submit")
        uids.append(placed["uid"])
    status = aus.call("all", "GET", "/exchange/status")
    assert status["partners"][0]["pending"] > 0
    assert status["partners"][0]["last_error"]
    jpn.server.start()

    def all_there() -> bool:
        row = aus.call("all", "GET", "/exchange/status")["partners"][0]
        return bool(row["pending"] == 0)

    wait_for(all_there, what="the outbox to empty after the restart")
    row = aus.call("all", "GET", "/exchange/status")["partners"][0]
    assert (row["delivered"], row["refused"]) == (24, 0)
    engine = make_engine(jpn.db_url)
    with engine.connect() as conn:
        # Once each: 12 orders, 24 documents, in the order AUS issued them.
        assert conn.execute(text("SELECT count(*) FROM orders")).scalar_one() == 12
        received = conn.execute(
            select(t.documents.c.order_uid, t.documents.c.seq).order_by(
                t.documents.c.recorded_at, t.documents.c.seq
            )
        ).all()
    engine.dispose()
    assert len(received) == 24
    assert [r.order_uid for r in received] == [u for u in uids for _ in (1, 2)]
    for uid in uids:
        _same_order(aus, jpn, uid)
        assert _chain(aus.db_url, uid) == _chain(jpn.db_url, uid)
    assert counts(make_engine(jpn.db_url))["documents"] == 24
    _books_agree(aus, jpn)


def test_settlement_in_kind_and_its_conversion_cross_too(nodes: tuple[Node, Node]) -> None:
    """A replacement in kind recorded by the requester, then the supplier's sweep converting
    the rest to cash past the deadline (with its invoice): both reach the other node."""
    aus, jpn = nodes
    doc = order_doc(settlement="replacement_in_kind")
    doc["lines"] = doc["lines"][:1]
    placed = aus.call("requester", "POST", "/orders", json=doc)
    uid = placed["uid"]
    aus.call("requester", "POST", f"/orders/{placed['id']}/submit")
    there = wait_for(lambda: _status(jpn, uid, "submitted"), what="the order on JPN")
    jpn.call("approver", "POST", f"/orders/{there['id']}/accept")
    jpn.call("logistics", "POST", f"/orders/{there['id']}/deliver")
    wait_for(lambda: _status(aus, uid, "delivered"), what="the delivery on AUS")
    aus.call("logistics", "POST", f"/orders/{placed['id']}/receive")
    wait_for(lambda: _status(jpn, uid, "received"), what="the receipt on JPN")
    aus.call(
        "finance",
        "POST",
        f"/orders/{placed['id']}/replacements",
        json={
            "lines": [
                {"line": 1, "category": "fuel", "quantity": "2000", "nsn": "9130-01-031-5816"}
            ],
            "note": "returned at Darwin",
        },
    )

    def replaced_on_jpn() -> bool:
        account = jpn.call("finance", "GET", f"/orders/{there['id']}/account")
        return bool(account["account"]["settled_in_kind"] != "0")

    wait_for(replaced_on_jpn, what="the replacement on JPN")
    swept = jpn.call("finance", "POST", "/sweep", json={"as_of": "2028-12-31"})
    [conversion] = swept["converted"]
    assert conversion["amount"] == str(10000 * 152)
    wait_for(
        lambda: any(
            i["number"] == conversion["invoice"] for i in aus.call("finance", "GET", "/invoices")
        ),
        what="the conversion's invoice on AUS",
    )
    # AUS's own sweep converts nothing of what JPN supplied: that is JPN's document to issue.
    assert aus.call("finance", "POST", "/sweep", json={"as_of": "2028-12-31"})["converted"] == []
    mine = aus.call("finance", "GET", f"/orders/{placed['id']}/account")["account"]
    theirs = jpn.call("finance", "GET", f"/orders/{there['id']}/account")["account"]
    assert mine == theirs | {"order": placed["id"]}
    assert (mine["settled_in_kind"], mine["converted"]) == (str(2000 * 152), str(10000 * 152))
    assert _chain(aus.db_url, uid) == _chain(jpn.db_url, uid)
    _books_agree(aus, jpn)
