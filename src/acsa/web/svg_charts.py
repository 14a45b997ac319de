"""The annual report's charts as inline SVG, laid out here in plain Python and written by the
template (``_svg_charts.html``): the value of orders per month stacked by partner, and the
balance with each partner at every month end, one chart per currency, from the figures the
report already holds. A page with charts costs no drawing library and no extra request; the
PNG and PDF charts of the downloads are still matplotlib's (``acsa.adapters.exports.charts``).

Every word (title, axes, months) is in the reader's language through the message catalogue;
every amount is written to its currency's decimals (``acsa.domain.money.amount_text``). Each
bar and point carries its partner, period and exact value (``data-*`` and a ``<title>``), and
the page keeps the figures as a table beside the chart."""

from __future__ import annotations

import threading
from collections import OrderedDict, defaultdict
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import date
from decimal import Decimal

from markupsafe import Markup

from acsa.domain.messages import t
from acsa.domain.money import amount_text, money_text, quantum
from acsa.i18n import Formats, say
from acsa.schemas.reports import AnnualReport, MonthlyValue

# The same message ids as the PNG charts': one translation for both.
MONTHLY_TITLE = t("{nation} {year}: value of orders by month and partner ({currency})")
BALANCE_TITLE = t("{nation} {year}: balance with each partner at month end ({currency})")
VALUE_AXIS = t("value ({currency})")
BALANCE_AXIS = t("owed to {nation} (+) / by {nation} (-), {currency}")
MONTHLY_SUMMARY = t(
    "Value of orders by month and partner ({currency}); the figures are in the table below."
)
BALANCE_SUMMARY = t(
    "Balance with each partner at month end ({currency}); the figures are in the table below."
)

#: The drawing's box (the SVG scales to its column: at a tablet's width it is about 1:1).
WIDTH, HEIGHT = 720, 360
LEFT, RIGHT, TOP, BOTTOM = 92, 12, 14, 70
#: Ticks of the value axis, about.
TICKS = 5
#: Colours of the partners, in turn (matplotlib's "tab10", so the PNGs look alike).
PALETTE = (
    "#1f77b4",
    "#ff7f0e",
    "#2ca02c",
    "#d62728",
    "#9467bd",
    "#8c564b",
    "#e377c2",
    "#7f7f7f",
    "#bcbd22",
    "#17becf",
)
ZERO = Decimal(0)


@dataclass(frozen=True, slots=True)
class Tick:
    """A line across the plot at ``y`` for ``value``, labelled ``text``."""

    y: float
    value: Decimal
    text: str


@dataclass(frozen=True, slots=True)
class Label:
    """A period's name under the plot, centred on ``x``."""

    x: float
    text: str


@dataclass(frozen=True, slots=True)
class Bar:
    """One partner's part of one month's bar."""

    x: float
    y: float
    width: float
    height: float
    partner: str
    period: str
    value: Decimal
    colour: str
    title: str


@dataclass(frozen=True, slots=True)
class Point:
    """One partner's balance at one month end."""

    x: float
    y: float
    partner: str
    period: str
    value: Decimal
    title: str


@dataclass(frozen=True, slots=True)
class Series:
    """One partner's line through its points."""

    partner: str
    colour: str
    points: tuple[Point, ...]

    @property
    def path(self) -> str:
        return " ".join(f"{p.x:.1f},{p.y:.1f}" for p in self.points)


@dataclass(frozen=True, slots=True)
class SvgChart:
    """A chart laid out in a ``WIDTH`` x ``HEIGHT`` box, every text in the reader's language."""

    kind: str
    currency: str
    title: str
    summary: str
    axis: str
    ticks: tuple[Tick, ...]
    labels: tuple[Label, ...]
    bars: tuple[Bar, ...]
    series: tuple[Series, ...]
    partners: tuple[tuple[str, str], ...]
    zero_y: float
    width: int = WIDTH
    height: int = HEIGHT
    left: int = LEFT
    right: int = WIDTH - RIGHT
    top: int = TOP
    bottom: int = HEIGHT - BOTTOM

    @property
    def name(self) -> str:
        return f"{self.kind}-{self.currency}"


def month_label(month: str, lang: str) -> str:
    """``2026-04`` as a reader of ``lang`` writes a month: 2026-04, 2026年4月."""
    if lang != "ja":
        return month
    year, _, number = month.partition("-")
    return f"{int(year)}年{int(number)}月" if year.isdigit() and number.isdigit() else month


def nice_step(span: Decimal, least: Decimal) -> Decimal:
    """A round step (1, 2 or 5 times a power of ten, at least ``least``: the currency's
    minor unit) giving about ``TICKS`` ticks over ``span`` (positive)."""
    rough = span / TICKS
    power = Decimal(10) ** (rough.adjusted())
    for factor in (1, 2, 5, 10):
        step = power * factor
        if step >= rough:
            return max(step, least)
    return max(power * 10, least)


def _scale(low: Decimal, high: Decimal, currency: str) -> tuple[list[Decimal], Decimal, Decimal]:
    """Ticks from at most ``low`` to at least ``high`` (zero included), and the axis' ends."""
    least = quantum(currency)
    low, high = min(low, ZERO), max(high, ZERO)
    if high == low:
        high = low + least * TICKS
    step = nice_step(high - low, least)
    first = (low / step).to_integral_value(rounding="ROUND_FLOOR") * step
    last = (high / step).to_integral_value(rounding="ROUND_CEILING") * step
    count = int((last - first) / step)
    return [first + step * i for i in range(count + 1)], first, last


class _Frame:
    """Where a value and a period go in the plot."""

    def __init__(self, low: Decimal, high: Decimal, periods: int) -> None:
        self.low, self.high = low, high
        self.slot = (WIDTH - RIGHT - LEFT) / max(periods, 1)

    def y(self, value: Decimal) -> float:
        share = float((value - self.low) / (self.high - self.low))
        return round(HEIGHT - BOTTOM - share * (HEIGHT - BOTTOM - TOP), 1)

    def x(self, index: int) -> float:
        return round(LEFT + self.slot * (index + 0.5), 1)


def _ticks(frame: _Frame, values: Sequence[Decimal], currency: str) -> tuple[Tick, ...]:
    return tuple(Tick(frame.y(v), v, amount_text(v, currency)) for v in values)


def _colours(partners: Sequence[str]) -> dict[str, str]:
    return {p: PALETTE[i % len(PALETTE)] for i, p in enumerate(partners)}


def _point_title(partner: str, period: str, value: Decimal, currency: str) -> str:
    return f"{partner} · {period}: {money_text(value, currency)}"


def monthly_chart(report: AnnualReport, currency: str, lang: str) -> SvgChart | None:
    """Stacked bars: one bar per month of the year, one part per partner; None if the report
    has no monthly figures in ``currency``."""
    return monthly_bars(
        report.nation, report.fiscal_year, report.months, report.monthly, currency, lang
    )


def monthly_bars(
    nation: str,
    year: str,
    months: Sequence[str],
    monthly: Sequence[MonthlyValue],
    currency: str,
    lang: str,
) -> SvgChart | None:
    """The monthly chart of ``nation``'s ``year`` from its figures (the annual report's
    ``monthly``, or the dashboard's): None if none is in ``currency``."""
    values: dict[str, dict[str, Decimal]] = defaultdict(dict)
    for point in monthly:
        if point.currency == currency:
            values[point.partner][point.month] = point.value
    if not values:
        return None
    partners = sorted(values)
    totals = [sum((values[p].get(m, ZERO) for p in partners), ZERO) for m in months]
    lows = [sum((min(values[p].get(m, ZERO), ZERO) for p in partners), ZERO) for m in months]
    ticks, low, high = _scale(min(lows, default=ZERO), max(totals, default=ZERO), currency)
    frame = _Frame(low, high, len(months))
    colours = _colours(partners)
    labels = [month_label(m, lang) for m in months]
    width = round(frame.slot * 0.7, 1)
    bars: list[Bar] = []
    for index, month in enumerate(months):
        base = ZERO
        for partner in partners:
            value = values[partner].get(month, ZERO)
            if not value:
                continue
            top, bottom = frame.y(base + value), frame.y(base)
            bars.append(
                Bar(
                    x=round(frame.x(index) - width / 2, 1),
                    y=min(top, bottom),
                    width=width,
                    height=round(abs(bottom - top), 1),
                    partner=partner,
                    period=month,
                    value=value,
                    colour=colours[partner],
                    title=_point_title(partner, labels[index], value, currency),
                )
            )
            base += value
    words = {"nation": nation, "year": year, "currency": currency}
    return SvgChart(
        kind="monthly",
        currency=currency,
        title=say(MONTHLY_TITLE, lang, words),
        summary=say(MONTHLY_SUMMARY, lang, {"currency": currency}),
        axis=say(VALUE_AXIS, lang, {"currency": currency}),
        ticks=_ticks(frame, ticks, currency),
        labels=tuple(Label(frame.x(i), text) for i, text in enumerate(labels)),
        bars=tuple(bars),
        series=(),
        partners=tuple(colours.items()),
        zero_y=frame.y(ZERO),
    )


def balance_chart(report: AnnualReport, currency: str, lang: str) -> SvgChart | None:
    """One line per partner through the month ends; above zero the partner owes the nation.
    None if the report has no balances in ``currency``."""
    found: dict[str, dict[date, Decimal]] = defaultdict(dict)
    for point in report.balances:
        if point.currency == currency:
            found[point.partner][point.day] = point.balance
    if not found:
        return None
    partners = sorted(found)
    days = sorted({day for points in found.values() for day in points})
    every = [v for points in found.values() for v in points.values()]
    ticks, low, high = _scale(min(every), max(every), currency)
    frame = _Frame(low, high, len(days))
    colours = _colours(partners)
    formats = Formats(lang)
    labels = [formats.day(d) if lang == "ja" else d.isoformat() for d in days]
    series = tuple(
        Series(
            partner,
            colours[partner],
            tuple(
                Point(
                    x=frame.x(index),
                    y=frame.y(found[partner][day]),
                    partner=partner,
                    period=day.isoformat(),
                    value=found[partner][day],
                    title=_point_title(partner, labels[index], found[partner][day], currency),
                )
                for index, day in enumerate(days)
                if day in found[partner]
            ),
        )
        for partner in partners
    )
    words = {"nation": report.nation, "year": report.fiscal_year, "currency": currency}
    return SvgChart(
        kind="balance",
        currency=currency,
        title=say(BALANCE_TITLE, lang, words),
        summary=say(BALANCE_SUMMARY, lang, {"currency": currency}),
        axis=say(BALANCE_AXIS, lang, {"nation": report.nation, "currency": currency}),
        ticks=_ticks(frame, ticks, currency),
        labels=tuple(Label(frame.x(i), text) for i, text in enumerate(labels)),
        bars=(),
        series=series,
        partners=tuple(colours.items()),
        zero_y=frame.y(ZERO),
    )


def report_charts(report: AnnualReport, lang: str) -> list[SvgChart]:
    """Every chart of the report in ``lang``: per currency, the monthly bars then the
    balances (as the PNG charts come)."""
    found: list[SvgChart] = []
    for currency in report.currencies:
        for draw in (monthly_chart, balance_chart):
            chart = draw(report, currency, lang)
            if chart is not None:
                found.append(chart)
    return found


#: Charts laid out and written kept at most (per report read and language).
WRITTEN_KEPT = 64


class WrittenCharts:
    """Each report's charts laid out and written as markup once per language: the page of a
    report already read writes no chart again. A report is known by its nation, year and the
    moment it was read (a report read again after a change is another). Bounded, least
    recently used first out; safe to share between threads."""

    def __init__(self, capacity: int = WRITTEN_KEPT) -> None:
        self.capacity = capacity
        self._items: OrderedDict[tuple[str, str, str, str], list[SvgChart]] = OrderedDict()
        self._markup: dict[tuple[str, str, str, str, str], Markup] = {}
        self._lock = threading.Lock()

    @staticmethod
    def key(report: AnnualReport, lang: str) -> tuple[str, str, str, str]:
        return (report.nation, report.fiscal_year, report.generated_at.isoformat(), lang)

    def charts(self, report: AnnualReport, lang: str) -> list[SvgChart]:
        """The report's charts in ``lang`` (laid out once)."""
        key = self.key(report, lang)
        with self._lock:
            found = self._items.get(key)
            if found is not None:
                self._items.move_to_end(key)
                return found
        made = report_charts(report, lang)
        with self._lock:
            self._items[key] = made
            while len(self._items) > self.capacity:
                gone, _ = self._items.popitem(last=False)
                self._markup = {k: v for k, v in self._markup.items() if k[:4] != gone}
        return made

    def html(
        self,
        report: AnnualReport,
        chart: SvgChart,
        lang: str,
        write: Callable[[SvgChart, str], Markup],
    ) -> Markup:
        """``chart`` of ``report`` as the page's macro ``write`` writes it (once)."""
        key = (*self.key(report, lang), chart.name)
        with self._lock:
            found = self._markup.get(key)
        if found is None:
            found = write(chart, f"chart-{chart.name}")
            with self._lock:
                if key[:4] in self._items:
                    self._markup[key] = found
        return found
