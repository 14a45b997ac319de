"""Charts of the annual report as PNG files, drawn with matplotlib's Agg canvas (no display):
the value of orders per month stacked by partner, and the balance with each partner at every
month end. One chart per currency: amounts in different currencies never share an axis."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from pathlib import Path

from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure
from matplotlib.ticker import FuncFormatter

from acsa.schemas.reports import AnnualReport

#: Size of every chart: 10 x 5 inches at 120 dots per inch.
SIZE = (10.0, 5.0)
DPI = 120


@dataclass(frozen=True, slots=True)
class Chart:
    """A chart written to ``path``, with the title it carries."""

    path: Path
    title: str
    kind: str
    currency: str


def write_charts(
    report: AnnualReport,
    directory: Path,
    stem: str,
    progress: Callable[[int, int], None] | None = None,
) -> list[Chart]:
    """Every chart of the report, written into ``directory`` (made if missing) as
    ``<stem>-<kind>-<CCY>.png``; ``progress(done, total)`` hears of each currency drawn."""
    directory.mkdir(parents=True, exist_ok=True)
    charts: list[Chart] = []
    for done, currency in enumerate(report.currencies, start=1):
        monthly = _monthly_series(report, currency)
        if monthly:
            path = directory / f"{stem}-monthly-{currency}.png"
            title = (
                f"{report.nation} {report.fiscal_year}: value of orders by month and partner "
                f"({currency})"
            )
            _monthly_chart(report.months, monthly, title, currency, path)
            charts.append(Chart(path, title, "monthly", currency))
        balances = _balance_series(report, currency)
        if balances:
            path = directory / f"{stem}-balance-{currency}.png"
            title = (
                f"{report.nation} {report.fiscal_year}: balance with each partner at month end "
                f"({currency})"
            )
            _balance_chart(balances, title, currency, report.nation, path)
            charts.append(Chart(path, title, "balance", currency))
        if progress is not None:
            progress(done, len(report.currencies))
    return charts


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
    path: Path,
) -> None:
    """Stacked bars: one bar per month, one segment per partner."""
    figure = _figure()
    axes = figure.subplots()
    positions = list(range(len(months)))
    bottom = [0.0] * len(months)
    for partner, values in series.items():
        heights = [float(v) for v in values]  # matplotlib plots floats; the report keeps Decimal
        axes.bar(positions, heights, bottom=bottom, label=partner, width=0.7)
        bottom = [b + h for b, h in zip(bottom, heights, strict=True)]
    axes.set_xticks(positions, months, rotation=45, ha="right")
    axes.set_ylabel(f"value ({currency})")
    axes.yaxis.set_major_formatter(FuncFormatter(_grouped))
    axes.set_title(title)
    axes.grid(axis="y", alpha=0.3)
    axes.legend(title="partner", loc="best")
    figure.savefig(path, format="png")


def _balance_chart(
    series: dict[str, list[tuple[date, Decimal]]],
    title: str,
    currency: str,
    nation: str,
    path: Path,
) -> None:
    """One line per partner through the month ends; above zero the partner owes the nation."""
    figure = _figure()
    axes = figure.subplots()
    days = sorted({day for points in series.values() for day, _ in points})
    positions = {day: i for i, day in enumerate(days)}
    for partner, points in series.items():
        xs = [positions[day] for day, _ in points]
        axes.plot(xs, [float(v) for _, v in points], marker="o", label=partner)
    axes.axhline(0, color="black", linewidth=0.8)
    axes.set_xticks(range(len(days)), [d.isoformat() for d in days], rotation=45, ha="right")
    axes.set_ylabel(f"owed to {nation} (+) / by {nation} (-), {currency}")
    axes.yaxis.set_major_formatter(FuncFormatter(_grouped))
    axes.set_title(title)
    axes.grid(alpha=0.3)
    axes.legend(title="partner", loc="best")
    figure.savefig(path, format="png")
