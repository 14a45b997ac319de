"""/api/v1: notices. The caller's inbox (newest first, with the unread count), marking one or
all read, and an alerts run (admins: the notices due on a day, after the deadline sweep when
asked), as ``acsa alerts run`` does.

Marking a notice read is idempotent: marking one read already answers 200 with the time it was
first read, so clients racing on one notice all see 200 (never a 409). A notice not in the
caller's inbox is NOTICE_NOT_FOUND (404), whoever's it is.
"""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Path, Query, Request

from acsa.adapters.db.unit_of_work import UnitOfWork
from acsa.api.context import CtxDep
from acsa.api.language import language_of
from acsa.api.problems import problem_responses
from acsa.domain import limits
from acsa.domain.access import Permission
from acsa.schemas.notices import AlertsIn, AlertsOut, InboxOut, NoticeOut, ReadAllOut
from acsa.services import notices as service

router = APIRouter(prefix="/api/v1", tags=["notices"])

NoticeId = Annotated[int, Path(ge=1, le=limits.ID_MAX)]


def _lang(request: Request) -> str | None:
    """The language asked for, or None: the caller's own (their account's)."""
    if not request.headers.get("Accept-Language"):
        return None
    return language_of(request.headers)


@router.get("/notices", response_model=InboxOut, responses=problem_responses(400, 401))
def list_notices(
    ctx: CtxDep,
    unread: Annotated[bool, Query(description="Only the notices not read yet.")] = False,
    limit: Annotated[int, Query(ge=1, le=limits.NOTICE_PAGE_MAX)] = 50,
    offset: Annotated[int, Query(ge=0, le=limits.PAGE_OFFSET_MAX)] = 0,
) -> InboxOut:
    """Your notices, newest first, each in your language (``Accept-Language``, else your
    account's), with how many are unread."""
    uow = UnitOfWork(ctx.engine, read_only=True, principal=ctx.principal)
    return service.inbox(uow, ctx.principal, _lang(ctx.request), unread, limit, offset)


@router.post("/notices/read-all", response_model=ReadAllOut, responses=problem_responses(401))
def read_all(ctx: CtxDep) -> ReadAllOut:
    """Mark every notice of your inbox read."""
    return service.mark_all_read(UnitOfWork(ctx.engine, principal=ctx.principal), ctx.principal)


@router.post(
    "/notices/{notice_id}/read", response_model=NoticeOut, responses=problem_responses(401, 404)
)
def read_one(ctx: CtxDep, notice_id: NoticeId) -> NoticeOut:
    """Mark one notice of your inbox read (again: it stays read since the first time)."""
    uow = UnitOfWork(ctx.engine, principal=ctx.principal)
    return service.mark_read(uow, ctx.principal, notice_id, _lang(ctx.request))


@router.post(
    "/alerts/run", response_model=AlertsOut, responses=problem_responses(400, 401, 403, 422)
)
def run_alerts(ctx: CtxDep, body: AlertsIn | None = None) -> AlertsOut:
    """Admins: make every notice due on ``as_of`` (default today, UTC) not made yet, after
    the settlement deadline sweep of that day with ``sweep``; what was made. Running it again
    makes nothing twice."""
    ctx.need(Permission.MANAGE_USERS)
    given = body or AlertsIn()
    return service.run_alerts(
        UnitOfWork(ctx.engine), given.as_of, ctx.principal.name, sweep=given.sweep
    )
