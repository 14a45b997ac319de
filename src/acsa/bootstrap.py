"""The composition root: what each entry point is wired from. The CLI, the API's worker
processes and ``acsa serve`` open the database here, with the same coded refusals, so no entry
point imports another (the CLI never builds the API app itself, the API never borrows the
CLI's engine)."""

from __future__ import annotations

from functools import cache
from typing import TYPE_CHECKING

from sqlalchemy import Engine, make_url
from sqlalchemy.exc import ArgumentError, NoSuchModuleError

from acsa.adapters.db.engine import make_engine
from acsa.config import database_url
from acsa.domain.errors import AcsaError, Code
from acsa.services.setup import require_current_schema

if TYPE_CHECKING:
    from fastapi import FastAPI

#: Where ``acsa serve --workers N`` tells its worker processes which database to open.
ENV_SERVE_URL = "ACSA_SERVE_DATABASE_URL"


@cache
def _engine(url: str) -> Engine:
    return make_engine(url)


def open_database(db: str | None, check_schema: bool = True, field: str = "--db") -> Engine:
    """The process's one engine for the database ``db`` names (see ``acsa.config``), refused
    with INVALID_INPUT naming ``field`` when it is no database acsa can use; with
    ``check_schema``, refused unless its schema is this release's (``acsa init`` brings it
    there)."""
    url = database_url(db)
    try:
        engine = _engine(url)
    except (ArgumentError, NoSuchModuleError, ImportError) as exc:
        # Not a database URL, or one for a database acsa does not speak (no driver).
        raise AcsaError.single(
            Code.INVALID_INPUT,
            field,
            "{url} is not a database acsa can use ({error}: {reason}); give a sqlite:///FILE "
            "or postgresql+psycopg://... URL",
            url=repr(shown_url(url)),
            error=type(exc).__name__,
            reason=str(exc)[:200],
        ) from None

    if check_schema:
        require_current_schema(engine)
    return engine


def shown_url(url: str) -> str:
    """A database URL as a message may show it: never its password."""
    try:
        return make_url(url).render_as_string(hide_password=True)[:200]
    except ArgumentError:
        return url[:60]


def api_app(db: str | None) -> FastAPI:
    """The API and the pages over the database ``db`` names."""
    from acsa.api.app import create_app

    return create_app(open_database(db))


def worker_app() -> FastAPI:
    """The app of one worker process of ``acsa serve --workers N`` (``uvicorn --factory``):
    the database ``acsa serve`` put in the environment."""
    import os

    return api_app(os.environ[ENV_SERVE_URL])
