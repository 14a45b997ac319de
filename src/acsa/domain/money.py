"""Money: Decimal amounts with an ISO 4217 currency. The one place that knows minor units."""

from __future__ import annotations

from dataclasses import dataclass
from decimal import ROUND_HALF_EVEN, Decimal, InvalidOperation, localcontext
from functools import cache


class MoneyError(ValueError):
    """An amount or currency that cannot be money."""


#: ISO 4217 codes that are not money one can pay with: metals, fund units, test and "none".
NOT_PAYABLE = frozenset(
    {"XAU", "XAG", "XPD", "XPT", "XBA", "XBB", "XBC", "XBD", "XDR", "XSU", "XUA", "XTS", "XXX"}
)


@cache
def is_known_currency(code: str) -> bool:
    """True when ``code`` is an ISO 4217 code of a currency (``JPY``, ``USD``)."""
    if len(code) != 3 or not code.isalpha() or not code.isupper() or code in NOT_PAYABLE:
        return False
    import pycountry  # its tables (and importlib.metadata): loaded when a currency is checked

    return pycountry.currencies.get(alpha_3=code) is not None


@cache
def minor_units(currency: str) -> int:
    """Digits after the decimal point for ``currency``: JPY 0, USD 2, KWD 3."""
    if not is_known_currency(currency):
        raise MoneyError(f"unknown currency {currency!r}")
    from babel.numbers import get_currency_precision  # Babel's data: loaded when money is

    return int(get_currency_precision(currency))


def quantum(currency: str) -> Decimal:
    return Decimal(1).scaleb(-minor_units(currency))


def to_decimal(value: object) -> Decimal:
    """Parse a number given as str, int or Decimal; floats are refused to keep money exact."""
    if isinstance(value, bool | float):
        raise MoneyError(f"{value!r} is not an exact decimal; give it as a string")
    if isinstance(value, Decimal):
        result = value
    elif isinstance(value, int | str):
        try:
            result = Decimal(str(value).strip())
        except InvalidOperation as exc:
            raise MoneyError(f"{value!r} is not a decimal number") from exc
    else:
        raise MoneyError(f"{value!r} is not a decimal number")
    if not result.is_finite():
        raise MoneyError(f"{value!r} is not a finite number")
    return result


def fits_minor_units(amount: Decimal, currency: str) -> bool:
    """True when ``amount`` needs no more decimal places than ``currency`` has (False, too, for
    one too large to be held to the currency's minor unit)."""
    try:
        return amount == amount.quantize(quantum(currency))
    except InvalidOperation:
        return False


def to_minor(amount: Decimal, currency: str) -> int:
    """Exact conversion to integer minor units; refuses amounts that would need rounding."""
    if not fits_minor_units(amount, currency):
        raise MoneyError(f"{amount} has more decimals than {currency} allows")
    return int(amount.scaleb(minor_units(currency)))


def from_minor(units: int, currency: str) -> Decimal:
    return Decimal(units).scaleb(-minor_units(currency)).quantize(quantum(currency))


@dataclass(frozen=True, slots=True)
class Money:
    """An exact amount in one currency, always quantized to the currency's minor unit."""

    amount: Decimal
    currency: str

    def __post_init__(self) -> None:
        if not is_known_currency(self.currency):
            raise MoneyError(f"unknown currency {self.currency!r}")
        object.__setattr__(self, "amount", self.amount.quantize(quantum(self.currency)))

    @classmethod
    def zero(cls, currency: str) -> Money:
        return cls(Decimal(0), currency)

    @classmethod
    def of_product(cls, quantity: Decimal, unit_price: Decimal, currency: str) -> Money:
        """Quantity times price, rounded half-even to the minor unit (banker's rounding)."""
        exact = quantity * unit_price
        return cls(exact.quantize(quantum(currency), rounding=ROUND_HALF_EVEN), currency)

    def _same(self, other: Money) -> None:
        if other.currency != self.currency:
            raise MoneyError(f"cannot combine {self.currency} with {other.currency}")

    def __add__(self, other: Money) -> Money:
        self._same(other)
        return Money(self.amount + other.amount, self.currency)

    def __sub__(self, other: Money) -> Money:
        self._same(other)
        return Money(self.amount - other.amount, self.currency)

    @property
    def minor(self) -> int:
        return to_minor(self.amount, self.currency)

    def __str__(self) -> str:
        """``25,980,000 JPY``: as every place prints money (see money_text)."""
        return money_text(self.amount, self.currency)


# How money and quantities are printed: the one formatter of every place that prints money
# (CLI, pages, exports, messages), the same in English and Japanese.


def amount_text(amount: Decimal, currency: str) -> str:
    """``1,824,000`` (JPY) or ``1,234.50`` (USD): grouped, with the currency's decimals (any
    stored amount, however large: the rounding works with all its digits)."""
    with localcontext() as context:
        context.prec = max(context.prec, _digits(amount) + 4)
        return f"{amount.quantize(quantum(currency)):,.{minor_units(currency)}f}"


def money_text(amount: Decimal, currency: str) -> str:
    return f"{amount_text(amount, currency)} {currency}"


def quantity_text(quantity: Decimal | None) -> str:
    """A quantity as people write it: ``12,000``, ``2,000.5``; empty when there is none."""
    if quantity is None:
        return ""
    if not quantity.is_finite():
        return str(quantity)
    with localcontext() as context:
        context.prec = max(context.prec, _digits(quantity) + 4)
        normal = quantity.normalize()
        if normal == normal.to_integral_value():
            normal = normal.quantize(Decimal(1))
        return f"{normal:,f}"


def _digits(number: Decimal) -> int:
    """How many digits ``number`` has written out in full (bounded: a stored number is at most
    a few dozen characters long)."""
    if not number.is_finite():
        return 0
    exponent = int(number.as_tuple().exponent)
    return min(len(number.as_tuple().digits) + abs(exponent), 4000)
