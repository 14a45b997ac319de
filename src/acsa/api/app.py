"""The HTTP application ``acsa serve`` runs: the REST API under /api/v1 (OpenAPI at
/openapi.json, docs at /docs) and the server-rendered pages at /."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from fastapi import Depends, FastAPI, Request
from fastapi.responses import Response
from sqlalchemy import Engine
from starlette.routing import Match, Mount
from starlette.types import ASGIApp, Receive, Scope, Send

from acsa import __version__
from acsa.api import docs, problems
from acsa.api.body_limit import BodyLimit, BodyLimits, limits_from_environment
from acsa.api.checkpointer import Checkpointer
from acsa.api.deliverer import Deliverer
from acsa.api.language import Language
from acsa.api.routers import (
    agreements,
    approvals,
    arrangements,
    attachments,
    audit,
    books,
    commands,
    courier,
    designations,
    disputes,
    journal,
    ledger,
    notices,
    orders,
    partner_registry,
    rates,
    reports,
    settlement,
    system,
    users,
    webhooks,
)
from acsa.api.scheduler import Scheduler
from acsa.domain.errors import AcsaError, Code, Violation
from acsa.schemas.orders import violation_out

DESCRIPTION = """
Mutual logistics support under Acquisition and Cross-Servicing Agreements.

Sign in with a personal API token: `Authorization: Bearer <token>` (`acsa tokens new`). You see
the agreements your nation is party to and the orders, documents, postings and reports under
them; anything else answers 404. Every POST honours an `Idempotency-Key` header; actions on an
order honour `If-Match` with the order's ETag. Refusals are `application/problem+json` with the
coded violations (the same codes as the CLI).

Send `Accept-Language: ja` (or `ja,en;q=0.8`) for the messages in Japanese; English is the
default. Every answer says its language in `Content-Language`. A refusal's `title`, `detail` and
each violation's `message` are written in that language; each violation also carries its
`message_id` (the English template, the same in every language) and its `params` (each
parameter written for that language), besides the `code`, `field` and `clause` that never
change with the language.
"""


def create_app(engine: Engine, limits: BodyLimits | None = None) -> FastAPI:
    """The API and the pages over an initialised database (SQLite or PostgreSQL); request
    bodies bounded by ``limits`` (else by the environment, see ``limits_from_environment``)."""
    from acsa.web.app import SECURITY_HEADERS
    from acsa.web.app import create_app as create_pages

    deliverer = Deliverer(engine)
    checkpointer = Checkpointer(engine)
    scheduler = Scheduler(engine)

    @asynccontextmanager
    async def lifespan(_app: FastAPI) -> AsyncIterator[None]:
        deliverer.start()
        checkpointer.start()
        scheduler.start()
        try:
            yield
        finally:
            scheduler.stop()
            checkpointer.stop()
            deliverer.stop()

    app = FastAPI(
        lifespan=lifespan,
        title="acsa",
        version=__version__,
        description=DESCRIPTION,
        docs_url=None,  # served by acsa.api.docs, from the package's own files
        redoc_url=None,
        openapi_url="/openapi.json",
    )
    app.state.engine = engine
    problems.install(app)
    app.openapi = lambda: problems.document(app)  # type: ignore[method-assign]
    for module in ROUTERS:
        app.include_router(module.router, dependencies=[Depends(_documented_query)])
    # Whatever under /api/ no route takes is the API's 404 or 405, not a page.
    app.router.routes.append(Mount("/api", app=_unrouted(app)))
    docs.install(app, "/openapi.json")
    pages_app = create_pages(engine)
    app.mount("/", pages_app)

    def page(request: Request, status: int, violations: list[Violation]) -> Response:
        title = problems.TITLES.get(status, "The request cannot be answered")
        errors = [violation_out(v) for v in violations]
        response: Response = pages_app.state.pages.error(request, status, title, errors)
        response.headers.update(SECURITY_HEADERS)
        return response

    app.add_middleware(BodyLimit, limits=limits or limits_from_environment(), page=page)
    # Outermost: the body limit's refusals are written in the request's language too.
    app.add_middleware(Language)
    return app


def _documented_query(request: Request) -> None:
    """Refuse a query parameter the operation does not document (INVALID_INPUT, 400): a
    misspelt ``limt=5`` is not silently the default page."""
    route = request.scope.get("route")
    path = getattr(route, "path_format", None)
    if not request.query_params or path is None:
        return
    known = _query_names(request.app).get((path, request.method.lower()), frozenset())
    unknown = [name for name in dict.fromkeys(request.query_params) if name not in known]
    if unknown:
        takes = ", ".join(sorted(known)) or "none"
        raise AcsaError(
            Violation(
                Code.INVALID_INPUT,
                name[:100],
                "query parameter {name} is not one {path} takes ({takes})",
                params={"name": repr(name[:100]), "path": path, "takes": takes},
            )
            for name in unknown[:10]
        )


def _query_names(app: FastAPI) -> dict[tuple[str, str], frozenset[str]]:
    """The query parameters the document gives each (path, method), read from it once."""
    names: dict[tuple[str, str], frozenset[str]] | None = getattr(app.state, "query_names", None)
    if names is None:
        names = {
            (path, method): frozenset(
                p["name"] for p in operation.get("parameters", []) if p.get("in") == "query"
            )
            for path, item in app.openapi()["paths"].items()
            for method, operation in item.items()
        }
        app.state.query_names = names
    return names


#: The methods an Allow header may name.
METHODS = ("GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS")


def _unrouted(app: FastAPI) -> ASGIApp:
    """The answer for a path under /api/ no route takes (any method): 405 with ``Allow`` when
    the path is an operation's but not with this method, else 404; both problem documents."""

    async def unrouted(scope: Scope, receive: Receive, send: Send) -> None:
        path = Request(scope).url.path
        routes = [r for r in app.router.routes if not isinstance(r, Mount)]
        # The scope as the app's router saw it (the mount added /api to its root path).
        top = {**scope, "root_path": scope.get("app_root_path", "")}
        allowed = [
            method
            for method in METHODS
            if any(r.matches({**top, "method": method})[0] is Match.FULL for r in routes)
        ]
        if allowed:
            violation = Violation(
                Code.METHOD_NOT_ALLOWED,
                "method",
                "{method} is not allowed on {path}; use {allowed}",
                params={"method": scope["method"], "path": path, "allowed": ", ".join(allowed)},
            )
            response = problems.problem_response(
                405, [violation], headers={"Allow": ", ".join(allowed)}
            )
        else:
            violation = Violation(
                Code.PATH_NOT_FOUND, "path", "nothing at {path} in the API", params={"path": path}
            )
            response = problems.problem_response(404, [violation])
        await response(scope, receive, send)

    return unrouted


ROUTERS = (
    system,
    orders,
    commands,
    settlement,
    agreements,
    arrangements,
    ledger,
    journal,
    reports,
    users,
    designations,
    approvals,
    disputes,
    notices,
    webhooks,
    audit,
    courier,
    partner_registry,
    books,
    rates,
    attachments,
)
