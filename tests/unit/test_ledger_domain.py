"""Books in the pure domain: every entry balances, reversals cancel, positions read right."""

from datetime import UTC, date, datetime
from decimal import Decimal

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from acsa.domain.ledger import (
    Account,
    Balances,
    Entry,
    EntryKind,
    Posting,
    Stamp,
    UnbalancedEntryError,
    conversion_entries,
    in_kind_entries,
    payment_entries,
    position,
    receipt_entries,
)
from acsa.domain.money import Money

STAMP = Stamp(date(2026, 5, 1), datetime(2026, 5, 1, tzinfo=UTC), "clerk", "doc")


def test_an_unbalanced_entry_cannot_exist():
    with pytest.raises(UnbalancedEntryError, match="off by 1 JPY"):
        Entry(
            "JPN",
            "AUS",
            EntryKind.RECEIPT,
            "x",
            STAMP.effective,
            STAMP.at,
            "c",
            (Posting(Account.CASH, Money(Decimal(1), "JPY")),),
        )


def test_a_reversal_cancels_the_entry():
    book = Balances()
    supplier, _ = receipt_entries("JPN", "AUS", Money(Decimal(500), "JPY"), False, STAMP)
    book.post(supplier)
    book.post(supplier.reversed(STAMP.at, "auditor", STAMP.effective, "wrong order"))
    assert all(v == 0 for v in book.balances.values())


def test_positions_read_what_is_owed_each_way():
    book = Balances()
    for entry in receipt_entries("JPN", "AUS", Money(Decimal(900), "JPY"), True, STAMP):
        book.post(entry)
    supplier = position(
        "JPN", "AUS", "JPY", {a: book.balance("JPN", "AUS", a, "JPY") for a in Account}
    )
    requester = position(
        "AUS", "JPN", "JPY", {a: book.balance("AUS", "JPN", a, "JPY") for a in Account}
    )
    assert supplier.awaiting_replacement == requester.awaiting_replacement_by_us == 900
    assert supplier.net == 900
    assert requester.net == -900


amounts = st.decimals(min_value=1, max_value=10**9, places=0).map(lambda d: Money(d, "JPY"))
steps = st.lists(
    st.tuples(st.sampled_from(["receipt_cash", "receipt_kind", "pay", "kind", "convert"]), amounts),
    max_size=30,
)


@settings(max_examples=200, deadline=None)
@given(steps)
def test_any_sequence_of_entries_keeps_both_books_balanced_and_in_agreement(sequence):
    book = Balances()
    makers = {
        "receipt_cash": lambda m: receipt_entries("JPN", "NZL", m, False, STAMP),
        "receipt_kind": lambda m: receipt_entries("JPN", "NZL", m, True, STAMP),
        "pay": lambda m: payment_entries("JPN", "NZL", m, STAMP),
        "kind": lambda m: in_kind_entries("JPN", "NZL", m, EntryKind.REPLACEMENT, STAMP),
        "convert": lambda m: conversion_entries("JPN", "NZL", m, STAMP),
    }
    for name, money in sequence:
        for entry in makers[name](money):
            book.post(entry)
    assert book.is_balanced()
    for mine, theirs in (
        (Account.RECEIVABLE_CASH, Account.PAYABLE_CASH),
        (Account.RECEIVABLE_IN_KIND, Account.PAYABLE_IN_KIND),
    ):
        assert book.balance("JPN", "NZL", mine, "JPY") == -book.balance("NZL", "JPN", theirs, "JPY")
