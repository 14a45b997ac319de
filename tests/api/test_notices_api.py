"""Notices through real ``acsa serve`` processes: the inbox over HTTP (each reader's own, in
their language, marked read once), an alerts run by an admin, eight clients marking one notice
read at once (each answered 200 with the one time it was first read: marking is idempotent,
never a 409), and two servers on one PostgreSQL database whose schedulers make each notice and
inbox row once, with only one of them holding the lease (the other takes over once it dies)."""

from __future__ import annotations

import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from threading import Barrier

import httpx
import pytest
from sqlalchemy import Table, func, select

from acsa.adapters.db import tables as t
from acsa.adapters.db.engine import make_engine
from acsa.adapters.db.unit_of_work import UnitOfWork
from acsa.commands import PlaceOrder, SubmitOrder
from acsa.services.handlers import handle
from tests.api.conftest import Api
from tests.api.server import Server, add_people
from tests.orders_data import order_doc

CLIENTS = 8


def submitted(db_url: str) -> int:
    """An order AUS submitted to JPN: JPN's logistics are to accept it."""
    engine = make_engine(db_url)
    try:
        uow = UnitOfWork(engine)
        placed, _ = handle(uow, PlaceOrder.from_wire(order_doc()), "AUS-requester")
        handle(uow, SubmitOrder(order_id=placed.id), "AUS-requester")
        return int(placed.id)
    finally:
        engine.dispose()


def test_the_inbox_over_http_is_each_readers_own_in_their_language(api: Api) -> None:
    order_id = submitted(api.db_url)
    c = api.client
    refused = c.post("/alerts/run", json={}, headers=api.as_("JPN-logistics"))
    assert refused.status_code == 403
    run = c.post("/alerts/run", json={"sweep": True}, headers=api.as_("JPN-admin"))
    assert run.status_code == 200, run.text
    made = run.json()
    assert made["sweep"] == {"as_of": made["as_of"], "converted": []}
    [accept] = [n for n in made["created"] if n["kind"] == "accept"]
    # JPN's logistics users: JPN-logistics and JPN-all.
    assert (accept["nation"], accept["order"], accept["recipients"]) == ("JPN", order_id, 2)
    again = c.post("/alerts/run", json={"as_of": made["as_of"]}, headers=api.as_("JPN-admin"))
    assert again.json()["created"] == []

    box = c.get("/notices", headers=api.as_("JPN-logistics")).json()
    assert (box["unread"], box["total"]) == (1, 1)
    [item] = box["items"]
    assert item["title"] == f"Order {order_id} waits for acceptance"
    assert item["order"] == order_id
    said = c.get("/notices", headers={**api.as_("JPN-logistics"), "Accept-Language": "ja"})
    assert said.json()["items"][0]["title"] == f"発注 {order_id} が受諾を待っています"
    assert c.get("/notices", headers=api.as_("AUS-logistics")).json()["items"] == []
    assert c.get("/notices", headers=api.as_("JPN-finance")).json()["items"] == []

    # Another's notice is not found, whoever's it is; one's own is marked read once.
    other = c.post(f"/notices/{item['id']}/read", headers=api.as_("AUS-logistics"))
    assert other.status_code == 404
    assert other.json()["errors"][0]["code"] == "NOTICE_NOT_FOUND"
    first = c.post(f"/notices/{item['id']}/read", headers=api.as_("JPN-logistics"))
    assert first.status_code == 200
    assert first.json()["read_at"] is not None
    second = c.post(f"/notices/{item['id']}/read", headers=api.as_("JPN-logistics"))
    assert second.json()["read_at"] == first.json()["read_at"]
    unread = c.get("/notices", params={"unread": "true"}, headers=api.as_("JPN-logistics"))
    assert unread.json() == {"unread": 0, "total": 1, "items": []}
    # JPN-all's copy of it is still unread: read marks are per reader.
    assert c.get("/notices", headers=api.as_("JPN-all")).json()["unread"] == 1
    done = c.post("/notices/read-all", headers=api.as_("JPN-all"))
    assert done.json() == {"marked": 1, "unread": 0}
    assert c.post("/notices/read-all", headers=api.as_("JPN-all")).json()["marked"] == 0
    assert c.post("/notices/0/read", headers=api.as_("JPN-all")).status_code == 400
    assert c.get("/notices").status_code == 401


def test_eight_clients_marking_one_notice_read_at_once_all_see_it_read_once(api: Api) -> None:
    submitted(api.db_url)
    run = api.client.post("/alerts/run", json={}, headers=api.as_("JPN-admin"))
    [notice] = [n for n in run.json()["created"] if n["kind"] == "accept"]
    gate = Barrier(CLIENTS)

    def mark(_: int) -> httpx.Response:
        with httpx.Client(base_url=api.url("/api/v1"), timeout=60) as client:
            gate.wait()
            return client.post(f"/notices/{notice['id']}/read", headers=api.as_("JPN-all"))

    with ThreadPoolExecutor(CLIENTS) as pool:
        answers = list(pool.map(mark, range(CLIENTS)))
    assert [a.status_code for a in answers] == [200] * CLIENTS, [a.text for a in answers]
    assert len({a.json()["read_at"] for a in answers}) == 1
    box = api.client.get("/notices", headers=api.as_("JPN-all")).json()
    assert (box["unread"], box["total"]) == (0, 1)


def _until(check: Callable[[], bool], timeout_s: float, what: str) -> None:
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        if check():
            return
        time.sleep(0.2)
    raise AssertionError(f"not within {timeout_s} s: {what}")


@pytest.mark.parametrize("backend", ["postgresql"])
def test_two_servers_make_each_notice_once_and_one_holds_the_lease(
    db_url: str, tmp_path: Path
) -> None:
    add_people(db_url, nations=("JPN", "AUS"), passwords=False)
    first_order = submitted(db_url)
    engine = make_engine(db_url)

    def count(table: Table) -> int:
        with engine.connect() as conn:
            return int(conn.execute(select(func.count()).select_from(table)).scalar_one())

    def holder() -> str | None:
        with engine.connect() as conn:
            row = conn.execute(select(t.scheduler_leases.c.holder)).first()
            return None if row is None else str(row[0])

    def alert_runs() -> list[dict[str, object]]:
        with UnitOfWork(engine, read_only=True) as uow:
            return [dict(r.after or {}) for r in uow.audit.records() if r.action == "alerts.run"]

    every_second = {"ACSA_ALERTS_INTERVAL": "1"}
    one = Server(db_url, log=tmp_path / "one.log", env=every_second)
    two = Server(db_url, log=tmp_path / "two.log", env=every_second)
    try:
        one.start()
        two.start()
        _until(lambda: count(t.notices) > 0, 20, "the schedulers made the notice")
        time.sleep(3)  # three more ticks each
        holders = set()
        for _ in range(10):
            holders.add(holder())
            time.sleep(0.2)
        assert len(holders) == 1
        [held] = holders
        assert held is not None
        # One notice of the submitted order, once in each of JPN's logistics' inboxes
        # (JPN-logistics and JPN-all), made by one run of the holder.
        with engine.connect() as conn:
            keys = list(conn.execute(select(t.notices.c.key)).scalars())
        assert keys == [f"accept:order:{first_order}:s2:JPN"]
        assert count(t.notice_inbox) == 2
        [run] = alert_runs()
        assert run["holder"] == held
        # A new event while both run: made once, by the holder.
        second_order = submitted(db_url)
        _until(lambda: count(t.notices) == 2, 20, "the second order's notice")
        time.sleep(2)
        assert count(t.notices) == 2
        assert count(t.notice_inbox) == 4
        assert [r["holder"] for r in alert_runs()] == [held, held]
        # The daily jobs ran once between them (the lease holder's, whatever the hour).
        with engine.connect() as conn:
            days = conn.execute(select(t.scheduler_days.c.job, t.scheduler_days.c.holder)).all()
        assert all(h == held for _job, h in days)
        assert len(days) == len({j for j, _h in days})
        # The holder dies without a word: once its lease runs out the other takes it.
        dying = next(s for s in (one, two) if s.process and f":{s.process.pid}:" in held)
        dying.kill()
        _until(lambda: holder() not in (None, held), 20, "the other server took the lease")
        third_order = submitted(db_url)
        _until(lambda: count(t.notices) == 3, 20, "the survivor made the third notice")
        assert second_order != third_order
    finally:
        one.stop()
        two.stop()
        engine.dispose()
    for log in (tmp_path / "one.log", tmp_path / "two.log"):
        text = log.read_text(errors="replace")
        assert "Traceback" not in text, text[-3000:]
