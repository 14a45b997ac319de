"""Rows in every table: what "no row changed" is checked against."""

from __future__ import annotations

from sqlalchemy import Engine, func, select

from acsa.adapters.db import tables as t
from acsa.adapters.db.engine import make_engine


def row_counts(target: Engine | str) -> dict[str, int]:
    """Rows per table of an engine, or of the database at a URL (opened and closed here)."""
    engine = make_engine(target) if isinstance(target, str) else target
    try:
        with engine.connect().execution_options(acsa_read_only=True) as conn:
            return {
                table.name: int(conn.execute(select(func.count()).select_from(table)).scalar_one())
                for table in t.metadata.sorted_tables
            }
    finally:
        if isinstance(target, str):
            engine.dispose()
