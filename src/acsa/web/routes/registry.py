"""The registry of the agreements the visitor's nation is party to (registry keepers: every
agreement; the service decides, see services/agreements.py), as of a day: dates, status, what
each covers and excludes, its settlement terms, ceilings and sources, with a link to each
agreement's page and versions."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from typing import Annotated

from fastapi import APIRouter, Depends, Query, Request
from fastapi.responses import HTMLResponse

from acsa.clock import today
from acsa.schemas.arrangements import ArrangementOut, arrangement_out
from acsa.schemas.orders import AgreementOut, agreement_out
from acsa.services import arrangements as arrangement_service
from acsa.web.pages import PagesDep
from acsa.web.session import Visitor, visitor
from acsa.web.tables import N_
from acsa.web.views import parse_as_of, visible_agreements

router = APIRouter()

VisitorDep = Annotated[Visitor, Depends(visitor)]


@dataclass(frozen=True)
class Registry:
    as_of: date
    as_of_given: bool
    agreements: list[AgreementOut]

    @property
    def in_force(self) -> int:
        return sum(1 for a in self.agreements if a.status == "in_force")


def registry(who: Visitor, as_of: str | None) -> Registry:
    """The agreements signed by ``as_of`` (default: today), with their status and text then."""
    on = parse_as_of(as_of)
    when = on or today()
    found = visible_agreements(who, as_of=on)
    return Registry(when, on is not None, [agreement_out(a, when) for a in found])


@router.get("/agreements", response_class=HTMLResponse)
def agreements(
    request: Request,
    pages: PagesDep,
    who: VisitorDep,
    as_of: Annotated[str | None, Query(max_length=40)] = None,
) -> HTMLResponse:
    """The registry of the nation's agreements as of a day."""
    view = registry(who, as_of)
    return pages.render(request, "registry_list.html", who, title=N_("Agreements"), view=view)


def agreement_arrangements(who: Visitor, agreement_id: str, on: date) -> list[ArrangementOut]:
    """The implementing arrangements of an agreement the visitor may see, with their status
    on ``on`` (for the agreement's page)."""
    _agreement, found = arrangement_service.list_arrangements(who.reader(), agreement_id)
    return [arrangement_out(a, on) for a in found]


@router.get("/agreements/{agreement_id}/arrangements/{reference}", response_class=HTMLResponse)
def arrangement(
    request: Request,
    pages: PagesDep,
    who: VisitorDep,
    agreement_id: str,
    reference: str,
    as_of: Annotated[str | None, Query(max_length=40)] = None,
) -> HTMLResponse:
    """One implementing arrangement: its dates and payment term, each side's billing and
    paying offices, fund citation and points of contact, and its ceilings."""
    on = parse_as_of(as_of) or today()
    found = arrangement_service.get_arrangement(
        who.reader(), agreement_id.strip().upper(), reference
    )
    item = arrangement_out(found, on)
    return pages.render(
        request,
        "arrangement.html",
        who,
        title=N_("Implementing arrangement"),
        title_detail=item.reference,
        r=item,
    )
