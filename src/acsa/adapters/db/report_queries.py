"""What the annual report reads from the period balances: a book's balances at month ends as
the sums of its months (``ledger_months``, migration 0014, kept with the postings and checked
against them by ``acsa ledger verify``), a row per month and account instead of every posting
up to each month end."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date, timedelta

from sqlalchemy import Connection, select

from acsa.adapters.db import tables as t

#: (partner, account, currency): a balance of a book.
Key = tuple[str, str, str]


def month_end_sums(conn: Connection, book: str, days: Sequence[date]) -> dict[date, dict[Key, int]]:
    """For each of ``days`` that is the last day of its month, the sum in minor units of every
    (partner, account, currency) of ``book`` that has postings on or before it. Days that end
    no month are left out (their caller sums the postings)."""
    ends = sorted({d for d in days if (d + timedelta(days=1)).day == 1})
    if not ends:
        return {}
    m = t.ledger_months
    last = date(ends[-1].year, ends[-1].month, 1)
    query = (
        select(m.c.month, m.c.partner, m.c.account, m.c.currency, m.c.amount_minor)
        .where(m.c.book == book, m.c.month <= last)
        .order_by(m.c.month)
    )
    running: dict[Key, int] = {}
    found: dict[date, dict[Key, int]] = {}
    waiting = list(ends)
    for row in conn.execute(query):
        while waiting and row.month > date(waiting[0].year, waiting[0].month, 1):
            found[waiting.pop(0)] = dict(running)
        key = (str(row.partner), str(row.account), str(row.currency))
        running[key] = running.get(key, 0) + int(row.amount_minor)
    for day in waiting:
        found[day] = dict(running)
    return found
