"""The partner's registry as its node sent it (table ``partner_registry``): agreement versions
and official rates, each entry as its registry document carried it."""

from __future__ import annotations

import json
from collections.abc import Mapping
from datetime import datetime
from typing import Any

from sqlalchemy import Connection, delete, insert, select

from acsa.adapters.db import tables as t
from acsa.domain.documents import canonical


class PartnerRegistryRepository:
    def __init__(self, conn: Connection) -> None:
        self.conn = conn

    def replace(
        self,
        partner: str,
        kind: str,
        subject: str,
        entries: Mapping[str, Mapping[str, Any]],
        document_id: str,
        now: datetime,
    ) -> None:
        """``partner``'s entries of ``kind`` about ``subject`` (an agreement: all its versions;
        a rate: itself) are now ``entries``."""
        r = t.partner_registry.c
        self.conn.execute(
            delete(t.partner_registry).where(
                r.partner == partner, r.kind == kind, r.subject == subject
            )
        )
        for key, entry in entries.items():
            self.conn.execute(
                insert(t.partner_registry).values(
                    partner=partner,
                    kind=kind,
                    key=key,
                    subject=subject,
                    body=canonical(dict(entry)).decode(),
                    document_id=document_id,
                    recorded_at=now,
                )
            )

    def entries(self, partner: str, kind: str) -> dict[str, dict[str, Any]]:
        r = t.partner_registry.c
        rows = self.conn.execute(
            select(r.key, r.body).where(r.partner == partner, r.kind == kind).order_by(r.key)
        )
        return {str(row.key): json.loads(row.body) for row in rows}
