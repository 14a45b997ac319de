"""A nation's general-ledger mapping (``gl_mappings``), its recorded journal exports
(``journal_exports``) and the entries a journal export reads (``ledger_entries`` with their
``ledger_postings``, in one query)."""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from sqlalchemy import Connection, and_, delete, func, insert, select, text, update

from acsa.adapters.db import tables as t
from acsa.domain.gl_mapping import GlRule
from acsa.domain.ledger import Account, Entry, EntryKind, Posting
from acsa.domain.money import Money, from_minor


@dataclass(frozen=True, slots=True)
class StoredRule:
    rule: GlRule
    at: datetime
    actor: str


@dataclass(frozen=True, slots=True)
class JournalExport:
    id: int
    nation: str
    at: datetime
    actor: str
    since: date | None
    until: date
    after_entry_id: int
    last_entry_id: int
    lines: int
    format: str


class JournalRepository:
    def __init__(self, conn: Connection) -> None:
        self.conn = conn

    # --- the mapping ------------------------------------------------------------------------

    def rules(self, nation: str) -> list[StoredRule]:
        m = t.gl_mappings
        rows = self.conn.execute(
            select(m).where(m.c.nation == nation).order_by(m.c.account, m.c.partner, m.c.currency)
        )
        return [
            StoredRule(
                GlRule(Account(r.account), r.partner, r.currency, r.gl_code, r.fund_citation),
                r.at,
                r.actor,
            )
            for r in rows
        ]

    def rule(self, nation: str, key: tuple[str, str, str]) -> StoredRule | None:
        found = self.rules_of_key(nation, key)
        return found[0] if found else None

    def rules_of_key(self, nation: str, key: tuple[str, str, str]) -> list[StoredRule]:
        m = t.gl_mappings
        account, partner, currency = key
        rows = self.conn.execute(
            select(m).where(
                m.c.nation == nation,
                m.c.account == account,
                m.c.partner == partner,
                m.c.currency == currency,
            )
        )
        return [
            StoredRule(
                GlRule(Account(r.account), r.partner, r.currency, r.gl_code, r.fund_citation),
                r.at,
                r.actor,
            )
            for r in rows
        ]

    def count(self, nation: str) -> int:
        m = t.gl_mappings
        return int(self.conn.execute(select(func.count()).where(m.c.nation == nation)).scalar_one())

    def put(self, nation: str, rule: GlRule, at: datetime, actor: str, replace: bool) -> None:
        m = t.gl_mappings
        values = {"gl_code": rule.gl_code, "fund_citation": rule.fund_citation, "at": at}
        if replace:
            self.conn.execute(
                update(m)
                .where(
                    m.c.nation == nation,
                    m.c.account == rule.account.value,
                    m.c.partner == rule.partner,
                    m.c.currency == rule.currency,
                )
                .values(**values, actor=actor)
            )
            return
        self.conn.execute(
            insert(m).values(
                nation=nation,
                account=rule.account.value,
                partner=rule.partner,
                currency=rule.currency,
                actor=actor,
                **values,
            )
        )

    def remove(self, nation: str, key: tuple[str, str, str]) -> None:
        m = t.gl_mappings
        account, partner, currency = key
        self.conn.execute(
            delete(m).where(
                m.c.nation == nation,
                m.c.account == account,
                m.c.partner == partner,
                m.c.currency == currency,
            )
        )

    # --- exports ----------------------------------------------------------------------------

    def exports(self, nation: str, limit: int = 20) -> list[JournalExport]:
        x = t.journal_exports
        rows = self.conn.execute(
            select(x).where(x.c.nation == nation).order_by(x.c.id.desc()).limit(limit)
        )
        return [JournalExport(**dict(r._mapping)) for r in rows]

    def hold_entries(self) -> None:
        """Wait for every transaction writing ledger entries to end, and keep new ones out
        until this one ends. On PostgreSQL an entry's id is handed out when it is inserted,
        not when it commits: without this, an entry committed late under an id below one a
        new export already took would be passed over by the next export's high-water mark.
        On SQLite a writing transaction holds the whole database from its BEGIN IMMEDIATE
        already (and ids follow commits)."""
        if self.conn.dialect.name == "postgresql":
            self.conn.execute(text("LOCK TABLE ledger_entries IN SHARE MODE"))

    def high_water(self, nation: str) -> int:
        """The last entry the nation's recorded exports took (0: none yet)."""
        x = t.journal_exports
        found = self.conn.execute(
            select(func.max(x.c.last_entry_id)).where(x.c.nation == nation)
        ).scalar_one()
        return int(found or 0)

    def record(
        self,
        nation: str,
        at: datetime,
        actor: str,
        since: date | None,
        until: date,
        after: int,
        last: int,
        lines: int,
        fmt: str,
    ) -> int:
        result = self.conn.execute(
            insert(t.journal_exports).values(
                nation=nation,
                at=at,
                actor=actor,
                since=since,
                until=until,
                after_entry_id=after,
                last_entry_id=last,
                lines=lines,
                format=fmt,
            )
        )
        key = result.inserted_primary_key
        assert key is not None
        return int(key[0])

    # --- entries ----------------------------------------------------------------------------

    def entries(
        self,
        book: str,
        since: date | None = None,
        until: date | None = None,
        after_id: int | None = None,
        most: int | None = None,
    ) -> list[Entry]:
        """The book's entries with their postings: effective from ``since`` to ``until``
        (either open) and with an id above ``after_id``; at most ``most`` entries, in id
        order."""
        e, p = t.ledger_entries, t.ledger_postings
        heads = select(e.c.id).where(e.c.book == book)
        if since is not None:
            heads = heads.where(e.c.effective >= since)
        if until is not None:
            heads = heads.where(e.c.effective <= until)
        if after_id is not None:
            heads = heads.where(e.c.id > after_id)
        heads = heads.order_by(e.c.id)
        if most is not None:
            heads = heads.limit(most)
        chosen = heads.subquery()
        query = (
            select(
                e.c.id,
                e.c.book,
                e.c.partner,
                e.c.kind,
                e.c.document,
                e.c.effective,
                e.c.at,
                e.c.actor,
                e.c.memo,
                e.c.order_id,
                e.c.reverses,
                p.c.seq,
                p.c.account,
                p.c.currency,
                p.c.amount_minor,
            )
            .join_from(e, chosen, chosen.c.id == e.c.id)
            .join(p, and_(p.c.entry_id == e.c.id))
            .order_by(e.c.id, p.c.seq)
        )
        heads_by_id: dict[int, Any] = {}
        postings: dict[int, list[Posting]] = defaultdict(list)
        for r in self.conn.execute(query):
            heads_by_id.setdefault(r.id, r)
            postings[r.id].append(
                Posting(
                    Account(r.account), Money(from_minor(r.amount_minor, r.currency), r.currency)
                )
            )
        return [
            Entry(
                book=h.book,
                partner=h.partner,
                kind=EntryKind(h.kind),
                document=h.document,
                effective=h.effective,
                at=h.at,
                actor=h.actor,
                postings=tuple(postings[i]),
                order_id=h.order_id,
                memo=h.memo,
                reverses=h.reverses,
                id=i,
            )
            for i, h in heads_by_id.items()
        ]

    def sums_through(self, book: str, last_id: int) -> dict[tuple[str, str, str], int]:
        """Per (partner, account, currency): the minor units of the book's postings of entries
        up to ``last_id``."""
        p = t.ledger_postings
        rows = self.conn.execute(
            select(p.c.partner, p.c.account, p.c.currency, func.sum(p.c.amount_minor))
            .where(p.c.book == book, p.c.entry_id <= last_id)
            .group_by(p.c.partner, p.c.account, p.c.currency)
        )
        return {(pt, a, c): int(m) for pt, a, c, m in rows}
