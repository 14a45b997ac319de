"""The scheduler's notice pass on N open orders, against raw sqlite3 on the same file.

``bench/alerts.py --n 2000`` builds a fresh SQLite file of N open JPN-AUS orders in a mix of
states (submitted, accepted, received to be replaced in kind with the deadline 5 or 25 days
off, invoiced with the invoice due in 5 days or 15 days overdue) and a few users of each nation
and role, all through ``acsa.services.handlers.handle`` at fixed days. It then times
``acsa.services.notices.run_alerts`` as the server's scheduler calls it: the first run of the
day (it makes the notices and their inbox rows) and an idle run again the same day (it makes
nothing: what every tick of the scheduler costs). The baseline, in the same run, is raw
``sqlite3`` with acsa's pragmas reading the same orders' rows (orders, lines, events, invoices)
from acsa's file, and inserting as many rows as the first run made (notices and inbox rows) in
one transaction into a fresh file beside it. The last line printed is a one-line JSON summary.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import shutil
import sqlite3
import sys
import tempfile
import time
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

import sqlalchemy
from sqlalchemy import Engine

from acsa.adapters.db.engine import SQLITE_PRAGMAS, make_engine
from acsa.adapters.db.unit_of_work import UnitOfWork
from acsa.commands import (
    AcceptOrder,
    DeliverOrder,
    IssueInvoice,
    PlaceOrder,
    ReceiveOrder,
    SubmitOrder,
)
from acsa.services import users
from acsa.services.handlers import handle
from acsa.services.notices import run_alerts
from acsa.services.setup import init_database
from benchkit import Ticker, say
from lifecycle import order_doc, pragma_state

BENCH_DIR = Path(__file__).resolve().parent
DEFAULT_BASE = BENCH_DIR / "out"
ACTOR = "bench"
#: The day the scheduler runs on. JPN-AUS keeps the defaults: 365 days to replace in kind,
#: 30 days to pay an invoice.
AS_OF = date(2026, 3, 2)
#: (state, settlement, day received or None, invoiced): the mix of open orders, in turn.
MIX: tuple[tuple[str, str, int | None, bool], ...] = (
    ("submitted", "cash", None, False),
    ("accepted", "cash", None, False),
    ("in_kind_due_7", "replacement_in_kind", 360, False),  # deadline in 5 days
    ("in_kind_due_30", "replacement_in_kind", 340, False),  # deadline in 25 days
    ("invoice_due", "cash", 25, True),  # due in 5 days
    ("invoice_overdue", "cash", 45, True),  # 15 days overdue
)
NATIONS = ("JPN", "AUS")
ROLES = ("approver", "logistics", "finance", "auditor", "admin")
USERS_PER_ROLE = 2
OPEN = ("submitted", "accepted", "received", "invoiced")


def at(day: date, hour: int) -> datetime:
    return datetime(day.year, day.month, day.day, hour, tzinfo=UTC)


def open_order(engine: Engine, i: int) -> str:
    """Order ``i`` of the mix, taken to its state at its days; its state's name."""
    state, settlement, received_days, invoiced = MIX[i % len(MIX)]
    day = AS_OF - timedelta(days=received_days or 3)
    doc = order_doc()
    doc |= {"settlement": settlement, "order_date": day.isoformat(), "needed_by": day.isoformat()}
    if settlement != "cash":
        doc.pop("cash_reason")
    order, warnings = handle(UnitOfWork(engine), PlaceOrder.from_wire(doc), ACTOR, at(day, 8))
    if warnings or order.id is None:
        raise RuntimeError(f"the bench order is not clean: {warnings}")
    oid = order.id
    handle(UnitOfWork(engine), SubmitOrder(order_id=oid), ACTOR, at(day, 9))
    if state == "submitted":
        return state
    handle(UnitOfWork(engine), AcceptOrder(order_id=oid), ACTOR, at(day, 10))
    if received_days is None:
        return state
    handle(UnitOfWork(engine), DeliverOrder(order_id=oid), ACTOR, at(day, 11))
    handle(UnitOfWork(engine), ReceiveOrder(order_id=oid), ACTOR, at(day, 12))
    if invoiced:
        handle(UnitOfWork(engine), IssueInvoice(order_id=oid, issued=day), ACTOR, at(day, 13))
    return state


def build(engine: Engine, n: int, ticker: Ticker) -> tuple[dict[str, int], float]:
    """The users, then N open orders; how many of each state, and the seconds it took."""
    for nation in NATIONS:
        for role in ROLES:
            for k in range(USERS_PER_ROLE):
                doc = {"name": f"{nation}-{role}-{k}", "nation": nation, "roles": [role]}
                users.add_user(UnitOfWork(engine), doc, actor=ACTOR)
    states: dict[str, int] = {}
    step = max(1, n // 200)
    t0 = time.perf_counter()
    with ticker.task("building orders", n) as advance:
        for i in range(n):
            state = open_order(engine, i)
            states[state] = states.get(state, 0) + 1
            if (i + 1) % step == 0:
                advance(i + 1)
    return states, time.perf_counter() - t0


def alerts_run(engine: Engine) -> tuple[int, int, float, float]:
    """One run of the notice pass on AS_OF: (notices made, inbox rows, seconds, CPU s)."""
    cpu0, t0 = time.process_time(), time.perf_counter()
    out = run_alerts(UnitOfWork(engine), AS_OF, "scheduler", holder="bench")
    return len(out.created), out.inbox_rows, time.perf_counter() - t0, time.process_time() - cpu0


# --- the baseline: raw sqlite3 --------------------------------------------------------------

BASELINE_DDL = (
    """CREATE TABLE notices (
    id INTEGER PRIMARY KEY AUTOINCREMENT, key VARCHAR(200) NOT NULL UNIQUE,
    kind VARCHAR(32) NOT NULL, nation VARCHAR(3) NOT NULL, roles VARCHAR(100) NOT NULL,
    order_id INTEGER, subject VARCHAR(200) NOT NULL, params JSON NOT NULL, due DATE,
    as_of DATE NOT NULL, created_at DATETIME NOT NULL)""",
    "CREATE INDEX ix_notices_nation ON notices (nation)",
    "CREATE INDEX ix_notices_order_id ON notices (order_id)",
    """CREATE TABLE notice_inbox (
    notice_id INTEGER NOT NULL REFERENCES notices (id), user_id INTEGER NOT NULL,
    read_at DATETIME, PRIMARY KEY (notice_id, user_id))""",
    "CREATE INDEX ix_notice_inbox_user_id_read_at ON notice_inbox (user_id, read_at)",
)
READS = {
    "orders": "SELECT * FROM orders WHERE status IN ({open})",
    "order_lines": "SELECT l.* FROM order_lines l JOIN orders o ON o.id = l.order_id "
    "WHERE o.status IN ({open})",
    "order_events": "SELECT e.* FROM order_events e JOIN orders o ON o.id = e.order_id "
    "WHERE o.status IN ({open})",
    "invoices": "SELECT i.* FROM invoices i JOIN orders o ON o.id = i.order_id "
    "WHERE o.status IN ({open})",
}


def connect(path: Path) -> sqlite3.Connection:
    conn = sqlite3.connect(path, isolation_level=None)
    for pragma in SQLITE_PRAGMAS:
        conn.execute(pragma)
    return conn


def baseline_read(path: Path) -> tuple[dict[str, int], float, float]:
    """Every row of the open orders, their lines, events and invoices: (rows per table, s, CPU)."""
    conn = connect(path)
    try:
        marks = ", ".join("?" for _ in OPEN)
        cpu0, t0 = time.process_time(), time.perf_counter()
        rows = {
            name: len(conn.execute(sql.format(open=marks), OPEN).fetchall())
            for name, sql in READS.items()
        }
        return rows, time.perf_counter() - t0, time.process_time() - cpu0
    finally:
        conn.close()


def baseline_insert(path: Path, notices: int, inbox: int) -> tuple[float, float, dict[str, Any]]:
    """``notices`` notices and ``inbox`` inbox rows (spread over them) in one transaction."""
    conn = connect(path)
    try:
        pragmas = pragma_state(lambda sql: conn.execute(sql).fetchone()[0])
        for ddl in BASELINE_DDL:
            conn.execute(ddl)
        now = datetime.now(UTC).isoformat()
        params = json.dumps({"order": "1", "requester": "AUS", "supplier": "JPN"})
        cpu0, t0 = time.process_time(), time.perf_counter()
        conn.execute("BEGIN IMMEDIATE")
        conn.executemany(
            "INSERT INTO notices (id, key, kind, nation, roles, order_id, subject, params, due, "
            "as_of, created_at) VALUES (?, ?, 'respond', 'JPN', 'logistics', ?, ?, ?, ?, ?, ?)",
            (
                (i, f"k{i}", i, f"order:{i}", params, AS_OF.isoformat(), AS_OF.isoformat(), now)
                for i in range(1, notices + 1)
            ),
        )
        conn.executemany(
            "INSERT INTO notice_inbox (notice_id, user_id, read_at) VALUES (?, ?, NULL)",
            ((i % max(notices, 1) + 1, i // max(notices, 1) + 1) for i in range(inbox)),
        )
        conn.execute("COMMIT")
        seconds, cpu = time.perf_counter() - t0, time.process_time() - cpu0
        stored = conn.execute(
            "SELECT (SELECT count(*) FROM notices) + (SELECT count(*) FROM notice_inbox)"
        ).fetchone()[0]
        if stored != notices + inbox:
            raise RuntimeError(f"baseline stored {stored} rows, not {notices + inbox}")
    finally:
        conn.close()
    return seconds, cpu, pragmas


# --- the run --------------------------------------------------------------------------------


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--n", type=int, default=2000, help="open orders (default 2000)")
    parser.add_argument(
        "--dir",
        type=Path,
        default=DEFAULT_BASE,
        help="directory in which a fresh alerts-* run directory is made (default bench/out)",
    )
    parser.add_argument("--keep", action="store_true", help="keep the run directory")
    args = parser.parse_args(argv)
    if args.n < 1:
        parser.error("--n must be at least 1")
    return args


def run(n: int, run_dir: Path, ticker: Ticker) -> dict[str, Any]:
    db_path = run_dir / "acsa.db"
    engine = make_engine(f"sqlite:///{db_path}")
    load_before = os.getloadavg()[0]
    try:
        init_database(engine)
        states, build_s = build(engine, n, ticker)
        say(f"built:           {n} open orders in {build_s:.1f} s: {states}")
        made, inbox, first_s, first_cpu = alerts_run(engine)
        again, again_rows, idle_s, idle_cpu = alerts_run(engine)
    finally:
        engine.dispose()
    if made == 0 or again or again_rows:
        raise RuntimeError(f"first run made {made} notices, the idle run {again} and {again_rows}")
    first_notices_per_s = (made + inbox) / first_s
    first_orders_per_s = n / first_s
    idle_orders_per_s = n / idle_s
    say(
        f"acsa first run:  {made} notices, {inbox} inbox rows in {first_s * 1000:.0f} ms "
        f"(CPU {first_cpu * 1000:.0f} ms): {first_notices_per_s:,.0f} rows/s, "
        f"{first_orders_per_s:,.0f} orders scanned/s"
    )
    say(
        f"acsa idle run:   nothing made in {idle_s * 1000:.0f} ms (CPU {idle_cpu * 1000:.0f} ms): "
        f"{idle_orders_per_s:,.0f} orders scanned/s"
    )
    rows, read_s, _read_cpu = baseline_read(db_path)
    if rows["orders"] != n:
        raise RuntimeError(f"the baseline read {rows['orders']} open orders, not {n}")
    insert_s, _insert_cpu, pragmas = baseline_insert(run_dir / "baseline.db", made, inbox)
    read_per_s = n / read_s
    insert_per_s = (made + inbox) / insert_s
    first_base_per_s = n / (read_s + insert_s)
    say(
        f"raw sqlite3:     read {sum(rows.values()):,} rows ({rows}) in {read_s * 1000:.1f} ms: "
        f"{read_per_s:,.0f} orders/s; inserted {made + inbox} rows in one transaction in "
        f"{insert_s * 1000:.1f} ms: {insert_per_s:,.0f} rows/s (pragmas {pragmas})"
    )
    ratio = idle_orders_per_s / read_per_s
    first_ratio = first_orders_per_s / first_base_per_s
    notices_ratio = first_notices_per_s / insert_per_s
    say(f"ratio:           {ratio:.4f} (idle run orders/s / raw read orders/s)")
    say(f"first ratio:     {first_ratio:.4f} (first run orders/s / raw read+insert orders/s)")
    say(f"notices ratio:   {notices_ratio:.4f} (first run rows/s / raw insert rows/s)")
    load_after = os.getloadavg()[0]
    say(f"load average:    {load_before:.1f} before, {load_after:.1f} after")
    return {
        "bench": "alerts",
        "n": n,
        "per_s": round(idle_orders_per_s, 1),
        "baseline_per_s": round(read_per_s, 1),
        "ratio": round(ratio, 4),
        "idle_ms": round(idle_s * 1000, 2),
        "idle_cpu_ms": round(idle_cpu * 1000, 2),
        "first_ms": round(first_s * 1000, 2),
        "first_cpu_ms": round(first_cpu * 1000, 2),
        "first_orders_per_s": round(first_orders_per_s, 1),
        "first_notices_per_s": round(first_notices_per_s, 1),
        "first_baseline_per_s": round(first_base_per_s, 1),
        "first_ratio": round(first_ratio, 4),
        "baseline_insert_per_s": round(insert_per_s, 1),
        "notices_ratio": round(notices_ratio, 4),
        "notices": made,
        "inbox_rows": inbox,
        "baseline_rows": rows,
        "states": states,
        "users": len(NATIONS) * len(ROLES) * USERS_PER_ROLE,
        "build_seconds": round(build_s, 1),
        "load_average": [round(load_before, 2), round(load_after, 2)],
        "sqlite_version": sqlite3.sqlite_version,
        "python_version": platform.python_version(),
        "cpus": os.cpu_count(),
    }


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    args.dir.mkdir(parents=True, exist_ok=True)
    run_dir = Path(tempfile.mkdtemp(prefix="alerts-", dir=args.dir))
    say(f"acsa alerts bench: the scheduler's notice pass on {args.n} open orders, raw sqlite3")
    say(
        f"files in {run_dir}; SQLite {sqlite3.sqlite_version}, SQLAlchemy "
        f"{sqlalchemy.__version__}, Python {platform.python_version()}"
    )
    try:
        summary = run(args.n, run_dir, Ticker(sys.stdout.isatty()))
    finally:
        if args.keep:
            say(f"kept {run_dir}")
        else:
            shutil.rmtree(run_dir, ignore_errors=True)
    print(json.dumps(summary), flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
