"""The annual report as one CSV file in long format: ``view, key, currency, count, value``.

Every breakdown row is one line; the monthly values are keyed ``PARTNER YYYY-MM`` and the
balances (view ``balance``, no count) ``PARTNER YYYY-MM-DD``. Amounts are plain decimals with
the currency's decimals, no grouping, so a spreadsheet or a script reads them exactly.
"""

from __future__ import annotations

import csv
from collections.abc import Iterator
from decimal import Decimal
from pathlib import Path

from acsa.adapters.exports.formats import figure_views
from acsa.adapters.exports.text import CELL_CHARS_MAX, clean
from acsa.domain.money import quantum
from acsa.schemas.reports import AnnualReport

HEADER = ("view", "key", "currency", "count", "value")


def _amount(value: Decimal, currency: str) -> str:
    return f"{value.quantize(quantum(currency)):f}"


def _text(value: str) -> str:
    """A key as the file holds it: one line, control characters shown as U+FFFD, bounded."""
    return clean(value, CELL_CHARS_MAX, multiline=False)


def csv_rows(report: AnnualReport) -> Iterator[tuple[str, str, str, str, str]]:
    """The report's lines in long format (without the header)."""
    for view in figure_views(report):
        for f in view.figures:
            yield view.name, _text(f.key), f.currency, str(f.count), _amount(f.value, f.currency)
    for m in report.monthly:
        key = _text(f"{m.partner} {m.month}")
        yield "monthly", key, m.currency, str(m.count), _amount(m.value, m.currency)
    for b in report.balances:
        key = _text(f"{b.partner} {b.day.isoformat()}")
        yield "balance", key, b.currency, "", _amount(b.balance, b.currency)


def write_csv(report: AnnualReport, path: Path) -> Path:
    """Write the report to ``path`` (UTF-8, a header line, ``\\r\\n`` line ends as CSV has)."""
    with path.open("w", newline="", encoding="utf-8") as handle:
        writer = csv.writer(handle)
        writer.writerow(HEADER)
        writer.writerows(csv_rows(report))
    return path
