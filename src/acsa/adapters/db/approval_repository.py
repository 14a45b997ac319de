"""Approvals and returns of drafts as stored (see ``acsa.domain.approvals``)."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import Connection, Row, insert, select, update

from acsa.adapters.db import tables as t
from acsa.domain.approvals import Approval
from acsa.domain.money import Money, from_minor


def _approval(row: Row[Any]) -> Approval:
    threshold = None
    if row.currency is not None and row.threshold_minor is not None:
        threshold = Money(from_minor(row.threshold_minor, row.currency), row.currency)
    return Approval(
        order_id=row.order_id,
        kind=row.kind,
        actor=row.actor,
        at=row.at,
        tier=row.tier,
        threshold=threshold,
        name=row.name,
        rank=row.rank,
        position=row.position,
        comment=row.comment,
        id=row.id,
        cleared_at=row.cleared_at,
    )


class ApprovalRepository:
    def __init__(self, conn: Connection) -> None:
        self.conn = conn

    def of_orders(self, order_ids: Sequence[int], active: bool = True) -> list[Approval]:
        """The approvals and returns of ``order_ids`` (only those not cleared, if
        ``active``), oldest first."""
        if not order_ids:
            return []
        a = t.order_approvals
        query = select(a).where(a.c.order_id.in_(list(order_ids))).order_by(a.c.id)
        if active:
            query = query.where(a.c.cleared_at.is_(None))
        return [_approval(r) for r in self.conn.execute(query)]

    def add(self, made: Approval) -> int:
        values = {
            "order_id": made.order_id,
            "kind": made.kind,
            "tier": made.tier,
            "currency": made.threshold.currency if made.threshold else None,
            "threshold_minor": made.threshold.minor if made.threshold else None,
            "actor": made.actor,
            "name": made.name,
            "rank": made.rank,
            "position": made.position,
            "comment": made.comment,
            "at": made.at,
        }
        key = self.conn.execute(insert(t.order_approvals).values(**values)).inserted_primary_key
        assert key is not None
        return int(key[0])

    def clear(self, order_id: int, at: datetime) -> int:
        """Clear ``order_id``'s approvals and returns; how many there were."""
        a = t.order_approvals
        done = self.conn.execute(
            update(a)
            .where(a.c.order_id == order_id, a.c.cleared_at.is_(None))
            .values(cleared_at=at)
        )
        return int(done.rowcount or 0)
