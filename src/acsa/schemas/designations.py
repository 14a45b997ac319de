"""Designated officials on the wire: what an admin gives (``DesignationIn``), how one reads
(``DesignationOut``), ending one (``DesignationEndIn``) and a nation's policy."""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal
from typing import Annotated

from pydantic import BaseModel, Field, StrictBool

from acsa.schemas.limits import Amount, Day, Text
from acsa.schemas.orders import Strict

UserName = Annotated[str, Field(min_length=1, max_length=200)]


class DesignationIn(Strict):
    """``acsa designations add``: a user of your nation, the role, the authority limit (amount
    and ISO 4217 currency), the days it is valid and the reference of the letter or order
    that designates them (its number and date)."""

    user: UserName
    role: Annotated[str, Field(min_length=1, max_length=16)]
    limit: Amount
    currency: Annotated[str, Field(min_length=3, max_length=3)]
    valid_from: Day
    valid_until: Day | None = None
    reference: Annotated[str, Text("reference")]
    reference_date: Day


class DesignationEndIn(Strict):
    """Ending (revoking) a designation: from ``on`` (default today) it lets its official act
    no more; ``reason`` for the record."""

    on: Day | None = None
    reason: Annotated[str, Text("reason")] = ""


class DesignationOut(BaseModel):
    id: int
    nation: str
    user: str
    role: str
    role_words: str
    limit: Decimal
    currency: str
    valid_from: date
    valid_until: date | None
    reference: str
    reference_date: date
    ended_on: date | None
    ended_reason: str
    current: bool
    at: datetime | None
    actor: str


class PolicyIn(Strict):
    """A nation's designation policy: only what is given changes."""

    # strict: 0 and 1, "true" are not what a boolean of the document says.
    required: StrictBool | None = None
    separation: StrictBool | None = None


class PolicyOut(BaseModel):
    nation: str
    required: bool
    separation: bool
