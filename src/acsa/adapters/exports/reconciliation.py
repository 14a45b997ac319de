"""A statement of reconciliation of two nations' books, as an Excel workbook or a PDF: who,
when, how many orders matched, and every difference (order, kind, field, ours, theirs)."""

from __future__ import annotations

from collections import Counter
from datetime import datetime
from pathlib import Path
from typing import Any

from openpyxl import Workbook
from openpyxl.styles import Alignment
from openpyxl.utils import get_column_letter
from reportlab.lib.pagesizes import A4, landscape
from reportlab.lib.units import mm
from reportlab.platypus import SimpleDocTemplate, Spacer

from acsa.adapters.exports import cannot_write
from acsa.adapters.exports.pdf import MARGIN, data_table, para
from acsa.adapters.exports.xlsx import HEADER_BORDER, HEADER_FILL, HEADER_FONT, TITLE_FONT, put
from acsa.domain.reconcile import Report
from acsa.services.books import differences_rows

TITLE = "Statement of reconciliation"
HEADINGS = ("kind", "order", "field", "ours", "theirs", "finding")


def _facts(report: Report, generated_at: datetime) -> list[tuple[str, str]]:
    kinds = Counter(d.kind for d in report.differences)
    return [
        ("our book", report.nation),
        ("their book", report.partner),
        ("generated at (UTC)", generated_at.replace(tzinfo=None).isoformat(timespec="seconds")),
        ("orders matched", str(report.matched)),
        ("differences", str(len(report.differences))),
        *((f"  {kind.replace('_', ' ')}", str(n)) for kind, n in sorted(kinds.items())),
        ("result", report.summary),
    ]


def write_xlsx(report: Report, path: Path, generated_at: datetime) -> Path:
    """The statement as a workbook: a summary sheet and a sheet of the differences."""
    wb = Workbook()
    ws: Any = wb.active
    ws.title = "summary"
    put(ws, 1, 1, f"{TITLE}: {report.nation} / {report.partner}").font = TITLE_FONT
    for row, (label, value) in enumerate(_facts(report, generated_at), start=3):
        put(ws, row, 1, label)
        put(ws, row, 2, value)
    ws.column_dimensions["A"].width = 24
    ws.column_dimensions["B"].width = 40
    sheet: Any = wb.create_sheet("differences")
    for column, heading in enumerate(HEADINGS, start=1):
        cell = put(sheet, 1, column, heading)
        cell.font = HEADER_FONT
        cell.fill = HEADER_FILL
        cell.border = HEADER_BORDER
        cell.alignment = Alignment(horizontal="center")
    rows = differences_rows(report.differences)
    for r, values in enumerate(rows, start=2):
        for column, value in enumerate(values, start=1):
            put(sheet, r, column, value)
    sheet.freeze_panes = "A2"
    if rows:
        sheet.auto_filter.ref = f"A1:{get_column_letter(len(HEADINGS))}{len(rows) + 1}"
    for column, width in enumerate((14, 38, 22, 24, 24, 80), start=1):
        sheet.column_dimensions[get_column_letter(column)].width = width
    try:
        wb.save(path)
    except OSError as exc:
        raise cannot_write(path, exc) from None
    return path


def write_pdf(report: Report, path: Path, generated_at: datetime) -> Path:
    """The statement as a landscape A4 PDF: the facts, then the table of differences."""
    story: list[Any] = [para(f"{TITLE}: {report.nation} / {report.partner}", "title")]
    story.append(data_table(["", ""], _facts(report, generated_at), widths=[60 * mm, 90 * mm]))
    story.append(Spacer(1, 6 * mm))
    if report.differences:
        story.append(para("Differences", "heading"))
        widths = [22 * mm, 48 * mm, 30 * mm, 30 * mm, 30 * mm, 110 * mm]
        story.append(data_table(HEADINGS, differences_rows(report.differences), widths=widths))
    else:
        story.append(para("The two books agree on every order."))
    doc = SimpleDocTemplate(
        str(path),
        pagesize=landscape(A4),
        leftMargin=MARGIN,
        rightMargin=MARGIN,
        topMargin=MARGIN,
        bottomMargin=MARGIN,
        title=f"{TITLE} {report.nation}-{report.partner}",
    )
    try:
        doc.build(story)
    except OSError as exc:
        raise cannot_write(path, exc) from None
    return path
