"""Implementing arrangements as stored (``arrangements``): one row per arrangement of an
agreement, its dates and payment term as columns, what each side names in ``body``."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from decimal import Decimal
from typing import Any

from sqlalchemy import Connection, Row, func, insert, select, update

from acsa.adapters.db import tables as t
from acsa.adapters.db.repository import counted_values
from acsa.domain.arrangements import (
    Arrangement,
    ArrangementCeiling,
    Contact,
    Office,
    Side,
)
from acsa.domain.ceilings import Acquired


def _office(data: Mapping[str, Any] | None) -> Office | None:
    if not data:
        return None
    return Office(
        name=str(data.get("name", "")),
        address=tuple(str(x) for x in data.get("address") or ()),
        email=str(data.get("email") or ""),
    )


def stored_side(body: Mapping[str, Any] | None, party: str) -> Side:
    """``party``'s side of an arrangement as its stored ``body`` (the table's JSON) holds it."""
    return _side(party, ((body or {}).get("sides") or {}).get(party))


def _side(party: str, data: Mapping[str, Any] | None) -> Side:
    data = data or {}
    return Side(
        party=party,
        billing_office=_office(data.get("billing_office")),
        paying_office=_office(data.get("paying_office")),
        contacts=tuple(
            Contact(
                name=str(c.get("name", "")),
                position=str(c.get("position") or ""),
                email=str(c.get("email") or ""),
                phone=str(c.get("phone") or ""),
            )
            for c in data.get("contacts") or ()
        ),
        fund_citation=data.get("fund_citation") or None,
    )


def _arrangement(row: Row[Any], parties: tuple[str, str]) -> Arrangement:
    body = row.body or {}
    return Arrangement(
        id=row.id,
        agreement_id=row.agreement_id,
        reference=row.reference,
        title=row.title,
        signed=row.signed,
        in_force=row.in_force,
        ended=row.ended,
        payment_term_days=row.payment_term_days,
        sides=(stored_side(body, parties[0]), stored_side(body, parties[1])),
        ceilings=tuple(
            ArrangementCeiling(
                currency=str(c["currency"]),
                amount=Decimal(str(c["amount"])),
                period=str(c.get("period") or "fiscal_year"),
                applies_to=str(c.get("applies_to") or "all"),
                party=c.get("party") or None,
                note=str(c.get("note") or ""),
            )
            for c in body.get("ceilings") or ()
        ),
        notes=str(body.get("notes") or ""),
    )


_PARTIES = select(t.agreements.c.party_a, t.agreements.c.party_b)


class ArrangementRepository:
    def __init__(self, conn: Connection) -> None:
        self.conn = conn

    def _parties(self, agreement_id: str) -> tuple[str, str]:
        row = self.conn.execute(_PARTIES.where(t.agreements.c.id == agreement_id)).one()
        return str(row.party_a), str(row.party_b)

    def add(self, a: Arrangement, at: datetime, actor: str) -> int:
        result = self.conn.execute(
            insert(t.arrangements).values(
                agreement_id=a.agreement_id,
                reference=a.reference,
                title=a.title,
                signed=a.signed,
                in_force=a.in_force,
                ended=a.ended,
                payment_term_days=a.payment_term_days,
                body=a.body(),
                created_at=at,
                actor=actor,
                updated_at=at,
            )
        )
        key = result.inserted_primary_key
        assert key is not None
        return int(key[0])

    def replace(self, a: Arrangement, at: datetime) -> None:
        """Store ``a``'s new terms (an amendment, or its end) over its row."""
        assert a.id is not None
        self.conn.execute(
            update(t.arrangements)
            .where(t.arrangements.c.id == a.id)
            .values(
                title=a.title,
                signed=a.signed,
                in_force=a.in_force,
                ended=a.ended,
                payment_term_days=a.payment_term_days,
                body=a.body(),
                updated_at=at,
            )
        )

    def of_agreement(self, agreement_id: str) -> list[Arrangement]:
        """The agreement's arrangements, by the day they entered into force, then reference."""
        a = t.arrangements
        rows = self.conn.execute(
            select(a).where(a.c.agreement_id == agreement_id).order_by(a.c.in_force, a.c.reference)
        ).all()
        if not rows:
            return []
        parties = self._parties(agreement_id)
        return [_arrangement(row, parties) for row in rows]

    def get(self, agreement_id: str, reference: str) -> Arrangement | None:
        a = t.arrangements
        row = self.conn.execute(
            select(a).where(a.c.agreement_id == agreement_id, a.c.reference == reference)
        ).first()
        return None if row is None else _arrangement(row, self._parties(agreement_id))

    def count(self, agreement_id: str) -> int:
        a = t.arrangements
        query = select(func.count()).select_from(a).where(a.c.agreement_id == agreement_id)
        return int(self.conn.execute(query).scalar_one())

    def used_values(
        self, arrangement_id: int, party: str, exclude: int | None = None
    ) -> tuple[Acquired, ...]:
        """The accepted value of each counted order ``party`` requested under the arrangement
        (but ``exclude``), whatever its date, in its own currency."""
        o = t.orders
        return counted_values(
            self.conn, exclude, o.c.arrangement_id == arrangement_id, o.c.requester == party
        )

    def of_order(self, order_id: int) -> tuple[int | None, str | None]:
        """(the arrangement id, the reference) the order names."""
        o = t.orders
        row = self.conn.execute(
            select(o.c.arrangement_id, o.c.arrangement).where(o.c.id == order_id)
        ).first()
        return (None, None) if row is None else (row.arrangement_id, row.arrangement)

    def by_id(self, arrangement_id: int) -> Arrangement | None:
        a = t.arrangements
        row = self.conn.execute(select(a).where(a.c.id == arrangement_id)).first()
        return None if row is None else _arrangement(row, self._parties(row.agreement_id))
