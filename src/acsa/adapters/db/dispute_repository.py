"""Disputes as stored (``disputes``): one row per dispute of an order's step, its answer
written into the same row when given."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import Connection, Row, delete, insert, select, update

from acsa.adapters.db import tables as t
from acsa.domain.attachments import Step, StepKind
from acsa.domain.disputes import Dispute, Ground, Resolution, Status
from acsa.domain.money import from_minor, to_minor


def _dispute(row: Row[Any]) -> Dispute:
    cur = row.currency
    return Dispute(
        id=row.id,
        order_id=row.order_id,
        number=row.number,
        step=Step(StepKind(row.step_kind), row.step_ref),
        ground=Ground(row.ground),
        reason=row.reason,
        amount=from_minor(row.amount_minor, cur),
        currency=cur,
        evidence=row.evidence,
        opened_by=row.opened_by,
        actor=row.actor,
        day=row.opened,
        at=row.at,
        status=Status(row.status),
        resolution=None if row.resolution is None else Resolution(row.resolution),
        agreed=None if row.agreed_minor is None else from_minor(row.agreed_minor, cur),
        answer_note=row.answer_note,
        credit_note=row.credit_note,
        answered_by=row.answered_by,
        answer_actor=row.answer_actor,
        answered=row.answered,
        answered_at=row.answered_at,
    )


class DisputeRepository:
    def __init__(self, conn: Connection) -> None:
        self.conn = conn

    def add(self, d: Dispute) -> int:
        result = self.conn.execute(
            insert(t.disputes).values(
                order_id=d.order_id,
                number=d.number,
                step_kind=d.step.kind.value,
                step_ref=d.step.ref,
                ground=d.ground.value,
                reason=d.reason,
                currency=d.currency,
                amount_minor=to_minor(d.amount, d.currency),
                evidence=d.evidence,
                opened_by=d.opened_by,
                actor=d.actor,
                opened=d.day,
                at=d.at,
                status=d.status.value,
            )
        )
        key = result.inserted_primary_key
        assert key is not None
        return int(key[0])

    def answer(self, d: Dispute) -> None:
        """Write ``d``'s answer into its row (it was open: the order is held)."""
        assert d.id is not None
        assert d.resolution is not None
        c = t.disputes.c
        self.conn.execute(
            update(t.disputes)
            .where(c.id == d.id, c.status == Status.OPEN.value)
            .values(
                status=d.status.value,
                resolution=d.resolution.value,
                agreed_minor=None if d.agreed is None else to_minor(d.agreed, d.currency),
                answer_note=d.answer_note,
                credit_note=d.credit_note,
                answered_by=d.answered_by,
                answer_actor=d.answer_actor,
                answered=d.answered,
                answered_at=d.answered_at,
            )
        )

    def reopen(self, order_id: int, at: datetime, actor: str) -> None:
        """Take back an answer given at ``at`` by ``actor`` (a fork's rule)."""
        c = t.disputes.c
        self.conn.execute(
            update(t.disputes)
            .where(c.order_id == order_id, c.answered_at == at, c.answer_actor == actor)
            .values(
                status=Status.OPEN.value,
                resolution=None,
                agreed_minor=None,
                answer_note=None,
                credit_note=None,
                answered_by=None,
                answer_actor=None,
                answered=None,
                answered_at=None,
            )
        )

    def remove(self, order_id: int, at: datetime, actor: str) -> None:
        """Take back a dispute opened at ``at`` by ``actor`` (a fork's rule)."""
        c = t.disputes.c
        self.conn.execute(
            delete(t.disputes).where(c.order_id == order_id, c.at == at, c.actor == actor)
        )

    def of_order(self, order_id: int) -> list[Dispute]:
        c = t.disputes.c
        rows = self.conn.execute(select(t.disputes).where(c.order_id == order_id).order_by(c.id))
        return [_dispute(r) for r in rows]

    def named(self, order_id: int, number: str) -> Dispute | None:
        c = t.disputes.c
        row = self.conn.execute(
            select(t.disputes).where(c.order_id == order_id, c.number == number)
        ).first()
        return None if row is None else _dispute(row)

    def of_orders(self, order_ids: Sequence[int] | None) -> list[Dispute]:
        """Every dispute of the orders given (None: of every order), oldest first."""
        c = t.disputes.c
        query = select(t.disputes).order_by(c.opened, c.id)
        if order_ids is not None:
            query = query.where(c.order_id.in_(list(order_ids)))
        return [_dispute(r) for r in self.conn.execute(query)]
