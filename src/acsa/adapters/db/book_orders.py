"""Our book with a partner read a page at a time in ascending uid order, for a reconciliation
that merge-joins it with the partner's file (``acsa.services.books``): the uids of a page,
and the documents of a page's orders."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from sqlalchemy import Connection, Row, or_, select
from sqlalchemy.sql.elements import ColumnElement

from acsa.adapters.db import tables as t


def _by_uid(conn: Connection, column: Any) -> ColumnElement[Any]:
    """``column`` compared and sorted byte by byte, as Python compares strings (PostgreSQL
    would otherwise use the database's collation)."""
    if conn.dialect.name == "postgresql":
        return column.collate("C")  # type: ignore[no-any-return]
    return column  # type: ignore[no-any-return]


def uid_page(
    conn: Connection, nation: str, partner: str, after: str | None, limit: int
) -> list[tuple[str, int]]:
    """(uid, number) of up to ``limit`` orders between ``nation`` and ``partner``, in
    ascending uid order, after the uid ``after`` (from the first when None)."""
    o = t.orders.c
    uid = _by_uid(conn, o.uid)
    query = (
        select(o.uid, o.id)
        .where(
            or_(o.requester == nation, o.supplier == nation),
            or_(o.requester == partner, o.supplier == partner),
        )
        .order_by(uid)
        .limit(limit)
    )
    if after is not None:
        query = query.where(uid > after)
    return [(str(row.uid), int(row.id)) for row in conn.execute(query)]


def documents_of(
    conn: Connection, nation: str, partner: str, uids: Sequence[str]
) -> list[Row[Any]]:
    """The documents between ``nation`` and ``partner`` (either way) of the orders ``uids``,
    by order and seq."""
    d = t.documents.c
    return list(
        conn.execute(
            select(d.order_uid, d.seq, d.id, d.kind, d.prev, d.hash)
            .where(
                d.order_uid.in_(list(uids)),
                ((d.issuer == nation) & (d.recipient == partner))
                | ((d.issuer == partner) & (d.recipient == nation)),
            )
            .order_by(d.order_uid, d.seq)
        )
    )
