"""Accounts as the CLI prints them and the API sends them."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated

from pydantic import BaseModel, Field

from acsa.domain.access import Role
from acsa.schemas.limits import Text
from acsa.schemas.orders import Strict


class UserIn(Strict):
    """A new user (``POST /api/v1/users``)."""

    name: Annotated[str, Text("name", min_length=1)]
    nation: str = Field(min_length=3, max_length=3)
    roles: list[str] = Field(min_length=1, max_length=len(Role))
    password: str | None = Field(default=None, min_length=8, max_length=1000)
    language: str = "en"


class UserOut(BaseModel):
    id: int
    name: str
    nation: str
    roles: list[str]
    language: str
    active: bool
    has_password: bool
    created_at: datetime
    #: Who the user is on a signed form (``acsa users profile``); None where not given.
    full_name: str | None = None
    rank: str | None = None
    position: str | None = None
    unit: str | None = None
    #: Notices by e-mail (``acsa users notify``, ``PATCH /api/v1/profile/notify``): the
    #: address (None: none) and how: off, each, digest.
    email: str | None = None
    notify: str = "off"


class ProfileIn(Strict):
    """A change of a user's profile (``PATCH /api/v1/users/me``): only what is given changes;
    an empty text clears the field. The bounds are the domain's (acsa.domain.profile)."""

    full_name: str | None = None
    rank: str | None = None
    position: str | None = None
    unit: str | None = None


class TokenIn(Strict):
    """A new API token for oneself (``POST /api/v1/tokens``): it lives ``expires_days``
    (1 to ACSA_TOKEN_MAX_DAYS, default 90 or that maximum if smaller); ``never_expires``
    (admins only, without ``expires_days``) makes one that never expires."""

    name: str = Field(default="api", min_length=1, max_length=200)
    # strict: true and 1, "5" and 5.0 are not what the document's boolean and integer say.
    expires_days: int | None = Field(
        default=None, strict=True, description="1 to ACSA_TOKEN_MAX_DAYS"
    )
    never_expires: bool = Field(default=False, strict=True)


class TokenOut(BaseModel):
    """A token as listed: never the token itself, only its first characters."""

    id: int
    user: str
    name: str
    prefix: str
    created_at: datetime
    expires_at: datetime | None
    revoked_at: datetime | None
    active: bool


class TokenIssuedOut(TokenOut):
    """A token just made: the only time the secret is shown."""

    token: str


class WhoAmIOut(BaseModel):
    name: str
    nation: str
    roles: list[str]
    language: str


class SignInLockOut(BaseModel):
    """A user name or client address the sign-in throttle counts failures of."""

    kind: str
    key: str
    failures: int
    last_failure_at: datetime
    locked_at: datetime | None


class UnlockOut(BaseModel):
    """What an unlock lifted: ``was_locked`` false when there was no lock (nothing changed
    but the count of failures, which is forgotten)."""

    kind: str
    key: str
    was_locked: bool
    failures: int
