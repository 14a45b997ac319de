"""Bulk writes for imported history: many orders with their events, postings, invoices,
payments and settlements, inside the caller's one transaction.

Rows are kept as tuples and written with one ``executemany`` per table when enough have
gathered (and at the end), tables in foreign key order. Ids are taken before the rows are
written, so rows can name each other without reading anything back: on SQLite from the
highest id stored (the transaction holds the write lock from its ``BEGIN IMMEDIATE``), on
PostgreSQL from the table's sequence. Running balances and period balances (per month) move
once per key at the end.

On SQLite the statements are the Core tables' inserts compiled once, run on the driver's
cursor with values already in the form SQLAlchemy would have bound (dates, UTC datetimes and
JSON through the columns' own bind processors): what is stored is what the repositories store.
On PostgreSQL the same Core inserts run through SQLAlchemy.
"""

from __future__ import annotations

import sqlite3
import uuid
from collections import defaultdict
from collections.abc import Callable, Sequence
from datetime import datetime
from decimal import Decimal
from typing import Any

from sqlalchemy import Column, Connection, Table, bindparam, func, insert, select, text
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.engine import Dialect

from acsa.adapters.db import tables as t
from acsa.adapters.db.ledger_queries import MonthKey, new_month
from acsa.adapters.db.ledger_repository import month_rows, upsert_months
from acsa.domain.ledger import Account, Entry, EntryKind
from acsa.domain.money import minor_units
from acsa.domain.order import Action, Order, OrderStatus
from acsa.domain.order_search import order_words, search_text

#: Rows gathered before they are written (all tables together).
FLUSH_ROWS = 50_000
#: Ids taken from a PostgreSQL sequence at a time.
ID_BLOCK = 1_000

#: Tables in the order their rows are written (parents before children). A row is a tuple of
#: the table's columns in the table's order.
TABLES: tuple[Table, ...] = (
    t.orders,
    t.order_lines,
    t.order_events,
    t.invoices,
    t.payments,
    t.settlements,
    t.ledger_entries,
    t.ledger_postings,
)
LAYOUT: tuple[tuple[Table, tuple[str, ...]], ...] = tuple(
    (table, tuple(c.name for c in table.columns)) for table in TABLES
)
WITH_IDS = ("orders", "invoices", "payments", "settlements", "ledger_entries")

BalanceKey = tuple[str, str, str, str]


def _upsert(dialect: str, table: Table, keys: Sequence[Column[Any]], set_: Any) -> Any:
    insert_ = postgresql.insert(table) if dialect == "postgresql" else sqlite.insert(table)
    return insert_.on_conflict_do_update(index_elements=list(keys), set_=set_(insert_))


def _balances_upsert(dialect: str) -> Any:
    b = t.ledger_balances
    return _upsert(
        dialect,
        b,
        [b.c.book, b.c.partner, b.c.account, b.c.currency],
        lambda ins: {"amount_minor": b.c.amount_minor + ins.excluded.amount_minor},
    )


def _counters_upsert(dialect: str) -> Any:
    c = t.counters
    return _upsert(dialect, c, [c.c.name], lambda ins: {"value": ins.excluded.value})


_COUNTER = select(t.counters.c.value).where(t.counters.c.name == bindparam("name"))


class _Ids:
    """Ids for new rows of one table: after the highest stored (SQLite, under the write lock)
    or from the table's sequence (PostgreSQL, safe beside other writers)."""

    def __init__(self, conn: Connection, table: Table) -> None:
        self.conn = conn
        self.table = table
        self.pool: list[int] = []
        self.next_id = 0
        self.sqlite = conn.dialect.name == "sqlite"
        if self.sqlite:
            highest = conn.execute(select(func.max(table.c.id))).scalar()
            self.next_id = int(highest or 0) + 1

    def take(self) -> int:
        if self.sqlite:
            taken = self.next_id
            self.next_id += 1
            return taken
        if not self.pool:
            self.pool = list(
                self.conn.execute(
                    text(
                        "SELECT nextval(pg_get_serial_sequence(:table, 'id')) "
                        "FROM generate_series(1, :n)"
                    ),
                    {"table": self.table.name, "n": ID_BLOCK},
                ).scalars()
            )
            self.pool.reverse()
        return self.pool.pop()


def _positional(table: Table, names: tuple[str, ...]) -> str:
    """The table's Core insert compiled once for SQLite, its parameters in ``names`` order."""
    compiled = insert(table).compile(dialect=sqlite.dialect(), column_keys=list(names))
    assert compiled.positiontup == list(names), f"{table.name}: parameters out of order"
    return str(compiled)


def _processor(column: Column[Any], dialect: Dialect) -> Callable[[Any], Any] | None:
    """The bind processor Core applies to ``column`` on ``dialect`` (the dialect's own type)."""
    return column.type.dialect_impl(dialect).bind_processor(dialect)


def _driver_form(value: Any) -> Any:
    """What the sqlite3 driver would make of ``value`` (its registered adapter), so the
    adaptation is done once per distinct value rather than once per row."""
    adapt = sqlite3.adapters.get((type(value), sqlite3.PrepareProtocol))
    return value if adapt is None else adapt(value)


def _memo(process: Callable[[Any], Any] | None) -> Callable[[Any], Any]:
    """A column's bind processor followed by the driver's adapter, remembering its results
    (dates and moments repeat a lot)."""
    seen: dict[Any, Any] = {}

    def convert(value: Any) -> Any:
        found = seen.get(value)
        if found is None:
            found = _driver_form(value if process is None else process(value))
            if len(seen) < 100_000:
                seen[value] = found
        return found

    return convert


class _Scales(dict[str, int]):
    """Minor unit digits per currency, looked up once each."""

    def __missing__(self, currency: str) -> int:
        self[currency] = digits = minor_units(currency)
        return digits


SCALES = _Scales()
#: The stored text of every enum member acsa writes (a dict lookup is cheaper than ``.value``).
NAMES: dict[Any, str] = {
    m: m.value for kind in (Account, Action, EntryKind, OrderStatus) for m in kind
}


def minor(amount: Decimal, currency: str) -> int:
    """``to_minor`` for amounts already quantized to the currency (prices as checked by
    ``validate_lines``, and every ``Money``): exact, without checking again."""
    return int(amount.scaleb(SCALES[currency]))


class HistoryWriter:
    """Gathers the rows of imported orders and writes them in bulk on ``conn``."""

    def __init__(self, conn: Connection, flush_rows: int | None = None) -> None:
        self.conn = conn
        self.flush_rows = flush_rows or FLUSH_ROWS
        self.sqlite = conn.dialect.name == "sqlite"
        self.rows: dict[str, list[tuple[Any, ...]]] = {table.name: [] for table, _ in LAYOUT}
        self.pending = 0
        self.written: dict[str, int] = dict.fromkeys(self.rows, 0)
        self.moves: dict[BalanceKey, int] = defaultdict(int)
        self.months: dict[MonthKey, list[int]] = defaultdict(new_month)
        #: The first day of each effective day's month, worked out once per day.
        self.month_of: dict[Any, Any] = {}
        self.counters: dict[str, int] = {}
        self.changed_counters: set[str] = set()
        self.ids = {name: _Ids(conn, getattr(t, name)) for name in WITH_IDS}
        #: Ids of the ledger entries written, for the audit record of the import.
        self.entry_ids: list[int] = []
        #: Ids of the orders written, whose rows the audit record of the import covers.
        self.order_ids: list[int] = []
        dialect = conn.dialect
        if self.sqlite:
            self.day = _memo(_processor(t.orders.c.order_date, dialect))
            self.moment = _memo(_processor(t.orders.c.created_at, dialect))
            json_ = _processor(t.order_events.c.details, dialect)
            assert json_ is not None, "SQLite keeps JSON as text"
            empty = json_({})
            self.json: Callable[[Any], Any] = lambda value: (
                empty if type(value) is dict and not value else json_(value)
            )
            self.statements = {table.name: _positional(table, names) for table, names in LAYOUT}
        else:
            self.day = self.moment = self.json = lambda value: value

    # --- what is stored already ---------------------------------------------------------------

    def stored_references(self) -> set[tuple[str, str]]:
        """(agreement, partner reference) of every stored order that has a reference."""
        o = t.orders
        query = select(o.c.agreement_id, o.c.partner_reference).where(
            o.c.partner_reference.is_not(None)
        )
        return {(a, r) for a, r in self.conn.execute(query)}

    def taken_numbers(self, numbers: Sequence[str]) -> set[str]:
        """Those of ``numbers`` that stored invoices already carry."""
        taken: set[str] = set()
        for start in range(0, len(numbers), 900):
            chunk = numbers[start : start + 900]
            query = select(t.invoices.c.number).where(t.invoices.c.number.in_(chunk))
            taken.update(self.conn.execute(query).scalars())
        return taken

    def counter(self, name: str) -> int:
        """The named counter's value, as stored when first asked, then as moved here."""
        if name not in self.counters:
            query = _COUNTER if self.sqlite else _COUNTER.with_for_update()
            self.counters[name] = int(self.conn.execute(query, {"name": name}).scalar() or 0)
        return self.counters[name]

    def set_counter(self, name: str, value: int) -> None:
        self.counter(name)
        self.counters[name] = value
        self.changed_counters.add(name)

    def take_id(self, table: str) -> int:
        return self.ids[table].take()

    # --- rows ---------------------------------------------------------------------------------

    def _add(self, table: str, row: tuple[Any, ...]) -> None:
        self.rows[table].append(row)
        self.pending += 1

    def add_order(self, order: Order, created_at: datetime, updated_at: datetime) -> None:
        """The order, its lines and its new events (its id and version already set)."""
        order_id = order.id
        assert order_id is not None
        self.order_ids.append(order_id)
        day, moment, json, rows, names = self.day, self.moment, self.json, self.rows, NAMES
        rows["orders"].append(
            (
                order_id,
                order.agreement_id,
                order.requester,
                order.supplier,
                order.activity,
                order.settlement,
                day(order.order_date),
                day(order.needed_by),
                order.location,
                names[order.status],
                order.currency,
                order.version,
                order.operation,
                order.requester_unit,
                order.supplier_unit,
                order.fund_citation,
                order.partner_reference,
                order.remarks,
                moment(created_at),
                moment(updated_at),
                order.uid or str(uuid.uuid4()),
                json(order.attestations.to_json()) if not order.attestations.empty else None,
                search_text(order_words(order)),
                order.total.minor,
                # The history file names no implementing arrangement.
                order.arrangement,
                None,
            )
        )
        rows["order_lines"].extend(
            [
                (
                    order_id,
                    line.number,
                    line.category,
                    line.description,
                    line.nsn,
                    line.unit,
                    str(line.quantity),
                    minor(line.unit_price, line.currency),
                    line.currency,
                    None if line.quantity_accepted is None else str(line.quantity_accepted),
                    str(line.quantity_delivered),
                    str(line.quantity_received),
                    str(line.quantity_short),
                )
                for line in order.lines
            ]
        )
        events = order.new_events
        rows["order_events"].extend(
            [
                (
                    order_id,
                    e.seq,
                    names[e.action],
                    moment(e.at),
                    e.actor,
                    names[e.from_status] if e.from_status else None,
                    names[e.to_status],
                    json(e.details),
                )
                for e in events
            ]
        )
        self.pending += 1 + len(order.lines) + len(events)
        if self.pending >= self.flush_rows:
            self.flush()

    def add_entries(self, entries: Sequence[Entry]) -> None:
        """Entries with their postings; the running balances move at the end."""
        day, moment, moves, months = self.day, self.moment, self.moves, self.months
        month_of = self.month_of
        take, names, scales = self.ids["ledger_entries"].take, NAMES, SCALES
        entry_rows, posting_rows = self.rows["ledger_entries"], self.rows["ledger_postings"]
        added = 0
        for entry in entries:
            entry_id = take()
            self.entry_ids.append(entry_id)
            effective = day(entry.effective)
            book, partner = entry.book, entry.partner
            month = month_of.get(entry.effective)
            if month is None:
                month = month_of[entry.effective] = entry.effective.replace(day=1)
            entry_rows.append(
                (
                    entry_id,
                    book,
                    partner,
                    entry.order_id,
                    names[entry.kind],
                    entry.document,
                    effective,
                    moment(entry.at),
                    entry.actor,
                    entry.memo,
                    entry.reverses,
                )
            )
            for seq, p in enumerate(entry.postings, start=1):
                amount = p.amount
                currency = amount.currency
                units = int(amount.amount.scaleb(scales[currency]))
                account = names[p.account]
                posting_rows.append(
                    (entry_id, seq, book, partner, effective, account, currency, units)
                )
                moves[(book, partner, account, currency)] += units
                sums = months[(book, partner, month, account, currency)]
                sums[0] += units
                if units > 0:
                    sums[1] += units
                else:
                    sums[2] -= units
            added += 1 + len(entry.postings)
        self.pending += added
        if self.pending >= self.flush_rows:
            self.flush()

    def add_invoice(self, invoice_id: int, values: dict[str, Any]) -> None:
        """An invoice (the columns as ``InvoiceRepository.add`` takes them) under an id taken
        with ``take_id``."""
        self._add(
            "invoices",
            (
                invoice_id,
                values["number"],
                values["order_id"],
                values["issuer"],
                values["debtor"],
                values["kind"],
                values["currency"],
                values["amount_minor"],
                self.day(values["issued"]),
                self.day(values["due"]),
                self.moment(values["at"]),
                values["actor"],
            ),
        )

    def add_payment(self, values: dict[str, Any]) -> int:
        payment_id = self.take_id("payments")
        self._add(
            "payments",
            (
                payment_id,
                values["invoice_id"],
                values["currency"],
                values["amount_minor"],
                self.day(values["paid"]),
                values["reference"],
                self.moment(values["at"]),
                values["actor"],
            ),
        )
        return payment_id

    def add_settlement(self, settlement_id: int, values: dict[str, Any]) -> None:
        """A settlement in kind or a conversion, under an id taken with ``take_id``."""
        self._add(
            "settlements",
            (
                settlement_id,
                values["order_id"],
                values["kind"],
                values["currency"],
                values["value_minor"],
                self.day(values["effective"]),
                self.json(values["lines"]),
                values["agreed_by"],
                values["note"],
                self.moment(values["at"]),
                values["actor"],
            ),
        )

    # --- writing ------------------------------------------------------------------------------

    def flush(self) -> None:
        """Write what has gathered: one executemany per table, parents first."""
        for table, names in LAYOUT:
            rows = self.rows[table.name]
            if not rows:
                continue
            if self.sqlite:
                self.conn.exec_driver_sql(self.statements[table.name], rows)
            else:
                self.conn.execute(insert(table), [dict(zip(names, r, strict=True)) for r in rows])
            self.written[table.name] += len(rows)
            self.rows[table.name] = []
        self.pending = 0

    def finish(self) -> dict[str, int]:
        """Write the rest, move the running balances, period balances and counters; rows written
        per table."""
        self.flush()
        dialect = self.conn.dialect.name
        if self.moves:
            self.conn.execute(
                _balances_upsert(dialect),
                [
                    {"book": b, "partner": p, "account": a, "currency": c, "amount_minor": m}
                    for (b, p, a, c), m in sorted(self.moves.items())
                ],
            )
            self.written["ledger_balances"] = len(self.moves)
            self.moves.clear()
        if self.months:
            self.conn.execute(upsert_months(dialect), month_rows(self.months))
            self.written["ledger_months"] = len(self.months)
            self.months.clear()
        if self.changed_counters:
            self.conn.execute(
                _counters_upsert(dialect),
                [{"name": n, "value": self.counters[n]} for n in sorted(self.changed_counters)],
            )
            self.written["counters"] = len(self.changed_counters)
            self.changed_counters.clear()
        return dict(self.written)
