"""What the rate rules and official rates look like to the API, the client and the CLI: one set
of models, so that a command prints the same through a server as on its own database."""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal
from typing import Annotated

from pydantic import BaseModel, Field

from acsa.domain import limits
from acsa.domain.errors import Code
from acsa.domain.rate_rules import RATE, SOURCE_CHARS_MAX, NationRule, RateRule
from acsa.schemas.limits import Number
from acsa.schemas.orders import DecimalStr, Strict
from acsa.services.rates import OfficialRateRecord

#: An official rate as given: a plain decimal within RATE (the domain checks it again).
OfficialRateValue = Annotated[Decimal, Number(RATE, Code.INVALID_RATE)]


class RuleOut(BaseModel):
    """A nation's rate rule on this installation."""

    nation: str
    rule: RateRule
    currency: str = Field(description="The nation's own currency, official rates' unit.")
    source: str = Field(description="Why acsa ships the rule it ships (may be empty).")
    shipped: RateRule = Field(description="The rule acsa ships for the nation.")
    set_by: str | None = Field(description="Who set the rule here (null: the shipped one).")
    set_at: datetime | None


class RuleIn(Strict):
    """``POST /rates/rules/{nation}``: the rule to follow."""

    rule: RateRule


class OfficialRateIn(Strict):
    """``POST /rates/official``: an official rate for a whole fiscal year of a nation."""

    nation: Annotated[str, Field(min_length=3, max_length=3, pattern=limits.SINGLE_LINE_PATTERN)]
    fiscal_year: Annotated[
        int, Field(ge=1, le=9999, description="The fiscal year's number (FY2026: 2026).")
    ]
    currency: Annotated[str, Field(min_length=3, max_length=3, pattern=limits.SINGLE_LINE_PATTERN)]
    rate: OfficialRateValue = Field(
        description="Units of the nation's own currency per 1 unit of `currency`."
    )
    source: Annotated[
        str, Field(min_length=1, max_length=SOURCE_CHARS_MAX, pattern=limits.SINGLE_LINE_PATTERN)
    ]


class OfficialRateOut(BaseModel):
    """An official rate as recorded, with its fiscal year's dates."""

    nation: str
    fiscal_year: int
    label: str
    start: date
    end: date
    currency: str
    home: str = Field(description="The nation's own currency: `rate` is in it.")
    rate: DecimalStr
    source: str
    recorded_at: datetime
    recorded_by: str


def rule_out(rule: NationRule) -> RuleOut:
    return RuleOut(
        nation=rule.nation,
        rule=rule.rule,
        currency=rule.currency,
        source=rule.source,
        shipped=rule.shipped,
        set_by=rule.set_by,
        set_at=rule.set_at,
    )


def official_rate_out(record: OfficialRateRecord) -> OfficialRateOut:
    rate = record.rate
    return OfficialRateOut(
        nation=rate.nation,
        fiscal_year=rate.fiscal_year,
        label=record.year.label,
        start=record.year.start,
        end=record.year.end,
        currency=rate.currency,
        home=record.home,
        rate=rate.rate,
        source=rate.source,
        recorded_at=record.at,
        recorded_by=record.actor,
    )
