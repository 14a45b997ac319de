"""The audit log in the database: appended under a lock, read back in order for the check."""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import (
    Connection,
    String,
    and_,
    bindparam,
    exists,
    func,
    insert,
    literal,
    or_,
    select,
    text,
)

from acsa.adapters.db import tables as t
from acsa.adapters.db.audit_rows import Rows
from acsa.domain.audit import (
    GENESIS,
    AuditRecord,
    JsonValue,
    entries_digest,
    id_ranges,
    record_hash,
)

#: Any constant will do: it names "the audit chain" among PostgreSQL's advisory locks.
_CHAIN_LOCK = 0x0AC5A0A0D17
_LOCK_CHAIN = text("SELECT pg_advisory_xact_lock(:k)")


@dataclass(frozen=True, slots=True)
class PendingRecord:
    """A change noted during a transaction, chained when the transaction commits."""

    actor: str
    nation: str | None
    action: str
    subject: str
    order_id: int | None
    before: JsonValue
    after: JsonValue


_INSERT = insert(t.audit_log)
#: Records of one order or subject looked through for its latest recorded state.
_LATEST_LOOKED_AT = 200
#: Records read per round trip (the check streams the whole chain).
_RECORDS_PER_FETCH = 2000
#: Aggregates whose row digests one record carries at most (a bulk import spreads over more).
ROWS_PER_RECORD = 500
_LAST = select(t.audit_log.c.seq, t.audit_log.c.hash).order_by(t.audit_log.c.seq.desc()).limit(1)


def _entry_rows_query(ranges: Sequence[Sequence[int]]) -> Any:
    e = t.ledger_entries
    return _entry_rows(or_(*(and_(e.c.id >= first, e.c.id <= last) for first, last in ranges)))


def _entry_rows(where: Any) -> Any:
    e, p = t.ledger_entries, t.ledger_postings
    return (
        select(
            e.c.id,
            e.c.book,
            e.c.partner,
            e.c.order_id,
            e.c.kind,
            e.c.document,
            e.c.effective,
            e.c.at,
            e.c.actor,
            e.c.memo,
            e.c.reverses,
            p.c.seq,
            p.c.account,
            p.c.currency,
            p.c.amount_minor,
            p.c.book,
            p.c.partner,
            p.c.effective,
        )
        .select_from(e.outerjoin(p, p.c.entry_id == e.c.id))
        .where(where)
        .order_by(e.c.id, p.c.seq)
    )


_ONE_RANGE = _entry_rows(
    and_(t.ledger_entries.c.id >= bindparam("first"), t.ledger_entries.c.id <= bindparam("last"))
)

#: Ranges per query: keeps the statement small when an import wrote scattered ids.
_RANGES_PER_QUERY = 200


def ledger_digest(conn: Connection, ranges: Sequence[Sequence[int]]) -> tuple[str, int]:
    """The digest and count of the ledger entries in ``ranges`` as stored now."""

    def rows() -> Iterator[Sequence[Any]]:
        if len(ranges) == 1:
            # A change's own entries, one run of ids: a statement built once.
            [(first, last)] = ranges
            yield from conn.execute(_ONE_RANGE, {"first": first, "last": last})
            return
        for start in range(0, len(ranges), _RANGES_PER_QUERY):
            chunk = ranges[start : start + _RANGES_PER_QUERY]
            yield from conn.execute(_entry_rows_query(chunk))

    return entries_digest(rows())


#: The subject of an agreement's audit records (``agreement:JPN-AUS``).
AGREEMENT = "agreement:"


def _agreement_subjects(party: str) -> Any:
    """The audit subjects of the agreements ``party`` is party to."""
    g = t.agreements
    subject = literal(AGREEMENT, String) + g.c.id
    return select(subject).where(or_(g.c.party_a == party, g.c.party_b == party))


def _with_rows(
    pending: Sequence[PendingRecord], rows: Rows | None
) -> tuple[Sequence[PendingRecord], list[JsonValue]]:
    """The records to chain and the row digests each carries: all on the last record, or for
    a bulk write, ROWS_PER_RECORD aggregates a record in ``audit.rows`` records after them."""
    if not rows or len(rows) <= ROWS_PER_RECORD:
        return pending, [None] * (len(pending) - 1) + [rows or None]
    last = pending[-1]
    scopes = sorted(rows)
    chunks = [scopes[i : i + ROWS_PER_RECORD] for i in range(0, len(scopes), ROWS_PER_RECORD)]
    extra = [
        PendingRecord(
            last.actor,
            last.nation,
            "audit.rows",
            f"rows:{chunk[0]}..{chunk[-1]}"[:200],
            None,
            None,
            {"aggregates": len(chunk)},
        )
        for chunk in chunks
    ]
    attached: list[JsonValue] = [None] * len(pending)
    attached += [{scope: rows[scope] for scope in chunk} for chunk in chunks]
    return [*pending, *extra], attached


def _record(row: Any) -> AuditRecord:
    return AuditRecord(
        seq=row.seq,
        at=row.at,
        actor=row.actor,
        nation=row.nation,
        action=row.action,
        subject=row.subject,
        order_id=row.order_id,
        before=row.before,
        after=row.after,
        entries=row.entries,
        prev_hash=row.prev_hash,
        hash=row.hash,
        rows=row.rows,
    )


def records_from(conn: Connection, seq: int) -> Iterator[AuditRecord]:
    """The records from position ``seq`` on, in chain order (the check since a checkpoint)."""
    a = t.audit_log
    query = select(a).where(a.c.seq >= seq).order_by(a.c.seq)
    for row in conn.execute(query.execution_options(yield_per=_RECORDS_PER_FETCH)):
        yield _record(row)


#: Records that change no business data: signing in and out.
SESSION_ACTIONS = "session.%"


def last_change(conn: Connection) -> tuple[int, str] | None:
    """Position and hash of the newest record other than a sign-in or sign-out: every change
    of business data writes one in its own transaction, so what was computed from the data
    holds until this moves."""
    a = t.audit_log
    query = (
        select(a.c.seq, a.c.hash)
        .where(a.c.action.not_like(SESSION_ACTIONS))
        .order_by(a.c.seq.desc())
        .limit(1)
    )
    last = conn.execute(query).first()
    return (int(last.seq), str(last.hash)) if last else None


class AuditRepository:
    """Appends records to the chain; only one transaction at a time may extend it."""

    def __init__(self, conn: Connection) -> None:
        self.conn = conn
        self._locked_in: object = None

    def lock_chain(self) -> None:
        # SQLite writers already hold the database lock (BEGIN IMMEDIATE); PostgreSQL
        # transactions take this lock, held until commit, so the chain stays a line (taken
        # once a transaction).
        if self.conn.dialect.name != "postgresql":
            return
        transaction = self.conn.get_transaction()
        if transaction is not None and transaction is self._locked_in:
            return
        self.conn.execute(_LOCK_CHAIN, {"k": _CHAIN_LOCK})
        self._locked_in = transaction

    def entries_of(self, entry_ids: Sequence[int]) -> JsonValue:
        """What an audit record keeps of the ledger entries ``entry_ids`` (their id ranges,
        count and digest as stored now), None when there are none. Read before the chain is
        locked: the entries are this transaction's own, so no other writer changes them."""
        if not entry_ids:
            return None
        ranges = id_ranges(entry_ids)
        digest, count = ledger_digest(self.conn, ranges)
        return {"ranges": ranges, "count": count, "digest": digest}

    def append(
        self,
        pending: Sequence[PendingRecord],
        entries: JsonValue,
        at: datetime,
        rows: Rows | None = None,
    ) -> None:
        """Chain ``pending`` after the last record; the ledger entries (see :meth:`entries_of`)
        and the digests of the business rows written go with the last one (the rows of a bulk
        write, more than ROWS_PER_RECORD aggregates, in ``audit.rows`` records after it)."""
        pending, attached = _with_rows(pending, rows)
        self.lock_chain()
        head = self.conn.execute(_LAST).first()
        seq, prev = (int(head.seq), str(head.hash)) if head else (0, GENESIS)
        written: list[dict[str, Any]] = []
        for index, record in enumerate(pending):
            seq += 1
            values = {
                "seq": seq,
                "at": at,
                "actor": record.actor,
                "nation": record.nation,
                "action": record.action,
                "subject": record.subject,
                "order_id": record.order_id,
                "before": record.before,
                "after": record.after,
                "entries": entries if index == len(pending) - 1 else None,
                "prev_hash": prev,
                "rows": attached[index],
            }
            prev = record_hash(**values)
            written.append({**values, "hash": prev})
        self.conn.execute(_INSERT, written)

    def records(
        self,
        order_id: int | None = None,
        party: str | None = None,
        limit: int | None = None,
        offset: int = 0,
        newest_first: bool = False,
    ) -> Iterator[AuditRecord]:
        """Records in chain order: all, those of one order, or those ``party`` may read (the
        changes its people made and those of orders it is party to; of agreements, only the
        changes of those it is party to, whoever made them)."""
        a, o = t.audit_log, t.orders
        query = select(a).order_by(a.c.seq.desc() if newest_first else a.c.seq)
        if order_id is not None:
            query = query.where(a.c.order_id == order_id)
        if party is not None:
            # A lookup of each record's order, not the list of every order of the party: the
            # newest page of a party's records reads a few orders, not all of them.
            theirs = exists().where(
                o.c.id == a.c.order_id, or_(o.c.requester == party, o.c.supplier == party)
            )
            query = query.where(
                or_(
                    and_(a.c.nation == party, a.c.subject.not_like(f"{AGREEMENT}%")),
                    theirs,
                    a.c.subject.in_(_agreement_subjects(party)),
                )
            )
        if limit is not None:
            query = query.limit(limit).offset(offset)
        for row in self.conn.execute(query.execution_options(yield_per=_RECORDS_PER_FETCH)):
            yield _record(row)

    def agreement_versions_added_by_users(self) -> dict[str, frozenset[int] | None]:
        """Per agreement id, the version numbers people added (``agreement.amend``), or None
        for an agreement a person added whole (``agreement.add``): what the shipped
        registry must never overwrite."""
        a = t.audit_log
        query = (
            select(a.c.subject, a.c.action, a.c.before)
            .where(a.c.action.in_(("agreement.add", "agreement.amend")))
            .order_by(a.c.seq)
        )
        owned: dict[str, frozenset[int] | None] = {}
        for subject, action, before in self.conn.execute(query):
            agreement_id = str(subject).removeprefix(AGREEMENT)
            if action == "agreement.add":
                owned[agreement_id] = None
            elif agreement_id not in owned or owned[agreement_id] is not None:
                added = int((before or {}).get("version", 0)) + 1
                owned[agreement_id] = (owned.get(agreement_id) or frozenset()) | {added}
        return owned

    def latest_after(self, order_id: int | None = None, subject: str | None = None) -> Any:
        """(seq, after) of the newest record of ``order_id`` whose after is the order's state,
        or about ``subject`` whose after is a user's, or None."""
        a = t.audit_log
        query = select(a.c.seq, a.c.after).order_by(a.c.seq.desc())
        if order_id is not None:
            query = query.where(a.c.order_id == order_id)
        if subject is not None:
            query = query.where(a.c.subject == subject)
        for seq, after in self.conn.execute(query.limit(_LATEST_LOOKED_AT)):
            wanted = {"status", "version", "lines"} if order_id is not None else {"roles"}
            if isinstance(after, dict) and wanted <= after.keys():
                return int(seq), after
        return None

    def head(self) -> tuple[int, str] | None:
        """The last record's position and hash, None for an empty chain."""
        last = self.conn.execute(_LAST).first()
        return (int(last.seq), str(last.hash)) if last else None

    def count(self) -> int:
        return int(self.conn.execute(select(func.count()).select_from(t.audit_log)).scalar_one())

    def ledger_entry_count(self, book: str | None = None) -> int:
        query = select(func.count()).select_from(t.ledger_entries)
        if book is not None:
            query = query.where(t.ledger_entries.c.book == book)
        return int(self.conn.execute(query).scalar_one())
