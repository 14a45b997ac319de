"""Storage for forks in an order's chain (``acsa.domain.forks``): the documents that lost their
place (``fork_documents``), moving one of ours out of the chain, and the records one of our own
steps wrote, found again to take the step back."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import Connection, Row, delete, exists, func, insert, select, update

from acsa.adapters.db import tables as t
from acsa.adapters.db.ledger_repository import LedgerRepository
from acsa.domain.documents import Document
from acsa.domain.forks import Link
from acsa.domain.ledger import Entry, EntryKind

#: What became of a document that lost its place (the ``fate`` column).
SET_ASIDE = "set_aside"
ROLLED_BACK = "rolled_back"
REISSUED = "reissued"
DROPPED = "dropped"


class ForkRepository:
    def __init__(self, conn: Connection) -> None:
        self.conn = conn

    def chain(self, order_uid: str) -> list[Link]:
        """The order's documents held here, seq 1, 2, ... as the fork rule reads them."""
        d = t.documents.c
        rows = self.conn.execute(
            select(d.seq, d.hash, d.prev, d.issuer).where(d.order_uid == order_uid).order_by(d.seq)
        )
        return [Link(r.seq, r.hash, r.prev, r.issuer) for r in rows]

    def set_aside_hashes(self, order_uid: str) -> set[str]:
        """Hashes of the order's documents that lost their place here (a document built on one
        of them loses too)."""
        f = t.fork_documents.c
        rows = self.conn.execute(select(f.hash).where(f.order_uid == order_uid))
        return {r.hash for r in rows}

    def get(self, document_id: str) -> Row[Any] | None:
        f = t.fork_documents
        return self.conn.execute(select(f).where(f.c.id == document_id)).first()

    def by_hash(self, order_uid: str, hash_: str) -> Row[Any] | None:
        f = t.fork_documents
        query = select(f).where(f.c.order_uid == order_uid, f.c.hash == hash_)
        return self.conn.execute(query).first()

    def holder(self, order_uid: str, seq: int) -> Row[Any] | None:
        """The document of the chain at ``seq`` (or our last, when the chain is shorter)."""
        d = t.documents
        query = (
            select(d)
            .where(d.c.order_uid == order_uid, d.c.seq <= seq)
            .order_by(d.c.seq.desc())
            .limit(1)
        )
        return self.conn.execute(query).first()

    def keep(
        self, document: Document, fate: str, winner: str, winner_id: str, now: datetime
    ) -> None:
        """Keep ``document``, which lost its place to the document ``winner_id`` (hash
        ``winner``), with its ``fate``."""
        self.conn.execute(
            insert(t.fork_documents).values(
                id=document.id,
                order_uid=document.order,
                seq=document.seq,
                kind=document.kind.value,
                issuer=document.issuer,
                prev=document.prev,
                hash=document.hash,
                at=document.at,
                actor=document.actor,
                wire=document.wire().decode(),
                fate=fate,
                winner=winner,
                winner_id=winner_id,
                recorded_at=now,
            )
        )

    def take_out(self, document_ids: Sequence[str]) -> None:
        """Remove our documents from the order's chain and from the outbox (they are kept in
        ``fork_documents``; a partner that got one set it aside)."""
        ids = list(document_ids)
        self.conn.execute(delete(t.outbox).where(t.outbox.c.document_id.in_(ids)))
        self.conn.execute(delete(t.documents).where(t.documents.c.id.in_(ids)))

    def settle(
        self, document_id: str, fate: str, reissued_as: str | None, code: str | None
    ) -> None:
        f = t.fork_documents
        self.conn.execute(
            update(f)
            .where(f.c.id == document_id)
            .values(fate=fate, reissued_as=reissued_as, code=code)
        )

    def to_reissue(self, limit: int = 100) -> list[Row[Any]]:
        """Our rolled-back documents still to issue again, oldest first."""
        f = t.fork_documents.c
        return list(
            self.conn.execute(
                select(t.fork_documents)
                .where(f.fate == ROLLED_BACK)
                .order_by(f.recorded_at, f.order_uid, f.seq)
                .limit(limit)
            )
        )

    def of_order(self, order_uid: str) -> list[Row[Any]]:
        f = t.fork_documents.c
        return list(
            self.conn.execute(
                select(t.fork_documents).where(f.order_uid == order_uid).order_by(f.seq, f.at)
            )
        )

    def latest(self, limit: int) -> list[Row[Any]]:
        f = t.fork_documents.c
        return list(
            self.conn.execute(
                select(t.fork_documents).order_by(f.recorded_at.desc(), f.seq.desc()).limit(limit)
            )
        )

    def counts(self) -> dict[tuple[str, str], int]:
        """(issuer, fate) -> how many documents."""
        f = t.fork_documents.c
        rows = self.conn.execute(
            select(f.issuer, f.fate, func.count().label("n")).group_by(f.issuer, f.fate)
        )
        return {(r.issuer, r.fate): int(r.n) for r in rows}


class StepRecords:
    """The rows one of our own steps on an order wrote, named by the step's time and actor
    (every record a step writes carries the step's ``at`` and ``actor``)."""

    def __init__(self, conn: Connection) -> None:
        self.conn = conn

    def remove_note(self, order_id: int, at: datetime, actor: str) -> int:
        n = t.order_notes.c
        found = self.conn.execute(
            select(func.max(n.id)).where(n.order_id == order_id, n.at == at, n.actor == actor)
        ).scalar()
        if found is None:
            return 0
        return self.conn.execute(delete(t.order_notes).where(n.id == found)).rowcount

    def remove_payments(self, order_id: int, at: datetime, actor: str) -> int:
        p, i = t.payments.c, t.invoices.c
        of_order = select(i.id).where(i.order_id == order_id)
        gone = delete(t.payments).where(p.invoice_id.in_(of_order), p.at == at, p.actor == actor)
        return self.conn.execute(gone).rowcount

    def remove_settlements(self, order_id: int, at: datetime, actor: str) -> int:
        s = t.settlements.c
        gone = delete(t.settlements).where(s.order_id == order_id, s.at == at, s.actor == actor)
        return self.conn.execute(gone).rowcount

    def entries(self, order_id: int, at: datetime, actor: str) -> list[Entry]:
        """The ledger entries the step posted that nothing has reversed yet."""
        e = t.ledger_entries
        later = e.alias("reversal")
        heads = self.conn.execute(
            select(e.c.id, e.c.book).where(
                e.c.order_id == order_id,
                e.c.at == at,
                e.c.actor == actor,
                e.c.kind != EntryKind.REVERSAL.value,
                ~exists().where(later.c.order_id == order_id, later.c.reverses == e.c.id),
            )
        ).all()
        wanted = {h.id for h in heads}
        ledger = LedgerRepository(self.conn)
        return [
            entry
            for book in sorted({h.book for h in heads})
            for entry in ledger.entries(book, order_id=order_id)
            if entry.id in wanted
        ]
