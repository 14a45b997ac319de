"""The HTTP application ``acsa serve`` runs: the REST API under /api/v1 (OpenAPI at
/openapi.json, docs at /docs) and the server-rendered pages at /."""

from __future__ import annotations

import os
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from fastapi import FastAPI
from sqlalchemy import Engine

from acsa import __version__
from acsa.api import problems
from acsa.api.deliverer import Deliverer
from acsa.api.routers import (
    agreements,
    audit,
    books,
    exchange,
    ledger,
    orders,
    reports,
    settlement,
    system,
    users,
)

ENV_SERVE_URL = "ACSA_SERVE_DATABASE_URL"

DESCRIPTION = """
Mutual logistics support under Acquisition and Cross-Servicing Agreements.

Sign in with a personal API token: `Authorization: Bearer <token>` (`acsa tokens new`). You see
the agreements your nation is party to and the orders, documents, postings and reports under
them; anything else answers 404. Every POST honours an `Idempotency-Key` header; actions on an
order honour `If-Match` with the order's ETag. Refusals are `application/problem+json` with the
coded violations (the same codes as the CLI).
"""


def create_app(engine: Engine) -> FastAPI:
    """The API and the pages over an initialised database (SQLite or PostgreSQL)."""
    from acsa.web.app import create_app as create_pages

    deliverer = Deliverer(engine)

    @asynccontextmanager
    async def lifespan(_app: FastAPI) -> AsyncIterator[None]:
        deliverer.start()
        try:
            yield
        finally:
            deliverer.stop()

    app = FastAPI(
        lifespan=lifespan,
        title="acsa",
        version=__version__,
        description=DESCRIPTION,
        docs_url="/docs",
        redoc_url=None,
        openapi_url="/openapi.json",
    )
    app.state.engine = engine
    problems.install(app)
    app.openapi = lambda: problems.document(app)  # type: ignore[method-assign]
    for module in ROUTERS:
        app.include_router(module.router)
    app.mount("/", create_pages(engine))
    return app


ROUTERS = (system, orders, settlement, agreements, ledger, reports, users, audit, exchange, books)


def app_from_environment() -> FastAPI:
    """The app for worker processes (``uvicorn --factory``): the database from the environment."""
    from acsa.cli.common import engine_for

    return create_app(engine_for(os.environ[ENV_SERVE_URL]))
