"""Reconciling two books: random books, random planted differences of every kind; exactly the
planted ones are found, and none when none are planted."""

from __future__ import annotations

import hashlib
from dataclasses import replace
from decimal import Decimal

from hypothesis import given, settings
from hypothesis import strategies as st

from acsa.domain.documents import GENESIS
from acsa.domain.reconcile import Book, BookOrder, DocumentRef, Line, Report, reconcile

STATUSES = ("submitted", "accepted", "delivered", "received", "closed")
KINDS = (
    "missing_here",
    "missing_there",
    "state",
    "currency",
    "amount",
    "quantity",
    "document",
    "chain",
)

amounts = st.decimals(min_value=0, max_value=10**9, places=2, allow_nan=False)


def chain(uid: str, kinds: list[str]) -> tuple[DocumentRef, ...]:
    documents: list[DocumentRef] = []
    prev = GENESIS
    for seq, kind in enumerate(kinds, start=1):
        hash_ = hashlib.sha256(f"{uid}/{seq}/{kind}".encode()).hexdigest()
        documents.append((seq, f"{uid}-d{seq}", kind, hash_, prev))
        prev = hash_
    return tuple(documents)


@st.composite
def book_orders(draw: st.DrawFn, uid: str) -> BookOrder:
    lines: list[Line] = []
    for number in range(1, draw(st.integers(1, 3)) + 1):
        quantity = Decimal(draw(st.integers(1, 1000)))
        accepted = draw(st.sampled_from([None, quantity]))
        delivered = Decimal(draw(st.integers(0, int(quantity))))
        lines.append((number, quantity, accepted, delivered, delivered, Decimal(0)))
    kinds = draw(st.lists(st.sampled_from(["order", "accept", "deliver", "receive"]), max_size=5))
    return BookOrder(
        uid=uid,
        agreement="JPN-NZL",
        requester=draw(st.sampled_from(["JPN", "NZL"])),
        supplier="AUS",
        currency=draw(st.sampled_from(["JPY", "NZD"])),
        status=draw(st.sampled_from(STATUSES)),
        lines=tuple(lines),
        value_received=draw(amounts),
        invoiced=draw(amounts),
        paid=draw(amounts),
        settled_in_kind=draw(amounts),
        converted=draw(amounts),
        documents=chain(uid, kinds),
    )


@st.composite
def books(draw: st.DrawFn) -> list[BookOrder]:
    n = draw(st.integers(0, 25))
    return [draw(book_orders(f"u{i:04d}")) for i in range(n)]


def plant(
    orders: list[BookOrder], kinds: list[str], extra: BookOrder
) -> tuple[list[BookOrder], set[tuple[str | None, str, str]], int]:
    """Their copy of ``orders`` with one planted difference per kind (each on its own order);
    the planted (order, kind, field) keys; how many orders still match."""
    theirs = list(orders)
    planted: set[tuple[str | None, str, str]] = set()
    touched: set[int] = set()
    removed: list[int] = []
    free = iter(range(len(orders)))
    for kind in kinds:
        if kind == "missing_here":
            theirs.append(extra)
            planted.add((extra.uid, kind, "order"))
            continue
        index = next(free, None)
        if index is None:
            break
        order = orders[index]
        if kind in ("document", "chain") and not order.documents:
            order = replace(order, documents=chain(order.uid, ["order"]))
            orders[index] = order
            theirs[index] = order
        touched.add(index)
        if kind == "missing_there":
            removed.append(index)
            planted.add((order.uid, kind, "order"))
        elif kind == "state":
            other = next(s for s in STATUSES if s != order.status)
            theirs[index] = replace(order, status=other)
            planted.add((order.uid, kind, "status"))
        elif kind == "currency":
            theirs[index] = replace(order, currency="EUR")
            planted.add((order.uid, kind, "currency"))
        elif kind == "amount":
            theirs[index] = replace(order, paid=order.paid + Decimal("0.01"))
            planted.add((order.uid, kind, "paid"))
        elif kind == "quantity":
            first = order.lines[0]
            changed = (first[0], first[1], first[2], first[3] + 1, first[4], first[5])
            theirs[index] = replace(order, lines=(changed, *order.lines[1:]))
            planted.add((order.uid, kind, "line 1 delivered"))
        elif kind == "document":
            *head, (seq, id_, doc_kind, hash_, prev) = order.documents
            last = (seq, id_, doc_kind, "f" * 64, prev)
            theirs[index] = replace(order, documents=(*head, last))
            planted.add((order.uid, kind, f"document {seq}"))
        elif kind == "chain":
            seq, id_, doc_kind, hash_, _prev = order.documents[0]
            first_doc = (seq, id_, doc_kind, hash_, "e" * 64)
            theirs[index] = replace(order, documents=(first_doc, *order.documents[1:]))
            planted.add((order.uid, kind, "document 1"))
    theirs = [o for i, o in enumerate(theirs) if i not in removed]
    return theirs, planted, len(orders) - len(touched)


@settings(max_examples=150, deadline=None)
@given(
    books(),
    st.lists(st.sampled_from(KINDS), unique=True),
    book_orders("extra-1"),
)
def test_reconcile_finds_exactly_the_planted_differences(
    orders: list[BookOrder], kinds: list[str], extra: BookOrder
) -> None:
    ours = list(orders)
    theirs, planted, matched = plant(ours, kinds, extra)
    report = reconcile(Book("JPN", "NZL", ours), Book("NZL", "JPN", theirs))
    found = [d.key for d in report.differences]
    assert sorted(found, key=str) == sorted(planted, key=str)
    assert report.matched == matched
    assert report.summary == f"{matched} matched, {len(planted)} difference" + (
        "" if len(planted) == 1 else "s"
    )


@settings(max_examples=100, deadline=None)
@given(books())
def test_identical_books_have_no_differences(orders: list[BookOrder]) -> None:
    # Their copy built afresh (equal values, other objects, amounts at another scale).
    theirs = [replace(o, paid=o.paid.quantize(Decimal("0.0001"))) for o in orders]
    report = reconcile(Book("JPN", "NZL", orders), Book("NZL", "JPN", theirs))
    assert report.differences == []
    assert report.matched == len(orders)
    assert report.ok


def test_summary_text() -> None:
    assert Report(998, [None] * 12).summary == "998 matched, 12 differences"  # type: ignore[list-item]
    assert Report(3, []).summary == "3 matched, 0 differences"


def test_chain_gap_and_missing_document_are_reported() -> None:
    order = BookOrder("u1", "JPN-NZL", "JPN", "NZL", "JPY", "accepted", (), documents=())
    ours = replace(order, documents=chain("u1", ["order", "accept", "deliver"]))
    theirs = replace(order, documents=(ours.documents[0], ours.documents[2]))
    report = reconcile(Book("JPN", "NZL", [ours]), Book("NZL", "JPN", [theirs]))
    keys = {d.key for d in report.differences}
    assert ("u1", "document", "document 2") in keys
    assert ("u1", "chain", "document 2") in keys
    assert report.matched == 0
