"""The audit log's records and their SHA-256 chain, as pure values and functions.

Each record states who did what, when, to which subject, with the state before and after; its
hash covers all of that and the previous record's hash, so changing, removing or reordering any
record breaks every hash after it. Ledger entries written by the same change are covered too:
the record carries their id ranges and a digest of their content. So are the business rows it
wrote (orders and their lines and history, invoices, payments, settlements, users, agreements):
the record carries a digest of each row's content per *scope* (one table of one order, user or
agreement), and the state the chain last recorded for every row is the fold of those scopes
over the chain (:class:`RecordedRows`).
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal
from typing import Any

from acsa.domain.messages import Message, message, t

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
        rows: the business rows the change wrote, {aggregate: {table: {key: digest}}}: each
            (aggregate, table) named holds exactly those rows after the change; None when the
            change wrote none. Records written before row digests existed have None.
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
    rows: JsonValue = None


#: json.dumps with these settings, made once (dumps makes an encoder per call otherwise).
_ENCODER = json.JSONEncoder(sort_keys=True, separators=(",", ":"), ensure_ascii=False, default=str)


def canonical(value: JsonValue) -> bytes:
    """One byte form per value: sorted keys, no spaces, UTF-8."""
    return _ENCODER.encode(value).encode()


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
    rows: JsonValue = None,
) -> str:
    body: dict[str, JsonValue] = {
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
    if rows is not None:
        # Only when present: records chained before row digests existed keep their hash.
        body["rows"] = rows
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
        record.rows,
    )


@dataclass(frozen=True, slots=True)
class Break:
    """Where the chain first fails, and why (a message id and its parameters)."""

    seq: int
    why: Message

    @property
    def reason(self) -> str:
        """Why, in English."""
        return str(self.why)


def first_break(
    records: Iterable[AuditRecord], prev_hash: str = GENESIS, seq: int = 0
) -> Break | None:
    """The first record (in order) whose link, position or hash is wrong, or None."""
    for record in records:
        broken = link_break(record, prev_hash, seq)
        if broken is not None:
            return broken
        prev_hash, seq = record.hash, record.seq
    return None


def link_break(record: AuditRecord, prev_hash: str, seq: int) -> Break | None:
    """What is wrong with ``record`` following the record ``seq`` whose hash is ``prev_hash``."""
    if record.seq != seq + 1:
        return Break(
            record.seq,
            message(
                t("expected record {expected} next, found {found}"),
                expected=seq + 1,
                found=record.seq,
            ),
        )
    if record.prev_hash != prev_hash:
        return Break(
            record.seq, message(t("its previous-hash does not match the record before it"))
        )
    if expected_hash(record) != record.hash:
        return Break(
            record.seq, message(t("its content does not match its hash (changed after writing)"))
        )
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
        # Moments go in their str() form (the encoder's default), as they always have.
        digest.update(canonical(list(row)))
        digest.update(b"\n")
    return digest.hexdigest(), len(entries)


# --- business rows ---------------------------------------------------------------------------

#: Hex digits kept of a row's SHA-256 (128 bits: no second row with the same digest is found).
ROW_DIGEST_HEX = 32


def row_digest(table: str, values: Sequence[Any]) -> str:
    """The digest of one row's content: its table and its columns' values, in a fixed order
    (dates, moments and decimals in their ``str`` form, JSON values with sorted keys)."""
    body = _ENCODER.encode([table, *values]).encode()
    return hashlib.sha256(body).hexdigest()[:ROW_DIGEST_HEX]


CHANGED, UNRECORDED, REMOVED = "changed", "unrecorded", "removed"


@dataclass(frozen=True, slots=True)
class RowProblem:
    """A business row that is not the state the audit log last recorded for it.

    Attributes:
        table: the row's table.
        key: its key in that table (``12``, ``12/3`` for order 12's line or event 3).
        scope: the aggregate it belongs to (``order:12``, ``user:jpn-admin``).
        seq: the record that last recorded the row or its scope, None if none ever did.
        kind: ``changed``, ``unrecorded`` (stored, not recorded) or ``removed`` (recorded, gone).
        why: what is wrong, a message id and its parameters (``reason``: in English).
    """

    table: str
    key: str
    scope: str
    seq: int | None
    kind: str
    why: Message

    @property
    def reason(self) -> str:
        """What is wrong, in English."""
        return str(self.why)


class RecordedRows:
    """The state of every business row as the chain last recorded it: each record's ``rows``
    replaces, per (aggregate, table), the rows recorded before. Checking the rows as they stand
    consumes it: :meth:`check` each stored row of a table, then :meth:`missing` for that table."""

    def __init__(self) -> None:
        self._scopes: dict[tuple[str, str], tuple[int, dict[str, str]]] = {}

    def apply(self, seq: int, rows: JsonValue) -> None:
        """Fold one record's ``rows`` in."""
        if not isinstance(rows, dict):
            return
        for aggregate, tables in rows.items():
            if not isinstance(tables, dict):
                continue
            for table, digests in tables.items():
                if isinstance(digests, dict):
                    self._scopes[(str(aggregate), str(table))] = (seq, dict(digests))

    def check(self, table: str, scope: str, key: str, digest: str) -> RowProblem | None:
        """The problem with a stored row, or None if it is as last recorded."""
        recorded = self._scopes.get((scope, table))
        if recorded is None:
            return RowProblem(
                table,
                key,
                scope,
                None,
                UNRECORDED,
                message(
                    t("stored but never recorded by the audit log (written behind acsa's back)")
                ),
            )
        seq, digests = recorded
        expected = digests.pop(key, None)
        if expected is None:
            return RowProblem(
                table,
                key,
                scope,
                seq,
                UNRECORDED,
                message(
                    t(
                        "stored but not among the rows of {scope} that record {seq} recorded "
                        "(added behind acsa's back)"
                    ),
                    scope=scope,
                    seq=seq,
                ),
            )
        if expected != digest:
            return RowProblem(
                table,
                key,
                scope,
                seq,
                CHANGED,
                message(
                    t(
                        "its content differs from what record {seq} recorded (changed behind "
                        "acsa's back)"
                    ),
                    seq=seq,
                ),
            )
        return None

    def missing(self, table: str) -> Iterator[RowProblem]:
        """Rows of ``table`` recorded but not seen by :meth:`check`: removed behind acsa's back."""
        for (scope, name), (seq, digests) in self._scopes.items():
            if name != table:
                continue
            for key in sorted(digests, key=_key_order):
                yield RowProblem(
                    table,
                    key,
                    scope,
                    seq,
                    REMOVED,
                    message(
                        t(
                            "recorded by record {seq} but no longer stored (removed behind "
                            "acsa's back)"
                        ),
                        seq=seq,
                    ),
                )


def _key_order(key: str) -> tuple[tuple[int, int | str], ...]:
    return tuple((0, int(p)) if p.isdigit() else (1, p) for p in key.split("/"))


def _is_order_state(value: JsonValue) -> bool:
    return isinstance(value, dict) and {"status", "version", "lines"} <= value.keys()


class OrderStates:
    """Each order's state (status, lines, prices, quantities) as the last record of a step
    left it: the next step's record states what it found before acting, and at the same
    version that must be the same state. It tells an order changed behind acsa's back even
    after a later step wrote its rows again (and so recorded them as it found them)."""

    def __init__(self) -> None:
        self._last: dict[int, tuple[int, Any, str]] = {}

    def follow(self, record: AuditRecord) -> RowProblem | None:
        """Fold ``record`` in; the problem if it found its order otherwise than left."""
        order_id = record.order_id
        if order_id is None or not _is_order_state(record.after):
            return None
        problem = None
        last = self._last.get(order_id)
        if last is not None and _is_order_state(record.before):
            seq, version, digest = last
            if record.before["version"] == version and _state_digest(record.before) != digest:
                problem = RowProblem(
                    "orders",
                    str(order_id),
                    f"order:{order_id}",
                    record.seq,
                    CHANGED,
                    message(
                        t(
                            "record {seq} found the order otherwise than record {last} left it at "
                            "version {version} (changed behind acsa's back between them)"
                        ),
                        seq=record.seq,
                        last=seq,
                        version=version,
                    ),
                )
        self._last[order_id] = (record.seq, record.after["version"], _state_digest(record.after))
        return problem


#: What a record may state beside the order's state, which the next record does not repeat:
#: an edit's draft terms before and after.
_BESIDE_STATE = ("terms",)


def _state_digest(state: dict[str, Any]) -> str:
    """The digest of the order's state a record states (what it says beside it left out)."""
    return _digest({k: v for k, v in state.items() if k not in _BESIDE_STATE})


def _digest(value: JsonValue) -> str:
    return hashlib.sha256(canonical(value)).hexdigest()[:ROW_DIGEST_HEX]


# --- what differs, where a record states it ---------------------------------------------------

#: An order line's fields as a row holds them and as an order's recorded state names them.
_LINE_FIELDS = (
    ("quantity", "quantity"),
    ("quantity_accepted", "accepted"),
    ("quantity_delivered", "delivered"),
    ("quantity_received", "received"),
    ("quantity_short", "short"),
)


def differences(
    table: str, row: dict[str, Any], state: JsonValue, unit_price: Decimal | None = None
) -> list[tuple[str, Any, Any]]:
    """The fields of a stored ``row`` that differ from the ``state`` a record left (an order's
    state for ``orders`` and ``order_lines``, a user's for ``users``), as (field, stored,
    recorded); ``unit_price`` is the line's stored price in major units. Empty when the state
    names none of them otherwise."""
    if not isinstance(state, dict):
        return []
    pairs: list[tuple[str, Any, Any]] = []
    if table == "orders":
        pairs = [(n, row.get(n), state.get(n)) for n in ("status", "version", "currency")]
    elif table == "order_lines":
        line = next(
            (ln for ln in state.get("lines", []) if ln.get("number") == row.get("number")), None
        )
        if line is None:
            return []
        pairs = [(f, _number(row.get(f)), _number(line.get(n))) for f, n in _LINE_FIELDS]
        pairs.append(("unit_price", unit_price, _number(line.get("unit_price"))))
    elif table == "users":
        roles = sorted(str(row.get("roles") or "").split(","))
        pairs = [
            ("roles", ",".join(roles), ",".join(sorted(state.get("roles") or []))),
            ("nation", row.get("nation"), state.get("nation")),
            ("active", bool(row.get("active")), state.get("active")),
        ]
    return [(name, stored, recorded) for name, stored, recorded in pairs if stored != recorded]


def _number(value: Any) -> Decimal | None:
    try:
        return None if value is None else Decimal(str(value))
    except ArithmeticError:
        return None
