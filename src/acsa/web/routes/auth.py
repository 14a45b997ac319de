"""Sign in, sign out, and the language switch."""

from __future__ import annotations

import hmac
import secrets
from typing import Annotated

from fastapi import APIRouter, Depends, Form, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from acsa.adapters.db.unit_of_work import UnitOfWork
from acsa.domain.access import UnauthenticatedError
from acsa.domain.sign_in import SignInRefusedError, Verdict
from acsa.i18n import LANGUAGES
from acsa.services.demo import DEMO_ACCOUNTS, DEMO_PASSWORD, demo_loaded
from acsa.services.users import end_session, sign_in, start_session, update_user
from acsa.web.pages import LANG_COOKIE, PagesDep
from acsa.web.session import COOKIE, LoginRequired, Visitor, check_csrf, visitor

router = APIRouter()

#: Double-submit token of the sign-in form (there is no session yet to hold one).
LOGIN_CSRF = "acsa_login_csrf"
SESSION_SECONDS = 12 * 3600

VisitorDep = Annotated[Visitor, Depends(visitor)]


def safe_next(target: str | None) -> str:
    """Only a path on this site (never ``//elsewhere`` or a full address) to return to."""
    if target and target.startswith("/") and not target.startswith("//") and "\\" not in target:
        return target
    return "/"


def _login_page(
    request: Request,
    pages: PagesDep,
    next_: str,
    status_code: int = 200,
    failed: bool = False,
    refusal: Verdict | None = None,
) -> HTMLResponse:
    token = secrets.token_urlsafe(24)
    engine = request.app.state.engine
    accounts = DEMO_ACCOUNTS if demo_loaded(engine) else ()
    response = pages.render(
        request,
        "login.html",
        status_code=status_code,
        title="Sign in",
        next=next_,
        login_csrf=token,
        failed=failed,
        refusal=refusal,
        demo_accounts=accounts,
        demo_password=DEMO_PASSWORD,
    )
    response.set_cookie(LOGIN_CSRF, token, httponly=True, samesite="strict", path="/login")
    return response


@router.get("/login", response_class=HTMLResponse)
def login_form(request: Request, pages: PagesDep, next: str | None = None) -> HTMLResponse:
    """The sign-in form (with the demo's accounts when the demo is loaded)."""
    return _login_page(request, pages, safe_next(next))


@router.post("/login", response_model=None)
def login(
    request: Request,
    pages: PagesDep,
    name: Annotated[str, Form(max_length=200)],
    password: Annotated[str, Form(max_length=1000)],
    csrf: Annotated[str, Form(max_length=200)] = "",
    next: Annotated[str, Form(max_length=2000)] = "/",
) -> Response:
    """Check the password; on success start a session (HttpOnly, SameSite cookie).

    Failed sign-ins are throttled per user name and per client address: after a few, 429
    SIGN_IN_THROTTLED with Retry-After, then 429 SIGN_IN_LOCKED until an admin unlocks. The
    answer is the same whether the user exists or not."""
    expected = request.cookies.get(LOGIN_CSRF, "")
    if not expected or not hmac.compare_digest(expected, csrf):
        return _login_page(request, pages, safe_next(next), 400, failed=True)
    engine = request.app.state.engine
    address = request.client.host if request.client else None
    try:
        principal = sign_in(engine, name, password, address)
    except SignInRefusedError as refused:
        page = _login_page(request, pages, safe_next(next), 429, refusal=refused.verdict)
        if not refused.verdict.locked:
            page.headers["Retry-After"] = str(refused.retry_after_s)
        return page
    except UnauthenticatedError:
        return _login_page(request, pages, safe_next(next), 401, failed=True)
    secret, _ = start_session(UnitOfWork(engine, principal=principal), principal)
    response = RedirectResponse(safe_next(next), status_code=303)
    response.set_cookie(
        COOKIE, secret, max_age=SESSION_SECONDS, httponly=True, samesite="lax", path="/"
    )
    response.delete_cookie(LOGIN_CSRF, path="/login")
    return response


@router.post("/logout")
def logout(
    request: Request, who: VisitorDep, csrf: Annotated[str, Form(max_length=200)] = ""
) -> RedirectResponse:
    """End the session."""
    check_csrf(who, csrf)
    secret = request.cookies.get(COOKIE, "")
    end_session(UnitOfWork(who.engine, principal=who.principal), secret, who.principal.name)
    response = RedirectResponse("/login", status_code=303)
    response.delete_cookie(COOKIE, path="/")
    return response


@router.post("/language")
def switch_language(
    request: Request,
    language: Annotated[str, Form(max_length=8)],
    csrf: Annotated[str, Form(max_length=200)] = "",
    next: Annotated[str, Form(max_length=2000)] = "/",
) -> RedirectResponse:
    """Switch the language: kept on the user's account when signed in, else in a cookie."""
    chosen = language if language in LANGUAGES else "en"
    response = RedirectResponse(safe_next(next), status_code=303)
    try:
        who = visitor(request)
    except LoginRequired:  # not signed in: the sign-in page's choice, kept in a cookie
        response.set_cookie(LANG_COOKIE, chosen, httponly=True, samesite="lax", path="/")
        return response
    check_csrf(who, csrf)
    update_user(
        UnitOfWork(who.engine, principal=who.principal),
        who.principal.name,
        actor=who.principal.name,
        language=chosen,
    )
    return response
