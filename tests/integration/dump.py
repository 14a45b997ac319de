"""Every row of every acsa table, to prove a refusal wrote nothing."""

from __future__ import annotations

from typing import Any

from sqlalchemy import Engine, select

from acsa.adapters.db.tables import metadata


def content(engine: Engine) -> dict[str, list[tuple[Any, ...]]]:
    with engine.connect() as conn:
        return {
            table.name: sorted(
                (tuple(str(v) for v in row) for row in conn.execute(select(table))), key=str
            )
            for table in metadata.sorted_tables
        }
