"""/api/v1: one route per command that a person takes on an order, an invoice or the registry
of agreements (submit, accept, deliver, invoice, pay, replace, add or amend an agreement, ...),
made from the command table: its path (and the route parameters it names), body, permission,
status and answer are the command's own declarations."""

from __future__ import annotations

import inspect
import json
import re
from collections.abc import Callable
from typing import Annotated, Any

from fastapi import APIRouter, Path
from fastapi.responses import Response
from pydantic import BaseModel

from acsa.adapters.db.unit_of_work import UnitOfWork
from acsa.api.context import CtxDep, etag
from acsa.api.problems import problem_responses
from acsa.api.routers.agreements import AgreementId
from acsa.api.routers.orders import RawBody
from acsa.clock import today
from acsa.commands import COMMANDS, Command, Spec
from acsa.domain import limits
from acsa.domain.errors import AcsaError, Code
from acsa.schemas.limits import duplicate_keys
from acsa.schemas.orders import AgreementOut, OrderOut, agreement_out
from acsa.schemas.results import ANSWERS
from acsa.services.handlers import handle
from acsa.services.orders import order_view

router = APIRouter(prefix="/api/v1")

OrderId = Annotated[int, Path(ge=1, le=limits.ID_MAX)]
InvoiceRef = Annotated[str, Path(min_length=1, max_length=40, description="Number or id.")]

#: The route parameters a command's path may name, with their bounds.
ROUTE_IDS: dict[str, Any] = {
    "order_id": OrderId,
    "invoice": InvoiceRef,
    "agreement_id": AgreementId,
    "payment": Annotated[int, Path(ge=1, le=limits.ID_MAX, description="The payment's id.")],
    "dispute": Annotated[str, Path(min_length=1, max_length=40, description="Its number.")],
}

ACTION_RESPONSES = problem_responses(400, 401, 403, 404, 409, 422, 503)


def _body(raw: bytes) -> object:
    """The request's JSON body (none is an empty object), every key given once."""
    twice = duplicate_keys(raw)
    if twice:
        raise AcsaError(twice)
    if not raw.strip():
        return {}
    try:
        body = json.loads(raw)
    except ValueError as exc:
        raise AcsaError.single(
            Code.INVALID_INPUT, "", "the body is not JSON: {problem}", problem=str(exc)
        ) from None
    if body is not None and not isinstance(body, dict):
        # JSON that is no object breaks the body's rules (422), as the API's models say it
        raise AcsaError.single(Code.INVALID_FIELD, "", "the body must be a JSON object")
    return body


def _etag(result: BaseModel) -> dict[str, str]:
    assert isinstance(result, OrderOut)
    return {"ETag": etag(result.version)}


def _added(result: BaseModel) -> dict[str, str]:
    assert isinstance(result, AgreementOut)
    return {"Location": f"{router.prefix}/agreements/{result.id}"}


def _headers(spec: Spec) -> Callable[[BaseModel], dict[str, str]] | None:
    """The headers of a success: an order's version; where a new agreement now is."""
    if spec.result == "order":
        return _etag
    if spec.result == "agreement" and "{" not in (spec.path or ""):
        return _added
    return None


def _run(ctx: CtxDep, kind: type[Command], raw: bytes, **ids: Any) -> Response:
    """Take the command ``kind`` that the body and route ``ids`` ask for, for the caller."""
    command = kind.from_wire(_body(raw), **ids)
    spec = command.spec

    def change(uow: UnitOfWork) -> BaseModel:
        result = handle(uow, command, ctx.principal.name)
        if spec.result == "order":
            return order_view(uow, ids["order_id"], acted=True)
        if spec.result == "agreement":
            return agreement_out(result, today())
        assert isinstance(result, BaseModel)
        return result

    if spec.on_order:
        uow = ctx.writer(spec.permission, check_version=spec.check_version)
    else:
        # No order to guard: the permission is asked first, the service decides the rest.
        ctx.need(spec.permission)
        uow = UnitOfWork(ctx.engine, principal=ctx.principal, hold=True)
    return ctx.write(uow, raw, change, spec.status, _headers(spec))


def _endpoint(kind: type[Command]) -> Callable[..., Response]:
    """The route's function: the caller, each parameter the command's path names (bounded
    as ROUTE_IDS says) and the raw body, which the command reads."""
    assert kind.spec.path is not None
    names = re.findall(r"{(\w+)}", kind.spec.path)

    def endpoint(ctx: CtxDep, body: RawBody, **ids: Any) -> Response:
        return _run(ctx, kind, body, **ids)

    keyword = inspect.Parameter.KEYWORD_ONLY
    parameters = [
        inspect.Parameter("ctx", keyword, annotation=CtxDep),
        *(inspect.Parameter(name, keyword, annotation=ROUTE_IDS[name]) for name in names),
        inspect.Parameter("body", keyword, annotation=RawBody),
    ]
    # FastAPI reads the parameters from the signature: these, rather than ``**ids``.
    endpoint.__signature__ = inspect.Signature(parameters, return_annotation=Response)  # type: ignore[attr-defined]
    return endpoint


def _tag(spec: Spec) -> str:
    if spec.result == "agreement":
        return "agreements"
    if spec.result == "dispute":
        return "disputes"
    return "orders" if spec.result == "order" else "settlement"


def _inlined(schema: Any, defs: dict[str, Any]) -> Any:
    """``schema`` with each reference to its own ``$defs`` replaced by the definition: the
    body stands alone in the OpenAPI document, whose root has no ``$defs`` to point to."""
    if isinstance(schema, list):
        return [_inlined(item, defs) for item in schema]
    if not isinstance(schema, dict):
        return schema
    ref = schema.get("$ref")
    if isinstance(ref, str) and ref.startswith("#/$defs/"):
        return _inlined(defs[ref.removeprefix("#/$defs/")], defs)
    return {k: _inlined(v, defs) for k, v in schema.items() if k != "$defs"}


def _route_path(path: str) -> str:
    """The route of ``path``: the order itself (``/orders/{order_id}``, which PUT edits) only
    for a number, as its GET takes it, so that any other word after /orders/ is no order's
    address for any method."""
    end = "/{order_id}"
    return path.removesuffix(end) + "/{order_id:int}" if path.endswith(end) else path


def _add(kind: type[Command]) -> None:
    spec = kind.spec
    assert spec.path is not None
    endpoint = _endpoint(kind)
    schema = kind.body_schema()
    body = {"content": {"application/json": {"schema": _inlined(schema, schema.get("$defs", {}))}}}
    router.add_api_route(
        _route_path(spec.path),
        endpoint,
        methods=[spec.method],
        status_code=spec.status,
        response_model=ANSWERS[spec.result],
        responses=ACTION_RESPONSES,
        name=spec.name,
        summary=" ".join((kind.__doc__ or "").split()).split(";")[0].split(". ")[0],
        description=" ".join((kind.__doc__ or "").split()),
        tags=[_tag(spec)],
        openapi_extra={"requestBody": {**body, "required": bool(schema.get("required"))}},
    )


for _kind in COMMANDS:
    if _kind.spec.path is not None and _kind.spec.path != "/orders":
        _add(_kind)
