"""Crash rounds: a real ``acsa serve`` under a burst of writes is killed with SIGKILL at a
random moment, restarted on the same database, and checked. Used by tests/api/test_crash.py
and bench/soak.py.

Each client thread drives orders of its own (JPN supplies, AUS requests) through place,
submit, accept, deliver, receive, invoice, pay and close, one POST at a time, each with an
Idempotency-Key, and keeps a model of what the server acknowledged (a complete 2xx answer).
The first request that gets no such answer (the kill) ends the thread's round: it is left
pending, so each thread has at most one write whose fate is unknown.

After the restart, a round checks, reading the database directly:

- ``lost``: every acknowledged write is there (the order, each acknowledged event, invoice,
  payment);
- ``half_written``: nothing else is, except what a pending request committed whole (its
  Idempotency-Key stored with it): a change without its key, a key without its change, or a
  broken invariant (tests/api/invariants.py: statuses and events, receipts and payments and
  their ledger entries, one audit record per change, the books, ``verify``, ``verify_audit``);
- ``retry_problems``: each pending request sent again with the same key and bytes is
  replayed (status and body as stored) when it had committed, and done when it had not; a
  second send is a replay; afterwards the database holds exactly the model, and one key per
  request ever made.
"""

from __future__ import annotations

import copy
import json
import random
import threading
import time
from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass, field
from decimal import Decimal
from pathlib import Path
from typing import Any

import httpx
from sqlalchemy import Engine, select, text
from sqlalchemy.pool import NullPool

from acsa.adapters.db import tables as t
from acsa.adapters.db.engine import make_engine
from acsa.domain.money import to_minor
from tests.api.invariants import half_written
from tests.api.server import Person, Server
from tests.api.team import add_team
from tests.orders_data import order_doc

#: Who sends each step of an order's life.
SENDER = {
    "place": "AUS-requester",
    "submit": "AUS-requester",
    "accept": "JPN-approver",
    "deliver": "JPN-logistics",
    "receive": "AUS-logistics",
    "invoice": "JPN-finance",
    "pay": "AUS-finance",
    "close": "AUS-finance",
}
#: The step after each order event.
AFTER_EVENT = {"create": "submit", "submit": "accept", "accept": "deliver", "deliver": "receive"}
EVENT_STEPS = frozenset({"submit", "accept", "deliver", "receive", "close"})
CURRENCY = "JPY"  # of tests/orders_data.order_doc
#: Open orders a client keeps at most before it only advances them.
OPEN_PER_CLIENT = 3


@dataclass
class Call:
    """One POST, sent with the same key, headers and bytes on every attempt."""

    thread: int
    step: str
    order: int | None
    path: str
    body: bytes
    key: str
    who: str
    status: int | None = None
    answer: Any = None
    error: str | None = None

    @property
    def acknowledged(self) -> bool:
        return self.status is not None and 200 <= self.status < 300

    def headers(self, people: dict[str, Person]) -> dict[str, str]:
        headers = {**people[self.who].headers, "Idempotency-Key": self.key}
        if self.body:
            headers["Content-Type"] = "application/json"
        return headers


@dataclass
class OrderModel:
    id: int
    owner: int
    events: list[str] = field(default_factory=lambda: ["create"])
    invoice: tuple[str, str, str] | None = None  # number, amount, issued
    paid: bool = False

    def next_step(self) -> str | None:
        last = self.events[-1]
        if last in AFTER_EVENT:
            return AFTER_EVENT[last]
        if last == "receive":
            return "invoice" if self.invoice is None else "pay" if not self.paid else "close"
        return None


@dataclass
class Model:
    """What the server acknowledged, order by order."""

    orders: dict[int, OrderModel] = field(default_factory=dict)

    def apply(self, call: Call, answer: Any) -> None:
        if call.step == "place":
            self.orders[int(answer["id"])] = OrderModel(int(answer["id"]), call.thread)
            return
        assert call.order is not None
        order = self.orders[call.order]
        if call.step in EVENT_STEPS:
            order.events.append(call.step)
        elif call.step == "invoice":
            order.invoice = (answer["number"], answer["amount"], answer["issued"])
        elif call.step == "pay":
            order.paid = True

    def facts(self) -> set[tuple[Any, ...]]:
        found: set[tuple[Any, ...]] = set()
        for o in self.orders.values():
            found.add(("order", o.id))
            found.update(("event", o.id, seq, a) for seq, a in enumerate(o.events, start=1))
            if o.invoice is not None:
                number, amount, _ = o.invoice
                found.add(("invoice", o.id, number, to_minor(Decimal(amount), CURRENCY)))
                if o.paid:
                    found.add(("payment", number, 1))
        return found


@dataclass
class Stored:
    """The database's side: the same facts, and the stored Idempotency-Keys."""

    facts: set[tuple[Any, ...]]
    keys: dict[str, tuple[int, Any]]  # key -> (status, answer body)


def stored(engine: Engine) -> Stored:
    facts: set[tuple[Any, ...]] = set()
    with engine.connect() as conn:
        facts.update(("order", r.id) for r in conn.execute(select(t.orders.c.id)))
        e = t.order_events
        facts.update(
            ("event", r.order_id, r.seq, r.action)
            for r in conn.execute(select(e.c.order_id, e.c.seq, e.c.action))
        )
        i, p = t.invoices, t.payments
        numbers = {}
        for r in conn.execute(select(i.c.id, i.c.order_id, i.c.number, i.c.amount_minor)):
            facts.add(("invoice", r.order_id, r.number, int(r.amount_minor)))
            numbers[r.id] = r.number
        paid = Counter(numbers[r.invoice_id] for r in conn.execute(select(p.c.invoice_id)))
        for number, count in paid.items():
            facts.update(("payment", number, n) for n in range(1, count + 1))
        k = t.idempotency_keys
        keys = {
            r.key: (int(r.status_code), json.loads(json.loads(r.response)["body"]))
            for r in conn.execute(select(k.c.key, k.c.status_code, k.c.response))
        }
    return Stored(facts, keys)


@dataclass
class RoundReport:
    round: int
    seed: int
    kill_after_s: float
    calls: int = 0
    acknowledged: int = 0
    #: Requests without a complete 2xx answer (one per client at most), and of those how many
    #: reached the server (not refused at connect) and how many had committed.
    pending: int = 0
    cut: int = 0
    committed_unacknowledged: int = 0
    lost: list[str] = field(default_factory=list)
    half_written: list[str] = field(default_factory=list)
    retry_problems: list[str] = field(default_factory=list)
    seconds: float = 0.0

    @property
    def ok(self) -> bool:
        return not (self.lost or self.half_written or self.retry_problems)

    def line(self) -> str:
        return (
            f"round {self.round:>3}: kill after {self.kill_after_s:.2f} s, {self.calls} writes, "
            f"{self.acknowledged} acknowledged, {self.pending} pending ({self.cut} cut in "
            f"flight, {self.committed_unacknowledged} committed unacknowledged), "
            f"lost {len(self.lost)}, half-written {len(self.half_written)}, "
            f"retry problems {len(self.retry_problems)}, {self.seconds:.1f} s"
        )


class CrashRounds:
    """A server on ``db_url`` and the model of what it acknowledged, round after round.

    ``with CrashRounds(url) as rounds: report = rounds.run(index, seed)``."""

    def __init__(
        self,
        db_url: str,
        clients: int = 4,
        workers: int = 1,
        kill_window_s: tuple[float, float] = (0.25, 1.0),
        log: Path | None = None,
    ) -> None:
        self.db_url = db_url
        self.clients = clients
        self.kill_window_s = kill_window_s
        self.people = add_team(db_url, sorted(set(SENDER.values())))
        self.server = Server(db_url, workers=workers, log=log)
        self.model = Model()
        self.calls_made = 0
        self.engine = make_engine(db_url, poolclass=NullPool)
        self._lock = threading.Lock()

    def __enter__(self) -> CrashRounds:
        self.server.start()
        return self

    def __exit__(self, *exc: Any) -> None:
        self.server.stop()
        self.engine.dispose()

    # --- one round ------------------------------------------------------------------------

    def run(self, index: int, seed: int) -> RoundReport:
        started = time.monotonic()
        rng = random.Random(seed)
        report = RoundReport(index, seed, rng.uniform(*self.kill_window_s))
        calls: list[Call] = []
        pending: list[Call] = []
        stop = threading.Event()
        threads = [
            threading.Thread(
                target=self._client,
                args=(index, n, random.Random(rng.random()), stop, calls, pending),
                name=f"crash-client-{n}",
            )
            for n in range(self.clients)
        ]
        for thread in threads:
            thread.start()
        time.sleep(report.kill_after_s)
        self.server.kill()
        stop.set()
        for thread in threads:
            thread.join(60)
        self._quiesce()
        # The restarted server writes nothing until asked to, so what the crash left can be
        # checked while it boots.
        restart = threading.Thread(target=self.server.start, name="crash-restart")
        restart.start()
        report.calls = len(calls)
        report.acknowledged = sum(c.acknowledged for c in calls)
        report.pending = len(pending)
        report.cut = sum(c.error is not None and c.error != "ConnectError" for c in pending)
        self.calls_made += len(calls)
        self._check_after_restart(pending, report)
        restart.join()
        if self.server.process is None or self.server.process.poll() is not None:
            raise RuntimeError("acsa serve did not restart (see its log)")
        self._retry(pending, report)
        self._check_exact(report)
        report.seconds = time.monotonic() - started
        return report

    def _client(
        self,
        index: int,
        n: int,
        rng: random.Random,
        stop: threading.Event,
        calls: list[Call],
        pending: list[Call],
    ) -> None:
        with httpx.Client(base_url=self.server.base + "/api/v1", timeout=60) as client:
            count = 0
            while not stop.is_set():
                count += 1
                call = self._next_call(n, rng, f"r{index}-c{n}-{count}")
                with self._lock:
                    calls.append(call)
                try:
                    answer = client.post(
                        call.path, content=call.body, headers=call.headers(self.people)
                    )
                    call.status = answer.status_code
                    call.answer = answer.json()
                except (httpx.HTTPError, ValueError) as exc:
                    call.error = type(exc).__name__
                if not call.acknowledged:
                    with self._lock:
                        pending.append(call)
                    return
                with self._lock:
                    self.model.apply(call, call.answer)

    def _next_call(self, n: int, rng: random.Random, key: str) -> Call:
        with self._lock:
            mine = [
                o for o in self.model.orders.values() if o.owner == n and o.next_step() is not None
            ]
        if not mine or (len(mine) < OPEN_PER_CLIENT and rng.random() < 0.3):
            body = json.dumps(order_doc()).encode()
            return Call(n, "place", None, "/orders", body, key, SENDER["place"])
        order = rng.choice(mine)
        step = order.next_step()
        assert step is not None
        body = b""
        path = f"/orders/{order.id}/{step}"
        if step == "invoice":
            path = f"/orders/{order.id}/invoices"
        elif step == "pay":
            assert order.invoice is not None
            number, amount, issued = order.invoice
            path = f"/invoices/{number}/payments"
            body = json.dumps({"amount": amount, "date": issued, "reference": key}).encode()
        return Call(n, step, order.id, path, body, key, SENDER[step])

    def _quiesce(self, timeout_s: float = 20.0) -> None:
        """PostgreSQL: wait until the killed server's sessions are gone (each rolls back what
        it had not committed), so what we read is what survived."""
        if self.engine.dialect.name != "postgresql":
            return
        query = text(
            "SELECT count(*) FROM pg_stat_activity "
            "WHERE datname = current_database() AND pid <> pg_backend_pid()"
        )
        deadline = time.monotonic() + timeout_s
        while time.monotonic() < deadline:
            with self.engine.connect() as conn:
                if conn.execute(query).scalar_one() == 0:
                    return
            time.sleep(0.05)
        raise RuntimeError("the killed server's database sessions did not go away")

    # --- checks ---------------------------------------------------------------------------

    def _check_after_restart(self, pending: list[Call], report: RoundReport) -> None:
        """Acknowledged writes are all there; pending ones whole or not at all."""
        now = stored(self.engine)
        expected = copy.deepcopy(self.model)
        for call in pending:
            if call.key in now.keys:
                report.committed_unacknowledged += 1
                expected.apply(call, now.keys[call.key][1])
        acknowledged = self.model.facts()
        whole = expected.facts()
        report.lost += [f"acknowledged but missing: {f}" for f in _sorted(acknowledged - now.facts)]
        report.half_written += [
            f"its key stored without it: {f}" for f in _sorted(whole - acknowledged - now.facts)
        ]
        report.half_written += [
            f"stored without an acknowledgement or a key: {f}" for f in _sorted(now.facts - whole)
        ]
        report.half_written += half_written(self.engine)

    def _retry(self, pending: list[Call], report: RoundReport) -> None:
        """Each pending request again, same key and bytes: a replay if it had committed,
        else done now; then once more, which must be a replay."""
        before = stored(self.engine)
        with httpx.Client(base_url=self.server.base + "/api/v1", timeout=60) as client:
            for call in pending:
                committed = call.key in before.keys
                answer = client.post(
                    call.path, content=call.body, headers=call.headers(self.people)
                )
                replayed = answer.headers.get("Idempotent-Replayed") == "true"
                if not answer.is_success:
                    report.retry_problems.append(
                        f"{call.key} {call.path}: retry answered {answer.status_code} {answer.text}"
                    )
                    continue
                if committed != replayed:
                    report.retry_problems.append(
                        f"{call.key} {call.path}: committed={committed} but replayed={replayed}"
                    )
                if committed and (answer.status_code, answer.json()) != before.keys[call.key]:
                    report.retry_problems.append(f"{call.key}: the replay differs from the stored")
                self.model.apply(call, answer.json())
                again = client.post(call.path, content=call.body, headers=call.headers(self.people))
                if again.headers.get("Idempotent-Replayed") != "true" or again.json() != (
                    answer.json()
                ):
                    report.retry_problems.append(f"{call.key}: a second retry was not a replay")

    def _check_exact(self, report: RoundReport) -> None:
        """After the retries the database holds exactly what the clients were told."""
        now = stored(self.engine)
        model = self.model.facts()
        report.retry_problems += [f"missing after retry: {f}" for f in _sorted(model - now.facts)]
        report.retry_problems += [f"extra after retry: {f}" for f in _sorted(now.facts - model)]
        if len(now.keys) != self.calls_made:
            report.retry_problems.append(
                f"{len(now.keys)} idempotency keys stored for {self.calls_made} requests"
            )
        report.retry_problems += half_written(self.engine)


def _sorted(facts: Iterable[tuple[Any, ...]]) -> list[tuple[Any, ...]]:
    return sorted(facts, key=str)


@dataclass
class Totals:
    rounds: int = 0
    calls: int = 0
    acknowledged: int = 0
    pending: int = 0
    cut: int = 0
    committed_unacknowledged: int = 0
    lost: int = 0
    half_written: int = 0
    retry_problems: int = 0

    def add(self, report: RoundReport) -> None:
        self.rounds += 1
        self.calls += report.calls
        self.acknowledged += report.acknowledged
        self.pending += report.pending
        self.cut += report.cut
        self.committed_unacknowledged += report.committed_unacknowledged
        self.lost += len(report.lost)
        self.half_written += len(report.half_written)
        self.retry_problems += len(report.retry_problems)
