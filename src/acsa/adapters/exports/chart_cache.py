"""Charts of the annual report already drawn, kept by a digest of everything a chart shows:
its kind, currency, language, format and size, the nation and year of its title, the months
and the figures of that currency. The same figures give the same bytes without drawing again;
any change in them gives another digest, so a new chart. Bounded: the least recently used
charts go first. Safe to share between threads.

This module does not import matplotlib: a chart found here costs no drawing library."""

from __future__ import annotations

import hashlib
import json
import threading
from collections import OrderedDict

from acsa.schemas.reports import AnnualReport

#: Size of every chart: 10 x 5 inches at 120 dots per inch (1200 x 600 pixels).
SIZE = (10.0, 5.0)
DPI = 120
#: Bumped whenever the drawing changes, so charts drawn the old way are not served again.
DRAWING_VERSION = 1
#: Charts kept at most (about 60 kB each as PNG).
CAPACITY = 256


def chart_digest(report: AnnualReport, kind: str, currency: str, lang: str, fmt: str) -> str:
    """The digest of all a chart of ``report`` shows (see the module's docstring)."""
    if kind == "monthly":
        figures = sorted(
            (p.partner, p.month, str(p.value)) for p in report.monthly if p.currency == currency
        )
    else:
        figures = sorted(
            (p.partner, p.day.isoformat(), str(p.balance))
            for p in report.balances
            if p.currency == currency
        )
    shown = {
        "drawing": DRAWING_VERSION,
        "kind": kind,
        "currency": currency,
        "lang": lang,
        "format": fmt,
        "size": [SIZE, DPI],
        "nation": report.nation,
        "year": report.fiscal_year,
        "months": report.months if kind == "monthly" else [],
        "figures": figures,
    }
    text = json.dumps(shown, sort_keys=True, separators=(",", ":"))
    return hashlib.sha256(text.encode()).hexdigest()


class ChartCache:
    """Chart bytes by digest, at most ``capacity`` of them, least recently used out first."""

    def __init__(self, capacity: int = CAPACITY) -> None:
        self.capacity = capacity
        self._items: OrderedDict[str, bytes] = OrderedDict()
        self._lock = threading.Lock()

    def get(self, key: str) -> bytes | None:
        with self._lock:
            found = self._items.get(key)
            if found is not None:
                self._items.move_to_end(key)
            return found

    def put(self, key: str, content: bytes) -> None:
        with self._lock:
            self._items[key] = content
            self._items.move_to_end(key)
            while len(self._items) > self.capacity:
                self._items.popitem(last=False)

    def __len__(self) -> int:
        with self._lock:
            return len(self._items)
