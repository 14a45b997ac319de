"""The audit log: what a change looked like before and after, the chain check, the listing."""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel

from acsa.adapters.db.audit_repository import ledger_digest
from acsa.adapters.db.unit_of_work import UnitOfWork
from acsa.domain.audit import AuditRecord, Break, first_break
from acsa.domain.order import Order


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
    seq: int | None
    reason: str


class AuditVerifyOut(BaseModel):
    """The chain check: ``ok`` or the first broken record, and the ledger's cover."""

    ok: bool
    records: int
    ledger_entries: int
    ledger_entries_covered: int
    problems: list[AuditProblemOut]


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


def verify_audit(uow: UnitOfWork, nation: str | None = None) -> AuditVerifyOut:
    """Walk the whole chain: every link and hash, and every ledger entry covered once by a
    record whose digest still matches the entries as stored. The check is always of the
    whole chain; with ``nation`` the counts reported are of what that nation may read (its
    records, its book's entries), so another nation's volume of business does not leak."""
    problems: list[AuditProblemOut] = []
    covered = 0
    with uow:
        conn = uow.connection
        records = list(uow.audit.records())
        broken: Break | None = first_break(records)
        if broken is not None:
            problems.append(AuditProblemOut(seq=broken.seq, reason=broken.reason))
        seen: set[tuple[int, int]] = set()
        for record in records:
            if not record.entries:
                continue
            ranges = [tuple(r) for r in record.entries.get("ranges", [])]
            digest, count = ledger_digest(conn, ranges)
            covered += int(record.entries.get("count", 0))
            if digest != record.entries.get("digest") or count != record.entries.get("count"):
                problems.append(
                    AuditProblemOut(
                        seq=record.seq,
                        reason="the ledger entries it covers were changed, added or removed "
                        f"since (entries {_ranges_text(ranges)})",
                    )
                )
            overlap = seen.intersection(ranges)
            if overlap:
                problems.append(
                    AuditProblemOut(seq=record.seq, reason="ledger entries covered twice")
                )
            seen.update((a, b) for a, b in ranges)
        total = uow.audit.ledger_entry_count()
    if total != covered:
        problems.append(
            AuditProblemOut(
                seq=None,
                reason=f"{total} ledger entries are stored but the audit log covers {covered}: "
                "entries were written outside acsa or removed",
            )
        )
    if nation is not None:
        with uow:
            shown = sum(1 for _ in uow.audit.records(party=nation))
            theirs = uow.audit.ledger_entry_count(book=nation)
        return AuditVerifyOut(
            ok=not problems,
            records=shown,
            ledger_entries=theirs,
            ledger_entries_covered=theirs if total == covered else min(theirs, covered),
            problems=problems,
        )
    return AuditVerifyOut(
        ok=not problems,
        records=len(records),
        ledger_entries=total,
        ledger_entries_covered=covered,
        problems=problems,
    )


def _ranges_text(ranges: list[tuple[int, ...]]) -> str:
    shown = ", ".join(f"{a}-{b}" if a != b else str(a) for a, b in ranges[:5])
    return shown + (" ..." if len(ranges) > 5 else "")
