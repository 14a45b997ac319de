"""Corrections on a real database (SQLite and PostgreSQL): voiding an invoice, reversing a
payment, credit notes. Each is a record of its own with a reason, posted to both books as
reversing entries where money moved, audited, and leaves `ledger verify` clean; every refusal
writes nothing."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import pytest

from acsa.commands import (
    IssueCreditNote,
    IssueInvoice,
    RecordPayment,
    ReversePayment,
    VoidInvoice,
)
from acsa.domain.errors import AcsaError, Code, NotFoundError
from acsa.domain.ledger import Account, EntryKind
from acsa.services import ledger, settlement
from acsa.services.handlers import handle
from tests.integration.dump import content
from tests.integration.test_settlement import balance, received_order
from tests.settlement_data import ORDER_VALUE


def _invoice(uow, order_id, day=date(2026, 3, 11)):
    return handle(uow, IssueInvoice(order_id=order_id, issued=day), "Lt Cdr Mori")


def _pay(uow, number, amount, day=date(2026, 3, 20)):
    command = RecordPayment(invoice=number, amount=Decimal(amount), paid=day, reference="TT-1")
    return handle(uow, command, "Maj. Brown")


def _clean(uow):
    found = ledger.verify(uow)
    assert found.ok, found
    return found


def _codes(error: AcsaError) -> list[str]:
    return [v.code.value for v in error.violations]


def test_a_voided_invoice_bills_nothing_and_the_order_is_invoiced_again(uow, engine):
    order_id = received_order(uow)
    first = _invoice(uow, order_id)
    voided = handle(
        uow,
        VoidInvoice(invoice=first.number, reason="wrong fund citation", day=date(2026, 3, 12)),
        "Lt Cdr Mori",
    )
    assert (voided.status, voided.voided, voided.billed, voided.unpaid) == (
        "void",
        True,
        Decimal(0),
        Decimal(0),
    )
    [record] = voided.corrections
    assert (record.kind, record.reason, record.actor, record.effective) == (
        "void",
        "wrong fund citation",
        "Lt Cdr Mori",
        date(2026, 3, 12),
    )
    account = settlement.order_account(uow, order_id)
    assert (account.invoiced, account.uninvoiced) == (Decimal(0), ORDER_VALUE)
    again = _invoice(uow, order_id, date(2026, 3, 13))
    assert again.number != first.number
    assert again.amount == ORDER_VALUE
    # An invoice posts nothing, so neither does its void: the receivable stands.
    assert balance(uow, "JPN", "AUS", Account.RECEIVABLE_CASH) == ORDER_VALUE
    with uow:
        actions = [r.action for r in uow.audit.records(order_id=order_id)]
    assert "invoice.void" in actions
    _clean(uow)


def test_a_void_is_refused_while_a_payment_stands_and_once_void(uow, engine):
    order_id = received_order(uow)
    number = _invoice(uow, order_id).number
    _pay(uow, number, 1000)
    before = content(engine)
    with pytest.raises(AcsaError) as refused:
        handle(uow, VoidInvoice(invoice=number, reason="mistake"), "Lt Cdr Mori")
    assert _codes(refused.value) == [Code.INVOICE_HAS_PAYMENTS.value]
    assert "reverse" in refused.value.violations[0].message
    assert content(engine) == before
    [payment] = settlement.get_invoice(uow, number).payments
    handle(uow, ReversePayment(payment=payment.id, reason="paid to the wrong account"), "x")
    handle(uow, VoidInvoice(invoice=number, reason="mistake"), "Lt Cdr Mori")
    before = content(engine)
    for command in (
        VoidInvoice(invoice=number, reason="again"),
        RecordPayment(invoice=number, amount=Decimal(1), paid=date(2026, 3, 21)),
        IssueCreditNote(invoice=number, amount=Decimal(1), reason="x"),
    ):
        with pytest.raises(AcsaError) as refused:
            handle(uow, command, "Lt Cdr Mori")
        assert _codes(refused.value) == [Code.INVOICE_VOIDED.value]
    assert content(engine) == before
    _clean(uow)


def test_a_reversed_payment_is_unpaid_again_and_both_books_post_its_reversal(uow, engine):
    order_id = received_order(uow)
    number = _invoice(uow, order_id).number
    _pay(uow, number, 500_000)
    _pay(uow, number, 250_000, date(2026, 3, 21))
    first, second = settlement.get_invoice(uow, number).payments
    after = handle(
        uow,
        ReversePayment(payment=first.id, reason="cheque bounced", day=date(2026, 3, 25)),
        "Maj. Brown",
    )
    assert after.paid == Decimal(250_000)
    assert after.unpaid == ORDER_VALUE - 250_000
    assert [(p.place, p.reversed) for p in after.payments] == [(1, True), (2, False)]
    assert balance(uow, "JPN", "AUS", Account.RECEIVABLE_CASH) == ORDER_VALUE - 250_000
    assert balance(uow, "AUS", "JPN", Account.PAYABLE_CASH) == -(ORDER_VALUE - 250_000)
    assert balance(uow, "JPN", "AUS", Account.CASH) == Decimal(250_000)
    with uow:
        entries = [
            e
            for book in ("JPN", "AUS")
            for e in uow.ledger.entries(book, order_id=order_id)
            if e.kind is EntryKind.REVERSAL
        ]
        paid = {
            e.id: e
            for book in ("JPN", "AUS")
            for e in uow.ledger.entries(book, order_id=order_id)
            if e.kind is EntryKind.PAYMENT
        }
    assert len(entries) == 2
    for entry in entries:
        original = paid[entry.reverses]
        assert original.book == entry.book
        assert original.effective == date(2026, 3, 20)
        assert entry.effective == date(2026, 3, 25)
        assert entry.memo == "cheque bounced"
        assert {p.account: -p.amount.amount for p in entry.postings} == {
            p.account: p.amount.amount for p in original.postings
        }
    before = content(engine)
    with pytest.raises(AcsaError) as refused:
        handle(uow, ReversePayment(payment=first.id, reason="again"), "Maj. Brown")
    assert _codes(refused.value) == [Code.PAYMENT_REVERSED.value]
    with pytest.raises(NotFoundError) as missing:
        handle(uow, ReversePayment(payment=second.id + 100, reason="x"), "Maj. Brown")
    assert _codes(missing.value) == [Code.PAYMENT_NOT_FOUND.value]
    assert content(engine) == before
    # What was reversed may be paid again.
    _pay(uow, number, ORDER_VALUE - 250_000, date(2026, 3, 26))
    assert settlement.order_account(uow, order_id).owed_in_cash == 0
    _clean(uow)


def test_a_credit_note_reduces_what_the_invoice_bills_in_both_books(uow, engine):
    order_id = received_order(uow)
    number = _invoice(uow, order_id).number
    _pay(uow, number, 1_000_000)
    credited = handle(
        uow,
        IssueCreditNote(invoice=number, amount=Decimal(80_020), reason="fuel price agreed lower"),
        "Lt Cdr Mori",
    )
    [note] = credited.corrections
    assert note.number == "JPN-CN-2026-000001"
    assert (credited.credited, credited.billed) == (Decimal(80_020), ORDER_VALUE - 80_020)
    assert credited.unpaid == ORDER_VALUE - 80_020 - 1_000_000
    account = settlement.order_account(uow, order_id)
    assert (account.credited, account.uninvoiced) == (Decimal(80_020), Decimal(0))
    assert account.owed_in_cash == ORDER_VALUE - 80_020 - 1_000_000
    owed = ORDER_VALUE - 80_020 - 1_000_000
    assert balance(uow, "JPN", "AUS", Account.RECEIVABLE_CASH) == owed
    assert balance(uow, "JPN", "AUS", Account.SUPPORT_PROVIDED) == -(ORDER_VALUE - 80_020)
    assert balance(uow, "AUS", "JPN", Account.PAYABLE_CASH) == -owed
    assert balance(uow, "AUS", "JPN", Account.SUPPORT_RECEIVED) == ORDER_VALUE - 80_020
    # Never below what is paid: at most the unpaid part may be credited.
    before = content(engine)
    with pytest.raises(AcsaError) as refused:
        handle(uow, IssueCreditNote(invoice=number, amount=owed + 1, reason="too much"), "x")
    assert _codes(refused.value) == [Code.CREDIT_EXCEEDS_UNPAID.value]
    with pytest.raises(AcsaError) as blank:
        IssueCreditNote(invoice=number, amount=Decimal(1), reason="  ")
    assert _codes(blank.value) == [Code.MISSING_FIELD.value]
    assert content(engine) == before
    # The rest credited in full: the invoice is settled, the order owes nothing.
    last = handle(uow, IssueCreditNote(invoice=number, amount=owed, reason="write-off"), "x")
    assert (last.status, last.unpaid) == ("paid", Decimal(0))
    assert [c.number for c in last.corrections] == ["JPN-CN-2026-000001", "JPN-CN-2026-000002"]
    assert settlement.order_account(uow, order_id).owed_in_cash == 0
    _clean(uow)


def test_the_books_check_finds_a_credit_note_the_book_did_not_post(uow, engine):
    order_id = received_order(uow)
    number = _invoice(uow, order_id).number
    handle(uow, IssueCreditNote(invoice=number, amount=Decimal(100), reason="x"), "x")
    _clean(uow)
    from sqlalchemy import delete, select

    from acsa.adapters.db import tables as t

    with engine.begin() as conn:
        e, p = t.ledger_entries, t.ledger_postings
        ids = [
            r.id
            for r in conn.execute(select(e.c.id).where(e.c.kind == EntryKind.CREDIT_NOTE.value))
        ]
        conn.execute(delete(p).where(p.c.entry_id.in_(ids)))
        conn.execute(delete(e).where(e.c.id.in_(ids)))
    found = ledger.verify(uow)
    assert Code.RECORDS_UNPOSTED.value in {b.code for b in found.breaches}


def test_the_statement_shows_the_reversal_and_the_credit_note_in_both_languages(uow, engine):
    from acsa.i18n.memos import memo_text

    order_id = received_order(uow)
    number = _invoice(uow, order_id).number
    _pay(uow, number, 1000)
    [payment] = settlement.get_invoice(uow, number).payments
    handle(
        uow,
        ReversePayment(payment=payment.id, reason="cheque bounced", day=date(2026, 3, 21)),
        "x",
    )
    handle(
        uow,
        IssueCreditNote(
            invoice=number, amount=Decimal(500), reason="agreed", day=date(2026, 3, 22)
        ),
        "x",
    )
    [page] = ledger.statement(uow, "JPN", "AUS", date(2026, 1, 1), date(2026, 12, 31), "JPY")
    lines = [(ln.kind, ln.document, ln.memo, ln.debit, ln.credit) for ln in page.lines]
    assert lines[-2:] == [
        ("reversal", f"reversal of payment of invoice {number}", "cheque bounced", 1000, 0),
        ("credit_note", f"credit note JPN-CN-2026-000001 of invoice {number}", "agreed", 0, 500),
    ]
    assert page.closing == ORDER_VALUE - 500
    ja = memo_text(f"credit note JPN-CN-2026-000001 of invoice {number}", "ja")
    assert ja == f"請求書{number}のクレジットノートJPN-CN-2026-000001"
    assert memo_text(f"reversal of payment of invoice {number}", "ja") != (
        f"reversal of payment of invoice {number}"
    )


def test_the_database_itself_holds_one_void_per_invoice_and_one_reversal_per_payment(uow, engine):
    from sqlalchemy import insert, select
    from sqlalchemy.exc import IntegrityError

    from acsa.adapters.db import tables as t

    order_id = received_order(uow)
    number = _invoice(uow, order_id).number
    _pay(uow, number, 1000)
    [payment] = settlement.get_invoice(uow, number).payments
    handle(uow, ReversePayment(payment=payment.id, reason="x"), "x")
    handle(uow, VoidInvoice(invoice=number, reason="x"), "x")
    c = t.corrections
    with engine.connect() as conn:
        rows = [dict(r._mapping) for r in conn.execute(select(c).order_by(c.c.id))]
    for row in rows:
        again = {k: v for k, v in row.items() if k != "id"}
        with pytest.raises(IntegrityError), engine.begin() as conn:
            conn.execute(insert(c).values(**again))


def test_the_order_form_lists_each_correction_with_its_reason(uow, engine, tmp_path):
    from acsa.adapters.exports.order_form import write_order_form
    from acsa.services.order_forms import order_form

    order_id = received_order(uow)
    number = _invoice(uow, order_id).number
    _pay(uow, number, 1000)
    [payment] = settlement.get_invoice(uow, number).payments
    handle(uow, ReversePayment(payment=payment.id, reason="cheque bounced"), "x")
    handle(uow, VoidInvoice(invoice=number, reason="wrong citation"), "x")
    form = order_form(uow, order_id)
    shown = [(d.kind, d.amount, d.detail) for d in form.documents]
    assert ("payment", Decimal(1000), f"against invoice {number}, reversed") in shown
    assert ("reversal", Decimal(1000), f"of invoice {number}: cheque bounced") in shown
    assert ("void", ORDER_VALUE, f"of invoice {number}: wrong citation") in shown
    for lang in ("en", "ja"):
        written = write_order_form(form, tmp_path / f"form-{lang}.pdf", lang)
        assert written.read_bytes().startswith(b"%PDF")
