"""The services refuse out-of-bound numbers and dates themselves (issue 13), on SQLite and
PostgreSQL: the paths that do not go through the API's input models (the CLI on a local
database, the node inbox, the history import's replay) get the same coded refusal, and
nothing is written."""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from typing import Any

import pytest
from sqlalchemy import Engine

from acsa.adapters.db.unit_of_work import UnitOfWork
from acsa.commands import (
    AcceptOrder,
    CancelOrder,
    ConvertToCash,
    DeliverOrder,
    ExchangeEqualValue,
    IssueInvoice,
    PlaceOrder,
    ReceiveOrder,
    RecordPayment,
    ReturnInKind,
    SubmitOrder,
)
from acsa.domain.errors import AcsaError
from acsa.schemas.orders import OrderIn, parse_model
from acsa.services import orders, settlement
from acsa.services.handlers import handle
from tests.orders_data import order_doc
from tests.table_counts import row_counts


def _order(engine: Engine, steps: int, settled: str = "cash", **changes: Any) -> int:
    doc = order_doc(settlement=settled, **changes)
    order, _ = handle(UnitOfWork(engine), PlaceOrder.from_wire(doc), "AUS-req")
    assert order.id is not None
    moves = [
        lambda: handle(UnitOfWork(engine), SubmitOrder(order_id=order.id), "AUS-req"),
        lambda: handle(UnitOfWork(engine), AcceptOrder(order_id=order.id), "JPN-app"),
        lambda: handle(UnitOfWork(engine), DeliverOrder(order_id=order.id), "JPN-log"),
        lambda: handle(UnitOfWork(engine), ReceiveOrder(order_id=order.id), "AUS-log"),
    ]
    for move in moves[:steps]:
        move()
    return order.id


def _refused(engine: Engine, code: str, field: str, call) -> None:  # type: ignore[no-untyped-def]
    before = row_counts(engine)
    with pytest.raises(AcsaError) as refused:
        call()
    assert (code, field) in [(v.code.value, v.field) for v in refused.value.violations]
    assert row_counts(engine) == before


BIG = Decimal(10) ** 18


def test_lifecycle_steps_refuse_quantities_out_of_bounds(engine: Engine) -> None:
    submitted, accepted, delivered = (_order(engine, n) for n in (1, 2, 3))
    _refused(
        engine,
        "INVALID_QUANTITY",
        "lines[1].quantity",
        lambda: handle(
            UnitOfWork(engine), AcceptOrder(order_id=submitted, quantities={1: BIG}), "x"
        ),
    )
    _refused(
        engine,
        "INVALID_QUANTITY",
        "lines[1].quantity",
        lambda: handle(
            UnitOfWork(engine),
            AcceptOrder(order_id=submitted, quantities={1: Decimal("0.0000001")}),
            "x",
        ),
    )
    _refused(
        engine,
        "INVALID_QUANTITY",
        "lines[1].quantity",
        lambda: handle(
            UnitOfWork(engine), DeliverOrder(order_id=accepted, quantities={1: BIG}), "x"
        ),
    )
    _refused(
        engine,
        "INVALID_QUANTITY",
        "lines[1].quantity",
        lambda: handle(
            UnitOfWork(engine), ReceiveOrder(order_id=delivered, quantities={1: BIG}), "x"
        ),
    )
    _refused(
        engine,
        "INVALID_FIELD",
        "note",
        lambda: handle(
            UnitOfWork(engine),
            ReceiveOrder(order_id=delivered, quantities=None, note="ok\x00"),
            "x",
        ),
    )
    _refused(
        engine,
        "INVALID_FIELD",
        "reason",
        lambda: handle(UnitOfWork(engine), CancelOrder(order_id=accepted, reason="r" * 2001), "x"),
    )


def test_placing_refuses_a_quantity_of_ten_to_the_eighteenth(engine: Engine) -> None:
    doc = order_doc()
    doc["lines"][0]["quantity"] = str(BIG)
    _refused(
        engine,
        "INVALID_QUANTITY",
        "lines[0].quantity",
        lambda: handle(UnitOfWork(engine), PlaceOrder.from_wire(doc), "x"),
    )
    # check reports it with the agreement's own findings
    found = orders.check_document(UnitOfWork(engine), parse_model(OrderIn, doc))
    assert ("INVALID_QUANTITY", "lines[0].quantity") in [(v.code.value, v.field) for v in found]


def test_settlement_refuses_dates_and_amounts_out_of_bounds(engine: Engine) -> None:
    received = _order(engine, 4)
    far = date(9999, 12, 31)
    _refused(
        engine,
        "INVALID_DATE",
        "date",
        lambda: handle(UnitOfWork(engine), IssueInvoice(order_id=received, issued=far), "JPN-fin"),
    )
    invoice = handle(UnitOfWork(engine), IssueInvoice(order_id=received), "JPN-fin")
    for amount in ("1e309", "1e28", "١٢٣", " 5 ", "1_000", str(BIG), "-5"):
        _refused(
            engine,
            "INVALID_AMOUNT",
            "amount",
            lambda a=amount: handle(
                UnitOfWork(engine),
                RecordPayment.from_wire(
                    {"amount": a, "date": invoice.issued}, invoice=invoice.number
                ),
                "AUS-fin",
            ),
        )
    _refused(
        engine,
        "INVALID_DATE",
        "date",
        lambda: handle(
            UnitOfWork(engine),
            RecordPayment(invoice=invoice.number, amount=Decimal("1"), paid=far),
            "AUS-fin",
        ),
    )
    _refused(
        engine,
        "INVALID_FIELD",
        "reference",
        lambda: handle(
            UnitOfWork(engine),
            RecordPayment(
                invoice=invoice.number, amount=Decimal("1"), paid=invoice.issued, reference="TT\x1b"
            ),
            "AUS-fin",
        ),
    )


def test_settlement_in_kind_refuses_bad_values(engine: Engine) -> None:
    in_kind = _order(engine, 4, "replacement_in_kind")
    # Outside the US texts an equal value exchange settles services, not supplies.
    billeting = {
        "category": "billeting",
        "description": "Transit accommodation, Darwin",
        "quantity": "400",
        "unit": "night",
        "unit_price": "4500",
        "currency": "JPY",
    }
    exchanged = _order(engine, 4, "equal_value_exchange", lines=[billeting])
    line = {"line": 1, "category": "fuel", "quantity": str(BIG), "nsn": "9130-01-031-5816"}
    _refused(
        engine,
        "INVALID_QUANTITY",
        "lines[0].quantity",
        lambda: handle(
            UnitOfWork(engine), ReturnInKind.from_wire({"lines": [line]}, order_id=in_kind), "x"
        ),
    )
    body = {
        "lines": [{"category": "transportation", "description": "Airlift", "value": "1e309"}],
        "agreed_by": "both",
    }
    _refused(
        engine,
        "INVALID_AMOUNT",
        "lines[0].value",
        lambda: handle(
            UnitOfWork(engine), ExchangeEqualValue.from_wire(body, order_id=exchanged), "x"
        ),
    )
    body["lines"][0]["value"] = str(BIG)
    _refused(
        engine,
        "INVALID_AMOUNT",
        "lines[0].value",
        lambda: handle(
            UnitOfWork(engine), ExchangeEqualValue.from_wire(body, order_id=exchanged), "x"
        ),
    )
    _refused(
        engine,
        "INVALID_DATE",
        "as_of",
        lambda: handle(
            UnitOfWork(engine),
            ConvertToCash(order_id=in_kind, as_of=date(9999, 12, 31)),
            "x",
            settlement.utc_now(),
        ),
    )
