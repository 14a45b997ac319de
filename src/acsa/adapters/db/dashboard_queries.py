"""What the dashboard reads, each an indexed query whose cost does not grow with the whole
history: the agreed value of a nation's orders per month and partner over a fiscal year (the
orders of that year only, through ``ix_orders_order_date_id``), the orders waiting in a state
(through the status index), and which orders the audit records after a position touch (through
the records' key), so that what a dashboard keeps is brought up to date order by order."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date
from decimal import Decimal

from sqlalchemy import ColumnElement, Connection, and_, case, exists, func, or_, select

from acsa.adapters.db import tables as t
from acsa.domain.money import Money, from_minor

#: Orders that never became support (as the annual report leaves them out).
EXCLUDED_STATES = ("draft", "rejected", "cancelled")
ZERO = Decimal(0)


def _month(column: ColumnElement[date], dialect: str) -> ColumnElement[str]:
    """``YYYY-MM`` of a date column."""
    if dialect == "postgresql":
        return func.to_char(column, "YYYY-MM")
    return func.substr(column, 1, 7)


# --- what changed since a dashboard was computed ------------------------------------------------


@dataclass(frozen=True, slots=True)
class Changes:
    """The audit records after a position: the newest position, the orders they touch, and
    whether one touches something other than an order (a user, an agreement: then whatever
    was kept is computed afresh)."""

    upto: int
    orders: frozenset[int]
    other: bool


#: Records of signing in and out (they change no business data).
SESSION_ACTIONS = "session.%"


def newest_record(conn: Connection) -> int:
    """The position of the newest audit record (0 for none)."""
    return int(conn.execute(select(func.max(t.audit_log.c.seq))).scalar() or 0)


def changes_after(conn: Connection, after: int, upto: int, limit: int) -> Changes | None:
    """What the records after ``after`` up to ``upto`` touch; None if more than ``limit``
    records (computing afresh is then as cheap). Indexed: the records' primary key."""
    a = t.audit_log
    query = (
        select(a.c.order_id)
        .where(a.c.seq > after, a.c.seq <= upto, a.c.action.not_like(SESSION_ACTIONS))
        .limit(limit + 1)
    )
    rows = conn.execute(query).all()
    if len(rows) > limit:
        return None
    ids = frozenset(int(r.order_id) for r in rows if r.order_id is not None)
    return Changes(upto, ids, any(r.order_id is None for r in rows))


# --- per order: its value in a year, its state while it waits ------------------------------------


@dataclass(frozen=True, slots=True)
class OrderValue:
    """An order's place in the monthly chart: partner, month (``YYYY-MM``), currency and its
    agreed value."""

    partner: str
    month: str
    currency: str
    value: Decimal


def order_values(
    conn: Connection, nation: str, start: date, end: date, ids: Sequence[int] | None = None
) -> dict[int, OrderValue]:
    """Each order of ``nation`` dated from ``start`` to ``end`` (of ``ids`` only, if given),
    drafts, rejected and cancelled left out, with its agreed value: its stored value when its
    lines were accepted as requested, else valued line by line as the annual report does."""
    o, ol = t.orders, t.order_lines
    month = _month(o.c.order_date, conn.dialect.name)
    changed = exists().where(
        and_(
            ol.c.order_id == o.c.id,
            ol.c.quantity_accepted.is_not(None),
            ol.c.quantity_accepted != ol.c.quantity,
        )
    )
    either = case((o.c.requester == nation, 1), (o.c.supplier == nation, 1), else_=0) == 1
    scope = and_(
        o.c.order_date >= start,
        o.c.order_date <= end,
        either,
        o.c.status.not_in(EXCLUDED_STATES),
    )
    if ids is not None:
        scope = and_(scope, o.c.id.in_(list(ids)))
    query = select(
        o.c.id,
        o.c.requester,
        o.c.supplier,
        month.label("month"),
        o.c.currency,
        o.c.total_minor,
        case((changed, 1), else_=0).label("changed"),
    ).where(scope)
    found: dict[int, OrderValue] = {}
    by_line: list[int] = []
    for row in conn.execute(query):
        if row.changed:
            by_line.append(int(row.id))
            continue
        partner = row.supplier if row.requester == nation else row.requester
        value = from_minor(int(row.total_minor), row.currency)
        found[int(row.id)] = OrderValue(partner, str(row.month), row.currency, value)
    if by_line:
        found.update(_line_values(conn, by_line, nation, month))
    return found


def _line_values(
    conn: Connection, ids: list[int], nation: str, month: ColumnElement[str]
) -> dict[int, OrderValue]:
    """The orders ``ids`` valued line by line (accepted quantities, else requested)."""
    o, ol = t.orders, t.order_lines
    query = (
        select(
            o.c.id,
            o.c.requester,
            o.c.supplier,
            month.label("month"),
            o.c.currency,
            ol.c.quantity,
            ol.c.quantity_accepted,
            ol.c.unit_price_minor,
            ol.c.currency.label("line_currency"),
        )
        .join_from(o, ol, ol.c.order_id == o.c.id)
        .where(o.c.id.in_(ids))
        .order_by(o.c.id, ol.c.number)
    )
    totals: dict[int, tuple[OrderValue, Money]] = {}
    for row in conn.execute(query):
        partner = row.supplier if row.requester == nation else row.requester
        quantity = Decimal(row.quantity_accepted or row.quantity)
        price = from_minor(int(row.unit_price_minor), row.line_currency)
        line = Money.of_product(quantity, price, row.line_currency)
        head, total = totals.get(
            row.id,
            (OrderValue(partner, str(row.month), row.currency, ZERO), Money.zero(row.currency)),
        )
        totals[int(row.id)] = (head, total + line)
    return {
        i: OrderValue(head.partner, head.month, head.currency, total.amount)
        for i, (head, total) in totals.items()
    }


@dataclass(frozen=True, slots=True)
class OrderState:
    """An order's state and parties (what decides whose step it is next)."""

    status: str
    requester: str
    supplier: str


def order_states(
    conn: Connection, nation: str, states: Sequence[str], ids: Sequence[int] | None = None
) -> dict[int, OrderState]:
    """The orders of ``nation`` in ``states`` (of ``ids`` only, if given): through the
    status index, a few columns each."""
    o = t.orders
    either = or_(o.c.requester == nation, o.c.supplier == nation)
    query = select(o.c.id, o.c.status, o.c.requester, o.c.supplier).where(
        o.c.status.in_(list(states)), either
    )
    if ids is not None:
        query = query.where(o.c.id.in_(list(ids)))
    return {
        int(r.id): OrderState(str(r.status), str(r.requester), str(r.supplier))
        for r in conn.execute(query)
    }
