"""Two ``acsa serve`` processes on one PostgreSQL database, each with its scheduler every
second, and ``acsa alerts deliver`` from cron beside them: each notice reaches each e-mail
address (a real SMTP relay, STARTTLS) and the webhook (a real receiver) once, also when the
lease holder is killed mid-way and the other server takes over."""

from __future__ import annotations

import time
from collections.abc import Callable
from pathlib import Path

import pytest
from sqlalchemy import select

from acsa.adapters.db import tables as t
from acsa.adapters.db.engine import make_engine
from acsa.adapters.db.unit_of_work import UnitOfWork
from acsa.services import notice_delivery as service
from tests.api.server import Server, add_people
from tests.api.test_notices_api import submitted
from tests.delivery_servers import smtp_relay, webhook_receiver
from tests.e2e.cli import run

SECRET = "two-servers-webhook-key-0123456789"


def _until(check: Callable[[], bool], timeout_s: float, what: str) -> None:
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        if check():
            return
        time.sleep(0.2)
    raise AssertionError(f"not within {timeout_s} s: {what}")


@pytest.mark.parametrize("backend", ["postgresql"])
def test_two_servers_and_cron_deliver_each_notice_once(db_url: str, tmp_path: Path) -> None:
    add_people(db_url, nations=("JPN", "AUS"), passwords=False)
    engine = make_engine(db_url)
    readers = {"JPN-logistics": "log@jpn.example", "JPN-all": "all@jpn.example"}
    for name, address in readers.items():
        service.set_notify(UnitOfWork(engine), name, name, email=address, notify="each")
    with smtp_relay(tmp_path) as relay, webhook_receiver(SECRET) as hook:
        service.add_webhook(UnitOfWork(engine), "JPN", hook.url, ["accept"], "test", SECRET)
        env = {**relay.env(), "ACSA_ALERTS_INTERVAL": "1"}
        one = Server(db_url, log=tmp_path / "one.log", env=env)
        two = Server(db_url, log=tmp_path / "two.log", env=env)
        orders: list[int] = []

        def delivered(count: int) -> bool:
            return len(hook.taken) >= count and all(
                len(relay.to(a)) >= count for a in readers.values()
            )

        try:
            one.start()
            two.start()
            for _ in range(3):
                orders.append(submitted(db_url))
                # cron beside the servers, at the same moments
                cron = run("alerts", "deliver", "--db", db_url, env=relay.env())
                assert cron.code == 0, cron.stderr
            _until(lambda: delivered(3), 30, "three notices delivered")
            with engine.connect() as conn:
                holder = conn.execute(select(t.scheduler_leases.c.holder)).scalar_one()
            dying = next(s for s in (one, two) if s.process and f":{s.process.pid}:" in holder)
            dying.kill()
            orders.append(submitted(db_url))
            _until(lambda: delivered(4), 40, "the survivor delivered the fourth notice")
            time.sleep(3)  # more ticks of the survivor: nothing again
        finally:
            one.stop()
            two.stop()

    for address in readers.values():
        got = relay.to(address)
        assert len(got) == 4, [m.subject for m in got]
        assert len({m.subject for m in got}) == 4
    ids = [d for d, _body in hook.taken]
    assert len(ids) == 4
    assert len(set(ids)) == 4
    assert sorted(body["order_id"] for _d, body in hook.taken) == sorted(orders)
    with engine.connect() as conn:
        states = list(conn.execute(select(t.notice_deliveries.c.state)).scalars())
        attempts = list(conn.execute(select(t.delivery_attempts.c.ok)).scalars())
    engine.dispose()
    assert states == ["sent"] * 12
    assert attempts == [True] * 12
    for log in (tmp_path / "one.log", tmp_path / "two.log"):
        text = log.read_text(errors="replace")
        assert "Traceback" not in text, text[-3000:]
