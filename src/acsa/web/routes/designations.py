"""Your nation's designated officials: everyone of the nation reads who may submit, accept,
receive and certify, up to what value, and the nation's policy; an admin designates and ends
designations here."""

from __future__ import annotations

from datetime import date
from typing import Annotated

from fastapi import APIRouter, Depends, Form, Path, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from acsa.adapters.db.unit_of_work import UnitOfWork
from acsa.clock import today
from acsa.domain import limits
from acsa.domain.access import Permission
from acsa.domain.designations import ROLE_WORDS, DesignatedRole
from acsa.domain.errors import AcsaError, Code, Violation
from acsa.schemas.orders import ViolationOut, violation_out
from acsa.services import designations as service
from acsa.services.users import list_users
from acsa.web.pages import PagesDep
from acsa.web.session import Visitor, check_csrf, visitor

router = APIRouter()

VisitorDep = Annotated[Visitor, Depends(visitor)]
#: What the form takes of each field: more than any bound, so that the domain's refusal
#: (naming the field and its bound) is what a too-long text meets.
FORM_CHARS_MAX = 1000
FIELDS = (
    "user",
    "role",
    "limit",
    "currency",
    "valid_from",
    "valid_until",
    "reference",
    "reference_date",
)


def _page(
    request: Request,
    pages: PagesDep,
    who: Visitor,
    values: dict[str, str] | None = None,
    errors: list[ViolationOut] | None = None,
    done: str = "",
    status_code: int = 200,
) -> HTMLResponse:
    reader = UnitOfWork(who.engine, read_only=True, principal=who.principal)
    rows = service.list_designations(reader, who.nation)
    policy = service.get_policy(reader, who.nation)
    admin = who.may(Permission.MANAGE_USERS)
    people = [u.name for u in list_users(reader, who.nation)] if admin else []
    return pages.render(
        request,
        "designations.html",
        who,
        status_code=status_code,
        title="Designated officials",
        rows=rows,
        policy=policy,
        admin=admin,
        people=people,
        roles=[(r.value, ROLE_WORDS[r]) for r in DesignatedRole],
        values={**dict.fromkeys(FIELDS, ""), **(values or {"valid_from": today().isoformat()})},
        errors=errors or [],
        done=done,
    )


@router.get("/designations", response_class=HTMLResponse)
def designations_page(
    request: Request, pages: PagesDep, who: VisitorDep, done: str = ""
) -> HTMLResponse:
    """Your nation's designated officials and its policy (an admin: the forms to change)."""
    return _page(request, pages, who, done=done if done in ("added", "ended", "policy") else "")


def _day(field: str, value: str) -> date | None:
    if not value.strip():
        return None
    return limits.parse_date(field, value.strip())


def _refused(
    request: Request,
    pages: PagesDep,
    who: Visitor,
    refused: AcsaError,
    values: dict[str, str] | None = None,
) -> HTMLResponse:
    errors = [violation_out(v, who.lang) for v in refused.violations]
    status = 403 if any(v.code is Code.FORBIDDEN for v in refused.violations) else 400
    return _page(request, pages, who, values, errors, status_code=status)


@router.post("/designations", response_model=None)
def add_designation(
    request: Request,
    pages: PagesDep,
    who: VisitorDep,
    user: Annotated[str, Form(max_length=FORM_CHARS_MAX)] = "",
    role: Annotated[str, Form(max_length=FORM_CHARS_MAX)] = "",
    limit: Annotated[str, Form(max_length=FORM_CHARS_MAX)] = "",
    currency: Annotated[str, Form(max_length=FORM_CHARS_MAX)] = "",
    valid_from: Annotated[str, Form(max_length=FORM_CHARS_MAX)] = "",
    valid_until: Annotated[str, Form(max_length=FORM_CHARS_MAX)] = "",
    reference: Annotated[str, Form(max_length=FORM_CHARS_MAX)] = "",
    reference_date: Annotated[str, Form(max_length=FORM_CHARS_MAX)] = "",
    csrf: Annotated[str, Form(max_length=200)] = "",
) -> Response:
    """Designate an official of your nation (admin)."""
    check_csrf(who, csrf)
    values = dict(
        zip(
            FIELDS,
            (user, role, limit, currency, valid_from, valid_until, reference, reference_date),
            strict=True,
        )
    )
    try:
        start = _day("valid_from", valid_from)
        if start is None:
            raise AcsaError(
                [Violation(Code.MISSING_FIELD, "valid_from", "give the first day it is valid")]
            )
        letter = _day("reference_date", reference_date)
        doc = {
            "user": user.strip(),
            "role": role,
            "limit": limit.strip(),
            "currency": currency.strip().upper(),
            "valid_from": start.isoformat(),
            "valid_until": (
                until.isoformat() if (until := _day("valid_until", valid_until)) else None
            ),
            "reference": reference,
            "reference_date": (letter or start).isoformat(),
        }
        writer = UnitOfWork(who.engine, principal=who.principal)
        service.add_designation(writer, doc, who.principal.name)
    except AcsaError as refused:
        return _refused(request, pages, who, refused, values)
    return RedirectResponse("/designations?done=added", status_code=303)


@router.post("/designations/{designation_id}/end", response_model=None)
def end_designation(
    request: Request,
    pages: PagesDep,
    who: VisitorDep,
    designation_id: Annotated[int, Path(ge=1, le=limits.ID_MAX)],
    on: Annotated[str, Form(max_length=FORM_CHARS_MAX)] = "",
    reason: Annotated[str, Form(max_length=FORM_CHARS_MAX)] = "",
    csrf: Annotated[str, Form(max_length=200)] = "",
) -> Response:
    """End a designation of your nation (admin)."""
    check_csrf(who, csrf)
    try:
        day = _day("on", on)
        writer = UnitOfWork(who.engine, principal=who.principal)
        service.end_designation(writer, designation_id, day, reason, who.principal.name)
    except AcsaError as refused:
        return _refused(request, pages, who, refused)
    return RedirectResponse("/designations?done=ended", status_code=303)


@router.post("/designations/policy", response_model=None)
def set_policy(
    request: Request,
    pages: PagesDep,
    who: VisitorDep,
    required: Annotated[str, Form(max_length=10)] = "",
    separation: Annotated[str, Form(max_length=10)] = "",
    csrf: Annotated[str, Form(max_length=200)] = "",
) -> Response:
    """Turn your nation's enforcement of designations and its separation of duties on or off
    (admin): each box checked is on."""
    check_csrf(who, csrf)
    try:
        writer = UnitOfWork(who.engine, principal=who.principal)
        service.set_policy(
            writer, who.nation, required == "1", separation == "1", who.principal.name
        )
    except AcsaError as refused:
        return _refused(request, pages, who, refused)
    return RedirectResponse("/designations?done=policy", status_code=303)
