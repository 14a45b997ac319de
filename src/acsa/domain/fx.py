"""Currency conversion at reference rates: units of a currency per 1 EUR, by day (the ECB's).

The one place that converts currencies. A conversion uses the latest rate on or before the day
asked (the ECB publishes none on weekends and TARGET holidays), but none older than
``MAX_RATE_AGE_DAYS``; other pairs are crossed through EUR. The arithmetic is exact Decimal,
rounded once, half-even, to the target currency's minor unit. A missing rate is a coded
refusal (RATE_MISSING), never a silent 1.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, timedelta
from decimal import ROUND_HALF_EVEN, Context, Decimal
from typing import Protocol

from acsa.domain.errors import AcsaError, Code
from acsa.domain.money import Money, is_known_currency, quantum

EUR = "EUR"

#: The rule a conversion at these reference rates follows (see ``acsa.domain.rate_rules``).
DAILY_REFERENCE = "daily_reference"

#: A rate older than this many days before the day asked is not used.
MAX_RATE_AGE_DAYS = 7

#: Significant digits of a cross rate as reported (the amount is computed from the exact rates).
RATE_DIGITS = 12

#: Enough digits that amount x rate / rate loses nothing before the one final rounding.
_EXACT = Context(prec=60)


@dataclass(frozen=True, slots=True)
class Rate:
    """A reference rate: ``per_eur`` units of ``currency`` buy 1 EUR on ``day``."""

    day: date
    currency: str
    per_eur: Decimal
    source: str


@dataclass(frozen=True, slots=True)
class Conversion:
    """The result of a conversion and what it rests on.

    Attributes:
        amount: the converted amount, in the target currency's minor unit.
        rate: units of the target currency per 1 unit of the source currency.
        rate_date: the day of the reference rates used (the older, for a cross rate); for
            an official rate per fiscal year, the first day of that fiscal year.
        source: where the rates come from.
        rule: the rule the rates were chosen by (``daily_reference`` here; see
            ``acsa.domain.rate_rules`` for a nation's official rate per fiscal year).
    """

    amount: Money
    rate: Decimal
    rate_date: date
    source: str
    rule: str = DAILY_REFERENCE


class RateTable(Protocol):
    """Where rates are looked up: a database, a file, a dict in a test."""

    def rate_on_or_before(self, currency: str, on: date, oldest: date) -> Rate | None:
        """The latest rate of ``currency`` dated between ``oldest`` and ``on``, or None."""
        ...


class MemoryRateTable:
    """Rates held in memory, for tests and for a file read before it is imported."""

    def __init__(self, rates: Iterable[Rate]) -> None:
        self._by_currency: dict[str, list[Rate]] = {}
        for rate in rates:
            self._by_currency.setdefault(rate.currency, []).append(rate)
        for found in self._by_currency.values():
            found.sort(key=lambda r: r.day)

    def rate_on_or_before(self, currency: str, on: date, oldest: date) -> Rate | None:
        candidates = [r for r in self._by_currency.get(currency, []) if oldest <= r.day <= on]
        return candidates[-1] if candidates else None


def find_rate(table: RateTable, currency: str, on: date, field: str = "currency") -> Rate:
    """The rate of ``currency`` to use on ``on``, or RATE_MISSING naming both."""
    oldest = on - timedelta(days=MAX_RATE_AGE_DAYS)
    rate = table.rate_on_or_before(currency, on, oldest)
    if rate is None:
        raise AcsaError.single(
            Code.RATE_MISSING,
            field,
            "no reference rate for {currency} per EUR on {day} or in the {days} days before "
            "({oldest} to {day}); import rates with `acsa rates import`",
            currency=currency,
            day=on,
            days=MAX_RATE_AGE_DAYS,
            oldest=oldest,
        )
    return rate


def _check_currency(currency: str, field: str) -> None:
    if not is_known_currency(currency):
        raise AcsaError.single(
            Code.UNKNOWN_CURRENCY,
            field,
            "{currency} is not an ISO 4217 currency code",
            currency=repr(currency),
        )


def _per_eur(table: RateTable, currency: str, on: date, field: str) -> Rate | None:
    """The currency's rate, or None for EUR (1 by definition)."""
    return None if currency == EUR else find_rate(table, currency, on, field)


def _sources(rates: Iterable[Rate | None]) -> str:
    names = dict.fromkeys(r.source for r in rates if r is not None)
    return " + ".join(names) or "EUR"


def convert(
    table: RateTable,
    money: Money,
    to_currency: str,
    on: date,
    field: str = "currency",
) -> Conversion:
    """``money`` in ``to_currency`` at the reference rates of ``on`` (see the module)."""
    _check_currency(to_currency, field)
    if money.currency == to_currency:
        return Conversion(money, Decimal(1), on, "same currency")
    source = _per_eur(table, money.currency, on, field)
    target = _per_eur(table, to_currency, on, field)
    from_rate = source.per_eur if source else Decimal(1)
    to_rate = target.per_eur if target else Decimal(1)
    exact = _EXACT.divide(_EXACT.multiply(money.amount, to_rate), from_rate)
    amount = exact.quantize(quantum(to_currency), rounding=ROUND_HALF_EVEN)
    rate = Context(prec=RATE_DIGITS, rounding=ROUND_HALF_EVEN).divide(to_rate, from_rate)
    days = [r.day for r in (source, target) if r is not None]
    return Conversion(Money(amount, to_currency), rate, min(days), _sources((source, target)))
