"""The approval queue (/approvals): your nation's drafts waiting for an approver, with
running totals per partner and currency; an approver ticks several and approves or returns
them with one comment (each checked on its own, its outcome shown). Your nation's approval
tiers are shown; its admin sets them here."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Form, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from acsa.adapters.db.unit_of_work import UnitOfWork
from acsa.domain import limits
from acsa.domain.access import Permission, Role
from acsa.domain.errors import AcsaError, Code, Violation
from acsa.schemas.approvals import BulkResult, DraftApprovalOut
from acsa.schemas.orders import ViolationOut, violation_out
from acsa.services import approvals as service
from acsa.services.access import order_guard
from acsa.web.pages import Pages, PagesDep
from acsa.web.session import Visitor, check_csrf, visitor

router = APIRouter()

VisitorDep = Annotated[Visitor, Depends(visitor)]
#: What the form takes of each field: more than any bound, so that the domain's refusal
#: (naming the field and its bound) is what a too-long text meets.
FORM_CHARS_MAX = 4000


def draft_approval(who: Visitor, order_id: int) -> DraftApprovalOut | None:
    """Where a draft the visitor sees stands with its approvals (the order page's panel)."""
    try:
        return service.draft_state(who.reader(), order_id)
    except AcsaError:
        return None


def install(pages: Pages) -> None:
    """Give the order page the panel of a draft's approvals."""
    for env in pages.envs.values():
        env.globals["draft_approval"] = draft_approval


def _page(
    request: Request,
    pages: PagesDep,
    who: Visitor,
    results: list[BulkResult] | None = None,
    errors: list[ViolationOut] | None = None,
    comment: str = "",
    done: str = "",
    status_code: int = 200,
) -> HTMLResponse:
    reader = UnitOfWork(who.engine, read_only=True, principal=who.principal)
    queue = service.queue(reader, who.nation, who.principal.name)
    tiers = service.get_tiers(reader, who.nation)
    return pages.render(
        request,
        "approvals.html",
        who,
        status_code=status_code,
        title="Approval queue",
        queue=queue,
        tiers=tiers,
        approver=Role.APPROVER in who.principal.roles,
        admin=who.may(Permission.MANAGE_USERS),
        results=results or [],
        errors=errors or [],
        comment=comment,
        done=done,
    )


@router.get("/approvals", response_class=HTMLResponse)
def approvals_page(
    request: Request, pages: PagesDep, who: VisitorDep, done: str = ""
) -> HTMLResponse:
    """What waits for your nation's approvers, and your nation's tiers."""
    return _page(request, pages, who, done="tiers" if done == "tiers" else "")


def _target(value: str) -> tuple[int, int | None]:
    """A ticked draft: ``ID`` or ``ID:TIER`` (the tier it waited for when the page was
    shown)."""
    head, _, tier = value.partition(":")
    try:
        order_id = int(head)
        meant = int(tier) if tier else None
    except ValueError:
        order_id, meant = 0, None
    if not 0 < order_id <= limits.ID_MAX or (meant is not None and not 0 < meant < 100):
        raise AcsaError.single(Code.INVALID_FIELD, "order", "{name} is not an order", name="order")
    return order_id, meant


@router.post("/approvals", response_model=None)
def act(
    request: Request,
    pages: PagesDep,
    who: VisitorDep,
    action: Annotated[str, Form(max_length=20)] = "",
    order: Annotated[list[str] | None, Form(max_length=40)] = None,
    comment: Annotated[str, Form(max_length=FORM_CHARS_MAX)] = "",
    csrf: Annotated[str, Form(max_length=200)] = "",
) -> Response:
    """Approve or return the ticked drafts with one comment; each one's outcome is shown."""
    check_csrf(who, csrf)
    try:
        if action not in ("approve", "return"):
            raise AcsaError.single(
                Code.INVALID_FIELD, "action", "{name} is not an action", name="action"
            )
        ticked = [_target(v) for v in (order or [])][: limits.APPROVAL_BATCH_MAX]
        if not ticked:
            raise AcsaError([Violation(Code.MISSING_FIELD, "order", "tick at least one draft")])
    except AcsaError as refused:
        errors = [violation_out(v, who.lang) for v in refused.violations]
        return _page(request, pages, who, errors=errors, comment=comment, status_code=400)
    guard = order_guard(who.principal, Permission.VIEW)

    def opened() -> UnitOfWork:
        return UnitOfWork(who.engine, principal=who.principal, guard=guard)

    done = service.act_many(opened, action, ticked, who.principal.name, comment, who.lang)
    failed = any(not r.ok for r in done.results)
    return _page(
        request,
        pages,
        who,
        results=done.results,
        comment=comment if failed else "",
        status_code=200,
    )


@router.post("/approvals/tiers", response_model=None)
def set_tiers(
    request: Request,
    pages: PagesDep,
    who: VisitorDep,
    thresholds: Annotated[str, Form(max_length=FORM_CHARS_MAX)] = "",
    currency: Annotated[str, Form(max_length=FORM_CHARS_MAX)] = "",
    csrf: Annotated[str, Form(max_length=200)] = "",
) -> Response:
    """Set your nation's approval tiers (admin): thresholds separated by spaces or commas."""
    check_csrf(who, csrf)
    given = [v for v in thresholds.replace(",", " ").split() if v]
    try:
        writer = UnitOfWork(who.engine, principal=who.principal)
        service.set_tiers(writer, who.nation, given, currency.strip().upper(), who.principal.name)
    except AcsaError as refused:
        errors = [violation_out(v, who.lang) for v in refused.violations]
        status = 403 if any(v.code is Code.FORBIDDEN for v in refused.violations) else 400
        return _page(request, pages, who, errors=errors, status_code=status)
    return RedirectResponse("/approvals?done=tiers", status_code=303)
