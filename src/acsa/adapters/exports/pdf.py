"""The annual report as a PDF (reportlab): title, what it covers, every table, the charts.

Also the pieces the order form and the reconciliation statement share: the fonts (DejaVu
Sans, shipped with matplotlib, so names in any Latin, Greek or Cyrillic script print; for a
Japanese reader IPAexGothic, embedded as a subset of the glyphs used), the paragraph styles,
the table style, and columns sized from what they hold so that no number is ever broken
across lines.
"""

from __future__ import annotations

import re
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
from reportlab.lib.textsplit import ALL_CANNOT_START
from reportlab.lib.units import mm
from reportlab.pdfbase import pdfmetrics
from reportlab.pdfbase.pdfmetrics import stringWidth
from reportlab.pdfbase.ttfonts import TTFont
from reportlab.platypus import (
    Flowable as BaseFlowable,
)
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

from acsa.adapters.exports.fonts import JAPANESE, japanese_font_path
from acsa.adapters.exports.formats import (
    FIGURE_COLUMNS,
    MONEY_COLUMNS,
    View,
    figure_cells,
    figure_views,
    heading,
    key_label,
    nation_name,
    term_text,
)
from acsa.adapters.exports.text import clean
from acsa.domain.messages import t
from acsa.domain.money import amount_text
from acsa.i18n import gettext, say
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
#: The smallest font a table's numbers are set in so that they stay on one line in their
#: columns (``fitted_columns``); a number longer still is set smaller in its own cell, down to
#: NUMBER_CELL_SIZE_MIN, rather than ever wrap.
NUMBER_SIZE_MIN = 3.5
NUMBER_CELL_SIZE_MIN = 2.5


@cache
def fonts(lang: str = "en") -> tuple[str, str]:
    """Register the fonts of ``lang`` once; their names (regular, bold) for styles: DejaVu
    Sans for English, IPAexGothic (one weight, embedded as a subset) for Japanese."""
    if lang == "ja":
        pdfmetrics.registerFont(TTFont(JAPANESE, str(japanese_font_path())))
        return JAPANESE, JAPANESE
    spec = find_spec("matplotlib")  # its fonts, without loading matplotlib itself
    assert spec is not None, "matplotlib is a dependency"
    assert spec.origin is not None
    directory = Path(spec.origin).parent / "mpl-data" / "fonts" / "ttf"
    pdfmetrics.registerFont(TTFont(FONT, str(directory / "DejaVuSans.ttf")))
    pdfmetrics.registerFont(TTFont(BOLD, str(directory / "DejaVuSans-Bold.ttf")))
    pdfmetrics.registerFontFamily(FONT, normal=FONT, bold=BOLD, italic=FONT, boldItalic=BOLD)
    return FONT, BOLD


@cache
def styles(lang: str = "en") -> dict[str, ParagraphStyle]:
    """Paragraph styles of ``lang``: title, heading, body, small, cell and right-aligned
    cell."""
    regular, bold = fonts(lang)
    found = {
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
    if lang == "ja":
        # Japanese has no spaces between words: any character may end a line (but for
        # the numbers and Latin words, which ``lined`` keeps whole).
        for name, style in found.items():
            found[name] = ParagraphStyle(f"{name}-ja", parent=style, wordWrap="CJK")
    return found


def lang_of(style: ParagraphStyle) -> str:
    """The language a style was made for (``styles``)."""
    return "ja" if style.fontName == JAPANESE else "en"


#: Characters of scripts written without spaces between words (CJK ideographs, kana, fullwidth
#: forms): a line may break before or after each of them.
_WIDE = "\u2e80-\u9fff\uf900-\ufaff\ufe30-\ufe4f\uff00-\uffef"
_TOKENS = re.compile(f"[{_WIDE}]|\\s+|[^\\s{_WIDE}]+")


def broken_lines(text: str, width: float, font: str, size: float) -> list[str]:
    """``text`` broken into lines at most ``width`` points wide: between two wide (CJK)
    characters or at a space, never inside a number or a Latin word (a word wider than the
    line stands alone on its line); a character that may not start a line (``。``, ``、``)
    hangs at the end of the line before."""
    lines: list[str] = []
    line, used = "", 0.0
    for token in _TOKENS.findall(text):
        wide = stringWidth(token, font, size)
        if token.isspace():
            if line and used + wide <= width:
                line, used = line + " ", used + wide
            elif line:
                lines.append(line.rstrip())
                line, used = "", 0.0
            continue
        if line and used + wide > width and token not in ALL_CANNOT_START:
            lines.append(line.rstrip())
            line, used = "", 0.0
        line, used = line + token, used + wide
    if line.strip() or not lines:
        lines.append(line.rstrip())
    return lines


class LinedParagraph(BaseFlowable):  # type: ignore[misc]
    """A paragraph of Japanese text, broken into lines for the width it is given
    (``broken_lines``), so that a number or a Latin word in it is never split."""

    def __init__(self, text: str, style: ParagraphStyle) -> None:
        super().__init__()
        self.text = text
        self.style = style
        self._inner: Any = None
        self._width = -1.0

    def _para(self, width: float) -> Any:
        if self._inner is None or width != self._width:
            usable = width - self.style.leftIndent - self.style.rightIndent - 1
            lines = broken_lines(self.text, usable, self.style.fontName, self.style.fontSize)
            self._inner = Paragraph("<br/>".join(escape(line) for line in lines), self.style)
            self._width = width
        return self._inner

    def wrap(self, available_width: float, available_height: float) -> tuple[float, float]:
        inner = self._para(available_width)
        found: tuple[float, float] = inner.wrap(available_width, available_height)
        self.width, self.height = found
        return found

    def split(self, available_width: float, available_height: float) -> list[Any]:
        parts: list[Any] = self._para(available_width).split(available_width, available_height)
        return parts

    def draw(self) -> None:
        self._inner.drawOn(self.canv, 0, 0)

    def getSpaceBefore(self) -> float:  # noqa: N802 - reportlab's name
        return float(self.style.spaceBefore)

    def getSpaceAfter(self) -> float:  # noqa: N802 - reportlab's name
        return float(self.style.spaceAfter)


def paragraph(text: str, style: ParagraphStyle) -> Flowable:
    """A paragraph of ``text`` (already cleaned) in ``style``: Japanese text broken into lines
    by ``broken_lines``, other text by reportlab at its spaces."""
    if lang_of(style) == "ja":
        return LinedParagraph(text, style)
    return Paragraph(escape(text), style)


def escape(text: str) -> str:
    """Text safe inside a reportlab paragraph (which reads a little XML)."""
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def para(text: str, style: str = "body", lang: str = "en") -> Flowable:
    """A paragraph of any stored text in the fonts of ``lang``: control characters shown as
    U+FFFD, cut visibly past PARAGRAPH_CHARS_MAX characters."""
    return paragraph(clean(text, PARAGRAPH_CHARS_MAX, multiline=False), styles(lang)[style])


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
    return paragraph(cell_text(text, width, style.fontSize), style)


def number_cell(text: str, width: float | None, style: ParagraphStyle) -> Flowable:
    """A cell holding a number (an amount, a quantity, a count): never wrapped, so never
    broken mid-number; a number wider than its column is set smaller until it fits."""
    shown = clean(text, 64, multiline=False)
    size = style.fontSize
    if width is not None:
        usable = width - CELL_PADDING
        wide = stringWidth(shown, style.fontName, size)
        if wide > usable > 0:
            size = max(size * usable / wide, NUMBER_CELL_SIZE_MIN)
    fitted = ParagraphStyle(
        f"{style.name}-number-{size:.2f}",
        parent=style,
        fontSize=size,
        leading=style.leading if size == style.fontSize else size + 1.5,
        splitLongWords=0,
        wordWrap=None,
    )
    return Paragraph(escape(shown), fitted)


def data_table(
    headings: Sequence[str],
    rows: Sequence[Sequence[str]],
    numeric: Sequence[int] = (),
    widths: Sequence[float] | None = None,
    header_size: float = 7.5,
    size: float = 7.5,
    lang: str = "en",
) -> Flowable:
    """A table with a dark header row repeated on each page, striped rows, and the ``numeric``
    columns right-aligned. Cells wrap inside their column, and any text is cut visibly to what
    its cell holds (``cell_text``); numbers never wrap (``number_cell``); ``size`` is the
    cells' font size; ``lang`` the fonts' language."""
    style = styles(lang)
    right = set(numeric)
    header_style = _sized(style["cell_header"], header_size)
    left_style, right_style = _sized(style["cell"], size), _sized(style["cell_right"], size)
    header = [paragraph(h, header_style) for h in headings]
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
    table.setStyle(table_style(lang))
    return table


def _sized(style: ParagraphStyle, size: float) -> ParagraphStyle:
    if size == style.fontSize:
        return style
    return ParagraphStyle(f"{style.name}-{size}", parent=style, fontSize=size, leading=size + 1.5)


def table_style(lang: str = "en") -> Any:
    _regular, bold = fonts(lang)
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


def footer(text: str, lang: str = "en") -> Any:
    """A page callback writing ``text`` and the page number at the foot of each page."""

    def draw(canvas: Any, doc: Any) -> None:
        regular, _bold = fonts(lang)
        canvas.saveState()
        canvas.setFont(regular, 7)
        canvas.setFillColor(colors.grey)
        canvas.drawString(doc.leftMargin, 7 * mm, text)
        page = say(t("page {page}"), lang, {"page": canvas.getPageNumber()})
        canvas.drawRightString(doc.pagesize[0] - doc.rightMargin, 7 * mm, page)
        canvas.restoreState()

    return draw


def scaled_image(path: Path, width: float) -> Flowable:
    """A PNG scaled to ``width`` points, keeping its proportions."""
    image = Image(str(path))
    ratio = width / image.imageWidth
    image.drawWidth, image.drawHeight = width, image.imageHeight * ratio
    return image


# --- columns sized from their content ---------------------------------------------------------

#: The narrowest a column of text is made (it wraps inside), in points.
TEXT_COLUMN_MIN = 14 * mm
#: Room for rounding between a measured width and reportlab's own layout, in points.
WIDTH_SLACK = 2.0


def _longest(texts: Sequence[str], font: str, size: float) -> float:
    return max((stringWidth(text, font, size) for text in texts), default=0.0)


def fitted_columns(
    headings: Sequence[str],
    rows: Sequence[Sequence[str]],
    numeric: Sequence[int],
    width: float,
    size: float,
    lang: str = "en",
    fixed: dict[int, float] | None = None,
) -> tuple[list[float], float]:
    """Column widths for a table ``width`` points wide, measured from what the columns hold
    (reportlab's ``stringWidth``), and the font size to set its cells in: each ``numeric``
    column as wide as its widest number (so that no number wraps), each ``fixed`` column as
    given, the text columns sharing the rest by their natural widths (none narrower than
    TEXT_COLUMN_MIN). When the numbers do not fit at ``size``, the size shrinks until they
    do (down to NUMBER_SIZE_MIN; below that ``number_cell`` shrinks a number of its own)."""
    fixed = fixed or {}
    numbers = [i for i in numeric if i not in fixed]
    texts = [i for i in range(len(headings)) if i not in numbers and i not in fixed]
    room = width - sum(fixed.values()) - TEXT_COLUMN_MIN * len(texts)
    fitted = size
    needed = _number_widths(headings, rows, numbers, fitted, lang)
    padding = (CELL_PADDING + WIDTH_SLACK) * len(numbers)
    if sum(needed.values()) > room > padding:
        # The text's width scales with the size; the cells' padding does not.
        scale = (room - padding) / (sum(needed.values()) - padding)
        fitted = max(size * scale, NUMBER_SIZE_MIN)
        needed = _number_widths(headings, rows, numbers, fitted, lang)
    widths = [0.0] * len(headings)
    for i, wide in [*fixed.items(), *needed.items()]:
        widths[i] = wide
    left = width - sum(widths)
    shares = _text_widths(rows, texts, left, fitted, lang)
    for i, wide in shares.items():
        widths[i] = wide
    spare = width - sum(widths)
    if numbers and spare > 0 and sum(shares.values()) <= left:
        # Every text fits on its line: the numbers share the rest (a table reads better
        # without one wide, mostly empty column).
        for i in numbers:
            widths[i] += spare / len(numbers)
    elif texts and spare != 0:
        widest = max(texts, key=lambda i: widths[i])
        widths[widest] = max(TEXT_COLUMN_MIN, widths[widest] + spare)
    if sum(widths) > width:
        # Numbers too long even at the smallest size: the table still keeps to the page
        # (``number_cell`` sets each such number smaller still, on one line).
        widths = [w * width / sum(widths) for w in widths]
    return widths, fitted


def _number_widths(
    headings: Sequence[str],
    rows: Sequence[Sequence[str]],
    numbers: list[int],
    size: float,
    lang: str,
) -> dict[int, float]:
    """What each number column needs at ``size``: its widest number or heading word."""
    font, bold = fonts(lang)
    return {
        i: max(
            _longest([row[i] for row in rows], font, size),
            _longest(headings[i].split(), bold, size),
        )
        + CELL_PADDING
        + WIDTH_SLACK
        for i in numbers
    }


def _text_widths(
    rows: Sequence[Sequence[str]], texts: list[int], left: float, size: float, lang: str
) -> dict[int, float]:
    """The text columns' widths: what each needs on one line where ``left`` holds them all,
    else ``left`` shared by those needs (none narrower than TEXT_COLUMN_MIN)."""
    font, _bold = fonts(lang)
    natural = {
        i: max(_longest([row[i] for row in rows], font, size) + CELL_PADDING, TEXT_COLUMN_MIN)
        for i in texts
    }
    total = sum(natural.values())
    if total <= left:
        return natural
    return {i: max(TEXT_COLUMN_MIN, left * natural[i] / total) for i in texts}


def fitted_table(
    headings: Sequence[str],
    rows: Sequence[Sequence[str]],
    numeric: Sequence[int],
    width: float,
    size: float = 7.5,
    lang: str = "en",
    fixed: dict[int, float] | None = None,
) -> Flowable:
    """A ``data_table`` whose columns are sized from their content (``fitted_columns``)."""
    widths, fitted = fitted_columns(headings, rows, numeric, width, size, lang, fixed)
    return data_table(
        headings,
        rows,
        numeric=numeric,
        widths=widths,
        header_size=min(size, fitted + 0.5),
        size=fitted,
        lang=lang,
    )


# --- the annual report ------------------------------------------------------------------------


def write_pdf(
    report: AnnualReport, path: Path, charts: Sequence[Chart] = (), lang: str = "en"
) -> Path:
    """Write the annual report as a landscape A4 PDF to ``path``, in ``lang``."""
    title = say(
        t("Annual report of support: {nation}, {year}"),
        lang,
        {"nation": nation_name(report.nation, lang), "year": report.fiscal_year},
    )
    doc = SimpleDocTemplate(
        str(path),
        pagesize=landscape(A4),
        leftMargin=MARGIN,
        rightMargin=MARGIN,
        topMargin=MARGIN,
        bottomMargin=MARGIN + 3 * mm,
        title=title,
        author="acsa",
        lang=lang,
    )
    story: list[Flowable] = [para(title, "title", lang), *_about(report, lang)]
    for view in figure_views(report):
        story.extend(_figure_section(view, doc.width, lang))
    story.extend(_monthly_section(report, doc.width, lang))
    story.extend(_balance_section(report, doc.width, lang))
    story.extend(_charts_section(charts, doc.width, doc.height, lang))
    mark = say(
        t("acsa: annual report {nation} {year}"),
        lang,
        {"nation": report.nation, "year": report.fiscal_year},
    )
    draw = footer(mark, lang)
    doc.build(story, onFirstPage=draw, onLaterPages=draw)
    return path


def _about(report: AnnualReport, lang: str) -> list[Flowable]:
    left_out = ", ".join(f"{term_text(status, lang)} {n}" for status, n in report.excluded.items())
    return [
        para(
            say(
                t(
                    "Fiscal year {year}: {start} to {end}. Orders in the report: {orders} "
                    "(the nation requested or supplied them, dated in the year; left out: "
                    "{left_out})."
                ),
                lang,
                {
                    "year": report.fiscal_year,
                    "start": report.start,
                    "end": report.end,
                    "orders": f"{report.orders:,}",
                    "left_out": left_out,
                },
            ),
            "body",
            lang,
        ),
        para(
            gettext(
                lang,
                t(
                    "Values are the quantities accepted (requested, before acceptance) at the "
                    "unit prices, per currency: amounts in different currencies are never added "
                    "together. Provided: the nation supplied; received: it requested. Settled "
                    "and open are the books on the last day of the year, at the quantities "
                    "received: settled is what was paid or settled in kind, open what is still "
                    "owed in cash or in kind."
                ),
            ),
            "small",
            lang,
        ),
        para(
            say(t("Generated {at}."), lang, {"at": report.generated_at}),
            "small",
            lang,
        ),
    ]


def _figure_section(view: View, width: float, lang: str) -> list[Flowable]:
    headings = [heading(view.key_heading, lang), *(heading(h, lang) for h in FIGURE_COLUMNS)]
    rows = [
        [key_label(view.name, figure.key, lang), *_cells(figure_cells(figure), figure.currency)]
        for figure in view.figures
    ]
    title = para(heading(view.title, lang), "heading", lang)
    if not rows:
        return [title, para(gettext(lang, t("No orders in this fiscal year.")), "body", lang)]
    table = fitted_table(headings, rows, numeric=range(2, len(headings)), width=width, lang=lang)
    return [KeepTogether([title, table])] if len(rows) < 20 else [title, table]


def _cells(cells: Sequence[str | int | Decimal], currency: str) -> list[str]:
    texts: list[str] = []
    for column, cell in zip(FIGURE_COLUMNS, cells, strict=True):
        if column in MONEY_COLUMNS and isinstance(cell, Decimal):
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
    lang: str,
) -> list[Flowable]:
    """Partners down, periods across; amounts in the row's currency."""
    shown = para(title, "heading", lang)
    if not rows:
        return [shown, para(empty, "body", lang)]
    body = [
        [partner, currency, *(amount_text(v, currency) for v in values)]
        for (partner, currency), values in sorted(rows.items())
    ]
    headings = [heading(t("partner"), lang), heading(t("currency"), lang), *columns]
    table = fitted_table(
        headings, body, numeric=range(2, len(headings)), width=width, size=7.0, lang=lang
    )
    return [KeepTogether([shown, table])]


def _monthly_section(report: AnnualReport, width: float, lang: str) -> list[Flowable]:
    values: dict[tuple[str, str], dict[str, Decimal]] = {}
    for point in report.monthly:
        values.setdefault((point.partner, point.currency), {})[point.month] = point.value
    rows = {}
    for key, by_month in values.items():
        amounts = [by_month.get(m, Decimal(0)) for m in report.months]
        rows[key] = [*amounts, sum(amounts, Decimal(0))]
    return _wide(
        gettext(lang, t("Value of orders by month and partner")),
        [*report.months, heading(t("total"), lang)],
        rows,
        width,
        gettext(lang, t("No orders in this fiscal year.")),
        lang,
    )


def _balance_section(report: AnnualReport, width: float, lang: str) -> list[Flowable]:
    days: list[date] = sorted({p.day for p in report.balances})
    values: dict[tuple[str, str], dict[date, Decimal]] = {}
    for point in report.balances:
        values.setdefault((point.partner, point.currency), {})[point.day] = point.balance
    rows = {key: [by_day.get(d, Decimal(0)) for d in days] for key, by_day in values.items()}
    return _wide(
        say(
            t("Balance with each partner at month end (owed to {nation} +, by it -)"),
            lang,
            {"nation": report.nation},
        ),
        [d.isoformat() for d in days],
        rows,
        width,
        gettext(lang, t("No debts in the books during this fiscal year.")),
        lang,
    )


def _charts_section(
    charts: Sequence[Chart], width: float, height: float, lang: str
) -> list[Flowable]:
    """The charts, two to a page (each carries its own title)."""
    if not charts:
        return []
    story: list[Flowable] = [PageBreak(), para(gettext(lang, t("Charts")), "heading", lang)]
    for chart in charts:
        image = scaled_image(chart.path, width)
        most = height * 0.44
        if image.drawHeight > most:
            image = scaled_image(chart.path, width * most / image.drawHeight)
        story.extend([image, Spacer(1, 3 * mm)])
    return story
