"""Concurrent clients against ``acsa serve --workers 2`` on PostgreSQL: 8 threads take 200
orders through their whole life at once, then the books, the histories, the audit chain and
the running balances are checked; and 8 approvers racing to accept one order with the same
If-Match make exactly one acceptance (no lost update)."""

from __future__ import annotations

import threading
import time
from collections import Counter, defaultdict
from collections.abc import Iterator
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

import httpx
import pytest
from sqlalchemy import Engine, func, select
from sqlalchemy.pool import NullPool

from acsa.adapters.db import tables as t
from acsa.adapters.db.engine import make_engine
from acsa.adapters.db.unit_of_work import UnitOfWork
from acsa.services import ledger, orders
from acsa.services.audit import verify_audit
from tests.api.invariants import half_written
from tests.api.server import Person, Server
from tests.api.team import add_team
from tests.conftest import _wipe_and_reload
from tests.orders_data import order_doc

pytestmark = pytest.mark.postgres

CLIENTS = 8
LIFECYCLES = 200
WORKERS = 2
TEAM = (
    "AUS-requester",
    "JPN-approver",
    "JPN-logistics",
    "AUS-logistics",
    "JPN-finance",
    "AUS-finance",
)
#: Attempts of one request on 503 or a connection error, always with the same key.
ATTEMPTS = 30
LIFE = ["create", "submit", "accept", "deliver", "receive", "close"]
ORDER_TOTAL = Decimal(12000 * 152 + 400 * 1850 + 80020)  # tests/orders_data.order_doc, JPY


@dataclass
class Running:
    server: Server
    people: dict[str, Person]
    engine: Engine


@pytest.fixture(scope="module")
def running(pg_url: str, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Running]:
    """``acsa serve --workers 2`` over this run's PostgreSQL database, emptied first."""
    engine = make_engine(pg_url, poolclass=NullPool)
    _wipe_and_reload(engine)
    people = add_team(pg_url, TEAM)
    log = tmp_path_factory.mktemp("concurrency") / "serve.log"
    with Server(pg_url, workers=WORKERS, log=log) as server:
        yield Running(server, people, engine)
    engine.dispose()


@dataclass
class Client:
    """One thread's client: every POST with its own key, sent again on 503 or a lost
    connection with the same key until it gets another answer."""

    base: str
    people: dict[str, Person]
    name: str
    retried: Counter[int | str] = field(default_factory=Counter)
    count: int = 0

    def post(self, client: httpx.Client, who: str, path: str, body: Any = None) -> Any:
        self.count += 1
        headers = {**self.people[who].headers, "Idempotency-Key": f"{self.name}-{self.count}"}
        for attempt in range(ATTEMPTS):
            try:
                answer = client.post(path, json=body, headers=headers)
            except httpx.TransportError as exc:
                self.retried[type(exc).__name__] += 1
            else:
                if answer.status_code != 503:
                    assert answer.is_success, f"{path}: {answer.status_code} {answer.text}"
                    return answer.json()
                self.retried[503] += 1
            time.sleep(0.02 * (attempt + 1))
        raise AssertionError(f"{path}: no answer but 503 or errors after {ATTEMPTS} attempts")

    def lifecycle(self, client: httpx.Client) -> int:
        oid = int(self.post(client, "AUS-requester", "/orders", order_doc())["id"])
        for step, who, status in (
            ("submit", "AUS-requester", "submitted"),
            ("accept", "JPN-approver", "accepted"),
            ("deliver", "JPN-logistics", "delivered"),
            ("receive", "AUS-logistics", "received"),
        ):
            assert self.post(client, who, f"/orders/{oid}/{step}")["status"] == status
        invoice = self.post(client, "JPN-finance", f"/orders/{oid}/invoices")
        payment = {"amount": invoice["amount"], "date": invoice["issued"], "reference": str(oid)}
        paid = self.post(client, "AUS-finance", f"/invoices/{invoice['number']}/payments", payment)
        assert paid["status"] == "paid", paid
        assert self.post(client, "AUS-finance", f"/orders/{oid}/close")["status"] == "closed"
        return oid


def test_eight_clients_take_200_orders_through_their_life_and_the_books_agree(
    running: Running,
) -> None:
    todo = iter(range(LIFECYCLES))
    lock = threading.Lock()
    done: list[int] = []
    failures: list[str] = []
    clients = [Client(running.server.base, running.people, f"client-{n}") for n in range(CLIENTS)]

    def work(me: Client) -> None:
        with httpx.Client(base_url=running.server.base + "/api/v1", timeout=60) as client:
            while True:
                with lock:
                    if next(todo, None) is None or failures:
                        return
                try:
                    oid = me.lifecycle(client)
                except Exception as exc:
                    with lock:
                        failures.append(f"{me.name}: {exc!r}")
                    return
                with lock:
                    done.append(oid)

    started = time.monotonic()
    threads = [threading.Thread(target=work, args=(c,)) for c in clients]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(600)
    seconds = time.monotonic() - started
    retried = sum((c.retried for c in clients), Counter())
    requests = sum(c.count for c in clients)
    print(f"{requests} writes in {seconds:.1f} s ({requests / seconds:.0f}/s), retried: {retried}")
    assert not failures, failures
    assert len(done) == len(set(done)) == LIFECYCLES

    engine = running.engine
    # Exactly the orders placed, no retry placed one twice, all closed.
    stored = orders.list_orders(UnitOfWork(engine, read_only=True))
    assert sorted(o.id for o in stored) == sorted(done)
    assert {o.status.value for o in stored} == {"closed"}
    # Each event exactly once, in order.
    histories = _histories(engine, done)
    assert set(histories) == set(done)
    wrong = {oid: h for oid, h in histories.items() if h != LIFE}
    assert not wrong, wrong
    entries = _entries_by_kind(engine, done)
    assert all(k == {"receipt": 2, "payment": 2} for k in entries.values()), entries

    books = ledger.verify(UnitOfWork(engine, read_only=True))
    assert books.ok, books
    jpn, aus = (
        {p.currency: p for p in ledger.balances(UnitOfWork(engine, read_only=True), nation, p2)}
        for nation, p2 in (("JPN", "AUS"), ("AUS", "JPN"))
    )
    assert jpn["JPY"].owed_to_us == aus["JPY"].owed_by_us == 0
    assert jpn["JPY"].provided == aus["JPY"].received == LIFECYCLES * ORDER_TOTAL
    chain = verify_audit(UnitOfWork(engine, read_only=True))
    assert chain.ok, chain.problems
    assert half_written(engine) == []
    with engine.connect() as conn:
        keys = conn.execute(select(func.count()).select_from(t.idempotency_keys)).scalar_one()
    assert keys == requests


def test_eight_approvers_racing_on_one_version_make_one_acceptance(running: Running) -> None:
    people, base = running.people, running.server.base + "/api/v1"
    requester = people["AUS-requester"].headers
    with httpx.Client(base_url=base, timeout=60) as client:
        oid = client.post("/orders", json=order_doc(), headers=requester).json()["id"]
        submitted = client.post(f"/orders/{oid}/submit", headers=requester)
    assert submitted.status_code == 200, submitted.text
    version = submitted.headers["ETag"]
    barrier = threading.Barrier(CLIENTS)
    answers: list[httpx.Response] = []
    lock = threading.Lock()

    def accept(n: int) -> None:
        headers = {
            **people["JPN-approver"].headers,
            "If-Match": version,
            "Idempotency-Key": f"race-{oid}-{n}",
        }
        with httpx.Client(base_url=base, timeout=60) as client:
            barrier.wait()
            answer = client.post(f"/orders/{oid}/accept", headers=headers)
        with lock:
            answers.append(answer)

    threads = [threading.Thread(target=accept, args=(n,)) for n in range(CLIENTS)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(60)
    statuses = Counter(a.status_code for a in answers)
    assert statuses == {200: 1, 409: CLIENTS - 1}, [a.text for a in answers]
    codes = {a.json()["code"] for a in answers if a.status_code == 409}
    assert codes <= {"CONCURRENT_UPDATE", "INVALID_TRANSITION"}, codes
    history = _histories(running.engine, [oid])[oid]
    assert history == ["create", "submit", "accept"]
    with running.engine.connect() as conn:
        a = t.audit_log
        accepts = conn.execute(
            select(func.count()).where(a.c.order_id == oid, a.c.action == "order.accept")
        ).scalar_one()
    assert accepts == 1


def _histories(engine: Engine, ids: list[int]) -> dict[int, list[str]]:
    e = t.order_events
    found: dict[int, list[str]] = defaultdict(list)
    with engine.connect() as conn:
        query = select(e.c.order_id, e.c.action).where(e.c.order_id.in_(ids)).order_by(e.c.seq)
        for row in conn.execute(query):
            found[row.order_id].append(row.action)
    return dict(found)


def _entries_by_kind(engine: Engine, ids: list[int]) -> dict[int, dict[str, int]]:
    e = t.ledger_entries
    found: dict[int, dict[str, int]] = {oid: {} for oid in ids}
    with engine.connect() as conn:
        query = (
            select(e.c.order_id, e.c.kind, func.count().label("n"))
            .where(e.c.order_id.in_(ids))
            .group_by(e.c.order_id, e.c.kind)
        )
        for row in conn.execute(query):
            found[row.order_id][row.kind] = int(row.n)
    return found
