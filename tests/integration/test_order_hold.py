"""A writing unit of work holds the order it loads: a scripted interleaving of two of them.

The first unit of work loads an order for a money step and stops right after its account is
loaded (``acsa.services.settlement.load_account`` is wrapped to pause its first caller); the
second then tries the same step on the same order. It must be HELD: not finished a second
later, on PostgreSQL waiting on a row lock of its ``SELECT ... FOR UPDATE``. Once the first
commits, the second finishes and is refused with what the first left (NOTHING_TO_INVOICE,
OVERPAYMENT, EXCHANGE_EXCEEDS_OWED): one invoice, one payment, one exchange, their ledger
entries and audit records once, and the stored account breaks no rule.

The control takes the hold away (every ``OrderRepository`` built unlocked): on PostgreSQL the
same script then bills the order twice, so the lock is what prevents it; SQLite's writers
still take turns (BEGIN IMMEDIATE), which the same control shows.
"""

from __future__ import annotations

import threading
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from typing import Any

import pytest
from sqlalchemy import Connection, Engine, func, select, text

from acsa.adapters.db import tables as t
from acsa.adapters.db.repository import OrderRepository
from acsa.adapters.db.unit_of_work import UnitOfWork
from acsa.commands import (
    AcceptOrder,
    DeliverOrder,
    ExchangeEqualValue,
    IssueInvoice,
    PlaceOrder,
    ReceiveOrder,
    RecordPayment,
    SubmitOrder,
)
from acsa.domain.account import OrderAccount
from acsa.domain.errors import AcsaError
from acsa.domain.money import from_minor
from acsa.domain.order import Order
from acsa.services import orders, settlement
from acsa.services.handlers import handle
from tests.orders_data import SERVICES_FOR_DARWIN, order_doc

#: What tests/orders_data.order_doc is worth (JPY).
WHOLE = Decimal(12000 * 152 + 400 * 1850) + Decimal("2000.5") * 40
#: How long the second must still be waiting while the first pauses.
HELD_FOR_S = 1.0
#: An upper bound for anything that is not held (SQLite's writers wait 10 s at most).
SOON_S = 8.0
PAID_ON = date(2026, 12, 31)
#: An equal value exchange of the whole order.
GIVEN = {
    "lines": [{"category": "transportation", "description": "Airlift", "value": str(WHOLE)}],
    "agreed_by": "both finance officers",
}


assert Decimal(400 * 4500 + 12 * 70335) == WHOLE


def received_order(engine: Engine, settlement_method: str = "cash") -> int:
    doc = order_doc(settlement=settlement_method)
    if settlement_method == "equal_value_exchange":
        doc["lines"] = SERVICES_FOR_DARWIN
    order, _ = handle(UnitOfWork(engine), PlaceOrder.from_wire(doc), "Lt Sato")
    assert order.id is not None
    for step in (SubmitOrder, AcceptOrder, DeliverOrder, ReceiveOrder):
        handle(UnitOfWork(engine), step(order_id=order.id), "someone")
    return order.id


# --- the interleaving -------------------------------------------------------------------------


class Pause:
    """``settlement.load_account`` made to stop its first caller once the account is loaded,
    until :meth:`release`; later callers pass straight through. Notes, for each call, whether
    it was made after the release (so after the first could commit)."""

    def __init__(self, monkeypatch: pytest.MonkeyPatch) -> None:
        self.loaded = threading.Event()
        self.released = threading.Event()
        self.after_release: list[bool] = []
        self._lock = threading.Lock()
        real = settlement.load_account

        def paused(uow: UnitOfWork, order: Order) -> OrderAccount:
            account = real(uow, order)
            with self._lock:
                first = not self.after_release
                self.after_release.append(self.released.is_set())
            if first:
                self.loaded.set()
                assert self.released.wait(30), "the script never released the first"
            return account

        monkeypatch.setattr(settlement, "load_account", paused)

    def release(self) -> None:
        self.released.set()


class Attempt(threading.Thread):
    """One unit of work's try at a step, in a thread of its own: its result or its error."""

    def __init__(self, name: str, step: Callable[[], Any]) -> None:
        super().__init__(name=name, daemon=True)
        self.step = step
        self.result: Any = None
        self.error: BaseException | None = None

    def run(self) -> None:
        try:
            self.result = self.step()
        except BaseException as exc:
            self.error = exc

    @property
    def codes(self) -> list[str]:
        assert isinstance(self.error, AcsaError), f"{self.name}: {self.error!r}"
        return list(self.error.codes)


@dataclass
class Script:
    """What happened: both attempts, whether the second was still waiting while the first
    paused, and the lock waits PostgreSQL showed meanwhile."""

    first: Attempt
    second: Attempt
    held: bool
    lock_waits: list[str]
    pause: Pause


def interleave(
    engine: Engine, monkeypatch: pytest.MonkeyPatch, step: Callable[[UnitOfWork], Any]
) -> Script:
    """The first unit of work runs ``step`` and pauses once the order's account is loaded; the
    second runs the same ``step``; a second later, the first is let go."""
    pause = Pause(monkeypatch)
    first = Attempt("first", lambda: step(UnitOfWork(engine)))
    second = Attempt("second", lambda: step(UnitOfWork(engine)))
    first.start()
    assert pause.loaded.wait(SOON_S), f"the first never loaded the account: {first.error!r}"
    second.start()
    second.join(HELD_FOR_S)
    held = second.is_alive()
    lock_waits = _lock_waits(engine)
    pause.release()
    first.join(SOON_S)
    second.join(SOON_S)
    assert not first.is_alive(), "the first never finished"
    assert not second.is_alive(), "the second never finished"
    return Script(first, second, held, lock_waits, pause)


def _lock_waits(engine: Engine) -> list[str]:
    """PostgreSQL: what this database's sessions wait on now (a row lock: ``transactionid``
    or ``tuple``; the chain's advisory lock: ``advisory``), and the statement waiting (cut
    at PostgreSQL's track_activity_query_size)."""
    if engine.dialect.name != "postgresql":
        return []
    query = text(
        "SELECT wait_event || ': ' || query FROM pg_stat_activity "
        "WHERE datname = current_database() AND wait_event_type = 'Lock'"
    )
    with engine.connect() as conn:
        return [str(q) for q in conn.execute(query).scalars()]


def assert_held(script: Script, backend: str) -> None:
    """The second waited for the first, and loaded the account only once the first was let
    go; on PostgreSQL, waiting on the order's row lock."""
    assert script.first.error is None, repr(script.first.error)
    assert script.held, "the second finished while the first still held the order"
    assert script.pause.after_release == [False, True], script.pause.after_release
    if backend == "postgresql":
        assert len(script.lock_waits) == 1, script.lock_waits
        # The order's row lock: the order and its lines are read in one SELECT ... FOR
        # UPDATE OF orders, longer than pg_stat_activity keeps of a statement (its FROM is
        # cut off since orders name an arrangement), so the statement is known by its start.
        waiting = script.lock_waits[0]
        assert waiting.startswith(("transactionid: ", "tuple: ")), script.lock_waits
        assert waiting.split(": ", 1)[1].startswith("SELECT orders.id, "), script.lock_waits


# --- what is stored ---------------------------------------------------------------------------


@dataclass
class Stored:
    invoices: list[Decimal]
    payments: list[Decimal]
    settlements: list[tuple[str, Decimal]]
    entries: Counter[str]
    audit: Counter[str]
    breaches: list[str]


def stored(engine: Engine, oid: int) -> Stored:
    i, p, s = t.invoices, t.payments, t.settlements
    with engine.connect() as conn:
        bills = [
            from_minor(int(r.amount_minor), r.currency)
            for r in conn.execute(
                select(i.c.amount_minor, i.c.currency).where(i.c.order_id == oid).order_by(i.c.id)
            )
        ]
        paid = [
            from_minor(int(r.amount_minor), r.currency)
            for r in conn.execute(
                select(p.c.amount_minor, p.c.currency)
                .join(i, i.c.id == p.c.invoice_id)
                .where(i.c.order_id == oid)
            )
        ]
        settled = [
            (r.kind, from_minor(int(r.value_minor), r.currency))
            for r in conn.execute(
                select(s.c.kind, s.c.value_minor, s.c.currency).where(s.c.order_id == oid)
            )
        ]
        entries = _counted(conn, t.ledger_entries.c.kind, t.ledger_entries.c.order_id == oid)
        audit = _counted(conn, t.audit_log.c.action, t.audit_log.c.order_id == oid)
    uow = UnitOfWork(engine, read_only=True)
    with uow:
        account = settlement.load_account(uow, orders.load_order(uow, oid))
    breaches = [v.code.value for v in account.breaches()]
    return Stored(bills, paid, settled, entries, audit, breaches)


def _counted(conn: Connection, column: Any, where: Any) -> Counter[str]:
    query = select(column, func.count()).where(where).group_by(column)
    return Counter({str(key): int(n) for key, n in conn.execute(query)})


# --- held: the second decides on what the first wrote -----------------------------------------


def test_a_second_invoice_waits_for_the_first_and_finds_nothing_to_invoice(
    engine: Engine, backend: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    oid = received_order(engine)
    script = interleave(
        engine, monkeypatch, lambda uow: handle(uow, IssueInvoice(order_id=oid), "fin")
    )

    assert_held(script, backend)
    assert script.first.result.amount == WHOLE
    assert script.second.codes == ["NOTHING_TO_INVOICE"]
    db = stored(engine, oid)
    assert db.invoices == [WHOLE]
    assert db.audit["invoice.issue"] == 1, db.audit
    assert db.entries == {"receipt": 2}, db.entries  # an invoice posts nothing
    assert db.breaches == []


def test_a_second_payment_waits_for_the_first_and_would_overpay(
    engine: Engine, backend: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    oid = received_order(engine)
    number = handle(UnitOfWork(engine), IssueInvoice(order_id=oid), "fin").number
    script = interleave(
        engine,
        monkeypatch,
        lambda uow: handle(uow, RecordPayment(invoice=number, amount=WHOLE, paid=PAID_ON), "fin"),
    )

    assert_held(script, backend)
    assert (script.first.result.paid, script.first.result.status) == (WHOLE, "paid")
    assert script.second.codes == ["OVERPAYMENT"]
    db = stored(engine, oid)
    assert db.payments == [WHOLE]
    assert db.entries == {"receipt": 2, "payment": 2}, db.entries
    assert db.audit["payment.record"] == 1, db.audit
    assert db.breaches == []


def test_a_second_exchange_waits_for_the_first_and_finds_nothing_owed(
    engine: Engine, backend: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    oid = received_order(engine, "equal_value_exchange")
    given = {
        "lines": [{"category": "transportation", "description": "Airlift", "value": str(WHOLE)}],
        "agreed_by": "both finance officers",
    }
    script = interleave(
        engine,
        monkeypatch,
        lambda uow: handle(uow, ExchangeEqualValue.from_wire(given, order_id=oid), "fin"),
    )

    assert_held(script, backend)
    assert script.first.result.value == WHOLE
    assert script.second.codes == ["EXCHANGE_EXCEEDS_OWED"]
    db = stored(engine, oid)
    assert db.settlements == [("exchange", WHOLE)]
    assert db.entries == {"receipt": 2, "exchange": 2}, db.entries
    assert db.audit["settlement.exchange"] == 1, db.audit
    assert db.breaches == []


# --- the control: without the hold -----------------------------------------------------------


def unheld(monkeypatch: pytest.MonkeyPatch) -> None:
    """Every OrderRepository built from now on loads orders without holding them."""
    real = OrderRepository.__init__

    def without_hold(self: OrderRepository, conn: Connection, hold: bool = False) -> None:
        real(self, conn, hold=False)

    monkeypatch.setattr(OrderRepository, "__init__", without_hold)


@pytest.mark.postgres
@pytest.mark.parametrize("backend", ["postgresql"])
def test_without_the_hold_postgresql_bills_the_order_twice(
    engine: Engine, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The control: the same script with the row lock taken away double-bills, so the lock is
    what prevents it (and the account's own check then finds the breach)."""
    oid = received_order(engine)
    unheld(monkeypatch)
    script = interleave(
        engine, monkeypatch, lambda uow: handle(uow, IssueInvoice(order_id=oid), "fin")
    )

    assert_not_held(script)
    db = stored(engine, oid)
    assert db.invoices == [WHOLE, WHOLE]  # billed twice
    assert db.audit["invoice.issue"] == 2, db.audit
    assert db.breaches == ["OVER_INVOICED"]


@pytest.mark.postgres
@pytest.mark.parametrize("backend", ["postgresql"])
def test_without_the_hold_postgresql_settles_an_exchange_twice(
    engine: Engine, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The control of the exchange: twice the value settled in kind against one debt."""
    oid = received_order(engine, "equal_value_exchange")
    unheld(monkeypatch)
    script = interleave(
        engine,
        monkeypatch,
        lambda uow: handle(uow, ExchangeEqualValue.from_wire(GIVEN, order_id=oid), "fin"),
    )

    assert_not_held(script)
    db = stored(engine, oid)
    assert db.settlements == [("exchange", WHOLE)] * 2  # settled twice
    assert db.entries == {"receipt": 2, "exchange": 4}, db.entries
    assert "OVER_SETTLED" in db.breaches


def assert_not_held(script: Script) -> None:
    """Both went through: the second finished while the first paused, and both decided on
    the state before either wrote."""
    assert not script.held, "the second was held although nothing holds the order"
    assert script.lock_waits == []
    assert script.pause.after_release == [False, False]
    assert script.first.error is None, repr(script.first.error)
    assert script.second.error is None, repr(script.second.error)


@pytest.mark.parametrize("backend", ["sqlite"])
def test_without_the_row_lock_sqlite_writers_still_take_turns(
    engine: Engine, monkeypatch: pytest.MonkeyPatch
) -> None:
    """SQLite needs no row lock: its writers hold the whole database from their first
    statement (BEGIN IMMEDIATE), so the same script without the hold is still held."""
    oid = received_order(engine)
    unheld(monkeypatch)
    script = interleave(
        engine, monkeypatch, lambda uow: handle(uow, IssueInvoice(order_id=oid), "fin")
    )

    assert_held(script, "sqlite")
    assert script.second.codes == ["NOTHING_TO_INVOICE"]
    assert stored(engine, oid).invoices == [WHOLE]
