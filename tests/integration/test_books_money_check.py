"""``acsa ledger verify`` checks money, not only arithmetic: every order's stored records (in
every state) against the money rules and against what the supplier's book posted for them.

Books are settled through the real services on SQLite and PostgreSQL; breaches are planted
the way a bad migration or a hand edit would leave them, by SQL straight into the tables."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from typing import Any

import pytest
from sqlalchemy import Engine, Table, delete, func, insert, select, update
from typer.testing import CliRunner

from acsa.adapters.db import tables as t
from acsa.adapters.db.unit_of_work import UnitOfWork
from acsa.cli import app
from acsa.commands import (
    AcceptOrder,
    CloseOrder,
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
from acsa.domain.money import money_text
from acsa.schemas.ledger import VerifyOut
from acsa.services import ledger, orders, settlement
from acsa.services.demo import load_demo
from acsa.services.handlers import handle
from tests.e2e.cli import run
from tests.integration.test_settlement import received_order
from tests.ledger_data import import_usd_jpy_rates
from tests.orders_data import order_doc
from tests.settlement_data import ORDER_VALUE, RECEIVED_AT, SERVICES, SERVICES_VALUE

#: What lines 1 (fuel) and 2 (food) of the test order are worth as received.
FUEL_VALUE = Decimal(12000 * 152)
FOOD_VALUE = Decimal(400 * 1850)
#: The test order's replacement deadline (365 days from its receipt on RECEIVED_AT).
DEADLINE = date(2027, 3, 10)
PLANTED = datetime(2026, 9, 1, 12, 0, tzinfo=UTC)


# --- helpers ------------------------------------------------------------------------------------


def jpy(amount: Decimal | int) -> str:
    """An amount of yen as every message writes it (25,980,000 JPY)."""
    return money_text(Decimal(amount), "JPY")


def verify(uow: UnitOfWork, nation: str | None = None) -> VerifyOut:
    return ledger.verify(uow, nation)


def codes(result: VerifyOut) -> dict[int, set[str]]:
    """The codes of the breaches found, by order."""
    found: dict[int, set[str]] = {}
    for breach in result.breaches:
        found.setdefault(breach.order, set()).add(breach.code)
    return found


def message(result: VerifyOut, order: int, code: str) -> str:
    [found] = [b.message for b in result.breaches if (b.order, b.code) == (order, code)]
    return found


def plant(engine: Engine, table: Table, **values: Any) -> int:
    """A row written straight into ``table``, as nothing in the application would: its id."""
    with engine.begin() as conn:
        key = conn.execute(insert(table).values(**values)).inserted_primary_key
    assert key is not None
    return int(key[0])


def plant_invoice(engine: Engine, order_id: int, amount: Decimal) -> int:
    return plant(
        engine,
        t.invoices,
        number="JPN-2026-999001",
        order_id=order_id,
        issuer="JPN",
        debtor="AUS",
        kind="cash",
        currency="JPY",
        amount_minor=int(amount),
        issued=PLANTED.date(),
        due=PLANTED.date() + timedelta(days=30),
        at=PLANTED,
        actor="hand edit",
    )


def plant_payment(engine: Engine, invoice_id: int, amount: Decimal) -> int:
    return plant(
        engine,
        t.payments,
        invoice_id=invoice_id,
        currency="JPY",
        amount_minor=int(amount),
        paid=PLANTED.date(),
        reference="planted",
        at=PLANTED,
        actor="hand edit",
    )


def plant_settlement(
    engine: Engine,
    order_id: int,
    kind: str,
    value: Decimal,
    lines: list[dict[str, Any]] | None = None,
    day: date | None = None,
) -> int:
    return plant(
        engine,
        t.settlements,
        order_id=order_id,
        kind=kind,
        currency="JPY",
        value_minor=int(value),
        effective=day or PLANTED.date(),
        lines=lines or [],
        agreed_by="hand edit",
        note="planted",
        at=PLANTED,
        actor="hand edit",
    )


def invoiced(uow: UnitOfWork, order_id: int, paid: Decimal = Decimal(0)) -> tuple[str, int]:
    """Invoice everything ``order_id`` owes in cash and pay ``paid`` of it: (number, id)."""
    invoice = handle(uow, IssueInvoice(order_id=order_id, issued=date(2026, 3, 11)), "fin")
    if paid:
        handle(
            uow,
            RecordPayment(invoice=invoice.number, amount=paid, paid=date(2026, 4, 1)),
            "fin",
        )
    return invoice.number, invoice.id


def replaced_food(uow: UnitOfWork, order_id: int) -> None:
    """All 400 rations of line 2 returned in kind."""
    handle(
        uow,
        ReturnInKind.from_wire(
            {"lines": [{"line": 2, "category": "food", "quantity": "400"}], "date": "2026-05-01"},
            order_id=order_id,
        ),
        "PO Ito",
    )


def exchanged(uow: UnitOfWork, order_id: int, value: Decimal) -> None:
    handle(
        uow,
        ExchangeEqualValue.from_wire(
            {
                "lines": [
                    {
                        "category": "transportation",
                        "description": "C-2 airlift Naha-Darwin",
                        "unit": "sortie",
                        "value": str(value),
                    }
                ],
                "agreed_by": "Cdr Tanaka (JMSDF) and Wg Cdr Brown (RAAF)",
                "date": "2026-06-01",
            },
            order_id=order_id,
        ),
        "fin",
    )


def received_in_two_parts(uow: UnitOfWork) -> int:
    """A replacement in kind order whose food is received on RECEIVED_AT and the rest 100 days
    later: the two parts have deadlines 100 days apart."""
    order, _ = handle(
        uow,
        PlaceOrder.from_wire(order_doc(settlement="replacement_in_kind")),
        "x",
        RECEIVED_AT - timedelta(days=3),
    )
    assert order.id is not None
    for step in (SubmitOrder, AcceptOrder):
        handle(uow, step(order_id=order.id), "x", RECEIVED_AT - timedelta(days=2))
    handle(
        uow,
        DeliverOrder(order_id=order.id, quantities={2: Decimal(400)}),
        "x",
        RECEIVED_AT - timedelta(days=1),
    )
    handle(uow, ReceiveOrder(order_id=order.id), "x", RECEIVED_AT)
    later = RECEIVED_AT + timedelta(days=100)
    handle(uow, DeliverOrder(order_id=order.id), "x", later)
    handle(uow, ReceiveOrder(order_id=order.id), "x", later)
    return order.id


@pytest.fixture
def book(uow: UnitOfWork) -> dict[str, int]:
    """A clean book with every kind of record: invoices paid in part and in full, a closed
    order, a replacement in kind, equal value exchanges (one on an order of services), a sweep
    conversion with its invoice paid in part, and an order only drafted."""
    cash = received_order(uow)
    invoiced(uow, cash, paid=Decimal(1000000))
    closed = received_order(uow)
    invoiced(uow, closed, paid=ORDER_VALUE)
    handle(uow, CloseOrder(order_id=closed), "fin")
    in_kind = received_order(uow, settlement="replacement_in_kind")
    replaced_food(uow, in_kind)
    exchanged(uow, in_kind, Decimal(200000))
    [conversion] = settlement.sweep(uow, "sweeper", DEADLINE + timedelta(days=1)).converted
    assert (conversion.order, conversion.amount) == (in_kind, ORDER_VALUE - FOOD_VALUE - 200000)
    handle(
        uow,
        RecordPayment(invoice=conversion.invoice, amount=Decimal("500000"), paid=date(2027, 4, 1)),
        "fin",
    )
    exchange = received_order(uow, settlement="equal_value_exchange", lines=SERVICES)
    exchanged(uow, exchange, Decimal(300000))
    draft, _ = handle(uow, PlaceOrder.from_wire(order_doc()), "Lt Sato")
    assert draft.id is not None
    return {
        "cash": cash,
        "closed": closed,
        "in_kind": in_kind,
        "exchange": exchange,
        "draft": draft.id,
    }


# --- clean books --------------------------------------------------------------------------------


def test_a_clean_book_with_every_kind_of_record_verifies(
    engine: Engine, book: dict[str, int]
) -> None:
    with engine.connect() as conn:
        kinds = set(conn.execute(select(t.settlements.c.kind)).scalars())
        payments = conn.execute(select(func.count()).select_from(t.payments)).scalar()
    assert kinds == {"replacement", "exchange", "conversion"}
    assert payments == 3
    uow = UnitOfWork(engine, read_only=True)
    assert orders.get_order(uow, book["closed"]).status.value == "closed"

    result = verify(uow)

    assert result.breaches == []
    assert result.ok
    assert result.orders == len(book)
    ledger.require_verified(result)


def test_the_demo_verifies(engine: Engine) -> None:
    assert load_demo(engine).loaded
    result = verify(UnitOfWork(engine, read_only=True))
    assert result.breaches == []
    assert result.ok
    assert result.orders == len(orders.list_orders(UnitOfWork(engine)))


def test_a_conversion_of_only_the_part_past_its_deadline_verifies(uow: UnitOfWork) -> None:
    order_id = received_in_two_parts(uow)
    [conversion] = settlement.sweep(uow, "sweeper", DEADLINE + timedelta(days=1)).converted
    assert (conversion.order, conversion.amount) == (order_id, FOOD_VALUE)
    assert verify(uow).ok


# --- planted breaches ----------------------------------------------------------------------------


def test_an_invoice_planted_beyond_what_is_owed_is_over_invoiced(
    engine: Engine, uow: UnitOfWork
) -> None:
    cash = received_order(uow)
    invoiced(uow, cash)
    plant_invoice(engine, cash, Decimal(1))

    result = verify(uow)

    assert not result.ok
    assert codes(result) == {cash: {"OVER_INVOICED"}}
    assert message(result, cash, "OVER_INVOICED") == (
        f"order {cash}: invoiced {jpy(ORDER_VALUE + 1)}, more than the {jpy(ORDER_VALUE)} owed "
        "in cash"
    )
    with pytest.raises(AcsaError) as refused:
        ledger.require_verified(result)
    [violation] = refused.value.violations
    assert (violation.code.value, violation.field) == ("OVER_INVOICED", f"order {cash}")


def test_a_payment_planted_beyond_its_invoice_is_overpaid_and_unposted(
    engine: Engine, uow: UnitOfWork
) -> None:
    cash = received_order(uow)
    _number, invoice_id = invoiced(uow, cash, paid=ORDER_VALUE)
    plant_payment(engine, invoice_id, Decimal(500))

    result = verify(uow)

    assert codes(result) == {cash: {"OVERPAID", "RECORDS_UNPOSTED", "OWED_BELOW_ZERO"}}
    assert f"was paid {jpy(ORDER_VALUE + 500)}" in message(result, cash, "OVERPAID")
    assert (
        f"payments recorded {jpy(ORDER_VALUE + 500)}, but JPN's book posted {jpy(ORDER_VALUE)} "
        "for them" in message(result, cash, "RECORDS_UNPOSTED")
    )


def test_a_payment_planted_within_its_invoice_is_found_unposted(
    engine: Engine, uow: UnitOfWork
) -> None:
    cash = received_order(uow)
    _number, invoice_id = invoiced(uow, cash, paid=Decimal(1000000))
    assert verify(uow).ok
    plant_payment(engine, invoice_id, Decimal(1000))

    result = verify(uow)

    assert not result.ok
    assert codes(result) == {cash: {"RECORDS_UNPOSTED"}}
    assert message(result, cash, "RECORDS_UNPOSTED") == (
        f"order {cash}: payments recorded 1,001,000 JPY, but JPN's book posted 1,000,000 JPY "
        "for them"
    )


def test_postings_whose_record_was_deleted_are_found(engine: Engine, uow: UnitOfWork) -> None:
    order_id = received_order(uow, settlement="equal_value_exchange", lines=SERVICES)
    exchanged(uow, order_id, Decimal(300000))
    with engine.begin() as conn:
        conn.execute(delete(t.settlements).where(t.settlements.c.order_id == order_id))

    result = verify(uow)

    assert codes(result) == {order_id: {"RECORDS_UNPOSTED"}}
    assert message(result, order_id, "RECORDS_UNPOSTED") == (
        f"order {order_id}: equal value exchanges recorded 0 JPY, but JPN's book posted "
        "300,000 JPY for them"
    )


def test_a_replacement_planted_beyond_a_lines_receipt_is_over_settled_and_unposted(
    engine: Engine, uow: UnitOfWork
) -> None:
    order_id = received_order(uow, settlement="replacement_in_kind")
    replaced_food(uow, order_id)
    assert verify(uow).ok
    # 100 more rations than the 400 received, worth far less than the order still owes.
    line = {"line": 2, "category": "food", "quantity": "100", "nsn": None, "description": ""}
    plant_settlement(engine, order_id, "replacement", Decimal(100 * 1850), [line])

    result = verify(uow)

    assert codes(result) == {order_id: {"OVER_SETTLED", "RECORDS_UNPOSTED"}}
    assert "line 2: 500 replaced, more than the 400 received" in message(
        result, order_id, "OVER_SETTLED"
    )
    assert (
        f"replacements in kind recorded {jpy(FOOD_VALUE + 185000)}, but JPN's book posted "
        f"{jpy(FOOD_VALUE)}" in message(result, order_id, "RECORDS_UNPOSTED")
    )


def test_an_exchange_planted_beyond_what_was_received_is_over_settled(
    engine: Engine, uow: UnitOfWork
) -> None:
    order_id = received_order(uow, settlement="equal_value_exchange", lines=SERVICES)
    exchanged(uow, order_id, Decimal(300000))
    plant_settlement(engine, order_id, "exchange", SERVICES_VALUE)

    result = verify(uow)

    assert codes(result) == {order_id: {"OVER_SETTLED", "RECORDS_UNPOSTED", "OWED_BELOW_ZERO"}}
    assert (
        f"settled in kind {jpy(SERVICES_VALUE + 300000)} and converted 0 JPY, more than the "
        f"{jpy(SERVICES_VALUE)} received" in message(result, order_id, "OVER_SETTLED")
    )


def test_a_conversion_too_large_is_a_mismatch(engine: Engine, uow: UnitOfWork) -> None:
    order_id = received_in_two_parts(uow)
    settlement.sweep(uow, "sweeper", DEADLINE + timedelta(days=1))
    with engine.begin() as conn:
        conn.execute(
            update(t.settlements)
            .where(t.settlements.c.order_id == order_id, t.settlements.c.kind == "conversion")
            .values(value_minor=t.settlements.c.value_minor + 1000)
        )

    result = verify(uow)

    assert codes(result) == {order_id: {"CONVERSION_MISMATCH", "RECORDS_UNPOSTED"}}
    assert message(result, order_id, "CONVERSION_MISMATCH") == (
        f"order {order_id}: converted {jpy(FOOD_VALUE + 1000)} on {DEADLINE + timedelta(days=1)}"
        f", but {jpy(FOOD_VALUE)} was past its deadline then"
    )


def test_a_conversion_planted_before_any_deadline_is_a_mismatch(
    engine: Engine, uow: UnitOfWork
) -> None:
    order_id = received_order(uow, settlement="replacement_in_kind")
    plant_settlement(engine, order_id, "conversion", FUEL_VALUE, day=date(2026, 6, 1))

    result = verify(uow)

    assert codes(result) == {order_id: {"CONVERSION_MISMATCH", "RECORDS_UNPOSTED"}}
    assert "but 0 JPY was past its deadline then" in message(
        result, order_id, "CONVERSION_MISMATCH"
    )


def test_a_closed_order_is_checked_too(engine: Engine, uow: UnitOfWork) -> None:
    closed = received_order(uow)
    _number, invoice_id = invoiced(uow, closed, paid=ORDER_VALUE)
    handle(uow, CloseOrder(order_id=closed), "fin")
    assert verify(uow).ok
    plant_payment(engine, invoice_id, Decimal(1))
    assert codes(verify(uow)) == {closed: {"OVERPAID", "RECORDS_UNPOSTED", "OWED_BELOW_ZERO"}}


def test_with_a_nation_only_the_orders_it_is_party_to_are_checked(
    engine: Engine, uow: UnitOfWork, book: dict[str, int]
) -> None:
    import_usd_jpy_rates(uow)  # the US side's ceilings are in USD
    us = received_order(
        uow,
        agreement="JPN-USA",
        requester="USA",
        order_date="2026-03-04",
        needed_by="2026-03-10",
    )
    [invoice_id] = invoice_ids(engine, book["cash"])
    plant_payment(engine, invoice_id, Decimal(1000))

    for nation in ("aus", "JPN", None):
        found = verify(uow, nation)
        assert codes(found) == {book["cash"]: {"RECORDS_UNPOSTED"}}, nation
    usa = verify(uow, "USA")
    assert usa.ok
    assert usa.breaches == []
    assert usa.orders == 1
    assert verify(uow, "AUS").orders == len(book)
    assert us not in codes(verify(uow))


def test_the_api_reports_breaches_of_the_callers_own_orders(
    db_url: str, engine: Engine, uow: UnitOfWork
) -> None:
    from fastapi.testclient import TestClient

    from acsa.api.app import create_app
    from tests.api.server import add_people

    people = add_people(db_url, ("JPN", "FRA"), passwords=False)
    cash = received_order(uow)
    _number, invoice_id = invoiced(uow, cash, paid=Decimal(1000000))
    plant_payment(engine, invoice_id, Decimal(1000))
    client = TestClient(create_app(engine))

    japan = client.get("/api/v1/ledger/verify", headers=people["JPN-viewer"].headers)
    france = client.get("/api/v1/ledger/verify", headers=people["FRA-viewer"].headers)

    assert japan.status_code == 200, japan.text
    body = japan.json()
    assert body["ok"] is False
    assert [(b["order"], b["code"]) for b in body["breaches"]] == [(cash, "RECORDS_UNPOSTED")]
    assert "payments recorded 1,001,000 JPY" in body["breaches"][0]["message"]
    assert france.status_code == 200, france.text
    assert (france.json()["ok"], france.json()["breaches"], france.json()["orders"]) == (
        True,
        [],
        0,
    )


# --- the command ---------------------------------------------------------------------------------


def test_the_command_names_each_breach_with_its_order_and_code(
    db_url: str, engine: Engine, book: dict[str, int]
) -> None:
    clean = CliRunner().invoke(app, ["ledger", "verify", "--db", db_url])
    assert clean.exit_code == 0, clean.output
    assert f"the records of {len(book)} orders keep the money rules" in " ".join(
        clean.output.split()
    )
    [invoice_id] = invoice_ids(engine, book["cash"])
    plant_payment(engine, invoice_id, Decimal(1000))
    plant_invoice(engine, book["cash"], Decimal(1))

    as_json = run("ledger", "verify", "--json", "--db", db_url)
    table = run("ledger", "verify", "--db", db_url)

    assert as_json.code == 2, as_json.stderr
    errors = {(e["code"], e["field"]): e["message"] for e in as_json.json["errors"]}
    order = f"order {book['cash']}"
    assert set(errors) == {("OVER_INVOICED", order), ("RECORDS_UNPOSTED", order)}
    assert "payments recorded 1,001,000 JPY" in errors[("RECORDS_UNPOSTED", order)]
    assert table.code == 2
    assert "OVER_INVOICED" in table.stderr
    assert "RECORDS_UNPOSTED" in table.stderr
    assert order in table.stderr


# --- helpers of the tests above ------------------------------------------------------------------


def invoice_ids(engine: Engine, order_id: int) -> list[int]:
    with engine.connect() as conn:
        query = select(t.invoices.c.id).where(t.invoices.c.order_id == order_id)
        return list(conn.execute(query.order_by(t.invoices.c.id)).scalars())
