"""What the benchmarks share: a progress bar that shows only on a terminal, and printing."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager

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
