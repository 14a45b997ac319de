"""History import and ledger queries at scale, against raw sqlite3 on the same disk.

``bench/ledger.py --n 1000000`` writes a history file of N orders (one line each, spread over
10 partner pairs and the five years 2021-2025, most received and paid, some settled in kind),
imports it with the real import service (``acsa.services.history_import``) into a fresh SQLite
file, and in the same run inserts the same number of rows per table with raw ``sqlite3``
``executemany`` into a fresh file with the same schema and acsa's own pragmas. It prints both
rates in rows per second and their ratio, then times the balance of one nation with one
partner and a one-year statement (``acsa.services.ledger``). The last line printed is a
one-line JSON summary.
"""

from __future__ import annotations

import argparse
import cProfile
import csv
import io
import json
import os
import platform
import pstats
import random
import shutil
import sqlite3
import statistics
import sys
import tempfile
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import date, timedelta
from decimal import Decimal
from pathlib import Path
from typing import Any

import sqlalchemy
from sqlalchemy import Engine

from acsa.adapters.db.engine import SQLITE_PRAGMAS, make_engine
from acsa.adapters.db.history_writer import TABLES
from acsa.adapters.db.unit_of_work import UnitOfWork
from acsa.adapters.history_csv import COLUMNS
from acsa.commands import AddAgreement
from acsa.services import ledger
from acsa.services.handlers import handle
from acsa.services.history_import import HistoryImportOut, import_history
from acsa.services.setup import init_database
from benchkit import Ticker, say

BENCH_DIR = Path(__file__).resolve().parent
DEFAULT_BASE = BENCH_DIR / "out"
FIRST_DAY, LAST_DAY = date(2021, 1, 1), date(2025, 12, 31)
QUERY_RUNS = 5
PROFILE_TOP = 25

# --- the history file ---------------------------------------------------------------------------

#: (agreement, party, party, share of orders, first order day). The registry has eight partners
#: of Japan in force over these years; two agreements between other parties, added for the
#: bench only, make ten pairs.
PAIRS: tuple[tuple[str, str, str, int, date], ...] = (
    ("JPN-USA", "JPN", "USA", 30, FIRST_DAY),
    ("JPN-AUS", "JPN", "AUS", 12, FIRST_DAY),
    ("JPN-GBR", "JPN", "GBR", 7, FIRST_DAY),
    ("JPN-CAN", "JPN", "CAN", 5, FIRST_DAY),
    ("JPN-FRA", "JPN", "FRA", 6, FIRST_DAY),
    ("JPN-IND", "JPN", "IND", 6, date(2021, 7, 12)),
    ("JPN-DEU", "JPN", "DEU", 4, date(2024, 7, 13)),
    ("JPN-ITA", "JPN", "ITA", 2, date(2025, 9, 6)),
    ("BENCH-USA-AUS", "USA", "AUS", 18, FIRST_DAY),
    ("BENCH-USA-NZL", "USA", "NZL", 10, FIRST_DAY),
)
CURRENCY = {
    "JPN": "JPY",
    "USA": "USD",
    "AUS": "AUD",
    "GBR": "GBP",
    "CAN": "CAD",
    "FRA": "EUR",
    "IND": "INR",
    "DEU": "EUR",
    "ITA": "EUR",
    "NZL": "NZD",
}
#: Yen per unit of each currency, roughly: prices are set in yen and converted.
YEN_PER = {"JPY": 1, "USD": 150, "AUD": 100, "GBP": 190, "CAD": 110, "EUR": 160, "INR": 1.8}
YEN_PER["NZD"] = 90
#: category: (share, unit, quantity range, yen price range, descriptions)
CATEGORIES: dict[str, tuple[int, str, tuple[int, int], tuple[int, int], tuple[str, ...]]] = {
    "fuel": (35, "L", (2000, 400000), (100, 160), ("JP-8 aviation turbine fuel", "F-76 fuel")),
    "food": (15, "EA", (100, 8000), (800, 2500), ("Combat ration pack, 24 h", "Field meals")),
    "water": (8, "M3", (10, 2000), (250, 450), ("Potable water, pier-side", "Bulk water")),
    "transportation": (10, "EA", (1, 40), (50000, 400000), ("Chartered bus", "Truck, 10 t")),
    "billeting": (8, "PN", (50, 3000), (3000, 9000), ("Transient quarters", "Barracks")),
    "airport_seaport_services": (8, "EA", (1, 12), (80000, 300000), ("Tug and pilot",)),
    "spare_parts": (6, "EA", (1, 200), (5000, 400000), ("Brake assembly", "Starter motor")),
    "base_support": (5, "DAY", (3, 30), (100000, 600000), ("Field ablution and laundry",)),
    "medical": (2, "EA", (1, 50), (10000, 200000), ("Outpatient treatment",)),
    "repair_maintenance": (3, "EA", (1, 10), (100000, 2000000), ("Engine overhaul",)),
}
GOODS = ("fuel", "food", "water", "spare_parts")
NSN = {"JP-8 aviation turbine fuel": "9130-01-031-5816", "F-76 fuel": "9140-00-273-2377"}
ACTIVITIES = (("exercise", 60), ("routine", 25), ("humanitarian_relief", 5))
ACTIVITIES += (("disaster_response", 5), ("un_peacekeeping", 5))
#: Agreements whose text covers fewer of the activities above: the India text covers
#: exercises, UN peacekeeping and humanitarian relief (and other activities on a mutual
#: determination, which a history file does not carry), so its orders draw from those alone.
AGREEMENT_ACTIVITIES = {"JPN-IND": ("exercise", "humanitarian_relief", "un_peacekeeping")}
#: Agreements under US law settle supplies and services by any of the three methods. Every other
#: text settles supplies by return (in kind, or in cash with a reason) and services in cash or
#: by a service of equal value: an equal value exchange there is a service's.
ANY_METHOD = ("JPN-USA", "BENCH-USA-AUS", "BENCH-USA-NZL")
SERVICES = tuple(name for name in CATEGORIES if name not in GOODS)
CASH_REASONS = (
    "Consumed in the exercise; returning the same items is difficult",
    "No equivalent stock to return before the deadline",
    "Bought locally by the supplier; return in kind is difficult",
)
PLACES = ("JMSDF Yokosuka", "JASDF Chitose Air Base", "RAAF Base Darwin", "Pearl Harbor", "Guam")
PLACES += ("Camp Kengun, Kumamoto", "Devonport Naval Base", "HMAS Stirling", "Sasebo")
OPERATIONS = ("Keen Sword", "Talisman Sabre", "Rim of the Pacific", "Pacific Vanguard", "")
#: Cash orders: (share, what happened). In kind: the same for each method.
CASH_FATES = (
    ("paid", 800),
    ("invoiced", 50),
    ("part_paid", 20),
    ("received", 30),
    ("part_received", 10),
    ("delivered", 10),
    ("part_delivered", 5),
    ("accepted", 10),
    ("submitted", 5),
    ("rejected", 20),
    ("cancelled", 40),
)
REPLACEMENT_FATES = (("replaced", 75), ("part_replaced", 10), ("converted", 10), ("received", 5))
EXCHANGE_FATES = (("exchanged", 85), ("received", 15))
METHODS = (("cash", 85), ("replacement_in_kind", 10), ("equal_value_exchange", 5))


@dataclass
class Generator:
    """Deterministic orders for the history file."""

    rng: random.Random

    def pick(self, pairs: tuple[tuple[Any, int], ...]) -> Any:
        values = [p[0] for p in pairs]
        weights = [p[1] for p in pairs]
        return self.rng.choices(values, weights)[0]

    def days(self, low: int, high: int) -> timedelta:
        return timedelta(days=self.rng.randint(low, high))

    def order(self, i: int) -> dict[str, str]:
        rng = self.rng
        agreement, a, b, _share, first = rng.choices(PAIRS, [p[3] for p in PAIRS])[0]
        requester, supplier = (a, b) if rng.random() < 0.5 else (b, a)
        currency = CURRENCY[supplier]
        method = self.pick(METHODS)
        names = list(CATEGORIES)
        if method == "replacement_in_kind":
            names = list(GOODS)  # a service cannot be returned in kind
        elif method == "equal_value_exchange" and agreement not in ANY_METHOD:
            names = list(SERVICES)  # supplies there are returned, not exchanged
        category = rng.choices(names, [CATEGORIES[c][0] for c in names])[0]
        _share, unit, (q_low, q_high), (p_low, p_high), descriptions = CATEGORIES[category]
        quantity = rng.randint(q_low, q_high)
        price = Decimal(rng.randint(p_low, p_high)) / Decimal(str(YEN_PER[currency]))
        price = price.quantize(Decimal(1) if currency == "JPY" else Decimal("0.01"))
        price = max(price, Decimal(1) if currency == "JPY" else Decimal("0.01"))
        description = rng.choice(descriptions)
        span = (LAST_DAY - first).days
        ordered = first + timedelta(days=rng.randint(0, span))
        row = {
            "order_ref": f"{requester}-{ordered.year}-{i:07d}",
            "agreement": agreement,
            "requester": requester,
            "supplier": supplier,
            "activity": self.activity(agreement),
            "settlement": method,
            "order_date": ordered.isoformat(),
            "needed_by": (ordered + self.days(3, 20)).isoformat(),
            "location": rng.choice(PLACES),
            "operation": rng.choice(OPERATIONS),
            "category": category,
            "description": description,
            "nsn": NSN.get(description, ""),
            "quantity": str(quantity),
            "unit": unit,
            "unit_price": str(price),
            "currency": currency,
        }
        if method == "cash" and category in GOODS and agreement not in ANY_METHOD:
            row["cash_reason"] = rng.choice(CASH_REASONS)
        value = (price * quantity).quantize(price)
        self.fate(row, method, ordered, quantity, value)
        return row

    def activity(self, agreement: str) -> str:
        covered = AGREEMENT_ACTIVITIES.get(agreement)
        if covered is None:
            return str(self.pick(ACTIVITIES))
        return str(self.pick(tuple(a for a in ACTIVITIES if a[0] in covered)))

    def fate(
        self, row: dict[str, str], method: str, ordered: date, qty: int, value: Decimal
    ) -> None:
        """How far the order went and how it was settled."""
        accepted = ordered + self.days(0, 3)
        received = date.fromisoformat(row["needed_by"]) + self.days(0, 5)
        if method == "cash":
            fate = self.pick(CASH_FATES)
        elif method == "replacement_in_kind":
            fate = self.pick(REPLACEMENT_FATES)
            if fate == "converted" and received > date(2025, 6, 30):
                fate = "replaced"
        else:
            fate = self.pick(EXCHANGE_FATES)
        early = {
            "submitted": "submitted",
            "rejected": "rejected",
            "accepted": "accepted",
            "cancelled": "cancelled",
        }
        if fate in early:
            row["status"] = early[fate]
            if fate != "submitted":
                row["accepted_on"] = accepted.isoformat()
            if fate == "cancelled":
                row["closed_on"] = (accepted + self.days(1, 10)).isoformat()
                row["reason"] = "exercise scaled down"
            if fate == "rejected":
                row["reason"] = "not available at the time"
            return
        row["accepted_on"] = accepted.isoformat()
        if fate in ("delivered", "part_delivered"):
            row["status"] = "delivered" if fate == "delivered" else "partially_delivered"
            row["delivered_on"] = received.isoformat()
            if fate == "part_delivered":
                row["quantity_delivered"] = str(max(1, qty // 2)) if qty > 1 else "0"
                if qty == 1:
                    row["status"], row["quantity_delivered"] = "delivered", ""
            return
        row["received_on"] = received.isoformat()
        row["status"] = "received"
        if fate == "part_received" and qty > 1:
            row["status"] = "partially_received"
            row["quantity_delivered"] = str(qty // 2)
            return
        self.settle(row, fate, received, qty, value)

    def settle(
        self, row: dict[str, str], fate: str, received: date, qty: int, value: Decimal
    ) -> None:
        if fate in ("paid", "invoiced", "part_paid"):
            invoiced = received + self.days(5, 40)
            row["invoiced_on"] = invoiced.isoformat()
            if fate == "invoiced":
                return
            paid = invoiced + self.days(10, 60)
            row["paid_on"] = paid.isoformat()
            row["payment_reference"] = f"EFT {paid:%y%m%d}"
            if fate == "part_paid":
                row["paid_amount"] = str((value / 2).quantize(value))
                if Decimal(row["paid_amount"]) <= 0:
                    del row["paid_amount"]
                else:
                    return
            row["status"] = "closed"
            row["closed_on"] = (paid + self.days(0, 10)).isoformat()
        elif fate in ("replaced", "part_replaced"):
            replaced = received + self.days(30, 300)
            row["replaced_on"] = replaced.isoformat()
            if fate == "part_replaced" and qty > 1:
                row["replaced_quantity"] = str(qty // 2)
                return
            row["status"] = "closed"
            row["closed_on"] = (replaced + self.days(1, 10)).isoformat()
        elif fate == "converted":
            converted = received + self.days(366, 400)
            paid = converted + self.days(10, 60)
            row["converted_on"] = converted.isoformat()
            row["paid_on"] = paid.isoformat()
            row["status"] = "closed"
            row["closed_on"] = (paid + self.days(0, 10)).isoformat()
        elif fate == "exchanged":
            exchanged = received + self.days(30, 300)
            row["exchanged_value"] = str(value)
            row["exchanged_on"] = exchanged.isoformat()
            row["exchanged_for"] = "Airlift, two sorties"
            row["agreed_by"] = "both logistics staffs"
            row["status"] = "closed"
            row["closed_on"] = (exchanged + self.days(1, 10)).isoformat()


def write_history(path: Path, n: int, seed: int, tick: Callable[[int], None]) -> None:
    """N orders, one line each, in order date order as a records office would export them."""
    gen = Generator(random.Random(seed))
    names = [c.name for c in COLUMNS]
    with path.open("w", encoding="utf-8", newline="") as stream:
        writer = csv.writer(stream, lineterminator="\n")
        writer.writerow(names)
        for i in range(n):
            row = gen.order(i)
            writer.writerow([row.get(name, "") for name in names])
            if (i + 1) % 10000 == 0:
                tick(i + 1)


BENCH_AGREEMENT = {
    "versions": [
        {
            "label": "bench text",
            "signed": "2010-01-01",
            "in_force": "2010-01-01",
            "activities": [name for name, _share in ACTIVITIES],
            "categories": list(CATEGORIES),
            "settlement_methods": ["cash", "replacement_in_kind", "equal_value_exchange"],
        }
    ],
}


def add_bench_agreements(engine: Engine) -> None:
    """The two agreements that are not in the registry (bench data, marked as such)."""
    for agreement, a, b, *_ in PAIRS:
        if agreement.startswith("BENCH-"):
            doc = dict(BENCH_AGREEMENT, id=agreement, parties=[a, b])
            doc["title"] = f"Bench data: an agreement between {a} and {b} (not in the registry)"
            handle(UnitOfWork(engine), AddAgreement.from_wire(doc), "operator")


# --- progress -------------------------------------------------------------------------------


# --- acsa -----------------------------------------------------------------------------------


def fresh_engine(path: Path) -> Engine:
    for suffix in ("", "-wal", "-shm"):
        Path(f"{path}{suffix}").unlink(missing_ok=True)
    engine = make_engine(f"sqlite:///{path}")
    init_database(engine)
    add_bench_agreements(engine)
    return engine


@dataclass(frozen=True)
class Timed:
    seconds: float
    cpu_seconds: float


@contextmanager
def timed() -> Iterator[list[Timed]]:
    box: list[Timed] = []
    cpu0, t0 = time.process_time(), time.perf_counter()
    yield box
    box.append(Timed(time.perf_counter() - t0, time.process_time() - cpu0))


def run_import(
    engine: Engine, path: Path, n: int, ticker: Ticker
) -> tuple[HistoryImportOut, Timed]:
    with ticker.task("acsa import", n) as tick, timed() as clock:
        report = import_history(UnitOfWork(engine), path, progress=tick)
    return report, clock[0]


# --- the baseline: raw sqlite3 --------------------------------------------------------------

#: Rows read from acsa's file at a time, outside the timing, for the baseline to insert.
BASELINE_CHUNK = 50_000


@dataclass
class Clock:
    """Wall and CPU seconds summed over the timed parts only."""

    seconds: float = 0.0
    cpu_seconds: float = 0.0

    @contextmanager
    def running(self) -> Iterator[None]:
        cpu0, t0 = time.process_time(), time.perf_counter()
        yield
        self.seconds += time.perf_counter() - t0
        self.cpu_seconds += time.process_time() - cpu0


def sqlite_baseline(
    acsa_db: Path, path: Path, tables: list[str]
) -> tuple[Timed, int, dict[str, Any]]:
    """acsa's own rows, copied into a fresh file with the same schema and acsa's pragmas with
    raw ``sqlite3``: one transaction, ``executemany`` per table and chunk. Only the inserts
    and the commit are timed; reading the rows out of acsa's file is not."""
    for suffix in ("", "-wal", "-shm"):
        Path(f"{path}{suffix}").unlink(missing_ok=True)
    source = sqlite3.connect(acsa_db)
    conn = sqlite3.connect(path, isolation_level=None)
    clock = Clock()
    total = 0
    try:
        for pragma in SQLITE_PRAGMAS:
            conn.execute(pragma)
        pragmas = {
            name: conn.execute(f"PRAGMA {name}").fetchone()[0]
            for name in ("journal_mode", "synchronous", "foreign_keys")
        }
        schema = source.execute(
            "SELECT sql FROM sqlite_master WHERE sql IS NOT NULL AND name NOT LIKE 'sqlite_%' "
            "ORDER BY type DESC"
        ).fetchall()
        for (sql,) in schema:
            conn.execute(sql)
        for name in ("agreements", "agreement_versions"):  # the parents, not timed
            rows = source.execute(f"SELECT * FROM {name}").fetchall()
            conn.executemany(f"INSERT INTO {name} VALUES ({', '.join('?' * len(rows[0]))})", rows)
        with clock.running():
            conn.execute("BEGIN IMMEDIATE")
        for table in tables:
            cursor = source.execute(f"SELECT * FROM {table} ORDER BY rowid")
            insert = f"INSERT INTO {table} VALUES ({', '.join('?' * len(cursor.description))})"
            while chunk := cursor.fetchmany(BASELINE_CHUNK):
                with clock.running():
                    conn.executemany(insert, chunk)
                total += len(chunk)
        with clock.running():
            conn.execute("COMMIT")
    finally:
        conn.close()
        source.close()
    return Timed(clock.seconds, clock.cpu_seconds), total, pragmas


# --- queries --------------------------------------------------------------------------------


def time_ms(call: Callable[[], Any], runs: int = QUERY_RUNS) -> tuple[float, float, Any]:
    """(first, median of the runs after it) in ms, and the last result."""
    times: list[float] = []
    result: Any = None
    for _ in range(runs + 1):
        t0 = time.perf_counter()
        result = call()
        times.append(1000 * (time.perf_counter() - t0))
    return times[0], statistics.median(times[1:]), result


def time_queries(engine: Engine, nation: str, partner: str, year: int) -> dict[str, Any]:
    start, end = date(year, 1, 1), date(year, 12, 31)
    first_b, balance_ms, positions = time_ms(
        lambda: ledger.balances(UnitOfWork(engine, read_only=True), nation, partner)
    )
    first_s, statement_ms, statements = time_ms(
        lambda: ledger.statement(UnitOfWork(engine, read_only=True), nation, partner, start, end)
    )
    return {
        "pair": f"{nation}-{partner}",
        "year": year,
        "balance_ms": round(balance_ms, 2),
        "balance_first_ms": round(first_b, 2),
        "statement_ms": round(statement_ms, 2),
        "statement_first_ms": round(first_s, 2),
        "positions": len(positions),
        "statement_lines": sum(len(s.lines) for s in statements),
    }


# --- profiling ------------------------------------------------------------------------------


def profile_import(run_dir: Path, n: int, seed: int) -> str:
    path = run_dir / "profile.csv"
    write_history(path, n, seed, lambda _done: None)
    engine = fresh_engine(run_dir / "profile.db")
    profiler = cProfile.Profile()
    try:
        profiler.enable()
        import_history(UnitOfWork(engine), path)
        profiler.disable()
    finally:
        engine.dispose()
    buffer = io.StringIO()
    stats = pstats.Stats(profiler, stream=buffer)
    stats.strip_dirs().sort_stats(pstats.SortKey.CUMULATIVE).print_stats(PROFILE_TOP)
    stats.sort_stats(pstats.SortKey.TIME).print_stats(PROFILE_TOP)
    return buffer.getvalue()


# --- main -----------------------------------------------------------------------------------


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--n", type=int, default=100_000, help="orders in the file (default 100000)"
    )
    parser.add_argument(
        "--dir",
        type=Path,
        default=DEFAULT_BASE,
        help="directory in which a fresh ledger-* run directory is made (default bench/out)",
    )
    parser.add_argument("--seed", type=int, default=2026, help="random seed of the file")
    parser.add_argument("--keep", action="store_true", help="keep the run directory")
    parser.add_argument("--profile", action="store_true", help="then profile a smaller import")
    parser.add_argument(
        "--profile-n", type=int, default=None, help="orders profiled (min(n, 20000))"
    )
    args = parser.parse_args(argv)
    if args.n < 1:
        parser.error("--n must be at least 1")
    if args.profile_n is None:
        args.profile_n = min(args.n, 20_000)
    return args


def measure_import(
    engine: Engine, run_dir: Path, history: Path, n: int, ticker: Ticker
) -> dict[str, Any]:
    """The import, then the raw sqlite3 baseline with the same rows, and their ratio."""
    report, clock = run_import(engine, history, n, ticker)
    rows = report.rows_written
    import_per_s = rows / clock.seconds
    say(
        f"acsa import:     {import_per_s:,.0f} rows/s ({rows:,} rows for {report.orders:,} "
        f"orders in {clock.seconds:.1f} s, CPU {clock.cpu_seconds:.1f} s; "
        f"{report.orders / clock.seconds:,.0f} orders/s)"
    )
    say("  rows: " + ", ".join(f"{k} {v:,}" for k, v in report.rows.items()))
    say("  orders: " + ", ".join(f"{k} {v:,}" for k, v in report.by_status.items()))
    written = [t.name for t in TABLES] + ["ledger_balances", "ledger_months", "counters"]
    base, base_rows, pragmas = sqlite_baseline(
        run_dir / "acsa.db", run_dir / "baseline.db", written
    )
    if base_rows != rows:
        raise RuntimeError(f"the baseline copied {base_rows} rows, not {rows}")
    base_per_s = base_rows / base.seconds
    ratio = import_per_s / base_per_s
    cpu_ratio = base.cpu_seconds / clock.cpu_seconds
    say(
        f"raw sqlite3:     {base_per_s:,.0f} rows/s ({base_rows:,} rows in {base.seconds:.1f} s, "
        f"CPU {base.cpu_seconds:.1f} s; acsa's rows copied with executemany, pragmas {pragmas})"
    )
    say(f"ratio:           {ratio:.3f} (acsa import rows/s / raw executemany rows/s)")
    say(f"CPU ratio:       {cpu_ratio:.3f} (raw CPU seconds / acsa import CPU seconds)")
    return {
        "import_rows_per_s": round(import_per_s, 1),
        "baseline_rows_per_s": round(base_per_s, 1),
        "ratio": round(ratio, 4),
        "cpu_ratio": round(cpu_ratio, 4),
        "import_seconds": round(clock.seconds, 3),
        "import_cpu_seconds": round(clock.cpu_seconds, 3),
        "orders_per_s": round(report.orders / clock.seconds, 1),
        "baseline_seconds": round(base.seconds, 3),
        "baseline_cpu_seconds": round(base.cpu_seconds, 3),
        "rows": report.rows,
        "by_status": report.by_status,
    }


def measure_queries(engine: Engine) -> dict[str, Any]:
    """Balance and one-year statement of the largest pair, and of a smaller one."""
    largest = time_queries(engine, "JPN", "USA", 2024)
    smaller = time_queries(engine, "JPN", "CAN", 2024)
    for q in (largest, smaller):
        say(
            f"queries {q['pair']}: balance {q['balance_ms']:.2f} ms (first "
            f"{q['balance_first_ms']:.2f}), statement {q['year']} {q['statement_ms']:.1f} ms "
            f"(first {q['statement_first_ms']:.1f}, {q['statement_lines']:,} lines)"
        )
    return {
        "balance_ms": largest["balance_ms"],
        "statement_ms": largest["statement_ms"],
        "query_pair": largest["pair"],
        "statement_lines": largest["statement_lines"],
        "smaller_pair": smaller,
    }


def run(args: argparse.Namespace, run_dir: Path, ticker: Ticker) -> dict[str, Any]:
    n: int = args.n
    history = run_dir / "history.csv"
    with ticker.task("writing the file", n) as tick, timed() as gen_clock:
        write_history(history, n, args.seed, tick)
    size_mb = history.stat().st_size / 1e6
    say(f"history file:    {n} orders, {size_mb:,.1f} MB in {gen_clock[0].seconds:.1f} s")
    load_before = os.getloadavg()[0]
    engine = fresh_engine(run_dir / "acsa.db")
    try:
        figures = measure_import(engine, run_dir, history, n, ticker)
        queries = measure_queries(engine)
    finally:
        engine.dispose()
    load_after = os.getloadavg()[0]
    say(
        f"load average:    {load_before:.1f} before, {load_after:.1f} after ({os.cpu_count()} CPUs)"
    )
    return {
        "bench": "ledger",
        "n": n,
        **figures,
        **queries,
        "load_average": [round(load_before, 2), round(load_after, 2)],
        "file_mb": round(size_mb, 1),
        "dir": str(run_dir),
        "sqlite_version": sqlite3.sqlite_version,
        "python_version": platform.python_version(),
        "cpus": os.cpu_count(),
    }


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    args.dir.mkdir(parents=True, exist_ok=True)
    run_dir = Path(tempfile.mkdtemp(prefix="ledger-", dir=args.dir))
    say(f"acsa ledger bench: history file of {args.n} orders, import, raw sqlite3, queries")
    say(
        f"files in {run_dir}; SQLite {sqlite3.sqlite_version}, SQLAlchemy "
        f"{sqlalchemy.__version__}, Python {platform.python_version()}"
    )
    try:
        summary = run(args, run_dir, Ticker(sys.stdout.isatty()))
        if args.profile:
            say()
            say(f"profile: import of {args.profile_n} orders under cProfile")
            say(profile_import(run_dir, args.profile_n, args.seed).rstrip())
    finally:
        if args.keep:
            say(f"kept {run_dir}")
        else:
            shutil.rmtree(run_dir, ignore_errors=True)
    print(json.dumps(summary), flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
