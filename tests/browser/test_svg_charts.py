"""The charts of the annual report and of the dashboard are inline SVG drawn by the server, in a
real Chromium over a real server: each bar and point is the report's figure (the API's annual
report of the same year), its tooltip writes the amount to the currency's decimals, the chart
is an image named in the page's language (its title and summary), it fits a tablet, and in
Japanese every word of it is Japanese. The PNG of each chart is still there as a link."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from playwright.sync_api import Page, ViewportSize, expect

from tests.browser.conftest import Site
from tests.browser.helpers import TOTAL, api, overflow, received_order, switch_language

TABLET: ViewportSize = {"width": 768, "height": 1024}
PARTS_JS = """
(els) => els.map((e) => [
  e.dataset.partner, e.dataset.period, e.dataset.value, e.querySelector('title').textContent,
  Number(e.getAttribute('height') || 0)
])
"""
TEXTS_JS = "(els) => els.map((e) => e.textContent.trim()).filter((t) => t)"


def parts(page: Page, selector: str) -> list[list[Any]]:
    found: list[list[Any]] = page.locator(selector).evaluate_all(PARTS_JS)
    return found


def chart(kind: str, currency: str = "JPY") -> str:
    return f"figure.svg-chart[data-kind={kind}][data-currency={currency}]"


def test_the_annual_reports_svg_charts_are_its_figures_in_english_and_japanese(
    site: Site,
) -> None:
    received_order(site)
    received_order(site, order_date="2026-11-02", needed_by="2026-11-09")
    report = api(site, "GET", "/reports/annual", "JPN-all", params={"fy": 2026}).json()
    page, _ = site.sign_in("JPN-all")
    page.set_viewport_size(TABLET)
    page.goto("/reports/annual?fy=2026")

    # The monthly bars: one per month with orders, of the report's value.
    bars = parts(page, f"{chart('monthly')} rect.bar")
    expected = sorted(
        (m["partner"], m["month"], Decimal(m["value"]))
        for m in report["monthly"]
        if m["currency"] == "JPY" and Decimal(m["value"])
    )
    assert sorted((p, m, Decimal(v)) for p, m, v, _t, _h in bars) == expected
    assert expected == [("AUS", "2026-10", TOTAL), ("AUS", "2026-11", TOTAL)]
    assert all(title == "AUS · " + m + ": 2,644,020 JPY" for _p, m, _v, title, _h in bars)
    assert all(h > 0 for *_rest, h in bars)
    # The balance line: a point at every month end, the report's balance.
    points = parts(page, f"{chart('balance')} circle.point")
    balances = sorted(
        (b["partner"], b["day"], Decimal(b["balance"]))
        for b in report["balances"]
        if b["currency"] == "JPY"
    )
    assert sorted((p, d, Decimal(v)) for p, d, v, _t, _h in points) == balances
    assert ("AUS", "2027-03-31", 2 * TOTAL) in balances
    # The value axis writes JPY with no decimals; the chart is an image named by its title.
    ticks = page.locator(f"{chart('monthly')} g.grid text").evaluate_all(TEXTS_JS)
    assert ticks[0] == "0"
    assert all("." not in t for t in ticks)
    monthly = page.get_by_role(
        "img", name="JPN FY2026: value of orders by month and partner (JPY)", exact=False
    )
    expect(monthly).to_be_visible()
    summary = page.locator(f"{chart('monthly')} svg > desc").text_content() or ""
    assert summary.endswith("the figures are in the table below.")
    legend = page.locator(f"{chart('monthly')} ul.legend li").all_text_contents()
    assert [t.strip() for t in legend] == ["AUS"]
    # No drawing on the page's load: the PNG is a link, not an image of the page.
    assert page.locator("main img").count() == 0
    link = page.locator("a[href='/reports/annual/chart/monthly-JPY.png?fy=2026']")
    expect(link).to_be_visible()
    assert page.request.get(link.get_attribute("href") or "").body()[:4] == b"\x89PNG"
    assert overflow(page) <= 1
    site.shot(page, "en-annual-svg")

    switch_language(page, "ja")
    page.goto("/reports/annual?fy=2026")
    title = page.locator(f"{chart('monthly')} svg > title").text_content() or ""
    assert title == "JPN FY2026：月別・相手国別の発注額（JPY）"
    summary = page.locator(f"{chart('monthly')} svg > desc").text_content() or ""
    assert summary == "月別・相手国別の発注額（JPY）のグラフ。数値は下の表にあります。"
    axis = page.locator(f"{chart('monthly')} text.axis").text_content() or ""
    assert axis == "金額（JPY）"
    texts = page.locator(f"{chart('monthly')} svg text").evaluate_all(TEXTS_JS)
    assert "2026年10月" in texts
    assert "2026年4月" in texts
    balance_axis = page.locator(f"{chart('balance')} text.axis").text_content() or ""
    assert balance_axis == "JPNの債権（＋）／債務（－）、JPY"
    ja_bars = parts(page, f"{chart('monthly')} rect.bar")
    assert sorted(t for *_r, t, _h in ja_bars) == [
        "AUS · 2026年10月: 2,644,020 JPY",
        "AUS · 2026年11月: 2,644,020 JPY",
    ]
    link_text = page.locator("a[href='/reports/annual/chart/monthly-JPY.png?fy=2026']")
    expect(link_text).to_have_text("このグラフのPNG画像")
    assert overflow(page) <= 1
    site.shot(page, "ja-annual-svg")


def test_the_dashboards_chart_is_the_years_orders_as_svg(site: Site) -> None:
    received_order(site)
    page, _ = site.sign_in("JPN-all")
    page.set_viewport_size(TABLET)
    page.goto("/")
    bars = parts(page, f"{chart('monthly')} rect.bar")
    assert [(p, m, Decimal(v)) for p, m, v, _t, _h in bars] == [("AUS", "2026-10", TOTAL)]
    # the same figures in the table under the chart
    cells = page.locator("table.monthly tbody td").all_text_contents()
    assert "2,644,020 JPY" in cells
    expect(page.get_by_role("img", name="value of orders by month", exact=False)).to_be_visible()
    assert overflow(page) <= 1
    switch_language(page, "ja")
    page.goto("/")
    title = page.locator(f"{chart('monthly')} svg > title").text_content() or ""
    assert title.endswith("：月別・相手国別の発注額（JPY）")
    site.shot(page, "ja-dashboard-svg")
