"""/api/v1/ledger/journal and /api/v1/ledger/gl-map: your nation's books in its own general
ledger's codes, for its accounting system, and the mapping that says which codes.

Always your own nation's: no ``nation`` parameter. The journal is read by finance officers
and auditors (GET: it changes nothing); ``POST /journal/exports`` (finance) takes only what
no earlier such export took, and records itself, so the next takes what came after. The
mapping is read by finance, auditors and admins, and changed by finance and admins (audited).
"""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query
from fastapi.responses import Response
from pydantic import RootModel

from acsa.adapters.db.unit_of_work import UnitOfWork
from acsa.api.context import Ctx, CtxDep
from acsa.api.problems import problem_responses
from acsa.api.routers.ledger import FIRST_DAY, LAST_DAY
from acsa.api.routers.orders import RawBody
from acsa.schemas.journal import (
    GlRuleIn,
    GlRuleOut,
    GlRulesIn,
    JournalExportOut,
    JournalNewIn,
    JournalOut,
)
from acsa.schemas.limits import Day
from acsa.services import journal as service

router = APIRouter(prefix="/api/v1/ledger", tags=["ledger"])

MEDIA = {"csv": "text/csv; charset=utf-8", "json": "application/json"}


def _held(ctx: Ctx) -> UnitOfWork:
    return UnitOfWork(ctx.engine, principal=ctx.principal, hold=True)


def _reader(ctx: Ctx) -> UnitOfWork:
    return UnitOfWork(ctx.engine, read_only=True, principal=ctx.principal)


@router.get(
    "/journal",
    response_model=JournalOut,
    responses={
        **problem_responses(400, 401, 403, 409, 422),
        200: {"content": {"text/csv": {}}, "description": "The journal (JSON or CSV)."},
    },
)
def journal(
    ctx: CtxDep,
    until: Annotated[Day, Query(ge=FIRST_DAY, le=LAST_DAY, description="Last day.")],
    since: Annotated[
        Day | None,
        Query(ge=FIRST_DAY, le=LAST_DAY, description="First day (not with new=true)."),
    ] = None,
    format: Annotated[str, Query(pattern="^(csv|json)$", description="csv or json.")] = "json",
    check: Annotated[
        bool, Query(description="Refuse (LEDGER_MISMATCH) unless it reconciles.")
    ] = False,
) -> Response:
    """Your nation's journal in its general-ledger mapping: one line per posting with its
    stable id, the totals per code and currency, and the reconciliation with your balances
    (``ledger balance`` as of ``until``). GL_MAPPING_MISSING (nothing recorded) if a posting's
    account has no rule. ``format=csv`` answers the lines only."""
    result = service.journal(_reader(ctx), None, since, until, False, format, "", check)
    text = service.journal_text(result, format)
    headers = {}
    if format == "csv":
        name = f"journal-{result.book}-{until.isoformat()}.csv"
        headers["Content-Disposition"] = f'attachment; filename="{name}"'
    return Response(text, media_type=MEDIA[format], headers=headers)


@router.get(
    "/journal/exports", response_model=list[JournalExportOut], responses=problem_responses(401, 403)
)
def journal_exports(ctx: CtxDep) -> list[JournalExportOut]:
    """Your nation's recorded (new) journal exports, newest first."""
    return service.exports(_reader(ctx))


@router.post(
    "/journal/exports",
    response_model=JournalOut,
    status_code=201,
    responses=problem_responses(400, 401, 403, 409, 422),
)
def export_new(ctx: CtxDep, doc: JournalNewIn, body: RawBody) -> Response:
    """Finance: the entries no earlier recorded export took, effective up to ``until``, in the
    mapping, recorded (``export``: its id; none when nothing was new) so that the next takes
    only what came after. An Idempotency-Key makes a retry answer the same export, never a
    second one. GL_MAPPING_MISSING (nothing recorded) if a posting's account has no rule;
    with ``check``, LEDGER_MISMATCH unless it reconciles with the book's balances."""
    actor = ctx.principal.name
    return ctx.write(
        _held(ctx),
        body,
        lambda uow: service.journal(uow, None, None, doc.until, True, "json", actor, doc.check),
        status_code=201,
    )


@router.get("/gl-map", response_model=list[GlRuleOut], responses=problem_responses(401, 403))
def gl_map(ctx: CtxDep) -> list[GlRuleOut]:
    """Your nation's mapping rules: account, partner (``*``: any), currency (``*``: any),
    general-ledger code and fund citation."""
    return service.list_rules(_reader(ctx))


@router.put("/gl-map", response_model=GlRuleOut, responses=problem_responses(400, 401, 403, 422))
def put_rule(ctx: CtxDep, doc: GlRuleIn, body: RawBody) -> Response:
    """Add a rule, or replace the one of the same account, partner and currency (finance or
    admin; audited). The most specific rule wins: account+partner+currency, account+partner,
    account+currency, the account alone."""
    actor = ctx.principal.name
    return ctx.write(
        _held(ctx),
        body,
        lambda uow: service.set_rule(
            uow,
            None,
            doc.account,
            doc.partner,
            doc.currency,
            doc.gl_code,
            doc.fund_citation,
            actor,
        ),
    )


@router.post(
    "/gl-map/import",
    response_model=list[GlRuleOut],
    responses=problem_responses(400, 401, 403, 422),
)
def import_rules(ctx: CtxDep, doc: GlRulesIn, body: RawBody) -> Response:
    """Add or replace every rule of a CSV file, all or none (finance or admin; audited per
    rule changed); your nation's rules after."""
    actor = ctx.principal.name
    return ctx.write(
        _held(ctx), body, lambda uow: _Rules(service.import_rules(uow, None, doc.csv, actor))
    )


class _Rules(RootModel[list[GlRuleOut]]):
    """A list of rules, as one model (what ``Ctx.write`` answers with)."""


@router.delete(
    "/gl-map", response_model=GlRuleOut, responses=problem_responses(400, 401, 403, 404, 422)
)
def delete_rule(
    ctx: CtxDep,
    account: Annotated[str, Query(max_length=32)],
    partner: Annotated[str, Query(max_length=3)] = "*",
    currency: Annotated[str, Query(max_length=3)] = "*",
) -> GlRuleOut:
    """Remove the rule of exactly this account, partner and currency (finance or admin;
    audited); GL_MAPPING_NOT_FOUND if there is none."""
    uow = UnitOfWork(ctx.engine, principal=ctx.principal)
    return service.remove_rule(uow, None, account, partner, currency, ctx.principal.name)
