"""Which exchange rate a nation converts with: its rule, and conversion under it.

A nation follows one of two rules. ``daily_reference``: the reference rate of the day (the
ECB's, see ``acsa.domain.fx``). ``official_fiscal_year``: one official rate per fiscal year of
that nation, for the whole year, that a user records: Japan reimburses in currency at the
official rate set for each fiscal year, not the day's market rate (the Government's answer to
the Diet, 2019-04-10). An official rate is ``rate`` units of the nation's own currency per 1
unit of another currency; two foreign currencies are crossed through the home currency.

:func:`convert_under` is the one place that decides which rule a conversion follows; the
arithmetic is exact Decimal, rounded once, half-even, to the target's minor unit, as
``fx.convert`` does, and a missing rate is RATE_MISSING naming what to record.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, datetime
from decimal import ROUND_HALF_EVEN, Context, Decimal
from enum import StrEnum
from typing import Protocol

from acsa.domain import fx, limits
from acsa.domain.access import ForbiddenError, Principal, Role, held
from acsa.domain.errors import AcsaError, Code, Violation
from acsa.domain.fiscal import FiscalCalendar, FiscalYear
from acsa.domain.fx import Conversion
from acsa.domain.money import Money, is_known_currency, quantum


class RateRule(StrEnum):
    """How a nation chooses the rate a conversion uses."""

    DAILY_REFERENCE = fx.DAILY_REFERENCE
    OFFICIAL_FISCAL_YEAR = "official_fiscal_year"


#: Most decimal places of an official rate (0.0000123456 JPY per unit of a small currency).
RATE_DECIMALS_MAX = 10
#: An official rate: a plain decimal more than 0, bounded like a unit price.
RATE = limits.NumberBound(limits.PRICE_MAX, RATE_DECIMALS_MAX)
#: Most characters of the source given for an official rate.
SOURCE_CHARS_MAX = limits.TEXT_CHARS_MAX
#: Significant digits of a conversion's rate as reported (the amount uses the exact rates).
RATE_DIGITS = fx.RATE_DIGITS

_EXACT = Context(prec=60)


@dataclass(frozen=True, slots=True)
class NationRule:
    """The rate rule of one nation as an installation applies it.

    Attributes:
        nation: ISO 3166-1 alpha-3 code.
        rule: the rule conversions for this nation follow.
        currency: the nation's own currency (ISO 4217), the one official rates are set in.
        source: why the shipped rule is what it is (empty when nothing is cited).
        shipped: the rule acsa ships for the nation (``rule`` differs when overridden).
        set_by: who set the rule on this installation (None: the shipped default).
        set_at: when they set it.
    """

    nation: str
    rule: RateRule
    currency: str
    source: str = ""
    shipped: RateRule = RateRule.DAILY_REFERENCE
    set_by: str | None = None
    set_at: datetime | None = None


@dataclass(frozen=True, slots=True)
class OfficialRate:
    """``rate`` units of ``nation``'s own currency buy 1 ``currency`` in fiscal year
    ``fiscal_year`` of ``nation``, as ``source`` sets it."""

    nation: str
    fiscal_year: int
    currency: str
    rate: Decimal
    source: str


class OfficialRateTable(Protocol):
    """Where recorded official rates are looked up: a database, a dict in a test."""

    def official_rate(self, nation: str, fiscal_year: int, currency: str) -> OfficialRate | None:
        """The official rate ``nation`` recorded for ``currency`` in ``fiscal_year``, or None."""
        ...


class MemoryOfficialRates:
    """Official rates held in memory, for tests."""

    def __init__(self, rates: Iterable[OfficialRate]) -> None:
        self._rates = {(r.nation, r.fiscal_year, r.currency): r for r in rates}

    def official_rate(self, nation: str, fiscal_year: int, currency: str) -> OfficialRate | None:
        return self._rates.get((nation, fiscal_year, currency))


# --- checks on what a person records ----------------------------------------------------------


def parse_rule(value: str, field: str = "rule") -> RateRule:
    """A rule by its name; INVALID_FIELD naming the two there are."""
    try:
        return RateRule(value.strip())
    except ValueError:
        raise AcsaError(
            [
                Violation(
                    Code.INVALID_FIELD,
                    field,
                    "{field} {value} is not a rate rule; one of: {names}",
                    params={
                        "field": field,
                        "value": repr(value[:40]),
                        "names": tuple(r.value for r in RateRule),
                    },
                )
            ]
        ) from None


def fiscal_year_number(year: FiscalYear) -> int:
    """The number of a fiscal year (FY2026 -> 2026)."""
    return int(year.label.removeprefix("FY"))


def fiscal_year_bounds(calendar: FiscalCalendar) -> tuple[int, int]:
    """The first and last fiscal years of ``calendar`` that hold a date acsa takes."""
    first = calendar.fiscal_year_of(limits.DATE_MIN)
    last = calendar.fiscal_year_of(limits.DATE_MAX)
    return fiscal_year_number(first), fiscal_year_number(last)


def official_rate_violations(
    nation: str,
    calendar: FiscalCalendar,
    fiscal_year: object,
    currency: str,
    home: str,
    rate: object,
    source: str,
) -> tuple[OfficialRate | None, list[Violation]]:
    """An official rate from what a person typed, or every violation at once: a fiscal year
    holding dates acsa takes, a known currency other than the home one, a plain decimal rate
    more than 0 within RATE, a non-empty single-line source of at most SOURCE_CHARS_MAX."""
    found: list[Violation] = []
    low, high = fiscal_year_bounds(calendar)
    year = (
        fiscal_year if isinstance(fiscal_year, int) and not isinstance(fiscal_year, bool) else None
    )
    if year is None or not low <= year <= high:
        found.append(
            Violation(
                Code.INVALID_FIELD,
                "fiscal_year",
                "fiscal_year {year} is not a fiscal year of {nation} holding dates acsa takes: "
                "a whole number from {low} to {high}",
                params={
                    "year": repr(str(fiscal_year)[:20]),
                    "nation": nation,
                    "low": low,
                    "high": high,
                },
            )
        )
    if not is_known_currency(currency):
        found.append(
            Violation(
                Code.UNKNOWN_CURRENCY,
                "currency",
                "currency {currency} is not an ISO 4217 currency code",
                params={"currency": repr(currency[:20])},
            )
        )
    elif currency == home:
        found.append(
            Violation(
                Code.INVALID_FIELD,
                "currency",
                "currency {currency} is {nation}'s own currency, whose rate is 1 by definition",
                params={"currency": currency, "nation": nation},
            )
        )
    number, bad_rate = limits.number_violation("rate", rate, RATE, Code.INVALID_RATE)
    if bad_rate is not None:
        found.append(bad_rate)
    text = source.strip()
    if not text:
        found.append(
            Violation(Code.MISSING_FIELD, "source", "source: say where the official rate is set")
        )
    else:
        bad_text = limits.text_violation("source", text, multiline=False, bound=SOURCE_CHARS_MAX)
        if bad_text is not None:
            found.append(bad_text)
    if found or number is None or year is None:
        return None, found
    return OfficialRate(nation, year, currency, number, text), []


def check_official_rate(
    nation: str,
    calendar: FiscalCalendar,
    fiscal_year: object,
    currency: str,
    home: str,
    rate: object,
    source: str,
) -> OfficialRate:
    """The official rate, or an AcsaError with every violation (see official_rate_violations)."""
    found, violations = official_rate_violations(
        nation, calendar, fiscal_year, currency, home, rate, source
    )
    if found is None:
        raise AcsaError(violations)
    return found


def may_set_rates(principal: Principal | None, nation: str) -> bool:
    """Whether ``principal`` may set ``nation``'s rate rule and official rates: the
    installation's operator (None), a registry keeper, or an admin of that nation."""
    if principal is None or Role.REGISTRY_KEEPER in principal.roles:
        return True
    return Role.ADMIN in principal.roles and principal.nation == nation


def require_rate_change(principal: Principal | None, nation: str) -> None:
    """Refuse with FORBIDDEN unless ``principal`` may set ``nation``'s rates (may_set_rates)."""
    if may_set_rates(principal, nation):
        return
    assert principal is not None
    raise ForbiddenError.single(
        Code.FORBIDDEN,
        "nation",
        "the rate rule and official rates of {nation} are set by an admin of {nation} or by a "
        "registry keeper; {name} ({own}) holds {held}",
        nation=nation,
        name=principal.name,
        own=principal.nation,
        held=held(principal),
    )


# --- conversion -----------------------------------------------------------------------------


def record_command(nation: str, fiscal_year: int, currency: str) -> str:
    """The command that records the official rate a conversion lacks."""
    return f"acsa rates official set {nation} {fiscal_year} {currency} RATE --source TEXT"


def find_official_rate(
    table: OfficialRateTable,
    nation: str,
    year: FiscalYear,
    currency: str,
    field: str = "currency",
) -> OfficialRate:
    """The official rate of ``currency`` in ``nation``'s fiscal year ``year``, or RATE_MISSING
    naming the nation, the fiscal year (label and dates), the currency and how to record it."""
    number = fiscal_year_number(year)
    found = table.official_rate(nation, number, currency)
    if found is None:
        raise AcsaError.single(
            Code.RATE_MISSING,
            field,
            "no official rate of {nation} for {currency} in {nation} {year} ({first} to "
            "{last}); {nation} converts at the official rate of each fiscal year: record it "
            "with `{command}`",
            nation=nation,
            currency=currency,
            year=year.label,
            first=year.start,
            last=year.end,
            command=record_command(nation, number, currency),
        )
    return found


def _official_sources(nation: str, year: FiscalYear, rates: Iterable[OfficialRate]) -> str:
    texts = dict.fromkeys(r.source for r in rates)
    return f"official rate of {nation} for {year}: " + " + ".join(texts)


def convert_official(
    rule: NationRule,
    calendar: FiscalCalendar,
    table: OfficialRateTable,
    money: Money,
    to_currency: str,
    on: date,
    field: str = "currency",
) -> Conversion:
    """``money`` in ``to_currency`` at the official rates ``rule.nation`` recorded for its
    fiscal year containing ``on``; crossed through the home currency when neither side is it."""
    year = calendar.fiscal_year_of(on)
    home = rule.currency
    rates = {
        currency: find_official_rate(table, rule.nation, year, currency, field)
        for currency in dict.fromkeys((money.currency, to_currency))
        if currency != home
    }
    # Units of the home currency per 1 unit of each side.
    from_home = rates[money.currency].rate if money.currency in rates else Decimal(1)
    to_home = rates[to_currency].rate if to_currency in rates else Decimal(1)
    exact = _EXACT.divide(_EXACT.multiply(money.amount, from_home), to_home)
    amount = exact.quantize(quantum(to_currency), rounding=ROUND_HALF_EVEN)
    rate = Context(prec=RATE_DIGITS, rounding=ROUND_HALF_EVEN).divide(from_home, to_home)
    source = _official_sources(rule.nation, year, rates.values())
    return Conversion(
        Money(amount, to_currency), rate, year.start, source, RateRule.OFFICIAL_FISCAL_YEAR.value
    )


def convert_under(
    rule: NationRule,
    calendar: FiscalCalendar,
    daily: fx.RateTable,
    official: OfficialRateTable,
    money: Money,
    to_currency: str,
    on: date,
    field: str = "currency",
) -> Conversion:
    """``money`` in ``to_currency`` on ``on`` under ``rule``: the day's reference rates
    (``fx.convert``) or the official rate of the nation's fiscal year containing ``on``."""
    if rule.rule is RateRule.DAILY_REFERENCE:
        return fx.convert(daily, money, to_currency, on, field)
    if not is_known_currency(to_currency):
        raise AcsaError.single(
            Code.UNKNOWN_CURRENCY,
            field,
            "{currency} is not an ISO 4217 currency code",
            currency=repr(to_currency),
        )
    if money.currency == to_currency:
        return Conversion(money, Decimal(1), on, "same currency", rule.rule.value)
    return convert_official(rule, calendar, official, money, to_currency, on, field)
