"""Your nation's webhooks and the delivery log of its notices (an admin of the nation): add a
webhook (its key shown once, here), stop one, read every attempt by e-mail and webhook."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Depends, Form, Path, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from acsa.adapters.db.unit_of_work import UnitOfWork
from acsa.domain import limits
from acsa.domain.errors import AcsaError, Code
from acsa.domain.notices import NoticeKind
from acsa.i18n.notice_words import kind_label
from acsa.schemas.orders import ViolationOut, violation_out
from acsa.services import notice_delivery as service
from acsa.web.pages import PagesDep
from acsa.web.session import Visitor, check_csrf, visitor

router = APIRouter()

VisitorDep = Annotated[Visitor, Depends(visitor)]
#: What the form takes of each field: more than any bound, so that the domain's refusal
#: (naming the field and its bound) is what a too-long text meets.
FORM_CHARS_MAX = 1000
#: Attempts the page shows, newest first.
LOG_ROWS = 100


def _page(
    request: Request,
    pages: PagesDep,
    who: Visitor,
    values: dict[str, Any] | None = None,
    errors: list[ViolationOut] | None = None,
    made: dict[str, Any] | None = None,
    done: str = "",
    status_code: int = 200,
) -> HTMLResponse:
    reader = UnitOfWork(who.engine, read_only=True, principal=who.principal)
    hooks = service.list_webhooks(reader, who.nation)
    log = service.delivery_log(
        UnitOfWork(who.engine, read_only=True, principal=who.principal),
        who.nation,
        limit=LOG_ROWS,
    )
    return pages.render(
        request,
        "webhooks.html",
        who,
        status_code=status_code,
        title="Webhooks and deliveries",
        hooks=hooks,
        log=log,
        kinds=[(k.value, kind_label(k.value, who.lang)) for k in NoticeKind],
        label=lambda kind: kind_label(kind, who.lang),
        values=values or {"url": "", "kinds": []},
        errors=errors or [],
        made=made,
        done=done,
    )


def _refused(
    request: Request,
    pages: PagesDep,
    who: Visitor,
    refused: AcsaError,
    values: dict[str, Any] | None = None,
) -> HTMLResponse:
    errors = [violation_out(v, who.lang) for v in refused.violations]
    codes = {v.code for v in refused.violations}
    status = 403 if Code.FORBIDDEN in codes else 404 if Code.WEBHOOK_NOT_FOUND in codes else 400
    if status == 403:
        raise refused
    return _page(request, pages, who, values, errors, status_code=status)


@router.get("/webhooks", response_class=HTMLResponse)
def webhooks_page(
    request: Request, pages: PagesDep, who: VisitorDep, done: str = ""
) -> HTMLResponse:
    """Your nation's webhooks and the delivery log (admin)."""
    return _page(request, pages, who, done="removed" if done == "removed" else "")


@router.post("/webhooks", response_model=None)
def add_webhook(
    request: Request,
    pages: PagesDep,
    who: VisitorDep,
    url: Annotated[str, Form(max_length=FORM_CHARS_MAX)] = "",
    kinds: Annotated[list[str] | None, Form()] = None,
    csrf: Annotated[str, Form(max_length=200)] = "",
) -> Response:
    """Add a webhook of your nation (admin); the page shows its key once."""
    check_csrf(who, csrf)
    picked = [k[:40] for k in kinds or []]
    values = {"url": url, "kinds": picked}
    try:
        writer = UnitOfWork(who.engine, principal=who.principal)
        made = service.add_webhook(writer, who.nation, url, picked, who.principal.name)
    except AcsaError as refused:
        return _refused(request, pages, who, refused, values)
    return _page(request, pages, who, made=made, done="added", status_code=201)


@router.post("/webhooks/{webhook_id}/remove", response_model=None)
def remove_webhook(
    request: Request,
    pages: PagesDep,
    who: VisitorDep,
    webhook_id: Annotated[int, Path(ge=1, le=limits.ID_MAX)],
    csrf: Annotated[str, Form(max_length=200)] = "",
) -> Response:
    """Stop a webhook of your nation (admin)."""
    check_csrf(who, csrf)
    try:
        writer = UnitOfWork(who.engine, principal=who.principal)
        service.remove_webhook(writer, who.nation, webhook_id, who.principal.name)
    except AcsaError as refused:
        return _refused(request, pages, who, refused)
    return RedirectResponse("/webhooks?done=removed", status_code=303)
