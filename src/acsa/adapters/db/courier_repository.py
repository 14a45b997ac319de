"""The node's identity, its partners, the documents it holds and the outbox, in the database."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any, cast

from sqlalchemy import Connection, Row, and_, exists, func, insert, select, update
from sqlalchemy.sql.elements import ColumnElement

from acsa.adapters.db import tables as t
from acsa.domain.documents import Document, Head

NODE_NATION = "node.nation"
NODE_PUBLIC_KEY = "node.public_key"
NODE_KEY_FILE = "node.key_file"


@dataclass(frozen=True, slots=True)
class NodeRecord:
    """What the database knows of this node: its nation, public key and key file."""

    nation: str
    public_key: str
    fingerprint: str
    key_file: Path


@dataclass(frozen=True, slots=True)
class Partner:
    nation: str
    url: str
    public_key: str
    fingerprint: str
    added_at: datetime
    updated_at: datetime


class PartnerRepository:
    def __init__(self, conn: Connection) -> None:
        self.conn = conn

    def get(self, nation: str) -> Partner | None:
        row = self.conn.execute(select(t.partners).where(t.partners.c.nation == nation)).first()
        return None if row is None else Partner(**row._mapping)

    def all(self) -> list[Partner]:
        rows = self.conn.execute(select(t.partners).order_by(t.partners.c.nation))
        return [Partner(**row._mapping) for row in rows]

    def put(self, nation: str, url: str, public_key: str, fingerprint: str, now: datetime) -> None:
        values = {"url": url, "public_key": public_key, "fingerprint": fingerprint}
        changed = self.conn.execute(
            update(t.partners).where(t.partners.c.nation == nation).values(**values, updated_at=now)
        )
        if changed.rowcount == 0:
            self.conn.execute(
                insert(t.partners).values(nation=nation, **values, added_at=now, updated_at=now)
            )


class DocumentRepository:
    def __init__(self, conn: Connection) -> None:
        self.conn = conn

    def head(self, order_uid: str) -> Head | None:
        row = self.conn.execute(
            select(t.documents.c.seq, t.documents.c.hash)
            .where(t.documents.c.order_uid == order_uid)
            .order_by(t.documents.c.seq.desc())
            .limit(1)
        ).first()
        return None if row is None else Head(row.seq, row.hash)

    def get(self, document_id: str) -> Row[Any] | None:
        return self.conn.execute(select(t.documents).where(t.documents.c.id == document_id)).first()

    def add(self, document: Document, origin: str, now: datetime) -> None:
        self.conn.execute(
            insert(t.documents).values(
                id=document.id,
                order_uid=document.order,
                seq=document.seq,
                kind=document.kind.value,
                issuer=document.issuer,
                recipient=document.recipient,
                key=document.key,
                prev=document.prev,
                hash=document.hash,
                at=document.at,
                actor=document.actor,
                wire=document.wire().decode(),
                origin=origin,
                recorded_at=now,
            )
        )

    def of_order(self, order_uid: str) -> list[Row[Any]]:
        return list(
            self.conn.execute(
                select(t.documents)
                .where(t.documents.c.order_uid == order_uid)
                .order_by(t.documents.c.seq)
            )
        )

    def with_partner(self, nation: str, partner: str) -> list[Row[Any]]:
        """Every document between ``nation`` and ``partner`` (either way), by order and seq."""
        d = t.documents.c
        return list(
            self.conn.execute(
                select(d.order_uid, d.seq, d.id, d.kind, d.issuer, d.prev, d.hash)
                .where(
                    ((d.issuer == nation) & (d.recipient == partner))
                    | ((d.issuer == partner) & (d.recipient == nation))
                )
                .order_by(d.order_uid, d.seq)
            )
        )

    def received_counts(self, nation: str) -> list[Row[Any]]:
        """(issuer, count) of the documents partners sent to ``nation``."""
        d = t.documents.c
        return list(
            self.conn.execute(
                select(d.issuer, func.count().label("count"))
                .where(d.recipient == nation, d.origin == "remote")
                .group_by(d.issuer)
            )
        )


class OutboxRepository:
    def __init__(self, conn: Connection) -> None:
        self.conn = conn

    def add(self, document_id: str, partner: str, now: datetime) -> None:
        self.conn.execute(
            insert(t.outbox).values(
                document_id=document_id,
                partner=partner,
                status="pending",
                attempts=0,
                next_attempt_at=now,
                created_at=now,
            )
        )

    @staticmethod
    def _held() -> ColumnElement[bool]:
        """Whether a pending row waits behind an earlier row of the same order to the same
        partner that was refused (or set aside): sent before it, it would arrive out of order."""
        earlier = t.outbox.alias("earlier")
        earlier_doc = t.documents.alias("earlier_doc")
        return exists(
            select(earlier.c.id)
            .join(earlier_doc, earlier_doc.c.id == earlier.c.document_id)
            .where(
                and_(
                    earlier.c.partner == t.outbox.c.partner,
                    earlier.c.status == "refused",
                    earlier.c.id < t.outbox.c.id,
                    earlier_doc.c.order_uid == t.documents.c.order_uid,
                )
            )
        )

    def next_pending(self, partner: str) -> Row[Any] | None:
        """The partner's oldest undelivered document that may be sent (not held behind a
        refused document of its order), with its wire form."""
        o = t.outbox.c
        row = self.conn.execute(
            select(
                o.id,
                o.document_id,
                o.partner,
                o.attempts,
                o.next_attempt_at,
                o.last_error,
                o.code,
                t.documents.c.wire,
                t.documents.c.hash,
            )
            .join(t.documents, t.documents.c.id == o.document_id)
            .where(o.partner == partner, o.status == "pending", ~self._held())
            .order_by(o.id)
            .limit(1)
        ).first()
        return cast("Row[Any] | None", row)

    def held_counts(self) -> dict[str, int]:
        """Per partner, how many pending documents wait behind a refused one of their order."""
        o = t.outbox.c
        rows = self.conn.execute(
            select(o.partner, func.count())
            .select_from(t.outbox.join(t.documents, t.documents.c.id == o.document_id))
            .where(o.status == "pending", self._held())
            .group_by(o.partner)
        )
        return {r[0]: int(r[1]) for r in rows}

    def find(self, document_id: str) -> list[Row[Any]]:
        """The outbox rows of the document ``document_id`` names (its id, or a prefix of it:
        hex digits and dashes only), at most two."""
        return list(
            self.conn.execute(
                self._entries()
                .where(t.documents.c.id.startswith(document_id, autoescape=True))
                .limit(2)
            )
        )

    def mark(self, outbox_id: int, **values: Any) -> None:
        self.conn.execute(update(t.outbox).where(t.outbox.c.id == outbox_id).values(**values))

    def partners_with_pending(self) -> list[str]:
        o = t.outbox.c
        rows = self.conn.execute(select(o.partner).where(o.status == "pending").distinct())
        return sorted(r[0] for r in rows)

    def counts(self) -> dict[tuple[str, str], int]:
        """How many documents per (partner, status)."""
        o = t.outbox.c
        rows = self.conn.execute(
            select(o.partner, o.status, func.count()).group_by(o.partner, o.status)
        )
        return {(r[0], r[1]): int(r[2]) for r in rows}

    def oldest_pending(self) -> dict[str, Row[Any]]:
        """Per partner, its oldest pending row (attempts, last error, next attempt)."""
        found: dict[str, Row[Any]] = {}
        for partner in self.partners_with_pending():
            row = self.next_pending(partner)
            if row is not None:
                found[partner] = row
        return found

    def entries(
        self, partner: str | None = None, statuses: Sequence[str] = (), limit: int = 50
    ) -> list[Row[Any]]:
        query = self._entries().order_by(t.outbox.c.id.desc()).limit(limit)
        o = t.outbox.c
        if partner is not None:
            query = query.where(o.partner == partner)
        if statuses:
            query = query.where(o.status.in_(list(statuses)))
        return list(self.conn.execute(query))

    @staticmethod
    def _entries() -> Any:
        o = t.outbox.c
        return select(
            o.id,
            o.partner,
            o.status,
            o.attempts,
            o.code,
            o.last_error,
            o.created_at,
            o.delivered_at,
            o.next_attempt_at,
            t.documents.c.id.label("document_id"),
            t.documents.c.kind,
            t.documents.c.order_uid,
            t.documents.c.seq,
        ).join(t.documents, t.documents.c.id == o.document_id)
