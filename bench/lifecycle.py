"""Order lifecycle throughput against the floor set by the disk.

``make bench`` runs ``bench/lifecycle.py --n 20000``: N orders of 3 lines each, each placed
and then taken through submit, accept, deliver and receive, then invoiced and paid in full, as
separate commands (``acsa.commands``) carried out by ``acsa.services.handlers.handle``, one
database transaction (one ``UnitOfWork``) each, on a SQLite file. In the
same run and the same directory it measures raw ``sqlite3`` single-row commits per second with
the same pragmas acsa uses (WAL, synchronous=FULL: an acknowledged write survives a power
loss), before and after the acsa run, and reports the ratio of acsa's service actions per
second to the mean of the two baselines: over all seven actions (``per_s``, ``ratio``), over
the five order actions alone (``order_per_s``, ``order_ratio``: the figure earlier runs gave)
and over the two money actions alone (``money_per_s``, ``money_ratio``). The last line printed
is a one-line JSON summary.

``--profile`` then runs cProfile over a smaller run (``--profile-n`` orders, on a fresh file)
and prints the top 25 functions by cumulative time, and the SQL statements each action issues.
"""

from __future__ import annotations

import argparse
import cProfile
import io
import json
import os
import platform
import pstats
import re
import shutil
import sqlite3
import sys
import tempfile
import time
from collections import Counter, defaultdict
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import sqlalchemy
from sqlalchemy import Engine, event, text

from acsa.adapters.db.engine import SQLITE_PRAGMAS, make_engine
from acsa.adapters.db.unit_of_work import UnitOfWork
from acsa.commands import (
    AcceptOrder,
    DeliverOrder,
    IssueInvoice,
    PlaceOrder,
    ReceiveOrder,
    RecordPayment,
    SubmitOrder,
)
from acsa.services.handlers import handle
from acsa.services.setup import init_database
from benchkit import Ticker, say

BENCH_DIR = Path(__file__).resolve().parent
DEFAULT_BASE = BENCH_DIR / "out"  # inside the project, hence on the project's file system
ORDER_ACTIONS = ("place", "submit", "accept", "deliver", "receive")
MONEY_ACTIONS = ("invoice", "pay")
ACTIONS = ORDER_ACTIONS + MONEY_ACTIONS
ACTOR = "bench"
PROFILE_TOP = 25
NOISY = 0.25  # before/after baselines further apart than this: say the run is unreliable


def order_doc() -> dict[str, Any]:
    """A valid 3-line JPN-AUS order document (the shape of tests/orders_data.py's order_doc)."""
    return {
        "agreement": "JPN-AUS",
        "requester": "AUS",
        "supplier": "JPN",
        "activity": "exercise",
        "settlement": "cash",
        "order_date": "2026-10-01",
        "needed_by": "2026-10-05",
        "location": "RAAF Base Darwin",
        "operation": "Exercise Pitch Black",
        # The 2017 text settles supplies by return of the same or equivalent items, and in
        # currency only where return is difficult: an order settling them in cash says why.
        "cash_reason": "Fuel, rations and water are consumed in the exercise; returning the same "
        "items at Darwin is difficult",
        "lines": [
            {
                "category": "fuel",
                "description": "JP-8 aviation turbine fuel",
                "nsn": "9130-01-031-5816",
                "quantity": "12000",
                "unit": "L",
                "unit_price": "152",
                "currency": "JPY",
            },
            {
                "category": "food",
                "description": "Combat rations, 24h",
                "quantity": "400",
                "unit": "EA",
                "unit_price": "1850",
                "currency": "JPY",
            },
            {
                "category": "water",
                "description": "Bottled water",
                "quantity": "2000.5",
                "unit": "L",
                "unit_price": "40",
                "currency": "JPY",
            },
        ],
    }


# --- progress ------------------------------------------------------------------------------


# --- the baseline: raw sqlite3 ------------------------------------------------------------


@dataclass(frozen=True)
class Rate:
    count: int
    seconds: float
    cpu_seconds: float

    @property
    def per_s(self) -> float:
        return self.count / self.seconds if self.seconds > 0 else 0.0

    def as_dict(self) -> dict[str, float]:
        return {
            "count": self.count,
            "seconds": round(self.seconds, 3),
            "cpu_seconds": round(self.cpu_seconds, 3),
            "per_s": round(self.per_s, 1),
        }


BASELINE_DDL = """
CREATE TABLE events (
    order_id INTEGER NOT NULL,
    seq INTEGER NOT NULL,
    action VARCHAR(32) NOT NULL,
    at DATETIME NOT NULL,
    actor VARCHAR(200) NOT NULL,
    from_status VARCHAR(32),
    to_status VARCHAR(32) NOT NULL,
    details JSON NOT NULL,
    PRIMARY KEY (order_id, seq)
)
"""
BASELINE_INSERT = (
    "INSERT INTO events (order_id, seq, action, at, actor, from_status, to_status, details) "
    "VALUES (?, ?, ?, ?, ?, ?, ?, ?)"
)
BASELINE_DETAILS = json.dumps({"lines": {"1": "12000", "2": "400", "3": "2000.5"}})


def pragma_state(execute: Callable[[str], Any]) -> dict[str, Any]:
    """The pragmas that matter for durability, as the connection reports them."""
    return {
        name: execute(f"PRAGMA {name}")
        for name in ("journal_mode", "synchronous", "foreign_keys", "busy_timeout")
    }


def sqlite_baseline(
    path: Path,
    commits: int,
    ticker: Ticker,
    label: str,
) -> tuple[Rate, dict[str, Any]]:
    """``commits`` single-row INSERT transactions on a fresh file, acsa's pragmas and BEGINs."""
    for suffix in ("", "-wal", "-shm"):
        Path(f"{path}{suffix}").unlink(missing_ok=True)
    conn = sqlite3.connect(path, isolation_level=None)
    try:
        for pragma in SQLITE_PRAGMAS:  # exactly acsa's: WAL, synchronous=FULL, foreign_keys...
            conn.execute(pragma)
        pragmas = pragma_state(lambda sql: conn.execute(sql).fetchone()[0])
        conn.execute(BASELINE_DDL)
        step = max(1, commits // 200)
        with ticker.task(label, commits) as advance:
            cpu0, t0 = time.process_time(), time.perf_counter()
            for i in range(commits):
                conn.execute("BEGIN IMMEDIATE")
                conn.execute(
                    BASELINE_INSERT,
                    (
                        i // len(ACTIONS) + 1,
                        i % len(ACTIONS) + 1,
                        ACTIONS[i % len(ACTIONS)],
                        datetime.now(UTC).isoformat(),
                        ACTOR,
                        "draft",
                        "submitted",
                        BASELINE_DETAILS,
                    ),
                )
                conn.execute("COMMIT")
                if (i + 1) % step == 0:
                    advance(i + 1)
            seconds, cpu = time.perf_counter() - t0, time.process_time() - cpu0
        stored = conn.execute("SELECT count(*) FROM events").fetchone()[0]
        if stored != commits:
            raise RuntimeError(f"baseline stored {stored} rows, not {commits}")
    finally:
        conn.close()
    return Rate(commits, seconds, cpu), pragmas


# --- acsa ----------------------------------------------------------------------------------


@dataclass
class LifecycleResult:
    rate: Rate
    seconds_by_action: dict[str, float] = field(default_factory=dict)


def fresh_engine(path: Path) -> Engine:
    for suffix in ("", "-wal", "-shm"):
        Path(f"{path}{suffix}").unlink(missing_ok=True)
    engine = make_engine(f"sqlite:///{path}")
    init_database(engine)
    return engine


def run_lifecycle(
    engine: Engine,
    n: int,
    ticker: Ticker,
    label: str,
    before_action: Callable[[str], None] | None = None,
) -> LifecycleResult:
    """N orders placed, taken to received, invoiced and paid: seven commands, seven
    transactions each."""
    steps: tuple[tuple[str, Callable[[UnitOfWork, int], Any]], ...] = (
        ("submit", lambda uow, oid: handle(uow, SubmitOrder(order_id=oid), ACTOR)),
        ("accept", lambda uow, oid: handle(uow, AcceptOrder(order_id=oid), ACTOR)),
        ("deliver", lambda uow, oid: handle(uow, DeliverOrder(order_id=oid), ACTOR)),
        ("receive", lambda uow, oid: handle(uow, ReceiveOrder(order_id=oid), ACTOR)),
    )
    spent: dict[str, float] = dict.fromkeys(ACTIONS, 0.0)
    clock = time.perf_counter
    step = max(1, n // 200)
    with ticker.task(label, n) as advance:
        cpu0, t0 = time.process_time(), clock()
        for i in range(n):
            doc = order_doc()
            if before_action:
                before_action("place")
            t = clock()
            order, warnings = handle(UnitOfWork(engine), PlaceOrder.from_wire(doc), ACTOR)
            spent["place"] += clock() - t
            if warnings or order.id is None:
                raise RuntimeError(f"the bench order is not clean: {warnings}")
            for name, call in steps:
                if before_action:
                    before_action(name)
                t = clock()
                call(UnitOfWork(engine), order.id)
                spent[name] += clock() - t
            # The money: bill what was received, then pay the bill in full, on the day.
            if before_action:
                before_action("invoice")
            t = clock()
            now = datetime.now(UTC)
            invoice = handle(
                UnitOfWork(engine), IssueInvoice(order_id=order.id, issued=now.date()), ACTOR, now
            )
            spent["invoice"] += clock() - t
            if before_action:
                before_action("pay")
            t = clock()
            now = datetime.now(UTC)
            paid = handle(
                UnitOfWork(engine),
                RecordPayment(invoice=invoice.number, amount=invoice.amount, paid=now.date()),
                ACTOR,
                now,
            )
            spent["pay"] += clock() - t
            if paid.status != "paid":
                raise RuntimeError(f"invoice {invoice.number} is {paid.status} after paying it")
            if (i + 1) % step == 0:
                advance(i + 1)
        seconds, cpu = clock() - t0, time.process_time() - cpu0
    return LifecycleResult(Rate(n * len(ACTIONS), seconds, cpu), spent)


def check_outcome(engine: Engine, n: int) -> dict[str, Any]:
    """Every order received with five events, one invoice each, paid in full by one payment:
    the bench measured what it says it did."""
    with engine.connect() as conn:

        def count(sql: str) -> int:
            return int(conn.execute(text(sql)).scalar_one())

        received = count("SELECT count(*) FROM orders WHERE status = 'received'")
        events = count("SELECT count(*) FROM order_events")
        invoices = count("SELECT count(*) FROM invoices")
        payments = count("SELECT count(*) FROM payments")
        paid_in_full = count(
            "SELECT count(*) FROM invoices i WHERE i.amount_minor > 0 AND i.amount_minor = "
            "(SELECT sum(p.amount_minor) FROM payments p WHERE p.invoice_id = i.id)"
        )
        pragmas = pragma_state(lambda sql: conn.exec_driver_sql(sql).scalar())
    expected = (n, n * len(ORDER_ACTIONS), n, n, n)
    found = (received, events, invoices, payments, paid_in_full)
    if found != expected:
        raise RuntimeError(
            "expected (received orders, events, invoices, payments, invoices paid in full) "
            f"{expected}; found {found}"
        )
    return pragmas


def part_rate(
    spent: dict[str, float], names: tuple[str, ...], n: int, baseline_per_s: float
) -> tuple[float, float]:
    """Actions per second of ``names`` alone (n calls each, timed per call) and its ratio to
    the raw commits per second."""
    seconds = sum(spent[name] for name in names)
    per_s = n * len(names) / seconds if seconds > 0 else 0.0
    return per_s, (per_s / baseline_per_s if baseline_per_s else 0.0)


# --- profiling -----------------------------------------------------------------------------


@dataclass
class StatementLog:
    """SQL statements per service action, counted with SQLAlchemy engine events."""

    current: str = "setup"
    calls: Counter[str] = field(default_factory=Counter)
    statements: dict[str, Counter[str]] = field(default_factory=lambda: defaultdict(Counter))
    commits: Counter[str] = field(default_factory=Counter)

    def attach(self, engine: Engine) -> None:
        event.listen(engine, "before_cursor_execute", self._on_execute)
        event.listen(engine, "commit", self._on_commit)

    def action(self, name: str) -> None:
        self.current = name
        self.calls[name] += 1

    def _on_execute(
        self,
        _conn: Any,
        _cursor: Any,
        statement: str,
        _params: Any,
        _context: Any,
        executemany: bool,
    ) -> None:
        sql = re.sub(r"\s+", " ", statement).strip()
        sql = re.sub(r"\(__\[POSTCOMPILE_\w+\]\)", "(...)", sql)
        if len(sql) > 110:
            sql = sql[:107] + "..."
        self.statements[self.current][("[many] " if executemany else "") + sql] += 1

    def _on_commit(self, _conn: Any) -> None:
        self.commits[self.current] += 1

    def per_action(self) -> dict[str, float]:
        return {
            name: sum(self.statements[name].values()) / self.calls[name]
            for name in ACTIONS
            if self.calls[name]
        }

    def report(self) -> list[str]:
        out = ["SQL statements per service action (engine events; COMMIT is the DBAPI commit):"]
        for name in ACTIONS:
            calls = self.calls[name]
            if not calls:
                continue
            total = sum(self.statements[name].values()) / calls
            out.append(
                f"  {name}: {total:.1f} statements + {self.commits[name] / calls:.1f} "
                "COMMIT per call"
            )
            for sql, count in self.statements[name].most_common():
                out.append(f"    {count / calls:4.1f} x {sql}")
        return out


def profile_run(path: Path, n: int) -> tuple[str, StatementLog, Rate]:
    engine = fresh_engine(path)
    log = StatementLog()
    log.attach(engine)
    profiler = cProfile.Profile()
    try:
        profiler.enable()
        result = run_lifecycle(engine, n, Ticker(False), "profile", log.action)
        profiler.disable()
    finally:
        engine.dispose()
    buffer = io.StringIO()
    stats = pstats.Stats(profiler, stream=buffer)
    stats.strip_dirs().sort_stats(pstats.SortKey.CUMULATIVE).print_stats(PROFILE_TOP)
    stats.sort_stats(pstats.SortKey.TIME).print_stats(PROFILE_TOP)
    return buffer.getvalue(), log, result.rate


def print_profile(path: Path, n: int) -> dict[str, Any]:
    say()
    say(f"profile: {n} orders under cProfile on a fresh file (slower than unprofiled)")
    report, log, profiled = profile_run(path, n)
    say(report.rstrip())
    say()
    for line in log.report():
        say(line)
    return {
        "n": n,
        "per_s_under_profiler": round(profiled.per_s, 1),
        "statements_per_call": {k: round(v, 2) for k, v in log.per_action().items()},
    }


# --- where the files go --------------------------------------------------------------------


def file_system(path: Path) -> dict[str, str]:
    """The mount point and type of the file system holding ``path`` (Linux; best effort)."""
    path = path.resolve()
    mount = path
    dev = path.stat().st_dev
    while mount.parent != mount and mount.parent.stat().st_dev == dev:
        mount = mount.parent
    fs_type = "unknown"
    try:
        best = ""
        for line in Path("/proc/mounts").read_text().splitlines():
            parts = line.split()
            if len(parts) >= 3 and parts[1] == str(mount) and len(parts[1]) >= len(best):
                best, fs_type = parts[1], parts[2]
    except OSError:
        pass
    return {"dir": str(path), "mount": str(mount), "type": fs_type}


# --- main ----------------------------------------------------------------------------------


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        description="acsa order lifecycle throughput vs raw sqlite3 commits on the same disk.",
    )
    parser.add_argument(
        "--n",
        type=int,
        default=20000,
        help="orders to place, take to received, invoice and pay "
        f"({len(ACTIONS)} actions each; default 20000)",
    )
    parser.add_argument(
        "--dir",
        type=Path,
        default=DEFAULT_BASE,
        help="directory in which a fresh lifecycle-* run directory is made for "
        "the database files (default: bench/out next to this script, i.e. "
        "inside the project and on its file system)",
    )
    parser.add_argument(
        "--baseline-commits",
        type=int,
        default=None,
        help=f"single-row commits per baseline run (default min({len(ACTIONS)}*n, 20000))",
    )
    parser.add_argument(
        "--keep", action="store_true", help="keep the run directory and its database files"
    )
    parser.add_argument(
        "--profile",
        action="store_true",
        help="after the measurement, profile a smaller run with cProfile and "
        "count SQL statements per action",
    )
    parser.add_argument(
        "--profile-n",
        type=int,
        default=None,
        help="orders in the profiled run (default min(n, 500))",
    )
    args = parser.parse_args(argv)
    if args.n < 1:
        parser.error("--n must be at least 1")
    if args.baseline_commits is None:
        args.baseline_commits = min(len(ACTIONS) * args.n, 20000)
    if args.baseline_commits < 1:
        parser.error("--baseline-commits must be at least 1")
    if args.profile_n is None:
        args.profile_n = min(args.n, 500)
    return args


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    n: int = args.n
    commits: int = args.baseline_commits
    base: Path = args.dir
    base.mkdir(parents=True, exist_ok=True)
    run_dir = Path(tempfile.mkdtemp(prefix="lifecycle-", dir=base))
    ticker = Ticker(sys.stdout.isatty())
    fs = file_system(run_dir)
    say(
        f"acsa lifecycle bench: {n} orders x {len(ACTIONS)} actions; "
        f"baseline {commits} commits before and after"
    )
    say(
        f"files in {run_dir} ({fs['type']} mounted on {fs['mount']}); "
        f"SQLite {sqlite3.sqlite_version}, SQLAlchemy {sqlalchemy.__version__}, "
        f"Python {platform.python_version()}"
    )

    summary: dict[str, Any] = {}
    try:
        before, base_pragmas = sqlite_baseline(
            run_dir / "baseline-before.db", commits, ticker, "baseline (before)"
        )
        say(f"baseline before: {before.per_s:,.1f} commits/s ({commits} in {before.seconds:.2f} s)")

        engine = fresh_engine(run_dir / "acsa.db")
        try:
            lifecycle = run_lifecycle(engine, n, ticker, "acsa lifecycle")
            acsa_pragmas = check_outcome(engine, n)
        finally:
            engine.dispose()
        acsa = lifecycle.rate
        say(
            f"acsa:            {acsa.per_s:,.1f} actions/s "
            f"({acsa.count} actions in {acsa.seconds:.2f} s, CPU {acsa.cpu_seconds:.2f} s)"
        )
        ms_by_action = {
            name: round(1000 * spent / n, 3) for name, spent in lifecycle.seconds_by_action.items()
        }
        say("  ms per call: " + ", ".join(f"{k} {v:.2f}" for k, v in ms_by_action.items()))

        after, _ = sqlite_baseline(
            run_dir / "baseline-after.db", commits, ticker, "baseline (after)"
        )
        say(f"baseline after:  {after.per_s:,.1f} commits/s ({commits} in {after.seconds:.2f} s)")
        if acsa_pragmas != base_pragmas:
            say(f"WARNING: pragmas differ: acsa {acsa_pragmas}, baseline {base_pragmas}")

        baseline_per_s = (before.per_s + after.per_s) / 2
        ratio = acsa.per_s / baseline_per_s if baseline_per_s else 0.0
        spread = abs(before.per_s - after.per_s) / baseline_per_s if baseline_per_s else 0.0
        say(
            f"baseline mean:   {baseline_per_s:,.1f} commits/s "
            f"(before/after differ by {100 * spread:.0f}%)"
        )
        if spread > NOISY:
            say(
                f"WARNING: the baselines differ by more than {100 * NOISY:.0f}%: the disk's "
                "commit latency changed during the run; the ratio is unreliable, run again"
            )
        say(f"ratio:           {ratio:.3f} (acsa actions/s / raw commits/s)")
        # The two halves, each from the time spent in its own service calls.
        parts = {
            "order": part_rate(lifecycle.seconds_by_action, ORDER_ACTIONS, n, baseline_per_s),
            "money": part_rate(lifecycle.seconds_by_action, MONEY_ACTIONS, n, baseline_per_s),
        }
        for name, (per_s, part_ratio) in parts.items():
            say(
                f"  {name} actions: {per_s:,.1f} actions/s, ratio {part_ratio:.3f} "
                f"({', '.join(ORDER_ACTIONS if name == 'order' else MONEY_ACTIONS)})"
            )

        summary = {
            "bench": "lifecycle",
            "n": n,
            "actions": acsa.count,
            "seconds": round(acsa.seconds, 3),
            "cpu_seconds": round(acsa.cpu_seconds, 3),
            "per_s": round(acsa.per_s, 1),
            "ms_per_call": ms_by_action,
            "baseline_commits": commits,
            "baseline_before_per_s": round(before.per_s, 1),
            "baseline_after_per_s": round(after.per_s, 1),
            "baseline_per_s": round(baseline_per_s, 1),
            "baseline_cpu_seconds": round(before.cpu_seconds + after.cpu_seconds, 3),
            "baseline_spread": round(spread, 3),
            "ratio": round(ratio, 4),
            "order_per_s": round(parts["order"][0], 1),
            "order_ratio": round(parts["order"][1], 4),
            "money_per_s": round(parts["money"][0], 1),
            "money_ratio": round(parts["money"][1], 4),
            "pragmas": acsa_pragmas,
            "dir": str(run_dir),
            "fs": fs,
            "sqlite_version": sqlite3.sqlite_version,
            "sqlalchemy_version": sqlalchemy.__version__,
            "python_version": platform.python_version(),
            "cpus": os.cpu_count(),
        }

        if args.profile:
            summary["profile"] = print_profile(run_dir / "profile.db", args.profile_n)
    finally:
        if args.keep:
            say(f"kept {run_dir}")
        else:
            shutil.rmtree(run_dir, ignore_errors=True)

    print(json.dumps(summary), flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
