"""Who is signed in to the pages: an HttpOnly, SameSite session cookie, and a CSRF token that
every form posts back. The rules of what they see are the API's (acsa.services.access)."""

from __future__ import annotations

import hmac
from dataclasses import dataclass

from fastapi import Request
from sqlalchemy import Engine

from acsa.adapters.db.unit_of_work import UnitOfWork
from acsa.domain.access import Permission, Principal
from acsa.domain.errors import AcsaError, Code, Violation
from acsa.i18n import language
from acsa.services.access import order_guard
from acsa.services.users import session_principal

COOKIE = "acsa_session"
CSRF_FIELD = "csrf"


class LoginRequired(Exception):  # noqa: N818 (not an error: a redirect to the sign-in page)
    """No live session: the page answers with a redirect to /login."""


@dataclass(frozen=True)
class Visitor:
    """The signed-in person, their form token and their language."""

    principal: Principal
    csrf: str
    lang: str
    engine: Engine

    @property
    def nation(self) -> str:
        return self.principal.nation

    def may(self, permission: Permission) -> bool:
        return self.principal.has(permission)

    def reader(self, permission: Permission = Permission.VIEW) -> UnitOfWork:
        """A read-only unit of work that hides other nations' orders (as not found)."""
        return UnitOfWork(
            self.engine,
            read_only=True,
            principal=self.principal,
            guard=order_guard(self.principal, permission),
        )

    def writer(
        self, permission: Permission, expected_version: int | None = None, hold: bool = False
    ) -> UnitOfWork:
        """A unit of work for one change by this person, guarded like the API's (``hold``:
        kept open until ``finish()``, see UnitOfWork)."""
        return UnitOfWork(
            self.engine,
            principal=self.principal,
            guard=order_guard(self.principal, permission, expected_version),
            hold=hold,
        )


def visitor(request: Request) -> Visitor:
    """The signed-in person, or LoginRequired."""
    engine: Engine = request.app.state.engine
    secret = request.cookies.get(COOKIE)
    if not secret:
        raise LoginRequired
    try:
        principal, csrf, lang = session_principal(UnitOfWork(engine, read_only=True), secret)
    except AcsaError:
        raise LoginRequired from None
    return Visitor(principal, csrf, language(lang), engine)


def check_csrf(visitor: Visitor, token: str | None) -> None:
    """Refuse a form that does not carry this session's token."""
    if not token or not hmac.compare_digest(token, visitor.csrf):
        raise AcsaError(
            [
                Violation(
                    Code.FORBIDDEN,
                    CSRF_FIELD,
                    "the form is stale or did not come from this site; reload the page and retry",
                )
            ]
        )
