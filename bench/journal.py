"""The journal export of a book of N ledger entries, against raw sqlite3 and csv.writer.

``bench/journal.py --n 100000`` imports the history file of ``bench/ledger.py`` (as many orders
as give Japan's book about N ledger entries) into a fresh SQLite file, maps every account of
Japan's book with general-ledger rules (``acsa.services.journal.import_rules``: one rule per
account, and one per account and partner in the partner's currency), then times
``acsa.services.journal.journal`` with ``journal_csv``, as ``acsa ledger journal`` runs them:
a period export (recorded nowhere) and a recorded ``new`` export of the same entries, both as
CSV. The baseline, in the same run, is raw ``sqlite3`` with acsa's pragmas selecting the same
postings joined to their entries, written with Python's ``csv.writer``. The last line printed
is a one-line JSON summary.
"""

from __future__ import annotations

import argparse
import csv
import io
import json
import os
import platform
import shutil
import sqlite3
import sys
import tempfile
import time
from collections.abc import Callable
from datetime import date, timedelta
from pathlib import Path
from typing import Any

import sqlalchemy
from sqlalchemy import Engine

import ledger
from acsa.adapters.db.engine import SQLITE_PRAGMAS
from acsa.adapters.db.unit_of_work import UnitOfWork
from acsa.domain.ledger import Account
from acsa.domain.limits import JOURNAL_ENTRIES_MAX
from acsa.schemas.journal import JournalOut
from acsa.services import journal
from benchkit import Ticker, say
from lifecycle import pragma_state

BENCH_DIR = Path(__file__).resolve().parent
DEFAULT_BASE = BENCH_DIR / "out"
BOOK = "JPN"
ACTOR = "bench"
#: Japan's book holds about this many entries per order of the history file (Japan is a
#: party to 72% of its orders, each making about 1.7 entries of its book; measured).
ENTRIES_PER_ORDER = 1.25
RUNS = 3


def rules_csv() -> str:
    """One rule per account, and one per account and partner of Japan in its currency."""
    partners = sorted({b for _a, a, b, *_ in ledger.PAIRS if a == BOOK})
    rows = [",".join(journal.RULE_COLUMNS)]
    for n, account in enumerate(Account, start=1):
        rows.append(f"{account.value},,,{1000 * n},")
        for k, partner in enumerate(partners, start=1):
            currency = ledger.CURRENCY[partner]
            rows.append(f"{account.value},{partner},{currency},{1000 * n + k},FC-{partner}-{k}")
    return "\n".join(rows) + "\n"


def build(run_dir: Path, n: int, seed: int, ticker: Ticker) -> tuple[Engine, int, float]:
    """The history file of as many orders as give BOOK about N entries, imported, and the
    mapping set: (engine, orders, seconds)."""
    orders = max(1, round(n / ENTRIES_PER_ORDER))
    history = run_dir / "history.csv"
    t0 = time.perf_counter()
    with ticker.task("history file", orders) as tick:
        ledger.write_history(history, orders, seed, tick)
    engine = ledger.fresh_engine(run_dir / "acsa.db")
    report, _took = ledger.run_import(engine, history, orders, ticker)
    if report.orders != orders:
        raise RuntimeError(f"imported {report.orders} orders of {orders}")
    history.unlink()
    journal.import_rules(UnitOfWork(engine), BOOK, rules_csv(), actor=ACTOR)
    return engine, orders, time.perf_counter() - t0


def the_period(path: Path) -> tuple[date, date, int]:
    """The period: its first day, so that it holds at most JOURNAL_ENTRIES_MAX entries of BOOK
    (all of them when there are fewer), its last (the book's last entry's day, so a new export
    takes the same entries), and how many entries it holds."""
    conn = sqlite3.connect(path)
    try:
        days = [
            date.fromisoformat(r[0])
            for r in conn.execute(
                "SELECT effective FROM ledger_entries WHERE book = ? ORDER BY effective DESC",
                (BOOK,),
            )
        ]
    finally:
        conn.close()
    if len(days) <= JOURNAL_ENTRIES_MAX:
        return days[-1], days[0], len(days)
    since = days[JOURNAL_ENTRIES_MAX] + timedelta(days=1)
    return since, days[0], sum(1 for d in days if d >= since)


def timed(call: Callable[[], Any]) -> tuple[Any, float, float]:
    cpu0, t0 = time.process_time(), time.perf_counter()
    found = call()
    return found, time.perf_counter() - t0, time.process_time() - cpu0


def export(engine: Engine, since: date | None, until: date) -> tuple[JournalOut, str]:
    """The journal as ``acsa ledger journal --format csv`` makes it: the service, then CSV."""
    result = journal.journal(
        UnitOfWork(engine), BOOK, since, until, new=since is None, fmt="csv", actor=ACTOR
    )
    return result, journal.journal_csv(result)


# --- the baseline: raw sqlite3 and csv.writer ------------------------------------------------

BASELINE_SQL = (
    "SELECT p.entry_id, p.seq, p.effective, e.kind, e.document, e.order_id, p.partner, "
    "p.account, p.currency, p.amount_minor, e.memo FROM ledger_postings p "
    "JOIN ledger_entries e ON e.id = p.entry_id "
    "WHERE p.book = ? AND p.effective BETWEEN ? AND ? ORDER BY p.effective, p.entry_id, p.seq"
)


def baseline(
    path: Path, since: date, until: date
) -> tuple[tuple[int, int, dict[str, Any]], float, float]:
    """The same postings with their entries, written as CSV: (lines, chars, s, CPU s, pragmas)."""
    conn = sqlite3.connect(path, isolation_level=None)
    try:
        for pragma in SQLITE_PRAGMAS:
            conn.execute(pragma)
        pragmas = pragma_state(lambda sql: conn.execute(sql).fetchone()[0])
        cpu0, t0 = time.process_time(), time.perf_counter()
        buffer = io.StringIO()
        writer = csv.writer(buffer, lineterminator="\r\n")
        writer.writerow(journal.CSV_COLUMNS)
        lines = 0
        for row in conn.execute(BASELINE_SQL, (BOOK, since.isoformat(), until.isoformat())):
            writer.writerow(row)
            lines += 1
        text = buffer.getvalue()
        seconds, cpu = time.perf_counter() - t0, time.process_time() - cpu0
    finally:
        conn.close()
    return (lines, len(text), pragmas), seconds, cpu


# --- the run --------------------------------------------------------------------------------


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--n",
        type=int,
        default=100_000,
        help=f"ledger entries of the book (default 100000, at most {JOURNAL_ENTRIES_MAX})",
    )
    parser.add_argument(
        "--dir",
        type=Path,
        default=DEFAULT_BASE,
        help="directory in which a fresh journal-* run directory is made (default bench/out)",
    )
    parser.add_argument("--seed", type=int, default=2026, help="random seed of the file")
    parser.add_argument("--keep", action="store_true", help="keep the run directory")
    args = parser.parse_args(argv)
    if not 1 <= args.n <= JOURNAL_ENTRIES_MAX:
        parser.error(f"--n must be from 1 to {JOURNAL_ENTRIES_MAX}")
    return args


def best(runs: list[tuple[Any, float, float]]) -> tuple[Any, float, float]:
    return min(runs, key=lambda r: r[1])


def run(args: argparse.Namespace, run_dir: Path, ticker: Ticker) -> dict[str, Any]:
    n: int = args.n
    load_before = os.getloadavg()[0]
    engine, orders, build_s = build(run_dir, n, args.seed, ticker)
    try:
        since, until, entries = the_period(run_dir / "acsa.db")
        say(
            f"built:           {orders:,} orders, {entries:,} entries of {BOOK}'s book from "
            f"{since} to {until} in {build_s:.1f} s"
        )
        # Period exports record nothing: the best of RUNS. The new export is recorded, so it
        # runs once (a second would find nothing new).
        period = best([timed(lambda: export(engine, since, until)) for _ in range(RUNS)])
        recorded = timed(lambda: export(engine, None, until))
    finally:
        engine.dispose()
    (result, text), period_s, period_cpu = period
    (new_result, _new_text), new_s, new_cpu = recorded
    lines = len(result.lines)
    if not result.reconciled or result.entries != entries:
        raise RuntimeError(f"the period export has {result.entries} entries, not {entries}")
    if new_result.export is None or new_result.entries != entries:
        raise RuntimeError(f"the new export took {new_result.entries} entries, not {entries}")
    per_s = lines / period_s
    new_per_s = len(new_result.lines) / new_s
    say(
        f"acsa period:     {lines:,} lines ({len(text) / 1e6:.1f} MB CSV) in {period_s:.2f} s "
        f"(CPU {period_cpu:.2f} s): {per_s:,.0f} lines/s (best of {RUNS})"
    )
    say(
        f"acsa new:        {len(new_result.lines):,} lines of {new_result.entries:,} entries, "
        f"recorded as export {new_result.export}, in {new_s:.2f} s (CPU {new_cpu:.2f} s): "
        f"{new_per_s:,.0f} lines/s"
    )
    base = best([baseline(run_dir / "acsa.db", since, until) for _ in range(RUNS)])
    (base_lines, base_chars, pragmas), base_s, base_cpu = base
    if base_lines != lines:
        raise RuntimeError(f"the baseline wrote {base_lines} lines, acsa {lines}")
    base_per_s = base_lines / base_s
    say(
        f"raw sqlite3:     {base_lines:,} lines ({base_chars / 1e6:.1f} MB CSV) in {base_s:.2f} s "
        f"(CPU {base_cpu:.2f} s): {base_per_s:,.0f} lines/s (best of {RUNS}, pragmas {pragmas})"
    )
    ratio = per_s / base_per_s
    new_ratio = new_per_s / base_per_s
    say(f"ratio:           {ratio:.4f} (period export lines/s / raw select+csv lines/s)")
    say(f"new ratio:       {new_ratio:.4f} (new export lines/s / raw select+csv lines/s)")
    load_after = os.getloadavg()[0]
    say(f"load average:    {load_before:.1f} before, {load_after:.1f} after")
    return {
        "bench": "journal",
        "n": n,
        "per_s": round(per_s, 1),
        "baseline_per_s": round(base_per_s, 1),
        "ratio": round(ratio, 4),
        "new_per_s": round(new_per_s, 1),
        "new_ratio": round(new_ratio, 4),
        "entries": entries,
        "lines": lines,
        "new_entries": new_result.entries,
        "new_lines": len(new_result.lines),
        "period_seconds": round(period_s, 3),
        "period_cpu_seconds": round(period_cpu, 3),
        "new_seconds": round(new_s, 3),
        "new_cpu_seconds": round(new_cpu, 3),
        "baseline_seconds": round(base_s, 3),
        "baseline_cpu_seconds": round(base_cpu, 3),
        "csv_mb": round(len(text) / 1e6, 2),
        "orders": orders,
        "since": since.isoformat(),
        "until": until.isoformat(),
        "build_seconds": round(build_s, 1),
        "load_average": [round(load_before, 2), round(load_after, 2)],
        "sqlite_version": sqlite3.sqlite_version,
        "python_version": platform.python_version(),
        "cpus": os.cpu_count(),
    }


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    args.dir.mkdir(parents=True, exist_ok=True)
    run_dir = Path(tempfile.mkdtemp(prefix="journal-", dir=args.dir))
    say(f"acsa journal bench: {BOOK}'s book of about {args.n} entries as CSV, raw sqlite3")
    say(
        f"files in {run_dir}; SQLite {sqlite3.sqlite_version}, SQLAlchemy "
        f"{sqlalchemy.__version__}, Python {platform.python_version()}"
    )
    try:
        summary = run(args, run_dir, Ticker(sys.stdout.isatty()))
    finally:
        if args.keep:
            say(f"kept {run_dir}")
        else:
            shutil.rmtree(run_dir, ignore_errors=True)
    print(json.dumps(summary), flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
