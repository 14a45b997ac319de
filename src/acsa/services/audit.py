"""The audit log: what a change looked like before and after, the listing, the check (the
chain, the ledger's cover, the business rows as last recorded, the latest checkpoint) and the
signed checkpoints of the chain's head."""

from __future__ import annotations

import json
import logging
from collections import defaultdict
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any

from pydantic import BaseModel
from sqlalchemy import Connection, Engine
from sqlalchemy.exc import SQLAlchemyError

from acsa.adapters.checkpoints import (
    INSTALLATION,
    CheckpointStore,
    PostCheckpoint,
    checkpoint_root,
    database_id,
    http_post_checkpoint,
    installation_key,
    signature_ok,
    write_checkpoint,
)
from acsa.adapters.db import unit_of_work as db
from acsa.adapters.db.audit_repository import ledger_digest, records_from
from acsa.adapters.db.audit_rows import (
    ORDER,
    SPECS,
    aggregate_rows,
    every_owner,
    stored_row,
    stream_rows,
    visible_scopes,
)
from acsa.clock import utc_now
from acsa.domain.audit import (
    CHANGED,
    GENESIS,
    REMOVED,
    UNRECORDED,
    AuditRecord,
    Break,
    OrderStates,
    RecordedRows,
    RowProblem,
    differences,
    expected_hash,
    link_break,
)
from acsa.domain.checkpoint import Checkpoint, head_problems, parse_checkpoint
from acsa.domain.errors import AcsaError, Code, Violation
from acsa.domain.messages import Message, message, t
from acsa.domain.money import from_minor
from acsa.domain.order import Order
from acsa.schemas.messages import MESSAGE_ID, PARAMS, message_fields
from acsa.services.ports import SqlUnitOfWork, UnitOfWork


def order_state(order: Order) -> dict[str, Any]:
    """What an audit record keeps of an order: enough to see what a change did to it."""
    return {
        "status": order.status.value,
        "version": order.version,
        "agreement": order.agreement_id,
        "requester": order.requester,
        "supplier": order.supplier,
        "currency": order.currency,
        "value": str(order.total.amount),
        "lines": [
            {
                "number": line.number,
                "quantity": str(line.quantity),
                "unit_price": str(line.unit_price),
                "accepted": None if line.quantity_accepted is None else str(line.quantity_accepted),
                "delivered": str(line.quantity_delivered),
                "received": str(line.quantity_received),
                "short": str(line.quantity_short),
            }
            for line in order.lines
        ],
        # What the order attests (the hostilities declaration, confirmed warnings...), only
        # when it attests something, so other orders' records read as they always did.
        **({"attests": order.attestations.to_json()} if not order.attestations.empty else {}),
    }


class AuditRecordOut(BaseModel):
    seq: int
    at: str
    actor: str
    nation: str | None
    action: str
    subject: str
    order_id: int | None
    before: Any
    after: Any
    entries: Any
    prev_hash: str
    hash: str


class AuditProblemOut(BaseModel):
    """One thing the check found wrong: a record (``seq``), a business row (``table`` and
    ``key``) or the chain against a checkpoint; ``code`` says which kind."""

    seq: int | None
    reason: str
    code: str = Code.AUDIT_CHAIN_BROKEN.value
    table: str | None = None
    key: str | None = None
    #: ``reason``'s message id and parameters, to write it in another language ("" and {}
    #: where the reason is only English).
    message_id: str = MESSAGE_ID
    params: dict[str, str] = PARAMS


def _problem(seq: int | None, said: Message, **extra: Any) -> AuditProblemOut:
    """A problem whose reason is ``said`` (English in ``reason``, its id and parameters
    beside)."""
    fields = message_fields(said)
    return AuditProblemOut(
        seq=seq,
        reason=fields["message"],
        message_id=fields["message_id"],
        params=fields["params"],
        **extra,
    )


class CheckpointOut(BaseModel):
    """A signed checkpoint of the audit chain's head (see acsa.domain.checkpoint)."""

    seq: int
    hash: str
    count: int
    at: str
    signer: str
    key: str
    signature: str
    file: str | None = None


class CheckpointCheckOut(BaseModel):
    """Which checkpoint the chain was checked against, and whether it held."""

    checkpoint: CheckpointOut
    ok: bool
    trusted: bool


class AuditVerifyOut(BaseModel):
    """The chain check: ``ok`` or what is wrong (the first broken record, each business row
    that is not as last recorded, up to a bound), the ledger's cover, the rows checked and the
    checkpoint the chain was held against (None when there was none)."""

    ok: bool
    records: int
    ledger_entries: int
    ledger_entries_covered: int
    problems: list[AuditProblemOut]
    rows: int = 0
    rows_at_fault: int = 0
    checkpoint: CheckpointCheckOut | None = None


def record_out(record: AuditRecord) -> AuditRecordOut:
    return AuditRecordOut(
        seq=record.seq,
        at=record.at.isoformat(),
        actor=record.actor,
        nation=record.nation,
        action=record.action,
        subject=record.subject,
        order_id=record.order_id,
        before=record.before,
        after=record.after,
        entries=record.entries,
        prev_hash=record.prev_hash,
        hash=record.hash,
    )


def audit_log(
    uow: UnitOfWork,
    order_id: int | None = None,
    nation: str | None = None,
    limit: int | None = None,
    offset: int = 0,
    newest_first: bool = False,
) -> list[AuditRecordOut]:
    """Records in chain order; ``nation`` keeps those of orders that nation is party to and
    the changes its own people made."""
    with uow:
        records = uow.audit.records(
            order_id=order_id, party=nation, limit=limit, offset=offset, newest_first=newest_first
        )
        return [record_out(r) for r in records]


#: Business rows at fault named one by one; beyond, only counted.
ROW_PROBLEMS_SHOWN = 50

_ROW_CODES = {
    CHANGED: Code.AUDIT_ROW_CHANGED,
    UNRECORDED: Code.AUDIT_ROW_UNRECORDED,
    REMOVED: Code.AUDIT_ROW_MISSING,
}


def verify_audit(
    uow: SqlUnitOfWork,
    nation: str | None = None,
    checkpoint: Checkpoint | None = None,
    stored_checkpoint: bool = True,
    keep_outcome: bool = False,
) -> AuditVerifyOut:
    """Walk the whole chain: every link and hash; every ledger entry covered once by a
    record whose digest still matches the entries as stored; every business row (orders,
    lines, history, invoices, payments, settlements, users, agreements) the state the chain
    last recorded for it; and the chain against ``checkpoint`` (by default the latest stored
    for this database, when ``stored_checkpoint``). The check is always of the whole database;
    with ``nation`` the counts reported are of what that nation may read and rows of others are
    counted, not named, so another nation's business does not leak. With ``keep_outcome`` (a
    person's check: `acsa audit verify`, the API's, the audit page's) when it ran and what it
    found is kept for the audit page; a check the software runs for itself writes nothing."""
    problems: list[AuditProblemOut] = []
    if checkpoint is None and stored_checkpoint:
        checkpoint = checkpoint_store(uow).latest()
    with uow:
        conn = uow.connection
        chain = _walk_chain(uow, problems, checkpoint)
        total = uow.audit.ledger_entry_count()
        if total != chain.covered:
            problems.append(
                _problem(
                    None,
                    message(
                        t(
                            "{total} ledger entries are stored but the audit log covers "
                            "{covered}: entries were written outside acsa or removed"
                        ),
                        total=total,
                        covered=chain.covered,
                    ),
                )
            )
        rows, at_fault, row_problems = _check_rows(conn, chain.state)
        at_fault += len(chain.found)
        row_problems = (chain.found + row_problems)[:ROW_PROBLEMS_SHOWN]
        problems.extend(_row_problems(uow, row_problems, nation))
        checked = None
        if checkpoint is not None:
            checked = _against(uow, checkpoint, chain, problems)
        result = AuditVerifyOut(
            ok=not problems and at_fault == 0,
            records=chain.count,
            ledger_entries=total,
            ledger_entries_covered=chain.covered,
            problems=problems,
            rows=rows,
            rows_at_fault=at_fault,
            checkpoint=checked,
        )
        if nation is not None:
            shown = sum(1 for _ in uow.audit.records(party=nation))
            theirs = uow.audit.ledger_entry_count(book=nation)
            result = AuditVerifyOut(
                ok=not problems and at_fault == 0,
                records=shown,
                ledger_entries=theirs,
                ledger_entries_covered=theirs
                if total == chain.covered
                else min(theirs, chain.covered),
                problems=problems,
                rows=rows,
                rows_at_fault=at_fault,
                checkpoint=checked,
            )
    if keep_outcome:
        _note_full_check(uow, chain, ok=result.ok)
    return result


# --- the check since the latest checkpoint -------------------------------------------------------

log = logging.getLogger(__name__)

#: The settings key of the latest whole-chain check's outcome (see FullCheckOut).
LAST_FULL_CHECK = "last_full_audit_check"


class FullCheckOut(BaseModel):
    """When the whole chain was last checked (by the audit page or ``acsa audit verify``), up
    to which record, and whether it was intact then."""

    at: str
    seq: int
    ok: bool


class RecentCheckOut(BaseModel):
    """The check of what the chain gained since its latest signed checkpoint: the checkpoint
    still holds (its record has the hash it signed, the chain is no shorter) and is this
    installation's; every record after it links to the one before and matches its hash; the
    ledger entries those records cover are as written; the business rows they wrote are as they
    recorded them. Records before the checkpoint, rows no later record wrote and ledger entries
    no record covers are the whole check's (``last_full``: when it last ran)."""

    ok: bool
    checkpoint: CheckpointCheckOut
    #: The last record checked (the chain's head).
    head: int
    #: Records after the checkpoint checked.
    records: int
    ledger_entries_covered: int
    rows: int
    rows_at_fault: int
    problems: list[AuditProblemOut]
    last_full: FullCheckOut | None = None


def last_full_check(uow: UnitOfWork) -> FullCheckOut | None:
    """The outcome of the latest whole-chain check of this database, None if none ran."""
    with uow:
        stored = uow.settings.get(LAST_FULL_CHECK)
    if not stored:
        return None
    try:
        return FullCheckOut.model_validate_json(stored)
    except ValueError:
        return None


def _note_full_check(uow: SqlUnitOfWork, chain: _Chain, ok: bool) -> None:
    """Keep when the whole chain was checked, to which record, and whether it was intact (in
    a transaction of its own: the check itself may read through a read-only one). A database
    that cannot be written is checked all the same."""
    done = FullCheckOut(at=utc_now().isoformat(), seq=chain.last, ok=ok)
    try:
        with db.UnitOfWork(uow.engine) as writer:
            writer.settings.set(LAST_FULL_CHECK, json.dumps(done.model_dump()))
            writer.commit()
    except SQLAlchemyError:
        log.warning("could not keep the outcome of the audit check", exc_info=True)


def verify_recent(uow: SqlUnitOfWork, nation: str | None = None) -> RecentCheckOut | None:
    """Check what the chain gained since its latest signed checkpoint (see RecentCheckOut);
    None when this database has no checkpoint yet (only the whole check can vouch for it).
    With ``nation``, rows of other nations at fault are counted, not named."""
    checkpoint = checkpoint_store(uow).latest()
    if checkpoint is None:
        return None
    last_full = last_full_check(uow)
    problems: list[AuditProblemOut] = []
    with uow:
        conn = uow.connection
        head = uow.audit.head() or (0, GENESIS)
        chain = _Chain(count=head[0], head=head[1])
        state = RecordedRows()
        touched: dict[str, dict[str, set[str]]] = defaultdict(lambda: defaultdict(set))
        broken: Break | None = None
        prev, last = checkpoint.hash, checkpoint.seq
        checked = 0
        for record in records_from(conn, max(checkpoint.seq, 1)):
            if record.seq == checkpoint.seq:
                chain.hash_at[record.seq] = record.hash
                if expected_hash(record) != record.hash:
                    broken = Break(
                        record.seq,
                        message(t("its content does not match its hash (changed after writing)")),
                    )
                    problems.append(_problem(broken.seq, broken.why))
                continue
            checked += 1
            if broken is None:
                broken = link_break(record, prev, last)
                if broken is not None:
                    problems.append(_problem(broken.seq, broken.why))
            prev, last = record.hash, record.seq
            _note_rows(state, touched, record)
            _check_entries(conn, record, chain, problems, set())
        chain.last = last
        rows, at_fault, row_problems = _check_recent_rows(conn, state, touched)
        problems.extend(_row_problems(uow, row_problems, nation))
        held = _against(uow, checkpoint, chain, problems)
    return RecentCheckOut(
        ok=not problems and at_fault == 0,
        checkpoint=held,
        head=last,
        records=checked,
        ledger_entries_covered=chain.covered,
        rows=rows,
        rows_at_fault=at_fault,
        problems=problems,
        last_full=last_full,
    )


def _note_rows(
    state: RecordedRows, touched: dict[str, dict[str, set[str]]], record: AuditRecord
) -> None:
    """Fold ``record``'s row digests into ``state``, and note which tables of which aggregates
    (by kind) it wrote."""
    state.apply(record.seq, record.rows)
    if not isinstance(record.rows, dict):
        return
    for scope, tables in record.rows.items():
        kind, _, owner = str(scope).partition(":")
        if isinstance(tables, dict):
            touched[kind][owner].update(str(name) for name in tables)


def _check_recent_rows(
    conn: Connection, state: RecordedRows, touched: dict[str, dict[str, set[str]]]
) -> tuple[int, int, list[RowProblem]]:
    """(rows checked, rows at fault, the first ROW_PROBLEMS_SHOWN of them): the rows of the
    aggregates the records checked wrote, as stored, against what the latest of them recorded."""
    stored: dict[str, dict[str, dict[str, str]]] = {}
    for kind, owners in touched.items():
        tables = set().union(*owners.values())
        ids: list[Any] = [int(o) if kind == ORDER and o.isdigit() else o for o in owners]
        for scope, held in aggregate_rows(conn, kind, ids, tables).items():
            wrote = owners.get(scope.partition(":")[2], set())
            stored[scope] = {name: keys for name, keys in held.items() if name in wrote}
    rows = at_fault = 0
    shown: list[RowProblem] = []
    for spec in SPECS:
        found: list[RowProblem] = []
        for scope in sorted(stored):
            for key, digest in stored[scope].get(spec.name, {}).items():
                rows += 1
                problem = state.check(spec.name, scope, key, digest)
                if problem is not None:
                    found.append(problem)
        found.extend(state.missing(spec.name))
        at_fault += len(found)
        shown.extend(found[: ROW_PROBLEMS_SHOWN - len(shown)])
    return rows, at_fault, shown


@dataclass
class _Chain:
    """What one pass over the chain learnt."""

    state: RecordedRows = field(default_factory=RecordedRows)
    #: Orders found by a step otherwise than the step before left them.
    found: list[RowProblem] = field(default_factory=list)
    count: int = 0
    covered: int = 0
    head: str = GENESIS
    #: The position of the last record walked.
    last: int = 0
    hash_at: dict[int, str] = field(default_factory=dict)


def _walk_chain(
    uow: SqlUnitOfWork, problems: list[AuditProblemOut], checkpoint: Checkpoint | None
) -> _Chain:
    chain = _Chain()
    conn = uow.connection
    broken: Break | None = None
    prev, last = GENESIS, 0
    seen: set[tuple[int, ...]] = set()
    orders = OrderStates()
    for record in uow.audit.records():
        chain.count += 1
        if broken is None:
            broken = link_break(record, prev, last)
            if broken is not None:
                problems.append(_problem(broken.seq, broken.why))
        prev, last = record.hash, record.seq
        if checkpoint is not None and record.seq == checkpoint.seq:
            chain.hash_at[record.seq] = record.hash
        chain.state.apply(record.seq, record.rows)
        moved = orders.follow(record)
        if moved is not None:
            chain.found.append(moved)
        _check_entries(conn, record, chain, problems, seen)
    chain.head = prev
    chain.last = last
    return chain


def _check_entries(
    conn: Connection,
    record: AuditRecord,
    chain: _Chain,
    problems: list[AuditProblemOut],
    seen: set[tuple[int, ...]],
) -> None:
    """The ledger entries ``record`` covers, as stored, against its digest of them; each range
    covered once (``seen``: the ranges covered by the records before)."""
    if not record.entries:
        return
    ranges = [tuple(r) for r in record.entries.get("ranges", [])]
    digest, count = ledger_digest(conn, ranges)
    chain.covered += int(record.entries.get("count", 0))
    if digest != record.entries.get("digest") or count != record.entries.get("count"):
        problems.append(
            _problem(
                record.seq,
                message(
                    t(
                        "the ledger entries it covers were changed, added or removed since "
                        "(entries {entries})"
                    ),
                    entries=_ranges_text(ranges),
                ),
            )
        )
    if seen.intersection(ranges):
        problems.append(_problem(record.seq, message(t("ledger entries covered twice"))))
    seen.update(ranges)


def _check_rows(conn: Connection, state: RecordedRows) -> tuple[int, int, list[RowProblem]]:
    """(rows checked, rows at fault, the first ROW_PROBLEMS_SHOWN of them): every business
    row as stored, table by table in key order, against the state the chain recorded."""
    rows = at_fault = 0
    shown: list[RowProblem] = []

    def note(problem: RowProblem) -> None:
        nonlocal at_fault
        at_fault += 1
        if len(shown) < ROW_PROBLEMS_SHOWN:
            shown.append(problem)

    for spec in SPECS:
        for scope, key, digest in stream_rows(conn, spec):
            rows += 1
            problem = state.check(spec.name, scope, key, digest)
            if problem is not None:
                note(problem)
        for problem in state.missing(spec.name):
            note(problem)
    return rows, at_fault, shown


def _row_problems(
    uow: SqlUnitOfWork, problems: list[RowProblem], nation: str | None
) -> list[AuditProblemOut]:
    """The rows at fault as the check reports them, with what differs where a record states
    it; for ``nation``, those of rows it may not see are folded into one line that names none
    of them."""
    conn = uow.connection
    visible = None if nation is None else visible_scopes(conn, {p.scope for p in problems}, nation)
    shown = [
        _problem(
            p.seq,
            _row_message(uow, p),
            code=_ROW_CODES[p.kind].value,
            table=p.table,
            key=p.key,
        )
        for p in problems
        if visible is None or p.scope in visible
    ]
    hidden = len(problems) - len(shown)
    if hidden:
        shown.append(
            _problem(
                None,
                message(
                    t(
                        "{hidden} rows of other nations' records are not as the audit log last "
                        "recorded them"
                    ),
                    hidden=hidden,
                ),
                code=Code.AUDIT_ROW_CHANGED.value,
            )
        )
    return shown


def _row_message(uow: SqlUnitOfWork, problem: RowProblem) -> Message:
    """What is wrong with a row, naming it, and what differs where its last record states it."""
    row = {"table": problem.table, "key": problem.key, "scope": problem.scope, "why": problem.why}
    what = _what(uow, problem)
    if what is None:
        return Message(t("{table} {key} (of {scope}): {why}"), row)
    found, record = what
    return Message(
        t("{table} {key} (of {scope}): {why}; {differences} as record {record} left it"),
        {**row, "differences": found, "record": record},
    )


def _what(uow: SqlUnitOfWork, problem: RowProblem) -> tuple[list[Message], int] | None:
    """What differs (``stored where it was recorded``) for a changed order, order line or user
    whose last record states the fields, and that record; None otherwise."""
    if problem.kind != CHANGED or problem.table not in ("orders", "order_lines", "users"):
        return None
    row = stored_row(uow.connection, problem.table, problem.key)
    if row is None:
        return None
    owner = problem.scope.partition(":")[2]
    if problem.table == "users":
        latest = uow.audit.latest_after(subject=f"user:{owner}")
    else:
        latest = uow.audit.latest_after(order_id=int(owner)) if owner.isdigit() else None
    if latest is None:
        return None
    price = None
    if problem.table == "order_lines":
        try:
            price = from_minor(int(row["unit_price_minor"]), str(row["currency"]))
        except (AcsaError, ArithmeticError, ValueError):
            price = None  # a currency or price no record could state: the digest said enough
    found = differences(problem.table, row, latest[1], price)
    said = [
        message(
            t("{name} is {stored} where it was {recorded}"),
            name=name,
            stored=stored,
            recorded=recorded,
        )
        for name, stored, recorded in found
    ]
    return (said, latest[0]) if found else None


def _against(
    uow: UnitOfWork, checkpoint: Checkpoint, chain: _Chain, problems: list[AuditProblemOut]
) -> CheckpointCheckOut:
    found = head_problems(checkpoint, chain.count, chain.hash_at.get(checkpoint.seq))
    for reason in found:
        problems.append(
            AuditProblemOut(
                seq=checkpoint.seq or None,
                reason=reason,
                code=Code.AUDIT_CHECKPOINT_MISMATCH.value,
            )
        )
    trusted = signature_ok(checkpoint) and checkpoint.key in _own_keys(uow)
    if not trusted:
        problems.append(
            _problem(
                None,
                message(
                    t("the checkpoint of {at} is not signed by this installation's key"),
                    at=checkpoint.at.isoformat(timespec="seconds"),
                ),
                code=Code.AUDIT_CHECKPOINT_MISMATCH.value,
            )
        )

    return CheckpointCheckOut(
        checkpoint=checkpoint_out(checkpoint), ok=not found and trusted, trusted=trusted
    )


def _own_keys(uow: UnitOfWork) -> set[str]:
    keys: set[str] = set()
    node = uow.node
    if node is not None:
        keys.add(node.public_key)
    own = installation_key(create=False)
    if own is not None:
        keys.add(own.public_text)
    return keys


def checkpoint_store(uow: SqlUnitOfWork) -> CheckpointStore:
    """Where this database's checkpoints are kept (see acsa.adapters.checkpoints)."""
    return CheckpointStore(checkpoint_root(), database_id(uow.engine.url))


def checkpoint_out(checkpoint: Checkpoint, file: str | None = None) -> CheckpointOut:
    return CheckpointOut(
        seq=checkpoint.seq,
        hash=checkpoint.hash,
        count=checkpoint.count,
        at=checkpoint.at.isoformat(),
        signer=checkpoint.signer,
        key=checkpoint.key,
        signature=checkpoint.signature,
        file=file,
    )


def head_checkpoint(uow: SqlUnitOfWork, now: datetime | None = None) -> Checkpoint:
    """The chain's head now, signed by the node's key on a node, else the installation's."""
    with uow:
        head = uow.audit.head()
        node = uow.node
        if node is not None:
            from acsa.adapters.node_identity import node_key

            key, signer = node_key(node), f"node:{node.nation}"
        else:
            own = installation_key()
            assert own is not None
            key, signer = own, INSTALLATION
    seq, hash_ = head if head is not None else (0, GENESIS)
    unsigned = Checkpoint(
        seq=seq,
        hash=hash_,
        count=seq,
        at=now or utc_now(),
        database=database_id(uow.engine.url),
        signer=signer,
        key=key.public_text,
    )
    return unsigned.signed(key.sign(unsigned.signed_bytes()))


def take_checkpoint(
    uow: SqlUnitOfWork, out: Path | None = None, now: datetime | None = None
) -> CheckpointOut:
    """Sign the chain's head and keep it in this database's checkpoint directory (and in
    ``out`` if given, to carry elsewhere)."""
    return keep_checkpoint(uow, head_checkpoint(uow, now), out)


def keep_checkpoint(
    uow: SqlUnitOfWork, checkpoint: Checkpoint, out: Path | None = None
) -> CheckpointOut:
    """Keep ``checkpoint`` in this database's checkpoint directory (and in ``out``)."""
    path = checkpoint_store(uow).save(checkpoint)
    if out is not None:
        write_checkpoint(checkpoint, out)
        path = out
    return checkpoint_out(checkpoint, str(path))


def _ranges_text(ranges: list[tuple[int, ...]]) -> str:
    shown = ", ".join(f"{a}-{b}" if a != b else str(a) for a, b in ranges[:5])
    return shown + (" ..." if len(ranges) > 5 else "")


# --- checkpoints to and from partner nodes ----------------------------------------------------

#: Where a node receives its partners' checkpoints (see api/routers/audit.py).
PARTNER_CHECKPOINT_PATH = "/api/v1/audit/checkpoints"
#: The settings key of the latest checkpoint received from a partner (``...JPN``).
PARTNER_HEAD = "audit.partner_head."


class PartnerHeadOut(BaseModel):
    """The latest checkpoint of a partner node's audit chain that it sent here."""

    nation: str
    checkpoint: CheckpointOut


class SentOut(BaseModel):
    """A checkpoint sent to a partner node: taken, or why not."""

    nation: str
    ok: bool
    error: str | None = None


def checkpoint_if_moved(engine: Engine, post: PostCheckpoint | None = None) -> CheckpointOut | None:
    """Take a checkpoint if the chain's head moved since the latest stored one (the server's
    periodic pass), and on a node send it to the partners; None when nothing moved."""
    uow = db.UnitOfWork(engine, read_only=True)
    latest = checkpoint_store(uow).latest()
    with uow:
        head = uow.audit.head() or (0, GENESIS)
    if latest is not None and (latest.seq, latest.hash) == head:
        return None
    checkpoint = head_checkpoint(uow)
    taken = keep_checkpoint(uow, checkpoint)
    send_checkpoint(db.UnitOfWork(engine, read_only=True), checkpoint, post)
    return taken


def send_checkpoint(
    uow: UnitOfWork, checkpoint: Checkpoint, post: PostCheckpoint | None = None
) -> list[SentOut]:
    """On a node, send ``checkpoint`` (of its own chain) to every partner node (best effort:
    one that does not answer gets the next one); nothing elsewhere."""
    with uow:
        node = uow.node
        partners = uow.partners.all() if node is not None else []
    if node is None or checkpoint.signer != f"node:{node.nation}":
        return []
    send = post or http_post_checkpoint()
    body = checkpoint.text().encode()
    sent: list[SentOut] = []
    for partner in partners:
        error = send(partner.url.rstrip("/") + PARTNER_CHECKPOINT_PATH, body)
        sent.append(SentOut(nation=partner.nation, ok=error is None, error=error))
    return sent


def receive_partner_checkpoint(engine: Engine, body: bytes) -> PartnerHeadOut:
    """A partner node's checkpoint of its own chain: signed by the key registered for that
    partner, or refused (CHECKPOINT_INVALID). Kept when it is the longest received; one that
    counts fewer records than a checkpoint received before, or another hash at the same record,
    is AUDIT_CHECKPOINT_MISMATCH: the partner's chain was cut or rewritten since."""
    checkpoint = parse_checkpoint(body)
    nation = checkpoint.signer.removeprefix("node:")
    with db.UnitOfWork(engine) as uow:
        partner = uow.partners.get(nation) if checkpoint.signer.startswith("node:") else None
        if partner is None or partner.public_key != checkpoint.key or not signature_ok(checkpoint):
            raise AcsaError.single(
                Code.CHECKPOINT_INVALID,
                "signature",
                "not signed by the key registered for a partner node of this one",
            )
        stored = uow.settings.get(PARTNER_HEAD + nation)
        before = parse_checkpoint(stored) if stored else None
        if before is not None:
            problems = _partner_problems(before, checkpoint)
            if problems:
                first = problems[0]
                raise AcsaError(
                    [
                        Violation(
                            Code.AUDIT_CHECKPOINT_MISMATCH,
                            "checkpoint",
                            first.template,
                            params=first.params,
                        )
                    ]
                )
        if before is None or checkpoint.count > before.count:
            uow.settings.set(PARTNER_HEAD + nation, checkpoint.text())
            uow.commit()
        kept = checkpoint if before is None or checkpoint.count > before.count else before
    return PartnerHeadOut(nation=nation, checkpoint=checkpoint_out(kept))


def _partner_problems(before: Checkpoint, now: Checkpoint) -> list[Message]:
    sent = before.at.isoformat(timespec="seconds")
    if now.count < before.count:
        return [
            message(
                t(
                    "{signer}'s chain holds {count} records but it sent a checkpoint of {before} "
                    "on {sent}: its tail was cut"
                ),
                signer=now.signer,
                count=now.count,
                before=before.count,
                sent=sent,
            )
        ]
    if now.seq == before.seq and now.hash != before.hash:
        return [
            message(
                t(
                    "{signer}'s record {seq} has another hash than it sent on {sent}: its chain "
                    "was rewritten"
                ),
                signer=now.signer,
                seq=now.seq,
                sent=sent,
            )
        ]
    return []


def partner_heads(uow: UnitOfWork) -> list[PartnerHeadOut]:
    """The latest checkpoint each partner node sent here (what it cannot later deny)."""
    with uow:
        found = []
        for partner in uow.partners.all():
            stored = uow.settings.get(PARTNER_HEAD + partner.nation)
            if stored:
                found.append(
                    PartnerHeadOut(
                        nation=partner.nation, checkpoint=checkpoint_out(parse_checkpoint(stored))
                    )
                )
    return found


def partner_head(uow: UnitOfWork, nation: str) -> Checkpoint:
    """The latest checkpoint ``nation``'s node sent here, to hand back for its own check."""
    with uow:
        stored = uow.settings.get(PARTNER_HEAD + nation.upper())
    if not stored:
        raise AcsaError.single(
            Code.CHECKPOINT_INVALID,
            "nation",
            "no checkpoint was received from {nation}",
            nation=repr(nation),
        )

    return parse_checkpoint(stored)


# --- rows written before the audit log recorded them -------------------------------------------

#: The migration from which every change records the digests of the rows it wrote.
ROW_DIGESTS_REVISION = "0006"


def baseline_rows(uow: SqlUnitOfWork, actor: str) -> int:
    """One ``audit.baseline`` record (spread over ``audit.rows`` records for many orders) with
    the digests of every business row as it stands: run once by ``acsa init`` when it brings a
    database from before ROW_DIGESTS_REVISION, whose rows no record vouches for yet. Answers
    how many orders, users and agreements it covered."""
    with uow:
        owners = every_owner(uow.connection)
        for kind, found in owners.items():
            uow.cover(kind, found)
        counts = {kind: len(found) for kind, found in owners.items()}
        uow.record(
            "audit.baseline",
            "rows",
            actor,
            None,
            {
                "why": "rows stored before the audit log recorded row digests "
                f"(migration {ROW_DIGESTS_REVISION}), vouched for as they stood",
                **counts,
            },
        )
        uow.commit()
    return sum(counts.values())
