"""Disputes on the pages: the order page's section (its disputes, the form to dispute one of
its steps, and the forms to answer or withdraw one) and the disputes page (every dispute of
your nation's orders with its age and value, and the report per partner), linked from the
ledger and reports navigation."""

from __future__ import annotations

from typing import Annotated, cast

from fastapi import APIRouter, Depends, Form, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from acsa.commands import AnswerDispute, OpenDispute
from acsa.domain.access import Permission
from acsa.domain.disputes import GROUNDS, Resolution
from acsa.domain.errors import AcsaError, Code, NotFoundError
from acsa.http_status import status_of
from acsa.i18n.speech import N_
from acsa.schemas.disputes import DisputeOut
from acsa.services import disputes as service
from acsa.services.handlers import handle
from acsa.services.ports import SqlUnitOfWork
from acsa.web.pages import Pages, PagesDep
from acsa.web.session import Visitor, check_csrf, visitor

router = APIRouter()

VisitorDep = Annotated[Visitor, Depends(visitor)]
#: What a form takes of each text: more than any bound, so that the domain's refusal (naming
#: the field and its bound) is what a too-long text meets.
FORM_CHARS_MAX = 5000
STATUSES = ("open", "resolved", "withdrawn")
#: The words of a dispute's state and answer (an open dispute is "under dispute", not the
#: vocabulary's "open" of an unpaid invoice).
WORDS = {
    "open": N_("under dispute"),
    "resolved": N_("resolved"),
    "withdrawn": N_("withdrawn"),
    "accept": N_("accepted as billed"),
    "credit_note": N_("credit note"),
    "redelivery": N_("re-delivery"),
    "write_off": N_("written off by agreement"),
    "withdraw": N_("withdrawn"),
}


def order_disputes(who: Visitor, order_id: int) -> list[DisputeOut]:
    """The disputes of an order the visitor sees (the order page's section)."""
    return service.disputes_of(who.reader(), order_id)


def install(pages: Pages) -> None:
    """Give the templates an order's disputes and the words of the forms' choices."""
    for env in pages.envs.values():
        env.globals["order_disputes"] = order_disputes
        env.globals["dispute_grounds"] = [g.value for gs in GROUNDS.values() for g in gs]
        env.globals["dispute_resolutions"] = [r.value for r in Resolution]
        env.globals["dispute_words"] = WORDS


def _order_id(value: str) -> int:
    text = value.strip()
    if not text.isdigit() or len(text) > 10:
        raise NotFoundError.single(Code.ORDER_NOT_FOUND, "id", "no order '{order}'", order=value)
    return int(text)


def _refused(
    request: Request, pages: Pages, who: Visitor, number: int, error: AcsaError
) -> HTMLResponse:
    """The order page again, with why the dispute or answer was refused (nothing saved)."""
    from acsa.i18n.speech import Speech
    from acsa.web.routes.orders import order_page

    say = Speech(who.lang)
    view = order_page(who, say, number)
    forbidden = any(v.code is Code.FORBIDDEN for v in error.violations)
    return pages.render(
        request,
        "order_detail.html",
        who,
        status_code=403 if forbidden else status_of(error),
        title=say("Order #%(id)s", id=view.order.id),
        view=view,
        dispute_errors=list(error.violations),
    )


def _blank(value: str) -> str | None:
    return value.strip() or None


@router.post("/orders/{order_id}/disputes", response_model=None)
def open_dispute(
    request: Request,
    pages: PagesDep,
    who: VisitorDep,
    order_id: str,
    step: Annotated[str, Form(max_length=FORM_CHARS_MAX)] = "",
    ground: Annotated[str, Form(max_length=FORM_CHARS_MAX)] = "",
    amount: Annotated[str, Form(max_length=FORM_CHARS_MAX)] = "",
    reason: Annotated[str, Form(max_length=FORM_CHARS_MAX)] = "",
    evidence: Annotated[str, Form(max_length=FORM_CHARS_MAX)] = "",
    csrf: Annotated[str | None, Form()] = None,
) -> Response:
    """Dispute a step of the order; back to its disputes, or the order page with why not."""
    number = _order_id(order_id)
    try:
        check_csrf(who, csrf)
        body = {
            "step": step.strip(),
            "ground": ground.strip(),
            "amount": amount.strip(),
            "reason": reason,
            "evidence": _blank(evidence),
        }
        command = OpenDispute.from_wire(body, order_id=number)
        handle(who.writer(Permission.DISPUTE), command, who.principal.name)
    except NotFoundError:
        raise
    except AcsaError as error:
        return _refused(request, pages, who, number, error)
    return RedirectResponse(f"/orders/{number}?done=dispute#disputes", status_code=303)


@router.post("/orders/{order_id}/disputes/{dispute}/answer", response_model=None)
def answer_dispute(
    request: Request,
    pages: PagesDep,
    who: VisitorDep,
    order_id: str,
    dispute: str,
    resolution: Annotated[str, Form(max_length=FORM_CHARS_MAX)] = "",
    agreed: Annotated[str, Form(max_length=FORM_CHARS_MAX)] = "",
    note: Annotated[str, Form(max_length=FORM_CHARS_MAX)] = "",
    csrf: Annotated[str | None, Form()] = None,
) -> Response:
    """Answer (or withdraw) a dispute of the order; back to its disputes, or why not."""
    number = _order_id(order_id)
    try:
        check_csrf(who, csrf)
        body = {"resolution": resolution.strip(), "agreed": _blank(agreed), "note": note}
        command = AnswerDispute.from_wire(body, order_id=number, dispute=dispute[:40])
        handle(who.writer(Permission.DISPUTE), command, who.principal.name)
    except NotFoundError:
        raise
    except AcsaError as error:
        return _refused(request, pages, who, number, error)
    return RedirectResponse(f"/orders/{number}?done=answer#disputes", status_code=303)


@router.get("/disputes", response_class=HTMLResponse)
def disputes_page(
    request: Request, pages: PagesDep, who: VisitorDep, status: str = "", partner: str = ""
) -> HTMLResponse:
    """Every dispute of your nation's orders (open first by default: all), with its age and
    value, and the report per partner and currency."""
    chosen = status if status in STATUSES else None
    other = partner.strip().upper()[:3] or None
    uow = cast(SqlUnitOfWork, who.reader())
    everything = service.all_disputes(uow, who.nation)
    shown = [
        d
        for d in everything
        if (chosen is None or d.status == chosen) and (other is None or d.partner == other)
    ]
    return pages.render(
        request,
        "disputes.html",
        who,
        title="Disputes",
        rows=shown,
        report=service.report(everything),
        status=chosen or "",
        partner=other or "",
        statuses=STATUSES,
    )
