"""One order's account: the single owner of what an order owes and how it is settled.

An :class:`OrderAccount` is built from an order's facts and its settlement records
(receipts, invoices with their payments, replacements in kind, equal value exchanges and
conversions to cash). Its methods ``invoice``, ``pay``, ``replace``, ``exchange``, ``convert``
and ``close`` decide a step: each returns a :class:`Decision` (the new records, the ledger
entries of both books, the document to publish and the account after the step) or raises a
coded :class:`AcsaError`. Nothing here does I/O; every figure a view shows about an order's
money (owed, uninvoiced, unpaid, awaiting replacement, overdue, the next deadline) comes from
this one object, and :meth:`OrderAccount.breaches` checks stored records against its rules.

Settlements apply to the oldest receipt first, everywhere, through :func:`remaining`.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from datetime import date, datetime, timedelta
from decimal import Decimal
from enum import StrEnum
from typing import Any

from acsa.domain import limits
from acsa.domain.documents import Kind, normalised
from acsa.domain.errors import AcsaError, Code, NotFoundError, Violation
from acsa.domain.ledger import (
    Entry,
    EntryKind,
    Stamp,
    conversion_entries,
    credit_note_entries,
    in_kind_entries,
    payment_entries,
)
from acsa.domain.memos import (
    conversion_document,
    credit_note_document,
    deadline_memo,
    in_kind_document,
    payment_document,
)
from acsa.domain.messages import Message, Term, t
from acsa.domain.money import Money, fits_minor_units
from acsa.domain.order import Order, OrderLine, OrderStatus
from acsa.domain.settlement import (
    IN_KIND_METHODS,
    ReturnedLine,
    check_in_kind_value,
    check_payment,
    due_date,
    replacement_deadline,
    replacement_value,
)
from acsa.domain.vocabulary import Settlement

ZERO = Decimal(0)


# --- the records --------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Terms:
    """What the agreement text governing the order date says about settling it.

    Attributes:
        deadline_days: days from a receipt to replace it in kind; past them it becomes cash.
        payment_term_days: days from an invoice's issue to its due date.
    """

    deadline_days: int
    payment_term_days: int


@dataclass(frozen=True, slots=True)
class AccountHead:
    """The facts of an order its account needs.

    Attributes:
        order: the order's id.
        supplier: the nation that supplied the support: the creditor of every debt.
        requester: the nation that received it: the debtor.
        currency: the order's ISO 4217 currency; every amount of the account is in it.
        method: the agreed settlement method (cash, replacement in kind, equal value exchange).
        status: the order's lifecycle state.
        agreement_id: the agreement the order is placed under.
        order_date: the order's date (its agreement text is the one in force on it).
    """

    order: int
    supplier: str
    requester: str
    currency: str
    method: str
    status: OrderStatus
    agreement_id: str = ""
    order_date: date | None = None
    #: The reference of the implementing arrangement the order names (its payment term sets
    #: an invoice's due date), None when it names none.
    arrangement: str | None = None

    @property
    def in_kind(self) -> bool:
        return self.method in IN_KIND_METHODS

    @classmethod
    def of(cls, order: Order) -> AccountHead:
        assert order.id is not None, "an account is of a stored order"
        return cls(
            order=order.id,
            supplier=order.supplier,
            requester=order.requester,
            currency=order.currency,
            method=order.settlement,
            status=order.status,
            agreement_id=order.agreement_id,
            order_date=order.order_date,
            arrangement=order.arrangement,
        )


@dataclass(frozen=True, slots=True)
class Tranche:
    """A dated part of a debt: a receipt, a conversion to cash, or what is left of one.

    Attributes:
        day: the day it arose (the receipt's or the conversion's).
        value: its value in the order's currency.
        document: what gave rise to it, as the ledger names it.
        at: when it was recorded, where known (a receipt's ledger entry).
    """

    day: date
    value: Decimal
    document: str = ""
    at: datetime | None = None


@dataclass(frozen=True, slots=True)
class Payment:
    """Cash paid against one invoice.

    Attributes:
        invoice: the invoice's number.
        amount: the amount paid, in the invoice's currency.
        paid: the day it was paid.
        reference: the payer's reference (transfer number, cheque), may be empty.
        at: when it was recorded; actor: who recorded it.
        id: its stored id, once stored.
    """

    invoice: str
    amount: Decimal
    paid: date
    reference: str = ""
    at: datetime | None = None
    actor: str = ""
    id: int | None = None


class CorrectionKind(StrEnum):
    """What a correcting record does to an invoice."""

    #: The invoice is cancelled: nothing of it is billed (it had no payment standing).
    VOID = "void"
    #: One payment of the invoice is taken back: it no longer counts as paid.
    REVERSAL = "reversal"
    #: A credit note: what the invoice bills is reduced by its amount.
    CREDIT = "credit"


@dataclass(frozen=True, slots=True)
class Correction:
    """A correcting record of an invoice: never an edit of the invoice or of a payment.

    Attributes:
        kind: void, reversal of a payment, or credit note.
        invoice: the invoice's number.
        amount: what it corrects: the amount the void cancelled, the payment reversed, the
            credit given (in the order's currency).
        day: the day it takes effect; reason: why, in the corrector's words.
        payment: a reversal's payment, by its place among the invoice's payments (1: the
            first recorded), the same on both nations' nodes.
        number: a credit note's number (``JPN-CN-2026-000001``).
        at, actor: when and by whom it was recorded; id: its stored id, once stored.
    """

    kind: CorrectionKind
    invoice: str
    amount: Decimal
    day: date
    reason: str
    payment: int | None = None
    number: str = ""
    at: datetime | None = None
    actor: str = ""
    id: int | None = None


@dataclass(frozen=True, slots=True)
class Invoice:
    """A bill from the supplier to the requester for cash owed on the order.

    Attributes:
        number: ``JPN-2026-000042``, unique per issuer and year.
        kind: ``cash`` (what was received on a cash order) or ``conversion`` (in-kind debt
            that passed its deadline).
        amount: the amount billed, in the order's currency.
        issued: the day of issue; due: the day payment is due.
        payments: the payments recorded against it, in the order they were recorded
            (reversed ones too: see ``standing``).
        at: when it was recorded; actor: who recorded it.
        id: its stored id, once stored.
        corrections: its void, its payments' reversals and its credit notes, as recorded.
    """

    number: str
    kind: str
    amount: Decimal
    issued: date
    due: date
    payments: tuple[Payment, ...] = ()
    at: datetime | None = None
    actor: str = ""
    id: int | None = None
    corrections: tuple[Correction, ...] = ()

    @property
    def voided(self) -> bool:
        return any(c.kind is CorrectionKind.VOID for c in self.corrections)

    @property
    def credited(self) -> Decimal:
        """What its credit notes took off."""
        return _total(c.amount for c in self.corrections if c.kind is CorrectionKind.CREDIT)

    @property
    def credit_notes(self) -> tuple[Correction, ...]:
        return tuple(c for c in self.corrections if c.kind is CorrectionKind.CREDIT)

    @property
    def reversed_places(self) -> frozenset[int]:
        """The places (1: the first recorded) of its payments that were reversed."""
        return frozenset(
            c.payment
            for c in self.corrections
            if c.kind is CorrectionKind.REVERSAL and c.payment is not None
        )

    @property
    def standing(self) -> tuple[Payment, ...]:
        """Its payments not reversed."""
        gone = self.reversed_places
        return tuple(p for n, p in enumerate(self.payments, start=1) if n not in gone)

    @property
    def billed(self) -> Decimal:
        """What it bills now: its amount less its credit notes; nothing once voided."""
        return ZERO if self.voided else self.amount - self.credited

    @property
    def paid(self) -> Decimal:
        return _total(p.amount for p in self.standing)

    @property
    def unpaid(self) -> Decimal:
        return self.billed - self.paid

    @property
    def last_paid(self) -> date | None:
        return max((p.paid for p in self.standing), default=None)

    def status(self, as_of: date) -> str:
        """``void``, ``paid``, ``credited`` (nothing left to pay, nothing paid: credited in
        full), ``overdue`` (unpaid after its due day) or ``open``."""
        if self.voided:
            return "void"
        if self.unpaid == 0:
            return "paid" if self.paid > 0 else "credited"
        return "overdue" if as_of > self.due else "open"


@dataclass(frozen=True, slots=True)
class Replacement:
    """A replacement in kind: the same goods returned, valued at the order's prices.

    Attributes:
        day: the day the goods were returned; value: their value in the order's currency.
        lines: what was returned, per order line; note: free text.
        at, actor: when and by whom it was recorded; id: its stored id, once stored.
    """

    day: date
    value: Decimal
    lines: tuple[ReturnedLine, ...]
    note: str = ""
    at: datetime | None = None
    actor: str = ""
    id: int | None = None


@dataclass(frozen=True, slots=True)
class ExchangedLine:
    """Other goods or services given in an equal value exchange.

    Attributes:
        category, description, quantity, unit: what was given; value: what it was valued at.
    """

    category: str
    description: str
    quantity: Decimal
    unit: str
    value: Decimal

    def as_record(self) -> dict[str, Any]:
        return {
            "category": self.category,
            "description": self.description,
            "quantity": str(self.quantity),
            "unit": self.unit,
            "value": str(self.value),
        }


@dataclass(frozen=True, slots=True)
class EqualValueExchange:
    """Other goods or services of equal value given against in-kind debt.

    Attributes:
        day: the day given; value: the agreed value in the order's currency.
        lines: what was given; agreed_by: who agreed the valuation; valuation_note: how.
        at, actor: when and by whom it was recorded; id: its stored id, once stored.
    """

    day: date
    value: Decimal
    lines: tuple[ExchangedLine, ...]
    agreed_by: str = ""
    valuation_note: str = ""
    at: datetime | None = None
    actor: str = ""
    id: int | None = None


@dataclass(frozen=True, slots=True)
class Conversion:
    """In-kind debt still unsettled past its deadline, turned into cash debt (with an invoice).

    Attributes:
        day: the day of the sweep that converted it; value: how much was converted.
        deadline: the deadline that had passed; note: why, in words.
        at, actor: when and by whom it was recorded; id: its stored id, once stored.
    """

    day: date
    value: Decimal
    deadline: date | None = None
    note: str = ""
    at: datetime | None = None
    actor: str = ""
    id: int | None = None


InKind = Replacement | EqualValueExchange | Conversion
#: The ledger entry (and stored settlement) kind of each record in kind.
ENTRY_KIND: dict[type[InKind], EntryKind] = {
    Replacement: EntryKind.REPLACEMENT,
    EqualValueExchange: EntryKind.EXCHANGE,
    Conversion: EntryKind.CONVERSION,
}
_IN_KIND_NAMES: dict[type[InKind], str] = {
    Replacement: t("replacement in kind"),
    EqualValueExchange: t("equal value exchange"),
    Conversion: t("conversion to cash"),
}
Record = Invoice | Payment | Replacement | EqualValueExchange | Conversion | Correction


class MoneyAction(StrEnum):
    """What may be done with an order's money."""

    INVOICE = "invoice"
    PAY = "pay"
    REPLACE = "replace"
    EXCHANGE = "exchange"
    CLOSE = "close"


@dataclass(frozen=True, slots=True)
class Decision:
    """What one step decided: records to store, ledger entries of both books, the document to
    publish (kind and body) and the account as it is after the step."""

    records: tuple[Record, ...]
    entries: tuple[Entry, ...]
    document: tuple[Kind, dict[str, Any]]
    account: OrderAccount


def remaining(tranches: Iterable[Tranche], applied: Decimal) -> list[Tranche]:
    """What is left of each tranche after ``applied`` is taken from the oldest first."""
    left = applied
    out: list[Tranche] = []
    for tranche in sorted(tranches, key=lambda t: t.day):
        taken = min(tranche.value, max(left, ZERO))
        left -= taken
        if tranche.value - taken > 0:
            out.append(replace(tranche, value=tranche.value - taken))
    return out


def _total(values: Iterable[Decimal]) -> Decimal:
    return sum(values, ZERO)


# --- the aggregate ------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class OrderAccount:
    """An order's money: what was received, billed, paid and settled, and what it still owes.

    Attributes:
        head: the order's facts (parties, currency, method, state).
        terms: the governing agreement text's deadline and payment term.
        receipts: the value of each receipt, as posted.
        invoices: every invoice with its payments.
        in_kind: replacements, exchanges and conversions, in the order they were recorded.
        lines: the order's lines (with received quantities); needed to replace in kind.
    """

    head: AccountHead
    terms: Terms
    receipts: tuple[Tranche, ...] = ()
    invoices: tuple[Invoice, ...] = ()
    in_kind: tuple[InKind, ...] = ()
    lines: tuple[OrderLine, ...] = field(default=())

    # --- figures --------------------------------------------------------------------------

    @property
    def currency(self) -> str:
        return self.head.currency

    @property
    def received(self) -> Decimal:
        return _total(t.value for t in self.receipts)

    @property
    def invoiced(self) -> Decimal:
        """What the invoices bill now (voids and credit notes taken off)."""
        return _total(i.billed for i in self.invoices)

    @property
    def credited(self) -> Decimal:
        """What credit notes took off the cash debt."""
        return _total(i.credited for i in self.invoices)

    @property
    def corrections(self) -> tuple[Correction, ...]:
        """Every correcting record of the order's invoices, in the order recorded."""
        found = [c for i in self.invoices for c in i.corrections]
        return tuple(sorted(found, key=lambda c: (c.at or datetime.min, c.id or 0)))

    @property
    def paid(self) -> Decimal:
        return _total(i.paid for i in self.invoices)

    @property
    def replacements(self) -> tuple[Replacement, ...]:
        return tuple(r for r in self.in_kind if isinstance(r, Replacement))

    @property
    def exchanges(self) -> tuple[EqualValueExchange, ...]:
        return tuple(r for r in self.in_kind if isinstance(r, EqualValueExchange))

    @property
    def conversions(self) -> tuple[Conversion, ...]:
        return tuple(r for r in self.in_kind if isinstance(r, Conversion))

    @property
    def settled_in_kind(self) -> Decimal:
        """Value settled by replacement in kind and equal value exchange."""
        return _total(r.value for r in self.in_kind if not isinstance(r, Conversion))

    @property
    def converted(self) -> Decimal:
        return _total(c.value for c in self.conversions)

    @property
    def cash_debt(self) -> Decimal:
        """What is owed in cash in all: the received value of a cash order, what converted
        of an in-kind one; less what credit notes took off."""
        return (self.converted if self.head.in_kind else self.received) - self.credited

    @property
    def uninvoiced(self) -> Decimal:
        return self.cash_debt - self.invoiced

    @property
    def unpaid(self) -> Decimal:
        return self.invoiced - self.paid

    @property
    def owed_in_cash(self) -> Decimal:
        return self.cash_debt - self.paid

    @property
    def awaiting_replacement(self) -> Decimal:
        if not self.head.in_kind:
            return ZERO
        return self.received - self.settled_in_kind - self.converted

    @property
    def owed(self) -> Decimal:
        """Everything still owed, in cash and in kind."""
        return self.owed_in_cash + self.awaiting_replacement

    @property
    def settled_value(self) -> Decimal:
        """What has been settled: paid in cash, replaced or exchanged in kind."""
        return self.paid + self.settled_in_kind

    @property
    def owes_nothing(self) -> bool:
        """Nothing is owed in cash or in kind: the order may be closed (one received entirely
        short owes nothing too)."""
        return self.owed_in_cash == 0 and self.awaiting_replacement == 0

    @property
    def settled(self) -> bool:
        """Something was received and nothing of it is owed any more."""
        return self.received > 0 and self.owes_nothing

    @property
    def first_receipt(self) -> date | None:
        return min((t.day for t in self.receipts), default=None)

    @property
    def last_activity(self) -> date | None:
        """The day of the latest receipt, payment, settlement in kind or conversion."""
        days = [t.day for t in self.receipts]
        days.extend(r.day for r in self.in_kind)
        days.extend(d for d in (i.last_paid for i in self.invoices) if d is not None)
        return max(days, default=None)

    def uninvoiced_tranches(self) -> list[Tranche]:
        """Cash debt not yet invoiced, per receipt (or conversion), the oldest billed first."""
        cash = (
            [Tranche(c.day, c.value, "conversion") for c in self.conversions]
            if self.head.in_kind
            else list(self.receipts)
        )
        return remaining(cash, self.invoiced + self.credited)

    def awaiting_tranches(self) -> list[Tranche]:
        """Receipts of an in-kind order not yet replaced, exchanged or converted, the oldest
        settled first (as the replacement deadline counts them)."""
        if not self.head.in_kind:
            return []
        return remaining(self.receipts, self.settled_in_kind + self.converted)

    def deadline_of(self, tranche: Tranche) -> date:
        return replacement_deadline(tranche.day, self.terms.deadline_days)

    def next_deadline(self) -> date | None:
        """The earliest deadline of in-kind debt still open, or None when nothing is open."""
        open_ = self.awaiting_tranches()
        return self.deadline_of(open_[0]) if open_ else None

    def overdue_in_kind(self, as_of: date) -> Decimal:
        """In-kind debt past its deadline on ``as_of`` (the deadline day is still in time)."""
        return _total(t.value for t in self.awaiting_tranches() if as_of > self.deadline_of(t))

    def due_in_kind(self, as_of: date, within_days: int) -> list[Tranche]:
        """In-kind debt whose deadline falls within ``within_days`` from ``as_of``."""
        return [
            t
            for t in self.awaiting_tranches()
            if as_of <= self.deadline_of(t) <= as_of + timedelta(days=within_days)
        ]

    def replaced_per_line(self) -> dict[int, Decimal]:
        """Quantity returned in kind so far, per order line."""
        replaced: dict[int, Decimal] = {}
        for r in self.replacements:
            for line in r.lines:
                replaced[line.line] = replaced.get(line.line, ZERO) + line.quantity
        return replaced

    def returnable_per_line(self) -> dict[int, Decimal]:
        """Quantity still to be returned in kind, per order line: received less replaced."""
        if self.head.method != Settlement.REPLACEMENT_IN_KIND:
            return {}
        replaced = self.replaced_per_line()
        return {
            line.number: line.quantity_received - replaced.get(line.number, ZERO)
            for line in self.lines
        }

    def invoice_named(self, number: str) -> Invoice:
        for invoice in self.invoices:
            if invoice.number == number:
                return invoice
        raise NotFoundError(
            [
                Violation(
                    Code.INVOICE_NOT_FOUND,
                    "invoice",
                    "no invoice {invoice} on this order",
                    params={"invoice": repr(number)},
                )
            ]
        )

    def open_invoices(self) -> list[Invoice]:
        return [i for i in self.invoices if i.unpaid > 0]

    def actions(self) -> frozenset[MoneyAction]:
        """What may be done with the order's money now (each still checked when done)."""
        may: set[MoneyAction] = set()
        if self.receipts and self.uninvoiced > 0:
            may.add(MoneyAction.INVOICE)
        if self.open_invoices():
            may.add(MoneyAction.PAY)
        if self.awaiting_replacement > 0:
            if self.head.method == Settlement.REPLACEMENT_IN_KIND:
                may.add(MoneyAction.REPLACE)
            may.add(MoneyAction.EXCHANGE)
        if self.head.status is OrderStatus.RECEIVED and self.owes_nothing:
            may.add(MoneyAction.CLOSE)
        return frozenset(may)

    # --- steps ----------------------------------------------------------------------------

    def invoice(self, issued: date, number: str, at: datetime, actor: str) -> Decision:
        """Bill what is owed in cash and not yet invoiced."""
        limits.check_date("date", issued)
        limits.check_text("number", number)
        self._not_before(issued, self.first_receipt, "date", t("the first receipt"))
        if self.uninvoiced <= 0:
            why = (
                t("in-kind orders are invoiced only for what the sweep converted to cash")
                if self.head.in_kind
                else t("nothing received is left uninvoiced")
            )
            raise AcsaError.single(
                Code.NOTHING_TO_INVOICE,
                "order",
                "order {order} has nothing to invoice: {why}",
                order=self.head.order,
                why=Message(why, {}),
            )
        billed = self.uninvoiced_tranches()
        last = max(tranche.day for tranche in billed)
        self._not_before(issued, last, "date", t("the last receipt it bills"))
        self._unused_number(number)
        invoice = self._new_invoice(number, "cash", self.uninvoiced, issued, at, actor)
        body = {
            "number": number,
            "kind": "cash",
            "amount": invoice.amount,
            "currency": self.currency,
            "issued": issued,
            "due": invoice.due,
        }
        after = replace(self, invoices=(*self.invoices, invoice))
        return Decision((invoice,), (), (Kind.INVOICE, normalised(body)), after)

    def pay(
        self, number: str, amount: Money, paid: date, reference: str, at: datetime, actor: str
    ) -> Decision:
        """Record a payment against invoice ``number``; overpayment is refused."""
        # The amount's bounds: more than zero and no more than is unpaid (check_payment).
        limits.check_date("date", paid)
        limits.check_text("reference", reference)
        invoice = self.invoice_named(number)
        _not_voided(invoice)
        self._not_before(
            paid, invoice.issued, "date", t("invoice {invoice} was issued"), invoice=number
        )
        check_payment(
            amount,
            Money(invoice.billed, self.currency),
            Money(invoice.paid, self.currency),
            number,
        )
        payment = Payment(number, amount.amount, paid, reference, at, actor)
        stamp = Stamp(paid, at, actor, payment_document(number), self.head.order, reference)
        entries = payment_entries(self.head.supplier, self.head.requester, amount, stamp)
        paid_invoice = replace(invoice, payments=(*invoice.payments, payment))
        after = replace(
            self, invoices=tuple(paid_invoice if i is invoice else i for i in self.invoices)
        )
        body = {
            "invoice": number,
            "amount": amount.amount,
            "currency": amount.currency,
            "paid": paid,
            "reference": reference,
        }
        return Decision((payment,), entries, (Kind.PAYMENT, normalised(body)), after)

    # --- corrections ------------------------------------------------------------------------

    def void(self, number: str, day: date, reason: str, at: datetime, actor: str) -> Decision:
        """Void invoice ``number``: nothing of it is billed any more, and what it billed may be
        invoiced again. Refused while a payment stands against it (INVOICE_HAS_PAYMENTS:
        reverse them first) and for an invoice voided already (INVOICE_VOIDED). An invoice
        posts nothing to the books, so neither does its void."""
        _check_correction(day, reason)
        invoice = self.invoice_named(number)
        _not_voided(invoice)
        if invoice.standing:
            raise AcsaError.single(
                Code.INVOICE_HAS_PAYMENTS,
                "invoice",
                "invoice {invoice} has {paid} paid against it in {count} payment(s); reverse "
                "them first (acsa payments reverse), then void it",
                invoice=number,
                paid=self._money(invoice.paid),
                count=len(invoice.standing),
            )
        self._not_before(
            day, invoice.issued, "date", t("invoice {invoice} was issued"), invoice=number
        )
        record = Correction(
            CorrectionKind.VOID, number, invoice.billed, day, reason, at=at, actor=actor
        )
        body = {
            "invoice": number,
            "amount": invoice.billed,
            "currency": self.currency,
            "date": day,
            "reason": reason,
        }
        after = self._corrected(invoice, record)
        return Decision((record,), (), (Kind.VOID, normalised(body)), after)

    def reverse_payment(
        self, number: str, place: int, day: date, reason: str, at: datetime, actor: str
    ) -> Decision:
        """Reverse the payment at ``place`` (1: the first recorded) of invoice ``number``: it
        no longer counts as paid, and both books get the payment's entries reversed, dated
        ``day``. A payment reversed already is refused (PAYMENT_REVERSED)."""
        _check_correction(day, reason)
        invoice = self.invoice_named(number)
        if not 1 <= place <= len(invoice.payments):
            raise NotFoundError(
                [
                    Violation(
                        Code.PAYMENT_NOT_FOUND,
                        "payment",
                        "invoice {invoice} has no payment {place}; it has {count}",
                        params={"invoice": number, "place": place, "count": len(invoice.payments)},
                    )
                ]
            )
        payment = invoice.payments[place - 1]
        if place in invoice.reversed_places:
            raise AcsaError.single(
                Code.PAYMENT_REVERSED,
                "payment",
                "payment {place} of invoice {invoice} ({amount}) is reversed already",
                place=place,
                invoice=number,
                amount=self._money(payment.amount),
            )
        self._not_before(day, payment.paid, "date", t("the payment it reverses"))
        record = Correction(
            CorrectionKind.REVERSAL,
            number,
            payment.amount,
            day,
            reason,
            payment=place,
            at=at,
            actor=actor,
        )
        stamp = Stamp(
            payment.paid,
            payment.at or at,
            payment.actor,
            payment_document(number),
            self.head.order,
            payment.reference,
        )
        paid = payment_entries(
            self.head.supplier, self.head.requester, self._money(payment.amount), stamp
        )
        entries = tuple(e.reversed(at, actor, day, reason) for e in paid)
        body = {
            "invoice": number,
            "payment": place,
            "amount": payment.amount,
            "currency": self.currency,
            "date": day,
            "reason": reason,
        }
        after = self._corrected(invoice, record)
        return Decision((record,), entries, (Kind.PAYMENT_REVERSAL, normalised(body)), after)

    def credit(
        self,
        number: str,
        note: str,
        amount: Money,
        day: date,
        reason: str,
        at: datetime,
        actor: str,
    ) -> Decision:
        """A credit note ``note`` taking ``amount`` off what invoice ``number`` bills (and off
        the cash debt: both books post it). At most what is unpaid: what is paid stays paid
        (CREDIT_EXCEEDS_UNPAID; reverse a payment first to credit more)."""
        _check_correction(day, reason)
        limits.check_text("number", note)
        invoice = self.invoice_named(number)
        _not_voided(invoice)
        self._not_before(
            day, invoice.issued, "date", t("invoice {invoice} was issued"), invoice=number
        )
        if amount.currency != self.currency:
            raise AcsaError.single(
                Code.CURRENCY_MISMATCH,
                "currency",
                "invoice {invoice} is in {currency}, not {given}",
                invoice=number,
                currency=self.currency,
                given=amount.currency,
            )
        if amount.amount <= 0 or not fits_minor_units(amount.amount, self.currency):
            raise AcsaError.single(
                Code.INVALID_AMOUNT,
                "amount",
                "a credit note must be more than zero, in whole {currency} minor units, not "
                "{amount}",
                currency=self.currency,
                amount=amount,
            )
        if amount.amount > invoice.unpaid:
            raise AcsaError.single(
                Code.CREDIT_EXCEEDS_UNPAID,
                "amount",
                "invoice {invoice} bills {billed}, of which {paid} is paid; a credit note may "
                "take off at most the {unpaid} unpaid, not {amount} (reverse a payment first "
                "to credit more)",
                invoice=number,
                billed=self._money(invoice.billed),
                paid=self._money(invoice.paid),
                unpaid=self._money(invoice.unpaid),
                amount=amount,
            )
        if any(c.number == note for i in self.invoices for c in i.corrections):
            raise AcsaError.single(
                Code.INVALID_FIELD,
                "number",
                "credit note number {note} is taken on this order",
                note=note,
            )
        record = Correction(
            CorrectionKind.CREDIT,
            number,
            amount.amount,
            day,
            reason,
            number=note,
            at=at,
            actor=actor,
        )
        stamp = Stamp(day, at, actor, credit_note_document(note, number), self.head.order, reason)
        entries = credit_note_entries(self.head.supplier, self.head.requester, amount, stamp)
        body = {
            "invoice": number,
            "number": note,
            "amount": amount.amount,
            "currency": self.currency,
            "date": day,
            "reason": reason,
        }
        after = self._corrected(invoice, record)
        return Decision((record,), entries, (Kind.CREDIT_NOTE, normalised(body)), after)

    def _corrected(self, invoice: Invoice, record: Correction) -> OrderAccount:
        """The account with ``record`` added to ``invoice``."""
        fixed = replace(invoice, corrections=(*invoice.corrections, record))
        return replace(self, invoices=tuple(fixed if i is invoice else i for i in self.invoices))

    def replace(
        self,
        day: date,
        returned: Sequence[ReturnedLine],
        note: str,
        at: datetime,
        actor: str,
    ) -> Decision:
        """Goods of the same kind, quantity and NSN returned against received lines."""
        _check_in_kind_input(
            day,
            [
                *(("note", note),),
                *(
                    pair
                    for i, x in enumerate(returned)
                    for pair in (
                        (f"lines[{i}].category", x.category),
                        (f"lines[{i}].nsn", x.nsn),
                        (f"lines[{i}].description", x.description),
                    )
                ),
            ],
            [(f"lines[{i}].quantity", x.quantity, limits.QUANTITY) for i, x in enumerate(returned)],
            len(returned),
        )
        self._not_before(day, self.first_receipt, "date", t("the first receipt"))
        self._require_in_kind([Settlement.REPLACEMENT_IN_KIND], Settlement.REPLACEMENT_IN_KIND)
        value, _after = replacement_value(
            self.currency,
            self.lines,
            returned,
            self.replaced_per_line(),
        )
        check_in_kind_value(
            value, Money(self.awaiting_replacement, self.currency), Code.REPLACEMENT_EXCEEDS_OWED
        )
        record = Replacement(day, value.amount, tuple(returned), note, at, actor)
        body = {"date": day, "lines": [x.as_record() for x in returned], "note": note}
        return self._settle_in_kind(record, note, (Kind.REPLACEMENT, body))

    def exchange(
        self,
        day: date,
        given: Sequence[ExchangedLine],
        agreed_by: str,
        valuation_note: str,
        at: datetime,
        actor: str,
    ) -> Decision:
        """Other goods or services, valued in the order's currency, against in-kind debt."""
        _check_in_kind_input(
            day,
            [
                ("agreed_by", agreed_by),
                ("valuation_note", valuation_note),
                *(
                    pair
                    for i, x in enumerate(given)
                    for pair in (
                        (f"lines[{i}].category", x.category),
                        (f"lines[{i}].description", x.description),
                        (f"lines[{i}].unit", x.unit),
                    )
                ),
            ],
            [
                *(
                    (f"lines[{i}].quantity", x.quantity, limits.QUANTITY)
                    for i, x in enumerate(given)
                ),
                *((f"lines[{i}].value", x.value, limits.AMOUNT) for i, x in enumerate(given)),
            ],
            len(given),
        )
        self._not_before(day, self.first_receipt, "date", t("the first receipt"))
        self._require_in_kind(
            [Settlement.EQUAL_VALUE_EXCHANGE, Settlement.REPLACEMENT_IN_KIND],
            Settlement.EQUAL_VALUE_EXCHANGE,
        )
        if not given:
            raise AcsaError.single(Code.MISSING_FIELD, "lines", "an exchange needs lines")
        bad = [
            Violation(
                Code.INVALID_AMOUNT,
                f"lines[{i}].value",
                "each thing given must be valued at more than zero, in whole {currency} minor "
                "units, not {value}",
                params={"currency": self.currency, "value": x.value},
            )
            for i, x in enumerate(given)
            if x.value <= 0 or not fits_minor_units(x.value, self.currency)
        ]
        if bad:
            raise AcsaError(bad)
        value = Money(_total(x.value for x in given), self.currency)
        check_in_kind_value(
            value, Money(self.awaiting_replacement, self.currency), Code.EXCHANGE_EXCEEDS_OWED
        )
        record = EqualValueExchange(
            day, value.amount, tuple(given), agreed_by, valuation_note, at, actor
        )
        body = {
            "date": day,
            "lines": [x.as_record() for x in given],
            "agreed_by": agreed_by,
            "valuation_note": valuation_note,
        }
        return self._settle_in_kind(record, valuation_note, (Kind.EXCHANGE, body))

    def convertible(self, as_of: date) -> tuple[Decimal, date] | None:
        """What converts to cash on ``as_of`` and the deadline that passed, or None."""
        if self.awaiting_replacement <= 0:
            return None
        overdue = self.overdue_in_kind(as_of)
        deadline = self.next_deadline()
        if overdue <= 0 or deadline is None:
            return None
        return overdue, deadline

    def convert(self, as_of: date, number: str, at: datetime, actor: str) -> Decision | None:
        """Turn in-kind debt past its deadline on ``as_of`` into cash debt, with an invoice
        numbered ``number``; None when nothing is past its deadline."""
        limits.check_date("as_of", as_of)
        due = self.convertible(as_of)
        if due is None:
            return None
        overdue, deadline = due
        self._unused_number(number)
        days = self.terms.deadline_days
        note = deadline_memo(deadline, days)
        conversion = Conversion(as_of, overdue, deadline, note, at, actor)
        value = Money(overdue, self.currency)
        stamp = Stamp(
            as_of,
            at,
            actor,
            conversion_document(self.head.order),
            self.head.order,
            note,
        )
        entries = conversion_entries(self.head.supplier, self.head.requester, value, stamp)
        invoice = self._new_invoice(number, "conversion", overdue, as_of, at, actor)
        after = replace(
            self, in_kind=(*self.in_kind, conversion), invoices=(*self.invoices, invoice)
        )
        body = {
            "as_of": as_of,
            "amount": overdue,
            "currency": self.currency,
            "invoice": number,
            "deadline": deadline,
        }
        return Decision((conversion, invoice), entries, (Kind.CONVERSION, normalised(body)), after)

    def close(self, order: Order, at: datetime, actor: str) -> Decision:
        """Close ``order`` (this account's) once nothing is owed on it, in cash or in kind."""
        assert order.id == self.head.order, "an account closes its own order"
        if order.status is OrderStatus.RECEIVED and not self.owes_nothing:
            raise AcsaError.single(
                Code.NOT_SETTLED,
                "order",
                "order {order} still owes {cash} in cash and {in_kind} in kind",
                order=order.id,
                cash=self._money(self.owed_in_cash),
                in_kind=self._money(self.awaiting_replacement),
            )
        order.close(at, actor)
        after = replace(self, head=replace(self.head, status=order.status))
        return Decision((), (), (Kind.CLOSE, {}), after)

    # --- the books' own check -------------------------------------------------------------

    def breaches(self) -> list[Violation]:
        """Where the stored records break the money rules: more invoiced than owed in cash,
        more paid than invoiced, more settled in kind than received (and, when the account has
        its lines, more of a line replaced than received), a conversion that does not match
        what was past its deadline, an amount of zero or less, anything owed below zero. Empty
        for clean books."""
        return [
            *self._invoice_breaches(),
            *self._in_kind_breaches(),
            *self._line_breaches(),
            *self._conversion_breaches(),
            *self._balance_breaches(),
        ]

    def _breach(self, code: Code, template: str, **params: object) -> Violation:
        """A breach of the money rules by this order: ``template`` (marked ``t``) filled with
        ``params``, after the order's number."""
        n = self.head.order
        return Violation(
            code,
            f"order {n}",
            "order {order}: {breach}",
            params={"order": n, "breach": Message(template, params)},
        )

    def _money(self, amount: Decimal) -> Money:
        """``amount`` in the order's currency, for a message."""
        return Money(amount, self.currency)

    def _invoice_breaches(self) -> list[Violation]:
        """More invoiced than owed in cash; an invoice paid more than its amount, or holding
        an amount (or a payment) of zero or less."""
        found: list[Violation] = []
        if self.invoiced > self.cash_debt:
            found.append(
                self._breach(
                    Code.OVER_INVOICED,
                    t("invoiced {invoiced}, more than the {owed} owed in cash"),
                    invoiced=self._money(self.invoiced),
                    owed=self._money(self.cash_debt),
                )
            )
        for invoice in self.invoices:
            if invoice.paid > invoice.billed:
                found.append(
                    self._breach(
                        Code.OVERPAID,
                        t("invoice {invoice} of {amount} was paid {paid}"),
                        invoice=invoice.number,
                        amount=self._money(invoice.billed),
                        paid=self._money(invoice.paid),
                    )
                )
            if (
                invoice.amount <= 0
                or any(p.amount <= 0 for p in invoice.payments)
                or any(c.amount <= 0 for c in invoice.credit_notes)
            ):
                found.append(
                    self._breach(
                        Code.OWED_BELOW_ZERO,
                        t("invoice {invoice} holds an amount of zero or less"),
                        invoice=invoice.number,
                    )
                )
        return found

    def _in_kind_breaches(self) -> list[Violation]:
        """A settlement in kind of zero or less; more settled in kind and converted than
        received; any settlement in kind on a cash order."""
        found = [
            self._breach(
                Code.OWED_BELOW_ZERO,
                t("the {kind} of {day} holds a value of {value}"),
                kind=Message(_IN_KIND_NAMES[type(record)], {}),
                day=record.day,
                value=self._money(record.value),
            )
            for record in self.in_kind
            if record.value <= 0
        ]
        if self.head.in_kind and self.settled_in_kind + self.converted > self.received:
            found.append(
                self._breach(
                    Code.OVER_SETTLED,
                    t(
                        "settled in kind {settled} and converted {converted}, more than the "
                        "{received} received"
                    ),
                    settled=self._money(self.settled_in_kind),
                    converted=self._money(self.converted),
                    received=self._money(self.received),
                )
            )
        if not self.head.in_kind and self.in_kind:
            found.append(
                self._breach(Code.OVER_SETTLED, t("a cash order holds settlements in kind"))
            )
        return found

    def _line_breaches(self) -> list[Violation]:
        """When the account has its lines: a line replaced more than it was received."""
        if not self.lines:
            return []
        received_of = {line.number: line.quantity_received for line in self.lines}
        return [
            self._breach(
                Code.OVER_SETTLED,
                t("line {line}: {quantity} replaced, more than the {received} received"),
                line=number,
                quantity=quantity,
                received=received_of.get(number, ZERO),
            )
            for number, quantity in self.replaced_per_line().items()
            if quantity > received_of.get(number, ZERO)
        ]

    def _balance_breaches(self) -> list[Violation]:
        """Anything owed (in cash, in kind, or unpaid) below zero."""
        if self.owed_in_cash < 0 or self.awaiting_replacement < 0 or self.unpaid < 0:
            return [
                self._breach(
                    Code.OWED_BELOW_ZERO,
                    t("owes {cash} in cash, {in_kind} in kind, {unpaid} unpaid"),
                    cash=self._money(self.owed_in_cash),
                    in_kind=self._money(self.awaiting_replacement),
                    unpaid=self._money(self.unpaid),
                )
            ]
        return []

    def _conversion_breaches(self) -> list[Violation]:
        """Each conversion, replayed in the order recorded, must equal what was past its
        deadline on its day, given what was received and settled before it was recorded."""
        found: list[Violation] = []
        before: list[InKind] = []
        for record in self.in_kind:
            if isinstance(record, Conversion):
                known = tuple(
                    t
                    for t in self.receipts
                    if t.at is None or record.at is None or t.at <= record.at
                )
                then = replace(self, receipts=known, in_kind=tuple(before))
                expected = then.overdue_in_kind(record.day) if self.head.in_kind else ZERO
                if record.value != expected:
                    found.append(
                        self._breach(
                            Code.CONVERSION_MISMATCH,
                            t(
                                "converted {value} on {day}, but {expected} was past its deadline "
                                "then"
                            ),
                            value=self._money(record.value),
                            day=record.day,
                            expected=self._money(expected),
                        )
                    )
            before.append(record)
        return found

    # --- helpers --------------------------------------------------------------------------

    def _new_invoice(
        self, number: str, kind: str, amount: Decimal, issued: date, at: datetime, actor: str
    ) -> Invoice:
        due = due_date(issued, self.terms.payment_term_days)
        return Invoice(number, kind, amount, issued, due, (), at, actor)

    def _settle_in_kind(
        self,
        record: Replacement | EqualValueExchange,
        memo: str,
        document: tuple[Kind, dict[str, Any]],
    ) -> Decision:
        head, kind = self.head, ENTRY_KIND[type(record)]
        stamp = Stamp(
            record.day,
            record.at or datetime.min,
            record.actor,
            in_kind_document(kind.value, head.order, record.day),
            head.order,
            memo,
        )
        value = Money(record.value, self.currency)
        entries = in_kind_entries(head.supplier, head.requester, value, kind, stamp)
        after = replace(self, in_kind=(*self.in_kind, record))
        kind_, body = document
        return Decision((record,), entries, (kind_, normalised(body)), after)

    def _require_in_kind(self, allowed: Iterable[str], action: str) -> None:
        """The order is settled in kind by one of ``allowed`` (for the settlement method
        ``action``), and something was received to settle."""
        if self.head.method not in set(allowed):
            raise AcsaError.single(
                Code.SETTLEMENT_METHOD_MISMATCH,
                "settlement",
                "order {order} is settled by {method}; it cannot be settled by {action}",
                order=self.head.order,
                method=Term(self.head.method),
                action=Term(action),
            )
        if self.received <= 0:
            raise AcsaError.single(
                Code.NOTHING_OWED_IN_KIND,
                "order",
                "order {order} is {status}: nothing has been received to settle",
                order=self.head.order,
                status=Term(self.head.status.value),
            )

    def _unused_number(self, number: str) -> None:
        """An invoice number names one invoice: a second one of the same number is refused."""
        if any(i.number == number for i in self.invoices):
            raise AcsaError.single(
                Code.INVALID_FIELD,
                "number",
                "invoice number {invoice} is taken on this order",
                invoice=number,
            )

    @staticmethod
    def _not_before(
        day: date, earliest: date | None, name: str, what: str, **params: object
    ) -> None:
        """Settlement cannot predate what it settles: refuse ``day`` before ``earliest``
        (``what``, a message id marked ``t``, with ``params``)."""
        if earliest is not None and day < earliest:
            raise AcsaError.single(
                Code.INVALID_DATE,
                name,
                "{name} {day} is before {what} on {earliest}",
                name=name,
                day=day,
                what=Message(what, params),
                earliest=earliest,
            )


def _check_correction(day: date, reason: str) -> None:
    """A correction's day within bounds and its reason given, within bounds: every problem
    at once."""
    errors = [v for v in (limits.date_violation("date", day),) if v is not None]
    errors.extend(limits.text_violations([("reason", reason)]))
    if not errors and not reason.strip():
        errors.append(
            Violation(Code.MISSING_FIELD, "reason", "a correction needs a reason", params={})
        )
    if errors:
        raise AcsaError(errors)


def _not_voided(invoice: Invoice) -> None:
    """INVOICE_VOIDED for an invoice that was voided: nothing more is done with it."""
    if invoice.voided:
        raise AcsaError.single(
            Code.INVOICE_VOIDED,
            "invoice",
            "invoice {invoice} is void; nothing more is recorded against it",
            invoice=invoice.number,
        )


def _check_in_kind_input(
    day: date,
    texts: Iterable[tuple[str, str | None]],
    numbers: Iterable[tuple[str, Decimal, limits.NumberBound]],
    count: int,
) -> None:
    """A settlement in kind's day, texts, quantities and values within their bounds, and no
    more than SETTLEMENT_LINES_MAX lines: every problem at once."""
    errors = [
        v
        for v in (
            limits.date_violation("date", day),
            limits.count_violation("lines", count, limits.SETTLEMENT_LINES_MAX),
        )
        if v is not None
    ]
    errors.extend(limits.text_violations(texts))
    for name, value, bound in numbers:
        # The sign is the step's own rule (REPLACEMENT_MISMATCH, INVALID_AMOUNT): the size here.
        code = Code.INVALID_AMOUNT if bound is limits.AMOUNT else Code.INVALID_QUANTITY
        # and the size only: what is left to return may be finer than a quantity ordered.
        size = limits.NumberBound(bound.maximum, limits.NUMBER_CHARS_MAX, zero=True)
        _, violation = limits.number_violation(name, abs(value), size, code)
        if violation is not None:
            errors.append(violation)
    if errors:
        raise AcsaError(errors)


def account_of(
    head: AccountHead,
    terms: Terms,
    receipts: Iterable[Tranche],
    invoices: Iterable[Invoice],
    payments: Mapping[str, Sequence[Payment]],
    in_kind: Iterable[InKind],
    lines: Iterable[OrderLine] = (),
    corrections: Mapping[str, Sequence[Correction]] | None = None,
) -> OrderAccount:
    """An account from stored records: ``payments`` and ``corrections`` by invoice number,
    ``in_kind`` in the order recorded."""
    fixes = corrections or {}
    return OrderAccount(
        head=head,
        terms=terms,
        receipts=tuple(receipts),
        invoices=tuple(
            replace(
                i,
                payments=tuple(payments.get(i.number, ())),
                corrections=tuple(fixes.get(i.number, ())),
            )
            for i in invoices
        ),
        in_kind=tuple(in_kind),
        lines=tuple(lines),
    )
