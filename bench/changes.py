"""A change to the data while a server runs, as a person's action makes one: the benches time a
page's first load after it (what the caches keyed by the data's state cannot answer)."""

from __future__ import annotations

import time

from acsa.adapters.db.engine import make_engine
from acsa.adapters.db.unit_of_work import UnitOfWork
from acsa.clock import utc_now
from acsa.commands import AddNote, By
from acsa.services.orders import note


class Changer:
    """Adds a remark to an order (an audit record in its own transaction: the dashboard's and
    the annual report's kept figures no longer hold), through the real service."""

    def __init__(self, url: str, order_id: int = 1) -> None:
        self.engine = make_engine(url)
        self.order_id = order_id
        self.count = 0

    def change(self) -> None:
        self.count += 1
        text = f"bench change {self.count} at {time.time():.3f}"
        note(
            UnitOfWork(self.engine),
            AddNote(order_id=self.order_id, note=text),
            By("bench", utc_now()),
        )

    def close(self) -> None:
        self.engine.dispose()
