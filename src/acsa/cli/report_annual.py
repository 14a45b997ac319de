"""acsa report annual: a nation's support over one fiscal year, as tables on the terminal or
as a CSV, XLSX or PDF file; the XLSX and the PDF carry the charts, which are written as PNG
files only into the directory ``--charts`` names."""

from __future__ import annotations

import json
import sys
import tempfile
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import date
from decimal import Decimal
from enum import StrEnum
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer
from rich.progress import BarColumn, Progress, TaskProgressColumn, TextColumn, TimeElapsedColumn
from rich.table import Table

from acsa.cli import language, report
from acsa.cli.common import (
    DbOption,
    JsonOption,
    engine_for,
    out,
    print_json,
    refusals,
    remote,
    uow_for,
)
from acsa.domain.fiscal import fiscal_year
from acsa.domain.limits import DATE_MAX, DATE_MIN
from acsa.i18n import DEFAULT

if TYPE_CHECKING:
    from acsa.adapters.exports.charts import Chart
    from acsa.adapters.exports.formats import View
    from acsa.schemas.reports import AnnualReport


class ReportFormat(StrEnum):
    TABLE = "table"
    CSV = "csv"
    XLSX = "xlsx"
    PDF = "pdf"


def _write_file(
    file_format: ReportFormat,
    data: AnnualReport,
    path: Path,
    charts: list[Chart],
    lang: str = DEFAULT,
) -> None:
    """Write the report in ``file_format``. The exporters (matplotlib, reportlab, openpyxl)
    load here, when a file is asked for, so that every other command starts fast."""
    if file_format is ReportFormat.CSV:
        from acsa.adapters.exports.csv_export import write_csv

        write_csv(data, path)
    elif file_format is ReportFormat.XLSX:
        from acsa.adapters.exports.xlsx import write_xlsx

        write_xlsx(data, path, charts, lang=lang)
    else:
        from acsa.adapters.exports.pdf import write_pdf

        write_pdf(data, path, charts, lang=lang)


@report.app.command("annual")
def annual(
    nation: Annotated[
        str, typer.Option("--nation", help="The nation reporting (ISO 3166-1 alpha-3, e.g. JPN).")
    ],
    fy: Annotated[
        int,
        typer.Option(
            "--fy",
            min=DATE_MIN.year,
            max=DATE_MAX.year - 1,
            help="Fiscal year, as the nation numbers it (JPN 2026: April 2026 to March 2027).",
        ),
    ],
    file_format: Annotated[
        ReportFormat,
        typer.Option("--format", help="Tables on the terminal, or a file.", case_sensitive=False),
    ] = ReportFormat.TABLE,
    out_path: Annotated[
        Path | None,
        typer.Option(
            "--out",
            help="The file to write (default: annual-NATION-FYyyyy.<format> here).",
            show_default=False,
        ),
    ] = None,
    charts_dir: Annotated[
        Path | None,
        typer.Option(
            "--charts",
            help="Also write the charts as PNG files into this directory (default: none; "
            "the XLSX and the PDF carry them anyway).",
            show_default=False,
        ),
    ] = None,
    db: DbOption = None,
    as_json: JsonOption = False,
) -> None:
    """Orders and their value over a fiscal year by partner, category and activity, settled
    and open, provided and received; value per month; balance with each partner at month end.
    Amounts are per currency, never added across currencies. Through a server: your nation's
    report, from the server's books, written here."""
    from acsa.adapters.exports import check_output
    from acsa.adapters.nations_file import shipped_fiscal_calendars
    from acsa.services.annual_report import annual_report

    code = nation.strip().upper()
    year = fiscal_year(code, fy, shipped_fiscal_calendars())
    start, end, label = year.start, year.end, year.label
    stem = f"annual-{code}-{label}"
    path = None
    if file_format is not ReportFormat.TABLE:
        path = out_path or Path(f"{stem}.{file_format.value}")
    lang = language.current()
    with (
        refusals(as_json),
        _progress(show=not as_json and out.is_terminal) as progress,
        tempfile.TemporaryDirectory(prefix="acsa-charts-") as scratch,
    ):
        api = remote(db)
        if path is not None:
            check_output(path)
        if api is not None:
            api.own_nation(code, "--nation", "you make the annual report")
            data = api.annual_report(fy)
        else:
            data = annual_report(
                uow_for(engine_for(db), read_only=True),
                code,
                start,
                end,
                label,
                progress=progress("reading the books"),
            )
        # The XLSX and the PDF embed the charts: drawn into a scratch directory unless
        # --charts asks for the PNG files too.
        embeds = file_format in (ReportFormat.XLSX, ReportFormat.PDF)
        chart_dir = charts_dir or (Path(scratch) if embeds else None)
        charts = _charts(data, chart_dir, stem, progress("drawing the charts"), lang)
        if path is not None:
            _write(file_format, data, path, charts, progress(f"writing {path.name}"))
    _print(data, path, charts if charts_dir else [], as_json)


# --- work -------------------------------------------------------------------------------------

Advance = Callable[[int, int], None]


@contextmanager
def _progress(show: bool) -> Iterator[Callable[[str], Advance]]:
    """A Rich progress bar on a terminal; silent otherwise. Yields a maker of callbacks
    ``advance(done, total)``, one task per step of the work."""
    if not show:
        yield lambda _title: lambda _done, _total: None
        return
    bar = Progress(
        TextColumn("{task.description}"),
        BarColumn(),
        TaskProgressColumn(),
        TimeElapsedColumn(),
        console=out,
        transient=True,
    )

    def task(title: str) -> Advance:
        task_id = bar.add_task(title, total=None)

        def advance(done: int, total: int) -> None:
            bar.update(task_id, completed=done, total=total)

        return advance

    with bar:
        yield task


def _charts(
    data: AnnualReport, directory: Path | None, stem: str, advance: Advance, lang: str
) -> list[Chart]:
    from acsa.adapters.exports import cannot_write

    if directory is None:
        return []
    from acsa.adapters.exports.charts import write_charts

    try:
        return write_charts(data, directory, stem, advance, lang)
    except OSError as exc:
        raise cannot_write(directory, exc, "--charts") from None


def _write(
    file_format: ReportFormat, data: AnnualReport, path: Path, charts: list[Chart], advance: Advance
) -> None:
    from acsa.adapters.exports import cannot_write

    try:
        _write_file(file_format, data, path, charts, language.current())
    except OSError as exc:
        raise cannot_write(path, exc) from None
    advance(1, 1)


# --- output -----------------------------------------------------------------------------------


def _print(data: AnnualReport, path: Path | None, charts: list[Chart], as_json: bool) -> None:
    chart_paths = [str(c.path) for c in charts]
    if as_json:
        if path is None and not charts:
            print_json(data)
        else:
            result = {"file": str(path) if path else None, "charts": chart_paths}
            sys.stdout.write(json.dumps(result, indent=2) + "\n")
        return
    if path is None:
        _tables(data)
    else:
        out.print(str(path))
    for chart in chart_paths:
        out.print(chart)


def _tables(data: AnnualReport) -> None:
    from acsa.adapters.exports.formats import figure_views, nation_name

    left_out = ", ".join(f"{status} {n}" for status, n in data.excluded.items())
    out.print(
        f"[bold]Annual report of support: {nation_name(data.nation)}, {data.fiscal_year}[/bold]\n"
        f"{data.start.isoformat()} to {data.end.isoformat()}; {data.orders} orders "
        f"(left out: {left_out}); amounts per currency, never added across currencies; "
        "value at the quantities accepted, settled and open as the books stand at the year's end"
    )
    for view in figure_views(data):
        out.print(_figure_table(view), crop=False)
    out.print(_by_month(data), crop=False)
    out.print(_balances(data), crop=False)


def _figure_table(view: View) -> Table:
    """Key, currency, orders, then the value in total and split by direction, and what was
    settled and is still open at the year's end (the orders of each split are in the
    "provided and received" and "settled and open" tables, and in the files)."""
    from acsa.domain.money import amount_text

    rows = [
        [
            f.key,
            f.currency,
            f"{f.count:,}",
            *(
                amount_text(v, f.currency)
                for v in (f.value, f.provided, f.received, f.settled, f.open)
            ),
        ]
        for f in view.figures
    ]
    headings = [
        view.key_heading,
        "ccy",
        "orders",
        "value",
        "provided",
        "received",
        "settled",
        "open",
    ]
    return _table(view.title, headings, rows, first_numeric=2)


def _table(title: str, headings: list[str], rows: list[list[str]], first_numeric: int) -> Table:
    """A Rich table whose number columns never shrink below their widest figure: the text
    columns wrap instead, so no figure is ever cut."""
    table = Table(title=title, title_justify="left")
    for index, heading in enumerate(headings):
        widest = max([len(heading), *(len(row[index]) for row in rows)])
        if index == 0:
            table.add_column(heading, min_width=min(widest, 12))
        elif index < first_numeric:
            table.add_column(heading, no_wrap=True, min_width=widest)
        else:
            table.add_column(heading, justify="right", no_wrap=True, min_width=widest)
    for row in rows:
        table.add_row(*row)
    return table


def _by_month(data: AnnualReport) -> Table:
    """Months down, one column per partner and currency."""
    from acsa.domain.money import amount_text

    series: dict[tuple[str, str], dict[str, Decimal]] = {}
    for m in data.monthly:
        series.setdefault((m.partner, m.currency), {})[m.month] = m.value
    rows = [
        [
            month,
            *(
                amount_text(values.get(month, Decimal(0)), currency)
                for (_partner, currency), values in sorted(series.items())
            ),
        ]
        for month in data.months
    ]
    headings = ["month", *(f"{partner} {currency}" for partner, currency in sorted(series))]
    return _table("Value of orders by month and partner", headings, rows, first_numeric=1)


def _balances(data: AnnualReport) -> Table:
    """Month ends down, one column per partner and currency: owed to the nation (+)."""
    from acsa.domain.money import amount_text

    series: dict[tuple[str, str], dict[date, Decimal]] = {}
    for b in data.balances:
        series.setdefault((b.partner, b.currency), {})[b.day] = b.balance
    days = sorted({b.day for b in data.balances})
    rows = [
        [
            day.isoformat(),
            *(
                amount_text(values.get(day, Decimal(0)), currency)
                for (_partner, currency), values in sorted(series.items())
            ),
        ]
        for day in days
    ]
    headings = ["month end", *(f"{partner} {currency}" for partner, currency in sorted(series))]
    title = f"Balance at month end (owed to {data.nation} +, by it -)"
    return _table(title, headings, rows, first_numeric=1)
