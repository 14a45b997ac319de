"""Users, their API tokens and browser sessions."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import Connection, Row, bindparam, delete, insert, select, update

from acsa.adapters.db import tables as t

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
