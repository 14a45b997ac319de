"""The inbox on the pages: the unread count in every page's header, and /inbox (each notice in
the reader's language, its date, a link to its order, mark one read, mark all read)."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Form, Request
from fastapi.responses import HTMLResponse, RedirectResponse

from acsa.adapters.db.unit_of_work import UnitOfWork
from acsa.domain import limits
from acsa.services import notices as service
from acsa.web.pages import Pages, PagesDep
from acsa.web.session import Visitor, check_csrf, visitor

router = APIRouter()

VisitorDep = Annotated[Visitor, Depends(visitor)]
#: Notices the page shows, newest first.
SHOWN = 100


def inbox_unread(who: Visitor | None) -> int:
    """How many notices the visitor has not read (the header's count)."""
    if who is None:
        return 0
    return service.unread_count(UnitOfWork(who.engine, read_only=True), who.principal)


def install(pages: Pages) -> None:
    """Give every page the header's unread count."""
    for env in pages.envs.values():
        env.globals["inbox_unread"] = inbox_unread


@router.get("/inbox", response_class=HTMLResponse)
def inbox_page(request: Request, pages: PagesDep, who: VisitorDep) -> HTMLResponse:
    """Your notices, newest first, in your language."""
    found = service.inbox(
        UnitOfWork(who.engine, read_only=True),
        who.principal,
        who.lang,
        limit=min(SHOWN, limits.NOTICE_PAGE_MAX),
    )
    return pages.render(request, "inbox.html", who, title="Inbox", inbox=found)


@router.post("/inbox/read-all", response_model=None)
def read_all(who: VisitorDep, csrf: Annotated[str | None, Form()] = None) -> RedirectResponse:
    """Mark every notice read."""
    check_csrf(who, csrf)
    service.mark_all_read(UnitOfWork(who.engine, principal=who.principal), who.principal)
    return RedirectResponse("/inbox", status_code=303)


@router.post("/inbox/{notice_id}/read", response_model=None)
def read_one(
    who: VisitorDep, notice_id: int, csrf: Annotated[str | None, Form()] = None
) -> RedirectResponse:
    """Mark one notice read."""
    check_csrf(who, csrf)
    if not 1 <= notice_id <= limits.ID_MAX:
        notice_id = 0  # no such notice: refused as not found
    service.mark_read(UnitOfWork(who.engine, principal=who.principal), who.principal, notice_id)
    return RedirectResponse(f"/inbox#notice-{notice_id}", status_code=303)
