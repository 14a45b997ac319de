"""acsa import orders: load past orders from a history file (CSV), all or nothing."""

from __future__ import annotations

import sys
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn
from rich.table import Table

from acsa.cli.common import (
    DbOption,
    JsonOption,
    engine_for,
    err,
    print_json,
    refusals,
    uow_for,
)
from acsa.cli.render import show_result

if TYPE_CHECKING:
    from acsa.services.history_import import HistoryImportOut


app = typer.Typer(no_args_is_help=True, help="Load past records into acsa.")

FileOption = Annotated[
    Path,
    typer.Option(
        "--file",
        help="History file (CSV, one row per order line); the layout is in "
        "acsa/data/history-csv.md, with a sample in acsa/data/history-sample.csv.",
    ),
]


@contextmanager
def _progress(path: Path, shown: bool) -> Iterator[Callable[[int], None] | None]:
    """A progress bar on stderr while the file is read, when a person is watching."""
    from acsa.adapters.history_csv import count_rows

    if not shown:
        yield None
        return
    total = count_rows(path)
    bar = Progress(
        TextColumn("importing {task.description}"),
        BarColumn(),
        MofNCompleteColumn(),
        TimeElapsedColumn(),
        console=err,
        transient=True,
    )
    with bar:
        task = bar.add_task(path.name, total=total)
        yield lambda rows: bar.update(task, completed=rows)


def _summary(report: HistoryImportOut) -> Table:
    table = Table(title=f"Imported {report.file}", title_justify="left")
    table.add_column("what")
    table.add_column("count", justify="right")
    table.add_row("orders", f"{report.orders:,}")
    table.add_row("order lines", f"{report.lines:,}")
    for status, count in report.by_status.items():
        table.add_row(f"  {status.replace('_', ' ')}", f"{count:,}")
    for name in ("order_events", "ledger_entries", "invoices", "payments", "settlements"):
        table.add_row(name.replace("_", " "), f"{report.rows.get(name, 0):,}")
    table.add_row("rows written", f"{report.rows_written:,}")
    table.add_row("seconds", f"{report.seconds:.2f}")
    return table


@app.command()
def orders(file: FileOption, db: DbOption = None, as_json: JsonOption = False) -> None:
    """Import past orders from a CSV history file, all or nothing.

    Each order is rebuilt with its states, receipt postings, invoices, payments and
    settlements, dated as the file gives and attributed to `import <file name>`, in one
    transaction: a bad row refuses the whole file, naming its row and column, and nothing
    is written. Orders stored already are refused, so importing twice changes nothing.
    """
    from acsa.services.history_import import import_history

    shown = not as_json and sys.stderr.isatty()
    with refusals(as_json):
        engine = engine_for(db)
        with _progress(file, shown and file.is_file()) as progress:
            report = import_history(uow_for(engine), file, progress=progress)
    if as_json:
        print_json(report)
        return
    show_result(_summary(report))
