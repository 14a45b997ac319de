"""/api/v1/audit: the tamper-evident log, for auditors and admins: the records of your nation
(changes its people made and those of orders it is party to), and the chain check."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query

from acsa.api.context import CtxDep
from acsa.api.problems import problem_responses
from acsa.domain.access import Permission
from acsa.domain.limits import PAGE_LIMIT_MAX, PAGE_OFFSET_MAX
from acsa.services import audit as service
from acsa.services.audit import AuditRecordOut, AuditVerifyOut
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
) -> list[AuditRecordOut]:
    """Records in chain order: who, when, what, before and after, and the chain's hashes
    (auditor or admin). An order your nation is not party to answers 404."""
    ctx.need(Permission.READ_AUDIT)
    if order is not None:
        get_order(ctx.reader(), order)  # 404 unless the nation is party to it
    return service.audit_log(ctx.reader(), order, ctx.nation, limit, offset)


@router.get("/verify", response_model=AuditVerifyOut, responses=problem_responses(401, 403))
def verify(ctx: CtxDep) -> AuditVerifyOut:
    """Check every link and hash of the whole chain and that every ledger entry is covered as
    written (auditor or admin): ``ok``, or the first broken record."""
    ctx.need(Permission.READ_AUDIT)
    return service.verify_audit(ctx.reader(), nation=ctx.nation)
