"""Reconciling two book files of N orders each, streamed, against a plain dict join of the same
files.

``bench/reconcile.py --n 1000000``: two books of N orders (the domain's dataclasses, 2 lines
and 4 documents an order), 1% of their orders changed (a mix of every kind of difference),
written as real version 2 book files (``acsa.adapters.book_file.write_book``: the file
``acsa books export`` writes and ``acsa books reconcile`` reads, each signed by its node's key).
Then, each in a fresh child process so that its peak memory (``ru_maxrss``) is its own:

- **streamed**: the partner's file and ours read by ``acsa.adapters.book_file.BookStream`` (an
  order at a time), merge-joined by ``acsa.domain.reconcile.reconcile_sorted`` and the
  partner's signature verified: the whole reconcile, file reading and parsing included (our
  book comes from a file here, not from the database as in ``acsa books reconcile``);
- **baseline**: the same two files read by ``json.loads`` (one order a line), their book into
  a dict (uid -> the order's JSON object), ours joined against it order by order, the objects
  compared: a plain hash join, which holds one whole book in memory.

Checks that exactly the planted differences were found. The last line printed is a one-line
JSON summary (``seconds``, ``peak_mb``, ``baseline_seconds``, ``baseline_peak_mb``,
``ratio`` = baseline_seconds / seconds).
"""

from __future__ import annotations

import argparse
import hashlib
import json
import os
import resource
import shutil
import subprocess
import sys
import time
import uuid
from collections.abc import Iterator
from dataclasses import replace
from decimal import Decimal
from pathlib import Path
from typing import Any

from acsa.adapters.book_file import FORMAT, VERSION, write_book
from acsa.adapters.signing import NodeKey
from acsa.domain.documents import GENESIS
from acsa.domain.reconcile import BookOrder, DocumentRef
from benchkit import say

KINDS = ("missing_here", "missing_there", "state", "amount", "quantity", "document", "chain")
DOC_KINDS = ("order", "submit", "accept", "deliver")
EVERY = 100  # 1% of the orders differ
Key = tuple[str, str, str]


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


def plant(order: BookOrder, kind: str) -> tuple[BookOrder | None, Key]:
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
        changed = ((n, q, a, d, r - 1, s), order.lines[1])
        return replace(order, lines=changed), (uid, kind, "line 1 received")
    if kind == "document":
        *head, (seq, id_, k, _h, prev) = order.documents
        changed_docs = (*head, (seq, id_, k, "f" * 64, prev))
        return replace(order, documents=changed_docs), (uid, kind, f"document {seq}")
    assert kind == "chain"
    (seq, id_, k, h, _prev), *rest = order.documents
    return replace(order, documents=((seq, id_, k, h, "e" * 64), *rest)), (uid, kind, "document 1")


def ours(n: int) -> Iterator[BookOrder]:
    """Our book, in uid order."""
    return (make_order(i) for i in range(n))


def theirs(n: int, planted: set[Key]) -> Iterator[BookOrder]:
    """Their book in uid order, 1% of it changed; each planted difference added to ``planted``.
    The orders only in their book have uids after all of ours, so they come last."""
    extra: list[int] = []
    for i in range(n):
        order = make_order(i)
        if i % EVERY != EVERY // 2:
            yield order
            continue
        kind = KINDS[(i // EVERY) % len(KINDS)]
        if kind == "missing_here":
            extra.append(n + i)
            planted.add((make_order(n + i).uid, kind, "order"))
            yield order
            continue
        changed, key = plant(order, kind)
        planted.add(key)
        if changed is not None:
            yield changed
    yield from (make_order(i) for i in extra)


def header(nation: str, partner: str) -> dict[str, Any]:
    return {
        "format": FORMAT,
        "version": VERSION,
        "nation": nation,
        "partner": partner,
        "generated_at": "2026-12-06T00:00:00+00:00",
    }


def write_files(n: int, folder: Path) -> tuple[Path, Path, str, set[Key]]:
    """Our book file, theirs (signed by their key), their public key, the planted keys."""
    planted: set[Key] = set()
    our_path, their_path = folder / "ours.json", folder / "theirs.json"
    with our_path.open("wb") as out:
        write_book(out, header("JPN", "NZL"), ours(n), NodeKey.generate())
    their_key = NodeKey.generate()
    with their_path.open("wb") as out:
        write_book(out, header("NZL", "JPN"), theirs(n, planted), their_key)
    return our_path, their_path, their_key.public_text, planted


def keys_digest(keys: set[Key]) -> str:
    return hashlib.sha256(json.dumps(sorted(keys)).encode()).hexdigest()


# --- what each child process times ---------------------------------------------------------------


def streamed(our_path: str, their_path: str, public: str) -> dict[str, Any]:
    """The whole reconcile: both files read an order at a time, merge-joined, signature checked."""
    from acsa.adapters.book_file import BookStream
    from acsa.adapters.signing import parse_public, verify
    from acsa.domain.reconcile import reconcile_sorted

    started, cpu = time.perf_counter(), time.process_time()
    with open(our_path, "rb") as a, open(their_path, "rb") as b:
        mine, other = BookStream(a), BookStream(b)
        report = reconcile_sorted(mine.orders, other.orders, mine.nation, mine.partner)
        other.finish()
        signed = verify(parse_public(public), other.signed, other.signature)
    seconds, cpu = time.perf_counter() - started, time.process_time() - cpu
    found = {(str(d.order), d.kind, d.field) for d in report.differences}
    assert len(found) == len(report.differences), "a difference was reported twice"
    return {
        "seconds": seconds,
        "cpu_seconds": cpu,
        "differences": len(report.differences),
        "matched": report.matched,
        "signed": signed,
        "found": keys_digest(found),
        "summary": report.summary,
    }


def json_orders(path: str) -> Iterator[dict[str, Any]]:
    """Each order's JSON object, as a version 2 file holds them (one a line after the header)."""
    with open(path, "rb") as file:
        next(file)
        for line in file:
            if line.startswith(b"]"):
                return
            yield json.loads(line.rstrip(b",\n"))


def dict_join(our_path: str, their_path: str, _public: str) -> dict[str, Any]:
    """The baseline: their file read into a dict (uid -> the order's JSON object), ours read
    order by order against it, the objects compared (a plain hash join)."""
    started, cpu = time.perf_counter(), time.process_time()
    other = {o["uid"]: o for o in json_orders(their_path)}
    pop = other.pop
    differing = 0
    for order in json_orders(our_path):
        mirror = pop(order["uid"], None)
        if mirror is None or mirror != order:
            differing += 1
    differing += len(other)
    return {
        "seconds": time.perf_counter() - started,
        "cpu_seconds": time.process_time() - cpu,
        "differing": differing,
    }


CHILDREN = {"streamed": streamed, "baseline": dict_join}


def child(mode: str, our_path: str, their_path: str, public: str) -> None:
    result = CHILDREN[mode](our_path, their_path, public)
    # ru_maxrss is in KiB on Linux: the child's own peak, imports included.
    result["peak_mb"] = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(json.dumps(result), flush=True)


def run_child(mode: str, our_path: Path, their_path: Path, public: str) -> dict[str, Any]:
    done = subprocess.run(
        [sys.executable, __file__, "--child", mode, str(our_path), str(their_path), public],
        check=True,
        capture_output=True,
        text=True,
    )
    result: dict[str, Any] = json.loads(done.stdout.splitlines()[-1])
    return result


def main() -> None:
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--n", type=int, default=1_000_000, help="orders per book")
    parser.add_argument("--dir", type=Path, default=Path(__file__).parent / "out")
    parser.add_argument("--keep", action="store_true", help="keep the book files")
    parser.add_argument("--child", nargs=4, metavar=("MODE", "OURS", "THEIRS", "KEY"))
    args = parser.parse_args()
    if args.child:
        child(*args.child)
        return
    n = args.n
    folder = args.dir / f"reconcile-{uuid.uuid4().hex[:8]}"
    folder.mkdir(parents=True)
    try:
        say(f"writing two book files of {n:,} orders (1% planted differences) in {folder}")
        started = time.perf_counter()
        our_path, their_path, public, planted = write_files(n, folder)
        size_mb = (our_path.stat().st_size + their_path.stat().st_size) / 1e6
        say(f"written in {time.perf_counter() - started:.1f} s, {size_mb:,.0f} MB in all")
        result = run_child("streamed", our_path, their_path, public)
        base = run_child("baseline", our_path, their_path, public)
    finally:
        if not args.keep:
            shutil.rmtree(folder, ignore_errors=True)
    assert result["signed"], "their signature does not verify"
    assert result["found"] == keys_digest(planted), "not exactly the planted differences found"
    assert result["differences"] == len(planted), (result["differences"], len(planted))
    assert base["differing"] == len(planted), (base["differing"], len(planted))
    seconds, baseline_seconds = result["seconds"], base["seconds"]
    say(
        f"streamed reconcile: {seconds:.2f} s, peak {result['peak_mb']:.0f} MB, {result['summary']}"
    )
    say(
        f"plain dict join of the same files: {baseline_seconds:.2f} s, "
        f"peak {base['peak_mb']:.0f} MB"
    )
    print(
        json.dumps(
            {
                "bench": "reconcile",
                "n": n,
                "files_mb": round(size_mb),
                "seconds": round(seconds, 3),
                "cpu_seconds": round(result["cpu_seconds"], 3),
                "peak_mb": round(result["peak_mb"]),
                "differences": result["differences"],
                "baseline_seconds": round(baseline_seconds, 3),
                "baseline_cpu_seconds": round(base["cpu_seconds"], 3),
                "baseline_peak_mb": round(base["peak_mb"]),
                "ratio": round(baseline_seconds / seconds, 3) if seconds else None,
                "cpu_ratio": round(base["cpu_seconds"] / result["cpu_seconds"], 3),
                "cpus": os.cpu_count(),
            }
        ),
        flush=True,
    )


if __name__ == "__main__":
    main()
