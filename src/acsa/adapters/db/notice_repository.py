"""Notices as stored (``notices``, ``notice_inbox``) and the scheduler's rows
(``scheduler_leases``, ``scheduler_days``).

Every write here is safe against a concurrent writer doing the same: a notice or an inbox row
is inserted only if absent (``ON CONFLICT DO NOTHING`` on its key, on PostgreSQL and SQLite
alike), a lease is taken by one conditional statement, a day is claimed by inserting its row.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from sqlalchemy import Connection, Insert, Table, and_, func, or_, select, update
from sqlalchemy.dialects import postgresql, sqlite

from acsa.adapters.db import tables as t
from acsa.domain.notices import Notice


@dataclass(frozen=True)
class StoredNotice:
    """A notice as stored, with its reader's read mark when read from an inbox."""

    id: int
    key: str
    kind: str
    nation: str
    roles: tuple[str, ...]
    order_id: int | None
    subject: str
    params: dict[str, str]
    due: date | None
    as_of: date
    created_at: datetime
    read_at: datetime | None = None


@dataclass(frozen=True)
class Recipient:
    """An active user a notice goes to, and the language they read."""

    id: int
    name: str
    language: str


def _stored(row: Any, read_at: datetime | None = None) -> StoredNotice:
    return StoredNotice(
        id=row.id,
        key=row.key,
        kind=row.kind,
        nation=row.nation,
        roles=tuple(r for r in row.roles.split(",") if r),
        order_id=row.order_id,
        subject=row.subject,
        params={str(k): str(v) for k, v in (row.params or {}).items()},
        due=row.due,
        as_of=row.as_of,
        created_at=row.created_at,
        read_at=read_at,
    )


def insert_ignoring(conn: Connection, table: Table, values: dict[str, Any]) -> Insert:
    """An INSERT of ``values`` into ``table`` that does nothing where a unique key has the row
    already (on the dialect of ``conn``)."""
    if conn.dialect.name == "postgresql":
        return postgresql.insert(table).values(**values).on_conflict_do_nothing()
    if conn.dialect.name == "sqlite":
        return sqlite.insert(table).values(**values).on_conflict_do_nothing()
    raise NotImplementedError(conn.dialect.name)  # pragma: no cover


class NoticeRepository:
    def __init__(self, conn: Connection) -> None:
        self.conn = conn

    # --- notices ------------------------------------------------------------------------

    def known_keys(self, keys: Iterable[str]) -> set[str]:
        """Those of ``keys`` whose notice exists."""
        wanted = sorted(set(keys))
        found: set[str] = set()
        c = t.notices.c
        for start in range(0, len(wanted), 500):
            chunk = wanted[start : start + 500]
            found.update(self.conn.execute(select(c.key).where(c.key.in_(chunk))).scalars())
        return found

    def add_if_absent(self, notice: Notice, at: datetime) -> int | None:
        """Store ``notice``; its id, or None when a notice of its key exists (made before or
        by a concurrent runner)."""
        made = self.conn.execute(
            insert_ignoring(
                self.conn,
                t.notices,
                {
                    "key": notice.key,
                    "kind": notice.kind.value,
                    "nation": notice.nation,
                    "roles": notice.role_names,
                    "order_id": notice.order_id,
                    "subject": notice.subject,
                    "params": dict(notice.params),
                    "due": notice.due,
                    "as_of": notice.as_of,
                    "created_at": at,
                },
            ).returning(t.notices.c.id)
        ).first()
        return None if made is None else int(made[0])

    def deliver(self, notice_id: int, user_ids: Iterable[int]) -> int:
        """Put notice ``notice_id`` in the inbox of each of ``user_ids`` not holding it yet;
        how many rows were added."""
        added = 0
        for user_id in sorted(set(user_ids)):
            made = self.conn.execute(
                insert_ignoring(
                    self.conn,
                    t.notice_inbox,
                    {"notice_id": notice_id, "user_id": user_id, "read_at": None},
                ).returning(t.notice_inbox.c.user_id)
            ).first()
            added += made is not None
        return added

    def get(self, notice_id: int) -> StoredNotice | None:
        row = self.conn.execute(select(t.notices).where(t.notices.c.id == notice_id)).first()
        return None if row is None else _stored(row)

    def by_key(self, key: str) -> StoredNotice | None:
        row = self.conn.execute(select(t.notices).where(t.notices.c.key == key)).first()
        return None if row is None else _stored(row)

    def since(self, after_id: int = 0, limit: int = 500) -> list[StoredNotice]:
        """Notices with an id above ``after_id``, oldest first (for a delivery pass)."""
        c = t.notices.c
        rows = self.conn.execute(
            select(t.notices).where(c.id > after_id).order_by(c.id).limit(limit)
        )
        return [_stored(r) for r in rows]

    def recipients(self, nation: str, roles: Sequence[str]) -> list[Recipient]:
        """The active users of ``nation`` holding one of ``roles``."""
        u = t.users.c
        rows = self.conn.execute(
            select(u.id, u.name, u.roles, u.language)
            .where(u.nation == nation, u.active.is_(True))
            .order_by(u.id)
        )
        wanted = set(roles)
        return [
            Recipient(r.id, r.name, r.language)
            for r in rows
            if wanted & {x.strip() for x in r.roles.split(",")}
        ]

    def readers(self, notice_id: int) -> list[int]:
        """The users whose inbox holds notice ``notice_id``."""
        c = t.notice_inbox.c
        return list(
            self.conn.execute(
                select(c.user_id).where(c.notice_id == notice_id).order_by(c.user_id)
            ).scalars()
        )

    # --- one user's inbox -----------------------------------------------------------------

    def inbox(
        self, user_id: int, unread_only: bool = False, limit: int = 50, offset: int = 0
    ) -> list[StoredNotice]:
        """``user_id``'s notices, newest first."""
        n, i = t.notices.c, t.notice_inbox.c
        query = (
            select(t.notices, i.read_at.label("inbox_read_at"))
            .join(t.notice_inbox, i.notice_id == n.id)
            .where(i.user_id == user_id)
        )
        if unread_only:
            query = query.where(i.read_at.is_(None))
        rows = self.conn.execute(
            query.order_by(n.created_at.desc(), n.id.desc()).limit(limit).offset(offset)
        )
        return [_stored(r, r.inbox_read_at) for r in rows]

    def counts(self, user_id: int) -> tuple[int, int]:
        """How many notices ``user_id``'s inbox holds, and how many of them are unread."""
        i = t.notice_inbox.c
        total, unread = self.conn.execute(
            select(
                func.count(),
                func.count().filter(i.read_at.is_(None)),
            ).where(i.user_id == user_id)
        ).one()
        return int(total), int(unread or 0)

    def unread(self, user_id: int) -> int:
        i = t.notice_inbox.c
        return int(
            self.conn.execute(
                select(func.count()).where(i.user_id == user_id, i.read_at.is_(None))
            ).scalar_one()
        )

    def entry(self, notice_id: int, user_id: int) -> StoredNotice | None:
        """Notice ``notice_id`` as in ``user_id``'s inbox, or None when not in it."""
        n, i = t.notices.c, t.notice_inbox.c
        row = self.conn.execute(
            select(t.notices, i.read_at.label("inbox_read_at"))
            .join(t.notice_inbox, i.notice_id == n.id)
            .where(i.user_id == user_id, n.id == notice_id)
        ).first()
        return None if row is None else _stored(row, row.inbox_read_at)

    def mark_read(self, notice_id: int, user_id: int, at: datetime) -> bool:
        """Mark notice ``notice_id`` read in ``user_id``'s inbox; False when it was already
        (one statement: of concurrent markers exactly one sees True)."""
        i = t.notice_inbox.c
        result = self.conn.execute(
            update(t.notice_inbox)
            .where(i.notice_id == notice_id, i.user_id == user_id, i.read_at.is_(None))
            .values(read_at=at)
        )
        return result.rowcount == 1

    def mark_all_read(self, user_id: int, at: datetime) -> int:
        i = t.notice_inbox.c
        result = self.conn.execute(
            update(t.notice_inbox)
            .where(i.user_id == user_id, i.read_at.is_(None))
            .values(read_at=at)
        )
        return max(result.rowcount, 0)


class SchedulerRepository:
    """The scheduler's lease and its daily jobs' claims."""

    def __init__(self, conn: Connection) -> None:
        self.conn = conn

    def take_lease(self, name: str, holder: str, now: datetime, until: datetime) -> bool:
        """Hold lease ``name`` until ``until`` when it is free, expired or ``holder``'s
        already; whether ``holder`` holds it now. One statement each way, so of concurrent
        takers only one wins."""
        c = t.scheduler_leases.c
        result = self.conn.execute(
            update(t.scheduler_leases)
            .where(c.name == name, or_(c.holder == holder, c.expires_at < now))
            .values(holder=holder, expires_at=until)
        )
        if result.rowcount == 1:
            return True
        added = self.conn.execute(
            insert_ignoring(
                self.conn,
                t.scheduler_leases,
                {"name": name, "holder": holder, "expires_at": until},
            ).returning(t.scheduler_leases.c.name)
        ).first()
        return added is not None

    def release(self, name: str, holder: str) -> None:
        c = t.scheduler_leases.c
        self.conn.execute(
            t.scheduler_leases.delete().where(and_(c.name == name, c.holder == holder))
        )

    def holder(self, name: str) -> tuple[str, datetime] | None:
        c = t.scheduler_leases.c
        row = self.conn.execute(select(c.holder, c.expires_at).where(c.name == name)).first()
        return None if row is None else (row.holder, row.expires_at)

    def claim_day(self, job: str, day: date, holder: str, at: datetime) -> bool:
        """Claim ``job`` for ``day``: True for the one claimant that inserted its row."""
        made = self.conn.execute(
            insert_ignoring(
                self.conn,
                t.scheduler_days,
                {"job": job, "day": day, "holder": holder, "at": at},
            ).returning(t.scheduler_days.c.job)
        ).first()
        return made is not None

    def claimed(self, job: str, day: date) -> bool:
        c = t.scheduler_days.c
        row = self.conn.execute(select(c.holder).where(c.job == job, c.day == day)).first()
        return row is not None
