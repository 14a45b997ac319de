"""Double-entry books: each nation keeps one, with an account per partner and purpose.

An entry is one balanced transaction in one book with one partner: its postings sum to zero
per currency (debits positive, credits negative). Balances come from postings only, and a
correction is a reversing entry, never an edit.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import date, datetime
from decimal import Decimal
from enum import StrEnum

from acsa.domain.memos import reversal_document
from acsa.domain.money import Money


class Account(StrEnum):
    """The accounts of a book, each held per partner and currency."""

    #: The partner owes us money (debit balance).
    RECEIVABLE_CASH = "receivable_cash"
    #: The partner owes us goods or services in return (replacement or equal value).
    RECEIVABLE_IN_KIND = "receivable_in_kind"
    #: We owe the partner money (credit balance).
    PAYABLE_CASH = "payable_cash"
    #: We owe the partner goods or services in return.
    PAYABLE_IN_KIND = "payable_in_kind"
    #: Value of the support we provided (credit balance).
    SUPPORT_PROVIDED = "support_provided"
    #: Value of the support we received (debit balance).
    SUPPORT_RECEIVED = "support_received"
    #: Money paid or received in settlement.
    CASH = "cash"


class EntryKind(StrEnum):
    RECEIPT = "receipt"
    PAYMENT = "payment"
    REPLACEMENT = "replacement"
    EXCHANGE = "exchange"
    CONVERSION = "conversion"
    REVERSAL = "reversal"
    #: A credit note: what an invoice bills, reduced (the receipt's postings, in part, taken
    #: back from both books).
    CREDIT_NOTE = "credit_note"


class UnbalancedEntryError(ValueError):
    """An entry whose postings do not sum to zero in some currency: a defect, never input."""


@dataclass(frozen=True, slots=True)
class Posting:
    """One line of an entry: debit (positive) or credit (negative) of an account."""

    account: Account
    amount: Money


@dataclass(frozen=True, slots=True)
class Entry:
    """A balanced transaction in ``book`` (a nation) with ``partner``.

    Attributes:
        book: the nation whose book this is.
        partner: the other nation of the transaction.
        kind: receipt, payment, replacement, exchange, conversion or reversal.
        document: what the entry stands on (an order's receipt, an invoice, a payment...).
        effective: the day it counts from, for balances, statements and aging.
        at: when it was recorded (UTC); actor: who recorded it.
        postings: debits positive, credits negative; they sum to zero per currency.
        order_id: the order it belongs to, if any; reverses: the entry it cancels, if any.
    """

    book: str
    partner: str
    kind: EntryKind
    document: str
    effective: date
    at: datetime
    actor: str
    postings: tuple[Posting, ...]
    order_id: int | None = None
    memo: str = ""
    reverses: int | None = None
    id: int | None = None

    def __post_init__(self) -> None:
        if not self.postings:
            raise UnbalancedEntryError("an entry needs postings")
        for currency, total in sums_by_currency(self.postings).items():
            if total != 0:
                raise UnbalancedEntryError(f"entry {self.document!r} is off by {total} {currency}")

    def reversed(self, at: datetime, actor: str, effective: date, memo: str) -> Entry:
        """The entry that cancels this one, dated and attributed."""
        return Entry(
            book=self.book,
            partner=self.partner,
            kind=EntryKind.REVERSAL,
            document=reversal_document(self.document),
            effective=effective,
            at=at,
            actor=actor,
            postings=tuple(
                Posting(p.account, Money(-p.amount.amount, p.amount.currency))
                for p in self.postings
            ),
            order_id=self.order_id,
            memo=memo,
            reverses=self.id,
        )


def sums_by_currency(postings: Iterable[Posting]) -> dict[str, Decimal]:
    totals: dict[str, Decimal] = defaultdict(Decimal)
    for posting in postings:
        totals[posting.amount.currency] += posting.amount.amount
    return dict(totals)


def _pair(debit: Account, credit: Account, amount: Money) -> tuple[Posting, ...]:
    return (
        Posting(debit, amount),
        Posting(credit, Money(-amount.amount, amount.currency)),
    )


@dataclass(frozen=True, slots=True)
class Stamp:
    """When, by whom and on what an entry is recorded."""

    effective: date
    at: datetime
    actor: str
    document: str
    order_id: int | None = None
    memo: str = ""


def _entry(book: str, partner: str, kind: EntryKind, stamp: Stamp, *postings: Posting) -> Entry:
    return Entry(
        book=book,
        partner=partner,
        kind=kind,
        document=stamp.document,
        effective=stamp.effective,
        at=stamp.at,
        actor=stamp.actor,
        postings=tuple(postings),
        order_id=stamp.order_id,
        memo=stamp.memo,
    )


def receipt_entries(
    supplier: str, requester: str, value: Money, in_kind: bool, stamp: Stamp
) -> tuple[Entry, Entry]:
    """Support received: the supplier's receivable and the requester's payable, cash or in
    kind as the order is settled."""
    receivable = Account.RECEIVABLE_IN_KIND if in_kind else Account.RECEIVABLE_CASH
    payable = Account.PAYABLE_IN_KIND if in_kind else Account.PAYABLE_CASH
    return (
        _entry(
            supplier,
            requester,
            EntryKind.RECEIPT,
            stamp,
            *_pair(receivable, Account.SUPPORT_PROVIDED, value),
        ),
        _entry(
            requester,
            supplier,
            EntryKind.RECEIPT,
            stamp,
            *_pair(Account.SUPPORT_RECEIVED, payable, value),
        ),
    )


def payment_entries(creditor: str, debtor: str, amount: Money, stamp: Stamp) -> tuple[Entry, Entry]:
    """Cash paid by the debtor to the creditor against a cash debt."""
    return (
        _entry(
            creditor,
            debtor,
            EntryKind.PAYMENT,
            stamp,
            *_pair(Account.CASH, Account.RECEIVABLE_CASH, amount),
        ),
        _entry(
            debtor,
            creditor,
            EntryKind.PAYMENT,
            stamp,
            *_pair(Account.PAYABLE_CASH, Account.CASH, amount),
        ),
    )


def credit_note_entries(
    creditor: str, debtor: str, amount: Money, stamp: Stamp
) -> tuple[Entry, Entry]:
    """A credit note: the creditor takes ``amount`` off the cash debt (its receivable and the
    support it provided), the debtor off its payable and the support it received."""
    return (
        _entry(
            creditor,
            debtor,
            EntryKind.CREDIT_NOTE,
            stamp,
            *_pair(Account.SUPPORT_PROVIDED, Account.RECEIVABLE_CASH, amount),
        ),
        _entry(
            debtor,
            creditor,
            EntryKind.CREDIT_NOTE,
            stamp,
            *_pair(Account.PAYABLE_CASH, Account.SUPPORT_RECEIVED, amount),
        ),
    )


def in_kind_entries(
    creditor: str, debtor: str, value: Money, kind: EntryKind, stamp: Stamp
) -> tuple[Entry, Entry]:
    """Goods or services returned by the debtor: a replacement in kind or an equal value
    exchange, which settles in-kind debt."""
    return (
        _entry(
            creditor,
            debtor,
            kind,
            stamp,
            *_pair(Account.SUPPORT_RECEIVED, Account.RECEIVABLE_IN_KIND, value),
        ),
        _entry(
            debtor,
            creditor,
            kind,
            stamp,
            *_pair(Account.PAYABLE_IN_KIND, Account.SUPPORT_PROVIDED, value),
        ),
    )


def conversion_entries(
    creditor: str, debtor: str, value: Money, stamp: Stamp
) -> tuple[Entry, Entry]:
    """In-kind debt past its deadline becomes a cash debt."""
    return (
        _entry(
            creditor,
            debtor,
            EntryKind.CONVERSION,
            stamp,
            *_pair(Account.RECEIVABLE_CASH, Account.RECEIVABLE_IN_KIND, value),
        ),
        _entry(
            debtor,
            creditor,
            EntryKind.CONVERSION,
            stamp,
            *_pair(Account.PAYABLE_IN_KIND, Account.PAYABLE_CASH, value),
        ),
    )


@dataclass(frozen=True, slots=True)
class Position:
    """Where a nation stands with a partner in one currency, from its own book.

    Amounts are positive when owed: ``owed_to_us`` is cash the partner owes us,
    ``awaiting_replacement`` what it owes us in kind, and the ``_by_us`` pair the reverse.
    """

    nation: str
    partner: str
    currency: str
    owed_to_us: Decimal = Decimal(0)
    owed_by_us: Decimal = Decimal(0)
    awaiting_replacement: Decimal = Decimal(0)
    awaiting_replacement_by_us: Decimal = Decimal(0)
    provided: Decimal = Decimal(0)
    received: Decimal = Decimal(0)

    @property
    def net(self) -> Decimal:
        """What the partner owes us, less what we owe it, cash and in kind together."""
        return (
            self.owed_to_us
            + self.awaiting_replacement
            - self.owed_by_us
            - self.awaiting_replacement_by_us
        )


def position(
    nation: str, partner: str, currency: str, balances: Mapping[Account, Decimal]
) -> Position:
    """A position from account balances (debits positive) of one book, partner and currency."""

    def bal(account: Account) -> Decimal:
        return balances.get(account, Decimal(0))

    return Position(
        nation=nation,
        partner=partner,
        currency=currency,
        owed_to_us=bal(Account.RECEIVABLE_CASH),
        owed_by_us=-bal(Account.PAYABLE_CASH),
        awaiting_replacement=bal(Account.RECEIVABLE_IN_KIND),
        awaiting_replacement_by_us=-bal(Account.PAYABLE_IN_KIND),
        provided=-bal(Account.SUPPORT_PROVIDED),
        received=bal(Account.SUPPORT_RECEIVED),
    )


@dataclass(slots=True)
class Balances:
    """Balances of one or more books, accumulated from entries (for recomputes and tests)."""

    balances: dict[tuple[str, str, Account, str], Decimal] = field(default_factory=dict)

    def post(self, entry: Entry) -> None:
        for p in entry.postings:
            key = (entry.book, entry.partner, p.account, p.amount.currency)
            self.balances[key] = self.balances.get(key, Decimal(0)) + p.amount.amount

    def balance(self, book: str, partner: str, account: Account, currency: str) -> Decimal:
        return self.balances.get((book, partner, account, currency), Decimal(0))

    def is_balanced(self) -> bool:
        """Every book sums to zero per currency over all its accounts and partners."""
        totals: dict[tuple[str, str], Decimal] = defaultdict(Decimal)
        for (book, _partner, _account, currency), amount in self.balances.items():
            totals[(book, currency)] += amount
        return all(total == 0 for total in totals.values())
