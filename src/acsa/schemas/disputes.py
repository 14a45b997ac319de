"""Disputes on the wire: a dispute of an order's step and the report per partner."""

from __future__ import annotations

from datetime import date, datetime

from pydantic import BaseModel, Field

from acsa.schemas.orders import DecimalStr


class DisputeOut(BaseModel):
    """A dispute of a step of an order: what is disputed (``step``, its ``subject`` and
    ``ground``), why, how much, its evidence (a file's SHA-256), who opened it (nation and
    person) and when; its ``status`` (open, resolved, withdrawn) and, once answered, the
    ``resolution``, the ``agreed`` amount, the credit note posted, who answered and when.
    ``age_days`` counts from the day it was opened to today (to its answer, once answered);
    ``partner`` is the other party from the reader's side (the supplier for the operator)."""

    order: int
    number: str
    step: str
    subject: str
    ground: str
    reason: str
    amount: DecimalStr
    currency: str
    evidence: str | None
    opened_by: str
    actor: str
    opened: date
    at: datetime
    status: str
    resolution: str | None = None
    agreed: DecimalStr | None = None
    note: str | None = None
    credit_note: str | None = None
    answered_by: str | None = None
    answer_actor: str | None = None
    answered: date | None = None
    answered_at: datetime | None = None
    age_days: int
    requester: str
    supplier: str
    partner: str


class DisputeReportRow(BaseModel):
    """Per partner and currency: the open disputes (count, value, the oldest's age) and those
    closed (resolved or withdrawn)."""

    partner: str
    currency: str
    open: int
    open_value: DecimalStr
    oldest_days: int
    closed: int
    closed_value: DecimalStr
    credited: DecimalStr = Field(description="What credit notes and write-offs took off.")
