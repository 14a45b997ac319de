"""Charts of the annual report as PNG files, drawn with matplotlib's Agg canvas (no display):
the value of orders per month stacked by partner, and the balance with each partner at every
month end. One chart per currency: amounts in different currencies never share an axis.

Every word of a chart (title, axes, legend, months) is in the reader's language; a Japanese
chart is written in the Japanese font (``acsa.adapters.exports.fonts``), registered with
matplotlib's font manager and named on each text, so no global setting changes."""

from __future__ import annotations

import io
from collections import defaultdict
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from functools import cache
from pathlib import Path
from typing import Any

from matplotlib import font_manager
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure
from matplotlib.ticker import FuncFormatter

from acsa.adapters.exports.chart_cache import DPI, SIZE
from acsa.adapters.exports.fonts import japanese_font_path
from acsa.domain.messages import t
from acsa.i18n import DEFAULT, Formats, say
from acsa.schemas.reports import AnnualReport

MONTHLY_TITLE = t("{nation} {year}: value of orders by month and partner ({currency})")
BALANCE_TITLE = t("{nation} {year}: balance with each partner at month end ({currency})")
VALUE_AXIS = t("value ({currency})")
BALANCE_AXIS = t("owed to {nation} (+) / by {nation} (-), {currency}")
LEGEND = t("Partner")


@dataclass(frozen=True, slots=True)
class Chart:
    """A chart written to ``path``, with the title it carries."""

    path: Path
    title: str
    kind: str
    currency: str


@dataclass(frozen=True, slots=True)
class Drawn:
    """A chart drawn, not yet written: its kind (monthly, balance), currency, title, figure."""

    kind: str
    currency: str
    title: str
    figure: Figure


def write_charts(
    report: AnnualReport,
    directory: Path,
    stem: str,
    progress: Callable[[int, int], None] | None = None,
    lang: str = DEFAULT,
) -> list[Chart]:
    """Every chart of the report in ``lang``, written into ``directory`` (made if missing) as
    ``<stem>-<kind>-<CCY>.png``; ``progress(done, total)`` hears of each currency drawn."""
    directory.mkdir(parents=True, exist_ok=True)
    charts: list[Chart] = []
    for done, currency in enumerate(report.currencies, start=1):
        for drawn in _drawn(report, currency, lang):
            path = directory / f"{stem}-{drawn.kind}-{currency}.png"
            drawn.figure.savefig(path, format="png")
            charts.append(Chart(path, drawn.title, drawn.kind, currency))
        if progress is not None:
            progress(done, len(report.currencies))
    return charts


def draw_charts(report: AnnualReport, lang: str = DEFAULT) -> list[Drawn]:
    """Every chart of the report in ``lang``, drawn (to be saved in any format)."""
    return [drawn for currency in report.currencies for drawn in _drawn(report, currency, lang)]


def render_chart(
    report: AnnualReport, kind: str, currency: str, lang: str = DEFAULT, fmt: str = "png"
) -> bytes | None:
    """One chart of the report (``monthly`` or ``balance`` of ``currency``) in ``lang`` as
    ``fmt`` (png, svg) bytes, the same as ``write_charts`` writes; None if the report has no
    such chart. Only that chart is drawn."""
    drawn = _draw(report, kind, currency, lang)
    if drawn is None:
        return None
    out = io.BytesIO()
    drawn.figure.savefig(out, format=fmt)
    return out.getvalue()


def _drawn(report: AnnualReport, currency: str, lang: str) -> Iterator[Drawn]:
    for kind in ("monthly", "balance"):
        drawn = _draw(report, kind, currency, lang)
        if drawn is not None:
            yield drawn


def _draw(report: AnnualReport, kind: str, currency: str, lang: str) -> Drawn | None:
    words = {"nation": report.nation, "year": report.fiscal_year, "currency": currency}
    if kind == "monthly":
        monthly = _monthly_series(report, currency)
        if not monthly:
            return None
        title = say(MONTHLY_TITLE, lang, words)
        months = [_month_label(month, lang) for month in report.months]
        figure = _monthly_chart(months, monthly, title, currency, lang)
        return Drawn("monthly", currency, title, figure)
    balances = _balance_series(report, currency) if kind == "balance" else {}
    if not balances:
        return None
    title = say(BALANCE_TITLE, lang, words)
    figure = _balance_chart(balances, title, currency, report.nation, lang)
    return Drawn("balance", currency, title, figure)


@cache
def japanese_family() -> str:
    """The family name of the Japanese font, registered with matplotlib's font manager."""
    path = str(japanese_font_path())
    font_manager.fontManager.addfont(path)
    return str(font_manager.FontProperties(fname=path).get_name())


#: The font of a chart in English: matplotlib's own (importing the Japanese font's package
#: makes the Japanese font everyone's default, so each text names its font).
LATIN = "DejaVu Sans"


def _font(lang: str) -> dict[str, Any]:
    """The text properties every text of a chart in ``lang`` takes: the Japanese font for
    Japanese (it has the Latin letters and digits too), matplotlib's own otherwise."""
    return {"fontfamily": japanese_family() if lang == "ja" else LATIN}


def _month_label(month: str, lang: str) -> str:
    """``2026-04`` as a reader of ``lang`` writes a month: 2026-04, 2026年4月."""
    if lang != "ja":
        return month
    year, _, number = month.partition("-")
    return f"{int(year)}年{int(number)}月" if year.isdigit() and number.isdigit() else month


def _day_label(day: date, lang: str) -> str:
    return Formats(lang).day(day) if lang == "ja" else day.isoformat()


def _monthly_series(report: AnnualReport, currency: str) -> dict[str, list[Decimal]]:
    """Per partner, the value of each month of the year (in ``report.months`` order)."""
    series: dict[str, dict[str, Decimal]] = defaultdict(dict)
    for point in report.monthly:
        if point.currency == currency:
            series[point.partner][point.month] = point.value
    return {
        partner: [values.get(month, Decimal(0)) for month in report.months]
        for partner, values in sorted(series.items())
    }


def _balance_series(report: AnnualReport, currency: str) -> dict[str, list[tuple[date, Decimal]]]:
    series: dict[str, list[tuple[date, Decimal]]] = defaultdict(list)
    for point in report.balances:
        if point.currency == currency:
            series[point.partner].append((point.day, point.balance))
    return {partner: sorted(points) for partner, points in sorted(series.items())}


def _figure() -> Figure:
    figure = Figure(figsize=SIZE, dpi=DPI)
    figure.subplots_adjust(left=0.12, right=0.98, top=0.92, bottom=0.2)
    FigureCanvasAgg(figure)
    return figure


def _grouped(value: float, _position: object) -> str:
    return f"{value:,.0f}"


def _monthly_chart(
    months: list[str],
    series: dict[str, list[Decimal]],
    title: str,
    currency: str,
    lang: str,
) -> Figure:
    """Stacked bars: one bar per month, one segment per partner."""
    font = _font(lang)
    figure = _figure()
    axes = figure.subplots()
    positions = list(range(len(months)))
    bottom = [0.0] * len(months)
    for partner, values in series.items():
        heights = [float(v) for v in values]  # matplotlib plots floats; the report keeps Decimal
        axes.bar(positions, heights, bottom=bottom, label=partner, width=0.7)
        bottom = [b + h for b, h in zip(bottom, heights, strict=True)]
    axes.set_xticks(positions, months, rotation=45, ha="right", **font)
    axes.set_ylabel(say(VALUE_AXIS, lang, {"currency": currency}), **font)
    axes.yaxis.set_major_formatter(FuncFormatter(_grouped))
    axes.set_title(title, **font)
    axes.grid(axis="y", alpha=0.3)
    _legend(axes, lang)
    return figure


def _balance_chart(
    series: dict[str, list[tuple[date, Decimal]]],
    title: str,
    currency: str,
    nation: str,
    lang: str,
) -> Figure:
    """One line per partner through the month ends; above zero the partner owes the nation."""
    font = _font(lang)
    figure = _figure()
    axes = figure.subplots()
    days = sorted({day for points in series.values() for day, _ in points})
    positions = {day: i for i, day in enumerate(days)}
    for partner, points in series.items():
        xs = [positions[day] for day, _ in points]
        axes.plot(xs, [float(v) for _, v in points], marker="o", label=partner)
    axes.axhline(0, color="black", linewidth=0.8)
    labels = [_day_label(d, lang) for d in days]
    axes.set_xticks(range(len(days)), labels, rotation=45, ha="right", **font)
    axes.set_ylabel(say(BALANCE_AXIS, lang, {"nation": nation, "currency": currency}), **font)
    axes.yaxis.set_major_formatter(FuncFormatter(_grouped))
    axes.set_title(title, **font)
    axes.grid(alpha=0.3)
    _legend(axes, lang)
    return figure


def _legend(axes: Any, lang: str) -> None:
    """The partners' legend, its title and names in the chart's font; the numbers of the
    axes too."""
    family = _font(lang)["fontfamily"]
    axes.tick_params(labelfontfamily=family)
    properties = {"family": family}
    axes.legend(
        title=say(LEGEND, lang),
        loc="best",
        prop=properties,
        title_fontproperties=properties,
    )
