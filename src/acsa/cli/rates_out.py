"""What ``acsa rates import|show|convert`` print as JSON: pydantic models, loaded only when one
of them runs (pydantic is no part of building the command line)."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

from pydantic import BaseModel


class ImportOut(BaseModel):
    source: str
    days: int
    currencies: list[str]
    rows: int
    first_day: date
    last_day: date
    added: int
    updated: int
    unchanged: int


class RateOut(BaseModel):
    day: date
    currency: str
    per_eur: Decimal
    source: str


class ConversionOut(BaseModel):
    amount: Decimal
    currency: str
    from_amount: Decimal
    from_currency: str
    on: date
    rate: Decimal
    rate_date: date
    source: str
    rule: str
    nation: str | None
