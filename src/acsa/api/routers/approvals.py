"""/api/v1/approvals: approval before commitment. Your nation's approval tiers (set by its
admin); the approval queue (drafts waiting for an approver, with running totals per partner
and currency); approving or returning one draft, or several at once with one comment (each
checked on its own, its outcome reported)."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Path
from fastapi.responses import Response
from pydantic import BaseModel, ConfigDict, Field

from acsa.adapters.db.unit_of_work import UnitOfWork
from acsa.api.context import Ctx, CtxDep
from acsa.api.problems import problem_responses
from acsa.api.routers.orders import RawBody
from acsa.domain import limits
from acsa.domain.access import Permission
from acsa.i18n import from_header
from acsa.schemas.approvals import ApprovalOut, BulkIn, BulkOut, QueueOut, TiersIn, TiersOut
from acsa.schemas.limits import Text
from acsa.services import approvals as service
from acsa.services.access import order_guard

router = APIRouter(prefix="/api/v1/approvals", tags=["approvals"])

OrderId = Annotated[int, Path(ge=1, le=limits.ID_MAX)]


class ApproveIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    #: The tier meant (another approver took it first: 409 APPROVAL_NOT_PENDING).
    tier: Annotated[int, Field(ge=1, le=limits.APPROVAL_TIERS_MAX)] | None = None
    comment: Annotated[str, Text("comment")] = ""


class ReturnIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    comment: Annotated[str, Text("comment")]


def _held(ctx: Ctx) -> UnitOfWork:
    """A held unit of work that sees the orders the caller's nation sees (a draft of another
    nation is not found)."""
    guard = order_guard(ctx.principal, Permission.VIEW)
    return UnitOfWork(ctx.engine, principal=ctx.principal, guard=guard, hold=True)


def _one(ctx: Ctx) -> UnitOfWork:
    guard = order_guard(ctx.principal, Permission.VIEW)
    return UnitOfWork(ctx.engine, principal=ctx.principal, guard=guard)


def _reader(ctx: Ctx) -> UnitOfWork:
    return UnitOfWork(ctx.engine, read_only=True, principal=ctx.principal)


@router.get("", response_model=QueueOut, responses=problem_responses(401))
def approval_queue(ctx: CtxDep) -> QueueOut:
    """Your nation's drafts waiting for an approval (``mine``: yours to approve now), with
    running totals per partner and currency."""
    return service.queue(_reader(ctx), ctx.nation, ctx.principal.name)


@router.post("", response_model=BulkOut, responses=problem_responses(400, 401, 422, 503))
def approve_many(ctx: CtxDep, doc: BulkIn) -> BulkOut:
    """Approve (``action`` approve) or return several drafts with one comment: each in its
    own transaction, a refusal of one (its code and words in ``results``) does not stop the
    others."""
    lang = from_header(ctx.request.headers.get("accept-language"))
    targets = [(t.order_id, t.tier) for t in doc.orders]
    return service.act_many(
        lambda: _one(ctx), doc.action, targets, ctx.principal.name, doc.comment, lang
    )


@router.post(
    "/{order_id}/approve",
    response_model=ApprovalOut,
    responses=problem_responses(400, 401, 403, 404, 409, 422, 503),
)
def approve(ctx: CtxDep, order_id: OrderId, doc: ApproveIn, body: RawBody) -> Response:
    """Approve the next tier of your nation's draft (an approver, not its placer, not the
    approver of an earlier tier); ``tier`` names the one meant: taken first by another
    approver, 409."""
    actor = ctx.principal.name
    return ctx.write(
        _held(ctx), body, lambda uow: service.approve(uow, order_id, actor, doc.tier, doc.comment)
    )


@router.post(
    "/{order_id}/return",
    response_model=ApprovalOut,
    responses=problem_responses(400, 401, 403, 404, 409, 422, 503),
)
def return_draft(ctx: CtxDep, order_id: OrderId, doc: ReturnIn, body: RawBody) -> Response:
    """Return your nation's draft to its requester with a comment (its approvals cleared)."""
    actor = ctx.principal.name
    return ctx.write(
        _held(ctx), body, lambda uow: service.return_draft(uow, order_id, actor, doc.comment)
    )


@router.get("/tiers", response_model=TiersOut, responses=problem_responses(401))
def get_tiers(ctx: CtxDep) -> TiersOut:
    """Your nation's approval tiers (none: drafts submit without approval)."""
    return service.get_tiers(_reader(ctx), ctx.nation)


@router.put("/tiers", response_model=TiersOut, responses=problem_responses(400, 401, 403, 422))
def set_tiers(ctx: CtxDep, doc: TiersIn, body: RawBody) -> Response:
    """Set your nation's approval tiers (admin): thresholds in one currency; a draft worth
    more than a threshold (converted at your nation's rate rule) needs that tier's approver.
    No thresholds: none."""
    actor = ctx.principal.name
    thresholds = list(doc.thresholds)
    return ctx.write(
        _held(ctx),
        body,
        lambda uow: service.set_tiers(uow, ctx.nation, thresholds, doc.currency, actor),
    )
