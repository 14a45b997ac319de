"""The audit log's records and their SHA-256 chain, as pure values and functions.

Each record states who did what, when, to which subject, with the state before and after; its
hash covers all of that and the previous record's hash, so changing, removing or reordering any
record breaks every hash after it. Ledger entries written by the same change are covered too:
the record carries their id ranges and a digest of their content.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

#: The hash before the first record.
GENESIS = "0" * 64

JsonValue = Any


@dataclass(frozen=True, slots=True)
class AuditRecord:
    """One change, as it is chained.

    Attributes:
        seq: position in the log, from 1, without gaps.
        at: when the change was committed (UTC).
        actor: who made it (a user name, or the operator of the CLI).
        nation: the acting user's nation, None for the local operator.
        action: what was done (``order.accept``, ``invoice.issue``, ``user.add``...).
        subject: what it was done to (``order:12``, ``invoice:JPN-2026-000004``).
        order_id: the order concerned, if any, for ``acsa audit log --order``.
        before: the subject's state before (None for a creation).
        after: its state after.
        entries: ledger entries written by the change: {"ranges": [[first, last]...],
            "count": n, "digest": sha256}; None when there were none.
        prev_hash: the previous record's hash (GENESIS for the first).
        hash: SHA-256 of this record's canonical form, prev_hash included.
    """

    seq: int
    at: datetime
    actor: str
    nation: str | None
    action: str
    subject: str
    order_id: int | None
    before: JsonValue
    after: JsonValue
    entries: JsonValue
    prev_hash: str
    hash: str


def canonical(value: JsonValue) -> bytes:
    """One byte form per value: sorted keys, no spaces, UTF-8."""
    return json.dumps(
        value, sort_keys=True, separators=(",", ":"), ensure_ascii=False, default=str
    ).encode()


def record_hash(
    seq: int,
    at: datetime,
    actor: str,
    nation: str | None,
    action: str,
    subject: str,
    order_id: int | None,
    before: JsonValue,
    after: JsonValue,
    entries: JsonValue,
    prev_hash: str,
) -> str:
    body = {
        "seq": seq,
        "at": at.isoformat(),
        "actor": actor,
        "nation": nation,
        "action": action,
        "subject": subject,
        "order_id": order_id,
        "before": before,
        "after": after,
        "entries": entries,
        "prev_hash": prev_hash,
    }
    return hashlib.sha256(canonical(body)).hexdigest()


def expected_hash(record: AuditRecord) -> str:
    return record_hash(
        record.seq,
        record.at,
        record.actor,
        record.nation,
        record.action,
        record.subject,
        record.order_id,
        record.before,
        record.after,
        record.entries,
        record.prev_hash,
    )


@dataclass(frozen=True, slots=True)
class Break:
    """Where the chain first fails, and why."""

    seq: int
    reason: str


def first_break(
    records: Iterable[AuditRecord], prev_hash: str = GENESIS, seq: int = 0
) -> Break | None:
    """The first record (in order) whose link, position or hash is wrong, or None."""
    for record in records:
        if record.seq != seq + 1:
            return Break(record.seq, f"expected record {seq + 1} next, found {record.seq}")
        if record.prev_hash != prev_hash:
            return Break(record.seq, "its previous-hash does not match the record before it")
        if expected_hash(record) != record.hash:
            return Break(record.seq, "its content does not match its hash (changed after writing)")
        prev_hash, seq = record.hash, record.seq
    return None


def id_ranges(ids: Iterable[int]) -> list[list[int]]:
    """Sorted ids as inclusive [first, last] runs: [1, 2, 3, 7] -> [[1, 3], [7, 7]]."""
    ranges: list[list[int]] = []
    for value in sorted(ids):
        if ranges and value == ranges[-1][1] + 1:
            ranges[-1][1] = value
        else:
            ranges.append([value, value])
    return ranges


def entries_digest(rows: Iterable[Sequence[Any]]) -> tuple[str, int]:
    """SHA-256 over ledger rows (entry fields then its postings, in id order), and how many
    distinct entries they hold. The rows come from one query, so writer and checker agree."""
    digest = hashlib.sha256()
    entries: set[Any] = set()
    for row in rows:
        entries.add(row[0])
        digest.update(canonical([str(v) if isinstance(v, datetime) else v for v in row]))
        digest.update(b"\n")
    return digest.hexdigest(), len(entries)
