"""Forks met on this node, resolved by the rule both nodes apply (``acsa.domain.forks``).

The order's supplier sequences its chain. On the supplier's node a requester's document that
takes a place the supplier's own document holds (or follows one set aside) is **set aside**:
kept in ``fork_documents``, shown, never applied, and answered as received so the requester's
outbox does not retry it. On the requester's node the supplier's document for a place one of our
own took **wins**: our documents from that place are **rolled back** (each step taken back:
a status restored with an ``undo`` event, a receipt's quantities, a note, payment or settlement
in kind removed, a dispute removed or its answer taken back, every ledger entry it posted
reversed), the supplier's document is applied,
and each rolled-back step is then **issued again** after it, at the end of the chain, if the
order still allows it (else it is dropped, with the refusal's code). A payment, replacement or
exchange is not issued again when the supplier's winning document records the same (the two
sides recorded one settlement twice): it is dropped as FORK_DUPLICATE.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping, Sequence
from datetime import datetime
from decimal import Decimal
from typing import Any

from pydantic import BaseModel
from sqlalchemy import Engine, Row

from acsa.adapters.db import unit_of_work
from acsa.adapters.db.fork_repository import DROPPED, REISSUED, ROLLED_BACK, SET_ASIDE
from acsa.commands import BY_KIND
from acsa.domain.access import Principal
from acsa.domain.documents import Document, Kind, parse_wire
from acsa.domain.errors import AcsaError, Code
from acsa.domain.forks import Decision, Link, arrive
from acsa.domain.memos import taken_back_memo
from acsa.domain.messages import t
from acsa.domain.order import Action, Event, Order
from acsa.services.handlers import handle

log = logging.getLogger("acsa.forks")

#: Who takes a rolled-back step back, in the order's history and the audit log.
FORK_ACTOR = "acsa fork rule"

#: Our steps taken back on the order itself, by the action of their event.
ORDER_STEPS: Mapping[Kind, Action] = {
    Kind.SUBMIT: Action.SUBMIT,
    Kind.CANCEL: Action.CANCEL,
    Kind.RECEIVE: Action.RECEIVE,
    Kind.CLOSE: Action.CLOSE,
}
#: Settlement records whose twin (the same kind and body) on the winning side is one record.
SETTLING = frozenset({Kind.PAYMENT, Kind.REPLACEMENT, Kind.EXCHANGE})
#: Every kind of document this node can take back (the requester's, and either side's).
UNDOABLE = frozenset(
    {*ORDER_STEPS, Kind.NOTE, Kind.ATTACHMENT, *SETTLING, Kind.DISPUTE, Kind.DISPUTE_ANSWER}
)


class ForkOut(BaseModel):
    """A document that lost its place in an order's chain, and what became of it: set aside
    (a partner's, here), rolled back (ours, to be issued again), issued again as
    ``reissued_as``, or dropped with the ``code`` of the refusal."""

    order: str
    seq: int
    document: str
    kind: str
    issuer: str
    fate: str
    winner: str
    reissued_as: str | None
    code: str | None
    at: datetime
    recorded_at: datetime


def fork_out(row: Row[Any]) -> ForkOut:
    return ForkOut(
        order=row.order_uid,
        seq=row.seq,
        document=row.id,
        kind=row.kind,
        issuer=row.issuer,
        fate=row.fate,
        winner=row.winner_id,
        reissued_as=row.reissued_as,
        code=row.code,
        at=row.at,
        recorded_at=row.recorded_at,
    )


def order_forks(uow: unit_of_work.UnitOfWork, order_uid: str | None) -> list[ForkOut]:
    """The forks met on one order, by place in its chain."""
    return [] if order_uid is None else [fork_out(r) for r in uow.forks.of_order(order_uid)]


def decide(uow: unit_of_work.UnitOfWork, doc: Document, supplier: str) -> Decision:
    """What the rule does with ``doc`` given the order's chain held here."""
    return arrive(
        uow.forks.chain(doc.order),
        Link(doc.seq, doc.hash, doc.prev, doc.issuer),
        supplier,
        uow.forks.set_aside_hashes(doc.order),
    )


def set_aside(uow: unit_of_work.UnitOfWork, doc: Document, now: datetime) -> None:
    """Keep the partner's ``doc`` that lost its place (or follows one that did), unapplied."""
    ancestor = uow.forks.by_hash(doc.order, doc.prev)
    if ancestor is not None:
        winner_hash, winner_id = ancestor.winner, ancestor.winner_id
    else:
        holder = uow.forks.holder(doc.order, doc.seq)
        assert holder is not None, "a lost fork has a holder of its place"
        winner_hash, winner_id = holder.hash, holder.id
    uow.forks.keep(doc, SET_ASIDE, winner_hash, winner_id, now)
    uow.record(
        "document.set_aside",
        f"document:{doc.id}",
        doc.actor,
        None,
        {"order": doc.order, "seq": doc.seq, "kind": doc.kind.value, "winner": winner_id},
    )
    uow.commit()


def roll_back(
    uow: unit_of_work.UnitOfWork,
    order_id: int,
    undo: Sequence[Link],
    winner: Document,
    now: datetime,
) -> list[str]:
    """Take back our documents ``undo`` (oldest first) of order ``order_id``, newest first,
    before ``winner`` takes their place; the ids taken back."""
    node = uow.node
    assert node is not None
    held = {r.hash: r for r in uow.documents.of_order(winner.order)}
    rows = [held[link.hash] for link in undo]
    for row in rows:
        if row.issuer != node.nation or Kind(row.kind) not in UNDOABLE:
            raise _cannot_undo(winner, row)
    order = uow.orders.get(order_id)
    assert order is not None
    before = {"status": order.status.value, "documents": [r.id for r in rows]}
    for row in reversed(rows):
        _take_back(uow, order, row, winner, now)
    if order.new_events:
        uow.orders.update(order, now)
    for row in rows:
        uow.forks.keep(parse_wire(row.wire.encode()), ROLLED_BACK, winner.hash, winner.id, now)
    uow.forks.take_out([r.id for r in rows])
    after = {"status": order.status.value, "winner": winner.id, "kind": winner.kind.value}
    uow.record("order.undo", f"order:{order_id}", FORK_ACTOR, before, after, order_id)
    return [r.id for r in rows]


def _cannot_undo(winner: Document, row: Row[Any]) -> AcsaError:
    return AcsaError.single(
        Code.DOCUMENT_CHAIN_BROKEN,
        "seq",
        t(
            "document {document} ({kind} of order {order}) takes place {seq}, which this node's "
            "{ours} holds and cannot take back; nothing was recorded"
        ),
        document=winner.id,
        kind=winner.kind.value,
        order=winner.order,
        seq=winner.seq,
        ours=row.kind,
    )


def _take_back(
    uow: unit_of_work.UnitOfWork, order: Order, row: Row[Any], winner: Document, now: datetime
) -> None:
    """Undo what our step ``row`` recorded on ``order``: the order's state, its records, and
    the ledger entries it posted (reversed, dated as they were)."""
    assert order.id is not None
    kind = Kind(row.kind)
    if kind in ORDER_STEPS:
        step = _event_of(order, ORDER_STEPS[kind], row.at)
        details = {"document": row.id, "winner": winner.id}
        order.undo(step, now, FORK_ACTOR, details)
    elif kind is Kind.NOTE:
        uow.step_records.remove_note(order.id, row.at, row.actor)
    elif kind is Kind.ATTACHMENT:
        from acsa.adapters.db.attachment_repository import AttachmentRepository

        AttachmentRepository(uow.connection).remove(order.id, row.at, row.actor)
    elif kind in (Kind.DISPUTE, Kind.DISPUTE_ANSWER):
        from acsa.adapters.db.dispute_repository import DisputeRepository

        disputes = DisputeRepository(uow.connection)
        if kind is Kind.DISPUTE:
            disputes.remove(order.id, row.at, row.actor)
        else:
            disputes.reopen(order.id, row.at, row.actor)
    elif kind is Kind.PAYMENT:
        uow.step_records.remove_payments(order.id, row.at, row.actor)
    else:
        uow.step_records.remove_settlements(order.id, row.at, row.actor)
    memo = taken_back_memo(order.id)
    uow.ledger.add(
        [
            entry.reversed(now, FORK_ACTOR, entry.effective, memo)
            for entry in uow.step_records.entries(order.id, row.at, row.actor)
        ]
    )


def _event_of(order: Order, action: Action, at: datetime) -> Event:
    """The latest event of ``action`` taken at ``at`` and not taken back since."""
    events = [*order.history, *order.new_events]
    undone = {e.details.get("undoes") for e in events if e.action is Action.UNDO}
    for event in reversed(events):
        if event.action is action and event.at == at and event.seq not in undone:
            return event
    raise AcsaError.single(
        Code.DOCUMENT_CHAIN_BROKEN,
        "seq",
        "order {order} has no {action} of {at} to take back",
        order=order.id,
        action=action.value,
        at=at.isoformat(),
    )


# --- issuing again what was rolled back -------------------------------------------------------


def reissue_pending(engine: Engine) -> int:
    """Issue again, oldest first, our rolled-back steps the order still allows (after the
    supplier's document that took their place); drop the others with the refusal's code.
    Each in a transaction of its own, holding its order; safe to run from several places (a
    step already issued or dropped is skipped). How many were settled."""
    with unit_of_work.UnitOfWork(engine, read_only=True) as uow:
        node = uow.node
        waiting = uow.forks.to_reissue() if node is not None else []
    settled = 0
    for row in waiting:
        assert node is not None
        settled += _reissue(engine, row.id, node.nation)
    return settled


def _reissue(engine: Engine, document_id: str, nation: str) -> int:
    row: Row[Any] | None = None
    try:
        uow = unit_of_work.UnitOfWork(engine, hold=True)
        try:
            with uow:
                order_id = uow.orders.id_of(_uid(uow, document_id))
                if order_id is not None:
                    uow.orders.get(order_id, with_history=False)  # hold the order
                row = uow.forks.get(document_id)
                if row is None or row.fate != ROLLED_BACK:
                    return 0
                if order_id is None:
                    raise AcsaError.single(
                        Code.ORDER_NOT_FOUND,
                        "order",
                        "order {order} is not held here",
                        order=row.order_uid,
                    )
                _refuse_twin(uow, row)
                doc = parse_wire(row.wire.encode())
                _refuse_outdated(uow, order_id, doc)
                uow.principal = Principal(row.actor, nation)
                kind = BY_KIND[doc.kind]
                handle(uow, kind.from_document(doc.body, order_id=order_id), row.actor, row.at)
                head = uow.documents.of_order(row.order_uid)[-1]
                uow.forks.settle(row.id, REISSUED, head.id, None)
                uow.record(
                    "document.reissue",
                    f"document:{row.id}",
                    FORK_ACTOR,
                    None,
                    {"order": row.order_uid, "kind": row.kind, "as": head.id},
                )
                uow.commit()
            uow.finish()
        finally:
            uow.close()
    except AcsaError as refused:
        if row is None:
            raise
        _drop(engine, row, refused.violations[0].code.value)
    return 1


def _uid(uow: unit_of_work.UnitOfWork, document_id: str) -> str:
    row = uow.forks.get(document_id)
    return "" if row is None else str(row.order_uid)


def _refuse_twin(uow: unit_of_work.UnitOfWork, row: Row[Any]) -> None:
    """FORK_DUPLICATE when ``row`` is a settlement record the winner records as well."""
    if Kind(row.kind) not in SETTLING:
        return
    winner = uow.documents.get(row.winner_id)
    if winner is None or winner.kind != row.kind:
        return
    ours, theirs = parse_wire(row.wire.encode()), parse_wire(winner.wire.encode())
    if _settling_terms(ours.body) == _settling_terms(theirs.body):
        raise AcsaError.single(
            Code.FORK_DUPLICATE,
            "kind",
            "order {order}: the partner recorded this {kind} already; not recorded twice",
            order=row.order_uid,
            kind=row.kind,
        )


def _refuse_outdated(uow: unit_of_work.UnitOfWork, order_id: int, doc: Document) -> None:
    """FORK_OUTDATED for a receipt when what waits for receipt is no longer what it received
    (a delivery took its place): issued again, it would record a shortage nobody saw."""
    if doc.kind is not Kind.RECEIVE:
        return
    order = uow.orders.get(order_id, with_history=False)
    assert order is not None
    took = {int(n): v for n, v in dict(doc.body.get("lines") or {}).items()}
    for line in order.lines:
        got = took.get(line.number)
        counted = Decimal(got["received"]) + Decimal(got["short"]) if got else Decimal(0)
        if counted != line.to_receive:
            raise AcsaError.single(
                Code.FORK_OUTDATED,
                f"lines[{line.number}]",
                "order {order}, line {line}: the receipt counted {counted}, but {left} now "
                "wait for receipt; receive again",
                order=order_id,
                line=line.number,
                counted=counted,
                left=line.to_receive,
            )


def _settling_terms(body: Mapping[str, Any]) -> dict[str, Any]:
    """What makes two settlement records one: all but who noted it and why."""
    return {k: v for k, v in body.items() if k not in ("note", "reference", "agreed_by")}


def _drop(engine: Engine, row: Row[Any], code: str) -> None:
    with unit_of_work.UnitOfWork(engine) as uow:
        current = uow.forks.get(row.id)
        if current is None or current.fate != ROLLED_BACK:
            return
        uow.forks.settle(row.id, DROPPED, None, code)
        uow.record(
            "document.drop",
            f"document:{row.id}",
            FORK_ACTOR,
            None,
            {"order": row.order_uid, "kind": row.kind, "code": code},
        )
        uow.commit()
    log.info("fork: %s of order %s not issued again: %s", row.kind, row.order_uid, code)
