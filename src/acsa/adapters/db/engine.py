"""Engines for SQLite (WAL, synchronous=FULL) and PostgreSQL."""

from __future__ import annotations

import sqlite3
from pathlib import Path
from typing import Any

from sqlalchemy import Engine, create_engine, event
from sqlalchemy.engine import make_url
from sqlalchemy.exc import OperationalError

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


def _sqlite_on_begin(conn: Any) -> None:
    # Writers take the lock at the start, so a read-then-write transaction cannot deadlock;
    # readers (acsa_read_only) begin a plain deferred transaction and never block writers.
    begin = "BEGIN" if conn.get_execution_options().get("acsa_read_only") else "BEGIN IMMEDIATE"
    # Straight to the driver: this runs once per transaction, on the hot path. The event runs
    # outside SQLAlchemy's error wrapping, so a busy database is wrapped here: callers see an
    # OperationalError (a 503 to API clients), not a bare driver error.
    try:
        conn.connection.driver_connection.execute(begin)
    except sqlite3.Error as exc:
        raise OperationalError(begin, None, exc) from exc


def make_engine(url: str, **kwargs: Any) -> Engine:
    """An engine for ``url``; creates the SQLite file's directory when needed."""
    parsed = make_url(url)
    if parsed.get_backend_name() == "sqlite":
        if parsed.database and parsed.database != ":memory:":
            Path(parsed.database).expanduser().parent.mkdir(parents=True, exist_ok=True)
        engine = create_engine(url, **kwargs)
        event.listen(engine, "connect", _sqlite_on_connect)
        event.listen(engine, "begin", _sqlite_on_begin)
        return engine
    return create_engine(url, pool_pre_ping=True, **kwargs)


def is_sqlite(engine: Engine) -> bool:
    return engine.dialect.name == "sqlite"
