"""The node's pages through a real ``acsa serve`` process over SQLite and PostgreSQL: the
exchange (this node's key and fingerprint, the partners', what was exchanged) and the
reconciliation of the two books (our signed book to download, a partner's file reconciled on
the page or as a statement), for the node's nation's people only.

The node is set up in the database before the server starts: JPN, with AUS registered as a
partner whose key the test holds (to sign a book as AUS would), and one received order
between them.
"""

from __future__ import annotations

import io
import json
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import httpx
import pytest
from babel.messages.extract import extract_from_file
from jinja2.ext import babel_extract
from openpyxl import load_workbook
from pypdf import PdfReader

from acsa import i18n
from acsa.adapters import book_file
from acsa.adapters.db.engine import make_engine
from acsa.adapters.db.unit_of_work import UnitOfWork
from acsa.adapters.signing import NodeKey
from acsa.commands import AcceptOrder, DeliverOrder, PlaceOrder, ReceiveOrder, SubmitOrder
from acsa.services.courier import add_partner, courier_status, init_node
from acsa.services.handlers import handle
from tests.api.server import Server, add_people
from tests.e2e.test_web_finance import rows, text_of
from tests.e2e.test_web_pages import csrf_of, sign_in
from tests.orders_data import order_doc

AT = datetime(2026, 3, 10, 9, 0, tzinfo=UTC)
WEB = Path(__file__).resolve().parents[2] / "src" / "acsa" / "web"
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


@dataclass
class Node:
    base: str
    url: str
    fingerprint: str
    partner_key: NodeKey
    clients: dict[str, httpx.Client]

    def as_(self, name: str) -> httpx.Client:
        if name not in self.clients:
            self.clients[name] = sign_in(self.base, name)
        return self.clients[name]


@pytest.fixture
def node(db_url: str, tmp_path: Path) -> Iterator[Node]:
    engine = make_engine(db_url)
    try:
        uow = UnitOfWork(engine)
        placed = PlaceOrder.from_wire(order_doc())
        order, _ = handle(uow, placed, "Lt Sato", AT - timedelta(days=5))
        assert order.id is not None
        handle(uow, SubmitOrder(order_id=order.id), "Capt. Smith", AT - timedelta(days=4))
        handle(uow, AcceptOrder(order_id=order.id), "Cdr Tanaka", AT - timedelta(days=3))
        handle(uow, DeliverOrder(order_id=order.id), "PO Ito", AT - timedelta(days=1))
        handle(uow, ReceiveOrder(order_id=order.id), "Sgt Lee", AT)
        made = init_node(engine, "JPN", tmp_path / "jpn.key", "test")
        partner_key = NodeKey.generate()
        add_partner(engine, "AUS", "http://127.0.0.1:9", partner_key.public_text, "test")
    finally:
        engine.dispose()
    add_people(db_url, ("JPN", "AUS"), passwords=True)
    with Server(db_url, log=tmp_path / "serve.log") as server:
        site = Node(server.base, db_url, made.fingerprint, partner_key, {})
        try:
            yield site
        finally:
            for client in site.clients.values():
                client.close()


def as_partner(data: bytes, key: NodeKey) -> bytes:
    """Our book file as the partner would send it: nation and partner swapped, re-signed."""
    doc = json.loads(data)
    doc["nation"], doc["partner"] = doc["partner"], doc["nation"]
    return book_file.sign_book(doc, key)


def upload(client: httpx.Client, data: bytes, answer: str = "html", **form: str) -> httpx.Response:
    fields = {"answer": answer, **form}
    return client.post(
        "/books/reconcile",
        data=fields,
        files={"file": ("book.json", data, "application/json")},
    )


def test_exchange_page_shows_this_nodes_fingerprint_and_the_partner(node: Node) -> None:
    moved = node.as_("JPN-viewer").get("/exchange")  # the page's address of the last release
    assert (moved.status_code, moved.headers["location"]) == (308, "/courier")
    page = node.as_("JPN-viewer").get("/courier")
    assert page.status_code == 200, page.text
    assert 'href="/courier" aria-current="page"' in page.text
    assert node.fingerprint in page.text
    words = text_of(page.text)
    assert "another channel" in words
    partners = rows(page.text, "partners")
    assert [r[0] for r in partners] == ["AUS"]
    assert node.partner_key.fingerprint in partners[0][2]
    assert next(r[0] for r in rows(page.text, "exchange-status")).startswith("AUS")
    assert "No document was refused." in page.text


def test_the_book_downloads_and_reconciles_on_the_page_and_as_statements(node: Node) -> None:
    jpn = node.as_("JPN-finance")
    page = jpn.get("/books")
    assert page.status_code == 200, page.text
    assert 'href="/books/AUS.json"' in page.text
    assert 'enctype="multipart/form-data"' in page.text
    csrf = csrf_of(page.text)

    got = jpn.get("/books/AUS.json")
    assert got.status_code == 200, got.text
    assert "attachment" in got.headers["content-disposition"]
    ours = got.content
    doc = json.loads(ours)
    assert (doc["format"], doc["nation"], doc["partner"]) == ("acsa-book", "JPN", "AUS")
    assert doc["key"] == node.fingerprint
    assert doc["signature"]
    assert len(doc["orders"]) == 1
    table = jpn.get("/books/AUS.csv")
    assert table.status_code == 200
    assert table.text.splitlines()[0].startswith("uid,agreement")
    assert jpn.get("/books/NZL.json").status_code == 404
    assert jpn.get("/books/AUS.exe").status_code == 404

    # Our own file back is not a partner's book: refused, naming the field.
    own = upload(jpn, ours, csrf=csrf)
    assert own.status_code == 422, own.text
    assert "BOOK_INVALID" in own.text
    assert "own book" in own.text
    assert 'class="refusal"' in own.text

    # The same book as AUS signs it: everything matches.
    theirs = as_partner(ours, node.partner_key)
    done = upload(jpn, theirs, csrf=csrf)
    assert done.status_code == 200, done.text
    assert "1 orders match; 0 differences." in done.text
    assert rows(done.text, "differences") == [["No differences: the two books agree."]]

    # Changed and signed by a key that is not AUS's: each difference is listed.
    changed = json.loads(theirs)
    changed["orders"][0]["paid"] = "7"
    forged = book_file.sign_book(changed, NodeKey.generate())
    found = upload(jpn, forged, csrf=csrf)
    assert found.status_code == 200, found.text
    listed = rows(found.text, "differences")
    kinds = {r[1].split()[-1] for r in listed}
    assert {"signature", "amount"} <= kinds, listed
    assert any(r[2] == "paid" and r[3] == "0" and r[4] == "7" for r in listed), listed
    # The order is named by its number in each book too, ours linked to its page.
    number = doc["orders"][0]["number"]
    paid = next(r for r in listed if r[2] == "paid")
    assert f"Ours #{number} · Theirs #{number}" in paid[0], paid
    assert f'<a href="/orders/{number}">#{number}</a>' in found.text
    assert "0 orders match; 2 differences." in found.text

    xlsx = upload(jpn, theirs, "xlsx", csrf=csrf)
    assert xlsx.status_code == 200, xlsx.text
    assert xlsx.headers["content-type"] == XLSX
    sheet = load_workbook(io.BytesIO(xlsx.content)).active
    assert sheet is not None
    cells = [str(c) for row in sheet.iter_rows(values_only=True) for c in row if c is not None]
    assert "1 matched, 0 differences" in cells
    pdf = upload(jpn, theirs, "pdf", csrf=csrf)
    assert pdf.status_code == 200
    assert pdf.headers["content-type"] == "application/pdf"
    text = "".join(p.extract_text() for p in PdfReader(io.BytesIO(pdf.content)).pages)
    assert "1 matched, 0 differences" in text


def test_malformed_files_and_forms_without_the_token_are_refused(node: Node) -> None:
    jpn = node.as_("JPN-viewer")
    csrf = csrf_of(jpn.get("/books").text)
    engine = make_engine(node.url)
    before = courier_status(engine)

    broken = upload(jpn, b"{not json", csrf=csrf)
    assert broken.status_code == 422
    assert "BOOK_INVALID" in broken.text
    assert 'field <code class="field">file</code>' in broken.text
    wrong = upload(jpn, json.dumps({"format": "acsa-book", "version": 9}).encode(), csrf=csrf)
    assert wrong.status_code == 422
    assert "version" in wrong.text

    theirs = as_partner(jpn.get("/books/AUS.json").content, node.partner_key)
    for token in ({}, {"csrf": "forged"}):
        refused = upload(jpn, theirs, **token)
        assert refused.status_code in (400, 403), refused.text
        assert "FORBIDDEN" in refused.text
        assert "matched" not in refused.text
    refused_file = upload(jpn, theirs, "xlsx")
    assert refused_file.headers["content-type"].startswith("text/html")
    assert courier_status(engine) == before
    engine.dispose()


def test_another_nations_people_see_neither_page(node: Node) -> None:
    aus = node.as_("AUS-all")
    for path in ("/courier", "/books", "/books/AUS.json", "/books/AUS.csv"):
        got = aus.get(path)
        assert got.status_code == 403, (path, got.status_code)
        assert node.fingerprint not in got.text
        assert "acsa-book" not in got.text
    csrf = csrf_of(aus.get("/ledger").text)
    data = as_partner(node.as_("JPN-viewer").get("/books/AUS.json").content, node.partner_key)
    posted = upload(aus, data, csrf=csrf)
    assert posted.status_code == 403
    assert "matched" not in posted.text


def test_not_a_node_says_how_to_make_one(sqlite_url: str, tmp_path: Path) -> None:
    add_people(sqlite_url, ("JPN",), passwords=True)
    with Server(sqlite_url, log=tmp_path / "serve.log") as server:
        client = sign_in(server.base, "JPN-viewer")
        try:
            for path in ("/courier", "/books"):
                page = client.get(path)
                assert page.status_code == 200, page.text
                assert "acsa node init --nation XXX" in page.text
            assert client.get("/books/AUS.json").status_code == 400
        finally:
            client.close()


def test_the_japanese_pages_and_every_text_translated(node: Node) -> None:
    jpn = node.as_("JPN-viewer")
    csrf = csrf_of(jpn.get("/courier").text)
    switched = jpn.post("/language", data={"language": "ja", "csrf": csrf, "next": "/courier"})
    assert switched.status_code == 303
    page = jpn.get("/courier").text
    assert "文書送達：相手国ノードとの署名付き文書の送受信" in page  # the courier page's title
    assert "帳簿照合" in page
    assert "帳簿の照合" in jpn.get("/books").text
    broken = upload(jpn, b"[]", csrf=csrf)
    assert "帳簿ファイルが正しくありません" in broken.text

    catalog = i18n.catalog("ja")
    found: dict[str, Any] = {}
    for name in ("courier.html", "books.html", "base.html"):
        with (WEB / "templates" / name).open("rb") as stream:
            for line, _f, message, _c in babel_extract(
                stream, ("_", "ngettext"), [], {"extensions": "jinja2.ext.i18n"}
            ):
                first = message[0] if isinstance(message, tuple) else message
                if first:
                    found.setdefault(first, f"{name}:{line}")
    for line, message, _c, _x in extract_from_file(
        "python", str(WEB / "routes" / "courier.py"), keywords={"N_": None}
    ):
        found.setdefault(str(message), f"courier.py:{line}")
    assert len(found) > 50
    missing = {m: w for m, w in found.items() if not getattr(catalog.get(m), "string", None)}
    assert missing == {}
