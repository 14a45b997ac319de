"""/api/v1/rates: each nation's exchange-rate rule (the day's reference rate, or an official
rate per fiscal year) and the official rates recorded. Any signed-in person reads them; a
nation's rule and official rates are set by an admin of that nation or a registry keeper
(decided by the service, as for the CLI on the installation's own database)."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Path, Query
from fastapi.responses import Response

from acsa.adapters.db.unit_of_work import UnitOfWork
from acsa.api.context import CtxDep
from acsa.api.problems import problem_responses
from acsa.api.routers.orders import RawBody
from acsa.schemas.rates import (
    OfficialRateIn,
    OfficialRateOut,
    RuleIn,
    RuleOut,
    official_rate_out,
    rule_out,
)
from acsa.services import rates as service

router = APIRouter(prefix="/api/v1/rates", tags=["rates"])

#: A nation as a path segment or a query parameter: three printable characters (an unknown
#: code answers 422 UNKNOWN_PARTY from the service).
Nation = Annotated[str, Path(pattern=r"^[^\x00-\x1f\x7f]{3}$")]


@router.get("/rules", response_model=list[RuleOut], responses=problem_responses(400, 401))
def list_rules(ctx: CtxDep) -> list[RuleOut]:
    """The rate rule of every nation acsa ships data for or this installation has set."""
    return [rule_out(rule) for rule in service.rate_rules(ctx.reader())]


@router.get("/rules/{nation}", response_model=RuleOut, responses=problem_responses(400, 401, 422))
def show_rule(ctx: CtxDep, nation: Nation) -> RuleOut:
    """One nation's rate rule: daily_reference or official_fiscal_year, its own currency, and
    whether this installation set it."""
    return rule_out(service.rate_rule(ctx.reader(), nation))


@router.post(
    "/rules/{nation}",
    response_model=RuleOut,
    responses=problem_responses(400, 401, 403, 409, 422, 503),
)
def set_rule(ctx: CtxDep, nation: Nation, doc: RuleIn, body: RawBody) -> Response:
    """Set the rule a nation's conversions (ceilings, the order form) follow on this
    installation: an admin of that nation or a registry keeper (403 otherwise); audited."""
    actor = ctx.principal.name

    def change(uow: UnitOfWork) -> RuleOut:
        return rule_out(service.set_rate_rule(uow, nation, doc.rule.value, actor))

    uow = UnitOfWork(ctx.engine, principal=ctx.principal, hold=True)
    return ctx.write(uow, body, change)


@router.get(
    "/official", response_model=list[OfficialRateOut], responses=problem_responses(400, 401, 422)
)
def list_official(
    ctx: CtxDep,
    nation: Annotated[
        str | None,
        Query(pattern=r"^[^\x00-\x1f\x7f]{3}$", description="Only this nation's rates."),
    ] = None,
) -> list[OfficialRateOut]:
    """The official rates recorded, by nation, fiscal year and currency."""
    return [official_rate_out(r) for r in service.official_rates_of(ctx.reader(), nation)]


@router.post(
    "/official",
    response_model=OfficialRateOut,
    responses=problem_responses(400, 401, 403, 409, 422, 503),
)
def set_official(ctx: CtxDep, doc: OfficialRateIn, body: RawBody) -> Response:
    """Record a nation's official rate of a currency for the whole of one of its fiscal years
    (replacing one recorded before): an admin of that nation or a registry keeper; audited."""
    actor = ctx.principal.name

    def change(uow: UnitOfWork) -> OfficialRateOut:
        record = service.set_official_rate(
            uow, doc.nation, doc.fiscal_year, doc.currency, doc.rate, doc.source, actor
        )
        return official_rate_out(record)

    uow = UnitOfWork(ctx.engine, principal=ctx.principal, hold=True)
    return ctx.write(uow, body, change)
