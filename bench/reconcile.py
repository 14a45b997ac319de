"""Reconciling two books of N orders each against a plain dict join.

``make bench`` runs ``bench/reconcile.py --n 1000000``: two books of N orders built in memory
(the domain's dataclasses, 2 lines and 4 documents an order), 1% of their orders changed
(a mix of every kind of difference), timed through ``acsa.domain.reconcile.reconcile``; in the
same run the same join done by a plain dict (uid -> tuple of the fields, tuples compared) is
timed as the baseline. Checks that exactly the planted differences were found. The last line
printed is a one-line JSON summary.
"""

from __future__ import annotations

import argparse
import gc
import json
import time
from dataclasses import replace
from decimal import Decimal

from acsa.domain.documents import GENESIS
from acsa.domain.reconcile import Book, BookOrder, DocumentRef, reconcile
from benchkit import say

KINDS = ("missing_here", "missing_there", "state", "amount", "quantity", "document", "chain")
DOC_KINDS = ("order", "submit", "accept", "deliver")


def make_order(i: int) -> BookOrder:
    uid = f"{i:08d}-0000-4000-8000-000000000000"
    documents: list[DocumentRef] = []
    prev = GENESIS
    for seq, kind in enumerate(DOC_KINDS, start=1):
        hash_ = f"{i:056x}{seq:08x}"
        documents.append((seq, f"{uid}/{seq}", kind, hash_, prev))
        prev = hash_
    quantity = Decimal(i % 1000 + 1)
    return BookOrder(
        uid=uid,
        agreement="JPN-NZL",
        requester="JPN" if i % 2 else "NZL",
        supplier="NZL" if i % 2 else "JPN",
        currency="JPY",
        status="received",
        lines=(
            (1, quantity, quantity, quantity, quantity, Decimal(0)),
            (2, Decimal(3), None, Decimal(3), Decimal(3), Decimal(0)),
        ),
        value_received=Decimal(i * 152),
        invoiced=Decimal(i * 152),
        paid=Decimal(i * 100),
        settled_in_kind=Decimal(0),
        converted=Decimal(0),
        documents=tuple(documents),
    )


def plant(order: BookOrder, kind: str) -> tuple[BookOrder | None, tuple[str, str, str]]:
    """Their copy of ``order`` with one difference of ``kind`` (None: left out)."""
    uid = order.uid
    if kind == "missing_there":
        return None, (uid, kind, "order")
    if kind == "state":
        return replace(order, status="closed"), (uid, kind, "status")
    if kind == "amount":
        return replace(order, paid=order.paid + 1), (uid, kind, "paid")
    if kind == "quantity":
        n, q, a, d, r, s = order.lines[0]
        return replace(order, lines=((n, q, a, d, r - 1, s), order.lines[1])), (
            uid,
            kind,
            "line 1 received",
        )
    if kind == "document":
        *head, (seq, id_, k, _h, prev) = order.documents
        return replace(order, documents=(*head, (seq, id_, k, "f" * 64, prev))), (
            uid,
            kind,
            f"document {seq}",
        )
    assert kind == "chain"
    (seq, id_, k, h, _prev), *rest = order.documents
    return replace(order, documents=((seq, id_, k, h, "e" * 64), *rest)), (
        uid,
        kind,
        "document 1",
    )


def build(n: int) -> tuple[Book, Book, set[tuple[str, str, str]]]:
    ours = [make_order(i) for i in range(n)]
    theirs: list[BookOrder] = []
    planted: set[tuple[str, str, str]] = set()
    every = 100  # 1%
    for i, order in enumerate(ours):
        if i % every != every // 2:
            theirs.append(order)
            continue
        kind = KINDS[(i // every) % len(KINDS)]
        if kind == "missing_here":
            theirs.append(order)
            extra = make_order(n + i)
            theirs.append(extra)
            planted.add((extra.uid, kind, "order"))
            continue
        changed, key = plant(order, kind)
        if changed is not None:
            theirs.append(changed)
        planted.add(key)
    return Book("JPN", "NZL", ours), Book("NZL", "JPN", theirs), planted


Row = tuple[object, ...]


def rows(book: Book) -> list[Row]:
    """The book's orders as plain tuples (uid first), made before the baseline is timed."""
    return [
        (
            o.uid,
            o.agreement,
            o.requester,
            o.supplier,
            o.currency,
            o.status,
            o.lines,
            o.value_received,
            o.invoiced,
            o.paid,
            o.settled_in_kind,
            o.converted,
            o.documents,
        )
        for o in book.orders
    ]


def baseline(ours: list[Row], theirs: list[Row]) -> int:
    """The same join by a plain dict: uid -> tuple of the fields, tuples compared."""
    other = {row[0]: row for row in theirs}
    pop = other.pop
    differing = 0
    for row in ours:
        mirror = pop(row[0], None)
        if mirror is None or mirror != row:
            differing += 1
    return differing + len(other)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--n", type=int, default=1_000_000, help="orders per book")
    args = parser.parse_args()
    n = args.n
    say(f"building two books of {n:,} orders (1% planted differences)")
    started = time.perf_counter()
    ours, theirs, planted = build(n)
    say(f"built in {time.perf_counter() - started:.1f} s")
    our_rows, their_rows = rows(ours), rows(theirs)
    gc.collect()
    gc.disable()
    try:
        started = time.perf_counter()
        report = reconcile(ours, theirs)
        seconds = time.perf_counter() - started
        started = time.perf_counter()
        differing = baseline(our_rows, their_rows)
        baseline_seconds = time.perf_counter() - started
    finally:
        gc.enable()
    found = {d.key for d in report.differences}
    assert len(found) == len(report.differences), "a difference was reported twice"
    assert found == planted, (
        f"{len(planted - found)} planted not found, {len(found - planted)} found not planted"
    )
    assert differing == len(planted), (differing, len(planted))
    say(f"reconcile: {seconds:.2f} s, {report.summary}")
    say(f"plain dict join: {baseline_seconds:.2f} s, {differing} differing orders")
    print(
        json.dumps(
            {
                "bench": "reconcile",
                "n": n,
                "seconds": round(seconds, 3),
                "differences": len(report.differences),
                "baseline_seconds": round(baseline_seconds, 3),
                "ratio": round(baseline_seconds / seconds, 3) if seconds else None,
            }
        ),
        flush=True,
    )


if __name__ == "__main__":
    main()
