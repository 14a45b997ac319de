"""Accounts: users with a nation and roles, argon2 passwords, API tokens and browser sessions."""

from __future__ import annotations

import hashlib
import secrets
from datetime import datetime, timedelta
from typing import Any

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from sqlalchemy import Row

from acsa.account_schemas import TokenIssuedOut, TokenOut, UserIn, UserOut
from acsa.adapters.db.unit_of_work import UnitOfWork
from acsa.clock import utc_now
from acsa.domain.access import Principal, Role, UnauthenticatedError, parse_roles
from acsa.domain.errors import AcsaError, Code, NotFoundError, Violation
from acsa.schemas import parse_model
from acsa.services.ledger import party_code

LANGUAGES = ("en", "ja")
TOKEN_PREFIX = "acsa_"
SESSION_HOURS = 12

_hasher = PasswordHasher()


def _digest(secret: str) -> str:
    return hashlib.sha256(secret.encode()).hexdigest()


def _roles(row: Row[Any]) -> frozenset[Role]:
    return frozenset(Role(r) for r in str(row.roles).split(",") if r)


def principal_of(row: Row[Any]) -> Principal:
    return Principal(name=row.name, nation=row.nation, roles=_roles(row), user_id=row.id)


def _user_out(row: Row[Any]) -> UserOut:
    return UserOut(
        id=row.id,
        name=row.name,
        nation=row.nation,
        roles=sorted(r.value for r in _roles(row)),
        language=row.language,
        active=bool(row.active),
        has_password=row.password_hash is not None,
        created_at=row.created_at,
    )


def _token_out(row: Row[Any], user: str, now: datetime) -> TokenOut:
    return TokenOut(
        id=row.id,
        user=user,
        name=row.name,
        prefix=row.prefix,
        created_at=row.created_at,
        expires_at=row.expires_at,
        revoked_at=row.revoked_at,
        active=row.revoked_at is None and (row.expires_at is None or row.expires_at > now),
    )


def _user_row(uow: UnitOfWork, name: str) -> Row[Any]:
    row = uow.accounts.user(name)
    if row is None:
        raise NotFoundError([Violation(Code.USER_NOT_FOUND, "user", f"no user {name!r}")])
    return row


def _language(value: str) -> str:
    if value not in LANGUAGES:
        raise AcsaError.single(
            Code.INVALID_FIELD, "language", f"language {value!r}: one of {', '.join(LANGUAGES)}"
        )
    return value


def add_user(
    uow: UnitOfWork, data: Any, actor: str = "operator", now: datetime | None = None
) -> UserOut:
    """Create a user of one nation with one or more roles; names are unique."""
    doc = parse_model(UserIn, data)
    nation = party_code(doc.nation, "nation")
    roles = parse_roles(doc.roles)
    language = _language(doc.language)
    at = now or utc_now()
    with uow:
        if uow.accounts.user(doc.name) is not None:
            raise AcsaError.single(Code.USER_EXISTS, "name", f"user {doc.name!r} exists")
        values = {
            "name": doc.name,
            "nation": nation,
            "roles": ",".join(sorted(r.value for r in roles)),
            "password_hash": _hasher.hash(doc.password) if doc.password else None,
            "language": language,
            "active": True,
            "created_at": at,
        }
        user_id = uow.accounts.add_user(values)
        row = uow.accounts.user_by_id(user_id)
        assert row is not None
        result = _user_out(row)
        uow.record("user.add", f"user:{doc.name}", actor, None, result.model_dump(mode="json"))
        uow.commit()
    return result


def list_users(uow: UnitOfWork, nation: str | None = None) -> list[UserOut]:
    with uow:
        return [_user_out(r) for r in uow.accounts.users(nation)]


def get_user(uow: UnitOfWork, name: str) -> UserOut:
    with uow:
        return _user_out(_user_row(uow, name))


def update_user(
    uow: UnitOfWork,
    name: str,
    actor: str = "operator",
    password: str | None = None,
    roles: list[str] | None = None,
    active: bool | None = None,
    language: str | None = None,
) -> UserOut:
    """Change a user's password, roles, language, or switch them off (never deleted: the
    audit log names them)."""
    values: dict[str, Any] = {}
    if password is not None:
        if len(password) < 8:
            raise AcsaError.single(
                Code.INVALID_FIELD, "password", "a password needs at least 8 characters"
            )
        values["password_hash"] = _hasher.hash(password)
    if roles is not None:
        values["roles"] = ",".join(sorted(r.value for r in parse_roles(roles)))
    if active is not None:
        values["active"] = active
    if language is not None:
        values["language"] = _language(language)
    with uow:
        row = _user_row(uow, name)
        before = _user_out(row)
        if values:
            uow.accounts.update_user(row.id, values)
        after_row = uow.accounts.user_by_id(row.id)
        assert after_row is not None
        after = _user_out(after_row)
        if values:
            changed = sorted(k for k in values if k != "password_hash") + (
                ["password"] if "password_hash" in values else []
            )
            uow.record(
                "user.update",
                f"user:{name}",
                actor,
                before.model_dump(mode="json"),
                {**after.model_dump(mode="json"), "changed": changed},
            )
            uow.commit()
    return after


def issue_token(
    uow: UnitOfWork,
    name: str,
    token_name: str = "api",
    expires_days: int | None = 90,
    actor: str = "operator",
    now: datetime | None = None,
) -> TokenIssuedOut:
    """A new personal API token for user ``name``; its secret is shown once, kept hashed."""
    at = now or utc_now()
    secret = TOKEN_PREFIX + secrets.token_urlsafe(32)
    with uow:
        row = _user_row(uow, name)
        expires = at + timedelta(days=expires_days) if expires_days else None
        token_id = uow.accounts.add_token(
            {
                "user_id": row.id,
                "name": token_name,
                "token_hash": _digest(secret),
                "prefix": secret[: len(TOKEN_PREFIX) + 6],
                "created_at": at,
                "expires_at": expires,
                "revoked_at": None,
            }
        )
        stored = uow.accounts.token(token_id)
        assert stored is not None
        listed = _token_out(stored, name, at)
        uow.record("token.issue", f"token:{token_id}", actor, None, listed.model_dump(mode="json"))
        uow.commit()
    return TokenIssuedOut(**listed.model_dump(), token=secret)


def list_tokens(uow: UnitOfWork, name: str | None = None) -> list[TokenOut]:
    now = utc_now()
    with uow:
        user_id = _user_row(uow, name).id if name else None
        return [_token_out(r, r.user_name, now) for r in uow.accounts.tokens(user_id)]


def revoke_token(
    uow: UnitOfWork,
    token_id: int,
    actor: str = "operator",
    owner: str | None = None,
    now: datetime | None = None,
) -> TokenOut:
    """Revoke a token at once; ``owner`` limits it to that user's own tokens."""
    at = now or utc_now()
    with uow:
        row = uow.accounts.token(token_id) if 0 < token_id < 2**31 else None
        user = uow.accounts.user_by_id(row.user_id) if row is not None else None
        if row is None or user is None or (owner is not None and user.name != owner):
            raise NotFoundError([Violation(Code.TOKEN_NOT_FOUND, "token", f"no token {token_id}")])
        if row.revoked_at is None:
            uow.accounts.revoke_token(token_id, at)
            uow.record("token.revoke", f"token:{token_id}", actor, None, {"user": user.name})
            uow.commit()
        stored = uow.accounts.token(token_id)
        assert stored is not None
        return _token_out(stored, user.name, at)


def _unauthenticated(message: str) -> UnauthenticatedError:
    return UnauthenticatedError([Violation(Code.UNAUTHENTICATED, "authorization", message)])


def principal_for_token(uow: UnitOfWork, token: str, now: datetime | None = None) -> Principal:
    """Who ``token`` signs in, or UNAUTHENTICATED (unknown, revoked, expired, switched off)."""
    at = now or utc_now()
    with uow:
        row = uow.accounts.user_for_token(_digest(token))
    if row is None or row.revoked_at is not None or not row.active:
        raise _unauthenticated("the token is not valid (unknown, revoked, or user switched off)")
    if row.expires_at is not None and row.expires_at <= at:
        raise _unauthenticated(f"the token expired at {row.expires_at.isoformat()}")
    return principal_of(row)


def check_password(uow: UnitOfWork, name: str, password: str) -> Principal:
    """The user ``name`` if ``password`` is theirs; the same refusal for every failure."""
    with uow:
        row = uow.accounts.user(name)
    refusal = _unauthenticated("wrong user name or password")
    if row is None or row.password_hash is None or not row.active:
        # Spend the same time as a real check, so a missing user is not told apart.
        _hasher.hash(password)
        raise refusal
    try:
        _hasher.verify(row.password_hash, password)
    except (VerificationError, InvalidHashError):
        raise refusal from None
    return principal_of(row)


def start_session(
    uow: UnitOfWork, principal: Principal, now: datetime | None = None
) -> tuple[str, str]:
    """A new browser session: (cookie secret, CSRF token); only hashes are stored."""
    at = now or utc_now()
    secret, csrf = secrets.token_urlsafe(32), secrets.token_urlsafe(32)
    assert principal.user_id is not None
    with uow:
        uow.accounts.add_session(
            {
                "token_hash": _digest(secret),
                "user_id": principal.user_id,
                "csrf": csrf,
                "created_at": at,
                "expires_at": at + timedelta(hours=SESSION_HOURS),
            }
        )
        uow.record("session.start", f"user:{principal.name}", principal.name)
        uow.commit()
    return secret, csrf


def session_principal(
    uow: UnitOfWork, secret: str, now: datetime | None = None
) -> tuple[Principal, str, str]:
    """(principal, CSRF token, language) of a live session, or UNAUTHENTICATED."""
    at = now or utc_now()
    with uow:
        row = uow.accounts.session(_digest(secret))
    if row is None or not row.active or row.session_expires_at <= at:
        raise _unauthenticated("not signed in, or the session expired")
    return principal_of(row), str(row.csrf), str(row.language)


def end_session(uow: UnitOfWork, secret: str, actor: str) -> None:
    with uow:
        uow.accounts.end_session(_digest(secret))
        uow.record("session.end", f"user:{actor}", actor)
        uow.commit()
