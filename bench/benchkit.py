"""What the benchmarks share: a progress bar that shows only on a terminal, and printing."""

from __future__ import annotations

import os
import uuid
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path

from rich.progress import (
    BarColumn,
    MofNCompleteColumn,
    Progress,
    TextColumn,
    TimeElapsedColumn,
    TimeRemainingColumn,
)


class Ticker:
    """A rich progress bar when stdout is a terminal; nothing otherwise."""

    def __init__(self, enabled: bool) -> None:
        self.enabled = enabled

    @contextmanager
    def task(self, label: str, total: int) -> Iterator[Callable[[int], None]]:
        """Yields ``set_done(count)``; callers report every so often, not on every item."""
        if not self.enabled:
            yield lambda _done: None
            return
        progress = Progress(
            TextColumn("{task.description:<22}"),
            BarColumn(),
            MofNCompleteColumn(),
            TimeElapsedColumn(),
            TimeRemainingColumn(),
            transient=True,
        )
        with progress:
            task_id = progress.add_task(label, total=total)
            yield lambda done: progress.update(task_id, completed=done)


def say(line: str = "") -> None:
    print(line, flush=True)


@contextmanager
def fresh_database(backend: str, run_dir: Path, pg_url: str, prefix: str) -> Iterator[str]:
    """A fresh, initialised acsa database for a run: a SQLite file in ``run_dir``, or a
    PostgreSQL database of its own (``prefix_<pid>_<random>``) on ``pg_url``'s server,
    dropped at the end."""
    from sqlalchemy import create_engine, text
    from sqlalchemy.engine import make_url

    if backend == "sqlite":
        url = f"sqlite:///{run_dir / 'acsa.db'}"
        _initialise(url)
        yield url
        return
    name = f"{prefix}_{os.getpid()}_{uuid.uuid4().hex[:8]}"
    admin = create_engine(pg_url, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'CREATE DATABASE "{name}"'))
    try:
        url = make_url(pg_url).set(database=name).render_as_string(hide_password=False)
        _initialise(url)
        yield url
    finally:
        with admin.connect() as conn:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()


def _initialise(url: str) -> None:
    from acsa.adapters.db.engine import make_engine
    from acsa.services.setup import init_database

    engine = make_engine(url)
    try:
        init_database(engine)
    finally:
        engine.dispose()
