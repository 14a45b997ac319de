"""Your account: who you are on a signed form (full name, rank or grade, position, unit), and
how notices reach you by e-mail (your address; off, each, or a daily digest)."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Form, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from acsa.adapters.db.unit_of_work import UnitOfWork
from acsa.domain.access import Role
from acsa.domain.errors import AcsaError
from acsa.domain.notice_delivery import Notify
from acsa.domain.profile import PROFILE_FIELDS
from acsa.schemas.accounts import UserOut
from acsa.schemas.orders import ViolationOut, violation_out
from acsa.services.notice_delivery import notify_choice, set_notify
from acsa.services.users import get_user, update_profile
from acsa.web.pages import PagesDep
from acsa.web.session import Visitor, check_csrf, visitor

router = APIRouter()

#: The e-mail choices as the account page offers them (their words are msgids).
NOTIFY_WORDS = (
    (Notify.OFF.value, "No e-mail"),
    (Notify.EACH.value, "A mail for each notice"),
    (Notify.DIGEST.value, "One mail a day (digest)"),
)

VisitorDep = Annotated[Visitor, Depends(visitor)]
#: What the form takes of each field: a little more than any bound, so that the domain's
#: refusal (naming the field and its bound) is what a too-long text meets.
FORM_CHARS_MAX = 1000


def _page(
    request: Request,
    pages: PagesDep,
    who: Visitor,
    user: UserOut,
    values: dict[str, str],
    errors: list[ViolationOut] | None = None,
    saved: bool = False,
    status_code: int = 200,
    notify: dict[str, str] | None = None,
    notify_errors: list[ViolationOut] | None = None,
    notify_saved: bool = False,
) -> HTMLResponse:
    if notify is None:
        stored = notify_choice(UnitOfWork(who.engine, read_only=True), user.name)
        notify = {"email": stored["email"] or "", "notify": stored["notify"]}
    return pages.render(
        request,
        "account.html",
        who,
        status_code=status_code,
        title="Your account",
        user=user,
        values=values,
        bounds=PROFILE_FIELDS,
        errors=errors or [],
        saved=saved,
        notify=notify,
        notify_choices=NOTIFY_WORDS,
        notify_errors=notify_errors or [],
        notify_saved=notify_saved,
        admin=Role.ADMIN in who.principal.roles,
    )


def _values(user: UserOut) -> dict[str, str]:
    return {field: getattr(user, field) or "" for field in PROFILE_FIELDS}


@router.get("/account", response_class=HTMLResponse)
def account(request: Request, pages: PagesDep, who: VisitorDep, saved: int = 0) -> HTMLResponse:
    """Your account, the profile the order form prints beside your signature, and how notices
    reach you by e-mail."""
    user = get_user(UnitOfWork(who.engine, read_only=True), who.principal.name)
    return _page(
        request, pages, who, user, _values(user), saved=saved == 1, notify_saved=saved == 2
    )


@router.post("/account", response_model=None)
def save_account(
    request: Request,
    pages: PagesDep,
    who: VisitorDep,
    full_name: Annotated[str, Form(max_length=FORM_CHARS_MAX)] = "",
    rank: Annotated[str, Form(max_length=FORM_CHARS_MAX)] = "",
    position: Annotated[str, Form(max_length=FORM_CHARS_MAX)] = "",
    unit: Annotated[str, Form(max_length=FORM_CHARS_MAX)] = "",
    csrf: Annotated[str, Form(max_length=200)] = "",
) -> Response:
    """Save your full name, rank or grade, position and unit (an empty field is cleared)."""
    check_csrf(who, csrf)
    given = {"full_name": full_name, "rank": rank, "position": position, "unit": unit}
    name = who.principal.name
    try:
        update_profile(UnitOfWork(who.engine, principal=who.principal), name, given, name)
    except AcsaError as refused:
        user = get_user(UnitOfWork(who.engine, read_only=True), name)
        errors = [violation_out(v, who.lang) for v in refused.violations]
        return _page(request, pages, who, user, given, errors, status_code=400)
    return RedirectResponse("/account?saved=1", status_code=303)


@router.post("/account/notify", response_model=None)
def save_notify(
    request: Request,
    pages: PagesDep,
    who: VisitorDep,
    email: Annotated[str, Form(max_length=FORM_CHARS_MAX)] = "",
    notify: Annotated[str, Form(max_length=FORM_CHARS_MAX)] = "off",
    csrf: Annotated[str, Form(max_length=200)] = "",
) -> Response:
    """Save your e-mail address (empty: none) and how notices reach it."""
    check_csrf(who, csrf)
    name = who.principal.name
    try:
        set_notify(UnitOfWork(who.engine, principal=who.principal), name, name, email, notify)
    except AcsaError as refused:
        user = get_user(UnitOfWork(who.engine, read_only=True), name)
        errors = [violation_out(v, who.lang) for v in refused.violations]
        given = {"email": email, "notify": notify}
        return _page(
            request,
            pages,
            who,
            user,
            _values(user),
            notify=given,
            notify_errors=errors,
            status_code=400,
        )
    return RedirectResponse("/account?saved=2", status_code=303)
