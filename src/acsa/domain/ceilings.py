"""Annual ceilings: how much one party may acquire under an agreement in a fiscal year.

Counted before offsetting (10 U.S.C. 2347, ACSA.md): what counts is the accepted value of every
order the party requested under the agreement and the supplier accepted, whatever has since been
delivered, paid or returned; rejected and cancelled orders do not count. The year is the
acquiring party's fiscal year containing the order date. A "supplies" ceiling counts goods
lines (a category that may be either counts as supplies), a "services" ceiling services lines,
an "all" ceiling every line. Each order is valued in the ceiling's currency on its own order
date under the acquiring party's rate rule (the day's reference rate, or the official rate of
its fiscal year: acsa.domain.rate_rules). A ceiling marked ``hostilities_exempt`` is not
applied to an order that declares a period of active hostilities (10 U.S.C. 2347); such an
order's value still counts in the year's total, so the declaration never frees room for other
orders.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from datetime import date
from decimal import Decimal

from acsa.domain.agreement import Agreement, AgreementVersion, Ceiling
from acsa.domain.errors import AcsaError, Code, Violation
from acsa.domain.fiscal import FiscalYear
from acsa.domain.messages import Message, Term, t
from acsa.domain.money import Money
from acsa.domain.order import Order, OrderStatus
from acsa.domain.vocabulary import CategoryKind, category_kind

#: Orders whose accepted value counts against a ceiling: accepted, and anything after it.
COUNTED_STATUSES = frozenset(OrderStatus) - {
    OrderStatus.DRAFT,
    OrderStatus.SUBMITTED,
    OrderStatus.REJECTED,
    OrderStatus.CANCELLED,
}

#: Money in a currency on a day -> the same value in another currency (may raise RATE_MISSING).
Converter = Callable[[Money, str, date], Money]


@dataclass(frozen=True, slots=True)
class Acquired:
    """The value one order brings to a party on its order date, split into supplies and
    services (both in the order's currency)."""

    day: date
    supplies: Money
    services: Money

    def part(self, applies_to: str) -> Money:
        """The value a ceiling with ``applies_to`` counts."""
        if applies_to == "supplies":
            return self.supplies
        if applies_to == "services":
            return self.services
        return self.supplies + self.services


def is_supplies(category: str) -> bool:
    """Goods count as supplies, and so does a category that may be either."""
    return category_kind(category) is not CategoryKind.SERVICES


def acquired(day: date, currency: str, lines: Iterable[tuple[str, Decimal, Decimal]]) -> Acquired:
    """The value of (category, quantity, unit price) lines, each rounded as the order rounds it."""
    supplies = services = Money.zero(currency)
    for category, quantity, unit_price in lines:
        value = Money.of_product(quantity, unit_price, currency)
        if is_supplies(category):
            supplies = supplies + value
        else:
            services = services + value
    return Acquired(day, supplies, services)


def order_value(order: Order, quantities: Mapping[int, Decimal] | None = None) -> Acquired:
    """What accepting ``order`` would add: the ``quantities`` about to be accepted, else those
    already accepted, else those requested."""
    given = quantities or {}

    def accepted(number: int, requested: Decimal, current: Decimal | None) -> Decimal:
        if number in given:
            return given[number]
        return requested if current is None else current

    lines = [
        (
            line.category,
            accepted(line.number, line.quantity, line.quantity_accepted),
            line.unit_price,
        )
        for line in order.lines
    ]
    return acquired(order.order_date, order.currency, lines)


def applicable(version: AgreementVersion, party: str, hostilities: bool = False) -> list[Ceiling]:
    """The ceilings of ``version`` on what ``party`` acquires; with ``hostilities`` (the
    order declares a period of active hostilities) not those that do not apply then."""
    return [
        c
        for c in version.annual_ceilings
        if (c.party is None or c.party == party) and not (hostilities and c.hostilities_exempt)
    ]


def _in_currency(value: Money, currency: str, on: date, convert: Converter) -> Money:
    if value.amount == 0:
        return Money.zero(currency)
    return value if value.currency == currency else convert(value, currency, on)


def _describe(ceiling: Ceiling, limit: Money, party: str, agreement: Agreement) -> Message:
    """``the annual ceiling of 10,000,000 JPY on supplies acquired by AUS under AUS-JPN``."""
    what: Term | Message = (
        Term(ceiling.applies_to)
        if ceiling.applies_to in ("supplies", "services")
        else Message(t("supplies and services"), {})
    )
    params = {
        "limit": limit,
        "what": what,
        "party": party,
        "agreement": agreement.id,
        "note": ceiling.note,
    }
    if ceiling.note:
        return Message(
            t(
                "the annual ceiling of {limit} on {what} acquired by {party} under {agreement} "
                "({note})"
            ),
            params,
        )
    return Message(
        t("the annual ceiling of {limit} on {what} acquired by {party} under {agreement}"), params
    )


@dataclass(frozen=True, slots=True)
class CeilingContext:
    """Everything a ceiling check needs about one order being accepted.

    Attributes:
        order: the order; its requester is the acquiring party.
        agreement: the agreement it is placed under.
        version: the version governing the order date (its ceilings apply).
        fiscal_year: the requester's fiscal year containing the order date.
        value: what accepting the order adds.
        used: what the requester's other counted orders in that year already hold.
        convert: how to value money in the ceiling's currency.
    """

    order: Order
    agreement: Agreement
    version: AgreementVersion
    fiscal_year: FiscalYear
    value: Acquired
    used: tuple[Acquired, ...]
    convert: Converter


def check_ceiling(
    ceiling: Ceiling,
    context: CeilingContext,
) -> Violation | None:
    """The violation of one ceiling by the order in ``context``, or None."""
    limit = Money(ceiling.amount, ceiling.currency)
    this = _in_currency(
        context.value.part(ceiling.applies_to), limit.currency, context.value.day, context.convert
    )
    if this.amount == 0:
        return None
    used = Money.zero(limit.currency)
    for item in context.used:
        used = used + _in_currency(
            item.part(ceiling.applies_to), limit.currency, item.day, context.convert
        )
    if (used + this).amount <= limit.amount:
        return None
    left = Money(max(limit.amount - used.amount, Decimal(0)), limit.currency)
    order = context.order
    original = context.value.part(ceiling.applies_to)
    year = context.fiscal_year
    params = {
        "ceiling": _describe(ceiling, limit, order.requester, context.agreement),
        "party": order.requester,
        "year": year.label,
        "first": year.start,
        "last": year.end,
        "used": used,
        "left": left,
        "adds": this,
        "original": original,
    }
    clause = context.version.clause("ceilings", context.agreement.id)
    if original.currency == this.currency:
        return Violation(
            Code.CEILING_EXCEEDED,
            "lines",
            "{ceiling} would be exceeded in {party} {year} ({first} to {last}): {used} used, "
            "{left} left; this order adds {adds}",
            clause,
            params=params,
        )
    return Violation(
        Code.CEILING_EXCEEDED,
        "lines",
        "{ceiling} would be exceeded in {party} {year} ({first} to {last}): {used} used, "
        "{left} left; this order adds {adds} ({original} converted under {party}'s rate rule)",
        clause,
        params=params,
    )


def ceiling_violations(context: CeilingContext) -> list[Violation]:
    """Every annual ceiling of the version that accepting the order would exceed. A ceiling
    that cannot be judged for want of a rate gives the converter's violation (RATE_MISSING)."""
    found: dict[Violation, None] = {}
    order = context.order
    for ceiling in applicable(context.version, order.requester, order.attestations.hostilities):
        try:
            violation = check_ceiling(ceiling, context)
        except AcsaError as exc:
            found.update(dict.fromkeys(exc.violations))
            continue
        if violation is not None:
            found[violation] = None
    return list(found)
