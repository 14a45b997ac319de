"""The cache of drawn charts: keyed by all a chart shows, bounded, least recently used out."""

from __future__ import annotations

from decimal import Decimal

from acsa.adapters.exports.chart_cache import ChartCache, chart_digest
from acsa.schemas.reports import MonthlyValue
from tests.unit.test_charts_language import report


def test_the_digest_follows_every_thing_the_chart_shows() -> None:
    data = report()
    digest = chart_digest(data, "monthly", "JPY", "en", "png")
    assert chart_digest(report(), "monthly", "JPY", "en", "png") == digest
    changed = data.model_copy(
        update={
            "monthly": [
                *data.monthly[:-1],
                MonthlyValue(
                    partner="AUS", month="2026-06", currency="JPY", count=1, value=Decimal(1)
                ),
            ]
        }
    )
    others = {
        chart_digest(changed, "monthly", "JPY", "en", "png"),
        chart_digest(data, "monthly", "JPY", "ja", "png"),
        chart_digest(data, "monthly", "JPY", "en", "svg"),
        chart_digest(data, "balance", "JPY", "en", "png"),
        chart_digest(data, "monthly", "USD", "en", "png"),
        chart_digest(
            data.model_copy(update={"fiscal_year": "FY2027"}), "monthly", "JPY", "en", "png"
        ),
    }
    assert len(others) == 6
    assert digest not in others
    # A balance chart does not change with the monthly values, nor the reverse.
    assert chart_digest(changed, "balance", "JPY", "en", "png") == chart_digest(
        data, "balance", "JPY", "en", "png"
    )


def test_the_cache_keeps_the_most_recently_used() -> None:
    cache = ChartCache(capacity=2)
    cache.put("a", b"A")
    cache.put("b", b"B")
    assert cache.get("a") == b"A"
    cache.put("c", b"C")  # b was used least recently
    assert cache.get("b") is None
    assert (cache.get("a"), cache.get("c"), len(cache)) == (b"A", b"C", 2)
