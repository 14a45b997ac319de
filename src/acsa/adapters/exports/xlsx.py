"""The annual report as an Excel workbook: one sheet per view, a styled and frozen header row,
column widths to fit, amounts as numbers with their currency's decimals, and the charts."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date, datetime
from decimal import Decimal
from pathlib import Path
from typing import TYPE_CHECKING, Any

from openpyxl import Workbook
from openpyxl.drawing.image import Image
from openpyxl.styles import Alignment, Border, Font, PatternFill, Side
from openpyxl.utils import get_column_letter

from acsa.adapters.exports.formats import (
    FIGURE_COLUMNS,
    MONEY_COLUMNS,
    View,
    excel_format,
    figure_cells,
    figure_views,
    key_label,
)
from acsa.adapters.exports.text import CELL_CHARS_MAX, clean
from acsa.schemas.reports import AnnualReport

if TYPE_CHECKING:
    from acsa.adapters.exports.charts import Chart

HEADER_FONT = Font(bold=True, color="FFFFFF")
HEADER_FILL = PatternFill("solid", fgColor="1F4E78")
HEADER_BORDER = Border(bottom=Side(style="thin", color="000000"))
TITLE_FONT = Font(bold=True, size=14)
COUNT_FORMAT = "#,##0"
DATE_FORMAT = "yyyy-mm-dd"

#: Sheet names per view (Excel forbids "/" in a sheet name and allows 31 characters).
SHEETS = {
    "summary": "summary",
    "by_partner": "by partner",
    "by_category": "by category",
    "by_activity": "by activity",
    "settled_open": "settled-open",
    "provided_received": "provided-received",
}

#: Views whose keys get a readable name beside them.
NAMED = frozenset({"by_partner", "by_category", "by_activity"})

#: Rows a chart takes on the charts sheet (600 px high at 20 px a row) and the gap after it.
CHART_ROWS = 32
CHART_WIDTH = 900

Value = str | int | Decimal | date | datetime | None

#: openpyxl has no type hints: a worksheet is whatever it returns.
Worksheet = Any
#: The most characters of a sheet name (Excel's rule).
SHEET_NAME_CHARS_MAX = 31


def put(ws: Worksheet, row: int, column: int, value: object) -> Any:
    """Write ``value`` to a cell: numbers and dates as they are; any text as a workbook can
    hold it (control characters as U+FFFD, cut visibly past CELL_CHARS_MAX characters, Excel
    holding 32,767) and always as text, never as a formula (a stored ``=HYPERLINK(...)`` is
    shown, not run)."""
    if isinstance(value, str):
        cell = ws.cell(row=row, column=column, value=clean(value, CELL_CHARS_MAX))
        cell.data_type = "s"
        return cell
    return ws.cell(row=row, column=column, value=value)


def sheet_title(text: str) -> str:
    """A sheet name from any text: one line, no control characters, none of ``[]:*?/\\``,
    at most 31 characters."""
    cleaned = clean(text, 10 * SHEET_NAME_CHARS_MAX, multiline=False)
    cleaned = "".join("-" if ch in "[]:*?/\\" else ch for ch in cleaned)
    return cleaned[:SHEET_NAME_CHARS_MAX].strip() or "sheet"


@dataclass(slots=True)
class _Table:
    """Rows to write under a header, with a number format per cell (None: the default)."""

    headings: list[str]
    rows: list[list[Value]] = field(default_factory=list)
    formats: list[list[str | None]] = field(default_factory=list)

    def add(self, cells: list[Value], formats: list[str | None]) -> None:
        self.rows.append(cells)
        self.formats.append(formats)


def write_xlsx(report: AnnualReport, path: Path, charts: Sequence[Chart] = ()) -> Path:
    """Write the workbook to ``path`` (charts are PNG files already on disk)."""
    workbook = Workbook()
    first = workbook.active
    workbook.remove(first)
    for view in figure_views(report):
        sheet = workbook.create_sheet(SHEETS[view.name])
        _write(sheet, _figure_table(view), freeze="B2")
        if view.name == "summary":
            _about(sheet, report, start_row=len(view.figures) + 3)
    _write(workbook.create_sheet("monthly"), _monthly_table(report), freeze="C2")
    _write(workbook.create_sheet("balances"), _balance_table(report), freeze="C2")
    _charts(workbook.create_sheet("charts"), report, charts)
    workbook.properties.title = f"Annual report {report.nation} {report.fiscal_year}"
    workbook.properties.creator = "acsa"
    workbook.save(path)
    return path


# --- tables -----------------------------------------------------------------------------------


def _figure_table(view: View) -> _Table:
    named = view.name in NAMED
    headings = [view.key_heading, *(["name"] if named else []), *FIGURE_COLUMNS]
    table = _Table(headings)
    for figure in view.figures:
        key: list[Value] = [figure.key, *([key_label(view.name, figure.key)] if named else [])]
        cells = figure_cells(figure)
        money = excel_format(figure.currency)
        formats = [_column_format(heading, money) for heading in FIGURE_COLUMNS]
        table.add([*key, *cells], [*([None] * len(key)), *formats])
    return table


def _column_format(heading: str, money: str) -> str | None:
    if heading == "currency":
        return None
    return money if heading in MONEY_COLUMNS else COUNT_FORMAT


def _monthly_table(report: AnnualReport) -> _Table:
    """Partners down, months across, with the year's total: the value of orders dated then."""
    table = _Table(["partner", "currency", *report.months, "total"])
    rows: dict[tuple[str, str], dict[str, Decimal]] = {}
    for point in report.monthly:
        rows.setdefault((point.partner, point.currency), {})[point.month] = point.value
    for (partner, currency), values in sorted(rows.items()):
        amounts = [values.get(month, Decimal(0)) for month in report.months]
        money = excel_format(currency)
        table.add(
            [partner, currency, *amounts, sum(amounts, Decimal(0))],
            [None, None, *([money] * (len(amounts) + 1))],
        )
    return table


def _balance_table(report: AnnualReport) -> _Table:
    """Partners down, month ends across: what the partner owes (+) or is owed (-)."""
    days = sorted({point.day for point in report.balances})
    table = _Table(["partner", "currency", *(d.isoformat() for d in days)])
    rows: dict[tuple[str, str], dict[date, Decimal]] = {}
    for point in report.balances:
        rows.setdefault((point.partner, point.currency), {})[point.day] = point.balance
    for (partner, currency), values in sorted(rows.items()):
        money = excel_format(currency)
        table.add(
            [partner, currency, *(values.get(d, Decimal(0)) for d in days)],
            [None, None, *([money] * len(days))],
        )
    return table


# --- writing ----------------------------------------------------------------------------------


def _write(ws: Worksheet, table: _Table, freeze: str) -> None:
    """Header row styled and frozen, cells with their formats, widths to fit, a filter."""
    for column, heading in enumerate(table.headings, start=1):
        cell = put(ws, 1, column, heading)
        cell.font = HEADER_FONT
        cell.fill = HEADER_FILL
        cell.border = HEADER_BORDER
        cell.alignment = Alignment(horizontal="center", vertical="center", wrap_text=True)
    for row_index, (cells, formats) in enumerate(zip(table.rows, table.formats, strict=True), 2):
        for column, (value, number_format) in enumerate(zip(cells, formats, strict=True), 1):
            cell = put(ws, row_index, column, value)
            if number_format:
                cell.number_format = number_format
    ws.freeze_panes = freeze
    if table.rows:
        last = get_column_letter(len(table.headings))
        ws.auto_filter.ref = f"A1:{last}{len(table.rows) + 1}"
    _widths(ws, table)


def _widths(ws: Worksheet, table: _Table) -> None:
    for column, heading in enumerate(table.headings, start=1):
        texts = [heading] + [_text(row[column - 1]) for row in table.rows]
        width = min(max(min(len(text), 48) for text in texts) + 3, 48)
        letter = get_column_letter(column)
        ws.column_dimensions[letter].width = max(width, 9)


def _text(value: Value) -> str:
    if value is None:
        return ""
    if isinstance(value, Decimal):
        return f"{value:,}"
    if isinstance(value, date | datetime):
        return value.isoformat()[:19]
    return str(value)


def _about(ws: Worksheet, report: AnnualReport, start_row: int) -> None:
    """What the report covers, under the summary table."""
    facts: list[tuple[str, Value]] = [
        ("nation", report.nation),
        ("fiscal year", report.fiscal_year),
        ("from", report.start),
        ("to", report.end),
        ("orders in the report", report.orders),
        *((f"left out: {status}", n) for status, n in report.excluded.items()),
        ("currencies", ", ".join(report.currencies) or "none"),
        ("generated at (UTC)", report.generated_at.replace(tzinfo=None)),
    ]
    title = ws.cell(row=start_row, column=1, value="about this report")
    title.font = Font(bold=True)
    for letter, least in (("A", 24), ("B", 21)):
        dimension = ws.column_dimensions[letter]
        dimension.width = max(dimension.width or 0, least)
    for offset, (label, value) in enumerate(facts, start=1):
        put(ws, start_row + offset, 1, label)
        cell = put(ws, start_row + offset, 2, value)
        cell.alignment = Alignment(horizontal="left")
        if isinstance(value, datetime):
            cell.number_format = "yyyy-mm-dd hh:mm:ss"
        elif isinstance(value, date):
            cell.number_format = DATE_FORMAT


def _charts(ws: Worksheet, report: AnnualReport, charts: Sequence[Chart]) -> None:
    """Each chart's title, then the chart as a picture under it."""
    heading = ws.cell(row=1, column=1, value=f"Charts: {report.nation} {report.fiscal_year}")
    heading.font = TITLE_FONT
    if not charts:
        ws.cell(row=3, column=1, value="no orders or balances to chart")
        return
    row = 3
    for chart in charts:
        put(ws, row, 1, chart.title).font = Font(bold=True)
        image = Image(str(chart.path))
        scale = CHART_WIDTH / image.width
        image.width, image.height = CHART_WIDTH, int(image.height * scale)
        ws.add_image(image, f"A{row + 1}")
        row += CHART_ROWS
