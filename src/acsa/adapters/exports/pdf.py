"""The annual report as a PDF (reportlab): title, what it covers, every table, the charts.

Also the pieces the order form shares: the fonts (DejaVu Sans, shipped with matplotlib, so
names in any Latin, Greek or Cyrillic script print), the paragraph styles, the table style.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date
from decimal import Decimal
from functools import cache
from importlib.util import find_spec
from pathlib import Path
from typing import TYPE_CHECKING, Any

from reportlab.lib import colors
from reportlab.lib.enums import TA_RIGHT
from reportlab.lib.pagesizes import A4, landscape
from reportlab.lib.styles import ParagraphStyle
from reportlab.lib.units import mm
from reportlab.pdfbase import pdfmetrics
from reportlab.pdfbase.pdfmetrics import stringWidth
from reportlab.pdfbase.ttfonts import TTFont
from reportlab.platypus import (
    Image,
    KeepTogether,
    PageBreak,
    Paragraph,
    SimpleDocTemplate,
    Spacer,
    Table,
    TableStyle,
)

from acsa.adapters.exports.formats import (
    FIGURE_COLUMNS,
    MONEY_COLUMNS,
    View,
    figure_cells,
    figure_views,
    key_label,
    nation_name,
)
from acsa.adapters.exports.text import clean
from acsa.domain.money import amount_text
from acsa.schemas.reports import AnnualReport

if TYPE_CHECKING:
    from acsa.adapters.exports.charts import Chart

FONT = "DejaVuSans"
BOLD = "DejaVuSans-Bold"
HEADER_BACKGROUND = colors.HexColor("#1F4E78")
STRIPE = colors.HexColor("#EEF3F8")
MARGIN = 12 * mm

#: A flowable (paragraph, table, image...): reportlab has no type hints.
Flowable = Any

#: The most lines of text one table cell may take. A table splits across pages only between
#: rows, so a row taller than a page cannot be laid out (reportlab gives up, or loops): a
#: cell's text is cut, visibly, to what this many lines of its column hold.
CELL_LINES_MAX = 24
#: A character's width, in ems, assumed when counting what a line holds (DejaVu Sans averages
#: a little over 0.5; the margin of CELL_LINES_MAX covers wider text).
CHAR_EMS = 0.6
#: A cell's left and right padding together (table_style), in points.
CELL_PADDING = 6
#: The width assumed for a column given none, in points.
DEFAULT_COLUMN = 40 * mm
#: The most characters of one paragraph outside a table (paragraphs split across pages, but
#: the time to lay them out grows with their length).
PARAGRAPH_CHARS_MAX = 8000
#: The smallest font a number is shrunk to so that it stays on one line in its column.
NUMBER_SIZE_MIN = 3.5


@cache
def fonts() -> tuple[str, str]:
    """Register DejaVu Sans (regular and bold) once; their names for styles."""
    spec = find_spec("matplotlib")  # its fonts, without loading matplotlib itself
    assert spec is not None, "matplotlib is a dependency"
    assert spec.origin is not None
    directory = Path(spec.origin).parent / "mpl-data" / "fonts" / "ttf"
    pdfmetrics.registerFont(TTFont(FONT, str(directory / "DejaVuSans.ttf")))
    pdfmetrics.registerFont(TTFont(BOLD, str(directory / "DejaVuSans-Bold.ttf")))
    pdfmetrics.registerFontFamily(FONT, normal=FONT, bold=BOLD, italic=FONT, boldItalic=BOLD)
    return FONT, BOLD


@cache
def styles() -> dict[str, ParagraphStyle]:
    """Paragraph styles: title, heading, body, small, cell and right-aligned cell."""
    regular, bold = fonts()
    return {
        "title": ParagraphStyle("title", fontName=bold, fontSize=16, leading=20, spaceAfter=4),
        "heading": ParagraphStyle(
            "heading", fontName=bold, fontSize=11, leading=14, spaceBefore=8, spaceAfter=4
        ),
        "body": ParagraphStyle("body", fontName=regular, fontSize=9, leading=12),
        "small": ParagraphStyle("small", fontName=regular, fontSize=7.5, leading=9.5),
        "cell": ParagraphStyle("cell", fontName=regular, fontSize=7.5, leading=9),
        "cell_right": ParagraphStyle(
            "cell_right", fontName=regular, fontSize=7.5, leading=9, alignment=TA_RIGHT
        ),
        "cell_bold": ParagraphStyle("cell_bold", fontName=bold, fontSize=7.5, leading=9),
        "cell_header": ParagraphStyle(
            "cell_header", fontName=bold, fontSize=7.5, leading=9, textColor=colors.white
        ),
    }


def escape(text: str) -> str:
    """Text safe inside a reportlab paragraph (which reads a little XML)."""
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def para(text: str, style: str = "body") -> Flowable:
    """A paragraph of any stored text: control characters shown as U+FFFD, cut visibly past
    PARAGRAPH_CHARS_MAX characters."""
    return Paragraph(escape(clean(text, PARAGRAPH_CHARS_MAX, multiline=False)), styles()[style])


def cell_budget(width: float | None, size: float) -> int:
    """How many characters a cell ``width`` points wide holds in CELL_LINES_MAX lines of
    ``size`` point text."""
    usable = (DEFAULT_COLUMN if width is None else width) - CELL_PADDING
    return max(int(usable / (size * CHAR_EMS)), 4) * CELL_LINES_MAX


def fits(text: str, width: float | None, size: float) -> bool:
    """True when ``text`` is shown whole in a cell of ``width`` (see ``cell_text``)."""
    return len(text) <= cell_budget(width, size)


def cell_text(text: str, width: float | None, size: float) -> str:
    """Any stored text as a cell shows it: on one logical line (breaks become spaces),
    control characters as U+FFFD, cut visibly to what the cell holds (``cell_budget``)."""
    return clean(text, cell_budget(width, size), multiline=False)


def text_cell(text: str, width: float | None, style: ParagraphStyle) -> Flowable:
    """A wrapping cell of text (long words are split across lines: ``splitLongWords``)."""
    return Paragraph(escape(cell_text(text, width, style.fontSize)), style)


def number_cell(text: str, width: float | None, style: ParagraphStyle) -> Flowable:
    """A cell holding a number (an amount, a quantity, a count): never wrapped, so never
    broken mid-number; a number wider than its column is set smaller until it fits."""
    shown = clean(text, 64, multiline=False)
    size = style.fontSize
    if width is not None:
        usable = width - CELL_PADDING
        wide = stringWidth(shown, style.fontName, size)
        if wide > usable > 0:
            size = max(size * usable / wide, NUMBER_SIZE_MIN)
    fitted = ParagraphStyle(
        f"{style.name}-number-{size:.2f}",
        parent=style,
        fontSize=size,
        leading=style.leading if size == style.fontSize else size + 1.5,
        splitLongWords=0,
    )
    return Paragraph(escape(shown), fitted)


def data_table(
    headings: Sequence[str],
    rows: Sequence[Sequence[str]],
    numeric: Sequence[int] = (),
    widths: Sequence[float] | None = None,
    header_size: float = 7.5,
    size: float = 7.5,
) -> Flowable:
    """A table with a dark header row repeated on each page, striped rows, and the ``numeric``
    columns right-aligned. Cells wrap inside their column, and any text is cut visibly to what
    its cell holds (``cell_text``); numbers never wrap (``number_cell``); ``size`` is the
    cells' font size."""
    style = styles()
    right = set(numeric)
    header_style = _sized(style["cell_header"], header_size)
    left_style, right_style = _sized(style["cell"], size), _sized(style["cell_right"], size)
    header = [Paragraph(escape(h), header_style) for h in headings]
    column = list(widths) if widths is not None else [None] * len(headings)
    body = [
        [
            number_cell(cell, column[i], right_style)
            if i in right
            else text_cell(cell, column[i], left_style)
            for i, cell in enumerate(row)
        ]
        for row in rows
    ]
    table = Table([header, *body], colWidths=widths, repeatRows=1, hAlign="LEFT")
    table.setStyle(table_style())
    return table


def _sized(style: ParagraphStyle, size: float) -> ParagraphStyle:
    if size == style.fontSize:
        return style
    return ParagraphStyle(f"{style.name}-{size}", parent=style, fontSize=size, leading=size + 1.5)


def table_style() -> Any:
    _regular, bold = fonts()
    return TableStyle(
        [
            ("BACKGROUND", (0, 0), (-1, 0), HEADER_BACKGROUND),
            ("TEXTCOLOR", (0, 0), (-1, 0), colors.white),
            ("FONTNAME", (0, 0), (-1, 0), bold),
            ("ROWBACKGROUNDS", (0, 1), (-1, -1), [colors.white, STRIPE]),
            ("GRID", (0, 0), (-1, -1), 0.25, colors.HexColor("#9AA8B5")),
            ("VALIGN", (0, 0), (-1, -1), "TOP"),
            ("TOPPADDING", (0, 0), (-1, -1), 2),
            ("LEFTPADDING", (0, 0), (-1, -1), 3),
            ("RIGHTPADDING", (0, 0), (-1, -1), 3),
            ("BOTTOMPADDING", (0, 0), (-1, -1), 2),
        ]
    )


def footer(text: str) -> Any:
    """A page callback writing ``text`` and the page number at the foot of each page."""

    def draw(canvas: Any, doc: Any) -> None:
        regular, _bold = fonts()
        canvas.saveState()
        canvas.setFont(regular, 7)
        canvas.setFillColor(colors.grey)
        canvas.drawString(doc.leftMargin, 7 * mm, text)
        canvas.drawRightString(
            doc.pagesize[0] - doc.rightMargin, 7 * mm, f"page {canvas.getPageNumber()}"
        )
        canvas.restoreState()

    return draw


def scaled_image(path: Path, width: float) -> Flowable:
    """A PNG scaled to ``width`` points, keeping its proportions."""
    image = Image(str(path))
    ratio = width / image.imageWidth
    image.drawWidth, image.drawHeight = width, image.imageHeight * ratio
    return image


# --- the annual report ------------------------------------------------------------------------


def write_pdf(report: AnnualReport, path: Path, charts: Sequence[Chart] = ()) -> Path:
    """Write the annual report as a landscape A4 PDF to ``path``."""
    title = f"Annual report of support: {nation_name(report.nation)}, {report.fiscal_year}"
    doc = SimpleDocTemplate(
        str(path),
        pagesize=landscape(A4),
        leftMargin=MARGIN,
        rightMargin=MARGIN,
        topMargin=MARGIN,
        bottomMargin=MARGIN + 3 * mm,
        title=title,
        author="acsa",
    )
    story: list[Flowable] = [para(title, "title"), *_about(report)]
    for view in figure_views(report):
        story.extend(_figure_section(view, doc.width))
    story.extend(_monthly_section(report, doc.width))
    story.extend(_balance_section(report, doc.width))
    story.extend(_charts_section(charts, doc.width, doc.height))
    draw = footer(f"acsa: annual report {report.nation} {report.fiscal_year}")
    doc.build(story, onFirstPage=draw, onLaterPages=draw)
    return path


def _about(report: AnnualReport) -> list[Flowable]:
    left_out = ", ".join(f"{status} {n}" for status, n in report.excluded.items())
    return [
        para(
            f"Fiscal year {report.fiscal_year}: {report.start.isoformat()} to "
            f"{report.end.isoformat()}. Orders in the report: {report.orders} (the nation "
            f"requested or supplied them, dated in the year; left out: {left_out})."
        ),
        para(
            "Values are the quantities accepted (requested, before acceptance) at the unit "
            "prices, per currency: amounts in different currencies are never added together. "
            "Provided: the nation supplied; received: it requested. Settled and open are the "
            "books on the last day of the year, at the quantities received: settled is what "
            "was paid or settled in kind, open what is still owed in cash or in kind.",
            "small",
        ),
        para(f"Generated {report.generated_at.strftime('%Y-%m-%d %H:%M UTC')}.", "small"),
    ]


def _figure_section(view: View, width: float) -> list[Flowable]:
    headings = [view.key_heading, *FIGURE_COLUMNS]
    rows = [
        [key_label(view.name, figure.key), *_cells(figure_cells(figure), figure.currency)]
        for figure in view.figures
    ]
    heading = para(view.title, "heading")
    if not rows:
        return [heading, para("No orders in this fiscal year.")]
    key_width = 58 * mm
    rest = (width - key_width) / len(FIGURE_COLUMNS)
    table = data_table(
        headings,
        rows,
        numeric=range(2, len(headings)),
        widths=[key_width, *([rest] * len(FIGURE_COLUMNS))],
    )
    return [KeepTogether([heading, table])] if len(rows) < 20 else [heading, table]


def _cells(cells: Sequence[str | int | Decimal], currency: str) -> list[str]:
    texts: list[str] = []
    for heading, cell in zip(FIGURE_COLUMNS, cells, strict=True):
        if heading in MONEY_COLUMNS and isinstance(cell, Decimal):
            texts.append(amount_text(cell, currency))
        elif isinstance(cell, int):
            texts.append(f"{cell:,}")
        else:
            texts.append(str(cell))
    return texts


def _wide(
    title: str,
    columns: Sequence[str],
    rows: dict[tuple[str, str], list[Decimal]],
    width: float,
    empty: str,
) -> list[Flowable]:
    """Partners down, periods across; amounts in the row's currency."""
    heading = para(title, "heading")
    if not rows:
        return [heading, para(empty)]
    body = [
        [partner, currency, *(amount_text(v, currency) for v in values)]
        for (partner, currency), values in sorted(rows.items())
    ]
    first = 16 * mm
    rest = (width - 2 * first) / len(columns)
    table = data_table(
        ["partner", "currency", *columns],
        body,
        numeric=range(2, len(columns) + 2),
        widths=[first, first, *([rest] * len(columns))],
        header_size=6.5,
    )
    return [KeepTogether([heading, table])]


def _monthly_section(report: AnnualReport, width: float) -> list[Flowable]:
    values: dict[tuple[str, str], dict[str, Decimal]] = {}
    for point in report.monthly:
        values.setdefault((point.partner, point.currency), {})[point.month] = point.value
    rows = {}
    for key, by_month in values.items():
        amounts = [by_month.get(m, Decimal(0)) for m in report.months]
        rows[key] = [*amounts, sum(amounts, Decimal(0))]
    return _wide(
        "Value of orders by month and partner",
        [*report.months, "total"],
        rows,
        width,
        "No orders in this fiscal year.",
    )


def _balance_section(report: AnnualReport, width: float) -> list[Flowable]:
    days: list[date] = sorted({p.day for p in report.balances})
    values: dict[tuple[str, str], dict[date, Decimal]] = {}
    for point in report.balances:
        values.setdefault((point.partner, point.currency), {})[point.day] = point.balance
    rows = {key: [by_day.get(d, Decimal(0)) for d in days] for key, by_day in values.items()}
    return _wide(
        f"Balance with each partner at month end (owed to {report.nation} +, by it -)",
        [d.isoformat() for d in days],
        rows,
        width,
        "No debts in the books during this fiscal year.",
    )


def _charts_section(charts: Sequence[Chart], width: float, height: float) -> list[Flowable]:
    """The charts, two to a page (each carries its own title)."""
    if not charts:
        return []
    story: list[Flowable] = [PageBreak(), para("Charts", "heading")]
    for chart in charts:
        image = scaled_image(chart.path, width)
        most = height * 0.44
        if image.drawHeight > most:
            image = scaled_image(chart.path, width * most / image.drawHeight)
        story.extend([image, Spacer(1, 3 * mm)])
    return story
