"""The annual report's page and charts read the year once and draw each chart once, on a real
database (SQLite file and PostgreSQL): the same figures give the identical chart without
reading or drawing again; an order received in the year gives new figures and a new chart; a
Japanese reader gets a Japanese chart; concurrent requests get the same bytes."""

from __future__ import annotations

import io
from concurrent.futures import ThreadPoolExecutor

import matplotlib
import pytest
from sqlalchemy import Engine

from acsa.adapters.db.change_stamp import change_stamp
from acsa.adapters.db.unit_of_work import UnitOfWork
from acsa.adapters.exports.chart_cache import ChartCache, chart_digest
from acsa.adapters.exports.charts import render_chart
from acsa.schemas.reports import AnnualReport
from acsa.services.annual_report import annual_report
from acsa.web.report_cache import ReportCache
from acsa.web.routes import ledger as routes
from tests.integration.test_annual_report import (
    JPN_FY2026,
    JPN_OFFICER,
    USA_SUPPLY,
    _received,
    _usa_fuel,
)

KEY = ("jpn-viewer", "JPN", *JPN_FY2026)


def read(engine: Engine) -> AnnualReport:
    start, end, label = JPN_FY2026
    return annual_report(UnitOfWork(engine, read_only=True), "JPN", start, end, label)


def fuel(engine: Engine, day: str, gallons: str) -> None:
    _received(UnitOfWork(engine), _usa_fuel(day, gallons), day, JPN_OFFICER, USA_SUPPLY)


def test_the_page_and_its_charts_read_the_year_once_until_the_books_change(
    engine: Engine,
) -> None:
    fuel(engine, "2026-08-03", "1000")
    cache = ReportCache()
    first = cache.get(engine, KEY, lambda: read(engine))
    assert cache.get(engine, KEY, lambda: read(engine)) is first
    assert cache.reads == 1

    before = change_stamp(engine)
    fuel(engine, "2026-09-03", "500")
    assert change_stamp(engine) != before
    second = cache.get(engine, KEY, lambda: read(engine))
    assert cache.reads == 2
    assert second.orders == first.orders + 1
    assert {p.month for p in second.monthly if p.value} == {"2026-08", "2026-09"}
    assert cache.get(engine, KEY, lambda: read(engine)) is second


def test_a_chart_is_drawn_once_for_the_same_figures_and_again_for_new_ones(
    engine: Engine,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    fuel(engine, "2026-08-03", "1000")
    monkeypatch.setattr(routes, "charts", ChartCache())
    data = read(engine)
    png = routes.chart_png(data, "monthly", "USD", "en")
    assert png is not None
    assert png[:4] == b"\x89PNG"
    assert len(routes.charts) == 1
    again = routes.chart_png(read(engine), "monthly", "USD", "en")  # read again: same figures
    assert again == png
    assert len(routes.charts) == 1
    assert routes.chart_png(data, "monthly", "JPY", "en") is None  # no such chart

    fuel(engine, "2026-09-03", "500")
    changed = routes.chart_png(read(engine), "monthly", "USD", "en")
    assert changed is not None
    assert changed != png
    assert len(routes.charts) == 2
    balance = routes.chart_png(read(engine), "balance", "USD", "en")
    assert balance is not None
    assert balance not in (png, changed)


def test_a_japanese_reader_gets_a_japanese_chart(
    engine: Engine, monkeypatch: pytest.MonkeyPatch
) -> None:
    fuel(engine, "2026-08-03", "1000")
    monkeypatch.setattr(routes, "charts", ChartCache())
    data = read(engine)
    english = routes.chart_png(data, "monthly", "USD", "en")
    japanese = routes.chart_png(data, "monthly", "USD", "ja")
    assert english is not None
    assert japanese is not None
    assert english != japanese
    assert chart_digest(data, "monthly", "USD", "ja", "png") != chart_digest(
        data, "monthly", "USD", "en", "png"
    )
    assert routes.chart_png(data, "monthly", "USD", "ja") == japanese
    with matplotlib.rc_context({"svg.fonttype": "none"}):
        svg = render_chart(data, "monthly", "USD", "ja", "svg")
    assert svg is not None
    text = io.BytesIO(svg).read().decode()
    assert "JPN FY2026：月別・相手国別の発注額（USD）" in text
    assert "2026年8月" in text


def test_charts_asked_for_at_once_are_the_same_bytes(
    engine: Engine, monkeypatch: pytest.MonkeyPatch
) -> None:
    fuel(engine, "2026-08-03", "1000")
    monkeypatch.setattr(routes, "charts", ChartCache())
    reports = ReportCache()

    def chart(i: int) -> bytes | None:
        data = reports.get(engine, KEY, lambda: read(engine))
        kind = ("monthly", "balance")[i % 2]
        return routes.chart_png(data, kind, "USD", ("en", "ja")[i // 2 % 2])

    with ThreadPoolExecutor(4) as pool:
        drawn = list(pool.map(chart, range(16)))
    assert reports.reads == 1
    assert len(routes.charts) == 4
    assert all(d is not None for d in drawn)
    for i, d in enumerate(drawn):
        assert d == drawn[i % 4]
    assert len(set(drawn)) == 4
