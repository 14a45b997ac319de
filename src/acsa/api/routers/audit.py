"""/api/v1/audit: the tamper-evident log, for auditors and admins: the records of your nation
(changes its people made and those of orders it is party to), and the chain check; partner
nodes' signed checkpoints of their chains (received without a token, the signature is the
credential) and the latest of each."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Depends, Query

from acsa.api.context import CtxDep, engine_of
from acsa.api.problems import problem_responses
from acsa.api.routers.orders import RawBody
from acsa.domain.access import Permission
from acsa.domain.limits import PAGE_LIMIT_MAX, PAGE_OFFSET_MAX
from acsa.services import audit as service
from acsa.services.audit import AuditRecordOut, AuditVerifyOut, PartnerHeadOut
from acsa.services.orders import get_order

router = APIRouter(prefix="/api/v1/audit", tags=["audit"])


@router.get(
    "", response_model=list[AuditRecordOut], responses=problem_responses(400, 401, 403, 404)
)
def audit_log(
    ctx: CtxDep,
    order: Annotated[
        int | None, Query(ge=1, le=2**31 - 1, description="Only this order's records.")
    ] = None,
    limit: Annotated[int, Query(ge=1, le=PAGE_LIMIT_MAX)] = 100,
    offset: Annotated[int, Query(ge=0, le=PAGE_OFFSET_MAX)] = 0,
    newest_first: Annotated[
        bool, Query(description="The newest records first (default: chain order, oldest first).")
    ] = False,
) -> list[AuditRecordOut]:
    """Records in chain order (or the newest first): who, when, what, before and after, and
    the chain's hashes (auditor or admin). An order your nation is not party to answers 404."""
    ctx.need(Permission.READ_AUDIT)
    if order is not None:
        get_order(ctx.reader(), order)  # 404 unless the nation is party to it
    return service.audit_log(ctx.reader(), order, ctx.nation, limit, offset, newest_first)


@router.get("/verify", response_model=AuditVerifyOut, responses=problem_responses(401, 403))
def verify(ctx: CtxDep) -> AuditVerifyOut:
    """Check every link and hash of the whole chain, that every ledger entry is covered as
    written, that every business row (orders, lines, history, invoices, payments, settlements,
    users, agreements) is what the chain last recorded, and the chain against the latest
    checkpoint kept outside the database (auditor or admin): ``ok``, or the first broken
    record and each row at fault (rows of other nations are counted, not named)."""
    ctx.need(Permission.READ_AUDIT)
    return service.verify_audit(ctx.reader(), nation=ctx.nation, keep_outcome=True)


@router.post(
    "/checkpoints",
    status_code=201,
    response_model=PartnerHeadOut,
    responses=problem_responses(400, 422),
)
def receive_checkpoint(body: RawBody, engine: Annotated[Any, Depends(engine_of)]) -> PartnerHeadOut:
    """A partner node's signed checkpoint of its own audit chain (no token: the signature,
    checked against the key registered for that partner, is the credential); the longest is
    kept. CHECKPOINT_INVALID if it is not one or not so signed; AUDIT_CHECKPOINT_MISMATCH if it
    counts fewer records than one that partner sent before, or another hash at the same
    record: that partner's chain was cut or rewritten."""
    return service.receive_partner_checkpoint(engine, body)


@router.get(
    "/partner-heads", response_model=list[PartnerHeadOut], responses=problem_responses(401, 403)
)
def partner_heads(ctx: CtxDep) -> list[PartnerHeadOut]:
    """The latest checkpoint each partner node sent of its audit chain (auditor or admin)."""
    ctx.need(Permission.READ_AUDIT)
    return service.partner_heads(ctx.reader())
