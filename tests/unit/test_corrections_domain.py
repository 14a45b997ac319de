"""Corrections in the pure domain: an order's account voids an invoice, reverses a payment,
issues a credit note, each a record of its own with a reason, day and actor; the reversing
entries of both books; the refusals; the books' own check of stored corrections; the signed
document of each, read back into the same command; the ledger memo of a credit note. No
database, no I/O."""

from __future__ import annotations

from datetime import UTC, date, datetime
from decimal import Decimal

import pytest

from acsa.commands import IssueCreditNote, ReversePayment, VoidInvoice
from acsa.domain.account import (
    AccountHead,
    Correction,
    CorrectionKind,
    Invoice,
    OrderAccount,
    Payment,
    Terms,
    Tranche,
)
from acsa.domain.documents import Kind, body_violations
from acsa.domain.errors import AcsaError, Code, NotFoundError
from acsa.domain.ledger import (
    Account,
    Balances,
    Entry,
    EntryKind,
    Stamp,
    payment_entries,
    receipt_entries,
)
from acsa.domain.memos import read_memo
from acsa.domain.money import Money
from acsa.domain.order import OrderStatus

AT = datetime(2026, 5, 1, 9, 0, tzinfo=UTC)
DAY = date(2026, 5, 1)
RECEIVED = Decimal(1000)
HEAD = AccountHead(7, "JPN", "AUS", "JPY", "cash", OrderStatus.RECEIVED)


def _account() -> OrderAccount:
    return OrderAccount(HEAD, Terms(180, 30), receipts=(Tranche(date(2026, 4, 1), RECEIVED),))


def _invoiced() -> OrderAccount:
    account = _account()
    return account.invoice(date(2026, 4, 2), "JPN-2026-000001", AT, "fin").account


def _paid(amount: int = 400) -> OrderAccount:
    account = _invoiced()
    money = Money(Decimal(amount), "JPY")
    return account.pay("JPN-2026-000001", money, date(2026, 4, 10), "TT-1", AT, "fin").account


def _codes(error: AcsaError) -> list[Code]:
    return [v.code for v in error.violations]


def _books(account: OrderAccount, *entries_of: tuple[Entry, ...]) -> Balances:
    """Both books: the receipt's entries, then the entries given."""
    books = Balances()
    stamp = Stamp(date(2026, 4, 1), AT, "x", "receipt")
    for entry in receipt_entries("JPN", "AUS", Money(RECEIVED, "JPY"), False, stamp):
        books.post(entry)
    for entries in entries_of:
        for entry in entries:
            books.post(entry)
    return books


def test_a_void_bills_nothing_posts_nothing_and_leaves_it_to_invoice_again() -> None:
    decision = _invoiced().void("JPN-2026-000001", DAY, "wrong citation", AT, "Lt Mori")
    [record] = decision.records
    assert isinstance(record, Correction)
    assert (record.kind, record.amount, record.reason, record.actor, record.day) == (
        CorrectionKind.VOID,
        RECEIVED,
        "wrong citation",
        "Lt Mori",
        DAY,
    )
    assert decision.entries == ()
    after = decision.account
    [invoice] = after.invoices
    assert (invoice.voided, invoice.billed, invoice.unpaid, invoice.status(DAY)) == (
        True,
        0,
        0,
        "void",
    )
    assert (after.invoiced, after.uninvoiced, after.owed_in_cash) == (0, RECEIVED, RECEIVED)
    kind, body = decision.document
    assert kind is Kind.VOID
    assert body_violations(kind, body) == []
    again = after.invoice(DAY, "JPN-2026-000002", AT, "fin")
    [_, new] = again.account.invoices
    assert new.amount == RECEIVED
    assert again.account.breaches() == []


def test_a_void_is_refused_while_a_payment_stands_and_once_void() -> None:
    with pytest.raises(AcsaError) as paid:
        _paid().void("JPN-2026-000001", DAY, "x", AT, "fin")
    assert _codes(paid.value) == [Code.INVOICE_HAS_PAYMENTS]
    voided = _invoiced().void("JPN-2026-000001", DAY, "x", AT, "fin").account
    for step in (
        lambda: voided.void("JPN-2026-000001", DAY, "again", AT, "fin"),
        lambda: voided.pay("JPN-2026-000001", Money(Decimal(1), "JPY"), DAY, "", AT, "fin"),
        lambda: voided.credit(
            "JPN-2026-000001", "CN-1", Money(Decimal(1), "JPY"), DAY, "x", AT, "fin"
        ),
    ):
        with pytest.raises(AcsaError) as refused:
            step()
        assert _codes(refused.value) == [Code.INVOICE_VOIDED]


def test_a_correction_needs_a_reason_and_a_day_not_before_what_it_corrects() -> None:
    for reason in ("", "   "):
        with pytest.raises(AcsaError) as blank:
            _invoiced().void("JPN-2026-000001", DAY, reason, AT, "fin")
        assert _codes(blank.value) == [Code.MISSING_FIELD]
        assert blank.value.violations[0].field == "reason"
    with pytest.raises(AcsaError) as early:
        _invoiced().void("JPN-2026-000001", date(2026, 4, 1), "x", AT, "fin")
    assert _codes(early.value) == [Code.INVALID_DATE]
    with pytest.raises(AcsaError) as long:
        _invoiced().void("JPN-2026-000001", DAY, "x" * 100_000, AT, "fin")
    assert long.value.violations[0].field == "reason"


def test_a_reversal_takes_the_payment_back_from_both_books() -> None:
    account = _paid(400)
    decision = account.reverse_payment("JPN-2026-000001", 1, DAY, "bounced", AT, "Maj. Brown")
    [record] = decision.records
    assert isinstance(record, Correction)
    assert (record.kind, record.payment, record.amount) == (CorrectionKind.REVERSAL, 1, 400)
    after = decision.account
    [invoice] = after.invoices
    assert (invoice.paid, invoice.unpaid, invoice.reversed_places) == (0, RECEIVED, {1})
    assert len(invoice.payments) == 1  # kept, marked reversed: never deleted
    assert after.owed_in_cash == RECEIVED
    assert {e.kind for e in decision.entries} == {EntryKind.REVERSAL}
    assert {e.book for e in decision.entries} == {"JPN", "AUS"}
    assert all(e.memo == "bounced" and e.effective == DAY for e in decision.entries)
    stamp = Stamp(date(2026, 4, 10), AT, "fin", "payment")
    books = _books(
        after,
        payment_entries("JPN", "AUS", Money(Decimal(400), "JPY"), stamp),
        decision.entries,
    )
    assert books.is_balanced()
    assert books.balance("JPN", "AUS", Account.CASH, "JPY") == 0
    assert books.balance("JPN", "AUS", Account.RECEIVABLE_CASH, "JPY") == RECEIVED
    assert books.balance("AUS", "JPN", Account.PAYABLE_CASH, "JPY") == -RECEIVED
    kind, body = decision.document
    assert (kind, body["payment"], body["invoice"]) == (Kind.PAYMENT_REVERSAL, 1, "JPN-2026-000001")
    assert body_violations(kind, body) == []
    with pytest.raises(AcsaError) as twice:
        after.reverse_payment("JPN-2026-000001", 1, DAY, "again", AT, "x")
    assert _codes(twice.value) == [Code.PAYMENT_REVERSED]
    with pytest.raises(NotFoundError) as missing:
        after.reverse_payment("JPN-2026-000001", 2, DAY, "x", AT, "x")
    assert _codes(missing.value) == [Code.PAYMENT_NOT_FOUND]


def test_a_credit_note_reduces_the_bill_and_both_books_but_never_below_what_is_paid() -> None:
    account = _paid(400)
    with pytest.raises(AcsaError) as too_much:
        account.credit("JPN-2026-000001", "CN-1", Money(Decimal(601), "JPY"), DAY, "x", AT, "x")
    assert _codes(too_much.value) == [Code.CREDIT_EXCEEDS_UNPAID]
    for wrong, code in (
        (Money(Decimal(0), "JPY"), Code.INVALID_AMOUNT),
        (Money(Decimal("0.5"), "JPY"), Code.INVALID_AMOUNT),
        (Money(Decimal(5), "USD"), Code.CURRENCY_MISMATCH),
    ):
        with pytest.raises(AcsaError) as bad:
            account.credit("JPN-2026-000001", "CN-1", wrong, DAY, "x", AT, "x")
        assert _codes(bad.value) == [code]
    decision = account.credit(
        "JPN-2026-000001", "JPN-CN-2026-000001", Money(Decimal(600), "JPY"), DAY, "agreed", AT, "x"
    )
    after = decision.account
    [invoice] = after.invoices
    assert (invoice.credited, invoice.billed, invoice.unpaid, invoice.status(DAY)) == (
        600,
        400,
        0,
        "paid",
    )
    assert (after.credited, after.cash_debt, after.owed_in_cash, after.uninvoiced) == (
        600,
        400,
        0,
        0,
    )
    assert after.breaches() == []
    books = _books(after, decision.entries)
    assert books.is_balanced()
    assert books.balance("JPN", "AUS", Account.RECEIVABLE_CASH, "JPY") == 400
    assert books.balance("JPN", "AUS", Account.SUPPORT_PROVIDED, "JPY") == -400
    assert books.balance("AUS", "JPN", Account.PAYABLE_CASH, "JPY") == -400
    assert books.balance("AUS", "JPN", Account.SUPPORT_RECEIVED, "JPY") == 400
    [memo] = {e.document for e in decision.entries}
    read = read_memo(memo)
    assert read is not None
    assert read.params == {"note": "JPN-CN-2026-000001", "invoice": "JPN-2026-000001"}
    kind, body = decision.document
    assert kind is Kind.CREDIT_NOTE
    assert body_violations(kind, body) == []
    with pytest.raises(AcsaError) as taken:
        after.credit(
            "JPN-2026-000001", "JPN-CN-2026-000001", Money(Decimal(1), "JPY"), DAY, "x", AT, "x"
        )
    assert _codes(taken.value) in ([Code.CREDIT_EXCEEDS_UNPAID], [Code.INVALID_FIELD])


def test_the_books_check_finds_stored_corrections_that_break_the_rules() -> None:
    paid = Payment("N-1", Decimal(300), date(2026, 4, 10), at=AT)
    void = Correction(CorrectionKind.VOID, "N-1", RECEIVED, DAY, "x", at=AT)
    credit = Correction(CorrectionKind.CREDIT, "N-1", Decimal(-5), DAY, "x", number="C", at=AT)
    voided_but_paid = Invoice("N-1", "cash", RECEIVED, DAY, DAY, (paid,), AT, corrections=(void,))
    account = OrderAccount(
        HEAD, Terms(180, 30), (Tranche(DAY, RECEIVED),), invoices=(voided_but_paid,)
    )
    assert Code.OVERPAID in {v.code for v in account.breaches()}
    credited_below_zero = Invoice("N-1", "cash", RECEIVED, DAY, DAY, (), AT, corrections=(credit,))
    account = OrderAccount(
        HEAD, Terms(180, 30), (Tranche(DAY, RECEIVED),), invoices=(credited_below_zero,)
    )
    assert Code.OWED_BELOW_ZERO in {v.code for v in account.breaches()}


def test_each_document_reads_back_into_its_command() -> None:
    void = _invoiced().void("JPN-2026-000001", DAY, "citation", AT, "fin")
    reversal = _paid().reverse_payment("JPN-2026-000001", 1, DAY, "bounced", AT, "fin")
    credit = _paid().credit(
        "JPN-2026-000001", "JPN-CN-2026-000009", Money(Decimal(5), "JPY"), DAY, "agreed", AT, "x"
    )
    assert VoidInvoice.from_document(void.document[1]) == VoidInvoice(
        invoice="JPN-2026-000001", reason="citation", day=DAY
    )
    assert ReversePayment.from_document(reversal.document[1]) == ReversePayment(
        payment=0, invoice="JPN-2026-000001", place=1, reason="bounced", day=DAY
    )
    assert IssueCreditNote.from_document(credit.document[1]) == IssueCreditNote(
        invoice="JPN-2026-000001",
        amount=Decimal(5),
        reason="agreed",
        day=DAY,
        currency="JPY",
        number="JPN-CN-2026-000009",
    )
    # A person names neither the place nor the number: only a partner's document does.
    with pytest.raises(AcsaError) as internal:
        ReversePayment.from_wire({"reason": "x", "place": 2}, payment=5)
    assert [v.field for v in internal.value.violations] == ["place"]
    with pytest.raises(AcsaError) as numbered:
        IssueCreditNote.from_wire({"amount": "5", "reason": "x", "number": "N"}, invoice="N-1")
    assert [v.field for v in numbered.value.violations] == ["number"]
    with pytest.raises(AcsaError) as reasonless:
        VoidInvoice.from_wire({}, invoice="N-1")
    assert [v.field for v in reasonless.value.violations] == ["reason"]
    # A document with a blank reason or a payment place of 0 is not one.
    body = dict(reversal.document[1], payment=0, reason="")
    assert {v.field for v in body_violations(Kind.PAYMENT_REVERSAL, body)} == {
        "body.payment",
        "body.reason",
    }


def test_a_voided_conversion_invoice_is_invoiced_again_for_what_converted() -> None:
    head = AccountHead(8, "JPN", "AUS", "JPY", "replacement_in_kind", OrderStatus.RECEIVED)
    account = OrderAccount(head, Terms(30, 30), receipts=(Tranche(date(2026, 1, 1), RECEIVED),))
    converted = account.convert(date(2026, 3, 1), "JPN-2026-000005", AT, "sweep")
    assert converted is not None
    after = converted.account.void("JPN-2026-000005", date(2026, 3, 2), "wrong", AT, "x")
    assert (after.account.uninvoiced, after.account.awaiting_replacement) == (RECEIVED, 0)
    again = after.account.invoice(date(2026, 3, 3), "JPN-2026-000006", AT, "x")
    assert again.account.invoices[-1].amount == RECEIVED
    assert again.account.breaches() == []
    credited = again.account.credit(
        "JPN-2026-000006", "CN-1", Money(Decimal(100), "JPY"), date(2026, 3, 4), "x", AT, "x"
    )
    assert (credited.account.cash_debt, credited.account.owed_in_cash) == (900, 900)
    assert credited.account.breaches() == []
