"""Source documents as stored: each file's bytes once under their SHA-256 (``attachment_blobs``),
and each attaching of a file to an order or a step (``order_attachments``)."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import Connection, delete, func, insert, select

from acsa.adapters.db import tables as t


@dataclass(frozen=True, slots=True)
class StoredAttachment:
    """A file attached to an order: which, what it is, the step it backs, who, when."""

    id: int
    order_id: int
    sha256: str
    media_type: str
    size: int
    name: str
    step_kind: str | None
    step_ref: str | None
    at: datetime
    actor: str
    nation: str | None

    @property
    def step(self) -> str | None:
        return None if self.step_kind is None else f"{self.step_kind}:{self.step_ref}"


_COLUMNS = (
    t.order_attachments.c.id,
    t.order_attachments.c.order_id,
    t.order_attachments.c.sha256,
    t.order_attachments.c.media_type,
    t.order_attachments.c.size,
    t.order_attachments.c.name,
    t.order_attachments.c.step_kind,
    t.order_attachments.c.step_ref,
    t.order_attachments.c.at,
    t.order_attachments.c.actor,
    t.order_attachments.c.nation,
)


class AttachmentRepository:
    def __init__(self, conn: Connection) -> None:
        self.conn = conn

    def has_blob(self, sha256: str) -> bool:
        b = t.attachment_blobs.c
        return self.conn.execute(select(b.sha256).where(b.sha256 == sha256)).first() is not None

    def put_blob(self, sha256: str, content: bytes, now: datetime) -> bool:
        """Store ``content`` under its hash unless it is held already; whether it was new."""
        if self.has_blob(sha256):
            return False
        self.conn.execute(
            insert(t.attachment_blobs).values(
                sha256=sha256, size=len(content), content=content, stored_at=now
            )
        )
        return True

    def blob(self, sha256: str) -> bytes | None:
        b = t.attachment_blobs.c
        found = self.conn.execute(select(b.content).where(b.sha256 == sha256)).scalar()
        return None if found is None else bytes(found)

    def add(
        self,
        order_id: int,
        sha256: str,
        media_type: str,
        size: int,
        name: str,
        step: tuple[str, str] | None,
        at: datetime,
        actor: str,
        nation: str | None,
    ) -> int:
        row = self.conn.execute(
            insert(t.order_attachments)
            .values(
                order_id=order_id,
                sha256=sha256,
                media_type=media_type,
                size=size,
                name=name,
                step_kind=None if step is None else step[0],
                step_ref=None if step is None else step[1],
                at=at,
                actor=actor,
                nation=nation,
            )
            .returning(t.order_attachments.c.id)
        )
        return int(row.scalar_one())

    def remove(self, order_id: int, at: datetime, actor: str) -> int:
        """Take back the latest file attached to the order at ``at`` by ``actor`` (a step of
        ours a partner's document took the place of; its bytes stay, named by their hash)."""
        a = t.order_attachments.c
        found = self.conn.execute(
            select(func.max(a.id)).where(a.order_id == order_id, a.at == at, a.actor == actor)
        ).scalar()
        if found is None:
            return 0
        return int(self.conn.execute(delete(t.order_attachments).where(a.id == found)).rowcount)

    def of_order(self, order_id: int) -> list[StoredAttachment]:
        a = t.order_attachments.c
        rows = self.conn.execute(
            select(*_COLUMNS).where(a.order_id == order_id).order_by(a.id)
        ).all()
        return [StoredAttachment(*r) for r in rows]

    def count(self, order_id: int) -> int:
        a = t.order_attachments.c
        query = select(func.count()).select_from(t.order_attachments).where(a.order_id == order_id)
        return int(self.conn.execute(query).scalar_one())

    def with_hash(self, sha256: str) -> list[StoredAttachment]:
        """Every attaching of the file ``sha256`` (to any order), oldest first."""
        a = t.order_attachments.c
        rows = self.conn.execute(select(*_COLUMNS).where(a.sha256 == sha256).order_by(a.id)).all()
        return [StoredAttachment(*r) for r in rows]

    def steps_of(self, order_ids: Sequence[int]) -> dict[int, set[tuple[str, str]]]:
        """The steps (kind, reference) each order's files back."""
        a = t.order_attachments.c
        found: dict[int, set[tuple[str, str]]] = {}
        if not order_ids:
            return found
        for start in range(0, len(order_ids), 500):
            chunk = list(order_ids[start : start + 500])
            rows = self.conn.execute(
                select(a.order_id, a.step_kind, a.step_ref).where(
                    a.order_id.in_(chunk), a.step_kind.is_not(None)
                )
            )
            for r in rows:
                found.setdefault(r.order_id, set()).add((r.step_kind, r.step_ref))
        return found
