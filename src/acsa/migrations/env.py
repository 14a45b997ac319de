"""Alembic environment: runs on the connection acsa hands over, or on ACSA_DATABASE_URL."""

from __future__ import annotations

from alembic import context

from acsa.adapters.db.engine import make_engine
from acsa.adapters.db.tables import metadata
from acsa.config import database_url


def run_migrations() -> None:
    connection = context.config.attributes.get("connection")
    if connection is not None:
        _run(connection)
        return
    engine = make_engine(database_url())
    with engine.begin() as conn:
        _run(conn)
    engine.dispose()


def _run(connection: object) -> None:
    context.configure(
        connection=connection,  # type: ignore[arg-type]
        target_metadata=metadata,
        render_as_batch=True,
        compare_type=True,
    )
    with context.begin_transaction():
        context.run_migrations()


run_migrations()
