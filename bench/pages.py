"""Web pages as a browser loads them: the page, then every image it shows, over a real server.

``bench/pages.py --n 5000`` writes a history file of N orders (``bench/ledger.py``'s, the same
for the same ``--seed``), imports it with the real import service into a fresh SQLite file,
adds a Japanese user (``JPN-bench``, approver) with a browser session, and starts
``acsa serve`` on 127.0.0.1 over that file. Then, for each page of ``PAGES``:

- **first:** the first load after the server started: GET the page, then every ``<img src>``
  of it, ``--connections`` at a time as a browser does (6 by default). Nothing of the page has
  been drawn or read before (the server ran no page but the sign-in form).
- **warm:** the same load again, ``--runs`` times (5 by default); the median.
- **cold:** the first load after a change to the data (a remark added to an order through the
  real service: an audit record, so no report or chart kept for the data before holds),
  ``--runs`` times, each after its own change; the median.

The baseline, in the same run and on the same server, is ``GET /healthz`` (no database, no
session, no template), the median of ``--runs`` × 10 requests before and after the pages.
``ratio`` is the warm load of the first page over the baseline; each page also has its own.

The client runs on the same machine as the server. The last line printed is one JSON object
with, for each page ``<name>``, ``<name>_cold_ms`` (first after a change), ``<name>_first_ms``
(first after start), ``<name>_warm_ms`` and ``<name>_images``.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import re
import shutil
import statistics
import sys
import tempfile
import time
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx

from acsa.adapters.db.unit_of_work import UnitOfWork
from acsa.services import users
from acsa.web.session import COOKIE
from api import serving
from benchkit import Ticker, say
from changes import Changer
from ledger import fresh_engine, run_import, write_history

BENCH_DIR = Path(__file__).resolve().parent
DEFAULT_BASE = BENCH_DIR / "out"
USER, PASSWORD = "JPN-bench", "bench-password-of-some-length"
IMG = re.compile(r'<img\s[^>]*src="([^"]+)"')


@dataclass(frozen=True)
class Page:
    """A page of the site, as a signed-in Japanese user opens it: its name in the figures."""

    name: str
    path: str


#: The pages timed, in this order (the first is the one ``ratio`` speaks of). The fiscal year
#: 2024 of Japan (April 2024 to March 2025) has eight partners and several currencies; the
#: dashboard charts the current fiscal year (bench/dashboard.py times it at 100,000 orders).
PAGES: tuple[Page, ...] = (
    Page("annual", "/reports/annual?fy=2024"),
    Page("dashboard", "/"),
)


@dataclass(frozen=True)
class Load:
    """One load of a page: the wall time of the page and all its images, and what it held."""

    seconds: float
    page_seconds: float
    images: int
    image_bytes: int
    page_bytes: int


def load(http: httpx.Client, pool: ThreadPoolExecutor, path: str) -> Load:
    """The page, then its images in parallel (each must answer 200 with an image)."""
    t0 = time.perf_counter()
    page = http.get(path)
    page.raise_for_status()
    page_seconds = time.perf_counter() - t0
    sources = [src.replace("&amp;", "&") for src in IMG.findall(page.text)]

    def image(src: str) -> int:
        got = http.get(src)
        got.raise_for_status()
        if not got.headers["content-type"].startswith("image/"):
            raise RuntimeError(f"{src} is {got.headers['content-type']}, not an image")
        return len(got.content)

    sizes = list(pool.map(image, sources))
    took = time.perf_counter() - t0
    return Load(took, page_seconds, len(sources), sum(sizes), len(page.content))


def baseline(http: httpx.Client, runs: int) -> list[float]:
    times: list[float] = []
    for _ in range(runs):
        t0 = time.perf_counter()
        http.get("/healthz").raise_for_status()
        times.append(time.perf_counter() - t0)
    return times


def session_cookie(engine: Any) -> str:
    """A signed-in session of the Japanese user, as the sign-in form would start it."""
    users.add_user(
        UnitOfWork(engine),
        {"name": USER, "nation": "JPN", "roles": ["approver"], "password": PASSWORD},
        actor="bench",
    )
    principal = users.sign_in(engine, USER, PASSWORD, None)
    secret, _ = users.start_session(UnitOfWork(engine, principal=principal), principal)
    return secret


def ms(seconds: float) -> float:
    return round(1000 * seconds, 2)


def measure(
    base: str, secret: str, runs: int, connections: int, changer: Changer
) -> dict[str, Any]:
    limits = httpx.Limits(max_connections=connections, max_keepalive_connections=connections)
    figures: dict[str, Any] = {}
    with (
        httpx.Client(base_url=base, cookies={COOKIE: secret}, limits=limits, timeout=300) as http,
        ThreadPoolExecutor(connections) as pool,
    ):
        http.get("/login").raise_for_status()  # the server's first page: templates loaded
        before = baseline(http, runs * 10)
        for page in PAGES:
            started = load(http, pool, page.path)
            warm = [load(http, pool, page.path) for _ in range(runs)]
            warm_s = statistics.median(w.seconds for w in warm)
            colds: list[Load] = []
            for _ in range(runs):
                changer.change()
                colds.append(load(http, pool, page.path))
            cold_s = statistics.median(c.seconds for c in colds)
            say(
                f"{page.name:<10} first after start {ms(started.seconds):>9.1f} ms (page alone "
                f"{ms(started.page_seconds):.1f} ms); cold (after a change) {ms(cold_s):>8.1f} ms "
                f"(median of {runs}; page alone "
                f"{ms(statistics.median(c.page_seconds for c in colds)):.1f} ms); warm "
                f"{ms(warm_s):>8.1f} ms (median of {runs}; page alone "
                f"{ms(statistics.median(w.page_seconds for w in warm)):.1f} ms); "
                f"{started.images} images, {started.image_bytes / 1000:,.0f} kB; page "
                f"{started.page_bytes / 1000:,.0f} kB"
            )
            figures[page.name] = (started, cold_s, warm_s)
        after = baseline(http, runs * 10)
    base_s = statistics.median(before + after)
    spread = abs(statistics.median(before) - statistics.median(after)) / base_s
    say(f"baseline   GET /healthz {ms(base_s):.2f} ms (median of {len(before + after)})")
    if spread > 0.25:
        say(f"warning: the baseline moved by {spread:.0%} during the run")
    out: dict[str, Any] = {}
    for name, (started, cold_s, warm_s) in figures.items():
        out[f"{name}_cold_ms"] = ms(cold_s)
        out[f"{name}_first_ms"] = ms(started.seconds)
        out[f"{name}_warm_ms"] = ms(warm_s)
        out[f"{name}_images"] = started.images
        out[f"{name}_page_kb"] = round(started.page_bytes / 1000, 1)
        out[f"{name}_ratio"] = round(warm_s / base_s, 2)
    first = PAGES[0].name
    out["baseline_ms"] = ms(base_s)
    out["ratio"] = out[f"{first}_ratio"]
    out["cold_ratio"] = round(out[f"{first}_cold_ms"] / out["baseline_ms"], 2)
    say(f"ratio      {out['ratio']} ({first} warm / baseline), cold {out['cold_ratio']}")
    return out


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--n", type=int, default=5000, help="orders imported (default 5000)")
    parser.add_argument("--runs", type=int, default=5, help="warm loads per page (default 5)")
    parser.add_argument(
        "--connections", type=int, default=6, help="images fetched at a time (default 6)"
    )
    parser.add_argument(
        "--dir",
        type=Path,
        default=DEFAULT_BASE,
        help="directory in which a fresh pages-* run directory is made (default bench/out)",
    )
    parser.add_argument("--seed", type=int, default=2026, help="random seed of the file")
    parser.add_argument("--keep", action="store_true", help="keep the run directory")
    args = parser.parse_args(argv)
    if args.n < 1 or args.runs < 1 or args.connections < 1:
        parser.error("--n, --runs and --connections must be at least 1")
    return args


def run(args: argparse.Namespace, run_dir: Path, ticker: Ticker) -> dict[str, Any]:
    history = run_dir / "history.csv"
    with ticker.task("writing the file", args.n) as tick:
        write_history(history, args.n, args.seed, tick)
    engine = fresh_engine(run_dir / "acsa.db")
    try:
        report, clock = run_import(engine, history, args.n, ticker)
        say(f"imported   {report.orders:,} orders in {clock.seconds:.1f} s")
        secret = session_cookie(engine)
    finally:
        engine.dispose()
    url = f"sqlite:///{run_dir / 'acsa.db'}"
    load_before = os.getloadavg()[0]
    changer = Changer(url)
    try:
        with serving(url, 1, run_dir / "serve.log") as server:
            figures = measure(server.base, secret, args.runs, args.connections, changer)
    finally:
        changer.close()
    load_after = os.getloadavg()[0]
    say(f"load       {load_before:.1f} before, {load_after:.1f} after ({os.cpu_count()} CPUs)")
    return {
        "bench": "pages",
        "n": args.n,
        **figures,
        "runs": args.runs,
        "connections": args.connections,
        "load_average": [round(load_before, 2), round(load_after, 2)],
        "python_version": platform.python_version(),
        "cpus": os.cpu_count(),
    }


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    args.dir.mkdir(parents=True, exist_ok=True)
    run_dir = Path(tempfile.mkdtemp(prefix="pages-", dir=args.dir))
    say(f"acsa pages bench: {args.n} orders, pages {', '.join(p.name for p in PAGES)}")
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
