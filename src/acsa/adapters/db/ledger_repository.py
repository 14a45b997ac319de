"""Repositories for the books and settlement: entries with running balances, invoices,
payments, settlements in kind, counters."""

from __future__ import annotations

import functools
from collections import defaultdict
from collections.abc import Sequence
from dataclasses import replace
from datetime import date, datetime
from typing import Any

from sqlalchemy import Connection, Row, bindparam, exists, func, insert, select

from acsa.adapters.db import tables as t
from acsa.adapters.db.account_records import (
    correction_from_row,
    corrections_query,
    invoice_from_row,
    payment_from_row,
    payment_places,
)
from acsa.adapters.db.ledger_queries import MonthKey, new_month
from acsa.domain.account import Payment
from acsa.domain.ledger import Account, Entry, EntryKind, Posting
from acsa.domain.money import Money, from_minor, to_minor
from acsa.services.ports import InvoiceRef, StoredInvoice, StoredSettlement


def _insert_on(dialect: str, table: Any) -> Any:
    """An INSERT of ``table`` in ``dialect``'s form (for its ON CONFLICT); the dialect's module
    is imported when its first statement is built, not by every command."""
    if dialect == "postgresql":
        from sqlalchemy.dialects import postgresql

        return postgresql.insert(table)
    from sqlalchemy.dialects import sqlite

    return sqlite.insert(table)


@functools.cache
def _upsert_balances(dialect: str) -> Any:
    table = t.ledger_balances
    insert_ = _insert_on(dialect, table)
    return insert_.on_conflict_do_update(
        index_elements=[table.c.book, table.c.partner, table.c.account, table.c.currency],
        set_={"amount_minor": table.c.amount_minor + insert_.excluded.amount_minor},
    )


@functools.cache
def upsert_months(dialect: str) -> Any:
    """Move the period balances (``ledger_months``) by the sums given per key (built once
    per dialect)."""
    table = t.ledger_months
    insert_ = _insert_on(dialect, table)
    return insert_.on_conflict_do_update(
        index_elements=[
            table.c.book,
            table.c.partner,
            table.c.month,
            table.c.account,
            table.c.currency,
        ],
        set_={
            name: table.c[name] + insert_.excluded[name]
            for name in ("amount_minor", "debit_minor", "credit_minor")
        },
    )


def month_rows(months: dict[MonthKey, list[int]]) -> list[dict[str, Any]]:
    """The rows of ``upsert_months`` in key order (so two transactions never wait on each
    other's rows in opposite orders); ``months`` maps a key to [amount, debits, credits]."""
    return [
        {
            "book": b,
            "partner": pt,
            "month": m,
            "account": a,
            "currency": c,
            "amount_minor": amount,
            "debit_minor": debit,
            "credit_minor": credit,
        }
        for (b, pt, m, a, c), (amount, debit, credit) in sorted(months.items())
    ]


_INSERT_ENTRY = insert(t.ledger_entries)
_INSERT_POSTINGS = insert(t.ledger_postings)


class LedgerRepository:
    """Entries are appended, never changed; each append moves the running balances in the
    same transaction, so they always equal a recompute from postings."""

    def __init__(self, conn: Connection) -> None:
        self.conn = conn
        #: Ids of the entries this transaction wrote; the audit record of the change covers them.
        self.written: list[int] = []
        #: How the running balances move, applied by flush_balances() just before the commit:
        #: the balance rows every receipt of a pair shares are then locked only while it commits.
        self.moves: dict[tuple[str, str, str, str], int] = defaultdict(int)
        #: How the period balances move: [amount, debits, credits] per month key, likewise.
        self.months: dict[MonthKey, list[int]] = defaultdict(new_month)

    def add(self, entries: Sequence[Entry]) -> list[Entry]:
        stored: list[Entry] = []
        postings: list[dict[str, Any]] = []
        moves, months = self.moves, self.months
        for entry in entries:
            month = entry.effective.replace(day=1)
            entry_id = self._insert_entry(entry)
            self.written.append(entry_id)
            stored.append(_with_id(entry, entry_id))
            for seq, p in enumerate(entry.postings, start=1):
                minor = to_minor(p.amount.amount, p.amount.currency)
                postings.append(
                    {
                        "entry_id": entry_id,
                        "seq": seq,
                        "book": entry.book,
                        "partner": entry.partner,
                        "effective": entry.effective,
                        "account": p.account.value,
                        "currency": p.amount.currency,
                        "amount_minor": minor,
                    }
                )
                moves[(entry.book, entry.partner, p.account.value, p.amount.currency)] += minor
                sums = months[
                    (entry.book, entry.partner, month, p.account.value, p.amount.currency)
                ]
                sums[0] += minor
                sums[1 if minor > 0 else 2] += abs(minor)
        if postings:
            self.conn.execute(_INSERT_POSTINGS, postings)
        return stored

    def flush_balances(self) -> None:
        """Move the running balances, then the period balances, by what this transaction
        posted (each in key order, so two transactions never wait on each other's rows in
        opposite orders)."""
        moves, self.moves = self.moves, defaultdict(int)
        months, self.months = self.months, defaultdict(new_month)
        if moves:
            self.conn.execute(
                _upsert_balances(self.conn.dialect.name),
                [
                    {"book": b, "partner": pt, "account": a, "currency": c, "amount_minor": m}
                    for (b, pt, a, c), m in sorted(moves.items())
                ],
            )
        if months:
            self.conn.execute(upsert_months(self.conn.dialect.name), month_rows(months))

    def _insert_entry(self, entry: Entry) -> int:
        result = self.conn.execute(
            _INSERT_ENTRY,
            {
                "book": entry.book,
                "partner": entry.partner,
                "order_id": entry.order_id,
                "kind": entry.kind.value,
                "document": entry.document,
                "effective": entry.effective,
                "at": entry.at,
                "actor": entry.actor,
                "memo": entry.memo,
                "reverses": entry.reverses,
            },
        )
        key = result.inserted_primary_key
        assert key is not None
        return int(key[0])

    def running_balances(
        self, book: str | None = None, partner: str | None = None
    ) -> list[tuple[str, str, Account, Money]]:
        """(book, partner, account, balance) from the running balances."""
        query = select(t.ledger_balances)
        if book:
            query = query.where(t.ledger_balances.c.book == book)
        if partner:
            query = query.where(t.ledger_balances.c.partner == partner)
        return [
            (
                r.book,
                r.partner,
                Account(r.account),
                Money(from_minor(r.amount_minor, r.currency), r.currency),
            )
            for r in self.conn.execute(query)
        ]

    def standing_entries(
        self, order_id: int, kind: str, document: str, at: datetime, actor: str
    ) -> dict[str, int]:
        """Per book, the id of the first entry of ``order_id`` of ``kind`` on ``document``
        recorded ``at`` by ``actor`` that nothing has reversed yet."""
        e = t.ledger_entries
        later = e.alias("reversal")
        rows = self.conn.execute(
            select(e.c.book, e.c.id)
            .where(
                e.c.order_id == order_id,
                e.c.kind == kind,
                e.c.document == document,
                e.c.at == at,
                e.c.actor == actor,
                ~exists().where(later.c.order_id == order_id, later.c.reverses == e.c.id),
            )
            .order_by(e.c.id)
        ).all()
        found: dict[str, int] = {}
        for row in rows:
            found.setdefault(row.book, int(row.id))
        return found

    def balances_from_postings(
        self, book: str | None = None, partner: str | None = None, as_of: date | None = None
    ) -> list[tuple[str, str, Account, Money]]:
        """The same figures recomputed from postings, as of the end of ``as_of``."""
        p = t.ledger_postings
        query = select(
            p.c.book, p.c.partner, p.c.account, p.c.currency, func.sum(p.c.amount_minor)
        ).group_by(p.c.book, p.c.partner, p.c.account, p.c.currency)
        if book:
            query = query.where(p.c.book == book)
        if partner:
            query = query.where(p.c.partner == partner)
        if as_of:
            query = query.where(p.c.effective <= as_of)
        return [
            (b, pt, Account(a), Money(from_minor(int(m), c), c))
            for b, pt, a, c, m in self.conn.execute(query)
        ]

    def entries(
        self,
        book: str,
        partner: str | None = None,
        start: date | None = None,
        end: date | None = None,
        order_id: int | None = None,
        kind: EntryKind | None = None,
    ) -> list[Entry]:
        """Entries of a book, oldest first, with their postings."""
        e = t.ledger_entries
        query = select(e).where(e.c.book == book).order_by(e.c.effective, e.c.id)
        if partner:
            query = query.where(e.c.partner == partner)
        if start:
            query = query.where(e.c.effective >= start)
        if end:
            query = query.where(e.c.effective <= end)
        if order_id is not None:
            query = query.where(e.c.order_id == order_id)
        if kind is not None:
            query = query.where(e.c.kind == kind.value)
        heads = self.conn.execute(query).all()
        if not heads:
            return []
        postings: dict[int, list[Posting]] = defaultdict(list)
        ids = [h.id for h in heads]
        for chunk_start in range(0, len(ids), 900):
            chunk = ids[chunk_start : chunk_start + 900]
            rows = self.conn.execute(
                select(t.ledger_postings)
                .where(t.ledger_postings.c.entry_id.in_(chunk))
                .order_by(t.ledger_postings.c.entry_id, t.ledger_postings.c.seq)
            )
            for r in rows:
                postings[r.entry_id].append(
                    Posting(
                        Account(r.account),
                        Money(from_minor(r.amount_minor, r.currency), r.currency),
                    )
                )
        return [_entry_from_row(h, postings[h.id]) for h in heads]


def _with_id(entry: Entry, entry_id: int) -> Entry:
    return Entry(
        book=entry.book,
        partner=entry.partner,
        kind=entry.kind,
        document=entry.document,
        effective=entry.effective,
        at=entry.at,
        actor=entry.actor,
        postings=entry.postings,
        order_id=entry.order_id,
        memo=entry.memo,
        reverses=entry.reverses,
        id=entry_id,
    )


def _entry_from_row(row: Row[Any], postings: list[Posting]) -> Entry:
    return Entry(
        book=row.book,
        partner=row.partner,
        kind=EntryKind(row.kind),
        document=row.document,
        effective=row.effective,
        at=row.at,
        actor=row.actor,
        postings=tuple(postings),
        order_id=row.order_id,
        memo=row.memo,
        reverses=row.reverses,
        id=row.id,
    )


class CounterRepository:
    def __init__(self, conn: Connection) -> None:
        self.conn = conn

    def next(self, name: str) -> int:
        """The next number of the named counter, taken inside the current transaction; one
        statement, so two first numbers of a year cannot race on creating the counter."""
        bump = _bump_counter(self.conn.dialect.name)
        bumped = self.conn.execute(bump, {"name": name}).scalar_one()
        return int(bumped)


@functools.cache
def _bump_counter(dialect: str) -> Any:
    table = t.counters
    insert_ = _insert_on(dialect, table)
    return (
        insert_.values(name=bindparam("name"), value=1)
        .on_conflict_do_update(index_elements=[table.c.name], set_={"value": table.c.value + 1})
        .returning(table.c.value)
    )


class InvoiceRepository:
    def __init__(self, conn: Connection) -> None:
        self.conn = conn

    def locate(self, number: str | None = None, invoice_id: int | None = None) -> InvoiceRef | None:
        """Where the invoice named by number or id is, without its payments: for a service
        that goes on to load the invoice's order and account."""
        if number is not None:
            row = self.conn.execute(_LOCATE_BY_NUMBER, {"number": number}).first()
        else:
            row = self.conn.execute(_LOCATE_BY_ID, {"id": invoice_id}).first()
        return None if row is None else InvoiceRef(*row)

    def locate_payment(self, payment_id: int) -> InvoiceRef | None:
        """The invoice the payment ``payment_id`` was recorded against, or None."""
        row = self.conn.execute(_LOCATE_BY_PAYMENT, {"id": payment_id}).first()
        return None if row is None else InvoiceRef(*row)

    def find(
        self,
        number: str | None = None,
        invoice_id: int | None = None,
        order_id: int | None = None,
        party: str | None = None,
    ) -> list[StoredInvoice]:
        """Invoices by id, each with its payments."""
        i, p = t.invoices, t.payments
        query = select(i).order_by(i.c.id)
        if number is not None:
            query = query.where(i.c.number == number)
        if invoice_id is not None:
            query = query.where(i.c.id == invoice_id)
        if order_id is not None:
            query = query.where(i.c.order_id == order_id)
        if party is not None:
            query = query.where((i.c.issuer == party) | (i.c.debtor == party))
        rows = self.conn.execute(query).all()
        if not rows:
            return []
        payments: dict[int, list[Payment]] = defaultdict(list)
        numbers = {r.id: r.number for r in rows}
        paid = select(p).where(p.c.invoice_id.in_(list(numbers))).order_by(p.c.id)
        for row in self.conn.execute(paid):
            payments[row.invoice_id].append(payment_from_row(row, numbers[row.invoice_id]))
        places = payment_places({str(k): v for k, v in payments.items()})
        fixes: dict[int, list[Any]] = defaultdict(list)
        for row in self.conn.execute(corrections_query(i.c.id.in_(list(numbers)))):
            fixes[row.invoice_id].append(correction_from_row(row, places))
        return [
            StoredInvoice(
                invoice=replace(
                    invoice_from_row(r, payments[r.id]), corrections=tuple(fixes[r.id])
                ),
                order_id=r.order_id,
                issuer=r.issuer,
                debtor=r.debtor,
                currency=r.currency,
            )
            for r in rows
        ]


_LOCATE = select(t.invoices.c.id, t.invoices.c.number, t.invoices.c.order_id, t.invoices.c.currency)
_LOCATE_BY_NUMBER = _LOCATE.where(t.invoices.c.number == bindparam("number"))
_LOCATE_BY_ID = _LOCATE.where(t.invoices.c.id == bindparam("id"))
_LOCATE_BY_PAYMENT = _LOCATE.join(t.payments, t.payments.c.invoice_id == t.invoices.c.id).where(
    t.payments.c.id == bindparam("id")
)


class SettlementRepository:
    def __init__(self, conn: Connection) -> None:
        self.conn = conn

    def of_order(self, order_id: int) -> list[StoredSettlement]:
        rows = self.conn.execute(
            select(t.settlements)
            .where(t.settlements.c.order_id == order_id)
            .order_by(t.settlements.c.id)
        )
        return [
            StoredSettlement(
                id=r.id,
                order_id=r.order_id,
                kind=r.kind,
                value=from_minor(r.value_minor, r.currency),
                currency=r.currency,
                effective=r.effective,
                agreed_by=r.agreed_by,
                note=r.note,
                at=r.at,
                actor=r.actor,
                lines=tuple(r.lines or ()),
            )
            for r in rows
        ]
