"""/api/v1: disputes. The disputes of your nation's orders (each with its age and value, open
or answered), the report per partner, and an order's disputes. Opening and answering one are
commands of the one table (POST /orders/{order_id}/disputes and
/orders/{order_id}/disputes/{dispute}/answer)."""

from __future__ import annotations

from enum import StrEnum
from typing import Annotated, cast

from fastapi import APIRouter, Path, Query

from acsa.api.context import CtxDep
from acsa.api.problems import problem_responses
from acsa.api.routers.ledger import FIRST_DAY, LAST_DAY
from acsa.domain import limits
from acsa.schemas.disputes import DisputeOut, DisputeReportRow
from acsa.schemas.limits import Day
from acsa.services import disputes as service
from acsa.services.ports import SqlUnitOfWork

router = APIRouter(prefix="/api/v1", tags=["disputes"])

OrderId = Annotated[int, Path(ge=1, le=limits.ID_MAX)]


class StatusIn(StrEnum):
    OPEN = "open"
    RESOLVED = "resolved"
    WITHDRAWN = "withdrawn"


AsOf = Annotated[
    Day | None,
    Query(ge=FIRST_DAY, le=LAST_DAY, description="Ages counted to this day (default: today)."),
]
Partner = Annotated[
    str | None,
    Query(pattern=r"^[A-Z]{3}$", description="Only disputes with this partner nation."),
]


@router.get("/disputes", response_model=list[DisputeOut], responses=problem_responses(400, 401))
def list_disputes(
    ctx: CtxDep,
    status: Annotated[StatusIn | None, Query(description="Only disputes in this state.")] = None,
    partner: Partner = None,
    as_of: AsOf = None,
) -> list[DisputeOut]:
    """The disputes of orders your nation is party to, oldest first: what is disputed, by
    whom, the amount, its age in days, and the answer once given."""
    uow = cast(SqlUnitOfWork, ctx.reader())
    return service.all_disputes(
        uow, ctx.nation, None if status is None else status.value, partner, as_of
    )


@router.get(
    "/disputes/report",
    response_model=list[DisputeReportRow],
    responses=problem_responses(400, 401),
)
def dispute_report(ctx: CtxDep, as_of: AsOf = None) -> list[DisputeReportRow]:
    """Per partner and currency: the open disputes (count, value, the oldest's age in days),
    those closed and what credit notes and write-offs took off."""
    uow = cast(SqlUnitOfWork, ctx.reader())
    return service.report(service.all_disputes(uow, ctx.nation, as_of=as_of))


@router.get(
    "/orders/{order_id}/disputes",
    response_model=list[DisputeOut],
    responses=problem_responses(401, 404),
)
def order_disputes(ctx: CtxDep, order_id: OrderId) -> list[DisputeOut]:
    """The disputes of one order, oldest first."""
    return service.disputes_of(ctx.reader(), order_id)
