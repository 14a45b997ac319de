"""/api/v1/orders: place, check, list, show, and the lifecycle's actions."""

from __future__ import annotations

from collections.abc import Callable
from decimal import Decimal
from typing import Annotated

from fastapi import APIRouter, Depends, Query, Request
from fastapi.responses import Response
from pydantic import BaseModel, Field

from acsa.adapters.db.unit_of_work import UnitOfWork
from acsa.api.context import CtxDep, etag
from acsa.api.problems import problem_responses
from acsa.domain import limits
from acsa.domain.access import Permission
from acsa.domain.errors import AcsaError
from acsa.domain.order import Order, OrderStatus
from acsa.schemas.limits import Day, LineKey, QuantityOrZero, Text, duplicate_keys
from acsa.schemas.orders import ErrorsOut, OrderIn, OrderOut, Strict, order_out, violation_out
from acsa.services import orders as service
from acsa.services.access import scope
from acsa.services.orders import order_not_found
from acsa.services.settlement import close as close_order

router = APIRouter(prefix="/api/v1/orders", tags=["orders"])


async def raw_body(request: Request) -> bytes:
    """The request body as sent (read once; Starlette keeps it for the model parsing too)."""
    return await request.body()


RawBody = Annotated[bytes, Depends(raw_body)]


class QuantitiesIn(Strict):
    """Optional per-line quantities (line number -> quantity) and a note, for accept, deliver
    and receive; without lines, every line in full (as the CLI without ``--line``). Line
    numbers are plain whole numbers, each given once."""

    lines: dict[LineKey, QuantityOrZero] | None = Field(
        default=None, max_length=limits.ORDER_LINES_MAX
    )
    note: Annotated[str, Text("note")] = ""

    def quantities(self, raw: bytes) -> dict[int, Decimal] | None:
        """The lines as numbers, refused if a line is given twice in ``raw``."""
        twice = duplicate_keys(raw)
        if twice:
            raise AcsaError(twice)
        return limits.line_quantities("lines", self.lines, limits.QUANTITY_OR_ZERO)


class ReasonIn(Strict):
    reason: Annotated[str, Text("reason")] = ""


def _stored(uow: UnitOfWork, order_id: int) -> OrderOut:
    """The order as it now stands in ``uow``'s transaction, with its whole history."""
    with uow:
        order = uow.orders.get(order_id, with_history=True)
        if order is None:
            raise order_not_found(order_id)
        violations = service.violations_now(uow, order) if order.status is OrderStatus.DRAFT else []
    return order_out(order, violations)


def _etag(result: BaseModel) -> dict[str, str]:
    assert isinstance(result, OrderOut)
    return {"ETag": etag(result.version)}


def _created(result: BaseModel) -> dict[str, str]:
    assert isinstance(result, OrderOut)
    return {**_etag(result), "Location": f"{router.prefix}/{result.id}"}


@router.get("", response_model=list[OrderOut], responses=problem_responses(400, 401))
def list_orders(
    ctx: CtxDep,
    response: Response,
    status: Annotated[OrderStatus | None, Query(description="Only orders in this state.")] = None,
    agreement: Annotated[str | None, Query(max_length=64)] = None,
    partner: Annotated[str | None, Query(min_length=3, max_length=3)] = None,
    since: Annotated[Day | None, Query(description="Order date on or after.")] = None,
    until: Annotated[Day | None, Query(description="Order date on or before.")] = None,
    limit: Annotated[int, Query(ge=1, le=limits.PAGE_LIMIT_MAX)] = 50,
    offset: Annotated[int, Query(ge=0, le=limits.PAGE_OFFSET_MAX)] = 0,
) -> list[OrderOut]:
    """Orders of your nation, by number; a ``Link: rel="next"`` header when there may be more."""
    orders = service.list_orders(
        ctx.reader(),
        status=status.value if status else None,
        agreement=agreement,
        limit=limit,
        offset=offset,
        party=scope(ctx.principal),
        partner=partner.upper() if partner else None,
        since=since,
        until=until,
    )
    if len(orders) == limit:
        query = ctx.request.url.include_query_params(offset=offset + limit, limit=limit)
        response.headers["Link"] = f'<{query.path}?{query.query}>; rel="next"'
    return [order_out(o) for o in orders]


@router.post(
    "",
    status_code=201,
    response_model=OrderOut,
    responses=problem_responses(400, 401, 403, 404, 409, 422),
)
def place(ctx: CtxDep, doc: OrderIn, body: RawBody) -> Response:
    """Save a draft. Malformed orders are refused (422), as is an order between other nations
    than the agreement's two (422 PARTY_NOT_IN_AGREEMENT or SAME_PARTY); an agreement your
    nation is not party to is not found (404, as in check); what else the agreement would
    refuse is listed in ``violations`` and must be fixed before submit."""

    def change(uow: UnitOfWork) -> OrderOut:
        order, _ = service.place_order(uow, doc.model_dump(), ctx.principal.name)
        assert order.id is not None
        return _stored(uow, order.id)

    return ctx.write(ctx.writer(Permission.PLACE), body, change, 201, _created)


@router.post("/check", response_model=ErrorsOut, responses=problem_responses(400, 401, 404, 422))
def check(ctx: CtxDep, doc: OrderIn) -> ErrorsOut:
    """Every violation an order document would meet on submit; nothing is saved. An agreement
    your nation is not party to answers 404 AGREEMENT_NOT_FOUND, as one that does not exist
    and as placing the same document does."""
    violations = service.check_document(ctx.reader(), doc.model_dump())
    return ErrorsOut(errors=[violation_out(v) for v in violations])


# ``:int``: /orders/check is no order (GET on it is a 405, not an unreadable order number).
@router.get("/{order_id:int}", response_model=OrderOut, responses=problem_responses(401, 404, 422))
def show(ctx: CtxDep, order_id: int, response: Response) -> OrderOut:
    """One order with its lines and history; its ETag is the version to send as If-Match."""
    order = service.get_order(ctx.reader(), order_id)
    violations = (
        service.violations_now(ctx.reader(), order) if order.status is OrderStatus.DRAFT else []
    )
    result = order_out(order, violations)
    response.headers["ETag"] = etag(result.version)
    return result


Step = Callable[[UnitOfWork, int, str], Order]


def _act(ctx: CtxDep, order_id: int, body: bytes, permission: Permission, step: Step) -> Response:
    def change(uow: UnitOfWork) -> OrderOut:
        step(uow, order_id, ctx.principal.name)
        return _stored(uow, order_id)

    return ctx.write(ctx.writer(permission), body, change, 200, _etag)


ACTION_RESPONSES = problem_responses(400, 401, 403, 404, 409, 422, 503)


@router.post("/{order_id}/submit", response_model=OrderOut, responses=ACTION_RESPONSES)
def submit(ctx: CtxDep, order_id: int, body: RawBody) -> Response:
    """Submit a draft; refused with every violation of the agreement's rules."""
    return _act(ctx, order_id, body, Permission.SUBMIT, service.submit)


@router.post("/{order_id}/accept", response_model=OrderOut, responses=ACTION_RESPONSES)
def accept(ctx: CtxDep, order_id: int, body: RawBody, doc: QuantitiesIn | None = None) -> Response:
    """Accept for the supplying nation (approver), in full or per line; checks ceilings."""
    lines = doc.quantities(body) if doc else None
    return _act(
        ctx,
        order_id,
        body,
        Permission.ACCEPT,
        lambda uow, i, actor: service.accept(uow, i, actor, lines),
    )


@router.post("/{order_id}/reject", response_model=OrderOut, responses=ACTION_RESPONSES)
def reject(ctx: CtxDep, order_id: int, body: RawBody, doc: ReasonIn | None = None) -> Response:
    """Reject for the supplying nation (approver), with a reason for the record."""
    reason = doc.reason if doc else ""
    return _act(
        ctx,
        order_id,
        body,
        Permission.REJECT,
        lambda uow, i, actor: service.reject(uow, i, actor, reason),
    )


@router.post("/{order_id}/cancel", response_model=OrderOut, responses=ACTION_RESPONSES)
def cancel(ctx: CtxDep, order_id: int, body: RawBody, doc: ReasonIn | None = None) -> Response:
    """Cancel for the requesting nation, with a reason for the record."""
    reason = doc.reason if doc else ""
    return _act(
        ctx,
        order_id,
        body,
        Permission.CANCEL,
        lambda uow, i, actor: service.cancel(uow, i, actor, reason),
    )


@router.post("/{order_id}/deliver", response_model=OrderOut, responses=ACTION_RESPONSES)
def deliver(ctx: CtxDep, order_id: int, body: RawBody, doc: QuantitiesIn | None = None) -> Response:
    """Record a delivery by the supplying nation (logistics), in full or per line."""
    lines = doc.quantities(body) if doc else None
    return _act(
        ctx,
        order_id,
        body,
        Permission.DELIVER,
        lambda uow, i, actor: service.deliver(uow, i, actor, lines),
    )


@router.post("/{order_id}/receive", response_model=OrderOut, responses=ACTION_RESPONSES)
def receive(ctx: CtxDep, order_id: int, body: RawBody, doc: QuantitiesIn | None = None) -> Response:
    """Record a receipt by the requesting nation (logistics); posts to both books."""
    lines, note = (doc.quantities(body), doc.note) if doc else (None, "")
    return _act(
        ctx,
        order_id,
        body,
        Permission.RECEIVE,
        lambda uow, i, actor: service.receive(uow, i, actor, lines, note),
    )


@router.post("/{order_id}/close", response_model=OrderOut, responses=ACTION_RESPONSES)
def close(ctx: CtxDep, order_id: int, body: RawBody) -> Response:
    """Close a received order once nothing is owed on it (finance of either nation)."""
    return _act(ctx, order_id, body, Permission.CLOSE, close_order)
