"""The HTTP application ``acsa serve`` runs: read-only, server-rendered pages.

Routes are thin: parse the request, build the page from :mod:`acsa.web.views`, render a
template. Refusals become pages with the right status: 404 for what does not exist, 400 for a
bad query parameter (named), 503 when the database cannot be used; never a bare 500.
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import HTMLResponse, JSONResponse, Response
from fastapi.staticfiles import StaticFiles
from jinja2 import Environment
from sqlalchemy import Engine, text
from sqlalchemy.exc import SQLAlchemyError
from starlette.exceptions import HTTPException as StarletteHTTPException

from acsa import __version__
from acsa.domain.errors import AcsaError, Code, NotFoundError, Violation
from acsa.schemas import ViolationOut, violation_out
from acsa.web import views
from acsa.web.render import make_environment

STATIC = Path(__file__).parent / "static"

#: Sent with every response: no scripts at all, styles only from here, no framing.
SECURITY_HEADERS = {
    "Content-Security-Policy": (
        "default-src 'none'; style-src 'self'; img-src 'self'; form-action 'self'; "
        "base-uri 'none'; frame-ancestors 'none'"
    ),
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "same-origin",
    "X-Frame-Options": "DENY",
}

log = logging.getLogger("acsa.web")


class Pages:
    """Renders the templates with the common context every page needs."""

    def __init__(self, env: Environment) -> None:
        self.env = env

    def render(
        self,
        request: Request,
        template: str,
        status_code: int = 200,
        **context: Any,
    ) -> HTMLResponse:
        page = self.env.get_template(template).render(
            request_path=request.url.path,
            **context,
        )
        return HTMLResponse(page, status_code=status_code)

    def error(
        self,
        request: Request,
        status_code: int,
        title: str,
        errors: list[ViolationOut],
    ) -> HTMLResponse:
        return self.render(
            request,
            "error.html",
            status_code=status_code,
            title=title,
            errors=errors,
            status_code_shown=status_code,
        )


def create_app(engine: Engine) -> FastAPI:
    """The web application over an initialised database (SQLite or PostgreSQL)."""
    app = FastAPI(
        title="acsa",
        version=__version__,
        docs_url=None,
        redoc_url=None,
        openapi_url=None,
    )
    pages = Pages(make_environment())
    app.mount("/static", StaticFiles(directory=STATIC), name="static")
    _add_security_headers(app)
    _add_error_pages(app, pages)
    _add_routes(app, engine, pages)
    return app


def _add_routes(app: FastAPI, engine: Engine, pages: Pages) -> None:
    @app.get("/", response_class=HTMLResponse)
    def overview(
        request: Request,
        as_of: str | None = None,
        status: str | None = None,
        agreement: str | None = None,
        page: str | None = None,
    ) -> HTMLResponse:
        """The registry of agreements as of a date, and the orders (filtered, paged)."""
        data = views.overview(engine, as_of, status, agreement, page)
        return pages.render(request, "index.html", title="Overview", view=data)

    @app.get("/agreements/{agreement_id}", response_class=HTMLResponse)
    def agreement(request: Request, agreement_id: str, as_of: str | None = None) -> HTMLResponse:
        """One agreement: dates, scope, terms, every version, clauses and sources."""
        item = views.agreement_page(engine, agreement_id, as_of)
        return pages.render(request, "agreement.html", title=f"Agreement {item.id}", a=item)

    @app.get("/orders/{order_id}", response_class=HTMLResponse)
    def order(request: Request, order_id: str) -> HTMLResponse:
        """One order: lines, history and, for a draft, what the checks refuse now."""
        row = views.order_page(engine, order_id)
        return pages.render(request, "order.html", title=f"Order {row.order.id}", row=row)

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


def _violation(code: Code, field: str, message: str) -> ViolationOut:
    return violation_out(Violation(code, field, message))


def _add_error_pages(app: FastAPI, pages: Pages) -> None:
    async def refused(request: Request, exc: Exception) -> Response:
        assert isinstance(exc, AcsaError)
        errors = [violation_out(v) for v in exc.violations]
        if isinstance(exc, NotFoundError):
            return pages.error(request, 404, "Not found", errors)
        return pages.error(request, 400, "The request cannot be answered", errors)

    async def invalid_request(request: Request, exc: Exception) -> Response:
        assert isinstance(exc, RequestValidationError)
        errors = [
            _violation(
                Code.INVALID_FIELD,
                ".".join(str(p) for p in e["loc"][1:]) or "request",
                f"{'.'.join(str(p) for p in e['loc'][1:])}: {e['msg']}",
            )
            for e in exc.errors()
        ]
        return pages.error(request, 400, "The request cannot be answered", errors)

    async def http_error(request: Request, exc: Exception) -> Response:
        assert isinstance(exc, StarletteHTTPException)
        if exc.status_code == 404:
            errors = [_violation(Code.INVALID_INPUT, "path", f"no page at {request.url.path}")]
            return pages.error(request, 404, "Not found", errors)
        errors = [_violation(Code.INVALID_INPUT, "request", str(exc.detail))]
        return pages.error(request, exc.status_code, "The request cannot be answered", errors)

    async def database_down(request: Request, exc: Exception) -> Response:
        log.error("database error on %s", request.url.path, exc_info=exc)
        errors = [
            _violation(
                Code.INVALID_INPUT,
                "db",
                "the database cannot be used right now; try again shortly",
            )
        ]
        return pages.error(request, 503, "The database is unavailable", errors)

    async def broken(request: Request, exc: Exception) -> Response:
        log.error("error on %s", request.url.path, exc_info=exc)
        errors = [
            _violation(
                Code.INVALID_INPUT,
                "server",
                "acsa could not build this page; the error is logged",
            )
        ]
        return pages.error(request, 500, "Something went wrong", errors)

    app.add_exception_handler(AcsaError, refused)
    app.add_exception_handler(RequestValidationError, invalid_request)
    app.add_exception_handler(StarletteHTTPException, http_error)
    app.add_exception_handler(SQLAlchemyError, database_down)
    app.add_exception_handler(Exception, broken)
