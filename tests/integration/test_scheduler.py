"""The scheduler's pass (acsa.api.scheduler.Scheduler.tick) on a real database with the clock
set: of two schedulers on one database only the lease holder runs, the other takes over once
the lease has run out; the daily sweep and audit check run once a day from the configured hour
(audited: scheduler.sweep), a failed audit check tells the auditors and admins, and the further
PASSES run on each of the holder's ticks."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from sqlalchemy import Engine, select, update

from acsa.adapters.db import tables as t
from acsa.adapters.db.unit_of_work import UnitOfWork
from acsa.api import scheduler as scheduling
from acsa.api.scheduler import Scheduler
from acsa.services import users
from tests.integration.test_notices import DEADLINE, IN_KIND, RECEIVED
from tests.integration.test_settlement import received_order
from tests.ledger_data import import_usd_jpy_rates


def audited(engine: Engine, action: str) -> list[dict[str, object]]:
    with UnitOfWork(engine, read_only=True) as uow:
        return [dict(r.after or {}) for r in uow.audit.records() if r.action == action]


def test_one_holder_runs_the_daily_jobs_once_and_the_other_takes_over_when_it_expires(
    engine: Engine,
) -> None:
    uow = UnitOfWork(engine)
    import_usd_jpy_rates(uow)
    order_id = received_order(uow, at=RECEIVED, **IN_KIND)
    for name, nation, roles in (
        ("usa-fin", "USA", ["finance"]),
        ("jpn-auditor", "JPN", ["auditor"]),
        ("usa-admin", "USA", ["admin"]),
    ):
        users.add_user(uow, {"name": name, "nation": nation, "roles": roles}, "admin")
    ticks: list[tuple[str, datetime]] = []
    one = Scheduler(engine, interval_s=60, hour=2, holder="one")
    two = Scheduler(engine, interval_s=60, hour=2, holder="two")
    scheduling.PASSES.append(lambda _engine, now: ticks.append(("pass", now)))
    try:
        # The day after the deadline, before the sweep's hour: alerts only.
        early = datetime.combine(DEADLINE + timedelta(days=1), datetime.min.time(), UTC)
        early = early.replace(hour=1)
        assert one.tick(early)
        assert not two.tick(early + timedelta(seconds=30))
        assert audited(engine, "scheduler.sweep") == []
        [late] = [r for r in audited(engine, "alerts.run") if r["holder"] == "one"]
        assert any(str(k).startswith("replacement_overdue:") for k in late["keys"])  # type: ignore[attr-defined]
        # From the hour on: the sweep once, whoever ticks.
        at_two = early.replace(hour=2, minute=5)
        assert one.tick(at_two)
        assert one.tick(at_two + timedelta(minutes=1))
        assert not two.tick(at_two + timedelta(minutes=1))
        [swept] = audited(engine, "scheduler.sweep")
        assert swept["converted"] == [order_id]
        assert swept["holder"] == "one"
        with engine.connect() as conn:
            days = conn.execute(select(t.scheduler_days.c.job, t.scheduler_days.c.holder)).all()
        assert sorted(days) == [("audit", "one"), ("sweep", "one")]
        assert [p for p, _ in ticks] == ["pass"] * 3  # the holder's ticks only
        # One dies: its lease (3 intervals) runs out, then the other holds it.
        assert not two.tick(at_two + timedelta(minutes=3, seconds=59))
        assert two.tick(at_two + timedelta(minutes=4, seconds=1))
        assert not one.tick(at_two + timedelta(minutes=4, seconds=2))
        # The next day's jobs are the new holder's; a failed audit check is told.
        with engine.begin() as conn:
            e = t.order_events.c
            conn.execute(
                update(t.order_events)
                .where(e.order_id == order_id, e.seq == 3)
                .values(actor="Mallory")
            )
        next_day = at_two + timedelta(days=1)
        assert two.tick(next_day)
        with engine.connect() as conn:
            failed = conn.execute(
                select(t.notices.c.nation, t.notices.c.roles).where(
                    t.notices.c.kind == "audit_failed"
                )
            ).all()
        assert sorted(failed) == [("JPN", "auditor,admin"), ("USA", "auditor,admin")]
        assert len(audited(engine, "scheduler.sweep")) == 2
        # The stopped scheduler frees the lease at once.
        two.stop()
        assert one.tick(next_day + timedelta(seconds=1))
    finally:
        scheduling.PASSES.pop()
