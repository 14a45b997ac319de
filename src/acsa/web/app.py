"""The pages ``acsa serve`` serves at /: server-rendered, for signed-in people, in their
language.

Routes (``acsa.web.routes``) are thin: check who is asking, build the page's data from the
services, render a template. Refusals become pages with the right status: a redirect to the
sign-in page without a session, 404 for what does not exist or is not the visitor's to see,
403 for what is not theirs to do, 400 for a bad parameter (named), 503 when the database
cannot be used; never a bare 500.
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable
from pathlib import Path
from urllib.parse import urlencode

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse, RedirectResponse, Response
from fastapi.staticfiles import StaticFiles
from sqlalchemy import Engine, text
from sqlalchemy.exc import SQLAlchemyError
from starlette.exceptions import HTTPException as StarletteHTTPException

from acsa import __version__
from acsa.domain.access import ForbiddenError
from acsa.domain.errors import AcsaError, Code, NotFoundError, Violation
from acsa.domain.messages import t
from acsa.web.pages import Pages
from acsa.web.routes import (
    account,
    approvals,
    attachments,
    audit,
    auth,
    browse,
    courier,
    designations,
    disputes,
    finance,
    inbox,
    journal,
    ledger,
    orders,
    registry,
    webhooks,
)
from acsa.web.session import LoginRequired, Visitor, visitor

STATIC = Path(__file__).parent / "static"

#: Sent with every response: scripts, styles and images only from here (no inline script),
#: forms only to here, no framing.
SECURITY_HEADERS = {
    "Content-Security-Policy": (
        "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self'; "
        "connect-src 'self'; form-action 'self'; base-uri 'none'; frame-ancestors 'none'"
    ),
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "same-origin",
    "X-Frame-Options": "DENY",
}

log = logging.getLogger("acsa.web")

#: The areas of the site, in the order their routes are tried.
ROUTES = (
    auth,
    account,
    browse,
    orders,
    attachments,
    finance,
    ledger,
    journal,
    registry,
    audit,
    courier,
    designations,
    approvals,
    disputes,
    inbox,
    webhooks,
)


def create_app(engine: Engine) -> FastAPI:
    """The pages over an initialised database (SQLite or PostgreSQL)."""
    app = FastAPI(
        title="acsa",
        version=__version__,
        docs_url=None,
        redoc_url=None,
        openapi_url=None,
    )
    app.state.engine = engine
    pages = Pages()
    app.state.pages = pages
    attachments.install(pages)
    approvals.install(pages)
    disputes.install(pages)
    inbox.install(pages)
    app.mount("/static", StaticFiles(directory=STATIC), name="static")
    _add_security_headers(app)
    _add_error_pages(app, pages)
    for module in ROUTES:
        app.include_router(module.router)
    _add_health(app, engine)
    return app


def _add_health(app: FastAPI, engine: Engine) -> None:
    @app.get("/healthz")
    def healthz() -> JSONResponse:
        """``{"status": "ok"}`` while the database answers; 503 when it does not."""
        try:
            with engine.connect() as conn:
                conn.execute(text("SELECT 1"))
        except SQLAlchemyError:
            log.exception("health check: the database does not answer")
            return JSONResponse({"status": "unavailable"}, status_code=503)
        return JSONResponse({"status": "ok"})


def _add_security_headers(app: FastAPI) -> None:
    @app.middleware("http")
    async def security_headers(
        request: Request,
        call_next: Callable[[Request], Awaitable[Response]],
    ) -> Response:
        response = await call_next(request)
        for name, value in SECURITY_HEADERS.items():
            response.headers.setdefault(name, value)
        return response


def _visitor_or_none(request: Request) -> Visitor | None:
    try:
        return visitor(request)
    except (LoginRequired, SQLAlchemyError):
        return None


def _violation(code: Code, field: str, template: str, **params: object) -> Violation:
    """One refusal of the edge's own, its message id marked ``t()`` where it is written."""
    return Violation(code, field, template, None, params)


def _add_error_pages(app: FastAPI, pages: Pages) -> None:
    async def sign_in_first(request: Request, exc: Exception) -> Response:
        assert isinstance(exc, LoginRequired)
        target = request.url.path + (f"?{request.url.query}" if request.url.query else "")
        return RedirectResponse(f"/login?{urlencode({'next': target})}", status_code=303)

    async def refused(request: Request, exc: Exception) -> Response:
        assert isinstance(exc, AcsaError)
        errors = list(exc.violations)
        who = _visitor_or_none(request)
        if isinstance(exc, NotFoundError):
            return pages.error(request, 404, "Not found", errors, who)
        if isinstance(exc, ForbiddenError):
            return pages.error(request, 403, "Not yours to do", errors, who)
        return pages.error(request, 400, "The request cannot be answered", errors, who)

    async def invalid_request(request: Request, exc: Exception) -> Response:
        assert isinstance(exc, RequestValidationError)
        errors = [
            _violation(
                Code.INVALID_FIELD,
                ".".join(str(p) for p in e["loc"][1:]) or "request",
                t("{name}: {problem}"),
                name=".".join(str(p) for p in e["loc"][1:]),
                problem=str(e["msg"]),
            )
            for e in exc.errors()
        ]
        return pages.error(request, 400, "The request cannot be answered", errors)

    async def http_error(request: Request, exc: Exception) -> Response:
        assert isinstance(exc, StarletteHTTPException)
        if exc.status_code == 404:
            errors = [
                _violation(
                    Code.INVALID_INPUT, "path", t("no page at {path}"), path=request.url.path
                )
            ]
            return pages.error(request, 404, "Not found", errors)
        errors = [_violation(Code.INVALID_INPUT, "request", t("{detail}"), detail=str(exc.detail))]
        return pages.error(request, exc.status_code, "The request cannot be answered", errors)

    async def database_down(request: Request, exc: Exception) -> Response:
        log.error("database error on %s", request.url.path, exc_info=exc)
        errors = [
            _violation(
                Code.INVALID_INPUT,
                "db",
                t("the database cannot be used right now; try again shortly"),
            )
        ]
        return pages.error(request, 503, "The database is unavailable", errors)

    async def broken(request: Request, exc: Exception) -> Response:
        log.error("error on %s", request.url.path, exc_info=exc)
        errors = [
            _violation(
                Code.INVALID_INPUT,
                "server",
                t("acsa could not build this page; the error is logged"),
            )
        ]
        return pages.error(request, 500, "Something went wrong", errors)

    app.add_exception_handler(LoginRequired, sign_in_first)
    app.add_exception_handler(AcsaError, refused)
    app.add_exception_handler(RequestValidationError, invalid_request)
    app.add_exception_handler(StarletteHTTPException, http_error)
    app.add_exception_handler(SQLAlchemyError, database_down)
    app.add_exception_handler(Exception, broken)
