"""Crash soak: SIGKILL a real ``acsa serve`` under a burst of writes, again and again.

Runs the crash rounds of tests/api/crash_rounds.py (the same as ``tests/api/test_crash.py``,
only many more): each round, client threads take orders through place, submit, accept,
deliver, receive, invoice, pay and close with an Idempotency-Key on every POST; the server
is killed with SIGKILL at a random moment (a ``random.Random`` seeded per round), restarted
on the same database and checked. A round counts:

- ``lost``: acknowledged writes (a complete 2xx answer) that are not in the database;
- ``half_written``: anything in the database no acknowledged or committed-whole write
  explains, and every broken invariant (statuses and events, ledger entries, one audit record
  per change, the books mirroring each other, ``acsa ledger verify``, ``acsa audit verify``);
- ``retry_problems``: a pending request sent again with its key that was not replayed when
  it had committed, or not done once when it had not.

``--backend sqlite`` uses a fresh file in a ``soak-*`` directory under ``--dir`` (bench/out by
default, deleted unless ``--keep``); ``--backend postgresql`` creates a database of its own on
the server at ``--pg-url`` (default ACSA_TEST_PG_URL, else 127.0.0.1:5432) and drops it after.
It stops at the first round with a problem and prints what it found. The last line printed is
one JSON object; the exit status is 1 when anything was lost, half written or not retried.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import shutil
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

BENCH_DIR = Path(__file__).resolve().parent
ROOT = BENCH_DIR.parent
sys.path.insert(0, str(ROOT))  # tests.api.crash_rounds holds the rounds

import sqlalchemy  # noqa: E402
from tests.api.crash_rounds import CrashRounds, Totals  # noqa: E402

from benchkit import Ticker, fresh_database, say  # noqa: E402

DEFAULT_BASE = BENCH_DIR / "out"
DEFAULT_PG = os.environ.get(
    "ACSA_TEST_PG_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/postgres"
)
#: Problems of a failed round printed at most.
SHOWN = 40


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        description="SIGKILL acsa serve under writes, round after round, and check the database."
    )
    parser.add_argument("--rounds", type=int, default=200, help="kills (default 200)")
    parser.add_argument(
        "--backend", choices=("sqlite", "postgresql"), default="sqlite", help="default sqlite"
    )
    parser.add_argument(
        "--seed", type=int, default=1, help="round r uses random.Random(seed * 100000 + r)"
    )
    parser.add_argument("--clients", type=int, default=4, help="client threads (default 4)")
    parser.add_argument(
        "--workers", type=int, default=1, help="server worker processes (PostgreSQL only)"
    )
    parser.add_argument(
        "--kill-window",
        type=float,
        nargs=2,
        default=(0.25, 1.0),
        metavar=("MIN_S", "MAX_S"),
        help="the kill comes this many seconds after a round's writes start (default 0.25 1.0)",
    )
    parser.add_argument(
        "--dir", type=Path, default=DEFAULT_BASE, help="where the soak-* run directory goes"
    )
    parser.add_argument("--pg-url", default=DEFAULT_PG, help="a PostgreSQL server (any database)")
    parser.add_argument("--keep", action="store_true", help="keep the run directory (SQLite)")
    args = parser.parse_args(argv)
    if args.rounds < 1:
        parser.error("--rounds must be at least 1")
    if args.workers > 1 and args.backend == "sqlite":
        parser.error("--workers needs --backend postgresql")
    low, high = args.kill_window
    if not 0 < low <= high:
        parser.error("--kill-window needs 0 < MIN_S <= MAX_S")
    return args


def soak(args: argparse.Namespace, url: str, run_dir: Path) -> tuple[Totals, dict[str, Any]]:
    totals = Totals()
    failed: dict[str, Any] = {}
    ticker = Ticker(sys.stdout.isatty())
    rounds = CrashRounds(
        url,
        clients=args.clients,
        workers=args.workers,
        kill_window_s=tuple(args.kill_window),
        log=run_dir / "serve.log",
    )
    with rounds, ticker.task("crash rounds", args.rounds) as progress:
        for index in range(1, args.rounds + 1):
            report = rounds.run(index, args.seed * 100000 + index)
            totals.add(report)
            progress(index)
            say(report.line())
            if not report.ok:
                failed = {"round": index, "seed": report.seed}
                for title, found in (
                    ("lost", report.lost),
                    ("half written", report.half_written),
                    ("retry problems", report.retry_problems),
                ):
                    for line in found[:SHOWN]:
                        say(f"  {title}: {line}")
                break
    return totals, failed


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    args.dir.mkdir(parents=True, exist_ok=True)
    run_dir = Path(tempfile.mkdtemp(prefix="soak-", dir=args.dir))
    say(
        f"acsa crash soak: {args.rounds} rounds on {args.backend}, {args.clients} clients, "
        f"seed {args.seed}; files in {run_dir}"
    )
    started = time.monotonic()
    try:
        with fresh_database(args.backend, run_dir, args.pg_url, "acsa_soak") as url:
            totals, failed = soak(args, url, run_dir)
    finally:
        if args.keep:
            say(f"kept {run_dir}")
        else:
            shutil.rmtree(run_dir, ignore_errors=True)
    seconds = time.monotonic() - started
    summary: dict[str, Any] = {
        "bench": "soak",
        "rounds": totals.rounds,
        "backend": args.backend,
        "acknowledged": totals.acknowledged,
        "lost": totals.lost,
        "half_written": totals.half_written,
        "seconds": round(seconds, 1),
        "retry_problems": totals.retry_problems,
        "writes": totals.calls,
        "pending": totals.pending,
        "cut": totals.cut,
        "committed_unacknowledged": totals.committed_unacknowledged,
        "failed": failed or None,
        "seed": args.seed,
        "clients": args.clients,
        "workers": args.workers,
        "kill_window_s": list(args.kill_window),
        "sqlalchemy_version": sqlalchemy.__version__,
        "python_version": platform.python_version(),
        "cpus": os.cpu_count(),
    }
    print(json.dumps(summary), flush=True)
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
