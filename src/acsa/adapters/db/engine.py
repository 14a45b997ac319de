"""Engines for SQLite (WAL, synchronous=FULL) and PostgreSQL."""

from __future__ import annotations

import os
import sqlite3
import threading
from pathlib import Path
from typing import Any

from sqlalchemy import Engine, create_engine, event
from sqlalchemy.engine import make_url
from sqlalchemy.exc import OperationalError

from acsa.config import PRIVATE_DIR_MODE, create_private_file, default_database_path

SQLITE_PRAGMAS = (
    "PRAGMA journal_mode=WAL",
    # An acknowledged commit survives a power loss.
    "PRAGMA synchronous=FULL",
    "PRAGMA foreign_keys=ON",
    "PRAGMA busy_timeout=10000",
)


def _sqlite_on_connect(dbapi_connection: Any, _record: Any) -> None:
    # Let SQLAlchemy, not the driver, open transactions, so BEGIN IMMEDIATE can be issued.
    dbapi_connection.isolation_level = None
    cursor = dbapi_connection.cursor()
    for pragma in SQLITE_PRAGMAS:
        cursor.execute(pragma)
    cursor.close()


#: How long a writer waits for the others, as SQLite's busy_timeout.
WRITER_WAIT_S = 10.0
_HELD = "acsa_writer"


class _Writers:
    """One writing transaction at a time in this process, queued on a Python lock.

    SQLite admits one writer; the others poll with growing sleeps, so under many threads a
    few wait very long while later ones get in (a p99 far above the median). Waiting on a
    lock instead wakes the next writer as soon as the last one is done. The lock is taken
    when a connection begins a writing transaction and given back when the connection goes
    back to the pool; other processes still meet SQLite's own lock.
    """

    def __init__(self) -> None:
        self.lock = threading.Lock()

    def begin(self, conn: Any) -> None:
        # Writers take the database lock at the start, so a read-then-write transaction
        # cannot deadlock; readers (acsa_read_only) begin a deferred transaction and never
        # block writers.
        read_only = bool(conn.get_execution_options().get("acsa_read_only"))
        begin = "BEGIN" if read_only else "BEGIN IMMEDIATE"
        held = conn.connection.record_info
        took = False
        if not read_only and not held.get(_HELD):
            if not self.lock.acquire(timeout=WRITER_WAIT_S):
                busy = sqlite3.OperationalError("database is locked (other writers are busy)")
                raise OperationalError(begin, None, busy)
            held[_HELD] = took = True
        # Straight to the driver: this runs once per transaction, on the hot path. The event
        # runs outside SQLAlchemy's error wrapping, so a busy database is wrapped here:
        # callers see an OperationalError (a 503 to API clients), not a bare driver error.
        try:
            conn.connection.driver_connection.execute(begin)
        except sqlite3.Error as exc:
            if took:
                self.release(held)
            raise OperationalError(begin, None, exc) from exc

    def release(self, held: dict[str, Any]) -> None:
        if held.pop(_HELD, False):
            self.lock.release()

    def checkin(self, _dbapi_connection: Any, record: Any) -> None:
        self.release(record.record_info)


def _private_database_file(path: Path) -> None:
    """Create the SQLite file owner-only (0600) before SQLite does (it would make it 0644);
    its -wal and -shm files take the database file's mode. A missing directory is made 0700,
    and acsa's own data directory is kept 0700; other existing directories are left alone."""
    create_private_file(path)
    own = default_database_path().parent
    if path.parent.resolve() == own.resolve() and path.parent.stat().st_uid == os.getuid():
        os.chmod(path.parent, PRIVATE_DIR_MODE)


def make_engine(url: str, **kwargs: Any) -> Engine:
    """An engine for ``url``; creates the SQLite file (0600) and its directory (0700) when
    needed."""
    parsed = make_url(url)
    if parsed.get_backend_name() == "sqlite":
        if parsed.database and parsed.database != ":memory:":
            _private_database_file(Path(parsed.database).expanduser())
        engine = create_engine(url, **kwargs)
        writers = _Writers()
        event.listen(engine, "connect", _sqlite_on_connect)
        event.listen(engine, "begin", writers.begin)
        event.listen(engine, "checkin", writers.checkin)
        return engine
    return create_engine(url, pool_pre_ping=True, **kwargs)
