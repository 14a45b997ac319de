"""The in-memory unit of work (tests/fakes.py) answers as the database does: one scenario of
every settlement path taken through handle() on both, and what each then holds compared (order
histories, both books' balances, invoices with their payments, settlements in kind, what the
audit log recorded). The service tests run on the fake; this keeps the fake honest."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from functools import cache
from typing import Any

from sqlalchemy import Engine

from acsa.adapters.db.unit_of_work import UnitOfWork
from acsa.commands import (
    AcceptOrder,
    CloseOrder,
    Command,
    DeliverOrder,
    ExchangeEqualValue,
    IssueCreditNote,
    IssueInvoice,
    PlaceOrder,
    ReceiveOrder,
    RecordPayment,
    RejectOrder,
    ReturnInKind,
    ReversePayment,
    SubmitOrder,
    VoidInvoice,
)
from acsa.domain.errors import AcsaError
from acsa.services import orders, ports, settlement
from acsa.services.agreements import load_registry
from acsa.services.handlers import handle
from tests.fakes import FakeUnitOfWork, Tables
from tests.orders_data import SERVICES_FOR_DARWIN, order_doc

T0 = datetime(2026, 3, 1, 9, 0, tzinfo=UTC)


@cache
def _registry() -> Tables:
    fake = FakeUnitOfWork()
    load_registry(fake, now=T0)
    return fake.committed


def _day(n: int) -> datetime:
    return T0 + timedelta(days=n)


def _received(uow: ports.UnitOfWork, doc: dict[str, Any], quantities: Any = None) -> int:
    order, _ = handle(uow, PlaceOrder.from_wire(doc), "Lt Sato", _day(0))
    order_id = int(order.id)
    steps: list[Command] = [
        SubmitOrder(order_id=order_id),
        AcceptOrder(order_id=order_id),
        DeliverOrder(order_id=order_id),
        ReceiveOrder(order_id=order_id, quantities=quantities, note="short" if quantities else ""),
    ]
    for n, step in enumerate(steps, start=1):
        handle(uow, step, "Cdr Tanaka", _day(n))
    return order_id


def _refused(uow: ports.UnitOfWork, command: Command) -> list[str]:
    try:
        handle(uow, command, "fin", _day(30))
    except AcsaError as error:
        return error.codes
    return []


def scenario(uow: ports.UnitOfWork) -> list[list[str]]:
    """Every settlement path, and a refusal of each kind; the codes of the refusals."""
    cash = _received(uow, order_doc(), {1: Decimal(11000)})
    invoice = handle(uow, IssueInvoice(order_id=cash, issued=date(2026, 3, 10)), "fin", _day(9))
    half = invoice.amount / 2
    for n in (20, 21):
        pay = RecordPayment(invoice=invoice.number, amount=half, paid=date(2026, 3, n))
        handle(uow, pay, "fin", _day(n))
    handle(uow, CloseOrder(order_id=cash), "fin", _day(22))
    in_kind = _received(uow, order_doc(settlement="replacement_in_kind"))
    food = {"lines": [{"line": 2, "category": "food", "quantity": "400"}], "date": "2026-04-01"}
    handle(uow, ReturnInKind.from_wire(food, order_id=in_kind), "PO Ito", _day(31))
    settlement.sweep(uow, "sweeper", date(2027, 6, 1), now=_day(460))
    services = _received(
        uow, order_doc(settlement="equal_value_exchange", lines=SERVICES_FOR_DARWIN)
    )
    airlift = {
        "lines": [{"category": "transportation", "description": "Airlift", "value": "1000000"}],
        "agreed_by": "both J4s",
    }
    handle(uow, ExchangeEqualValue.from_wire(airlift, order_id=services), "fin", _day(40))
    rejected, _ = handle(uow, PlaceOrder.from_wire(order_doc()), "x", _day(1))
    handle(uow, SubmitOrder(order_id=int(rejected.id)), "x", _day(2))
    handle(uow, RejectOrder(order_id=int(rejected.id), reason="no stock"), "y", _day(3))
    over = RecordPayment(invoice=invoice.number, amount=Decimal(1), paid=date(2026, 4, 1))
    # Corrections: a payment reversed, the invoice voided and issued again, a credit note.
    fixed = _received(uow, order_doc())
    wrong = handle(uow, IssueInvoice(order_id=fixed, issued=date(2026, 3, 10)), "fin", _day(9))
    pay = RecordPayment(invoice=wrong.number, amount=Decimal(500), paid=date(2026, 3, 12))
    paid = handle(uow, pay, "fin", _day(11))
    reverse = ReversePayment(payment=paid.payments[0].id, reason="twice", day=date(2026, 3, 13))
    handle(uow, reverse, "fin", _day(12))
    void = VoidInvoice(invoice=wrong.number, reason="citation", day=date(2026, 3, 14))
    handle(uow, void, "fin", _day(13))
    right = handle(uow, IssueInvoice(order_id=fixed, issued=date(2026, 3, 15)), "fin", _day(14))
    credit = IssueCreditNote(invoice=right.number, amount=Decimal(20), reason="agreed")
    handle(uow, credit, "fin", _day(15))
    too_much = IssueCreditNote(invoice=right.number, amount=right.amount, reason="all")
    return [
        _refused(uow, void),
        _refused(uow, reverse),
        _refused(uow, too_much),
        _refused(uow, over),
        _refused(uow, IssueInvoice(order_id=cash)),
        _refused(uow, ReturnInKind.from_wire(food, order_id=in_kind)),
        _refused(
            uow,
            ExchangeEqualValue.from_wire(
                airlift
                | {"lines": [{"category": "training", "description": "x", "value": "99999999"}]},
                order_id=services,
            ),
        ),
        _refused(uow, CloseOrder(order_id=in_kind)),
    ]


def _without_ids(value: Any) -> Any:
    if isinstance(value, dict):
        return {k: _without_ids(v) for k, v in value.items() if k != "id"}
    if isinstance(value, list):
        return [_without_ids(v) for v in value]
    return value


def holdings(uow: ports.UnitOfWork) -> dict[str, Any]:
    """What the unit of work holds after the scenario, as comparable values (ids left out)."""
    found = orders.search_orders(uow, with_history=True)
    ids = [int(o.id) for o in found.orders]
    with uow:
        balances = sorted(uow.ledger.balances_from_postings())
        audit = [
            (r.action, r.actor, r.order_id, _without_ids(r.after))
            for r in uow.audit.records()
            if r.order_id is not None
        ]
    return {
        "orders": [
            (o.status, o.version, [(e.seq, e.action, e.actor, e.at, e.details) for e in o.history])
            for o in found.orders
        ],
        "balances": balances,
        "invoices": [
            _without_ids(i.model_dump(mode="json"))
            for i in settlement.list_invoices(uow, as_of=date(2027, 6, 2))
        ],
        "settlements": [
            _without_ids(s.model_dump(mode="json"))
            for n in ids
            for s in settlement.settlements_of(uow, n)
        ],
        "accounts": [
            _without_ids(settlement.order_account(uow, n).model_dump(mode="json")) for n in ids
        ],
        "audit": audit,
    }


def test_the_fake_holds_what_the_database_holds(engine: Engine) -> None:
    db = UnitOfWork(engine)
    fake = FakeUnitOfWork(_registry().copy())
    refusals = scenario(db)
    assert refusals == scenario(fake)
    assert refusals == [
        ["INVOICE_VOIDED"],
        ["PAYMENT_REVERSED"],
        ["CREDIT_EXCEEDS_UNPAID"],
        ["OVERPAYMENT"],
        ["NOTHING_TO_INVOICE"],
        ["REPLACEMENT_EXCEEDS_OWED"],
        ["EXCHANGE_EXCEEDS_OWED"],
        ["NOT_SETTLED"],
    ]
    ours, theirs = holdings(fake), holdings(db)
    for part in ours:
        assert ours[part] == theirs[part], part
