"""/api/v1/designations: a nation's designated officials. An admin designates users of their
own nation for a role (ordering, accepting, receiving, certifying) with an authority limit,
a validity period and the designation's reference, and ends designations; everyone of the
nation reads them and the nation's policy (designations enforced, duties separated)."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Path, Query
from fastapi.responses import Response

from acsa.adapters.db.unit_of_work import UnitOfWork
from acsa.api.context import Ctx, CtxDep
from acsa.api.problems import problem_responses
from acsa.api.routers.ledger import FIRST_DAY, LAST_DAY
from acsa.api.routers.orders import RawBody
from acsa.domain import limits
from acsa.schemas.designations import (
    DesignationEndIn,
    DesignationIn,
    DesignationOut,
    PolicyIn,
    PolicyOut,
)
from acsa.schemas.limits import Day
from acsa.services import designations as service

router = APIRouter(prefix="/api/v1/designations", tags=["designations"])

DesignationId = Annotated[int, Path(ge=1, le=limits.ID_MAX)]


def _held(ctx: Ctx) -> UnitOfWork:
    return UnitOfWork(ctx.engine, principal=ctx.principal, hold=True)


def _reader(ctx: Ctx) -> UnitOfWork:
    return UnitOfWork(ctx.engine, read_only=True, principal=ctx.principal)


@router.get("", response_model=list[DesignationOut], responses=problem_responses(400, 401))
def list_designations(
    ctx: CtxDep,
    user: Annotated[str | None, Query(min_length=1, max_length=200)] = None,
    on: Annotated[
        Day | None,
        Query(ge=FIRST_DAY, le=LAST_DAY, description="`current` as of this day (today)."),
    ] = None,
) -> list[DesignationOut]:
    """Your nation's designations, oldest first (of ``user`` only, if given); ``current``
    says whether each lets its official act on ``on`` (default today)."""
    return service.list_designations(_reader(ctx), ctx.nation, user, on)


@router.post(
    "",
    status_code=201,
    response_model=DesignationOut,
    responses=problem_responses(400, 401, 403, 404, 422, 503),
)
def add_designation(ctx: CtxDep, doc: DesignationIn, body: RawBody) -> Response:
    """Designate a user of your nation (admin) for a role with an authority limit, the days
    it is valid and its reference (the letter or order and its date). Your nation's first
    designation turns its enforcement on: from then its guarded steps need one."""
    data = doc.model_dump(mode="json")
    actor = ctx.principal.name
    return ctx.write(_held(ctx), body, lambda uow: service.add_designation(uow, data, actor), 201)


@router.post(
    "/{designation_id}/end",
    response_model=DesignationOut,
    responses=problem_responses(400, 401, 403, 404, 409, 422, 503),
)
def end_designation(
    ctx: CtxDep, designation_id: DesignationId, doc: DesignationEndIn, body: RawBody
) -> Response:
    """End (revoke) a designation of your nation from ``on`` (default today), with a reason
    (admin); it is kept, never deleted. One ended already: 409."""
    actor = ctx.principal.name
    return ctx.write(
        _held(ctx),
        body,
        lambda uow: service.end_designation(uow, designation_id, doc.on, doc.reason, actor),
    )


@router.get("/policy", response_model=PolicyOut, responses=problem_responses(401))
def get_policy(ctx: CtxDep) -> PolicyOut:
    """Whether your nation enforces its designations, and separates duties."""
    return service.get_policy(_reader(ctx), ctx.nation)


@router.post(
    "/policy",
    response_model=PolicyOut,
    responses=problem_responses(400, 401, 403, 422, 503),
)
def set_policy(ctx: CtxDep, doc: PolicyIn, body: RawBody) -> Response:
    """Turn your nation's enforcement of designations or its separation of duties on or off
    (admin); only what is given changes."""
    actor = ctx.principal.name
    return ctx.write(
        _held(ctx),
        body,
        lambda uow: service.set_policy(uow, ctx.nation, doc.required, doc.separation, actor),
    )
