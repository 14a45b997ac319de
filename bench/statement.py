"""A one-year statement of account at scale: its first page and the year's totals, against a
raw indexed read of the same page with ``sqlite3`` in the same run.

``bench/statement.py --n 1000000`` writes the history file of ``bench/ledger.py`` (N orders
over 10 partner pairs and the five years 2021-2025), imports it with the real import service
into a fresh SQLite file (or, with ``--db``, takes a file a previous run kept, brought up to
date by ``init_database``), then times ``acsa.services.ledger.statement`` of JPN with USA (the
largest pair) for 2024:

- ``first_page_ms``: the statement's first page (``limit`` 200) with its opening, closing and
  the year's debits and credits;
- ``totals_ms``: the same with a page of one line (what the totals cost alone);
- ``baseline_ms``: raw ``sqlite3`` reading the first 200 debt postings of the year with their
  entries through the (book, partner, effective) index: the least a first page can cost;
- ``baseline_sum_ms``: raw ``sqlite3`` summing the year's debt postings (what a total read
  from postings costs, growing with history).

Where the statement takes no ``limit`` (before paging), both figures are the whole statement.
Each call runs once cold, then five more times; the median of those five is reported. The last
line printed is one JSON object.
"""

from __future__ import annotations

import argparse
import inspect
import json
import os
import shutil
import sqlite3
import sys
import tempfile
import time
from datetime import date
from pathlib import Path
from typing import Any

from sqlalchemy import Engine

from acsa.adapters.db.engine import make_engine
from acsa.adapters.db.ledger_queries import DEBT_ACCOUNTS
from acsa.adapters.db.unit_of_work import UnitOfWork
from acsa.services import ledger
from acsa.services.setup import init_database
from benchkit import Ticker, say
from ledger import DEFAULT_BASE, fresh_engine, run_import, time_ms, write_history

NATION, PARTNER, YEAR = "JPN", "USA", 2024
PAGE = 200


def statement_call(engine: Engine, limit: int) -> Any:
    start, end = date(YEAR, 1, 1), date(YEAR, 12, 31)
    paged = "limit" in inspect.signature(ledger.statement).parameters
    extra: dict[str, Any] = {"limit": limit} if paged else {}

    def call() -> Any:
        uow = UnitOfWork(engine, read_only=True)
        return ledger.statement(uow, NATION, PARTNER, start, end, **extra)

    return call, paged


def raw_calls(db: Path) -> tuple[Any, Any, sqlite3.Connection]:
    conn = sqlite3.connect(db)
    marks = ", ".join("?" * len(DEBT_ACCOUNTS))
    where = (
        f"p.book = ? AND p.partner = ? AND p.effective >= ? AND p.effective <= ? "
        f"AND p.account IN ({marks})"
    )
    params = (NATION, PARTNER, f"{YEAR}-01-01", f"{YEAR}-12-31", *DEBT_ACCOUNTS)
    page_sql = (
        "SELECT p.entry_id, p.effective, p.currency, p.amount_minor, e.kind, e.order_id, "
        "e.document, e.memo FROM ledger_postings p JOIN ledger_entries e ON e.id = p.entry_id "
        f"WHERE {where} ORDER BY p.effective, p.entry_id LIMIT {PAGE}"
    )
    sum_sql = f"SELECT p.currency, sum(p.amount_minor) FROM ledger_postings p WHERE {where} "
    sum_sql += "GROUP BY p.currency"

    def page() -> list[Any]:
        return conn.execute(page_sql, params).fetchall()

    def total() -> list[Any]:
        return conn.execute(sum_sql, params).fetchall()

    return page, total, conn


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--n", type=int, default=100_000, help="orders (default 100000)")
    parser.add_argument("--dir", type=Path, default=DEFAULT_BASE, help="where the run dir goes")
    parser.add_argument("--seed", type=int, default=2026, help="random seed of the file")
    parser.add_argument("--keep", action="store_true", help="keep the run directory")
    parser.add_argument(
        "--db", type=Path, default=None, help="an imported acsa.db a previous run kept"
    )
    args = parser.parse_args(argv)
    if args.n < 1:
        parser.error("--n must be at least 1")
    return args


def run(args: argparse.Namespace, run_dir: Path) -> dict[str, Any]:
    if args.db is not None:
        db = args.db
        engine = make_engine(f"sqlite:///{db}")
        t0 = time.perf_counter()
        init_database(engine)
        say(f"existing file:   {db} (init_database {time.perf_counter() - t0:.1f} s)")
    else:
        db = run_dir / "acsa.db"
        history = run_dir / "history.csv"
        ticker = Ticker(sys.stdout.isatty())
        with ticker.task("writing the file", args.n) as tick:
            write_history(history, args.n, args.seed, tick)
        engine = fresh_engine(db)
        report, clock = run_import(engine, history, args.n, ticker)
        say(f"import:          {report.orders:,} orders in {clock.seconds:.1f} s")
    try:
        first_call, paged = statement_call(engine, PAGE)
        totals_call, _ = statement_call(engine, 1)
        cold, first_page_ms, found = time_ms(first_call)
        _cold_t, totals_ms, _ = time_ms(totals_call)
    finally:
        engine.dispose()
    page, total, conn = raw_calls(db)
    try:
        _c, baseline_ms, rows = time_ms(page)
        _c, baseline_sum_ms, _ = time_ms(total)
    finally:
        conn.close()
    lines = sum(len(s.lines) for s in found)
    closing = {s.currency: str(s.closing) for s in found}
    ratio = first_page_ms / baseline_ms
    say(
        f"statement {NATION}-{PARTNER} {YEAR}: first page + totals {first_page_ms:.2f} ms "
        f"(cold {cold:.2f}; {lines} lines{'' if paged else ', unpaged: the whole year'}), "
        f"totals {totals_ms:.2f} ms; closing {closing}"
    )
    say(
        f"raw sqlite3:     {len(rows)} rows of the page {baseline_ms:.2f} ms, "
        f"the year's sum {baseline_sum_ms:.2f} ms"
    )
    say(f"ratio:           {ratio:.2f} (first page + totals / raw read of the page)")
    return {
        "bench": "statement",
        "n": args.n,
        "first_page_ms": round(first_page_ms, 3),
        "totals_ms": round(totals_ms, 3),
        "baseline_ms": round(baseline_ms, 3),
        "ratio": round(ratio, 3),
        "baseline_sum_ms": round(baseline_sum_ms, 3),
        "cold_ms": round(cold, 3),
        "paged": paged,
        "lines": lines,
        "pair": f"{NATION}-{PARTNER}",
        "year": YEAR,
        "load_average": round(os.getloadavg()[0], 2),
        "sqlite_version": sqlite3.sqlite_version,
    }


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    args.dir.mkdir(parents=True, exist_ok=True)
    run_dir = Path(tempfile.mkdtemp(prefix="statement-", dir=args.dir))
    say(f"acsa statement bench: {args.n} orders, one year's statement of {NATION} with {PARTNER}")
    try:
        summary = run(args, run_dir)
    finally:
        if args.keep:
            say(f"kept {run_dir}")
        else:
            shutil.rmtree(run_dir, ignore_errors=True)
    print(json.dumps(summary), flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
