"""Accounts: users with a nation and roles, argon2 passwords, API tokens and browser sessions."""

from __future__ import annotations

import hashlib
import secrets
from collections.abc import Iterable, Mapping
from datetime import datetime, timedelta
from typing import Any

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from sqlalchemy import Engine

from acsa.adapters.db import unit_of_work as db
from acsa.clock import utc_now
from acsa.config import sign_in_policy, token_max_days
from acsa.domain.access import Principal, Role, UnauthenticatedError, parse_roles
from acsa.domain.errors import AcsaError, Code, NotFoundError, Violation
from acsa.domain.limits import NAME_CHARS_MAX
from acsa.domain.messages import t
from acsa.domain.profile import Profile, profile_changes
from acsa.domain.sign_in import (
    CountedBy,
    Failures,
    SignInPolicy,
    SignInRefusedError,
    Verdict,
    address_key,
    clean_name,
    counted,
    decide,
    failed_at,
    recorded_name,
    token_lifetime,
    uncounted,
)
from acsa.schemas.accounts import (
    SignInLockOut,
    TokenIssuedOut,
    TokenOut,
    UnlockOut,
    UserIn,
    UserOut,
)
from acsa.schemas.orders import parse_model
from acsa.services.ledger import party_code
from acsa.services.ports import StoredRow, UnitOfWork

LANGUAGES = ("en", "ja")
TOKEN_PREFIX = "acsa_"  # noqa: S105 - the public prefix of every token, not a secret
SESSION_HOURS = 12

_hasher = PasswordHasher()
_dummy_hash: list[str] = []


def _dummy() -> str:
    """A hash of a password nobody has, checked when there is no real one to check, so that
    a missing user costs the same time as a wrong password."""
    if not _dummy_hash:
        _dummy_hash.append(_hasher.hash(secrets.token_urlsafe(16)))
    return _dummy_hash[0]


def _digest(secret: str) -> str:
    return hashlib.sha256(secret.encode()).hexdigest()


def _roles(row: StoredRow) -> frozenset[Role]:
    return frozenset(Role(r) for r in str(row.roles).split(",") if r)


def principal_of(row: StoredRow) -> Principal:
    return Principal(name=row.name, nation=row.nation, roles=_roles(row), user_id=row.id)


def profile_of(row: StoredRow) -> Profile:
    """The profile stored on a user's row (a row from before migration 0010 has none)."""
    return Profile(
        full_name=getattr(row, "full_name", None),
        rank=getattr(row, "rank", None),
        position=getattr(row, "position", None),
        unit=getattr(row, "unit", None),
    )


def _user_out(row: StoredRow) -> UserOut:
    profile = profile_of(row)
    return UserOut(
        id=row.id,
        name=row.name,
        nation=row.nation,
        roles=sorted(r.value for r in _roles(row)),
        language=row.language,
        active=bool(row.active),
        has_password=row.password_hash is not None,
        created_at=row.created_at,
        full_name=profile.full_name,
        rank=profile.rank,
        position=profile.position,
        unit=profile.unit,
        email=getattr(row, "email", None),
        notify=getattr(row, "notify", None) or "off",
    )


def _token_out(row: StoredRow, user: str, now: datetime) -> TokenOut:
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


def _user_row(uow: UnitOfWork, name: str) -> StoredRow:
    row = uow.accounts.user(name)
    if row is None:
        raise NotFoundError.single(Code.USER_NOT_FOUND, "user", "no user {user}", user=repr(name))
    return row


def _language(value: str) -> str:
    if value not in LANGUAGES:
        raise AcsaError.single(
            Code.INVALID_FIELD,
            "language",
            "language {language}: one of {languages}",
            language=repr(value),
            languages=", ".join(LANGUAGES),
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
            raise AcsaError.single(
                Code.USER_EXISTS, "name", "user {user} exists", user=repr(doc.name)
            )
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
            ended = _end_credentials(uow, row.id, before, after, "password_hash" in values)
            uow.record(
                "user.update",
                f"user:{name}",
                actor,
                before.model_dump(mode="json"),
                {**after.model_dump(mode="json"), "changed": changed, **ended},
            )
            uow.commit()
    return after


def update_profile(
    uow: UnitOfWork, name: str, given: Mapping[str, str | None], actor: str = "operator"
) -> UserOut:
    """Change user ``name``'s full name, rank or grade, position or unit (what the order form
    prints beside their signature); only the fields given change, an empty text clears one.
    Bounds are checked first (INVALID_FIELD naming the field); the change is audited."""
    values = profile_changes(given)
    with uow:
        row = _user_row(uow, name)
        before = _user_out(row)
        if values:
            uow.accounts.update_user(row.id, values)
        after_row = uow.accounts.user_by_id(row.id)
        assert after_row is not None
        after = _user_out(after_row)
        if values and before != after:
            uow.record(
                "user.update",
                f"user:{name}",
                actor,
                before.model_dump(mode="json"),
                {**after.model_dump(mode="json"), "changed": sorted(values)},
            )
            uow.commit()
    return after


def profiles(uow: UnitOfWork, names: Iterable[str]) -> dict[str, Profile]:
    """The profiles of the users ``names`` (a name with no user is left out)."""
    found: dict[str, Profile] = {}
    with uow:
        for name in sorted(set(names)):
            row = uow.accounts.user(name)
            if row is not None:
                found[name] = profile_of(row)
    return found


def _end_credentials(
    uow: UnitOfWork, user_id: int, before: UserOut, after: UserOut, new_password: bool
) -> dict[str, Any]:
    """A new password, other roles, or being switched off end every session and token the
    user had: what was signed in under the old terms does not outlive them."""
    if not (new_password or before.roles != after.roles or (before.active and not after.active)):
        return {}
    sessions = uow.accounts.end_sessions(user_id)
    tokens = uow.accounts.revoke_tokens(user_id, utc_now())
    return {"ended": {"sessions": sessions, "tokens": tokens}}


def issue_token(
    uow: UnitOfWork,
    name: str,
    token_name: str = "api",  # noqa: S107 - the default label of a token, not a secret
    expires_days: int | None = None,
    actor: str = "operator",
    now: datetime | None = None,
    never_expires: bool = False,
    may_choose_never: bool = True,
) -> TokenIssuedOut:
    """A new personal API token for user ``name``; its secret is shown once, kept hashed.

    It lives ``expires_days`` (1 to ACSA_TOKEN_MAX_DAYS; default 90, or that maximum when
    smaller); ``never_expires`` only where ``may_choose_never`` (an admin, or the operator)."""
    at = now or utc_now()
    lifetime = token_lifetime(expires_days, never_expires, token_max_days(), may_choose_never)
    secret = TOKEN_PREFIX + secrets.token_urlsafe(32)
    with uow:
        row = _user_row(uow, name)
        expires = at + lifetime if lifetime is not None else None
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
            raise NotFoundError.single(
                Code.TOKEN_NOT_FOUND, "token", "no token {token}", token=token_id
            )
        if row.revoked_at is None:
            uow.accounts.revoke_token(token_id, at)
            uow.record("token.revoke", f"token:{token_id}", actor, None, {"user": user.name})
            uow.commit()
        stored = uow.accounts.token(token_id)
        assert stored is not None
        return _token_out(stored, user.name, at)


def _unauthenticated(template: str, **params: object) -> UnauthenticatedError:
    """UNAUTHENTICATED; ``template`` is marked ``t(...)``."""
    return UnauthenticatedError(
        [Violation(Code.UNAUTHENTICATED, "authorization", template, params=params)]
    )


def principal_for_token(uow: UnitOfWork, token: str, now: datetime | None = None) -> Principal:
    """Who ``token`` signs in, or UNAUTHENTICATED (unknown, revoked, expired, switched off)."""
    at = now or utc_now()
    with uow:
        row = uow.accounts.user_for_token(_digest(token))
    if row is None or row.revoked_at is not None or not row.active:
        raise _unauthenticated(t("the token is not valid (unknown, revoked, or user switched off)"))
    if row.expires_at is not None and row.expires_at <= at:
        raise _unauthenticated(
            t("the token expired at {expired}"), expired=row.expires_at.isoformat()
        )
    return principal_of(row)


def _password_matches(row: StoredRow | None, password: str) -> bool:
    """Whether ``password`` is the user's (an active user with a password); the same time is
    spent when there is no such user, so a missing user is not told apart."""
    usable = row is not None and row.password_hash is not None and bool(row.active)
    stored = str(row.password_hash) if usable and row is not None else _dummy()
    try:
        _hasher.verify(stored, password)
    except (VerificationError, InvalidHashError):
        return False
    return usable


def sign_in(
    engine: Engine,
    name: str,
    password: str,
    address: str | None,
    policy: SignInPolicy | None = None,
    now: datetime | None = None,
) -> Principal:
    """The user ``name`` if ``password`` is theirs and the throttle lets the attempt through.

    The attempt is counted as a failure of the name and of the client ``address`` before the
    password is checked (so parallel guesses meet the throttle too) and taken back when it
    succeeds. SIGN_IN_THROTTLED (wait) or SIGN_IN_LOCKED (an admin unlocks) refuse it without
    checking the password; a wrong password is UNAUTHENTICATED, the same whether the user
    exists or not. Every refused attempt is in the audit log: the name as typed (cut to a
    bound) and the address, never the password."""
    rules = policy or sign_in_policy()
    at = now or utc_now()
    typed = clean_name(name)[:NAME_CHARS_MAX]
    where = address_key(address)
    row, verdict = _count_attempt(engine, rules, name, typed, where, at)
    if not verdict.allowed:
        raise SignInRefusedError(verdict)
    if not _password_matches(row, password):
        _record_failure(engine, row, name, typed, where, now)
        raise _unauthenticated(t("wrong user name or password"))
    assert row is not None
    _take_back(engine, rules, typed, where)
    return principal_of(row)


def _count_attempt(
    engine: Engine, rules: SignInPolicy, name: str, typed: str, where: str, at: datetime
) -> tuple[StoredRow | None, Verdict]:
    """Decide whether the attempt may go ahead; if so, count it as a failure ahead of the
    password check; if not, record the refusal."""
    with db.UnitOfWork(engine) as uow:
        uow.accounts.lock_sign_in()
        # A name with a control character in it belongs to nobody.
        row = uow.accounts.user(typed) if typed == name else None
        account = uow.accounts.failures(CountedBy.ACCOUNT, typed)
        by_address = uow.accounts.failures(CountedBy.ADDRESS, where)
        verdict = decide(rules, at, account, by_address)
        if verdict.allowed:
            uow.accounts.put_failures(
                CountedBy.ACCOUNT, typed, counted(rules, CountedBy.ACCOUNT, typed, account, at)
            )
            uow.accounts.put_failures(
                CountedBy.ADDRESS, where, counted(rules, CountedBy.ADDRESS, where, by_address, at)
            )
            uow.accounts.forget_failures(at - timedelta(seconds=rules.forget_after_s))
        else:
            code = Code.SIGN_IN_LOCKED if verdict.locked else Code.SIGN_IN_THROTTLED
            details = {"code": code.value, "cause": str(verdict.cause)}
            if not verdict.locked:
                details["retry_after_s"] = str(verdict.retry_after_s)
            _record_refusal(uow, row, name, where, details)
        uow.commit()
    return row, verdict


def _record_refusal(
    uow: UnitOfWork, row: StoredRow | None, name: str, where: str, details: dict[str, str]
) -> None:
    shown = recorded_name(name)
    # A real user's refusals are their nation's to audit; a name nobody has is the operator's.
    uow.principal = principal_of(row) if row is not None else None
    action = "sign_in.refuse" if details else "sign_in.fail"
    after = {"name": shown, "address": where, **details}
    uow.record(action, f"user:{shown}", shown, None, after)


def _record_failure(
    engine: Engine,
    row: StoredRow | None,
    name: str,
    typed: str,
    where: str,
    now: datetime | None,
) -> None:
    """Audit a wrong password; the name's and the address's delays run from now (the
    password checked), not from when the attempt was counted."""
    with db.UnitOfWork(engine) as uow:
        uow.accounts.lock_sign_in()
        at = now or utc_now()
        for kind, key in ((CountedBy.ACCOUNT, typed), (CountedBy.ADDRESS, where)):
            failures = uow.accounts.failures(kind, key)
            if failures is not None:
                uow.accounts.put_failures(kind, key, failed_at(failures, at))
        _record_refusal(uow, row, name, where, {})
        uow.commit()


def _take_back(engine: Engine, rules: SignInPolicy, typed: str, where: str) -> None:
    """A successful sign-in: the name's failures are forgotten and the address's count loses
    the attempt counted ahead (its other failures stand)."""
    with db.UnitOfWork(engine) as uow:
        uow.accounts.lock_sign_in()
        uow.accounts.put_failures(CountedBy.ACCOUNT, typed, None)
        by_address = uow.accounts.failures(CountedBy.ADDRESS, where)
        if by_address is not None:
            uow.accounts.put_failures(CountedBy.ADDRESS, where, uncounted(rules, by_address))
        uow.commit()


def _lock_out(failures: Failures) -> SignInLockOut:
    return SignInLockOut(
        kind=failures.kind.value,
        key=failures.key,
        failures=failures.count,
        last_failure_at=failures.last_at,
        locked_at=failures.locked_at,
    )


def sign_in_locks(uow: UnitOfWork) -> list[SignInLockOut]:
    """Every locked user name and client address."""
    with uow:
        return [_lock_out(f) for f in uow.accounts.locked()]


def unlock(uow: UnitOfWork, kind: CountedBy, key: str, actor: str) -> UnlockOut:
    """Lift the lock of a user name or client address and forget its failures."""
    key = clean_name(key)[:NAME_CHARS_MAX] if kind is CountedBy.ACCOUNT else address_key(key)
    with uow:
        failures = uow.accounts.failures(kind, key)
        result = UnlockOut(
            kind=kind.value,
            key=key,
            was_locked=failures is not None and failures.locked,
            failures=failures.count if failures is not None else 0,
        )
        if failures is not None:
            uow.accounts.put_failures(kind, key, None)
            shown = recorded_name(key)
            subject = f"user:{shown}" if kind is CountedBy.ACCOUNT else f"address:{shown}"
            uow.record(
                "sign_in.unlock", subject, actor, _lock_out(failures).model_dump(mode="json")
            )
            uow.commit()
    return result


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
        raise _unauthenticated(t("not signed in, or the session expired"))

    return principal_of(row), str(row.csrf), str(row.language)


def end_session(uow: UnitOfWork, secret: str, actor: str) -> None:
    with uow:
        uow.accounts.end_session(_digest(secret))
        uow.record("session.end", f"user:{actor}", actor)
        uow.commit()
