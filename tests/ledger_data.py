"""Orders taken to receipt and settled, at fixed days, for the ledger tests.

Every order here has one fuel line at 1,000 JPY a litre, so its value in yen is its quantity
times 1,000 and hand-computed figures stay readable.
"""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from functools import cache
from typing import Any

from acsa.adapters.db import tables as t
from acsa.adapters.db.unit_of_work import UnitOfWork
from acsa.adapters.fx_file import RateFile, bundled_history
from acsa.commands import (
    AcceptOrder,
    DeliverOrder,
    ExchangeEqualValue,
    IssueInvoice,
    PlaceOrder,
    ReceiveOrder,
    RecordPayment,
    ReturnInKind,
    SubmitOrder,
)
from acsa.services import rates, settlement
from acsa.services.handlers import handle
from tests.orders_data import order_doc

#: Tables that orders and settlement write, children first (to empty them between examples);
#: the registry of agreements stays.
WRITTEN = (
    t.disputes,
    t.corrections,
    t.payments,
    t.invoices,
    t.settlements,
    t.ledger_postings,
    t.ledger_balances,
    t.ledger_months,
    t.ledger_entries,
    t.counters,
    t.order_events,
    t.order_lines,
    t.orders,
)

PRICE = 1000
OFFICER = "Cdr M. Tanaka"
COMPLETE_FORM = {
    "requester_unit": "No. 1 Squadron",
    "supplier_unit": "JASDF 2nd Air Wing",
    "fund_citation": "FC-2026-001",
    "operation": "Exercise Pitch Black",
}


@cache
def _usd_jpy_rates() -> RateFile:
    """The ECB's USD and JPY rates of the bundled history, from 2016 to its last day
    (2026-10-30)."""
    history = bundled_history()
    wanted = ("USD", "JPY")
    first = date(2016, 1, 1)
    kept = tuple(r for r in history.rates if r[0] >= first and r[1] in wanted)
    days = tuple(d for d in history.days if d >= first)
    return RateFile(f"{history.source}: USD and JPY from {first}", kept, days, wanted)


def import_usd_jpy_rates(uow: UnitOfWork) -> None:
    """Store the ECB's USD and JPY rates: accepting an order the United States requests
    under JPN-USA converts its value to USD for the US statutory ceilings, and is refused
    RATE_MISSING without them."""
    rates.import_rates(uow, _usd_jpy_rates(), actor="test")


def at(day: date, hour: int = 12) -> datetime:
    """Noon UTC on ``day``: the time every action of a test day is recorded at."""
    return datetime(day.year, day.month, day.day, hour, tzinfo=UTC)


#: Services at 1,000 JPY a unit, for orders settled by equal value exchange: outside the US
#: texts that settles services (by a service of equal value), not supplies such as fuel.
SERVICE_LINES = {
    "billeting": ("Transit accommodation", "night"),
    "transportation": ("Bus transport", "day"),
}


def fuel_doc(
    litres: int | str,
    settlement_method: str = "cash",
    supplier: str = "JPN",
    requester: str = "AUS",
    day: date = date(2026, 1, 5),
    category: str = "fuel",
    **changes: Any,
) -> dict[str, Any]:
    """A complete JPN-AUS order form for ``litres`` of fuel at 1,000 JPY a litre (or, with
    ``category`` one of SERVICE_LINES, as many units of that service at 1,000 JPY)."""
    fields = {**COMPLETE_FORM, **changes}
    if category == "fuel":
        line = {
            "category": "fuel",
            "description": "JP-8 aviation turbine fuel",
            "nsn": "9130-01-031-5816",
            "unit": "L",
        }
    else:
        description, unit = SERVICE_LINES[category]
        line = {"category": category, "description": description, "unit": unit}
    line |= {"quantity": str(litres), "unit_price": str(PRICE), "currency": "JPY"}
    return order_doc(
        supplier=supplier,
        requester=requester,
        settlement=settlement_method,
        order_date=day.isoformat(),
        needed_by=day.isoformat(),
        lines=[line],
        **fields,
    )


def accepted(uow: UnitOfWork, doc: dict[str, Any], day: date, actor: str = OFFICER) -> int:
    """Place, submit and accept ``doc`` on ``day``; the order's id."""
    order, _ = handle(uow, PlaceOrder.from_wire(doc), "Lt K. Sato", at(day, 8))
    assert order.id is not None
    handle(uow, SubmitOrder(order_id=order.id), "Capt. J. Smith", at(day, 9))
    handle(uow, AcceptOrder(order_id=order.id), actor, at(day, 10))
    return order.id


def receive(
    uow: UnitOfWork,
    order_id: int,
    day: date,
    litres: int | None = None,
    actor: str = "Sgt R. Brown",
) -> None:
    """Deliver (``litres``, or everything left) and receive it in full on ``day``."""
    quantities = None if litres is None else {1: Decimal(litres)}
    handle(uow, DeliverOrder(order_id=order_id, quantities=quantities), "Sgt A. Ito", at(day, 11))
    handle(uow, ReceiveOrder(order_id=order_id), actor, at(day))


def received(
    uow: UnitOfWork,
    litres: int,
    day: date,
    settlement_method: str = "cash",
    supplier: str = "JPN",
    requester: str = "AUS",
    category: str = "fuel",
    **changes: Any,
) -> int:
    """An order of ``litres`` (of ``category``) placed a few days before ``day`` and received
    in full on it."""
    doc = fuel_doc(
        litres, settlement_method, supplier, requester, day - timedelta(days=3), category, **changes
    )
    order_id = accepted(uow, doc, day - timedelta(days=3))
    receive(uow, order_id, day)
    return order_id


def invoice(uow: UnitOfWork, order_id: int, day: date) -> str:
    """Invoice what the order owes in cash on ``day``; the invoice number."""
    issued = handle(uow, IssueInvoice(order_id=order_id, issued=day), OFFICER, at(day, 13))
    number: str = issued.number
    return number


def pay(uow: UnitOfWork, number: str, amount: int | str, day: date) -> None:
    payment = RecordPayment(invoice=number, amount=Decimal(amount), paid=day, reference="wire")
    handle(uow, payment, OFFICER, at(day, 14))


def replace(uow: UnitOfWork, order_id: int, litres: int, day: date) -> None:
    """Fuel of the same NSN returned in kind on ``day``."""
    lines = [{"line": 1, "category": "fuel", "nsn": "9130-01-031-5816", "quantity": str(litres)}]
    command = ReturnInKind.from_wire({"lines": lines, "date": day.isoformat()}, order_id=order_id)
    handle(uow, command, OFFICER, at(day, 15))


def exchange(uow: UnitOfWork, order_id: int, value: int, day: date) -> None:
    """Rations worth ``value`` JPY given in exchange on ``day``."""
    doc = {
        "lines": [{"category": "food", "description": "Combat rations", "value": str(value)}],
        "agreed_by": "Cdr M. Tanaka and Maj P. Jones",
        "date": day.isoformat(),
    }
    handle(uow, ExchangeEqualValue.from_wire(doc, order_id=order_id), OFFICER, at(day, 16))


def sweep(uow: UnitOfWork, day: date) -> None:
    settlement.sweep(uow, OFFICER, as_of=day, now=at(day, 17))


def yen(amount: int) -> Decimal:
    return Decimal(amount)
