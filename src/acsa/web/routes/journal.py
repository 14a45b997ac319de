"""The general-ledger page (/ledger/journal): your nation's mapping of acsa's accounts to its
ledger codes and fund citations (finance and admins add, replace and remove rules), the
journal export as CSV or JSON (a period, recorded nowhere; or, for finance, everything not
exported before, recorded) and the exports recorded. Finance officers, auditors and admins."""

from __future__ import annotations

from datetime import date
from typing import Annotated

from fastapi import APIRouter, Depends, Form, Query, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from acsa.adapters.db.unit_of_work import UnitOfWork
from acsa.clock import today
from acsa.domain import limits
from acsa.domain.errors import AcsaError, Code
from acsa.domain.ledger import Account
from acsa.http_status import status_of
from acsa.i18n.speech import N_
from acsa.schemas.orders import ViolationOut, violation_out
from acsa.services import journal as service
from acsa.web.pages import PagesDep
from acsa.web.session import Visitor, check_csrf, visitor

router = APIRouter()

VisitorDep = Annotated[Visitor, Depends(visitor)]
#: What a form takes of each field: more than any bound, so that the domain's refusal (naming
#: the field and its bound) is what a too-long text meets.
FORM_CHARS_MAX = 1000
Param = Annotated[str, Query(max_length=40)]
MEDIA = {"csv": "text/csv; charset=utf-8", "json": "application/json"}
DONE = ("set", "removed")
#: The words of acsa's accounts (msgids).
ACCOUNT_WORDS = {
    Account.RECEIVABLE_CASH.value: N_("receivable in cash"),
    Account.RECEIVABLE_IN_KIND.value: N_("receivable in kind"),
    Account.PAYABLE_CASH.value: N_("payable in cash"),
    Account.PAYABLE_IN_KIND.value: N_("payable in kind"),
    Account.SUPPORT_PROVIDED.value: N_("support provided"),
    Account.SUPPORT_RECEIVED.value: N_("support received"),
    Account.CASH.value: N_("cash"),
}


def _reader(who: Visitor) -> UnitOfWork:
    return UnitOfWork(who.engine, read_only=True, principal=who.principal)


def _page(
    request: Request,
    pages: PagesDep,
    who: Visitor,
    values: dict[str, str] | None = None,
    errors: list[ViolationOut] | None = None,
    done: str = "",
    status_code: int = 200,
) -> HTMLResponse:
    rules = service.list_rules(_reader(who))
    exports = service.exports(_reader(who))
    roles = who.principal.roles
    first = today().replace(month=1, day=1)
    return pages.render(
        request,
        "journal.html",
        who,
        status_code=status_code,
        title="General ledger",
        rules=rules,
        exports=exports,
        may_map=bool(roles & service.MAPPERS),
        may_record=bool(roles & service.RECORDERS),
        accounts=ACCOUNT_WORDS,
        values={
            "account": "",
            "partner": "*",
            "currency": "*",
            "gl_code": "",
            "fund_citation": "",
            "since": first.isoformat(),
            "until": today().isoformat(),
            "format": "csv",
            **(values or {}),
        },
        errors=errors or [],
        done=done,
    )


def _refused(
    request: Request,
    pages: PagesDep,
    who: Visitor,
    refused: AcsaError,
    values: dict[str, str] | None = None,
) -> HTMLResponse:
    errors = [violation_out(v, who.lang) for v in refused.violations]
    status = 403 if any(v.code is Code.FORBIDDEN for v in refused.violations) else 400
    if any(v.code is Code.GL_MAPPING_MISSING for v in refused.violations):
        status = status_of(refused)
    return _page(request, pages, who, values, errors, status_code=status)


@router.get("/ledger/journal", response_class=HTMLResponse)
def journal_page(
    request: Request, pages: PagesDep, who: VisitorDep, done: str = ""
) -> HTMLResponse:
    """The mapping, the export form and the exports recorded."""
    return _page(request, pages, who, done=done if done in DONE else "")


@router.post("/ledger/journal/rules", response_model=None)
def set_rule(
    request: Request,
    pages: PagesDep,
    who: VisitorDep,
    account: Annotated[str, Form(max_length=FORM_CHARS_MAX)] = "",
    partner: Annotated[str, Form(max_length=FORM_CHARS_MAX)] = "",
    currency: Annotated[str, Form(max_length=FORM_CHARS_MAX)] = "",
    gl_code: Annotated[str, Form(max_length=FORM_CHARS_MAX)] = "",
    fund_citation: Annotated[str, Form(max_length=FORM_CHARS_MAX)] = "",
    csrf: Annotated[str, Form(max_length=200)] = "",
) -> Response:
    """Add a rule or replace the one of the same account, partner and currency."""
    check_csrf(who, csrf)
    values = {
        "account": account,
        "partner": partner,
        "currency": currency,
        "gl_code": gl_code,
        "fund_citation": fund_citation,
    }
    try:
        writer = UnitOfWork(who.engine, principal=who.principal)
        service.set_rule(
            writer, None, account, partner, currency, gl_code, fund_citation, who.principal.name
        )
    except AcsaError as refused:
        return _refused(request, pages, who, refused, values)
    return RedirectResponse("/ledger/journal?done=set#mapping", status_code=303)


@router.post("/ledger/journal/rules/remove", response_model=None)
def remove_rule(
    request: Request,
    pages: PagesDep,
    who: VisitorDep,
    account: Annotated[str, Form(max_length=FORM_CHARS_MAX)] = "",
    partner: Annotated[str, Form(max_length=FORM_CHARS_MAX)] = "",
    currency: Annotated[str, Form(max_length=FORM_CHARS_MAX)] = "",
    csrf: Annotated[str, Form(max_length=200)] = "",
) -> Response:
    """Remove a rule."""
    check_csrf(who, csrf)
    try:
        writer = UnitOfWork(who.engine, principal=who.principal)
        service.remove_rule(writer, None, account, partner, currency, who.principal.name)
    except AcsaError as refused:
        return _refused(request, pages, who, refused)
    return RedirectResponse("/ledger/journal?done=removed#mapping", status_code=303)


def _day(field: str, value: str) -> date | None:
    return limits.parse_date(field, value.strip()) if value.strip() else None


def _file(text: str, book: str, until: date, fmt: str, new: bool) -> Response:
    kind = "new" if new else "period"
    name = f"journal-{book}-{kind}-{until.isoformat()}.{fmt}"
    headers = {"Content-Disposition": f'attachment; filename="{name}"'}
    return Response(text, media_type=MEDIA[fmt], headers=headers)


@router.get("/ledger/journal/export", response_model=None)
def export_period(
    request: Request,
    pages: PagesDep,
    who: VisitorDep,
    since: Param = "",
    until: Param = "",
    format: Param = "csv",
) -> Response:
    """The journal of a period as a file (recorded nowhere); the page with why not."""
    values = {"since": since, "until": until, "format": format}
    try:
        first = _day("since", since)
        last = _day("until", until)
        if last is None:
            last = today()
        fmt = service.check_format(format)
        result = service.journal(_reader(who), None, first, last, False, fmt, who.principal.name)
    except AcsaError as refused:
        return _refused(request, pages, who, refused, values)
    return _file(service.journal_text(result, fmt), result.book, last, fmt, False)


@router.post("/ledger/journal/new", response_model=None)
def export_new(
    request: Request,
    pages: PagesDep,
    who: VisitorDep,
    until: Annotated[str, Form(max_length=FORM_CHARS_MAX)] = "",
    format: Annotated[str, Form(max_length=FORM_CHARS_MAX)] = "csv",
    csrf: Annotated[str, Form(max_length=200)] = "",
) -> Response:
    """Everything not exported before, through ``until``, as a file; the export is recorded
    (finance)."""
    check_csrf(who, csrf)
    values = {"until": until, "format": format}
    try:
        last = _day("until", until) or today()
        fmt = service.check_format(format)
        writer = UnitOfWork(who.engine, principal=who.principal)
        result = service.journal(writer, None, None, last, True, fmt, who.principal.name)
    except AcsaError as refused:
        return _refused(request, pages, who, refused, values)
    return _file(service.journal_text(result, fmt), result.book, last, fmt, True)
