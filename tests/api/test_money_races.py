"""Eight clients at once on one order's money, through a real server (issue 12).

Against ``acsa serve --workers 2`` on this run's PostgreSQL database and ``acsa serve`` on a
SQLite file, eight threads released together by a barrier (one ``httpx.Client`` each, its
connection opened before the start) ask for the same money step on ONE fresh order: invoice
it, pay half of its invoice, replace half of it in kind, exchange its whole value, sweep it
past its deadline, close it once settled, and a mix of replacements, exchanges and sweeps on
an in-kind order past its deadline. A writing request holds the order it loads until it
commits, so the losers wait for the winner and then decide on what it wrote:

- exactly as many succeed as the order allows (invoice 1, pay half 2, replace half 2,
  exchange of the whole value 1, close 1; every sweep answers, one conversion in all);
- every other answer is a 409 problem document with one of the expected codes (never a 500,
  never a 422, never a 503);
- nothing is billed, paid or settled beyond what is owed: the order's account and invoices
  as the API shows them and as stored (its :class:`OrderAccount` finds no breach), each record
  with its ledger entries and its audit record exactly once;
- both nations' books verify (``/ledger/verify``) and so does the audit chain
  (``/audit/verify``).

Each case prints what it observed (``invoice on postgresql: 201×1 409×7 ...``); the same line
is in every assertion message.
"""

from __future__ import annotations

import threading
import time
import uuid
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import date, timedelta
from decimal import Decimal
from typing import Any

import httpx
import pytest
from sqlalchemy import Engine, func, select
from sqlalchemy.pool import NullPool

from acsa.adapters.db import tables as t
from acsa.adapters.db.engine import make_engine
from acsa.adapters.db.unit_of_work import UnitOfWork
from acsa.domain.money import from_minor
from acsa.services.orders import load_order
from acsa.services.settlement import load_account
from acsa.services.setup import init_database
from tests.api.invariants import half_written
from tests.api.server import Person, Server
from tests.api.team import add_team
from tests.conftest import _wipe_and_reload
from tests.orders_data import SERVICES_FOR_DARWIN, order_doc

CLIENTS = 8
WORKERS = 2
TEAM = (
    "AUS-requester",
    "JPN-approver",
    "JPN-logistics",
    "AUS-logistics",
    "JPN-finance",
    "AUS-finance",
    "JPN-auditor",
    "AUS-auditor",
)
PROBLEM = "application/problem+json"
#: uvicorn restarts a worker that has not answered its health check within 5 s; on a loaded
#: machine importing the app takes about that long, so two workers may need a few tries.
START_TIMEOUT_S = 120.0
#: What tests/orders_data.order_doc is worth, and half of it line by line (JPY).
WHOLE = Decimal(12000 * 152) + Decimal(400 * 1850) + Decimal("2000.5") * 40
HALF = WHOLE / 2
HALF_LINES = [
    {"line": 1, "category": "fuel", "quantity": "6000", "nsn": "9130-01-031-5816"},
    {"line": 2, "category": "food", "quantity": "200"},
    {"line": 3, "category": "water", "quantity": "1000.25"},
]
BACKENDS = ["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)]


@dataclass
class Running:
    backend: str
    server: Server
    people: dict[str, Person]
    engine: Engine
    client: httpx.Client

    @property
    def api(self) -> str:
        return self.server.base + "/api/v1"

    def as_(self, name: str) -> dict[str, str]:
        return self.people[name].headers


@pytest.fixture(scope="module", params=BACKENDS)
def running(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[Running]:
    """One server per backend for the whole module: ``acsa serve --workers 2`` over this
    run's PostgreSQL database (emptied first), ``acsa serve`` over a fresh SQLite file."""
    backend = str(request.param)
    folder = tmp_path_factory.mktemp(f"money-races-{backend}")
    if backend == "postgresql":
        db_url = str(request.getfixturevalue("pg_url"))
        engine = make_engine(db_url, poolclass=NullPool)
        _wipe_and_reload(engine)
        workers = WORKERS
    else:
        db_url = f"sqlite:///{folder / 'acsa.db'}"
        engine = make_engine(db_url, poolclass=NullPool)
        init_database(engine)
        workers = 1
    people = add_team(db_url, TEAM)
    server = Server(db_url, workers=workers, log=folder / "serve.log")
    server.start(timeout_s=START_TIMEOUT_S)
    try:
        with httpx.Client(base_url=server.base + "/api/v1", timeout=60) as client:
            yield Running(backend, server, people, engine, client)
    finally:
        server.stop()
        engine.dispose()


# --- the orders each case races on ------------------------------------------------------------


def received(running: Running, settlement: str = "cash", **changes: Any) -> int:
    """A fresh JPN-AUS order supplied by JPN and received in full by AUS: its id."""
    c = running.client
    placed = c.post(
        "/orders",
        json=order_doc(settlement=settlement, **changes),
        headers=running.as_("AUS-requester"),
    )
    assert placed.status_code == 201, placed.text
    oid = int(placed.json()["id"])
    for action, who in (
        ("submit", "AUS-requester"),
        ("accept", "JPN-approver"),
        ("deliver", "JPN-logistics"),
        ("receive", "AUS-logistics"),
    ):
        moved = c.post(f"/orders/{oid}/{action}", headers=running.as_(who))
        assert moved.status_code == 200, moved.text
    owed = account(running, oid)
    assert (Decimal(owed["received"]), owed["currency"]) == (WHOLE, "JPY"), owed
    return oid


def invoiced(running: Running) -> tuple[int, dict[str, Any]]:
    """A fresh received cash order and its one invoice (of the whole value)."""
    oid = received(running)
    invoice = running.client.post(f"/orders/{oid}/invoices", headers=running.as_("JPN-finance"))
    assert invoice.status_code == 201, invoice.text
    assert Decimal(invoice.json()["amount"]) == WHOLE
    return oid, invoice.json()


def account(running: Running, oid: int) -> dict[str, Any]:
    got = running.client.get(f"/orders/{oid}/account", headers=running.as_("JPN-finance"))
    assert got.status_code == 200, got.text
    shown: dict[str, Any] = got.json()["account"]
    return shown


def settlements(running: Running, oid: int) -> list[dict[str, Any]]:
    got = running.client.get(f"/orders/{oid}/account", headers=running.as_("AUS-finance"))
    assert got.status_code == 200, got.text
    found: list[dict[str, Any]] = got.json()["settlements"]
    return found


def invoices(running: Running, oid: int) -> list[dict[str, Any]]:
    got = running.client.get("/invoices", params={"order": oid}, headers=running.as_("AUS-finance"))
    assert got.status_code == 200, got.text
    found: list[dict[str, Any]] = got.json()
    return found


def past_deadline(running: Running, oid: int) -> str:
    """The day after the order's replacement deadline, as the API states it."""
    deadline = account(running, oid)["replacement_deadline"]
    assert deadline, f"order {oid} has no replacement deadline"
    return (date.fromisoformat(deadline) + timedelta(days=1)).isoformat()


def exchange_body(value: Decimal) -> dict[str, Any]:
    return {
        "lines": [
            {"category": "transportation", "description": "Airlift, C-130", "value": str(value)}
        ],
        "agreed_by": "JPN-finance and AUS-finance",
        "valuation_note": "airlift hours at the published rate",
    }


# --- the race ---------------------------------------------------------------------------------


@dataclass(frozen=True)
class Shot:
    """One client's request: who sends it, where, with what body."""

    who: str
    path: str
    body: Any = None
    label: str = ""


@dataclass
class Race:
    """Eight answers to eight requests released at once, and what they say."""

    case: str
    backend: str
    shots: list[Shot]
    answers: list[httpx.Response] = field(default_factory=list)
    seconds: float = 0.0

    def statuses(self, label: str | None = None) -> Counter[int]:
        return Counter(
            a.status_code
            for s, a in zip(self.shots, self.answers, strict=True)
            if label is None or s.label == label
        )

    def codes(self) -> Counter[str]:
        return Counter(_code(a) for a in self.answers if not a.is_success)

    @property
    def summary(self) -> str:
        statuses = " ".join(f"{s}×{n}" for s, n in sorted(self.statuses().items()))
        codes = ", ".join(f"{c}×{n}" for c, n in sorted(self.codes().items()))
        labels = {s.label for s in self.shots if s.label}
        per_label = "".join(
            f" [{label}: "
            + " ".join(f"{s}×{n}" for s, n in sorted(self.statuses(label).items()))
            + "]"
            for label in sorted(labels)
        )
        return (
            f"{self.case} on {self.backend}: {statuses} ({codes or 'no refusal'}){per_label} "
            f"in {self.seconds:.2f} s"
        )

    def report(self) -> str:
        """The summary, and the body of every answer that is neither a success nor a 409."""
        odd = [f"{a.status_code} {a.text[:300]}" for a in self.answers if a.status_code >= 300]
        return self.summary + ("\n" + "\n".join(odd) if odd else "")


def _code(answer: httpx.Response) -> str:
    try:
        return str(answer.json().get("code"))
    except ValueError:
        return f"<{answer.status_code}, not JSON>"


def race(running: Running, case: str, shots: list[Shot]) -> Race:
    """Fire ``shots`` at once, one thread and one client each, released by a barrier after
    every client has its connection open; each request carries a key of its own."""
    assert len(shots) == CLIENTS
    barrier = threading.Barrier(len(shots))
    answers: list[httpx.Response | BaseException | None] = [None] * len(shots)
    run = uuid.uuid4().hex[:8]

    def fire(n: int, shot: Shot) -> None:
        headers = {**running.as_(shot.who), "Idempotency-Key": f"{case}-{run}-{n}"}
        try:
            with httpx.Client(base_url=running.api, timeout=120) as client:
                assert client.get(running.server.base + "/healthz").status_code == 200
                barrier.wait(60)
                answers[n] = client.post(shot.path, json=shot.body, headers=headers)
        except BaseException as exc:
            answers[n] = exc
            barrier.abort()

    threads = [threading.Thread(target=fire, args=(n, s)) for n, s in enumerate(shots)]
    started = time.monotonic()
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(180)
    seconds = time.monotonic() - started
    failed = [a for a in answers if not isinstance(a, httpx.Response)]
    assert not failed, f"{case} on {running.backend}: clients without an answer: {failed!r}"
    result = Race(case, running.backend, shots, [a for a in answers if a is not None], seconds)
    print(result.summary)
    return result


def refusals_are_coded(result: Race, codes: set[str]) -> None:
    """Every answer that is not a success is a 409 problem document with one of ``codes``."""
    for answer in result.answers:
        if answer.is_success:
            continue
        assert answer.status_code == 409, result.report()
        assert answer.headers["content-type"] == PROBLEM, result.report()
        problem = answer.json()
        assert problem["status"] == 409, result.report()
        assert problem["code"] in codes, result.report()
        assert problem["errors"], result.report()


# --- what is stored ---------------------------------------------------------------------------


@dataclass
class Stored:
    """What the database holds of one order's money, read directly."""

    invoices: list[tuple[str, Decimal]]
    payments: list[Decimal]
    settlements: list[tuple[str, Decimal]]
    entries: Counter[str]
    audit: Counter[str]
    events: list[str]

    def settled(self, *kinds: str) -> Decimal:
        return sum((v for k, v in self.settlements if k in kinds), Decimal(0))


def stored(engine: Engine, oid: int) -> Stored:
    i, p, s, e, a, ev = (
        t.invoices,
        t.payments,
        t.settlements,
        t.ledger_entries,
        t.audit_log,
        t.order_events,
    )
    with engine.connect() as conn:
        bills = [
            (r.kind, from_minor(int(r.amount_minor), r.currency))
            for r in conn.execute(
                select(i.c.kind, i.c.amount_minor, i.c.currency)
                .where(i.c.order_id == oid)
                .order_by(i.c.id)
            )
        ]
        paid = [
            from_minor(int(r.amount_minor), r.currency)
            for r in conn.execute(
                select(p.c.amount_minor, p.c.currency)
                .join(i, i.c.id == p.c.invoice_id)
                .where(i.c.order_id == oid)
                .order_by(p.c.id)
            )
        ]
        settled = [
            (r.kind, from_minor(int(r.value_minor), r.currency))
            for r in conn.execute(
                select(s.c.kind, s.c.value_minor, s.c.currency)
                .where(s.c.order_id == oid)
                .order_by(s.c.id)
            )
        ]
        entries = Counter(
            {
                r.kind: int(r.n)
                for r in conn.execute(
                    select(e.c.kind, func.count().label("n"))
                    .where(e.c.order_id == oid)
                    .group_by(e.c.kind)
                )
            }
        )
        audit = Counter(
            {
                r.action: int(r.n)
                for r in conn.execute(
                    select(a.c.action, func.count().label("n"))
                    .where(a.c.order_id == oid)
                    .group_by(a.c.action)
                )
            }
        )
        events = [
            r.action
            for r in conn.execute(
                select(ev.c.action).where(ev.c.order_id == oid).order_by(ev.c.seq)
            )
        ]
    return Stored(bills, paid, settled, entries, audit, events)


def books_agree(running: Running, oid: int, result: Race) -> None:
    """Both nations' books and the audit chain verify through the API; the order's stored
    account breaks no money rule; no change is half written."""
    for who in ("JPN-auditor", "AUS-auditor"):
        books = running.client.get("/ledger/verify", headers=running.as_(who))
        assert books.status_code == 200, books.text
        assert books.json()["ok"] is True, (result.summary, books.json())
        chain = running.client.get("/audit/verify", headers=running.as_(who))
        assert chain.status_code == 200, chain.text
        assert chain.json()["ok"] is True, (result.summary, chain.json())
    uow = UnitOfWork(running.engine, read_only=True)
    with uow:
        breaches = load_account(uow, load_order(uow, oid)).breaches()
    assert breaches == [], (result.summary, breaches)
    assert half_written(running.engine) == [], result.summary


def audited_once(db: Stored, result: Race, **per_action: int) -> None:
    """Exactly ``per_action`` audit records of each money action named (dots as ``__``)."""
    for action, count in per_action.items():
        name = action.replace("__", ".")
        assert db.audit[name] == count, (result.summary, name, db.audit)


# --- the cases --------------------------------------------------------------------------------


def test_eight_invoices_of_one_received_order_bill_it_once(running: Running) -> None:
    oid = received(running)
    shots = [Shot("JPN-finance", f"/orders/{oid}/invoices") for _ in range(CLIENTS)]
    result = race(running, "invoice", shots)

    assert result.statuses() == {201: 1, 409: CLIENTS - 1}, result.report()
    refusals_are_coded(result, {"NOTHING_TO_INVOICE"})
    [winner] = [a.json() for a in result.answers if a.status_code == 201]
    assert Decimal(winner["amount"]) == WHOLE, result.summary
    owed = account(running, oid)
    assert Decimal(owed["invoiced"]) == WHOLE, (result.summary, owed)
    assert Decimal(owed["uninvoiced"]) == 0, (result.summary, owed)
    assert "invoice" not in owed["actions"], (result.summary, owed)
    assert [i["number"] for i in invoices(running, oid)] == [winner["number"]], result.summary
    db = stored(running.engine, oid)
    assert db.invoices == [("cash", WHOLE)], (result.summary, db)
    audited_once(db, result, invoice__issue=1)
    books_agree(running, oid, result)


def test_eight_payments_of_half_an_invoice_record_two(running: Running) -> None:
    oid, invoice = invoiced(running)
    number = invoice["number"]
    payment = {"amount": str(HALF), "date": invoice["issued"], "reference": "race"}
    shots = [Shot("AUS-finance", f"/invoices/{number}/payments", payment) for _ in range(CLIENTS)]
    result = race(running, "pay half", shots)

    assert result.statuses() == {201: 2, 409: CLIENTS - 2}, result.report()
    refusals_are_coded(result, {"OVERPAYMENT"})
    paid_after = sorted(Decimal(a.json()["paid"]) for a in result.answers if a.is_success)
    assert paid_after == [HALF, WHOLE], result.summary  # each winner saw the one before
    [shown] = invoices(running, oid)
    assert (Decimal(shown["paid"]), Decimal(shown["unpaid"])) == (WHOLE, 0), result.summary
    assert shown["status"] == "paid", result.summary
    assert [Decimal(p["amount"]) for p in shown["payments"]] == [HALF, HALF], result.summary
    owed = account(running, oid)
    assert (Decimal(owed["paid"]), Decimal(owed["owed_in_cash"])) == (WHOLE, 0), owed
    db = stored(running.engine, oid)
    assert db.payments == [HALF, HALF], (result.summary, db)
    assert db.entries["payment"] == 2 * 2, (result.summary, db.entries)  # both books, twice
    audited_once(db, result, payment__record=2)
    books_agree(running, oid, result)


def test_eight_replacements_of_half_the_goods_record_two(running: Running) -> None:
    oid = received(running, "replacement_in_kind")
    body = {"lines": HALF_LINES, "note": "half returned"}
    shots = [Shot("AUS-logistics", f"/orders/{oid}/replacements", body) for _ in range(CLIENTS)]
    result = race(running, "replace half", shots)

    assert result.statuses() == {201: 2, 409: CLIENTS - 2}, result.report()
    refusals_are_coded(result, {"REPLACEMENT_EXCEEDS_OWED"})
    assert [Decimal(a.json()["value"]) for a in result.answers if a.is_success] == [HALF, HALF]
    owed = account(running, oid)
    assert Decimal(owed["settled_in_kind"]) == WHOLE, (result.summary, owed)
    assert Decimal(owed["awaiting_replacement"]) == 0, (result.summary, owed)
    assert owed["settled"] is True, (result.summary, owed)
    assert [s["kind"] for s in settlements(running, oid)] == ["replacement"] * 2, result.summary
    assert invoices(running, oid) == [], result.summary
    db = stored(running.engine, oid)
    assert db.settlements == [("replacement", HALF)] * 2, (result.summary, db)
    assert db.entries["replacement"] == 2 * 2, (result.summary, db.entries)
    audited_once(db, result, settlement__replacement=2)
    books_agree(running, oid, result)


def test_eight_exchanges_of_the_whole_value_record_one(running: Running) -> None:
    oid = received(running, "equal_value_exchange", lines=SERVICES_FOR_DARWIN)
    owed_before = Decimal(account(running, oid)["awaiting_replacement"])
    assert owed_before == WHOLE
    body = exchange_body(owed_before)
    shots = [Shot("AUS-finance", f"/orders/{oid}/exchanges", body) for _ in range(CLIENTS)]
    result = race(running, "exchange whole", shots)

    assert result.statuses() == {201: 1, 409: CLIENTS - 1}, result.report()
    refusals_are_coded(result, {"EXCHANGE_EXCEEDS_OWED"})
    owed = account(running, oid)
    assert Decimal(owed["settled_in_kind"]) == WHOLE, (result.summary, owed)
    assert Decimal(owed["awaiting_replacement"]) == 0, (result.summary, owed)
    assert [s["kind"] for s in settlements(running, oid)] == ["exchange"], result.summary
    db = stored(running.engine, oid)
    assert db.settlements == [("exchange", WHOLE)], (result.summary, db)
    assert db.entries["exchange"] == 2, (result.summary, db.entries)
    audited_once(db, result, settlement__exchange=1)
    books_agree(running, oid, result)


def test_eight_sweeps_past_the_deadline_convert_once(running: Running) -> None:
    oid = received(running, "replacement_in_kind")
    body = {"as_of": past_deadline(running, oid)}
    shots = [Shot("JPN-finance", "/sweep", body) for _ in range(CLIENTS)]
    result = race(running, "sweep", shots)

    assert result.statuses() == {200: CLIENTS}, result.report()
    converted = [c for a in result.answers for c in a.json()["converted"] if c["order"] == oid]
    assert len(converted) == 1, (result.summary, converted)
    assert Decimal(converted[0]["amount"]) == WHOLE, (result.summary, converted)
    owed = account(running, oid)
    assert Decimal(owed["converted"]) == WHOLE, (result.summary, owed)
    assert Decimal(owed["awaiting_replacement"]) == 0, (result.summary, owed)
    assert Decimal(owed["owed_in_cash"]) == WHOLE, (result.summary, owed)
    [bill] = invoices(running, oid)
    assert (bill["kind"], Decimal(bill["amount"])) == ("conversion", WHOLE), result.summary
    assert bill["number"] == converted[0]["invoice"], result.summary
    db = stored(running.engine, oid)
    assert db.settlements == [("conversion", WHOLE)], (result.summary, db)
    assert db.invoices == [("conversion", WHOLE)], (result.summary, db)
    assert db.entries["conversion"] == 2, (result.summary, db.entries)
    audited_once(db, result, order__convert=1)
    books_agree(running, oid, result)


def test_eight_closes_of_a_settled_order_close_it_once(running: Running) -> None:
    oid, invoice = invoiced(running)
    payment = {"amount": invoice["amount"], "date": invoice["issued"], "reference": "all"}
    paid = running.client.post(
        f"/invoices/{invoice['number']}/payments", json=payment, headers=running.as_("AUS-finance")
    )
    assert paid.status_code == 201, paid.text
    assert "close" in account(running, oid)["actions"]
    people = ("JPN-finance", "AUS-finance")
    shots = [Shot(people[n % 2], f"/orders/{oid}/close") for n in range(CLIENTS)]
    result = race(running, "close", shots)

    assert result.statuses() == {200: 1, 409: CLIENTS - 1}, result.report()
    refusals_are_coded(result, {"INVALID_TRANSITION", "CONCURRENT_UPDATE"})
    shown = running.client.get(f"/orders/{oid}", headers=running.as_("AUS-finance"))
    assert shown.json()["status"] == "closed", result.summary
    db = stored(running.engine, oid)
    assert db.events.count("close") == 1, (result.summary, db.events)
    assert db.events[-1] == "close", (result.summary, db.events)
    assert db.payments == [WHOLE], (result.summary, db)
    audited_once(db, result, order__close=1)
    books_agree(running, oid, result)


def test_replacements_exchanges_and_sweeps_at_once_settle_the_debt_once(
    running: Running,
) -> None:
    """Past the deadline, three clients replace half, three exchange half and two sweep: what
    is settled in kind and what is converted add up to exactly what was received, whoever
    wins."""
    oid = received(running, "replacement_in_kind")
    sweep = {"as_of": past_deadline(running, oid)}
    replacement = {"lines": HALF_LINES, "note": "half returned"}
    plan = ["replace", "exchange", "sweep", "replace", "exchange", "sweep", "replace", "exchange"]
    shots = [
        {
            "replace": Shot("AUS-logistics", f"/orders/{oid}/replacements", replacement, "replace"),
            "exchange": Shot(
                "AUS-finance", f"/orders/{oid}/exchanges", exchange_body(HALF), "exchange"
            ),
            "sweep": Shot("JPN-finance", "/sweep", sweep, "sweep"),
        }[kind]
        for kind in plan
    ]
    result = race(running, "mixed", shots)

    assert result.statuses("sweep") == {200: 2}, result.report()
    in_kind = [a for s, a in zip(result.shots, result.answers, strict=True) if s.label != "sweep"]
    assert {a.status_code for a in in_kind} <= {201, 409}, result.report()
    refusals_are_coded(result, {"REPLACEMENT_EXCEEDS_OWED", "EXCHANGE_EXCEEDS_OWED"})
    won = [a for a in in_kind if a.status_code == 201]
    assert len(won) <= 2, result.report()
    converted = [
        c
        for s, a in zip(result.shots, result.answers, strict=True)
        if s.label == "sweep"
        for c in a.json()["converted"]
        if c["order"] == oid
    ]
    assert len(converted) <= 1, (result.summary, converted)
    settled = HALF * len(won)
    conversion = sum((Decimal(c["amount"]) for c in converted), Decimal(0))
    assert settled + conversion == WHOLE, (result.summary, settled, conversion)

    owed = account(running, oid)
    assert Decimal(owed["settled_in_kind"]) == settled, (result.summary, owed)
    assert Decimal(owed["converted"]) == conversion, (result.summary, owed)
    assert Decimal(owed["awaiting_replacement"]) == 0, (result.summary, owed)
    bills = [(i["kind"], Decimal(i["amount"])) for i in invoices(running, oid)]
    assert bills == ([("conversion", conversion)] if conversion else []), result.summary
    db = stored(running.engine, oid)
    assert db.settled("replacement", "exchange") == settled, (result.summary, db)
    assert db.settled("conversion") == conversion, (result.summary, db)
    assert len(db.settlements) == len(won) + len(converted), (result.summary, db)
    assert db.invoices == bills, (result.summary, db)
    kinds = Counter(k for k, _ in db.settlements)
    assert db.entries == {"receipt": 2, **{k: 2 * n for k, n in kinds.items()}}, (
        result.summary,
        db.entries,
    )
    audited_once(
        db,
        result,
        settlement__replacement=kinds["replacement"],
        settlement__exchange=kinds["exchange"],
        order__convert=kinds["conversion"],
    )
    books_agree(running, oid, result)
