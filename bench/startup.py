"""Start-up cost of the ``acsa`` command, whole process, against a bare Python in the same run.

Runs ``--n`` times each, as separate processes: ``python -c pass`` and ``python -c "import
typer"`` (the baselines; ``python -c "import sqlalchemy"`` too, the floor of a command that opens
a database), ``acsa --help`` (as a person sees it a second time: the page kept by
``acsa.help_cache`` in the run's own cache; and drawn anew, ``ACSA_HELP_CACHE=0``), and ``acsa
orders list`` on a fresh demo database
(``acsa demo`` on a SQLite file in a temporary directory, as ``make run`` sets it up). Each run's
CPU time is the child's user + system time (``resource.getrusage(RUSAGE_CHILDREN)`` before and
after); its wall time is measured around it. The figures are the medians. Bytecode is written
(``PYTHONDONTWRITEBYTECODE`` is dropped, as an installed acsa has it): the warm-up run of each
command compiles what changed, so no measured run pays for compiling sources. ``ratio`` is the bare
Python's CPU over ``acsa --help``'s (``list_ratio`` the same over ``acsa orders list``'s). The
last line printed is a one-line JSON summary.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import resource
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

from benchkit import Ticker, say

BENCH_DIR = Path(__file__).resolve().parent
DEFAULT_BASE = BENCH_DIR / "out"  # inside the project, hence on the project's file system


@dataclass
class Figures:
    label: str
    cpu_s: list[float]
    wall_s: list[float]

    @property
    def cpu(self) -> float:
        return statistics.median(self.cpu_s)

    @property
    def wall(self) -> float:
        return statistics.median(self.wall_s)


def acsa_command() -> list[str]:
    """The installed console script beside this Python (what a person runs), else the same
    entry point through ``python -c``."""
    script = Path(sys.executable).parent / "acsa"
    if script.exists():
        return [str(script)]
    return [sys.executable, "-m", "acsa"]


def child_cpu() -> float:
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


def run_once(argv: list[str], env: dict[str, str]) -> tuple[float, float]:
    """One whole-process run: (CPU seconds, wall seconds). A failing run stops the bench."""
    cpu_before = child_cpu()
    start = time.perf_counter()
    done = subprocess.run(argv, env=env, capture_output=True, check=False)
    wall = time.perf_counter() - start
    cpu = child_cpu() - cpu_before
    if done.returncode != 0:
        sys.exit(
            f"{' '.join(argv)} exited with {done.returncode}:\n"
            + done.stderr.decode(errors="replace")[-2000:]
        )
    return cpu, wall


def measure(label: str, argv: list[str], n: int, env: dict[str, str], ticker: Ticker) -> Figures:
    run_once(argv, env)  # warm the file cache and the bytecode; not counted
    figures = Figures(label, [], [])
    with ticker.task(label, n) as set_done:
        for i in range(n):
            cpu, wall = run_once(argv, env)
            figures.cpu_s.append(cpu)
            figures.wall_s.append(wall)
            set_done(i + 1)
    return figures


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--n", type=int, default=20, help="runs of each command (default 20)")
    parser.add_argument("--dir", type=Path, default=DEFAULT_BASE, help="where the run's files go")
    parser.add_argument("--keep", action="store_true", help="keep the run's directory")
    args = parser.parse_args()
    if args.n < 1:
        parser.error("--n must be at least 1")

    args.dir.mkdir(parents=True, exist_ok=True)
    run_dir = Path(tempfile.mkdtemp(prefix="startup-", dir=args.dir))
    ticker = Ticker(sys.stdout.isatty())
    acsa = acsa_command()
    env = {
        key: value
        for key, value in os.environ.items()
        if not key.startswith("ACSA_")
        and key not in {"PYTHONPROFILEIMPORTTIME", "PYTHONDONTWRITEBYTECODE"}
    }
    env["ACSA_DATABASE_URL"] = f"sqlite:///{run_dir / 'unused.db'}"  # never the user's own
    env["COLUMNS"] = "120"
    # A cache of the run's own: the warm-up run of ``acsa --help`` draws the page and keeps it.
    env["XDG_CACHE_HOME"] = str(run_dir / "cache")
    db = f"sqlite:///{run_dir / 'demo.db'}"
    try:
        say(f"setting up the demo database in {run_dir}")
        setup = subprocess.run(
            [*acsa, "demo", "--db", db], env=env, capture_output=True, check=False
        )
        if setup.returncode != 0:
            sys.exit("acsa demo failed:\n" + setup.stderr.decode(errors="replace")[-2000:])
        rows = [
            measure("python -c pass", [sys.executable, "-c", "pass"], args.n, env, ticker),
            measure(
                "python -c 'import typer'",
                [sys.executable, "-c", "import typer"],
                args.n,
                env,
                ticker,
            ),
            measure(
                "python -c 'import sqlalchemy'",
                [sys.executable, "-c", "import sqlalchemy"],
                args.n,
                env,
                ticker,
            ),
            measure("acsa --help", [*acsa, "--help"], args.n, env, ticker),
            measure(
                "acsa --help (drawn anew)",
                [*acsa, "--help"],
                args.n,
                {**env, "ACSA_HELP_CACHE": "0"},
                ticker,
            ),
            measure("acsa orders list", [*acsa, "orders", "list", "--db", db], args.n, env, ticker),
        ]
    finally:
        if args.keep:
            say(f"kept {run_dir}")
        else:
            shutil.rmtree(run_dir, ignore_errors=True)

    bare, typer_only, sqlalchemy_only, help_run, drawn_run, list_run = rows
    say()
    say(f"whole-process start-up, median of {args.n} runs each ({' '.join(acsa)})")
    say(f"{'command':<28}{'CPU s':>10}{'wall s':>10}{'CPU min':>10}{'CPU max':>10}")
    for row in rows:
        say(
            f"{row.label:<28}{row.cpu:>10.3f}{row.wall:>10.3f}"
            f"{min(row.cpu_s):>10.3f}{max(row.cpu_s):>10.3f}"
        )
    ratio = bare.cpu / help_run.cpu if help_run.cpu else float("inf")
    list_ratio = bare.cpu / list_run.cpu if list_run.cpu else float("inf")
    say()
    say(f"ratio (python -c pass CPU / acsa --help CPU): {ratio:.3f}")
    say(f"list ratio (python -c pass CPU / acsa orders list CPU): {list_ratio:.3f}")
    say(f"load average: {' '.join(f'{x:.2f}' for x in os.getloadavg())}")
    print(
        json.dumps(
            {
                "bench": "startup",
                "n": args.n,
                "help_cpu_s": round(help_run.cpu, 4),
                "help_drawn_cpu_s": round(drawn_run.cpu, 4),
                "list_cpu_s": round(list_run.cpu, 4),
                "baseline_cpu_s": round(bare.cpu, 4),
                "ratio": round(ratio, 4),
                "list_ratio": round(list_ratio, 4),
                "typer_cpu_s": round(typer_only.cpu, 4),
                "sqlalchemy_cpu_s": round(sqlalchemy_only.cpu, 4),
                "help_wall_s": round(help_run.wall, 4),
                "list_wall_s": round(list_run.wall, 4),
                "baseline_wall_s": round(bare.wall, 4),
                "loadavg": [round(x, 2) for x in os.getloadavg()],
                "python": platform.python_version(),
            }
        ),
        flush=True,
    )


if __name__ == "__main__":
    main()
