"""Disputes on a real database (SQLite and PostgreSQL): either side disputes a receipt, an
invoice or a settlement; the order's account shows the amount disputed apart; the other side
answers (accept as billed, credit note, re-delivery, write-off) or the opener withdraws; a
credit note or write-off posts reversing entries in both books; every refusal writes nothing
and `ledger verify` and `audit verify` stay clean."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import pytest
from sqlalchemy import update

from acsa.adapters.db import tables as t
from acsa.adapters.db.unit_of_work import UnitOfWork
from acsa.commands import AnswerDispute, IssueInvoice, OpenDispute, RecordPayment
from acsa.domain.errors import AcsaError, Code
from acsa.domain.ledger import Account
from acsa.domain.order import Action
from acsa.services import disputes, ledger, settlement
from acsa.services.audit import verify_audit
from acsa.services.findings import exceptions
from acsa.services.handlers import handle
from tests.integration.dump import content
from tests.integration.test_settlement import balance, received_order
from tests.settlement_data import ORDER_VALUE


def _receipt(uow, order_id) -> str:
    with uow:
        order = uow.orders.get(order_id)
    [seq] = [e.seq for e in order.history if e.action is Action.RECEIVE]
    return f"receipt:{seq}"


def _open(uow, order_id, step, amount, ground="quantity", side="requester", **more):
    command = OpenDispute(
        order_id=order_id,
        step=step,
        ground=ground,
        reason="12 of the 400 cases arrived crushed",
        amount=Decimal(amount),
        day=date(2026, 3, 12),
        side=side,
        **more,
    )
    return handle(uow, command, "Sgt Lee")


def _answer(uow, order_id, number, resolution, side="supplier", **more):
    command = AnswerDispute(
        order_id=order_id,
        dispute=number,
        resolution=resolution,
        day=date(2026, 3, 15),
        side=side,
        **more,
    )
    return handle(uow, command, "Lt Cdr Mori")


def _codes(error: AcsaError) -> list[str]:
    return [v.code.value for v in error.violations]


def _clean(uow, engine):
    assert ledger.verify(uow).ok
    assert verify_audit(UnitOfWork(engine, read_only=True)).ok


def test_a_disputed_receipt_resolved_by_a_credit_note_posts_both_books(uow, engine):
    order_id = received_order(uow)
    invoice = handle(uow, IssueInvoice(order_id=order_id, issued=date(2026, 3, 11)), "x")
    opened = _open(uow, order_id, _receipt(uow, order_id), 54_000)
    assert (opened.status, opened.subject, opened.opened_by, opened.amount) == (
        "open",
        "receipt",
        "AUS",
        Decimal(54_000),
    )
    assert opened.number.startswith("DSP-AUS-2026-")
    account = settlement.order_account(uow, order_id)
    assert (account.disputed, account.owed_in_cash) == (Decimal(54_000), ORDER_VALUE)
    found = [e for e in exceptions(uow, date(2026, 3, 20)) if e.kind == "disputed"]
    assert [(e.order, e.value, e.age_days) for e in found] == [(order_id, Decimal(54_000), 8)]

    closed = _answer(uow, order_id, opened.number, "credit_note", agreed=Decimal(50_000))
    assert (closed.status, closed.resolution, closed.agreed, closed.answered_by) == (
        "resolved",
        "credit_note",
        Decimal(50_000),
        "JPN",
    )
    assert closed.credit_note is not None
    after = settlement.get_invoice(uow, invoice.number)
    assert after.unpaid == ORDER_VALUE - 50_000
    assert [c.number for c in after.corrections] == [closed.credit_note]
    assert settlement.order_account(uow, order_id).disputed == 0
    assert balance(uow, "JPN", "AUS", Account.RECEIVABLE_CASH) == ORDER_VALUE - 50_000
    assert balance(uow, "AUS", "JPN", Account.PAYABLE_CASH) == -(ORDER_VALUE - 50_000)
    with uow:
        actions = [r.action for r in uow.audit.records(order_id=order_id)]
    assert {"order.dispute", "dispute.answer", "invoice.credit"} <= set(actions)
    _clean(uow, engine)


def test_an_answered_dispute_is_answered_no_more_and_writes_nothing(uow, engine):
    order_id = received_order(uow)
    opened = _open(uow, order_id, _receipt(uow, order_id), 1000, ground="quality")
    _answer(uow, order_id, opened.number, "accept")
    before = content(engine)
    for resolution, side in (("accept", "supplier"), ("withdraw", "requester")):
        with pytest.raises(AcsaError) as refused:
            _answer(uow, order_id, opened.number, resolution, side=side)
        assert _codes(refused.value) == [Code.DISPUTE_CLOSED.value]
    assert content(engine) == before


def test_refusals_write_nothing(uow, engine):
    order_id = received_order(uow)
    receipt = _receipt(uow, order_id)
    before = content(engine)
    cases = [
        ({"step": receipt, "amount": ORDER_VALUE + 1}, Code.DISPUTE_EXCEEDS_WORTH),
        ({"step": receipt, "amount": 1, "evidence": "a" * 64}, Code.DISPUTE_EVIDENCE_NOT_FOUND),
        (
            {"step": "invoice:NONE-1", "amount": 1, "ground": "amount"},
            Code.ATTACHMENT_STEP_NOT_FOUND,
        ),
    ]
    for fields, code in cases:
        step, amount = fields.pop("step"), fields.pop("amount")
        with pytest.raises(AcsaError) as refused:
            _open(uow, order_id, step, amount, **fields)
        assert _codes(refused.value) == [code.value]
    with pytest.raises(AcsaError) as refused:
        _open(uow, order_id, receipt, 1, ground="amount")
    assert _codes(refused.value) == [Code.INVALID_FIELD.value]
    assert content(engine) == before
    opened = _open(uow, order_id, receipt, 1000)
    with pytest.raises(AcsaError) as refused:
        _open(uow, order_id, receipt, 5)
    assert _codes(refused.value) == [Code.DISPUTE_OPEN.value]
    before = content(engine)
    for resolution, side, code in (
        ("accept", "requester", Code.DISPUTE_WRONG_SIDE),
        ("withdraw", "supplier", Code.DISPUTE_WRONG_SIDE),
        ("credit_note", "supplier", Code.MISSING_FIELD),
    ):
        with pytest.raises(AcsaError) as refused:
            _answer(uow, order_id, opened.number, resolution, side=side)
        assert _codes(refused.value) == [code.value]
    with pytest.raises(AcsaError) as refused:
        _answer(uow, order_id, opened.number, "credit_note", agreed=Decimal(1001))
    assert _codes(refused.value) == [Code.DISPUTE_EXCEEDS_WORTH.value]
    with pytest.raises(AcsaError) as refused:
        _answer(uow, order_id, opened.number, "credit_note", agreed=Decimal(10))
    assert _codes(refused.value) == [Code.DISPUTE_NO_INVOICE.value]
    assert content(engine) == before
    withdrawn = _answer(uow, order_id, opened.number, "withdraw", side="requester")
    assert (withdrawn.status, withdrawn.resolution) == ("withdrawn", "withdraw")
    _clean(uow, engine)


def test_a_supplier_disputes_a_payment_and_an_invoice_dispute_is_written_off(uow, engine):
    order_id = received_order(uow)
    number = handle(uow, IssueInvoice(order_id=order_id, issued=date(2026, 3, 11)), "x").number
    handle(
        uow,
        RecordPayment(invoice=number, amount=Decimal(1000), paid=date(2026, 3, 11)),
        "Maj. Brown",
    )
    on_payment = _open(uow, order_id, "payment:1", 1000, ground="payment", side="supplier")
    with pytest.raises(AcsaError) as refused:
        _answer(uow, order_id, on_payment.number, "write_off", side="requester", agreed=Decimal(1))
    assert _codes(refused.value) == [Code.DISPUTE_RESOLUTION_NOT_ALLOWED.value]
    _answer(uow, order_id, on_payment.number, "accept", side="requester")
    on_invoice = _open(uow, order_id, f"invoice:{number}", 20_000, ground="price_basis")
    written = _answer(uow, order_id, on_invoice.number, "write_off", agreed=Decimal(20_000))
    assert written.resolution == "write_off"
    after = settlement.get_invoice(uow, number)
    [credit] = after.corrections
    assert "written off by agreement" in credit.reason
    assert after.unpaid == ORDER_VALUE - 1000 - 20_000
    rows = disputes.report(disputes.all_disputes(uow, "AUS"))
    assert [(r.partner, r.open, r.closed, r.credited) for r in rows] == [
        ("JPN", 0, 2, Decimal(20_000))
    ]
    _clean(uow, engine)


def test_the_audit_vouches_for_each_dispute(uow, engine):
    order_id = received_order(uow)
    opened = _open(uow, order_id, _receipt(uow, order_id), 1000)
    _answer(uow, order_id, opened.number, "accept")
    assert verify_audit(UnitOfWork(engine, read_only=True)).ok
    with engine.begin() as conn:
        conn.execute(update(t.disputes).values(resolution="write_off", agreed_minor=1000))
    forged = verify_audit(UnitOfWork(engine, read_only=True))
    assert [(p.table, p.code) for p in forged.problems] == [
        ("disputes", Code.AUDIT_ROW_CHANGED.value)
    ]


def test_a_statement_shows_what_is_disputed_apart_and_aging_goes_on(uow, engine):
    order_id = received_order(uow)
    handle(uow, IssueInvoice(order_id=order_id, issued=date(2026, 3, 11)), "x")
    opened = _open(uow, order_id, _receipt(uow, order_id), 54_000)
    period = (date(2026, 1, 1), date(2026, 3, 14))
    for book, partner in (("JPN", "AUS"), ("AUS", "JPN")):
        [s] = ledger.statement(uow, book, partner, *period)
        assert s.disputed == Decimal(54_000)
    [jpn] = ledger.statement(uow, "JPN", "AUS", *period)
    assert jpn.closing == ORDER_VALUE  # not taken off the balance
    aged = [a for a in ledger.aging(uow) if a.nation == "JPN" and a.direction == "owed_to_us"]
    assert sum(a.total for a in aged) == ORDER_VALUE  # the debt still ages
    _answer(uow, order_id, opened.number, "accept")
    [before] = ledger.statement(uow, "JPN", "AUS", *period)
    assert before.disputed == Decimal(54_000)  # as it stood at the period's end
    [after] = ledger.statement(uow, "JPN", "AUS", date(2026, 1, 1), date(2026, 3, 15))
    assert after.disputed == 0
