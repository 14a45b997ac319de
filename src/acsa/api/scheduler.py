"""The server's scheduler: a thread that, every ACSA_ALERTS_INTERVAL seconds (default 60; 0:
off), makes the notices due today (acsa.services.notices.run_alerts), and once a day at or after
ACSA_SWEEP_HOUR (UTC, default 2) runs the settlement deadline sweep first and checks the audit
chain (a failed check is a notice to the auditors and admins).

Among all server processes on one database only one runs: each tick takes the lease row
``scheduler`` of ``scheduler_leases`` (one conditional UPDATE, else an INSERT that does
nothing where the row exists: free, expired or already ours; it lasts ALERTS_LEASE_FACTOR
intervals) and only its holder goes on. A daily job is claimed for its day in
``scheduler_days`` before it runs (the primary key lets one process claim it), so it runs once a
day whatever the processes; a claimed job that failed half way is not run again that day (the
sweep converts what it missed on the next day's run, as a sweep finds everything past its
deadline).

``PASSES`` lists further callables the lease holder runs on every tick after the alerts (the
delivery of notices by e-mail and webhook adds its pass there): each takes the engine and the
tick's moment (UTC) and must be safe to run again (its own claims make it so).
"""

from __future__ import annotations

import logging
import os
import secrets
import socket
import threading
from collections.abc import Callable, Mapping
from datetime import datetime, timedelta

from sqlalchemy import Engine

from acsa.adapters.db.notice_repository import SchedulerRepository
from acsa.adapters.db.unit_of_work import UnitOfWork
from acsa.clock import utc_now
from acsa.domain.errors import AcsaError, Code
from acsa.domain.limits import (
    ALERTS_INTERVAL_S_DEFAULT,
    ALERTS_INTERVAL_S_MAX,
    ALERTS_INTERVAL_S_MIN,
    ALERTS_LEASE_FACTOR,
    SCHEDULER_HOLDER_CHARS_MAX,
    SWEEP_HOUR_DEFAULT,
    SWEEP_HOUR_MAX,
)
from acsa.services import notice_delivery, notices

log = logging.getLogger("acsa.scheduler")

ENV_ALERTS_INTERVAL = "ACSA_ALERTS_INTERVAL"
ENV_SWEEP_HOUR = "ACSA_SWEEP_HOUR"
#: The lease's name, and the daily jobs' names in scheduler_days.
LEASE = "scheduler"
SWEEP_JOB = "sweep"
AUDIT_JOB = "audit"
#: Who the scheduler's audit records name.
ACTOR = "scheduler"

#: Further passes the lease holder runs on every tick, after the alerts, in this order: each
#: is called with the engine and the tick's moment (UTC). A pass that raises is logged and the
#: next one runs. Add one line here to run yours (e.g. the delivery of notices).
PASSES: list[Callable[[Engine, datetime], object]] = [notice_delivery.delivery_pass]


def _whole(environ: Mapping[str, str] | None, name: str, default: int) -> int:
    env = os.environ if environ is None else environ
    given = env.get(name, "").strip()
    if not given:
        return default
    return int(given[:12]) if given.isascii() and given.isdigit() else -1


def alerts_interval_s(environ: Mapping[str, str] | None = None) -> float:
    """ACSA_ALERTS_INTERVAL in seconds (0: no scheduler), or INVALID_INPUT naming it and its
    bounds."""
    value = _whole(environ, ENV_ALERTS_INTERVAL, ALERTS_INTERVAL_S_DEFAULT)
    if value != 0 and not ALERTS_INTERVAL_S_MIN <= value <= ALERTS_INTERVAL_S_MAX:
        raise AcsaError.single(
            Code.INVALID_INPUT,
            ENV_ALERTS_INTERVAL,
            "{name} must be whole seconds from {low} to {high}, or 0 for none",
            name=ENV_ALERTS_INTERVAL,
            low=ALERTS_INTERVAL_S_MIN,
            high=ALERTS_INTERVAL_S_MAX,
        )
    return float(value)


def sweep_hour(environ: Mapping[str, str] | None = None) -> int:
    """ACSA_SWEEP_HOUR, the UTC hour from which the daily sweep runs, or INVALID_INPUT."""
    value = _whole(environ, ENV_SWEEP_HOUR, SWEEP_HOUR_DEFAULT)
    if not 0 <= value <= SWEEP_HOUR_MAX:
        raise AcsaError.single(
            Code.INVALID_INPUT,
            ENV_SWEEP_HOUR,
            "{name} must be a whole hour (UTC) from 0 to {high}",
            name=ENV_SWEEP_HOUR,
            high=SWEEP_HOUR_MAX,
        )
    return value


def holder_name() -> str:
    """This process's name as a lease holder: host, process id and a random part."""
    name = f"{socket.gethostname()}:{os.getpid()}:{secrets.token_hex(4)}"
    return name[-SCHEDULER_HOLDER_CHARS_MAX:]


class Scheduler:
    """``start()`` the thread (nothing when the interval is 0); ``tick()`` runs one pass."""

    def __init__(
        self,
        engine: Engine,
        interval_s: float | None = None,
        hour: int | None = None,
        holder: str | None = None,
        clock: Callable[[], datetime] = utc_now,
    ) -> None:
        self.engine = engine
        self.interval_s = alerts_interval_s() if interval_s is None else interval_s
        self.hour = sweep_hour() if hour is None else hour
        self.holder = holder or holder_name()
        self.clock = clock
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name="acsa-scheduler", daemon=True)
        #: Whether this process took the lease (then it frees it when it stops).
        self._held = False

    def start(self) -> None:
        if self.interval_s > 0:
            self._thread.start()

    def stop(self) -> None:
        """End the thread and free the lease if this process held it (another process takes
        it on its next tick rather than once it expires)."""
        self._stop.set()
        if self._thread.is_alive():
            self._thread.join(timeout=30)
        if not self._held:
            return
        try:
            with UnitOfWork(self.engine) as uow:
                SchedulerRepository(uow.connection).release(LEASE, self.holder)
                uow.commit()
            self._held = False
        except Exception:  # a database gone at shutdown: the lease expires by itself
            log.exception("the scheduler's lease was not released")

    def _run(self) -> None:
        while not self._stop.is_set():
            try:
                self.tick()
            except Exception:  # keep ticking whatever one pass met
                log.exception("scheduler pass failed")
            self._stop.wait(self.interval_s)

    def take_lease(self, now: datetime) -> bool:
        """Whether this process holds the lease now (taking or extending it)."""
        until = now + timedelta(seconds=max(self.interval_s, 1) * ALERTS_LEASE_FACTOR)
        with UnitOfWork(self.engine) as uow:
            held = SchedulerRepository(uow.connection).take_lease(LEASE, self.holder, now, until)
            uow.commit()
        self._held = self._held or held
        return held

    def claim(self, job: str, now: datetime) -> bool:
        """Claim ``job`` for today: True for the one process that runs it."""
        with UnitOfWork(self.engine) as uow:
            claimed = SchedulerRepository(uow.connection).claim_day(
                job, now.date(), self.holder, now
            )
            uow.commit()
        return claimed

    def tick(self, now: datetime | None = None) -> bool:
        """One pass: take the lease, then (as its holder) the daily jobs due, the alerts of
        today and the further PASSES. Whether this process held the lease."""
        now = now or self.clock()
        if not self.take_lease(now):
            return False
        day = now.date()
        if now.hour >= self.hour:
            if self.claim(SWEEP_JOB, now):
                swept = notices.daily_sweep(UnitOfWork(self.engine), day, ACTOR, self.holder)
                log.info("deadline sweep of %s: %d converted", day, len(swept.converted))
            if self.claim(AUDIT_JOB, now):
                self.check_audit(now)
        made = notices.run_alerts(UnitOfWork(self.engine), day, ACTOR, holder=self.holder)
        if made.created:
            log.info("%d notices made for %s", len(made.created), day)
        for step in list(PASSES):
            try:
                step(self.engine, now)
            except Exception:
                log.exception("scheduler pass %s failed", getattr(step, "__name__", step))
        return True

    def check_audit(self, now: datetime) -> bool:
        """``audit verify`` of the whole chain; a failure is a notice to the auditors and
        admins of every nation. Whether the chain was intact."""
        from acsa.services.audit import verify_audit

        result = verify_audit(UnitOfWork(self.engine, read_only=True))
        if not result.ok:
            problems = len(result.problems) + result.rows_at_fault
            notices.audit_failed(UnitOfWork(self.engine), now.date(), problems, ACTOR)
            log.warning("audit verify failed on %s: %d problems", now.date(), problems)
        return result.ok
