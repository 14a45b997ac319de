"""A statement of reconciliation of two nations' books, as an Excel workbook or a PDF: who,
when, how many orders matched, and every difference (order, kind, field, ours, theirs), in
the reader's language (the PDF in Japanese embeds IPAexGothic)."""

from __future__ import annotations

from collections import Counter
from collections.abc import Mapping
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
from acsa.adapters.exports.pdf import MARGIN, data_table, fitted_columns, footer, para
from acsa.adapters.exports.xlsx import (
    HEADER_BORDER,
    HEADER_FILL,
    HEADER_FONT,
    TITLE_FONT,
    put,
    sheet_title,
)
from acsa.domain.messages import t
from acsa.domain.reconcile import Difference, Report, order_label
from acsa.i18n import gettext, say

TITLE = t("Statement of reconciliation")
HEADINGS = (t("kind"), t("order"), t("field"), t("ours"), t("theirs"), t("finding"))
#: What each kind of difference is called (the kinds of acsa.domain.reconcile).
KINDS = {
    "chain": t("document chain"),
    "order": t("order"),
    "quantity": t("quantity"),
    "document": t("document"),
    "currency": t("currency"),
    "amount": t("amount"),
}


def _title(report: Report, lang: str) -> str:
    return say(
        t("Statement of reconciliation: {nation} / {partner}"),
        lang,
        {"nation": report.nation, "partner": report.partner},
    )


def _kind(kind: str, lang: str) -> str:
    return gettext(lang, KINDS.get(kind, kind.replace("_", " ")))


def _finding(difference: Difference, lang: str) -> str:
    """A difference's message in ``lang`` where it keeps its id and parameters."""
    template = getattr(difference, "template", "")
    params: Mapping[str, object] = getattr(difference, "params", {})
    if not template:
        return gettext(lang, difference.message) if difference.message else ""
    return say(template, lang, params)


def differences_rows(report: Report, lang: str) -> list[list[str]]:
    """The differences as text rows: kind, order, field, ours, theirs, finding."""
    return [
        [
            _kind(d.kind, lang),
            order_label(report, d.order) if d.order else gettext(lang, t("(file)")),
            d.field,
            d.ours or "-",
            d.theirs or "-",
            _finding(d, lang),
        ]
        for d in report.differences
    ]


def _summary(report: Report, lang: str) -> str:
    n = len(report.differences)
    if n == 1:
        return say(t("{matched} matched, 1 difference"), lang, {"matched": report.matched})
    return say(
        t("{matched} matched, {count} differences"),
        lang,
        {"matched": report.matched, "count": n},
    )


def _facts(report: Report, generated_at: datetime, lang: str) -> list[tuple[str, str]]:
    kinds = Counter(d.kind for d in report.differences)
    return [
        (gettext(lang, t("our book")), report.nation),
        (gettext(lang, t("their book")), report.partner),
        (
            gettext(lang, t("generated at (UTC)")),
            generated_at.replace(tzinfo=None).isoformat(timespec="seconds"),
        ),
        (gettext(lang, t("orders matched")), f"{report.matched:,}"),
        (gettext(lang, t("differences")), f"{len(report.differences):,}"),
        *((f"  {_kind(kind, lang)}", f"{n:,}") for kind, n in sorted(kinds.items())),
        (gettext(lang, t("result")), _summary(report, lang)),
    ]


def write_xlsx(report: Report, path: Path, generated_at: datetime, lang: str = "en") -> Path:
    """The statement as a workbook: a summary sheet and a sheet of the differences."""
    wb = Workbook()
    ws: Any = wb.active
    ws.title = sheet_title(gettext(lang, t("summary")))
    put(ws, 1, 1, _title(report, lang)).font = TITLE_FONT
    for row, (label, value) in enumerate(_facts(report, generated_at, lang), start=3):
        put(ws, row, 1, label)
        put(ws, row, 2, value)
    ws.column_dimensions["A"].width = 24
    ws.column_dimensions["B"].width = 40
    sheet: Any = wb.create_sheet(sheet_title(gettext(lang, t("differences"))))
    for column, heading in enumerate(HEADINGS, start=1):
        cell = put(sheet, 1, column, gettext(lang, heading))
        cell.font = HEADER_FONT
        cell.fill = HEADER_FILL
        cell.border = HEADER_BORDER
        cell.alignment = Alignment(horizontal="center")
    rows = differences_rows(report, lang)
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


def write_pdf(report: Report, path: Path, generated_at: datetime, lang: str = "en") -> Path:
    """The statement as a landscape A4 PDF in ``lang``: the facts, then the table of
    differences (columns sized from what they hold)."""
    width = landscape(A4)[0] - 2 * MARGIN
    story: list[Any] = [para(_title(report, lang), "title", lang)]
    facts = [list(pair) for pair in _facts(report, generated_at, lang)]
    story.append(data_table(["", ""], facts, widths=[60 * mm, 110 * mm], lang=lang))
    story.append(Spacer(1, 6 * mm))
    if report.differences:
        story.append(para(gettext(lang, t("Differences")), "heading", lang))
        headings = [gettext(lang, h) for h in HEADINGS]
        rows = differences_rows(report, lang)
        widths, size = fitted_columns(headings, rows, (), width, 7.5, lang)
        story.append(data_table(headings, rows, widths=widths, size=size, lang=lang))
    else:
        story.append(para(gettext(lang, t("The two books agree on every order.")), "body", lang))
    doc = SimpleDocTemplate(
        str(path),
        pagesize=landscape(A4),
        leftMargin=MARGIN,
        rightMargin=MARGIN,
        topMargin=MARGIN,
        bottomMargin=MARGIN + 3 * mm,
        title=f"{gettext(lang, TITLE)} {report.nation}-{report.partner}",
        author="acsa",
        lang=lang,
    )
    draw = footer(_title(report, lang), lang)
    try:
        doc.build(story, onFirstPage=draw, onLaterPages=draw)
    except OSError as exc:
        raise cannot_write(path, exc) from None
    return path
