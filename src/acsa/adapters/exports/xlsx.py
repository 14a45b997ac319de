"""The annual report as an Excel workbook: one sheet per view, a styled and frozen header row,
column widths to fit, amounts as numbers with their currency's decimals, and the charts; every
sheet name, heading and label in the reader's language."""

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
    heading,
    key_label,
    term_text,
)
from acsa.adapters.exports.text import CELL_CHARS_MAX, clean
from acsa.domain.messages import t
from acsa.i18n import say
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
    "summary": t("summary"),
    "by_partner": t("by partner"),
    "by_category": t("by category"),
    "by_activity": t("by activity"),
    "settled_open": t("settled-open"),
    "provided_received": t("provided-received"),
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


def write_xlsx(
    report: AnnualReport, path: Path, charts: Sequence[Chart] = (), lang: str = "en"
) -> Path:
    """Write the workbook to ``path`` in ``lang`` (charts are PNG files already on disk)."""
    workbook = Workbook()
    first = workbook.active
    workbook.remove(first)
    for view in figure_views(report):
        sheet = workbook.create_sheet(sheet_title(heading(SHEETS[view.name], lang)))
        _write(sheet, _figure_table(view, lang), freeze="B2")
        if view.name == "summary":
            _about(sheet, report, start_row=len(view.figures) + 3, lang=lang)
    monthly = workbook.create_sheet(sheet_title(heading(t("monthly"), lang)))
    _write(monthly, _monthly_table(report, lang), freeze="C2")
    balances = workbook.create_sheet(sheet_title(heading(t("balances"), lang)))
    _write(balances, _balance_table(report, lang), freeze="C2")
    _charts(workbook.create_sheet(sheet_title(heading(t("charts"), lang))), report, charts, lang)
    workbook.properties.title = say(
        t("Annual report {nation} {year}"),
        lang,
        {"nation": report.nation, "year": report.fiscal_year},
    )
    workbook.properties.creator = "acsa"
    workbook.save(path)
    return path


# --- tables -----------------------------------------------------------------------------------


def _figure_table(view: View, lang: str) -> _Table:
    named = view.name in NAMED
    headings = [
        heading(view.key_heading, lang),
        *([heading(t("name"), lang)] if named else []),
        *(heading(column, lang) for column in FIGURE_COLUMNS),
    ]
    table = _Table(headings)
    for figure in view.figures:
        shown = key_label(view.name, figure.key, lang)
        first: Value = figure.key if named or lang == "en" else shown
        key: list[Value] = [first, *([shown] if named else [])]
        cells = figure_cells(figure)
        money = excel_format(figure.currency)
        formats = [_column_format(column, money) for column in FIGURE_COLUMNS]
        table.add([*key, *cells], [*([None] * len(key)), *formats])
    return table


def _column_format(column: str, money: str) -> str | None:
    if column == "currency":
        return None
    return money if column in MONEY_COLUMNS else COUNT_FORMAT


def _monthly_table(report: AnnualReport, lang: str) -> _Table:
    """Partners down, months across, with the year's total: the value of orders dated then."""
    partner, currency_ = heading(t("partner"), lang), heading(t("currency"), lang)
    table = _Table([partner, currency_, *report.months, heading(t("total"), lang)])
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


def _balance_table(report: AnnualReport, lang: str) -> _Table:
    """Partners down, month ends across: what the partner owes (+) or is owed (-)."""
    days = sorted({point.day for point in report.balances})
    partner, currency_ = heading(t("partner"), lang), heading(t("currency"), lang)
    table = _Table([partner, currency_, *(d.isoformat() for d in days)])
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
    for column, title in enumerate(table.headings, start=1):
        cell = put(ws, 1, column, title)
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
    for column, title in enumerate(table.headings, start=1):
        texts = [title] + [_text(row[column - 1]) for row in table.rows]
        width = min(max(min(_chars(text), 48) for text in texts) + 3, 48)
        letter = get_column_letter(column)
        ws.column_dimensions[letter].width = max(width, 9)


def _chars(text: str) -> int:
    """How many columns ``text`` takes in a sheet: a wide (CJK) character counts two."""
    return sum(2 if ord(ch) >= 0x2E80 else 1 for ch in text)


def _text(value: Value) -> str:
    if value is None:
        return ""
    if isinstance(value, Decimal):
        return f"{value:,}"
    if isinstance(value, date | datetime):
        return value.isoformat()[:19]
    return str(value)


def _about(ws: Worksheet, report: AnnualReport, start_row: int, lang: str = "en") -> None:
    """What the report covers, under the summary table."""
    facts: list[tuple[str, Value]] = [
        (heading(t("nation"), lang), report.nation),
        (heading(t("fiscal year"), lang), report.fiscal_year),
        (heading(t("from"), lang), report.start),
        (heading(t("to"), lang), report.end),
        (heading(t("orders in the report"), lang), report.orders),
        *(
            (say(t("left out: {status}"), lang, {"status": term_text(status, lang)}), n)
            for status, n in report.excluded.items()
        ),
        (
            heading(t("currencies"), lang),
            ", ".join(report.currencies) or heading(t("none"), lang),
        ),
        (heading(t("generated at (UTC)"), lang), report.generated_at.replace(tzinfo=None)),
    ]
    title = ws.cell(row=start_row, column=1, value=heading(t("about this report"), lang))
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


def _charts(ws: Worksheet, report: AnnualReport, charts: Sequence[Chart], lang: str = "en") -> None:
    """Each chart's title, then the chart as a picture under it."""
    title = say(
        t("Charts: {nation} {year}"), lang, {"nation": report.nation, "year": report.fiscal_year}
    )
    put(ws, 1, 1, title).font = TITLE_FONT
    if not charts:
        put(ws, 3, 1, heading(t("no orders or balances to chart"), lang))
        return
    row = 3
    for chart in charts:
        put(ws, row, 1, chart.title).font = Font(bold=True)
        image = Image(str(chart.path))
        scale = CHART_WIDTH / image.width
        image.width, image.height = CHART_WIDTH, int(image.height * scale)
        ws.add_image(image, f"A{row + 1}")
        row += CHART_ROWS
