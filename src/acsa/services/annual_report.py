"""The annual report of a nation's support under its agreements, for ministers and parliament:
orders and their value over one fiscal year by partner, category and activity, settled and open,
provided and received; the value per month; the balance with each partner at every month end.

Two measures, each named where it is used:

- **value**: what the parties agreed, the quantities accepted (requested, before acceptance) at
  the unit prices, of every order dated in the year whatever became of it. The value per month
  is this too.
- **settled** and **open**: what the books say, from each order's :class:`OrderAccount` as of
  the year's last day (records dated after it are left out), so at the quantities received:
  settled is what was paid in cash or settled in kind (``settled_value``), open what is still
  owed in cash or in kind (``owed``). An order not yet received owes nothing; one received short
  owes only what arrived. For the orders the nation provided, open is what the ledger holds as
  owed to it (``owed_to_us`` and ``awaiting_replacement`` of ``acsa ledger balance``); for those
  it received, what it owes (``owed_by_us`` and ``awaiting_replacement_by_us``). With a partner
  all of whose orders are dated in the year, the figures equal the ledger's on the year's last
  day.

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
from functools import cached_property

import pycountry

from acsa.adapters.db import unit_of_work as db
from acsa.adapters.db.report_queries import month_end_sums
from acsa.clock import utc_now
from acsa.domain.account import OrderAccount
from acsa.domain.errors import AcsaError, Code
from acsa.domain.ledger import Account
from acsa.domain.money import Money, from_minor
from acsa.domain.order import Order, OrderLine, OrderStatus
from acsa.schemas.reports import AnnualReport, BalancePoint, Figure, MonthlyValue
from acsa.services.ledger import terms_reader
from acsa.services.ports import Balance, UnitOfWork

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

ZERO = Decimal(0)


@dataclass(frozen=True, slots=True)
class _Amounts:
    """What one order (or its lines of one category) adds to a figure, in its currency: the
    agreed value, what was settled and what is still owed at the year's end."""

    value: Decimal
    settled: Decimal
    owed: Decimal


@dataclass(slots=True)
class _Tally:
    """Running counts and amounts of one key in one currency, split by direction."""

    count: int = 0
    value: Decimal = ZERO
    provided_count: int = 0
    provided: Decimal = ZERO
    settled_count: int = 0
    settled: Decimal = ZERO
    open_count: int = 0
    open: Decimal = ZERO
    provided_settled: Decimal = ZERO
    provided_open: Decimal = ZERO

    def add(self, amounts: _Amounts, provided: bool) -> None:
        self.count += 1
        self.value += amounts.value
        self.settled += amounts.settled
        self.open += amounts.owed
        if amounts.settled:
            self.settled_count += 1
        if amounts.owed:
            self.open_count += 1
        if provided:
            self.provided_count += 1
            self.provided += amounts.value
            self.provided_settled += amounts.settled
            self.provided_open += amounts.owed

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
            open_count=self.open_count,
            open=money(self.open),
            provided_settled=money(self.provided_settled),
            provided_open=money(self.provided_open),
            received_settled=money(self.settled - self.provided_settled),
            received_open=money(self.open - self.provided_open),
        )


@dataclass(slots=True)
class _Breakdown:
    """Tallies per (key, currency)."""

    tallies: dict[tuple[str, str], _Tally] = field(default_factory=lambda: defaultdict(_Tally))

    def add(self, key: str, currency: str, amounts: _Amounts, provided: bool) -> None:
        self.tallies[(key, currency)].add(amounts, provided)

    def figures(self) -> list[Figure]:
        return [tally.figure(k, c) for (k, c), tally in sorted(self.tallies.items())]


@dataclass(frozen=True)
class _Item:
    """One order as the report counts it, with its account as of the year's end. Its value and
    amounts are worked out once (every breakdown asks for them)."""

    order: Order
    partner: str
    provided: bool
    account: OrderAccount

    @property
    def currency(self) -> str:
        return self.order.currency

    @cached_property
    def value(self) -> Decimal:
        """The agreed value: every line at its accepted quantity."""
        total = Money.zero(self.currency)
        for line in self.order.lines:
            total = total + line_value(line)
        return total.amount

    @cached_property
    def amounts(self) -> _Amounts:
        return _Amounts(self.value, self.account.settled_value, self.account.owed)

    def categories(self) -> dict[str, _Amounts]:
        """The order's amounts per category of its lines. The value is the lines' agreed
        value. What was replaced in kind is settled on the lines it was returned against;
        the rest of what was settled (cash, equal value exchanges), and what is still owed, is
        shared among the categories in proportion to their received value not replaced, to
        the minor unit, the parts adding up to the order's figures exactly."""
        currency = self.currency
        replaced = self.account.replaced_per_line()
        names: list[str] = []
        value: dict[str, Decimal] = defaultdict(Decimal)
        in_kind: dict[str, Decimal] = defaultdict(Decimal)
        weight: dict[str, Decimal] = defaultdict(Decimal)
        for line in self.order.lines:
            if line.category not in names:
                names.append(line.category)
            returned = Money.of_product(replaced.get(line.number, ZERO), line.unit_price, currency)
            value[line.category] += line_value(line).amount
            in_kind[line.category] += returned.amount
            weight[line.category] += line.value_received.amount - returned.amount
        weights = [weight[name] for name in names]
        if sum(weights, ZERO) <= 0:
            weights = [value[name] for name in names]
        rest = self.account.settled_value - sum(in_kind.values(), ZERO)
        settled = _shares(rest, weights, currency)
        owed = _shares(self.account.owed, weights, currency)
        return {
            name: _Amounts(value[name], in_kind[name] + settled[index], owed[index])
            for index, name in enumerate(names)
        }


def line_value(line: OrderLine) -> Money:
    """The line's value as the parties agreed it: the quantity accepted (requested, before
    acceptance) at the unit price."""
    quantity = line.quantity if line.quantity_accepted is None else line.quantity_accepted
    return Money.of_product(quantity, line.unit_price, line.currency)


def _shares(total: Decimal, weights: Sequence[Decimal], currency: str) -> list[Decimal]:
    """``total`` split in proportion to ``weights`` (equally when they are all zero), each
    part rounded to the currency's minor unit so that the parts add up to ``total``."""
    if not weights:
        return []
    whole = sum(weights, ZERO)
    if whole <= 0:
        weights, whole = [Decimal(1)] * len(weights), Decimal(len(weights))
    parts: list[Decimal] = []
    running, before = ZERO, ZERO
    for index, part in enumerate(weights):
        running += part
        last = index == len(weights) - 1
        upto = total if last else Money(total * running / whole, currency).amount
        parts.append(upto - before)
        before = upto
    return parts


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
    read in one transaction. ``progress(done, total)`` hears of each step.

    Every breakdown gives, per key and currency, the orders and their agreed value (the
    quantities accepted at the unit prices), split into what the nation provided and what it
    received; and what was settled and what is still open on them as of ``fy_end``, at the
    quantities received, in all and split the same way (see the module's docstring)."""
    nation = _nation(nation)
    _period(fy_start, fy_end)
    month_ends = _month_ends(fy_start, fy_end)
    total_steps = 2 + len(month_ends)
    step = _stepper(progress, total_steps)
    with uow:
        orders = _orders_of(uow, nation, fy_start, fy_end)
        step()
        in_scope = [o for o in orders if o.status not in EXCLUDED]
        accounts = _accounts(uow, in_scope, fy_end)
        step()
        kept = _month_end_sums(uow, nation, month_ends)
        balances = [
            point for day in month_ends for point in _balances_on(uow, nation, day, step, kept)
        ]
    items = [_item(o, nation, accounts[o.id]) for o in in_scope if o.id is not None]
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
        summary=_breakdown(items, lambda _item: ALL),
        by_partner=_breakdown(items, lambda item: item.partner),
        by_category=_categories(items),
        by_activity=_breakdown(items, lambda item: item.order.activity),
        settled_open=_settled_open(items),
        provided_received=_breakdown(items, lambda item: PROVIDED if item.provided else RECEIVED),
        months=[_month(day) for day in month_ends],
        monthly=_monthly(items, month_ends),
        balances=balances,
    )


# --- inputs -----------------------------------------------------------------------------------


def _nation(code: str) -> str:
    nation = code.strip().upper()
    if len(nation) != 3 or pycountry.countries.get(alpha_3=nation) is None:
        raise AcsaError.single(
            Code.UNKNOWN_PARTY,
            "nation",
            "{nation} is not an ISO 3166-1 alpha-3 country code",
            nation=repr(code),
        )
    return nation


def _period(start: date, end: date) -> None:
    if end < start:
        raise AcsaError.single(
            Code.INVALID_DATE,
            "fy_end",
            "the fiscal year ends ({end}) before it starts ({start})",
            end=end,
            start=start,
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
    """Orders of ``nation`` (requester or supplier) dated from ``start`` to ``end``: those of
    the year only (the order date's index), not every order of the nation's agreements."""
    found = uow.orders.find(party=nation, since=start, until=end, with_history=False)
    return sorted(found, key=lambda o: o.id or 0)


def _chunks(ids: Sequence[int]) -> Iterable[Sequence[int]]:
    for first in range(0, len(ids), CHUNK):
        yield ids[first : first + CHUNK]


def _accounts(uow: UnitOfWork, orders: Sequence[Order], as_of: date) -> dict[int, OrderAccount]:
    """The account of each order with what was recorded on it by the end of ``as_of``: the
    receipts, invoices, payments and settlements in kind dated by then."""
    ids = [o.id for o in orders if o.id is not None]
    terms = terms_reader(uow)
    found: dict[int, OrderAccount] = {}
    for chunk in _chunks(ids):
        found.update((a.head.order, a) for a in uow.order_accounts.load_ids(chunk, terms, as_of))
    return found


def _month_end_sums(
    uow: UnitOfWork, nation: str, days: Sequence[date]
) -> dict[date, list[Balance]]:
    """The book's balances at the days that end a month, from a database's period balances (a
    row per month and account rather than every posting up to each day); none from a unit of
    work of another kind."""
    if not isinstance(uow, db.UnitOfWork):
        return {}
    sums = month_end_sums(uow.connection, nation, days)
    return {
        day: [
            (nation, partner, Account(account), Money(from_minor(minor, currency), currency))
            for (partner, account, currency), minor in sorted(rows.items())
        ]
        for day, rows in sums.items()
    }


def _balances_on(
    uow: UnitOfWork,
    nation: str,
    day: date,
    step: Callable[[], None],
    kept: dict[date, list[Balance]] | None = None,
) -> list[BalancePoint]:
    """The nation's debts with each partner at the end of ``day``, from its book's period
    balances when ``kept`` has the day, else its postings."""
    owed_to: dict[tuple[str, str], Decimal] = defaultdict(Decimal)
    owed_by: dict[tuple[str, str], Decimal] = defaultdict(Decimal)
    rows = (kept or {}).get(day)
    if rows is None:
        rows = uow.ledger.balances_from_postings(book=nation, as_of=day)
    for _book, partner, account, amount in rows:
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


def _item(order: Order, nation: str, account: OrderAccount) -> _Item:
    provided = order.supplier == nation
    partner = order.requester if provided else order.supplier
    return _Item(order=order, partner=partner, provided=provided, account=account)


def _breakdown(items: Iterable[_Item], key: Callable[[_Item], str]) -> list[Figure]:
    """Each order under one key: its agreed value, what was settled and what is open."""
    breakdown = _Breakdown()
    for item in items:
        breakdown.add(key(item), item.currency, item.amounts, item.provided)
    return breakdown.figures()


def _categories(items: Iterable[_Item]) -> list[Figure]:
    """Per category: the lines' agreed values; an order counts once under each category it
    has lines in, with its settled and open amounts shared among them (_Item.categories)."""
    breakdown = _Breakdown()
    for item in items:
        for category, amounts in item.categories().items():
            breakdown.add(category, item.currency, amounts, item.provided)
    return breakdown.figures()


def _settled_open(items: Iterable[_Item]) -> list[Figure]:
    """Two rows per currency: ``settled`` (what was paid or settled in kind by the year's end)
    and ``open`` (what is still owed then), each split into provided and received. An order
    counts in each row it adds something to: one paid in part counts in both, one not yet
    received in neither."""
    breakdown = _Breakdown()
    for item in items:
        settled, owed = item.account.settled_value, item.account.owed
        for key, amounts in (
            (SETTLED, _Amounts(settled, settled, ZERO)),
            (OPEN, _Amounts(owed, ZERO, owed)),
        ):
            tally = breakdown.tallies[(key, item.currency)]
            if amounts.value:
                tally.add(amounts, item.provided)
    return breakdown.figures()


def _monthly(items: Iterable[_Item], month_ends: Sequence[date]) -> list[MonthlyValue]:
    """Agreed value of the orders dated in each month, per partner and currency; every month
    of the year appears for each partner and currency with orders, zero where there were
    none."""
    months = [_month(day) for day in month_ends]
    counts: dict[tuple[str, str, str], int] = defaultdict(int)
    values: dict[tuple[str, str, str], Decimal] = defaultdict(Decimal)
    pairs: set[tuple[str, str]] = set()
    for item in items:
        key = (item.partner, item.currency, _month(item.order.order_date))
        counts[key] += 1
        values[key] += item.value
        pairs.add((item.partner, item.currency))
    return [
        MonthlyValue(
            partner=partner,
            month=month,
            currency=currency,
            count=counts.get((partner, currency, month), 0),
            value=Money(values.get((partner, currency, month), ZERO), currency).amount,
        )
        for partner, currency in sorted(pairs)
        for month in months
    ]


def _active(points: list[BalancePoint], days: Sequence[date]) -> list[BalancePoint]:
    """Balances of the partners and currencies with a debt at some month end, every month end
    of the year for each, zero where there was none yet."""
    active = {(p.partner, p.currency) for p in points if p.owed_to_us or p.owed_by_us}
    found = {(p.partner, p.currency, p.day): p for p in points}
    return [
        found.get((partner, currency, day)) or _point(partner, day, currency, ZERO, ZERO)
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
