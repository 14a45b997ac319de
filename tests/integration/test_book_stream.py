"""The book file version 2 read as it streams: it round-trips whatever the size of the pieces it
is read in, its quick reading agrees with the checked one, and `acsa books reconcile` on a real
file (exported by `acsa books export`, signed back as the partner) reconciles it streamed, reads
a version 1 file whole in any order, and refuses a version 2 file out of uid order naming the
order."""

from __future__ import annotations

import io
import json
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import Engine
from typer.testing import CliRunner

from acsa.adapters import book_file
from acsa.adapters.book_file import BookStream, order_json, write_book
from acsa.adapters.db.unit_of_work import UnitOfWork
from acsa.adapters.signing import NodeKey, parse_public, verify
from acsa.cli import app
from acsa.domain.errors import AcsaError
from acsa.domain.reconcile import BookOrder
from tests.integration.test_books import node
from tests.unit.test_reconcile import book_orders

__all__ = ["node"]

KEY = NodeKey.generate()
HEADER = {
    "format": "acsa-book",
    "version": 2,
    "nation": "NZL",
    "partner": "JPN",
    "generated_at": "2026-12-06T00:00:00+00:00",
}


@st.composite
def sorted_orders(draw: st.DrawFn) -> list[BookOrder]:
    uids = sorted(draw(st.lists(st.uuids().map(str), max_size=8, unique=True)))
    orders = [draw(book_orders(uid)) for uid in uids]
    # Text in several scripts, so that a piece may end inside a character.
    return [
        o if i % 2 else type(o)(**{**_fields(o), "agreement": "JPN-NZL 物品役務相互提供"})
        for i, o in enumerate(orders)
    ]


def _fields(order: BookOrder) -> dict[str, Any]:
    return {name: getattr(order, name) for name in order.__slots__}


def written(orders: list[BookOrder]) -> bytes:
    out = io.BytesIO()
    assert write_book(out, HEADER, orders, KEY) == len(orders)
    return out.getvalue()


@settings(max_examples=30, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(sorted_orders(), st.integers(5, 200))
def test_version_2_round_trips_read_in_pieces_of_any_size(
    orders: list[BookOrder], piece: int
) -> None:
    data = written(orders)
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(book_file, "READ_CHARS", piece)
        stream = BookStream(io.BytesIO(data))
        assert (stream.nation, stream.partner, stream.key) == ("NZL", "JPN", KEY.fingerprint)
        assert list(stream.orders) == orders
        stream.finish()
    assert verify(parse_public(KEY.public_text), stream.signed, stream.signature)
    # The file is one JSON object, its orders one a line, as json reads it.
    assert [o["uid"] for o in json.loads(data)["orders"]] == [o.uid for o in orders]
    assert len(data.splitlines()) == len(orders) + 3 + (not orders)


def test_a_reformatted_file_is_read_but_its_signature_does_not_verify() -> None:
    order = BookOrder("u1", "JPN-NZL", "NZL", "JPN", "NZD", "accepted", number=4)
    data = written([order])
    stream = BookStream(io.BytesIO(json.dumps(json.loads(data), indent=2).encode()))
    assert list(stream.orders) == [order]
    stream.finish()
    assert not verify(parse_public(KEY.public_text), stream.signed, stream.signature)


json_values = st.recursive(
    st.none()
    | st.booleans()
    | st.integers(-3, 3)
    | st.text(max_size=4)
    | st.sampled_from(["", "1", "0.5", "NaN", "Infinity", "1_0", " 2 ", "1e3"]),
    lambda inner: st.lists(inner, max_size=2) | st.dictionaries(st.text(max_size=3), inner),
    max_leaves=4,
)


@st.composite
def order_objects(draw: st.DrawFn) -> Any:
    """An order's JSON object, one of its fields (perhaps nested) set to any JSON value."""
    doc: Any = order_json(draw(book_orders("u-1")))
    doc["number"] = 3
    target = doc
    path = draw(st.sampled_from(["", "lines", "documents"]))
    if path and target[path]:
        target = target[path][draw(st.integers(0, len(target[path]) - 1))]
    names = sorted(target)
    name = draw(st.sampled_from(names))
    if draw(st.booleans()):
        target[name] = draw(json_values)
    else:
        del target[name]
    return doc


@settings(max_examples=400, deadline=None)
@given(order_objects())
def test_the_quick_reading_accepts_only_what_the_checked_one_does(doc: Any) -> None:
    quick = book_file._quick_order(doc)
    try:
        checked = book_file._checked_order(doc, "orders[0].")
    except AcsaError:
        assert quick is None
        return
    assert quick is None or (quick == checked and quick.number == checked.number)


# --- through `acsa books reconcile` on a real file --------------------------------------------


def exported(url: str, tmp_path: Path) -> dict[str, Any]:
    """Our book as `acsa books export` writes it, as a document."""
    done = CliRunner().invoke(
        app, ["books", "export", "--partner", "AUS", "--out", str(tmp_path / "ours"), "--db", url]
    )
    assert done.exit_code == 0, done.output
    data = (tmp_path / "ours.json").read_bytes()
    assert data.startswith(b'{"format":"acsa-book","version":2,')
    # written as read, then renamed whole: no part file is left
    assert sorted(p.name for p in tmp_path.glob("ours*")) == ["ours.csv", "ours.json"]
    table = (tmp_path / "ours.csv").read_text().splitlines()
    assert table[0].startswith("uid,agreement,")
    assert len(table) == 4
    refused = CliRunner().invoke(
        app, ["books", "export", "--partner", "NZL", "--out", str(tmp_path / "nzl"), "--db", url]
    )
    assert refused.exit_code == 2, refused.output
    assert "PARTNER_NOT_FOUND" in refused.output
    assert not list(tmp_path.glob("nzl*"))
    doc: dict[str, Any] = json.loads(data)
    return doc


def reconciled(url: str, path: Path) -> tuple[int, Any]:
    done = CliRunner().invoke(app, ["books", "reconcile", str(path), "--json", "--db", url])
    return done.exit_code, json.loads(done.output)


def as_partner(doc: dict[str, Any]) -> dict[str, Any]:
    return {**doc, "nation": doc["partner"], "partner": doc["nation"]}


def test_the_cli_reconciles_an_exported_file_streamed(
    node: tuple[Engine, NodeKey, str], tmp_path: Path
) -> None:
    _, partner_key, url = node
    doc = as_partner(exported(url, tmp_path))
    uids = [o["uid"] for o in doc["orders"]]
    assert uids == sorted(uids)
    path = tmp_path / "theirs.json"
    path.write_bytes(book_file.sign_book(doc, partner_key))
    code, body = reconciled(url, path)
    assert (code, body["matched"], body["differences"]) == (0, 3, [])
    doc["orders"][1]["status"] = "closed"
    doc["orders"].pop(2)
    path.write_bytes(book_file.sign_book(doc, partner_key))
    code, body = reconciled(url, path)
    assert code == 1
    assert sorted((d["kind"], d["order"]) for d in body["differences"]) == sorted(
        [("state", uids[1]), ("missing_there", uids[2])]
    )


def test_a_version_1_file_in_any_order_is_read_whole(
    node: tuple[Engine, NodeKey, str], tmp_path: Path
) -> None:
    _, partner_key, url = node
    doc = as_partner(exported(url, tmp_path))
    doc["version"] = 1
    doc["orders"].reverse()
    path = tmp_path / "theirs-v1.json"
    path.write_bytes(book_file.sign_book(doc, partner_key))
    assert b'"orders": [\n' in path.read_bytes()  # the layout version 1 writes
    code, body = reconciled(url, path)
    assert (code, body["matched"], body["differences"]) == (0, 3, [])


@pytest.mark.parametrize(
    ("change", "field", "said"),
    [
        (lambda orders: orders.reverse(), "orders[1].uid", "ascending uid order"),
        (lambda orders: orders.insert(1, orders[0]), "orders[1].uid", "in the file twice"),
    ],
)
def test_a_version_2_file_out_of_uid_order_is_refused_naming_the_order(
    node: tuple[Engine, NodeKey, str], tmp_path: Path, change: Any, field: str, said: str
) -> None:
    _, partner_key, url = node
    doc = as_partner(exported(url, tmp_path))
    change(doc["orders"])
    path = tmp_path / "theirs.json"
    path.write_bytes(book_file.sign_book(doc, partner_key))
    code, body = reconciled(url, path)
    assert code == 2
    [error] = body["errors"]
    assert (error["code"], error["field"]) == ("BOOK_INVALID", field)
    assert said in error["message"]


def test_a_version_2_file_with_its_header_after_its_orders_is_refused(
    node: tuple[Engine, NodeKey, str], tmp_path: Path
) -> None:
    _, _, url = node
    doc = as_partner(exported(url, tmp_path))
    path = tmp_path / "theirs.json"
    path.write_text(json.dumps({"orders": doc.pop("orders"), **doc}))
    code, body = reconciled(url, path)
    assert code == 2
    [error] = body["errors"]
    assert (error["code"], error["field"]) == ("BOOK_INVALID", "orders")
    assert "before its orders" in error["message"]


# --- our book from the database, a page at a time ---------------------------------------------


def test_our_book_is_read_by_uid_a_page_at_a_time_on_each_database(
    engine: Engine, monkeypatch: pytest.MonkeyPatch
) -> None:
    from acsa.commands import PlaceOrder, SubmitOrder
    from acsa.services import books
    from acsa.services.handlers import handle
    from tests.integration.test_books import AT, _received
    from tests.orders_data import order_doc

    uow = UnitOfWork(engine)
    for _ in range(4):
        _received(uow)
    for _ in range(3):
        placed, _ = handle(uow, PlaceOrder.from_wire(order_doc()), "Lt Sato", AT)
        handle(uow, SubmitOrder(order_id=placed.id), "Capt. Smith", AT)
    monkeypatch.setattr(books, "CHUNK", 3)  # three pages, the last short
    with UnitOfWork(engine, read_only=True) as reading:
        whole = books.our_book(reading, "AUS", "JPN")
        paged = list(books.our_orders_by_uid(reading, "AUS", "JPN"))
    assert len(paged) == 7
    assert paged == sorted(whole.orders, key=lambda o: o.uid)
    assert [o.number for o in paged] == [
        o.number for o in sorted(whole.orders, key=lambda o: o.uid)
    ]
    assert any(o.paid or o.value_received for o in paged)
