"""The two books on a real SQLite file: export this node's book with a partner, reconcile it
back re-signed as the partner (no differences), then each planted change is reported."""

from __future__ import annotations

import copy
import json
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import Engine
from typer.testing import CliRunner

from acsa.adapters import book_file
from acsa.adapters.db.courier_repository import NODE_KEY_FILE, NODE_NATION, NODE_PUBLIC_KEY
from acsa.adapters.db.engine import make_engine
from acsa.adapters.db.unit_of_work import UnitOfWork
from acsa.adapters.signing import NodeKey
from acsa.cli import app
from acsa.commands import (
    AcceptOrder,
    DeliverOrder,
    IssueInvoice,
    PlaceOrder,
    ReceiveOrder,
    RecordPayment,
    SubmitOrder,
)
from acsa.domain.errors import AcsaError, Code
from acsa.services import books
from acsa.services.handlers import handle
from tests.orders_data import order_doc

AT = datetime(2026, 3, 10, 9, 0, tzinfo=UTC)


def _received(uow: UnitOfWork) -> int:
    order, _ = handle(uow, PlaceOrder.from_wire(order_doc()), "Lt Sato", AT - timedelta(days=5))
    handle(uow, SubmitOrder(order_id=order.id), "Capt. Smith", AT - timedelta(days=4))
    handle(uow, AcceptOrder(order_id=order.id), "Cdr Tanaka", AT - timedelta(days=3))
    handle(uow, DeliverOrder(order_id=order.id), "PO Ito", AT - timedelta(days=1))
    handle(uow, ReceiveOrder(order_id=order.id), "Sgt Lee", AT)
    assert order.id is not None
    return order.id


@pytest.fixture
def node(sqlite_url: str, tmp_path: Path) -> tuple[Engine, NodeKey, str]:
    """A JPN node with AUS registered as partner (whose key the test holds), three orders
    between them: two received (one invoiced and partly paid) before the node was set up,
    one placed and submitted by JPN on the node (two signed documents)."""
    engine = make_engine(sqlite_url)
    uow = UnitOfWork(engine)
    first = _received(uow)
    _received(uow)
    invoice = handle(uow, IssueInvoice(order_id=first, issued=date(2026, 3, 11)), "fin")
    handle(
        uow,
        RecordPayment(invoice=invoice.number, amount=Decimal("1000"), paid=date(2026, 3, 12)),
        "fin",
    )
    ours, theirs = NodeKey.generate(), NodeKey.generate()
    key_file = tmp_path / "node.key"
    ours.save(key_file)
    with UnitOfWork(engine) as w:
        w.settings.set(NODE_NATION, "JPN")
        w.settings.set(NODE_PUBLIC_KEY, ours.public_text)
        w.settings.set(NODE_KEY_FILE, str(key_file))
        w.partners.put("AUS", "http://aus.invalid", theirs.public_text, theirs.fingerprint, AT)
        w.connection.commit()
    mine = order_doc(requester="JPN", supplier="AUS", location="Camp Fuji")
    placed, _ = handle(UnitOfWork(engine), PlaceOrder.from_wire(mine), "Lt Sato", AT)
    handle(UnitOfWork(engine), SubmitOrder(order_id=placed.id), "Capt. Smith", AT)
    return engine, theirs, sqlite_url


def as_partner(data: bytes, key: NodeKey, change: Any = None) -> bytes:
    """Our exported file as the partner would send it: nation and partner swapped, ``change``
    applied to the document, signed with the partner's key."""
    doc = json.loads(data)
    doc["nation"], doc["partner"] = doc["partner"], doc["nation"]
    if change is not None:
        # ``change`` names orders by their place in number order; the file lists them by uid.
        doc["orders"].sort(key=lambda o: o["number"])
        change(doc)
        doc["orders"].sort(key=lambda o: o["uid"])
    return book_file.sign_book(doc, key)


def test_export_is_signed_and_lists_every_order(node: tuple[Engine, NodeKey, str]) -> None:
    engine, _, _ = node
    data, text = books.export_book(engine, "AUS")
    book, key = book_file.read_book(data)
    assert (book.nation, book.partner, len(book.orders)) == ("JPN", "AUS", 3)
    with UnitOfWork(engine, read_only=True) as uow:
        assert uow.node is not None
        assert key == uow.node.fingerprint
    paid = sorted(o.paid for o in book.orders)
    assert paid[-1] == Decimal(1000)
    assert sorted(len(o.documents) for o in book.orders) == [0, 0, 2]
    assert text.splitlines()[0].startswith("uid,agreement,")
    assert len(text.splitlines()) == 4
    # Our own file is ours, not a partner's.
    with pytest.raises(AcsaError) as refused:
        books.reconcile_file(engine, data)
    assert refused.value.violations[0].code is Code.BOOK_INVALID


def test_own_book_signed_as_partner_reconciles_without_differences(
    node: tuple[Engine, NodeKey, str],
) -> None:
    engine, partner_key, _ = node
    data, _ = books.export_book(engine, "AUS")
    report = books.reconcile_file(engine, as_partner(data, partner_key))
    assert report.differences == []
    assert report.summary == "3 matched, 0 differences"


def _set(path: tuple[Any, ...], value: Any) -> Any:
    def change(doc: dict[str, Any]) -> None:
        target: Any = doc
        for step in path[:-1]:
            target = target[step]
        target[path[-1]] = value

    return change


def _drop_first(doc: dict[str, Any]) -> None:
    doc["orders"].pop(0)


def _extra(doc: dict[str, Any]) -> None:
    extra = copy.deepcopy(doc["orders"][0])
    extra["uid"] = "not-ours"
    doc["orders"].append(extra)


@pytest.mark.parametrize(
    ("change", "kind", "field"),
    [
        (_set(("orders", 0, "paid"), "12.5"), "amount", "paid"),
        (_set(("orders", 0, "lines", 0, "delivered"), "1"), "quantity", "line 1 delivered"),
        (_set(("orders", 0, "status"), "closed"), "state", "status"),
        (_set(("orders", 0, "currency"), "AUD"), "currency", "currency"),
        (_drop_first, "missing_there", "order"),
        (_extra, "missing_here", "order"),
        (_set(("orders", 2, "documents", 1, "hash"), "f" * 64), "document", "document 2"),
        (_set(("orders", 2, "documents", 1, "prev"), "e" * 64), "chain", "document 2"),
    ],
)
def test_planted_change_is_reported(
    node: tuple[Engine, NodeKey, str], change: Any, kind: str, field: str
) -> None:
    engine, partner_key, _ = node
    data, _ = books.export_book(engine, "AUS")
    report = books.reconcile_file(engine, as_partner(data, partner_key, change))
    assert [(d.kind, d.field) for d in report.differences] == [(kind, field)]
    assert report.summary.endswith(", 1 difference")


def test_bad_signature_is_a_file_level_difference(node: tuple[Engine, NodeKey, str]) -> None:
    engine, _, _ = node
    data, _ = books.export_book(engine, "AUS")
    forged = as_partner(data, NodeKey.generate())
    report = books.reconcile_file(engine, forged)
    assert [(d.order, d.kind) for d in report.differences] == [(None, "signature")]
    assert report.matched == 3
    tampered = json.loads(as_partner(data, node[1]))
    tampered["orders"][0]["paid"] = "99"
    report = books.reconcile_file(engine, json.dumps(tampered).encode())
    assert sorted(d.kind for d in report.differences) == ["amount", "signature"]


def test_unregistered_nation_and_malformed_files(node: tuple[Engine, NodeKey, str]) -> None:
    engine, partner_key, _ = node
    data, _ = books.export_book(engine, "AUS")
    doc = json.loads(as_partner(data, partner_key))
    doc["nation"] = "NZL"
    report = books.reconcile_file(engine, json.dumps(doc).encode())
    assert report.differences[0].kind == "signature"
    broken = json.loads(as_partner(data, partner_key))
    broken["orders"][1]["lines"][0]["quantity"] = 5
    for bad, field in (
        (b"{", "file"),
        (b"[]", "file"),
        (json.dumps({**doc, "format": "x"}).encode(), "format"),
        (json.dumps({**doc, "partner": "NZL"}).encode(), "partner"),
        (json.dumps(broken).encode(), "orders[1].lines[0].quantity"),
    ):
        with pytest.raises(AcsaError) as refused:
            books.reconcile_file(engine, bad)
        violation = refused.value.violations[0]
        assert (violation.code, violation.field) == (Code.BOOK_INVALID, field)


def test_not_a_node(sqlite_url: str) -> None:
    with pytest.raises(AcsaError) as refused:
        books.our_book(UnitOfWork(make_engine(sqlite_url), read_only=True), "AUS")
    assert refused.value.violations[0].code is Code.NODE_NOT_INITIALISED


def test_cli_export_and_reconcile(node: tuple[Engine, NodeKey, str], tmp_path: Path) -> None:
    _, partner_key, url = node
    runner = CliRunner()
    base = tmp_path / "book"
    done = runner.invoke(
        app, ["books", "export", "--partner", "AUS", "--out", str(base), "--db", url]
    )
    assert done.exit_code == 0, done.output
    data = base.with_suffix(".json").read_bytes()
    assert base.with_suffix(".csv").read_text().startswith("uid,")
    theirs = tmp_path / "theirs.json"
    theirs.write_bytes(as_partner(data, partner_key))
    same = runner.invoke(app, ["books", "reconcile", str(theirs), "--db", url])
    assert same.exit_code == 0, same.output
    assert same.output.strip().splitlines()[-1] == "3 matched, 0 differences"
    theirs.write_bytes(as_partner(data, partner_key, _set(("orders", 0, "paid"), "7")))
    found = runner.invoke(app, ["books", "reconcile", str(theirs), "--format", "json", "--db", url])
    assert found.exit_code == 1, found.output
    body = json.loads(found.output)
    assert body["summary"] == "2 matched, 1 difference"
    assert body["differences"][0]["kind"] == "amount"
    for suffix in ("xlsx", "pdf"):
        path = tmp_path / f"statement.{suffix}"
        args = ["books", "reconcile", str(theirs), "--format", suffix, "--out", str(path)]
        written = runner.invoke(app, [*args, "--db", url])
        assert written.exit_code == 1, written.output
        assert path.stat().st_size > 0


def test_api_export_and_reconcile(node: tuple[Engine, NodeKey, str]) -> None:
    from fastapi.testclient import TestClient

    from acsa.api.app import create_app
    from tests.api.server import add_people

    engine, partner_key, url = node
    people = add_people(url, ("JPN", "AUS"), passwords=False)
    client = TestClient(create_app(engine))

    def auth(name: str) -> dict[str, str]:
        return {"Authorization": f"Bearer {people[name].token}"}

    exported = client.get("/api/v1/books/export?partner=AUS", headers=auth("JPN-viewer"))
    assert exported.status_code == 200, exported.text
    csv_text = client.get("/api/v1/books/export?partner=AUS&format=csv", headers=auth("JPN-viewer"))
    assert csv_text.text.startswith("uid,")
    other = client.get("/api/v1/books/export?partner=AUS", headers=auth("AUS-viewer"))
    assert other.status_code == 403
    theirs = as_partner(exported.content, partner_key, _set(("orders", 1, "status"), "closed"))
    report = client.post("/api/v1/books/reconcile", content=theirs, headers=auth("JPN-viewer"))
    assert report.status_code == 200, report.text
    assert report.json()["summary"] == "2 matched, 1 difference"
    assert report.json()["differences"][0]["kind"] == "state"
    pdf = client.post(
        "/api/v1/books/reconcile?format=pdf", content=theirs, headers=auth("JPN-viewer")
    )
    assert pdf.content.startswith(b"%PDF")
    refused = client.post("/api/v1/books/reconcile", content=b"{", headers=auth("JPN-viewer"))
    assert refused.status_code in (400, 422)
    assert "BOOK_INVALID" in refused.text
