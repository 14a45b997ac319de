"""Refusals as ``application/problem+json`` (RFC 9457), with the coded violations.

The status says what kind of refusal it is: 400 a request that cannot be read, 401 no valid
credentials, 403 a visible thing not yours to do, 404 nothing there (or nothing you may see),
409 a conflict with the current state (a stale version, a step the state does not allow, a
reused idempotency key), 422 a well-formed request the rules refuse, 503 the database cannot
be used (nothing was saved: retry, with the same Idempotency-Key).
"""

from __future__ import annotations

import logging
from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.openapi.utils import get_openapi
from fastapi.responses import JSONResponse, Response
from pydantic import BaseModel
from sqlalchemy.exc import DataError, SQLAlchemyError
from starlette.exceptions import HTTPException as StarletteHTTPException

from acsa.domain.errors import AcsaError, Code, Violation
from acsa.domain.messages import t
from acsa.http_status import status_of
from acsa.i18n import say, violation_text
from acsa.schemas.language import reader_language
from acsa.schemas.orders import ViolationOut, pydantic_violation, violation_out

MEDIA_TYPE = "application/problem+json"

log = logging.getLogger("acsa.api")


TITLES = {
    400: t("The request cannot be read"),
    401: t("Sign in first"),
    403: t("Not yours to do"),
    404: t("Not found"),
    405: t("Method not allowed"),
    409: t("Conflicts with the current state"),
    413: t("The request body is too large"),
    422: t("Refused by the rules"),
    428: t("A precondition is required"),
    503: t("The database cannot be used right now"),
}
REFUSED = t("Refused")


class Problem(BaseModel):
    """An RFC 9457 problem document with acsa's coded violations; ``title``, ``detail``
    and each violation's ``message`` in the language of the request's ``Accept-Language``."""

    type: str
    title: str
    status: int
    detail: str
    code: str
    errors: list[ViolationOut]


def problem_response(
    status: int,
    violations: list[Violation],
    headers: dict[str, str] | None = None,
    lang: str | None = None,
) -> JSONResponse:
    """The problem document of ``violations``, written in ``lang`` (else in the language of
    the request being answered)."""
    reader = lang or reader_language()
    first = violations[0]
    body = Problem(
        type=f"urn:acsa:error:{first.code.value}",
        title=say(TITLES.get(status, REFUSED), reader),
        status=status,
        detail="; ".join(violation_text(v, reader) for v in violations),
        code=first.code.value,
        errors=[violation_out(v, reader) for v in violations],
    )
    all_headers = {"Content-Language": reader, **(headers or {})}
    if status == 401:
        all_headers["WWW-Authenticate"] = 'Bearer realm="acsa"'
    return JSONResponse(
        body.model_dump(mode="json"), status_code=status, media_type=MEDIA_TYPE, headers=all_headers
    )


def refusal_response(error: AcsaError) -> JSONResponse:
    return problem_response(status_of(error), list(error.violations))


def _request_violations(exc: RequestValidationError) -> list[Violation]:
    found: list[Violation] = []
    for error in exc.errors():
        where, *rest = [*error["loc"]] or ["body"]
        if where == "body":
            found.append(pydantic_violation({**error, "loc": tuple(rest)}))
        else:
            name = ".".join(str(p) for p in rest) or str(where)
            # A bound of acsa.domain.limits keeps its code (as_of=0: INVALID_DATE).
            kind = str(error.get("type", ""))
            code = Code(kind) if kind in Code.__members__ else Code.INVALID_INPUT
            found.append(
                Violation(
                    code,
                    name,
                    "{where} {name}: {problem}",
                    params={"where": str(where), "name": name, "problem": str(error["msg"])},
                )
            )
    return found or [Violation(Code.INVALID_INPUT, "", "the request cannot be read")]


def install(app: FastAPI) -> None:
    """Every refusal of the API as a problem document; never a bare 500 for bad input."""

    async def refused(_request: Request, exc: Exception) -> Response:
        assert isinstance(exc, AcsaError)
        return refusal_response(exc)

    async def invalid(_request: Request, exc: Exception) -> Response:
        assert isinstance(exc, RequestValidationError)
        violations = _request_violations(exc)
        body_unreadable = any(e.get("type") == "json_invalid" for e in exc.errors())
        # A body the rules refuse is 422; a path or query parameter out of shape or bound is
        # 400, under its own code (as_of=0: INVALID_DATE).
        in_body = [
            v
            for e, v in zip(exc.errors(), violations, strict=False)
            if tuple(e.get("loc", ()))[:1] == ("body",)
        ]
        status = (
            400 if body_unreadable or all(v.code is Code.INVALID_INPUT for v in in_body) else 422
        )
        return problem_response(status, violations)

    async def http_error(request: Request, exc: Exception) -> Response:
        assert isinstance(exc, StarletteHTTPException)
        if exc.status_code == 404:
            violation = Violation(
                Code.PATH_NOT_FOUND,
                "path",
                "nothing at {path}",
                params={"path": request.url.path},
            )
        elif exc.status_code == 405:
            violation = Violation(
                Code.METHOD_NOT_ALLOWED,
                "method",
                "{method} is not allowed on {path}",
                params={"method": request.method, "path": request.url.path},
            )
        else:
            violation = Violation(Code.INVALID_INPUT, "path", str(exc.detail))
        return problem_response(exc.status_code, [violation], headers=dict(exc.headers or {}))

    async def database_down(request: Request, exc: Exception) -> Response:
        log.error("database error on %s %s", request.method, request.url.path, exc_info=exc)
        return problem_response(
            503,
            [
                Violation(
                    Code.SERVICE_UNAVAILABLE,
                    "",
                    "the database could not complete the request; nothing was saved; retry "
                    "(with the same Idempotency-Key)",
                )
            ],
            headers={"Retry-After": "1"},
        )

    async def unstorable(request: Request, exc: Exception) -> Response:
        # The database refused a value the rules let through (a NUL character in a text on
        # PostgreSQL, say): bad input, not an outage; nothing was saved.
        log.warning("value refused by the database on %s: %s", request.url.path, exc)
        return problem_response(
            422,
            [
                Violation(
                    Code.INVALID_FIELD,
                    "",
                    "a value cannot be stored (control characters such as NUL are not "
                    "allowed in text); nothing was saved",
                )
            ],
        )

    app.add_exception_handler(AcsaError, refused)
    app.add_exception_handler(DataError, unstorable)
    app.add_exception_handler(RequestValidationError, invalid)
    app.add_exception_handler(StarletteHTTPException, http_error)
    app.add_exception_handler(SQLAlchemyError, database_down)


PROBLEM_REF = {"$ref": "#/components/schemas/Problem"}


def _problem_response(status: int) -> dict[str, Any]:
    return {
        "description": TITLES.get(status, REFUSED),
        "content": {MEDIA_TYPE: {"schema": PROBLEM_REF}},
    }


def problem_responses(*statuses: int) -> dict[int | str, dict[str, Any]]:
    """OpenAPI ``responses=`` for the refusals a route can give (see ``document``)."""
    return {s: _problem_response(s) for s in statuses}


#: Refusals any operation may give: a request that cannot be read, a body over the bound
#: (413, see ``acsa.api.body_limit``), and the database failing.
ALWAYS = (400, 413, 503)
#: Methods whose body is read (and refused 422 when nested too deep).
WITH_BODY = frozenset({"post", "put", "patch", "delete"})


def document(app: FastAPI) -> dict[str, Any]:
    """The OpenAPI document as the server behaves: every refusal ``application/problem+json``
    with the Problem schema (FastAPI's default 422 replaced), 400, 413 and 503 on every
    operation, 401 on every operation that needs a token, 404 on every operation with a path
    parameter (a value holding a ``/`` names no operation) and 422 on every one that reads a
    body (one nested too deep)."""
    if app.openapi_schema:
        return app.openapi_schema
    schema = get_openapi(
        title=app.title,
        version=app.version,
        description=app.description,
        routes=app.routes,
    )
    components = schema.setdefault("components", {}).setdefault("schemas", {})
    components["Problem"] = Problem.model_json_schema(ref_template="#/components/schemas/{model}")
    components.update(
        {
            name: value
            for name, value in components["Problem"].pop("$defs", {}).items()
            if name not in components
        }
    )
    for name in ("HTTPValidationError", "ValidationError"):
        components.pop(name, None)
    for path, operations in schema.get("paths", {}).items():
        for method, operation in operations.items():
            responses = operation.setdefault("responses", {})
            extra = [
                *ALWAYS,
                *([401] if operation.get("security") else []),
                *([404] if "{" in path else []),
                *([422] if method in WITH_BODY else []),
            ]
            for status in {*extra, *(int(s) for s in responses if s.isdigit() and int(s) >= 400)}:
                responses[str(status)] = _problem_response(status)
    app.openapi_schema = schema
    return schema
