"""Users, their API tokens and browser sessions, and the sign-in throttle's counts."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import Connection, Row, and_, bindparam, delete, insert, select, text, update

from acsa.adapters.db import tables as t
from acsa.domain.sign_in import CountedBy, Failures

#: The PostgreSQL advisory lock that makes counting a sign-in attempt one step at a time.
_SIGN_IN_LOCK = 0x5349474E  # "SIGN"

_TOKEN_PRINCIPAL = (
    select(t.users, t.api_tokens.c.expires_at, t.api_tokens.c.revoked_at)
    .select_from(t.api_tokens.join(t.users, t.users.c.id == t.api_tokens.c.user_id))
    .where(t.api_tokens.c.token_hash == bindparam("token_hash"))
)


class AccountRepository:
    def __init__(self, conn: Connection) -> None:
        self.conn = conn

    def user(self, name: str) -> Row[Any] | None:
        return self.conn.execute(select(t.users).where(t.users.c.name == name)).first()

    def user_by_id(self, user_id: int) -> Row[Any] | None:
        return self.conn.execute(select(t.users).where(t.users.c.id == user_id)).first()

    def users(self, nation: str | None = None) -> list[Row[Any]]:
        query = select(t.users).order_by(t.users.c.name)
        if nation:
            query = query.where(t.users.c.nation == nation)
        return list(self.conn.execute(query))

    def add_user(self, values: dict[str, Any]) -> int:
        key = self.conn.execute(insert(t.users).values(**values)).inserted_primary_key
        assert key is not None
        return int(key[0])

    def update_user(self, user_id: int, values: dict[str, Any]) -> None:
        self.conn.execute(update(t.users).where(t.users.c.id == user_id).values(**values))

    def add_token(self, values: dict[str, Any]) -> int:
        key = self.conn.execute(insert(t.api_tokens).values(**values)).inserted_primary_key
        assert key is not None
        return int(key[0])

    def tokens(self, user_id: int | None = None) -> list[Row[Any]]:
        a, u = t.api_tokens, t.users
        query = (
            select(a, u.c.name.label("user_name"))
            .select_from(a.join(u, u.c.id == a.c.user_id))
            .order_by(a.c.id)
        )
        if user_id is not None:
            query = query.where(a.c.user_id == user_id)
        return list(self.conn.execute(query))

    def token(self, token_id: int) -> Row[Any] | None:
        return self.conn.execute(select(t.api_tokens).where(t.api_tokens.c.id == token_id)).first()

    def revoke_token(self, token_id: int, at: datetime) -> None:
        self.conn.execute(
            update(t.api_tokens).where(t.api_tokens.c.id == token_id).values(revoked_at=at)
        )

    def user_for_token(self, token_hash: str) -> Row[Any] | None:
        """The token's user with the token's expiry and revocation, or None."""
        return self.conn.execute(_TOKEN_PRINCIPAL, {"token_hash": token_hash}).first()

    def add_session(self, values: dict[str, Any]) -> None:
        self.conn.execute(insert(t.web_sessions).values(**values))

    def session(self, token_hash: str) -> Row[Any] | None:
        s, u = t.web_sessions, t.users
        query = (
            select(u, s.c.csrf, s.c.expires_at.label("session_expires_at"))
            .select_from(s.join(u, u.c.id == s.c.user_id))
            .where(s.c.token_hash == token_hash)
        )
        return self.conn.execute(query).first()

    def end_session(self, token_hash: str) -> None:
        self.conn.execute(delete(t.web_sessions).where(t.web_sessions.c.token_hash == token_hash))

    def end_sessions(self, user_id: int) -> int:
        """End every browser session of a user; how many there were."""
        done = self.conn.execute(delete(t.web_sessions).where(t.web_sessions.c.user_id == user_id))
        return int(done.rowcount or 0)

    def revoke_tokens(self, user_id: int, at: datetime) -> list[int]:
        """Revoke every live token of a user at ``at``; the ids revoked."""
        a = t.api_tokens
        live = and_(a.c.user_id == user_id, a.c.revoked_at.is_(None))
        ids = [int(r[0]) for r in self.conn.execute(select(a.c.id).where(live).order_by(a.c.id))]
        if ids:
            self.conn.execute(update(a).where(a.c.id.in_(ids)).values(revoked_at=at))
        return ids

    # --- the sign-in throttle ---------------------------------------------------------------

    def lock_sign_in(self) -> None:
        """Count sign-in attempts one at a time (SQLite writers are one at a time already)."""
        if self.conn.dialect.name == "postgresql":
            self.conn.execute(text("SELECT pg_advisory_xact_lock(:k)"), {"k": _SIGN_IN_LOCK})

    def failures(self, kind: CountedBy, key: str) -> Failures | None:
        s = t.sign_in_throttle
        row = self.conn.execute(select(s).where(s.c.kind == kind.value, s.c.key == key)).first()
        if row is None:
            return None
        return Failures(kind, key, int(row.failures), row.last_failure_at, row.locked_at)

    def put_failures(self, kind: CountedBy, key: str, failures: Failures | None) -> None:
        """Store a name's or address's count (None: forget it)."""
        s = t.sign_in_throttle
        where = and_(s.c.kind == kind.value, s.c.key == key)
        if failures is None:
            self.conn.execute(delete(s).where(where))
            return
        values = {
            "failures": failures.count,
            "last_failure_at": failures.last_at,
            "locked_at": failures.locked_at,
        }
        if self.conn.execute(update(s).where(where).values(**values)).rowcount == 0:
            self.conn.execute(insert(s).values(kind=kind.value, key=key, **values))

    def forget_failures(self, before: datetime) -> None:
        """Drop the counts short of a lock whose last failure is older than ``before``."""
        s = t.sign_in_throttle
        self.conn.execute(delete(s).where(s.c.locked_at.is_(None), s.c.last_failure_at < before))

    def locked(self) -> list[Failures]:
        """Every locked name and address, oldest lock first."""
        s = t.sign_in_throttle
        query = select(s).where(s.c.locked_at.is_not(None)).order_by(s.c.locked_at, s.c.key)
        return [
            Failures(CountedBy(r.kind), r.key, int(r.failures), r.last_failure_at, r.locked_at)
            for r in self.conn.execute(query)
        ]
