"""The annual report of a nation's support under its agreements, for ministers and parliament:
orders and their value over one fiscal year by partner, category and activity, settled and open,
provided and received; the value per month; the balance with each partner at every month end.

Money is never added across currencies: every figure is per currency. The fiscal year comes
in as its first and last day (per-nation fiscal years are the caller's business).
"""

from __future__ import annotations

import calendar
from collections import defaultdict
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime
from decimal import Decimal

import pycountry

from acsa.adapters.db.unit_of_work import UnitOfWork
from acsa.clock import utc_now
from acsa.domain.errors import AcsaError, Code
from acsa.domain.ledger import Account
from acsa.domain.money import Money
from acsa.domain.order import Order, OrderLine, OrderStatus
from acsa.report_schemas import AnnualReport, BalancePoint, Figure, MonthlyValue
from acsa.services.ledger import terms_reader

Progress = Callable[[int, int], None]

#: Orders that never became support: counted apart, left out of every figure.
EXCLUDED = (OrderStatus.DRAFT, OrderStatus.REJECTED, OrderStatus.CANCELLED)

#: The accounts of a book that hold debts between the nation and a partner.
RECEIVABLES = frozenset({Account.RECEIVABLE_CASH, Account.RECEIVABLE_IN_KIND})
PAYABLES = frozenset({Account.PAYABLE_CASH, Account.PAYABLE_IN_KIND})

#: Keys of the settlement and direction splits.
SETTLED, OPEN = "settled", "open"
PROVIDED, RECEIVED = "provided", "received"
ALL = "all"

#: Rows per IN (...) query, below SQLite's limit on bound parameters.
CHUNK = 900


@dataclass(slots=True)
class _Tally:
    """Running count and value of one key in one currency, split by direction and settlement."""

    count: int = 0
    value: Decimal = Decimal(0)
    provided_count: int = 0
    provided: Decimal = Decimal(0)
    settled_count: int = 0
    settled: Decimal = Decimal(0)

    def add(self, value: Decimal, provided: bool, settled: bool) -> None:
        self.count += 1
        self.value += value
        if provided:
            self.provided_count += 1
            self.provided += value
        if settled:
            self.settled_count += 1
            self.settled += value

    def figure(self, key: str, currency: str) -> Figure:
        def money(amount: Decimal) -> Decimal:
            return Money(amount, currency).amount

        return Figure(
            key=key,
            currency=currency,
            count=self.count,
            value=money(self.value),
            provided_count=self.provided_count,
            provided=money(self.provided),
            received_count=self.count - self.provided_count,
            received=money(self.value - self.provided),
            settled_count=self.settled_count,
            settled=money(self.settled),
            open_count=self.count - self.settled_count,
            open=money(self.value - self.settled),
        )


@dataclass(slots=True)
class _Breakdown:
    """Tallies per (key, currency)."""

    tallies: dict[tuple[str, str], _Tally] = field(default_factory=lambda: defaultdict(_Tally))

    def add(self, key: str, value: Money, provided: bool, settled: bool) -> None:
        self.tallies[(key, value.currency)].add(value.amount, provided, settled)

    def figures(self) -> list[Figure]:
        return [tally.figure(k, c) for (k, c), tally in sorted(self.tallies.items())]


@dataclass(frozen=True, slots=True)
class _Item:
    """One order as the report counts it."""

    order: Order
    partner: str
    provided: bool
    settled: bool

    @property
    def value(self) -> Money:
        total = Money.zero(self.order.currency)
        for line in self.order.lines:
            total = total + line_value(line)
        return total

    def categories(self) -> dict[str, Money]:
        values: dict[str, Money] = {}
        for line in self.order.lines:
            before = values.get(line.category, Money.zero(line.currency))
            values[line.category] = before + line_value(line)
        return values


def line_value(line: OrderLine) -> Money:
    """The line's value as the parties agreed it: the quantity accepted (requested, before
    acceptance) at the unit price."""
    quantity = line.quantity if line.quantity_accepted is None else line.quantity_accepted
    return Money.of_product(quantity, line.unit_price, line.currency)


def annual_report(
    uow: UnitOfWork,
    nation: str,
    fy_start: date,
    fy_end: date,
    fy_label: str,
    progress: Progress | None = None,
    now: datetime | None = None,
) -> AnnualReport:
    """The report of ``nation`` for the fiscal year ``fy_start`` to ``fy_end`` (inclusive),
    read in one transaction. ``progress(done, total)`` hears of each step."""
    nation = _nation(nation)
    _period(fy_start, fy_end)
    month_ends = _month_ends(fy_start, fy_end)
    total_steps = 2 + len(month_ends)
    step = _stepper(progress, total_steps)
    with uow:
        orders = _orders_of(uow, nation, fy_start, fy_end)
        step()
        in_scope = [o for o in orders if o.status not in EXCLUDED]
        settled = _settled_ids(uow, nation, in_scope)
        step()
        balances = [point for day in month_ends for point in _balances_on(uow, nation, day, step)]
    items = [_item(o, nation, o.id in settled) for o in in_scope]
    balances = _active(balances, month_ends)
    currencies = sorted({o.currency for o in in_scope} | {b.currency for b in balances})
    return AnnualReport(
        nation=nation,
        fiscal_year=fy_label,
        start=fy_start,
        end=fy_end,
        generated_at=now or utc_now(),
        orders=len(in_scope),
        excluded={s.value: sum(1 for o in orders if o.status is s) for s in EXCLUDED},
        currencies=currencies,
        summary=_breakdown(items, lambda _item: [ALL]),
        by_partner=_breakdown(items, lambda item: [item.partner]),
        by_category=_categories(items),
        by_activity=_breakdown(items, lambda item: [item.order.activity]),
        settled_open=_breakdown(items, lambda item: [SETTLED if item.settled else OPEN]),
        provided_received=_breakdown(items, lambda item: [PROVIDED if item.provided else RECEIVED]),
        months=[_month(day) for day in month_ends],
        monthly=_monthly(items, month_ends),
        balances=balances,
    )


# --- inputs -----------------------------------------------------------------------------------


def _nation(code: str) -> str:
    nation = code.strip().upper()
    if len(nation) != 3 or pycountry.countries.get(alpha_3=nation) is None:
        raise AcsaError.single(
            Code.UNKNOWN_PARTY, "nation", f"{code!r} is not an ISO 3166-1 alpha-3 country code"
        )
    return nation


def _period(start: date, end: date) -> None:
    if end < start:
        raise AcsaError.single(
            Code.INVALID_DATE,
            "fy_end",
            f"the fiscal year ends ({end}) before it starts ({start})",
        )


def _stepper(progress: Progress | None, total: int) -> Callable[[], None]:
    done = 0

    def step() -> None:
        nonlocal done
        done += 1
        if progress is not None:
            progress(done, total)

    return step


def _month(day: date) -> str:
    return f"{day.year:04d}-{day.month:02d}"


def _month_ends(start: date, end: date) -> list[date]:
    """The last day of each month from ``start`` to ``end``; the last is ``end`` itself."""
    days: list[date] = []
    year, month = start.year, start.month
    while True:
        last = date(year, month, calendar.monthrange(year, month)[1])
        days.append(min(last, end))
        if last >= end:
            return days
        year, month = (year + 1, 1) if month == 12 else (year, month + 1)


# --- reading ----------------------------------------------------------------------------------


def _orders_of(uow: UnitOfWork, nation: str, start: date, end: date) -> list[Order]:
    """Orders of ``nation`` (requester or supplier) dated from ``start`` to ``end``."""
    found: list[Order] = []
    for agreement in uow.agreements.find(party=nation):
        found.extend(
            o
            for o in uow.orders.find(agreement=agreement.id, with_history=False)
            if nation in (o.requester, o.supplier) and start <= o.order_date <= end
        )
    return sorted(found, key=lambda o: o.id or 0)


def _chunks(ids: Sequence[int]) -> Iterable[Sequence[int]]:
    for first in range(0, len(ids), CHUNK):
        yield ids[first : first + CHUNK]


def _settled_ids(uow: UnitOfWork, nation: str, orders: Sequence[Order]) -> set[int]:
    """Orders with nothing left owing (OrderAccount.settled) or closed."""
    settled = {o.id for o in orders if o.id is not None and o.status is OrderStatus.CLOSED}
    ids = [o.id for o in orders if o.id is not None]
    terms = terms_reader(uow)
    for chunk in _chunks(ids):
        settled.update(a.head.order for a in uow.order_accounts.load_ids(chunk, terms) if a.settled)
    return settled


def _balances_on(
    uow: UnitOfWork, nation: str, day: date, step: Callable[[], None]
) -> list[BalancePoint]:
    """The nation's debts with each partner at the end of ``day``, from its book's postings."""
    owed_to: dict[tuple[str, str], Decimal] = defaultdict(Decimal)
    owed_by: dict[tuple[str, str], Decimal] = defaultdict(Decimal)
    for _book, partner, account, amount in uow.ledger.balances_from_postings(
        book=nation, as_of=day
    ):
        key = (partner, amount.currency)
        if account in RECEIVABLES:
            owed_to[key] += amount.amount
        elif account in PAYABLES:
            owed_by[key] -= amount.amount
    step()
    return [
        _point(partner, day, currency, owed_to[(partner, currency)], owed_by[(partner, currency)])
        for partner, currency in sorted(owed_to.keys() | owed_by.keys())
    ]


# --- figures ----------------------------------------------------------------------------------


def _item(order: Order, nation: str, settled: bool) -> _Item:
    provided = order.supplier == nation
    partner = order.requester if provided else order.supplier
    return _Item(order=order, partner=partner, provided=provided, settled=settled)


def _breakdown(items: Iterable[_Item], keys: Callable[[_Item], list[str]]) -> list[Figure]:
    breakdown = _Breakdown()
    for item in items:
        value = item.value
        for key in keys(item):
            breakdown.add(key, value, item.provided, item.settled)
    return breakdown.figures()


def _categories(items: Iterable[_Item]) -> list[Figure]:
    """Line values per category; an order counts once under each category it has lines in."""
    breakdown = _Breakdown()
    for item in items:
        for category, value in item.categories().items():
            breakdown.add(category, value, item.provided, item.settled)
    return breakdown.figures()


def _monthly(items: Iterable[_Item], month_ends: Sequence[date]) -> list[MonthlyValue]:
    """Value of the orders dated in each month, per partner and currency; every month of the
    year appears for each partner and currency with orders, zero where there were none."""
    months = [_month(day) for day in month_ends]
    counts: dict[tuple[str, str, str], int] = defaultdict(int)
    values: dict[tuple[str, str, str], Decimal] = defaultdict(Decimal)
    pairs: set[tuple[str, str]] = set()
    for item in items:
        value = item.value
        key = (item.partner, value.currency, _month(item.order.order_date))
        counts[key] += 1
        values[key] += value.amount
        pairs.add((item.partner, value.currency))
    return [
        MonthlyValue(
            partner=partner,
            month=month,
            currency=currency,
            count=counts.get((partner, currency, month), 0),
            value=Money(values.get((partner, currency, month), Decimal(0)), currency).amount,
        )
        for partner, currency in sorted(pairs)
        for month in months
    ]


def _active(points: list[BalancePoint], days: Sequence[date]) -> list[BalancePoint]:
    """Balances of the partners and currencies with a debt at some month end, every month end
    of the year for each, zero where there was none yet."""
    active = {(p.partner, p.currency) for p in points if p.owed_to_us or p.owed_by_us}
    found = {(p.partner, p.currency, p.day): p for p in points}
    zero = Decimal(0)
    return [
        found.get((partner, currency, day)) or _point(partner, day, currency, zero, zero)
        for partner, currency in sorted(active)
        for day in days
    ]


def _point(
    partner: str, day: date, currency: str, owed_to_us: Decimal, owed_by_us: Decimal
) -> BalancePoint:
    return BalancePoint(
        partner=partner,
        day=day,
        currency=currency,
        owed_to_us=Money(owed_to_us, currency).amount,
        owed_by_us=Money(owed_by_us, currency).amount,
        balance=Money(owed_to_us - owed_by_us, currency).amount,
    )
