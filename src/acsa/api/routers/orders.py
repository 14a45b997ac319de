"""/api/v1/orders: place, check, list and show; the lifecycle's actions are the command
table's routes (routers/commands.py)."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Query, Request
from fastapi.responses import Response
from pydantic import BaseModel

from acsa.adapters.db.unit_of_work import UnitOfWork
from acsa.api.context import CtxDep, etag
from acsa.api.problems import problem_responses
from acsa.commands import PlaceOrder
from acsa.domain import limits
from acsa.domain.access import Permission
from acsa.domain.order import OrderStatus
from acsa.domain.order_search import SORTS, order_query
from acsa.schemas.limits import Day
from acsa.schemas.orders import ErrorsOut, OrderIn, OrderOut, order_out, violation_out
from acsa.services import orders as service
from acsa.services.access import scope
from acsa.services.handlers import handle

router = APIRouter(prefix="/api/v1/orders", tags=["orders"])


async def raw_body(request: Request) -> bytes:
    """The request body as sent (read once; Starlette keeps it for the model parsing too)."""
    return await request.body()


RawBody = Annotated[bytes, Depends(raw_body)]


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
    q: Annotated[
        str | None,
        Query(
            max_length=limits.SEARCH_CHARS_MAX,
            pattern=limits.SINGLE_LINE_PATTERN,
            description="Search: the order's number (``12``; ``#12`` for that number only) or "
            "part of its place, operation, remarks, references, units, or a line's "
            "description or NSN, in any case.",
        ),
    ] = None,
    sort: Annotated[
        str | None,
        Query(
            pattern=f"^({'|'.join(SORTS)})$",
            description="Sort by the order's number (default), date, status (in lifecycle "
            "order) or total (per currency), then by number.",
        ),
    ] = None,
    direction: Annotated[
        str | None,
        Query(alias="dir", pattern="^(asc|desc)$", description="asc (default) or desc."),
    ] = None,
    limit: Annotated[int, Query(ge=1, le=limits.PAGE_LIMIT_MAX)] = 50,
    offset: Annotated[int, Query(ge=0, le=limits.PAGE_OFFSET_MAX)] = 0,
) -> list[OrderOut]:
    """Orders of your nation, by number unless sorted otherwise, searched and paged in the
    database; ``X-Total-Count`` says how many match, and a ``Link: rel="next"`` header is
    there when more follow."""
    asked = order_query(
        status=status.value if status else None,
        agreement=agreement,
        party=scope(ctx.principal),
        partner=partner.upper() if partner else None,
        since=since,
        until=until,
        q=q,
        sort=sort,
        direction=direction,
        limit=limit,
        offset=offset,
    )
    found = service.search_orders(ctx.reader(), asked, with_history=True)
    orders = found.orders
    response.headers["X-Total-Count"] = str(found.total)
    if orders and offset + len(orders) < found.total:
        after = ctx.request.url.include_query_params(offset=offset + limit, limit=limit)
        response.headers["Link"] = f'<{after.path}?{after.query}>; rel="next"'
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
        order, _ = handle(uow, PlaceOrder(order=doc), ctx.principal.name)
        assert order.id is not None
        return service.order_view(uow, order.id, acted=True)

    return ctx.write(ctx.writer(Permission.PLACE), body, change, 201, _created)


@router.post("/check", response_model=ErrorsOut, responses=problem_responses(400, 401, 404, 422))
def check(ctx: CtxDep, doc: OrderIn) -> ErrorsOut:
    """Every violation an order document would meet on submit; nothing is saved. An agreement
    your nation is not party to answers 404 AGREEMENT_NOT_FOUND, as one that does not exist
    and as placing the same document does."""
    violations = service.check_document(ctx.reader(), doc)
    return ErrorsOut(errors=[violation_out(v) for v in violations])


# ``:int``: /orders/check is no order (GET on it is a 405, not an unreadable order number).
@router.get("/{order_id:int}", response_model=OrderOut, responses=problem_responses(401, 404, 422))
def show(ctx: CtxDep, order_id: int, response: Response) -> OrderOut:
    """One order with its lines, history and notes; its ETag is the version to send as
    If-Match."""
    result = service.order_view(ctx.reader(), order_id)
    response.headers["ETag"] = etag(result.version)
    return result
