"""Annual reports already read, shared by the report's page and its charts: the page and the
images it shows would otherwise read the same year of orders and books once each (a page with
seven currencies shows fourteen charts). A report is kept under the reader, its nation and the
year, with the database's change stamp (``acsa.adapters.db.change_stamp``) at the time it was
read; once any order or book changes, the stamp differs and the report is read again. Bounded:
the least recently used reports go first. Safe to share between threads."""

from __future__ import annotations

import threading
from collections import OrderedDict
from collections.abc import Callable, Hashable

from sqlalchemy import Engine

from acsa.adapters.db.change_stamp import change_stamp
from acsa.schemas.reports import AnnualReport

#: Reports kept at most.
CAPACITY = 32


class ReportCache:
    """Reports by key, each with the change stamp it was read under."""

    def __init__(self, capacity: int = CAPACITY) -> None:
        self.capacity = capacity
        self._items: OrderedDict[Hashable, tuple[tuple[int, ...], AnnualReport]] = OrderedDict()
        self._lock = threading.Lock()
        self._reading: dict[Hashable, threading.Lock] = {}
        self.reads = 0  # reports read from the database (not found here), for tests

    def get(self, engine: Engine, key: Hashable, read: Callable[[], AnnualReport]) -> AnnualReport:
        """The report under ``key`` if the database has not changed since it was read; else
        ``read()``, kept. The stamp is taken before reading, so a change made during the
        read gives another stamp next time and the report is read again."""
        stamp = change_stamp(engine)
        with self._lock:
            reading = self._reading.setdefault(key, threading.Lock())
        with reading:  # the page's images ask at once: one of them reads, the others wait
            found = self._found(key, stamp)
            if found is not None:
                return found
            report = read()
            self._keep(key, stamp, report)
        return report

    def _found(self, key: Hashable, stamp: tuple[int, ...]) -> AnnualReport | None:
        with self._lock:
            found = self._items.get(key)
            if found is None or found[0] != stamp:
                return None
            self._items.move_to_end(key)
            return found[1]

    def _keep(self, key: Hashable, stamp: tuple[int, ...], report: AnnualReport) -> None:
        with self._lock:
            self.reads += 1
            self._items[key] = (stamp, report)
            self._items.move_to_end(key)
            while len(self._items) > self.capacity:
                gone, _ = self._items.popitem(last=False)
                self._reading.pop(gone, None)

    def clear(self) -> None:
        with self._lock:
            self._items.clear()
            self._reading.clear()
