"""``GET /api/v1/audit/verify`` through a real server (SQLite and PostgreSQL) finds a payment
amount changed straight in the database: an auditor of a party to the order sees the row named;
an auditor of a third nation sees that rows are at fault, counted, but not which (issue 13)."""

from __future__ import annotations

from sqlalchemy import select, update

from acsa.adapters.db import tables as t
from acsa.adapters.db.engine import make_engine
from acsa.adapters.db.unit_of_work import UnitOfWork
from acsa.commands import (
    AcceptOrder,
    DeliverOrder,
    IssueInvoice,
    PlaceOrder,
    ReceiveOrder,
    RecordPayment,
    SubmitOrder,
)
from acsa.services.handlers import handle
from tests.api.conftest import Api
from tests.orders_data import order_doc


def test_verify_over_the_api_names_a_changed_payment_to_its_parties_only(api: Api) -> None:
    engine = make_engine(api.db_url)
    order, _ = handle(UnitOfWork(engine), PlaceOrder.from_wire(order_doc()), "Lt K. Sato")
    assert order.id is not None
    for step in (SubmitOrder, AcceptOrder, DeliverOrder, ReceiveOrder):
        handle(UnitOfWork(engine), step(order_id=order.id), "Capt. J. Smith")
    invoice = handle(UnitOfWork(engine), IssueInvoice(order_id=order.id), "Ms A. Finance")
    payment = RecordPayment(invoice=invoice.number, amount=invoice.amount, paid=invoice.issued)
    handle(UnitOfWork(engine), payment, "Mr B. Payer")
    clean = api.client.get("/audit/verify", headers=api.as_("JPN-auditor"))
    assert clean.status_code == 200
    assert clean.json()["ok"] is True, clean.json()["problems"]
    assert clean.json()["rows"] > 10

    p = t.payments
    with engine.connect() as conn:
        payment = conn.execute(select(p.c.id)).scalar_one()
        conn.execute(update(p).where(p.c.id == payment).values(amount_minor=1))
        conn.commit()
    engine.dispose()

    for party in ("JPN-auditor", "AUS-auditor"):
        found = api.client.get("/audit/verify", headers=api.as_(party)).json()
        assert found["ok"] is False
        assert found["rows_at_fault"] == 1
        [problem] = found["problems"]
        assert (problem["table"], problem["key"], problem["code"]) == (
            "payments",
            str(payment),
            "AUDIT_ROW_CHANGED",
        )
    third = api.client.get("/audit/verify", headers=api.as_("FRA-auditor")).json()
    assert third["ok"] is False
    [hidden] = third["problems"]
    assert (hidden["table"], hidden["key"]) == (None, None)
    assert hidden["reason"].startswith("1 rows of other nations' records")
    assert "payments" not in hidden["reason"]
