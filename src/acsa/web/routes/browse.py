"""The dashboard, the registry and the orders as the visitor's nation may see them."""

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


@router.get("/orders", response_class=HTMLResponse)
def overview(
    request: Request,
    pages: PagesDep,
    who: VisitorDep,
    as_of: str | None = None,
    status: str | None = None,
    agreement: str | None = None,
    page: str | None = None,
) -> HTMLResponse:
    """The registry as of a date, and the nation's orders (filtered, paged)."""
    data = views.overview(who, as_of, status, agreement, page)
    return pages.render(request, "index.html", who, title="Orders", view=data)


@router.get("/agreements/{agreement_id}", response_class=HTMLResponse)
def agreement(
    request: Request, pages: PagesDep, who: VisitorDep, agreement_id: str, as_of: str | None = None
) -> HTMLResponse:
    """One agreement: dates, scope, terms, every version, clauses and sources."""
    item = views.agreement_page(who, agreement_id, as_of)
    return pages.render(request, "agreement.html", who, title=f"Agreement {item.id}", a=item)


@router.get("/orders/{order_id}", response_class=HTMLResponse)
def order(request: Request, pages: PagesDep, who: VisitorDep, order_id: str) -> HTMLResponse:
    """One order: lines, history and, for a draft, what the checks refuse now."""
    row = views.order_page(who, order_id)
    return pages.render(request, "order.html", who, title=f"Order {row.order.id}", row=row)
