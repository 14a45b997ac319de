"""The dashboard and the agreements, as the visitor's nation may see them (the orders are in
``acsa.web.routes.orders``)."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Request
from fastapi.responses import HTMLResponse

from acsa.web import views
from acsa.web.dashboard import dashboard
from acsa.web.pages import PagesDep
from acsa.web.session import Visitor, visitor

router = APIRouter()

VisitorDep = Annotated[Visitor, Depends(visitor)]


@router.get("/", response_class=HTMLResponse)
def home(request: Request, pages: PagesDep, who: VisitorDep) -> HTMLResponse:
    """The nation's dashboard."""
    return pages.render(request, "dashboard.html", who, title="Dashboard", view=dashboard(who))


@router.get("/agreements/{agreement_id}", response_class=HTMLResponse)
def agreement(
    request: Request, pages: PagesDep, who: VisitorDep, agreement_id: str, as_of: str | None = None
) -> HTMLResponse:
    """One agreement: dates, scope, terms, every version, clauses and sources."""
    item = views.agreement_page(who, agreement_id, as_of)
    from acsa.web.routes.registry import agreement_arrangements

    arrangements = agreement_arrangements(who, item.id, item.as_of)
    return pages.render(
        request,
        "agreement.html",
        who,
        title="Agreement",
        title_detail=item.id,
        a=item,
        arrangements=arrangements,
    )
