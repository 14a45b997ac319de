"""The locks adapter: one outbox deliverer among server processes, and a ceiling held by one
acceptance at a time (PostgreSQL's advisory locks; SQLite writers are one at a time already)."""

from __future__ import annotations

import threading
import time

from sqlalchemy import Engine

from acsa.adapters.db.locks import outbox_delivery
from acsa.adapters.db.unit_of_work import UnitOfWork


def test_only_one_process_at_a_time_delivers_the_outbox(engine: Engine, backend: str) -> None:
    with outbox_delivery(engine) as first:
        assert first
        with outbox_delivery(engine) as second:
            # PostgreSQL: the second connection is another session, as another server
            # process would be, and is told it does not deliver; SQLite has one server process.
            assert second is (backend == "sqlite")
    with outbox_delivery(engine) as again:
        assert again, "the lock is given back when the first deliverer is done"


def test_a_second_acceptance_waits_for_the_first_to_end_before_counting(
    engine: Engine, backend: str
) -> None:
    if backend == "sqlite":
        # A writing transaction holds the whole database: the second cannot even begin.
        with UnitOfWork(engine) as uow:
            uow.locks.hold_ceiling("JPN-AUS", "AUS")
        return
    order: list[str] = []
    holding = threading.Event()

    def second() -> None:
        holding.wait(5)
        with UnitOfWork(engine) as uow:
            uow.locks.hold_ceiling("JPN-AUS", "AUS")
            order.append("second holds")

    thread = threading.Thread(target=second)
    thread.start()
    with UnitOfWork(engine) as uow:
        uow.locks.hold_ceiling("JPN-AUS", "AUS")
        with UnitOfWork(engine) as other:
            other.locks.hold_ceiling("JPN-AUS", "JPN")  # another party's ceiling: no wait
        holding.set()
        time.sleep(0.5)
        order.append("first ends")
    thread.join(10)
    assert order == ["first ends", "second holds"]
