"""The streamed reconciliation (a merge-join of two books in uid order) finds what a join of the
two books held whole in dicts finds, in the same order, for random books with random changes;
it reads its inputs lazily and refuses a book out of uid order."""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from dataclasses import replace
from decimal import Decimal

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from acsa.domain.reconcile import (
    Book,
    BookOrder,
    Difference,
    OutOfOrderError,
    Report,
    _missing,
    chain_break,
    compare,
    reconcile,
    reconcile_sorted,
)
from tests.unit.test_reconcile import STATUSES, book_orders, chain


def whole(ours: Book, theirs: Book) -> Report:
    """The join as it was before the streamed one: their book in a dict, ours looked up in it
    in our book's order, then what is left of theirs in their book's order."""
    other = {o.uid: o for o in theirs.orders}
    matched = 0
    found: list[Difference] = []
    numbers: dict[str, tuple[int | None, int | None]] = {}
    for order in ours.orders:
        mirror = other.pop(order.uid, None)
        if mirror is None:
            found.append(_missing(order, "missing_there"))
            numbers[order.uid] = (order.number, None)
            continue
        differences = compare(order, mirror)
        if differences:
            found.extend(differences)
            numbers[order.uid] = (order.number, mirror.number)
        else:
            matched += 1
    for extra in other.values():
        found.append(_missing(extra, "missing_here"))
        numbers[extra.uid] = (None, extra.number)
        broken = chain_break(extra)
        if broken is not None:
            found.append(broken)
    return Report(matched, found, ours.nation, ours.partner, numbers)


def changed(order: BookOrder, how: int) -> BookOrder:
    """Their copy of ``order`` with one change (or two) picked by ``how``."""
    if how == 0:
        return replace(order, status=next(s for s in STATUSES if s != order.status))
    if how == 1:
        return replace(order, paid=order.paid + Decimal("0.01"), currency="EUR")
    if how == 2 and order.lines:
        n, q, a, d, r, s = order.lines[-1]
        return replace(order, lines=(*order.lines[:-1], (n, q, a, d + 1, r, s)))
    if how == 3 and order.documents:
        (seq, id_, kind, hash_, _prev), *rest = order.documents
        return replace(order, documents=((seq, id_, kind, hash_, "e" * 64), *rest))
    return replace(order, documents=order.documents[:-1], converted=order.converted + 1)


@st.composite
def two_books(draw: st.DrawFn) -> tuple[Book, Book]:
    """Two books of random orders under random uids, each listed in its own number order (as
    a node lists its book), with orders missing on either side and others changed."""
    uids = draw(st.lists(st.uuids().map(str), max_size=30, unique=True))
    ours: list[BookOrder] = []
    theirs: list[BookOrder] = []
    for uid in uids:
        order = draw(book_orders(uid))
        where = draw(st.sampled_from(["both", "both", "changed", "ours", "theirs"]))
        if where in ("both", "changed", "ours"):
            ours.append(order)
        if where == "both":
            theirs.append(replace(order, paid=order.paid.quantize(Decimal("0.0001"))))
        elif where in ("changed", "theirs"):
            theirs.append(changed(order, draw(st.integers(0, 4))))
    # Each node numbers its orders in its own order: ours as listed, theirs shuffled.
    ours = [replace(o, number=i) for i, o in enumerate(ours, start=1)]
    theirs = draw(st.permutations(theirs))
    theirs = [replace(o, number=i) for i, o in enumerate(theirs, start=1)]
    numbered = draw(st.booleans())
    if not numbered:  # a file that does not number its orders
        theirs = [replace(o, number=None) for o in theirs]
    return Book("JPN", "NZL", ours), Book("NZL", "JPN", theirs)


def by_uid(orders: Iterable[BookOrder]) -> Iterator[BookOrder]:
    return iter(sorted(orders, key=lambda o: o.uid))


@settings(max_examples=200, deadline=None)
@given(two_books())
def test_streamed_result_equals_the_whole_join(books: tuple[Book, Book]) -> None:
    ours, theirs = books
    expected = whole(ours, theirs)
    streamed = reconcile_sorted(by_uid(ours.orders), by_uid(theirs.orders), "JPN", "NZL")
    assert streamed.matched == expected.matched
    assert dict(streamed.numbers) == dict(expected.numbers)
    if all(o.number is not None for o in theirs.orders):
        # people's order: ours by number, then theirs only by their number, as the join did
        assert streamed.differences == expected.differences
    else:
        assert sorted(streamed.differences, key=repr) == sorted(expected.differences, key=repr)
    assert reconcile(ours, theirs) == streamed


def test_the_books_are_read_a_pair_of_orders_at_a_time() -> None:
    pulled: list[tuple[str, str]] = []

    def book(side: str, uids: Iterable[str]) -> Iterator[BookOrder]:
        for uid in uids:
            pulled.append((side, uid))
            yield BookOrder(uid, "JPN-NZL", "JPN", "NZL", "JPY", "accepted")

    ours = book("ours", (f"u{i:05d}" for i in range(0, 10_000, 2)))  # even
    theirs = book("theirs", (f"u{i:05d}" for i in range(0, 10_000, 3)))  # multiples of 3
    report = reconcile_sorted(ours, theirs)
    # Neither side is read ahead of the other by more than the order it waits with.
    ahead = 0
    last = {"ours": "", "theirs": ""}
    for side, uid in pulled:
        last[side] = uid
        other = last["theirs" if side == "ours" else "ours"]
        if other and uid > other:
            ahead = max(ahead, sum(1 for s, u in pulled if s == side and other < u <= uid))
    assert ahead <= 1
    assert report.matched == len(range(0, 10_000, 6))
    kinds = {d.kind for d in report.differences}
    assert kinds == {"missing_here", "missing_there"}


def test_a_book_out_of_uid_order_is_refused_where_it_goes_wrong() -> None:
    order = BookOrder("b", "JPN-NZL", "JPN", "NZL", "JPY", "accepted", documents=chain("b", []))
    a, c = replace(order, uid="a"), replace(order, uid="c")
    with pytest.raises(OutOfOrderError) as refused:
        reconcile_sorted([a, order, c], [c, a])
    assert (refused.value.side, refused.value.index) == ("theirs", 1)
    assert (refused.value.uid, refused.value.previous) == ("a", "c")
    assert not refused.value.twice
    with pytest.raises(OutOfOrderError) as twice:
        reconcile_sorted([a, a], [a])
    assert (twice.value.side, twice.value.index, twice.value.twice) == ("ours", 1, True)
