"""The annual report's charts speak the reader's language: a Japanese chart's title, axes,
legend and months are Japanese and written in the Japanese font (no missing glyphs), an
English chart's in English."""

from __future__ import annotations

import io
import warnings
from datetime import UTC, date, datetime
from decimal import Decimal
from pathlib import Path

import matplotlib
import pytest

from acsa.adapters.exports.charts import draw_charts, japanese_family, write_charts
from acsa.adapters.exports.fonts import JAPANESE
from acsa.schemas.reports import AnnualReport, BalancePoint, MonthlyValue

MONTHS = ["2026-04", "2026-05", "2026-06"]


def report() -> AnnualReport:
    return AnnualReport(
        nation="JPN",
        fiscal_year="FY2026",
        start=date(2026, 4, 1),
        end=date(2027, 3, 31),
        generated_at=datetime(2027, 4, 1, tzinfo=UTC),
        orders=2,
        excluded={},
        currencies=["JPY"],
        summary=[],
        by_partner=[],
        by_category=[],
        by_activity=[],
        settled_open=[],
        provided_received=[],
        months=MONTHS,
        monthly=[
            MonthlyValue(partner="AUS", month=m, currency="JPY", count=1, value=Decimal(v))
            for m, v in zip(MONTHS, ("2644020", "0", "1000000"), strict=True)
        ],
        balances=[
            BalancePoint(
                partner="AUS",
                day=day,
                currency="JPY",
                owed_to_us=Decimal(v),
                owed_by_us=Decimal(0),
                balance=Decimal(v),
            )
            for day, v in ((date(2026, 4, 30), "2644020"), (date(2026, 5, 31), "1644020"))
        ],
    )


def svg(lang: str) -> dict[str, str]:
    """Each chart of the report in ``lang`` as SVG with its text kept as text."""
    found: dict[str, str] = {}
    with matplotlib.rc_context({"svg.fonttype": "none"}):
        for drawn in draw_charts(report(), lang):
            buffer = io.StringIO()
            drawn.figure.savefig(buffer, format="svg")
            found[drawn.kind] = buffer.getvalue()
    return found


def test_a_japanese_chart_is_japanese_in_the_japanese_font() -> None:
    charts = svg("ja")
    assert set(charts) == {"monthly", "balance"}
    monthly, balance = charts["monthly"], charts["balance"]
    assert japanese_family() == JAPANESE
    assert "JPN FY2026：月別・相手国別の発注額（JPY）" in monthly
    assert "金額（JPY）" in monthly
    assert "相手国" in monthly  # the legend's title
    assert "2026年4月" in monthly  # the months
    assert "JPN FY2026：相手国別の月末残高（JPY）" in balance
    assert "JPNの債権（＋）／債務（－）、JPY" in balance
    for text in (monthly, balance):
        assert f"font-family: '{JAPANESE}'" in text or f"font-family:'{JAPANESE}'" in text
        assert "value of orders" not in text


def test_an_english_chart_is_english() -> None:
    charts = svg("en")
    monthly, balance = charts["monthly"], charts["balance"]
    assert "JPN FY2026: value of orders by month and partner (JPY)" in monthly
    assert "value (JPY)" in monthly
    assert "2026-04" in monthly
    assert "JPN FY2026: balance with each partner at month end (JPY)" in balance
    assert "owed to JPN (+) / by JPN (-), JPY" in balance
    assert JAPANESE not in monthly + balance
    assert "DejaVu Sans" in monthly


@pytest.mark.parametrize("lang", ["en", "ja"])
def test_the_png_charts_have_every_glyph(lang: str, tmp_path: Path) -> None:
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        charts = write_charts(report(), tmp_path, "annual", lang=lang)
    assert sorted(c.path.name for c in charts) == [
        "annual-balance-JPY.png",
        "annual-monthly-JPY.png",
    ]
    assert all(c.path.read_bytes()[:4] == b"\x89PNG" for c in charts)
    missing = [str(w.message) for w in caught if "missing from" in str(w.message)]
    assert not missing, missing
