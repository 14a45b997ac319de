"""The dashboard and the audit page over many orders, against a page that reads nothing.

``bench/dashboard.py --n 100000`` writes a history file of N orders with bench/ledger.py's
generator (ten partner pairs, most received and paid, some settled in kind), its last orders
moved into the current fiscal year so the dashboard's chart has figures, imports it with the
real import service into a fresh SQLite file, adds one user of Japan who may see everything
the dashboard and the audit page show (approver, logistics, finance, auditor), then starts a
real ``acsa serve`` on 127.0.0.1 and signs in through the login form.

It times, warm (after ``--warm`` loads each, the median of ``--runs``):

    GET /        the dashboard of Japan
    GET /audit   the audit log of Japan, first page, with its chain check

and, once, ``GET /audit?full=1`` (the whole chain checked on demand). It also times each page
**cold**: its first load after a change to the data (a remark added to an order through the
real service, which appends an audit record, so nothing kept for the data before still holds),
``--cold`` times (the median), besides the very first load after the server started.

The baseline, in the same run, through the same server and the same signed-in browser, is
``GET /healthz`` (no database, no template), timed before and after the pages (its median over
both). ``ratio`` is the slower page's median over the baseline's. The last line printed is one
JSON object.
"""

from __future__ import annotations

import argparse
import csv
import json
import os
import platform
import random
import re
import shutil
import statistics
import sys
import tempfile
import time
from collections.abc import Callable
from datetime import date, timedelta
from pathlib import Path
from typing import Any

import httpx
import sqlalchemy

import ledger
from acsa.adapters.db.unit_of_work import UnitOfWork
from acsa.adapters.history_csv import COLUMNS
from acsa.clock import today
from acsa.services import users
from api import serving
from benchkit import Ticker, say
from changes import Changer

BENCH_DIR = Path(__file__).resolve().parent
DEFAULT_BASE = BENCH_DIR / "out"
NATION = "JPN"
USER = "JPN-dash"
PASSWORD = "bench-dashboard-password"  # noqa: S105 (a bench user on a throwaway database)
ROLES = ["approver", "logistics", "finance", "auditor"]
DAY = re.compile(r"\d{4}-\d{2}-\d{2}")


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--n", type=int, default=100_000, help="orders (default 100000)")
    parser.add_argument("--runs", type=int, default=15, help="timed loads of each page")
    parser.add_argument("--warm", type=int, default=2, help="untimed loads of each page first")
    parser.add_argument(
        "--cold", type=int, default=5, help="loads of each page, each after a change (default 5)"
    )
    parser.add_argument("--seed", type=int, default=2026, help="random seed of the history")
    parser.add_argument(
        "--dir", type=Path, default=DEFAULT_BASE, help="where the run directory is made"
    )
    parser.add_argument("--keep", action="store_true", help="keep the run directory")
    parser.add_argument(
        "--db",
        type=Path,
        help="measure a copy of the acsa.db a previous run kept (--keep) instead of importing",
    )
    args = parser.parse_args(argv)
    if args.n < 1 or args.runs < 1 or args.warm < 0 or args.cold < 1:
        parser.error("--n, --runs and --cold must be at least 1, --warm at least 0")
    return args


def write_history(path: Path, n: int, seed: int, tick: Callable[[int], None]) -> None:
    """bench/ledger.py's history, its orders running up to yesterday, so the current fiscal
    year has orders: an order whose last step would fall after yesterday is moved earlier, all
    its days by as many days."""
    ledger.LAST_DAY = today() - timedelta(days=1)
    gen = ledger.Generator(random.Random(seed))
    names = [c.name for c in COLUMNS]
    last = ledger.LAST_DAY
    with path.open("w", encoding="utf-8", newline="") as stream:
        writer = csv.writer(stream, lineterminator="\n")
        writer.writerow(names)
        for i in range(n):
            row = gen.order(i)
            days = {k: date.fromisoformat(v) for k, v in row.items() if DAY.fullmatch(v)}
            late = max(days.values()) - last
            if late.days > 0:
                row.update({k: (d - late).isoformat() for k, d in days.items()})
            writer.writerow([row.get(name, "") for name in names])
            if (i + 1) % 10000 == 0:
                tick(i + 1)


def build(run_dir: Path, n: int, seed: int, ticker: Ticker) -> tuple[str, float]:
    """A SQLite file of N imported orders and the user; its URL and the import's seconds."""
    history = run_dir / "history.csv"
    with ticker.task("history file", n) as tick:
        write_history(history, n, seed, tick)
    db_path = run_dir / "acsa.db"
    engine = ledger.fresh_engine(db_path)
    try:
        report, took = ledger.run_import(engine, history, n, ticker)
        if report.orders != n:
            raise RuntimeError(f"imported {report.orders} orders of {n}")
        users.add_user(
            UnitOfWork(engine),
            {"name": USER, "nation": NATION, "roles": ROLES, "password": PASSWORD},
            actor="bench",
        )
    finally:
        engine.dispose()
    history.unlink()
    return f"sqlite:///{db_path}", took.seconds


def copied(db: Path, run_dir: Path) -> str:
    """A copy of a kept run's database (and its installation key and checkpoints)."""
    shutil.copyfile(db, run_dir / "acsa.db")
    wal = db.with_name(db.name + "-wal")
    if wal.exists():
        shutil.copyfile(wal, run_dir / "acsa.db-wal")
    for name in ("installation.key", "checkpoints"):
        kept = db.parent / name
        if kept.is_dir():
            shutil.copytree(kept, run_dir / name)
        elif kept.exists():
            shutil.copy2(kept, run_dir / name)
    return f"sqlite:///{run_dir / 'acsa.db'}"


def sign_in(base: str) -> httpx.Client:
    browser = httpx.Client(base_url=base, timeout=600, headers={"Accept-Language": "en"})
    page = browser.get("/login")
    found = re.search(r'name="csrf" value="([^"]+)"', page.text)
    if page.status_code != 200 or found is None:
        raise RuntimeError(f"no login form: {page.status_code}")
    answer = browser.post(
        "/login", data={"name": USER, "password": PASSWORD, "csrf": found.group(1), "next": "/"}
    )
    if answer.status_code != 303:
        raise RuntimeError(f"sign-in refused: {answer.status_code} {answer.text[:300]}")
    return browser


def load(browser: httpx.Client, path: str, expect: str) -> float:
    """One GET, checked (200, with ``expect`` in the page); its milliseconds."""
    t0 = time.perf_counter()
    answer = browser.get(path)
    took = 1000 * (time.perf_counter() - t0)
    if answer.status_code != 200 or expect not in answer.text:
        raise RuntimeError(f"GET {path}: {answer.status_code} {answer.text[:300]}")
    return took


def measure(browser: httpx.Client, path: str, expect: str, warm: int, runs: int) -> list[float]:
    first = [load(browser, path, expect) for _ in range(warm)]
    del first
    return [load(browser, path, expect) for _ in range(runs)]


def after_change(
    browser: httpx.Client, changer: Changer, path: str, expect: str, times: int
) -> list[float]:
    """``path`` loaded ``times`` times, each the first load after a change to the data."""
    found: list[float] = []
    for _ in range(times):
        changer.change()
        found.append(load(browser, path, expect))
    return found


def database(args: argparse.Namespace, run_dir: Path, ticker: Ticker) -> tuple[str, float]:
    """The database measured (a copy of ``--db``, else N orders imported); the import's s."""
    if args.db is not None:
        say(f"measuring a copy of {args.db}")
        return copied(args.db, run_dir), 0.0
    say(f"building {args.n:,} orders in {run_dir} ...")
    url, import_s = build(run_dir, args.n, args.seed, ticker)
    say(f"imported in {import_s:.1f} s")
    return url, import_s


def tell(name: str, warm: float, runs: int, cold: float, colds: int, first: float) -> None:
    say(
        f"{name} warm {warm:8.1f} ms median of {runs}; cold (first after a change) {cold:.1f}"
        f" ms median of {colds}; first after start {first:.0f} ms"
    )


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    ticker = Ticker(sys.stdout.isatty())
    args.dir.mkdir(parents=True, exist_ok=True)
    run_dir = Path(tempfile.mkdtemp(prefix="dashboard-", dir=args.dir))
    # The server's checkpoints and installation key stay in the run directory.
    os.environ["ACSA_CHECKPOINT_DIR"] = str(run_dir / "checkpoints")
    os.environ["ACSA_INSTALLATION_KEY"] = str(run_dir / "installation.key")
    try:
        url, import_s = database(args, run_dir, ticker)
        with serving(url, 1, run_dir / "serve.log", timeout_s=120) as server:
            browser = sign_in(server.base)
            t0 = time.perf_counter()
            load(browser, "/", "Dashboard")
            cold_dashboard = 1000 * (time.perf_counter() - t0)
            t0 = time.perf_counter()
            load(browser, "/audit", "Audit log")
            cold_audit = 1000 * (time.perf_counter() - t0)
            before = measure(browser, "/healthz", "", args.warm, args.runs)
            dash = measure(browser, "/", "Dashboard", args.warm, args.runs)
            audit = measure(browser, "/audit", "Audit log", args.warm, args.runs)
            changer = Changer(url)
            try:
                dash_cold = after_change(browser, changer, "/", "Dashboard", args.cold)
                audit_cold = after_change(browser, changer, "/audit", "Audit log", args.cold)
            finally:
                changer.close()
            after = measure(browser, "/healthz", "", 0, args.runs)
            # The whole chain's check, on demand (once: it reads every record and row).
            t0 = time.perf_counter()
            load(browser, "/audit?full=1", "Audit log")
            audit_full = 1000 * (time.perf_counter() - t0)
            browser.close()
        base_ms = statistics.median(before + after)
        dash_ms, audit_ms = statistics.median(dash), statistics.median(audit)
        ratio = max(dash_ms, audit_ms) / base_ms if base_ms else 0.0
        dash_cold_ms, audit_cold_ms = statistics.median(dash_cold), statistics.median(audit_cold)
        cold_ratio = max(dash_cold_ms, audit_cold_ms) / base_ms if base_ms else 0.0
        runs = args.runs
        tell("dashboard: ", dash_ms, runs, dash_cold_ms, args.cold, cold_dashboard)
        tell("audit page:", audit_ms, runs, audit_cold_ms, args.cold, cold_audit)
        say(f"whole chain check (/audit?full=1, once): {audit_full:.0f} ms")
        say(f"/healthz:   {base_ms:8.2f} ms median of {2 * args.runs} (before and after)")
        say(f"ratio:      {ratio:.1f} (slower page warm / baseline), cold {cold_ratio:.1f}")
        summary: dict[str, Any] = {
            "bench": "dashboard",
            "n": args.n,
            "dashboard_ms": round(dash_ms, 2),
            "dashboard_p90_ms": round(sorted(dash)[int(0.9 * (len(dash) - 1))], 2),
            "dashboard_first_ms": round(cold_dashboard, 1),
            "dashboard_cold_ms": round(dash_cold_ms, 2),
            "dashboard_cold_max_ms": round(max(dash_cold), 2),
            "audit_ms": round(audit_ms, 2),
            "audit_p90_ms": round(sorted(audit)[int(0.9 * (len(audit) - 1))], 2),
            "audit_first_ms": round(cold_audit, 1),
            "audit_cold_ms": round(audit_cold_ms, 2),
            "audit_full_ms": round(audit_full, 1),
            "baseline_ms": round(base_ms, 3),
            "baseline_before_ms": round(statistics.median(before), 3),
            "baseline_after_ms": round(statistics.median(after), 3),
            "ratio": round(ratio, 2),
            "cold_ratio": round(cold_ratio, 2),
            "import_s": round(import_s, 1),
            "day": date.today().isoformat(),
            "load_average": [round(x, 2) for x in os.getloadavg()],
            "sqlalchemy_version": sqlalchemy.__version__,
            "python_version": platform.python_version(),
            "cpus": os.cpu_count(),
        }
    finally:
        if args.keep:
            say(f"kept {run_dir}")
        else:
            shutil.rmtree(run_dir, ignore_errors=True)
    print(json.dumps(summary), flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
