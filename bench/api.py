"""REST API throughput: order lifecycles over HTTP against the framework's own ceiling.

``make bench`` runs ``bench/api.py --n 2000`` (SQLite) and ``--backend postgresql``. It starts
``acsa serve`` on 127.0.0.1 over a fresh database (a SQLite file in a fresh run directory, or a
PostgreSQL database created for the run and dropped after it), with two users holding API
tokens: ``AUS-bench`` (requester and logistics of Australia) and ``JPN-bench`` (approver and
logistics of Japan). Then ``--connections`` client threads, each with one keep-alive HTTP
connection, take N orders (3 lines each) through their lifecycle, as the API's users would:

    POST /api/v1/orders                 (AUS)   201
    POST /api/v1/orders/{id}/submit     (AUS)   200
    POST /api/v1/orders/{id}/accept     (JPN)   200
    POST /api/v1/orders/{id}/deliver    (JPN)   200
    POST /api/v1/orders/{id}/receive    (AUS)   200, posting to both nations' books

Every request is timed; the figures are requests per second over the phase, and the p50 and
p99 latency of a request. The baseline, in the same run, with the same server and the same
number of connections, is ``GET /api/v1/ping``: no database, no authentication, what the
framework, the server and the client cost alone. It runs before and after the lifecycles (half
of the same number of requests each); its rate is the mean of the two, its percentiles those
of both together. ``ratio`` is lifecycle requests per second over ping requests per second.

The client runs on the same machine as the server and costs CPU too (the same for both phases).
The last line printed is one JSON object.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx
import sqlalchemy
from sqlalchemy import text
from sqlalchemy.engine import make_url

from acsa.adapters.db.engine import make_engine
from acsa.adapters.db.unit_of_work import UnitOfWork
from acsa.services import users
from benchkit import Ticker, fresh_database, say
from lifecycle import file_system, order_doc

BENCH_DIR = Path(__file__).resolve().parent
DEFAULT_BASE = BENCH_DIR / "out"
ACSA = Path(sys.executable).parent / "acsa"
DEFAULT_PG_URL = os.environ.get(
    "ACSA_BENCH_PG_URL",
    os.environ.get("ACSA_TEST_PG_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/test"),
)
ACTIONS = ("place", "submit", "accept", "deliver", "receive")
#: Who does what: the requester's people place, submit and receive; the supplier's accept and
#: deliver.
BY = {"place": "AUS", "submit": "AUS", "accept": "JPN", "deliver": "JPN", "receive": "AUS"}
PEOPLE = {"AUS": ("requester", "logistics"), "JPN": ("approver", "logistics")}
NOISY = 0.25  # before/after baselines further apart than this: say the run is unreliable


# --- the database --------------------------------------------------------------------------


def add_people(url: str) -> dict[str, str]:
    """One user per nation with the roles its side of the lifecycle needs (token sign-in only:
    no password to hash); their tokens by nation."""
    engine = make_engine(url)
    tokens: dict[str, str] = {}
    try:
        for nation, roles in PEOPLE.items():
            name = f"{nation}-bench"
            users.add_user(
                UnitOfWork(engine),
                {"name": name, "nation": nation, "roles": list(roles)},
                actor="bench",
            )
            tokens[nation] = users.issue_token(UnitOfWork(engine), name, actor="bench").token
    finally:
        engine.dispose()
    return tokens


def check_outcome(url: str, n: int) -> None:
    """Every order received with five events: the bench measured what it says it did."""
    engine = make_engine(url)
    try:
        with engine.connect() as conn:
            received = conn.execute(
                text("SELECT count(*) FROM orders WHERE status = 'received'")
            ).scalar_one()
            events = conn.execute(text("SELECT count(*) FROM order_events")).scalar_one()
    finally:
        engine.dispose()
    if received != n or events != n * len(ACTIONS):
        raise RuntimeError(
            f"expected {n} received orders and {n * len(ACTIONS)} events; "
            f"found {received} and {events}"
        )


# --- the server ----------------------------------------------------------------------------


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@contextmanager
def serving(url: str, workers: int, log: Path, timeout_s: float = 60.0) -> Iterator[Server]:
    """``acsa serve`` on a free port of 127.0.0.1, in a process group of its own; stopped (and
    its workers with it) at the end."""
    port = free_port()
    args = [str(ACSA), "serve", "--db", url, "--host", "127.0.0.1", "--port", str(port)]
    if workers > 1:
        args += ["--workers", str(workers)]
    with open(log, "ab") as out:
        process = subprocess.Popen(
            args, stdout=out, stderr=subprocess.STDOUT, start_new_session=True
        )
    server = Server(f"http://127.0.0.1:{port}", process)
    try:
        deadline = time.monotonic() + timeout_s
        while True:
            if process.poll() is not None:
                raise RuntimeError(f"acsa serve exited with {process.returncode}; see {log}")
            try:
                if httpx.get(server.base + "/api/v1/ping", timeout=1).status_code == 200:
                    break
            except httpx.HTTPError:
                pass
            if time.monotonic() > deadline:
                raise RuntimeError(f"acsa serve did not answer within {timeout_s} s; see {log}")
            time.sleep(0.1)
        yield server
    finally:
        if process.poll() is None:
            os.killpg(process.pid, signal.SIGTERM)
            try:
                process.wait(15)
            except subprocess.TimeoutExpired:
                os.killpg(process.pid, signal.SIGKILL)
                process.wait(15)


@dataclass(frozen=True)
class Server:
    base: str
    process: subprocess.Popen[bytes]


# --- the clients ---------------------------------------------------------------------------


@dataclass
class Phase:
    """Request latencies (seconds) of one phase, by action, and its wall-clock time."""

    seconds: float = 0.0
    cpu_seconds: float = 0.0
    latencies: dict[str, list[float]] = field(default_factory=dict)

    @property
    def all(self) -> list[float]:
        return [x for values in self.latencies.values() for x in values]

    @property
    def count(self) -> int:
        return len(self.all)

    @property
    def per_s(self) -> float:
        return self.count / self.seconds if self.seconds > 0 else 0.0


def percentile(values: list[float], q: float) -> float:
    """The ``q`` quantile (0..1) by the nearest rank, in milliseconds."""
    if not values:
        return 0.0
    ordered = sorted(values)
    rank = min(len(ordered) - 1, max(0, round(q * len(ordered) + 0.5) - 1))
    return 1000 * ordered[rank]


class Counter:
    """Hands out 0, 1, 2... to the client threads until ``total``."""

    def __init__(self, total: int) -> None:
        self.total = total
        self.next = 0
        self.lock = threading.Lock()

    def take(self) -> int | None:
        with self.lock:
            if self.next >= self.total:
                return None
            self.next += 1
            return self.next - 1

    @property
    def done(self) -> int:
        return self.next


Job = Callable[[httpx.Client, dict[str, list[float]]], None]


def run_clients(
    base: str, connections: int, counter: Counter, job: Job, ticker: Ticker, label: str
) -> Phase:
    """``connections`` threads, one keep-alive connection each, running ``job`` while the
    counter lasts; the phase's wall time from all starting to all done."""
    results: list[dict[str, list[float]]] = [{} for _ in range(connections)]
    errors: list[BaseException] = []
    start = threading.Barrier(connections + 1)
    limits = httpx.Limits(max_connections=1, max_keepalive_connections=1)

    def client(index: int) -> None:
        with httpx.Client(base_url=base, limits=limits, timeout=120) as http:
            http.get("/api/v1/ping")  # open the connection before the clock starts
            start.wait()
            try:
                while counter.take() is not None:
                    job(http, results[index])
            except BaseException as exc:  # report it from the main thread
                errors.append(exc)

    threads = [threading.Thread(target=client, args=(i,), daemon=True) for i in range(connections)]
    for thread in threads:
        thread.start()
    with ticker.task(label, counter.total) as advance:
        start.wait()
        cpu0, t0 = time.process_time(), time.perf_counter()
        while any(t.is_alive() for t in threads):
            for thread in threads:
                thread.join(0.2)
            advance(counter.done)
        seconds, cpu = time.perf_counter() - t0, time.process_time() - cpu0
    if errors:
        raise RuntimeError(f"{len(errors)} client(s) failed; the first: {errors[0]!r}")
    merged: dict[str, list[float]] = {}
    for result in results:
        for action, values in result.items():
            merged.setdefault(action, []).extend(values)
    return Phase(seconds, cpu, merged)


def lifecycle_job(tokens: dict[str, str]) -> Job:
    """One order placed and taken to received: five requests, each timed."""
    doc = order_doc()
    body = json.dumps(doc).encode()
    headers = {
        nation: {"Authorization": f"Bearer {token}", "Content-Type": "application/json"}
        for nation, token in tokens.items()
    }
    clock = time.perf_counter

    def job(http: httpx.Client, times: dict[str, list[float]]) -> None:
        t = clock()
        placed = http.post("/api/v1/orders", content=body, headers=headers[BY["place"]])
        times.setdefault("place", []).append(clock() - t)
        if placed.status_code != 201:
            raise RuntimeError(f"place: {placed.status_code} {placed.text[:300]}")
        order_id = placed.json()["id"]
        for action in ACTIONS[1:]:
            t = clock()
            done = http.post(f"/api/v1/orders/{order_id}/{action}", headers=headers[BY[action]])
            times.setdefault(action, []).append(clock() - t)
            if done.status_code != 200:
                raise RuntimeError(f"{action} {order_id}: {done.status_code} {done.text[:300]}")

    return job


def ping_job(http: httpx.Client, times: dict[str, list[float]]) -> None:
    t = time.perf_counter()
    answer = http.get("/api/v1/ping")
    times.setdefault("ping", []).append(time.perf_counter() - t)
    if answer.status_code != 200:
        raise RuntimeError(f"ping: {answer.status_code} {answer.text[:300]}")


# --- main ----------------------------------------------------------------------------------


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        description="acsa REST API: order lifecycles over HTTP vs GET /api/v1/ping, same server.",
    )
    parser.add_argument(
        "--n", type=int, default=2000, help="orders taken through 5 requests (default 2000)"
    )
    parser.add_argument(
        "--connections",
        type=int,
        default=16,
        help="concurrent clients, one keep-alive connection each (default 16)",
    )
    parser.add_argument("--backend", choices=("sqlite", "postgresql"), default="sqlite")
    parser.add_argument(
        "--workers",
        type=int,
        default=1,
        help="acsa serve --workers (PostgreSQL only; SQLite is served by one; default 1)",
    )
    parser.add_argument(
        "--pg-url",
        default=DEFAULT_PG_URL,
        help="a PostgreSQL server (any database on it) where the run creates and drops a "
        "database of its own (default $ACSA_BENCH_PG_URL, else $ACSA_TEST_PG_URL, else the "
        "local server)",
    )
    parser.add_argument(
        "--dir",
        type=Path,
        default=DEFAULT_BASE,
        help="where a fresh api-* run directory is made for the SQLite file and the server's "
        "log (default: bench/out next to this script)",
    )
    parser.add_argument("--keep", action="store_true", help="keep the run directory")
    args = parser.parse_args(argv)
    if args.n < 1:
        parser.error("--n must be at least 1")
    if args.connections < 1:
        parser.error("--connections must be at least 1")
    if args.workers < 1 or (args.workers > 1 and args.backend == "sqlite"):
        parser.error("--workers must be 1 with SQLite (and at least 1)")
    return args


def figures(phase: Phase) -> dict[str, float]:
    values = phase.all
    return {
        "per_s": round(phase.per_s, 1),
        "p50_ms": round(percentile(values, 0.50), 2),
        "p99_ms": round(percentile(values, 0.99), 2),
    }


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    n: int = args.n
    connections: int = args.connections
    requests_total = n * len(ACTIONS)
    base: Path = args.dir
    base.mkdir(parents=True, exist_ok=True)
    run_dir = Path(tempfile.mkdtemp(prefix="api-", dir=base))
    ticker = Ticker(sys.stdout.isatty())
    say(
        f"acsa API bench: {n} lifecycles x {len(ACTIONS)} requests over {connections} "
        f"connections; baseline GET /api/v1/ping, {requests_total} requests in two halves"
    )
    summary: dict[str, Any] = {}
    try:
        with fresh_database(args.backend, run_dir, args.pg_url, "acsa_bench") as url:
            shown = make_url(url).render_as_string(hide_password=True)
            tokens = add_people(url)
            with serving(url, args.workers, run_dir / "serve.log") as server:
                say(
                    f"acsa serve (pid {server.process.pid}, {args.workers} worker(s)) on "
                    f"{server.base} over {shown}"
                )
                warm = run_clients(
                    server.base, connections, Counter(connections * 20), ping_job, ticker, "warm"
                )
                del warm
                half = max(1, requests_total // 2)
                before = run_clients(
                    server.base, connections, Counter(half), ping_job, ticker, "ping (before)"
                )
                say(f"ping before:  {before.per_s:,.1f} requests/s")
                acsa = run_clients(
                    server.base,
                    connections,
                    Counter(n),
                    lifecycle_job(tokens),
                    ticker,
                    "lifecycles",
                )
                after = run_clients(
                    server.base, connections, Counter(half), ping_job, ticker, "ping (after)"
                )
                say(f"ping after:   {after.per_s:,.1f} requests/s")
            check_outcome(url, n)

        mine = figures(acsa)
        ping = Phase(
            before.seconds + after.seconds,
            before.cpu_seconds + after.cpu_seconds,
            {"ping": before.all + after.all},
        )
        base_figures = figures(ping)
        baseline_per_s = (before.per_s + after.per_s) / 2
        spread = abs(before.per_s - after.per_s) / baseline_per_s if baseline_per_s else 0.0
        ratio = acsa.per_s / baseline_per_s if baseline_per_s else 0.0
        by_action = {
            action: {
                "p50_ms": round(percentile(acsa.latencies[action], 0.50), 2),
                "p99_ms": round(percentile(acsa.latencies[action], 0.99), 2),
            }
            for action in ACTIONS
        }
        say(
            f"lifecycles:   {acsa.per_s:,.1f} requests/s ({acsa.count} in {acsa.seconds:.2f} s, "
            f"{n / acsa.seconds:,.1f} lifecycles/s); p50 {mine['p50_ms']:.2f} ms, "
            f"p99 {mine['p99_ms']:.2f} ms"
        )
        say(
            "  by request (p50/p99 ms): "
            + ", ".join(f"{a} {v['p50_ms']:.1f}/{v['p99_ms']:.1f}" for a, v in by_action.items())
        )
        say(
            f"ping:         {baseline_per_s:,.1f} requests/s (mean of before and after, which "
            f"differ by {100 * spread:.0f}%); p50 {base_figures['p50_ms']:.2f} ms, "
            f"p99 {base_figures['p99_ms']:.2f} ms"
        )
        if spread > NOISY:
            say(
                f"WARNING: the ping baselines differ by more than {100 * NOISY:.0f}%: the "
                "machine's load changed during the run; the ratio is unreliable, run again"
            )
        say(f"ratio:        {ratio:.3f} (lifecycle requests/s / ping requests/s)")
        summary = {
            "bench": "api",
            "backend": args.backend,
            "n": n,
            "connections": connections,
            "workers": args.workers,
            "requests": acsa.count,
            "seconds": round(acsa.seconds, 3),
            "per_s": mine["per_s"],
            "p50_ms": mine["p50_ms"],
            "p99_ms": mine["p99_ms"],
            "lifecycles_per_s": round(n / acsa.seconds, 1),
            "by_request": by_action,
            "client_cpu_seconds": round(acsa.cpu_seconds, 3),
            "baseline_per_s": round(baseline_per_s, 1),
            "baseline_p50_ms": base_figures["p50_ms"],
            "baseline_p99_ms": base_figures["p99_ms"],
            "baseline_before_per_s": round(before.per_s, 1),
            "baseline_after_per_s": round(after.per_s, 1),
            "baseline_spread": round(spread, 3),
            "baseline_client_cpu_seconds": round(ping.cpu_seconds, 3),
            "ratio": round(ratio, 4),
            "dir": str(run_dir),
            "fs": file_system(run_dir),
            "load_average": [round(x, 2) for x in os.getloadavg()],
            "sqlalchemy_version": sqlalchemy.__version__,
            "httpx_version": httpx.__version__,
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
