"""Designated officials as stored (see ``acsa.domain.designations``)."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from sqlalchemy import Connection, Row, insert, select, update

from acsa.adapters.db import tables as t
from acsa.domain.designations import DesignatedRole, Designation
from acsa.domain.money import Money, from_minor


def _designation(row: Row[Any]) -> Designation:
    return Designation(
        nation=row.nation,
        user=row.user_name,
        role=DesignatedRole(row.role),
        limit=Money(from_minor(row.limit_minor, row.currency), row.currency),
        valid_from=row.valid_from,
        valid_until=row.valid_until,
        reference=row.reference,
        reference_date=row.reference_date,
        id=row.id,
        ended_on=row.ended_on,
        ended_reason=row.ended_reason or "",
        at=row.at,
        actor=row.actor,
        ended_at=row.ended_at,
        ended_by=row.ended_by,
    )


_SELECT = (
    select(t.designations, t.users.c.name.label("user_name"))
    .select_from(t.designations.join(t.users, t.users.c.id == t.designations.c.user_id))
    .order_by(t.designations.c.id)
)


class DesignationRepository:
    def __init__(self, conn: Connection) -> None:
        self.conn = conn

    def of_nation(self, nation: str, user: str | None = None) -> list[Designation]:
        """``nation``'s designations (of ``user`` only, if given), oldest first."""
        query = _SELECT.where(t.designations.c.nation == nation)
        if user is not None:
            query = query.where(t.users.c.name == user)
        return [_designation(r) for r in self.conn.execute(query)]

    def get(self, designation_id: int) -> Designation | None:
        row = self.conn.execute(_SELECT.where(t.designations.c.id == designation_id)).first()
        return None if row is None else _designation(row)

    def add(self, made: Designation, user_id: int, at: datetime, actor: str) -> int:
        values = {
            "nation": made.nation,
            "user_id": user_id,
            "role": made.role.value,
            "currency": made.limit.currency,
            "limit_minor": made.limit.minor,
            "valid_from": made.valid_from,
            "valid_until": made.valid_until,
            "reference": made.reference,
            "reference_date": made.reference_date,
            "at": at,
            "actor": actor,
        }
        key = self.conn.execute(insert(t.designations).values(**values)).inserted_primary_key
        assert key is not None
        return int(key[0])

    def end(self, designation_id: int, on: date, reason: str, at: datetime, actor: str) -> None:
        self.conn.execute(
            update(t.designations)
            .where(t.designations.c.id == designation_id)
            .values(ended_on=on, ended_reason=reason, ended_at=at, ended_by=actor)
        )
