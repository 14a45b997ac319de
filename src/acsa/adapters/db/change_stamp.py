"""A cheap mark of the database's state for the caches of figures read from it: the last
audit record, ledger entry, order, invoice, payment and settlement. Every committed change to
orders or books writes at least one of them (a change that writes ledger entries must write an
audit record too: ``UnitOfWork.commit``), so figures cached under one stamp are still the
database's while the stamp is the same. Each part is the largest key of its table: one index
lookup each, whatever the size of the tables."""

from __future__ import annotations

from sqlalchemy import Engine, func, select

from acsa.adapters.db import tables as t

#: The tables whose last key makes up the stamp, with that key.
_KEYS = (
    t.audit_log.c.seq,
    t.ledger_entries.c.id,
    t.orders.c.id,
    t.invoices.c.id,
    t.payments.c.id,
    t.settlements.c.id,
)


def change_stamp(engine: Engine) -> tuple[int, ...]:
    """The last key of each table of ``_KEYS`` (0 for an empty table), read in one query."""
    query = select(*(select(func.max(key)).scalar_subquery() for key in _KEYS))
    with engine.connect() as conn:
        row = conn.execute(query).one()
    return tuple(int(value or 0) for value in row)
