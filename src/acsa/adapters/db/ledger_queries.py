"""Read-side queries for the ledger views: statements, aging, overdue debts and exceptions.

Each query is one statement over the whole scope asked for (never one per order or per entry),
so a report over a large database costs a few index scans, not a round trip per row.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Sequence
from datetime import date
from typing import Any

from sqlalchemy import (
    ColumnElement,
    Connection,
    Row,
    Select,
    and_,
    case,
    exists,
    func,
    or_,
    select,
)

from acsa.adapters.db import tables as t
from acsa.domain.ledger import Account, EntryKind
from acsa.domain.order import OPEN_WITH_RECEIPTS, Action, OrderStatus

#: What one nation and a partner owe each other: the accounts a statement of account moves.
DEBT_ACCOUNTS = (
    Account.RECEIVABLE_CASH.value,
    Account.RECEIVABLE_IN_KIND.value,
    Account.PAYABLE_CASH.value,
    Account.PAYABLE_IN_KIND.value,
)
RECEIVABLES = (Account.RECEIVABLE_CASH.value, Account.RECEIVABLE_IN_KIND.value)

#: States in which an order may have received something and still owe (as text, for SQL).
STATES_WITH_RECEIPTS = tuple(sorted(status.value for status in OPEN_WITH_RECEIPTS))
#: States in which an order form has left the requester: its fields and signatures count.
PLACED_STATES = (
    OrderStatus.SUBMITTED.value,
    OrderStatus.ACCEPTED.value,
    *STATES_WITH_RECEIPTS,
    OrderStatus.CLOSED.value,
)
#: States that need the supplier's acceptance signature.
ACCEPTED_STATES = PLACED_STATES[1:]

_CHUNK = 900

#: (book, partner, month, account, currency): the key of a period balance (``ledger_months``).
MonthKey = tuple[str, str, date, str, str]


def new_month() -> list[int]:
    """[sum, debits, credits] of a period balance before anything moved it."""
    return [0, 0, 0]


def _blank(column: Any) -> Any:
    return or_(column.is_(None), func.trim(column) == "")


def receipts_query(orders: ColumnElement[bool]) -> Select[Any]:
    """(order_id, effective, document, at, amount_minor) of every receipt of the ``orders``
    (a condition on ``ledger_entries.order_id``), from the supplier's book (the receivable it
    debited), in order of order, day and entry."""
    e, p = t.ledger_entries, t.ledger_postings
    reversal = e.alias("reversal")
    return (
        select(e.c.order_id, e.c.effective, e.c.document, e.c.at, p.c.amount_minor)
        .join_from(e, p, p.c.entry_id == e.c.id)
        .where(
            orders,
            e.c.kind == EntryKind.RECEIPT.value,
            p.c.account.in_(RECEIVABLES),
            # A receipt taken back (a fork's roll-back) was never received.
            ~exists().where(reversal.c.reverses == e.c.id),
        )
        .order_by(e.c.order_id, e.c.effective, e.c.id)
    )


class LedgerQueries:
    """Queries over postings, invoices, settlements and orders for one open transaction."""

    def __init__(self, conn: Connection) -> None:
        self.conn = conn

    def _all(self, query: Any) -> list[Row[Any]]:
        """Every row of ``query`` (typed loosely: the views read rows by column name)."""
        return list(self.conn.execute(query).all())

    # --- statements ---------------------------------------------------------------------

    def debt_sums(
        self,
        book: str,
        partner: str,
        currency: str | None,
        after: date | None = None,
        before: date | None = None,
        through: tuple[date, int] | None = None,
    ) -> dict[str, tuple[int, int, int]]:
        """(sum, debits, credits) of the debt accounts' postings per currency, with ``after <=
        effective < before`` (either bound may be open; read through the (book, partner,
        effective) index), or on the day of ``through`` = (day, entry) up to that entry."""
        p = t.ledger_postings
        amount = p.c.amount_minor
        query = (
            select(
                p.c.currency,
                func.sum(amount),
                func.sum(case((amount > 0, amount), else_=0)),
                func.sum(case((amount < 0, -amount), else_=0)),
            )
            .where(p.c.book == book, p.c.partner == partner, p.c.account.in_(DEBT_ACCOUNTS))
            .group_by(p.c.currency)
        )
        if after is not None:
            query = query.where(p.c.effective >= after)
        if before is not None:
            query = query.where(p.c.effective < before)
        if through is not None:
            query = query.where(p.c.effective == through[0], p.c.entry_id <= through[1])
        if currency is not None:
            query = query.where(p.c.currency == currency)
        return _sums_by_currency(self.conn.execute(query))

    def debt_months(
        self,
        book: str,
        partner: str,
        currency: str | None,
        first: date | None,
        before: date,
    ) -> dict[str, tuple[int, int, int]]:
        """(sum, debits, credits) of the debt accounts per currency from the period balances
        of the months from ``first`` (open: from the beginning) to before ``before`` (both
        first days of a month)."""
        m = t.ledger_months
        query = (
            select(
                m.c.currency,
                func.sum(m.c.amount_minor),
                func.sum(m.c.debit_minor),
                func.sum(m.c.credit_minor),
            )
            .where(
                m.c.book == book,
                m.c.partner == partner,
                m.c.month < before,
                m.c.account.in_(DEBT_ACCOUNTS),
            )
            .group_by(m.c.currency)
        )
        if first is not None:
            query = query.where(m.c.month >= first)
        if currency is not None:
            query = query.where(m.c.currency == currency)
        return _sums_by_currency(self.conn.execute(query))

    def statement_entries(
        self,
        book: str,
        partner: str,
        start: date,
        end: date,
        currency: str | None,
        after: tuple[date, int] | None,
        limit: int,
    ) -> list[Row[Any]]:
        """(id, effective) of up to ``limit`` entries of the period that move a debt account
        (in ``currency``), in (effective, id) order after the cursor ``after``: a page of a
        statement, read through the entries' (book, partner, effective) index."""
        e, p = t.ledger_entries, t.ledger_postings
        moves = exists().where(p.c.entry_id == e.c.id, p.c.account.in_(DEBT_ACCOUNTS))
        if currency is not None:
            moves = moves.where(p.c.currency == currency)
        query = (
            select(e.c.id, e.c.effective)
            .where(
                e.c.book == book,
                e.c.partner == partner,
                e.c.effective >= start,
                e.c.effective <= end,
                moves,
            )
            .order_by(e.c.effective, e.c.id)
            .limit(limit)
        )
        if after is not None:
            day, entry = after
            query = query.where(e.c.effective >= day, or_(e.c.effective > day, e.c.id > entry))
        return self._all(query)

    def entry_movements(self, ids: Sequence[int], currency: str | None) -> list[Row[Any]]:
        """The debt postings of the entries ``ids`` with their entry, in (effective, entry)
        order, as ``debt_movements`` gives them."""
        p = t.ledger_postings
        query = (
            _debt_lines()
            .where(p.c.entry_id.in_(list(ids)), p.c.account.in_(DEBT_ACCOUNTS))
            .order_by(p.c.effective, p.c.entry_id)
        )
        if currency is not None:
            query = query.where(p.c.currency == currency)
        return self._all(query)

    def debt_movements(
        self,
        book: str,
        partner: str,
        start: date,
        end: date,
        currency: str | None,
        after: tuple[date, int] | None = None,
    ) -> list[Row[Any]]:
        """Postings on the debt accounts in the period, with their entry, oldest first:
        (entry_id, effective, currency, amount_minor, kind, order_id, document, memo)."""
        p = t.ledger_postings
        query = (
            _debt_lines()
            .where(
                p.c.book == book,
                p.c.partner == partner,
                p.c.effective >= start,
                p.c.effective <= end,
                p.c.account.in_(DEBT_ACCOUNTS),
            )
            # Not by seq: an entry's postings become one line, whatever their order, and
            # an index on (book, partner, effective, ..., entry_id) can then cover the scan.
            .order_by(p.c.effective, p.c.entry_id)
        )
        if currency is not None:
            query = query.where(p.c.currency == currency)
        if after is not None:
            day, entry = after
            query = query.where(
                p.c.effective >= day, or_(p.c.effective > day, p.c.entry_id > entry)
            )
        return self._all(query)

    # --- the check of the books ----------------------------------------------------------

    def period_balances(self, book: str | None = None) -> dict[MonthKey, tuple[int, int, int]]:
        """(amount, debits, credits) in minor units per (book, partner, month, account,
        currency), as kept in ``ledger_months`` (rows of all zeros left out)."""
        m = t.ledger_months
        query = select(
            m.c.book,
            m.c.partner,
            m.c.month,
            m.c.account,
            m.c.currency,
            m.c.amount_minor,
            m.c.debit_minor,
            m.c.credit_minor,
        )
        if book:
            query = query.where(m.c.book == book)
        return {
            (b, pt, mo, a, c): (int(x), int(d), int(cr))
            for b, pt, mo, a, c, x, d, cr in self.conn.execute(query)
            if x or d or cr
        }

    def period_balances_from_postings(
        self, book: str | None = None
    ) -> dict[MonthKey, tuple[int, int, int]]:
        """The same figures recomputed from postings (summed per day, then per month)."""
        p = t.ledger_postings
        amount = p.c.amount_minor
        debit = func.sum(case((amount > 0, amount), else_=0))
        credit = func.sum(case((amount < 0, -amount), else_=0))
        query = select(
            p.c.book,
            p.c.partner,
            p.c.effective,
            p.c.account,
            p.c.currency,
            func.sum(amount),
            debit,
            credit,
        ).group_by(p.c.book, p.c.partner, p.c.effective, p.c.account, p.c.currency)
        if book:
            query = query.where(p.c.book == book)
        found: dict[MonthKey, list[int]] = defaultdict(new_month)
        for b, pt, day, a, c, x, d, cr in self.conn.execute(query):
            sums = found[(b, pt, day.replace(day=1), a, c)]
            sums[0] += int(x)
            sums[1] += int(d)
            sums[2] += int(cr)
        return {key: (x, d, cr) for key, (x, d, cr) in found.items() if x or d or cr}

    # --- what orders owe ----------------------------------------------------------------

    @staticmethod
    def order_scope(
        nation: str | None, partner: str | None, states: Sequence[str]
    ) -> Select[tuple[int]]:
        """Ids of orders in ``states`` between ``nation`` and ``partner`` (either side)."""
        o = t.orders
        query = select(o.c.id).where(o.c.status.in_(states))
        for party in (nation, partner):
            if party:
                query = query.where(or_(o.c.supplier == party, o.c.requester == party))
        return query

    def order_ids(self, scope: Select[tuple[int]]) -> list[int]:
        """The ids in ``scope``, in order."""
        return [int(row.id) for row in self.conn.execute(scope.order_by(t.orders.c.id))]

    @staticmethod
    def within(scope: Select[tuple[int]], first: int, last: int) -> Select[tuple[int]]:
        """The ids of ``scope`` from ``first`` to ``last`` (inclusive)."""
        o = t.orders
        return scope.where(o.c.id >= first, o.c.id <= last)

    def supplier_postings(self, scope: Select[tuple[int]], kinds: Sequence[str]) -> list[Row[Any]]:
        """(order_id, kind, account, currency, minor): what the supplier's book posted for
        each order in ``scope`` on entries of ``kinds``, summed per account and currency; a
        reversal counts with the kind of the entry it reverses."""
        e, p, o = t.ledger_entries, t.ledger_postings, t.orders
        original = e.alias("reversed_entry")
        kind = func.coalesce(original.c.kind, e.c.kind)
        query = (
            select(
                e.c.order_id,
                kind.label("kind"),
                p.c.account,
                p.c.currency,
                func.sum(p.c.amount_minor).label("minor"),
            )
            .join_from(e, p, p.c.entry_id == e.c.id)
            .join(o, o.c.id == e.c.order_id)
            .outerjoin(original, original.c.id == e.c.reverses)
            .where(e.c.order_id.in_(scope), e.c.book == o.c.supplier, kind.in_(list(kinds)))
            .group_by(e.c.order_id, kind, p.c.account, p.c.currency)
        )
        return self._all(query)

    def order_heads(self, scope: Select[tuple[int]]) -> list[Row[Any]]:
        o = t.orders
        return self._all(
            select(
                o.c.id,
                o.c.supplier,
                o.c.requester,
                o.c.currency,
                o.c.settlement,
                o.c.agreement_id,
                o.c.order_date,
                o.c.status,
            )
            .where(o.c.id.in_(scope))
            .order_by(o.c.id)
        )

    def receipts(self, scope: Select[tuple[int]], as_of: date | None) -> list[Row[Any]]:
        """(order_id, effective, document, at, amount_minor) of every receipt, from the
        supplier's book (the receivable it debited)."""
        query = receipts_query(t.ledger_entries.c.order_id.in_(scope))
        if as_of is not None:
            e = t.ledger_entries
            query = query.where(e.c.effective <= as_of)
        return self._all(query)

    def invoices(self, scope: Select[tuple[int]], as_of: date | None) -> list[Row[Any]]:
        """Invoices issued by ``as_of`` with what was paid on each by then (``paid_minor``)
        and the day of the last payment (``last_paid``)."""
        i, pay = t.invoices, t.payments
        condition = pay.c.invoice_id == i.c.id
        if as_of is not None:
            condition = and_(condition, pay.c.paid <= as_of)
        paid = (
            select(func.coalesce(func.sum(pay.c.amount_minor), 0))
            .where(condition)
            .scalar_subquery()
            .label("paid_minor")
        )
        last_paid = select(func.max(pay.c.paid)).where(condition).scalar_subquery()
        query = (
            select(
                i.c.order_id,
                i.c.number,
                i.c.kind,
                i.c.issuer,
                i.c.debtor,
                i.c.currency,
                i.c.amount_minor,
                i.c.issued,
                i.c.due,
                paid,
                last_paid.label("last_paid"),
            )
            .where(i.c.order_id.in_(scope))
            .order_by(i.c.order_id, i.c.issued, i.c.id)
        )
        if as_of is not None:
            query = query.where(i.c.issued <= as_of)
        return self._all(query)

    def settlements(self, scope: Select[tuple[int]], as_of: date | None) -> list[Row[Any]]:
        """(order_id, kind, effective, value_minor) of replacements, exchanges and
        conversions."""
        s = t.settlements
        query = (
            select(s.c.order_id, s.c.kind, s.c.effective, s.c.value_minor)
            .where(s.c.order_id.in_(scope))
            .order_by(s.c.order_id, s.c.effective, s.c.id)
        )
        if as_of is not None:
            query = query.where(s.c.effective <= as_of)
        return self._all(query)

    # --- the order form -----------------------------------------------------------------

    def orders_missing_fields(
        self, fields: Iterable[str], optional_for_activity: dict[str, str], as_of: date | None
    ) -> list[Row[Any]]:
        """Placed orders with one of ``fields`` blank; a field named in
        ``optional_for_activity`` (field -> activity) is not required for that activity."""
        o = t.orders
        names = list(fields)
        blanks = []
        for name in names:
            condition = _blank(o.c[name])
            if name in optional_for_activity:
                condition = and_(condition, o.c.activity != optional_for_activity[name])
            blanks.append(condition)
        query = (
            select(*_order_head(), *[o.c[name] for name in names])
            .where(o.c.status.in_(PLACED_STATES), or_(*blanks))
            .order_by(o.c.id)
        )
        return self._all(self._dated(query, as_of))

    def orders_missing_signatures(self, as_of: date | None) -> list[Row[Any]]:
        """Placed orders without the requester's signature (a signed create or submit), the
        supplier's acceptance (a signed accept) where it is needed, or with an unsigned
        receipt: (id, requester_signed, supplier_signed, receipts_unsigned)."""
        o, ev = t.orders, t.order_events

        def signed(*actions: Action) -> Any:
            return exists().where(
                ev.c.order_id == o.c.id,
                ev.c.action.in_([a.value for a in actions]),
                func.trim(ev.c.actor) != "",
            )

        accepted_needed = o.c.status.in_(ACCEPTED_STATES)
        unsigned_receipt = exists().where(
            ev.c.order_id == o.c.id,
            ev.c.action == Action.RECEIVE.value,
            func.trim(ev.c.actor) == "",
        )
        requester = signed(Action.SUBMIT)
        supplier = signed(Action.ACCEPT)
        query = (
            select(
                *_order_head(),
                requester.label("requester_signed"),
                supplier.label("supplier_signed"),
                accepted_needed.label("acceptance_needed"),
                unsigned_receipt.label("receipts_unsigned"),
            )
            .where(
                o.c.status.in_(PLACED_STATES),
                or_(~requester, and_(accepted_needed, ~supplier), unsigned_receipt),
            )
            .order_by(o.c.id)
        )
        return self._all(self._dated(query, as_of))

    @staticmethod
    def _dated(query: Select[Any], as_of: date | None) -> Select[Any]:
        if as_of is None:
            return query
        return query.where(t.orders.c.order_date <= as_of)

    def order_lines(self, order_ids: Sequence[int]) -> dict[int, list[Row[Any]]]:
        """(quantity, unit_price_minor, currency) of the lines of the given orders."""
        lines: dict[int, list[Row[Any]]] = {}
        ol = t.order_lines
        for start in range(0, len(order_ids), _CHUNK):
            chunk = order_ids[start : start + _CHUNK]
            for row in self._all(
                select(ol.c.order_id, ol.c.quantity, ol.c.unit_price_minor, ol.c.currency)
                .where(ol.c.order_id.in_(chunk))
                .order_by(ol.c.order_id, ol.c.number)
            ):
                lines.setdefault(row.order_id, []).append(row)
        return lines


def _order_head() -> tuple[Any, ...]:
    o = t.orders
    return (o.c.id, o.c.supplier, o.c.requester, o.c.currency, o.c.order_date, o.c.activity)


def _debt_lines() -> Select[Any]:
    """Debt postings with their entry: (entry_id, effective, currency, amount_minor, kind,
    order_id, document, memo)."""
    p, e = t.ledger_postings, t.ledger_entries
    return select(
        p.c.entry_id,
        p.c.effective,
        p.c.currency,
        p.c.amount_minor,
        e.c.kind,
        e.c.order_id,
        e.c.document,
        e.c.memo,
    ).join_from(p, e, e.c.id == p.c.entry_id)


def _sums_by_currency(rows: Iterable[Sequence[Any]]) -> dict[str, tuple[int, int, int]]:
    """(sum, debits, credits) per currency of ``(currency, sum, debits, credits)`` rows; a
    currency with nothing summed is left out."""
    return {c: (int(x), int(d), int(cr)) for c, x, d, cr in rows if x is not None}
