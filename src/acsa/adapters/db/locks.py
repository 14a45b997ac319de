"""Locks that keep two actions from deciding on the same facts at once.

On PostgreSQL these are advisory locks. On SQLite a writing transaction already holds the whole
database from its ``BEGIN IMMEDIATE`` (see ``engine``), and one server process delivers the
outbox, so the same calls take nothing there: services call them alike on both.
"""

from __future__ import annotations

import zlib
from collections.abc import Iterator
from contextlib import contextmanager

from sqlalchemy import Connection, Engine, func, select

#: Names "the outbox's deliverer" among PostgreSQL's advisory locks (any constant will do).
_OUTBOX_LOCK = 727401


def _is_postgresql(conn: Connection | Engine) -> bool:
    return conn.dialect.name == "postgresql"


class Locks:
    """The locks a unit of work takes inside its transaction (held until it ends)."""

    def __init__(self, conn: Connection) -> None:
        self.conn = conn

    def hold_ceiling(self, agreement_id: str, party: str) -> None:
        """Hold the annual ceilings of ``party`` under ``agreement_id`` until this transaction
        ends: two acceptances cannot both fit under a ceiling only one fits under."""
        if not _is_postgresql(self.conn):
            return
        key = zlib.crc32(f"acsa ceiling {agreement_id} {party}".encode())
        self.conn.execute(select(func.pg_advisory_xact_lock(key)))


@contextmanager
def outbox_delivery(engine: Engine) -> Iterator[bool]:
    """Whether this process is the outbox's one deliverer while the block runs: on PostgreSQL
    a session lock held on its own connection (False when another process holds it); on
    SQLite always True (one server process delivers)."""
    if not _is_postgresql(engine):
        yield True
        return
    conn = engine.connect()
    try:
        got = bool(conn.execute(select(func.pg_try_advisory_lock(_OUTBOX_LOCK))).scalar())
        conn.rollback()
        if not got:
            yield False
            return
        try:
            yield True
        finally:
            conn.execute(select(func.pg_advisory_unlock(_OUTBOX_LOCK)))
            conn.rollback()
    finally:
        conn.close()
