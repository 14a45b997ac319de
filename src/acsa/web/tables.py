"""Tables as a page shows them and as its downloads carry them.

A page of the ledger or the reports builds :class:`Table` objects once; the template renders
them (``_tables.html``) and the CSV and XLSX downloads write the very same rows, so a download
is exactly what is on screen: the same columns and rows, the headings in the visitor's
language, amounts to their currency's decimals (plain numbers in the files, so a spreadsheet
reads them exactly).
"""

from __future__ import annotations

import csv
import io
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date, datetime
from decimal import Decimal
from typing import Any, Literal

from acsa.adapters.exports.text import CELL_CHARS_MAX, clean
from acsa.domain.messages import words
from acsa.domain.money import minor_units, quantum
from acsa.i18n import translations
from acsa.i18n.memos import memo_text

#: "memo": a ledger entry's stored document or memo, read in the reader's language.
Kind = Literal["text", "word", "memo", "order", "link", "money", "number", "day"]


def N_(message: str) -> str:  # noqa: N802 (the gettext convention for "translate later")
    """Mark ``message`` as a msgid translated where it is shown (in the template)."""
    return message


@dataclass(frozen=True, slots=True)
class Amount:
    """Money in one currency, as one cell."""

    value: Decimal
    currency: str


@dataclass(frozen=True, slots=True)
class Link:
    """A cell that links to another page (the files carry its text)."""

    text: str
    href: str


Cell = str | int | Decimal | date | Amount | Link | None


@dataclass(frozen=True, slots=True)
class Column:
    """A column: its heading (an English msgid) and how its cells read."""

    heading: str
    kind: Kind = "text"

    @property
    def numeric(self) -> bool:
        return self.kind in ("money", "number")


@dataclass(slots=True)
class Table:
    """Rows under headings, with a caption (an English msgid with ``%(name)s`` fields)."""

    name: str
    title: str
    columns: list[Column]
    rows: list[list[Cell]] = field(default_factory=list)
    args: dict[str, str] = field(default_factory=dict)
    empty: str = N_("Nothing to show.")
    #: A CSS class per row (e.g. "total"), or "".
    marks: list[str] = field(default_factory=list)

    def add(self, cells: Sequence[Cell], mark: str = "") -> None:
        if len(cells) != len(self.columns):
            raise ValueError(f"{self.name}: {len(cells)} cells for {len(self.columns)} columns")
        self.rows.append(list(cells))
        self.marks.append(mark)

    def mark(self, index: int) -> str:
        return self.marks[index] if index < len(self.marks) else ""


# --- files -------------------------------------------------------------------------------------


class _Text:
    """The words of a download in the visitor's language."""

    def __init__(self, lang: str) -> None:
        self.lang = lang
        self.messages = translations(lang)

    def __call__(self, message: str, args: dict[str, str] | None = None) -> str:
        text = self.messages.gettext(message)
        return text % args if args else text

    def cell(self, column: Column, value: Cell) -> str:
        """A cell as CSV text: amounts plain with their currency's decimals, days ISO; any
        stored text as a file can hold it (``acsa.adapters.exports.text.clean``)."""
        if value is None:
            return ""
        if isinstance(value, Amount):
            return plain(value.value, value.currency)
        if isinstance(value, date):
            return value.isoformat()
        if isinstance(value, Link):
            return clean(value.text, CELL_CHARS_MAX)
        if column.kind == "word":
            return clean(self.messages.gettext(words(str(value))), CELL_CHARS_MAX)
        if column.kind == "memo":
            return clean(memo_text(str(value), self.lang), CELL_CHARS_MAX)
        return clean(value, CELL_CHARS_MAX)


def plain(value: Decimal, currency: str) -> str:
    """``2644020`` (JPY), ``1234.50`` (USD): no grouping, the currency's decimals."""
    return f"{value.quantize(quantum(currency)):f}"


def csv_bytes(tables: Sequence[Table], lang: str) -> bytes:
    """The tables as one UTF-8 CSV file (with a byte order mark, so spreadsheets read the
    Japanese right): one header line, then the rows; tables of the same columns follow each
    other, and a table of other columns starts with a blank line and its own header."""
    text = _Text(lang)
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\r\n")
    previous: list[str] | None = None
    for table in tables:
        headings = [text(c.heading) for c in table.columns]
        if headings != previous:
            if previous is not None:
                writer.writerow([])
            writer.writerow(headings)
            previous = headings
        for row in table.rows:
            writer.writerow(
                [text.cell(column, value) for column, value in zip(table.columns, row, strict=True)]
            )
    return ("\ufeff" + buffer.getvalue()).encode("utf-8")


def _sheet_name(title: str, taken: set[str]) -> str:
    """An Excel sheet name: at most 31 characters, none of ``[]:*?/\\``, unique."""
    single = clean(title, 310, multiline=False)
    cleaned = "".join("-" if ch in "[]:*?/\\" else ch for ch in single)[:31].strip() or "sheet"
    name, n = cleaned, 2
    while name.lower() in taken:
        suffix = f" ({n})"
        name, n = cleaned[: 31 - len(suffix)] + suffix, n + 1
    taken.add(name.lower())
    return name


def _excel_format(currency: str) -> str:
    digits = minor_units(currency)
    return "#,##0" + ("." + "0" * digits if digits else "")


def xlsx_bytes(tables: Sequence[Table], lang: str, title: str) -> bytes:
    """The tables as an Excel workbook, one sheet per table: the caption, the headings (bold,
    frozen), amounts as numbers in their currency's format, days as dates."""
    from openpyxl import Workbook

    text = _Text(lang)
    workbook = Workbook()
    workbook.remove(workbook.active)
    taken: set[str] = set()
    for table in tables:
        caption = text(table.title, table.args)
        _write_sheet(workbook.create_sheet(_sheet_name(caption, taken)), table, caption, text)
    if not tables:
        workbook.create_sheet("-")
    workbook.properties.title = title
    workbook.properties.creator = "acsa"
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()


def _write_sheet(sheet: Any, table: Table, caption: str, text: _Text) -> None:
    """``table`` on ``sheet``: the caption, the headings (bold, frozen), the rows, and each
    column as wide as its longest cell (within bounds)."""
    from openpyxl.styles import Font, PatternFill
    from openpyxl.utils import get_column_letter

    from acsa.adapters.exports.xlsx import put

    bold = Font(bold=True, color="FFFFFF")
    fill = PatternFill("solid", fgColor="1F4E78")
    put(sheet, 1, 1, caption).font = Font(bold=True, size=13)
    widths = [len(text(c.heading)) for c in table.columns]
    for index, column in enumerate(table.columns, start=1):
        cell = put(sheet, 2, index, text(column.heading))
        cell.font, cell.fill = bold, fill
    for r, row in enumerate(table.rows, start=3):
        for c, (column, value) in enumerate(zip(table.columns, row, strict=True), start=1):
            _write_cell(sheet, (r, c), column, value, text)
            widths[c - 1] = max(widths[c - 1], min(len(text.cell(column, value)), 60) + 2)
    if not table.rows:
        put(sheet, 3, 1, text(table.empty))
    sheet.freeze_panes = "A3"
    for index, width in enumerate(widths, start=1):
        sheet.column_dimensions[get_column_letter(index)].width = min(max(width, 8), 60)


def _write_cell(sheet: Any, at: tuple[int, int], column: Column, value: Cell, text: _Text) -> None:
    """One cell at (row, column): an amount as a number in its currency's format, a day as a
    date, a number in a number column as a number, anything else as its text."""
    from acsa.adapters.exports.xlsx import put

    r, c = at
    cell = sheet.cell(row=r, column=c)
    if isinstance(value, Amount):
        cell.value = value.value.quantize(quantum(value.currency))
        cell.number_format = _excel_format(value.currency)
    elif isinstance(value, date) and not isinstance(value, datetime):
        cell.value = value
        cell.number_format = "yyyy-mm-dd"
    elif isinstance(value, int | Decimal) and column.kind == "number":
        cell.value = value
        cell.number_format = "#,##0"
    else:
        put(sheet, r, c, text.cell(column, value))
