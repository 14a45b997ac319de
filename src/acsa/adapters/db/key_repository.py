"""Every key a nation's node signed with, and its window (``node_keys``, migration 0011)."""

from __future__ import annotations

from sqlalchemy import Connection, delete, insert, select

from acsa.adapters.db import tables as t
from acsa.domain.keys import KeyWindow


class KeyRepository:
    def __init__(self, conn: Connection) -> None:
        self.conn = conn

    def of(self, nation: str) -> list[KeyWindow]:
        """``nation``'s keys, the oldest first."""
        k = t.node_keys.c
        rows = self.conn.execute(
            select(t.node_keys).where(k.nation == nation).order_by(k.since, k.fingerprint)
        )
        return [KeyWindow(**row._mapping) for row in rows]

    def replace(self, nation: str, keys: list[KeyWindow]) -> None:
        """Make ``keys`` the keys of ``nation``."""
        self.conn.execute(delete(t.node_keys).where(t.node_keys.c.nation == nation))
        for key in keys:
            self.conn.execute(
                insert(t.node_keys).values(
                    nation=key.nation,
                    fingerprint=key.fingerprint,
                    public_key=key.public_key,
                    since=key.since,
                    until=key.until,
                    revoked=key.revoked,
                )
            )
