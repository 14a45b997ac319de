"""The annual report's charts laid out as SVG (acsa.web.svg_charts): a bar per partner and
month of the report's value, as tall as its value on the axis; amounts to the currency's
decimals (USD two, JPY none); every word in the reader's language; round ticks; and the page's
template writes it as an image named by its title."""

from __future__ import annotations

from datetime import UTC, date, datetime
from decimal import Decimal

from acsa.schemas.reports import AnnualReport, BalancePoint, MonthlyValue
from acsa.web import svg_charts
from acsa.web.render import make_environment
from acsa.web.svg_charts import balance_chart, monthly_chart, nice_step, report_charts

MONTHS = ["2026-04", "2026-05", "2026-06"]


def report(monthly: list[tuple[str, str, str, str]], balances: list[BalancePoint]) -> AnnualReport:
    values = [
        MonthlyValue(partner=p, month=m, currency=c, count=1, value=Decimal(v))
        for p, m, c, v in monthly
    ]
    return AnnualReport(
        nation="JPN",
        fiscal_year="FY2026",
        start=date(2026, 4, 1),
        end=date(2026, 6, 30),
        generated_at=datetime(2026, 7, 1, tzinfo=UTC),
        orders=len(values),
        excluded={},
        currencies=sorted({v.currency for v in values} | {b.currency for b in balances}),
        summary=[],
        by_partner=[],
        by_category=[],
        by_activity=[],
        settled_open=[],
        provided_received=[],
        months=MONTHS,
        monthly=values,
        balances=balances,
    )


def point(partner: str, day: date, balance: str) -> BalancePoint:
    amount = Decimal(balance)
    return BalancePoint(
        partner=partner,
        day=day,
        currency="USD",
        owed_to_us=max(amount, Decimal(0)),
        owed_by_us=max(-amount, Decimal(0)),
        balance=amount,
    )


USD = report(
    [
        ("AUS", "2026-04", "USD", "1234.5"),
        ("NZL", "2026-04", "USD", "765.5"),
        ("AUS", "2026-06", "USD", "3000"),
    ],
    [
        point("AUS", date(2026, 4, 30), "1234.50"),
        point("AUS", date(2026, 5, 31), "-250.25"),
        point("AUS", date(2026, 6, 30), "4234.50"),
    ],
)


def test_each_bar_is_a_partners_value_in_a_month_stacked_and_to_scale() -> None:
    chart = monthly_chart(USD, "USD", "en")
    assert chart is not None
    bars = [(b.partner, b.period, b.value) for b in chart.bars]
    assert bars == [
        ("AUS", "2026-04", Decimal("1234.5")),
        ("NZL", "2026-04", Decimal("765.5")),
        ("AUS", "2026-06", Decimal("3000")),
    ]
    aus, nzl, june = chart.bars
    assert nzl.y + nzl.height == aus.y  # NZL on top of AUS in April
    # heights in proportion to the values (to the tenth of a unit the layout rounds to)
    assert abs(june.height / (aus.height + nzl.height) - 3000 / 2000) < 0.01
    assert chart.ticks[0].text == "0.00"
    assert chart.ticks[-1].value >= 3000
    assert [t.text for t in chart.ticks] == sorted(
        {t.text for t in chart.ticks}, key=lambda x: Decimal(x.replace(",", ""))
    )
    assert aus.title == "AUS · 2026-04: 1,234.50 USD"
    assert chart.title == "JPN FY2026: value of orders by month and partner (USD)"
    assert chart.axis == "value (USD)"
    assert [label.text for label in chart.labels] == MONTHS


def test_balances_are_points_above_and_below_zero() -> None:
    chart = balance_chart(USD, "USD", "en")
    assert chart is not None
    (line,) = chart.series
    values = [p.value for p in line.points]
    assert values == [Decimal("1234.50"), Decimal("-250.25"), Decimal("4234.50")]
    assert line.points[1].y > chart.zero_y > line.points[0].y  # below zero is lower
    assert line.points[1].title == "AUS · 2026-05-31: -250.25 USD"
    assert chart.ticks[0].value < 0 < chart.ticks[-1].value


def test_japanese_words_and_months() -> None:
    chart = monthly_chart(USD, "USD", "ja")
    assert chart is not None
    assert chart.title == "JPN FY2026：月別・相手国別の発注額（USD）"
    assert chart.axis == "金額（USD）"
    assert chart.summary == "月別・相手国別の発注額（USD）のグラフ。数値は下の表にあります。"
    assert [label.text for label in chart.labels] == ["2026年4月", "2026年5月", "2026年6月"]
    balances = balance_chart(USD, "USD", "ja")
    assert balances is not None
    assert balances.axis == "JPNの債権（＋）／債務（－）、USD"
    assert balances.labels[0].text == "2026/04/30"


def test_yen_has_no_decimals_and_zero_figures_still_have_distinct_ticks() -> None:
    yen = report([("AUS", "2026-05", "JPY", "0")], [])
    chart = monthly_chart(yen, "JPY", "en")
    assert chart is not None
    texts = [t.text for t in chart.ticks]
    assert len(texts) == len(set(texts))
    assert all("." not in t for t in texts)
    assert chart.bars == ()  # nothing to stack
    assert nice_step(Decimal(7_300_000), Decimal(1)) == Decimal(2_000_000)
    assert nice_step(Decimal("0.01"), Decimal("0.01")) == Decimal("0.01")


def test_the_page_writes_an_image_named_by_its_title_and_summary() -> None:
    charts = report_charts(USD, "en")
    assert [(c.kind, c.currency) for c in charts] == [("monthly", "USD"), ("balance", "USD")]
    macro = make_environment("en").get_template("_svg_charts.html").module.svg_chart  # type: ignore[attr-defined]
    html = str(macro(charts[0], "chart-monthly-USD"))
    assert 'role="img"' in html
    assert 'aria-labelledby="chart-monthly-USD-title chart-monthly-USD-desc"' in html
    assert '<title id="chart-monthly-USD-title">' in html
    assert html.count('<rect class="bar"') == 3
    assert 'data-value="1234.5"' in html
    assert "<script" not in html
    assert "style=" not in html  # the pages' policy allows no inline style
    assert svg_charts.WIDTH == 720
