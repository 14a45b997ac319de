"""The dashboard of a nation: balances with each partner, what is overdue or falls due this
month, orders waiting for the visitor's action, recent activity, and the value of orders by
month and partner over the current fiscal year (charted).

A dashboard is computed once per state of the data: it is kept, per person and day, until the
audit chain moves (every change of business data appends a record in the same transaction as
the change; signing in and out do not count), so every other load reads the one kept.

Computing one after a change does not read the whole history again. What it stands on is kept
per nation (:class:`Facts`): the accounts of the nation's open orders with receipts, the value
of each order of the current fiscal year, the orders waiting in a state of their life, and what
each account shows on the day (overdue, due this month, the settlement step it waits for). After
a change, only the orders that the new audit records name are read again (indexed by the
records' key and the orders' ids); a record of something else than an order (an agreement, a
user), too many records, a new fiscal year or another database read everything again, and a new
day judges every kept account again. Balances come from the running balances, the recent
activity from the newest records: a few indexed rows each.
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal
from typing import Any

from markupsafe import Markup

from acsa.adapters.db.audit_repository import last_change
from acsa.adapters.db.dashboard_queries import (
    OrderState,
    OrderValue,
    changes_after,
    newest_record,
    order_states,
    order_values,
)
from acsa.adapters.db.ledger_queries import STATES_WITH_RECEIPTS
from acsa.adapters.nations_file import shipped_fiscal_calendars
from acsa.clock import today
from acsa.domain.access import Permission, Principal, allowed
from acsa.domain.account import MoneyAction, OrderAccount
from acsa.domain.fiscal import FiscalYear, fiscal_year_of
from acsa.domain.money import Money
from acsa.domain.order import Action, OrderStatus
from acsa.schemas.ledger import OverdueOut, PositionOut
from acsa.schemas.orders import OrderOut, order_out
from acsa.schemas.reports import MonthlyValue
from acsa.services.audit import AuditRecordOut, audit_log
from acsa.services.ledger import balances, late_in_kind, order_debts, overdue_invoices, terms_reader
from acsa.services.orders import orders_by_id
from acsa.services.ports import UnitOfWork
from acsa.services.settlement import steps_waiting
from acsa.web.session import Visitor
from acsa.web.svg_charts import SvgChart, monthly_bars
from acsa.web.tables import N_

#: What a person does next to an order in each state, and the permission it needs.
NEXT_STEP: dict[OrderStatus, tuple[Action, Permission]] = {
    OrderStatus.DRAFT: (Action.SUBMIT, Permission.SUBMIT),
    OrderStatus.SUBMITTED: (Action.ACCEPT, Permission.ACCEPT),
    OrderStatus.ACCEPTED: (Action.DELIVER, Permission.DELIVER),
    OrderStatus.PARTIALLY_DELIVERED: (Action.DELIVER, Permission.DELIVER),
    OrderStatus.DELIVERED: (Action.RECEIVE, Permission.RECEIVE),
    OrderStatus.PARTIALLY_RECEIVED: (Action.RECEIVE, Permission.RECEIVE),
}
WAITING_STATES = tuple(NEXT_STEP)
RECENT = 12
#: Orders the page lists of what waits, and of what is overdue or due this month; beyond, it
#: says how many more and links to the whole list (the orders; the overdue page).
LISTED = 50
#: Audit records after which the facts kept are read again whole rather than order by order.
CHANGES_MAX = 2000


#: The words of each settlement step the dashboard lists (translated in common.po).
MONEY_STEPS: dict[MoneyAction, str] = {
    MoneyAction.INVOICE: N_("invoice the order"),
    MoneyAction.PAY: N_("pay the invoice"),
    MoneyAction.REPLACE: N_("return in kind"),
    MoneyAction.EXCHANGE: N_("settle by equal value exchange"),
    MoneyAction.CLOSE: N_("close"),
}
#: The permission each settlement step needs.
MONEY_PERMISSION: dict[MoneyAction, Permission] = {
    MoneyAction.INVOICE: Permission.INVOICE,
    MoneyAction.PAY: Permission.PAY,
    MoneyAction.REPLACE: Permission.REPLACE,
    MoneyAction.EXCHANGE: Permission.EXCHANGE,
    MoneyAction.CLOSE: Permission.CLOSE,
}


@dataclass(frozen=True)
class Waiting:
    order: OrderOut
    action: str
    href: str = ""


@dataclass(frozen=True)
class Dashboard:
    nation: str
    day: date
    positions: list[PositionOut]
    overdue: list[OverdueOut]
    due_this_month: list[OverdueOut]
    #: The first ``LISTED`` orders waiting for the visitor, by order id.
    waiting: list[Waiting]
    recent: list[AuditRecordOut]
    monthly: MonthlyChart | None = None
    #: How many steps wait for the visitor in all (``waiting`` lists the first of them).
    waiting_count: int = 0

    @property
    def listed(self) -> int:
        """How many of each list the page shows (the rest are counted and linked to)."""
        return LISTED

    @property
    def due_listed(self) -> list[OverdueOut]:
        """What falls due this month, of the LISTED first rows after the overdue ones."""
        return self.due_this_month[: max(0, LISTED - len(self.overdue))]

    @property
    def late_unlisted(self) -> int:
        """Rows of the overdue and due lists the page does not show."""
        return len(self.overdue) + len(self.due_this_month) - LISTED

    @property
    def waiting_unlisted(self) -> int:
        """Steps waiting that the page does not list."""
        return self.waiting_count - len(self.waiting)


@dataclass(frozen=True)
class MonthlyChart:
    """The value of orders by month and partner over the current fiscal year: one chart per
    currency (inline SVG, in the reader's language), and its figures."""

    fiscal_year: str
    fy: int
    months: list[str]
    currencies: list[str]
    values: list[MonthlyValue]
    nation: str = ""
    _written: dict[tuple[str, str], Markup] = field(default_factory=dict, compare=False, repr=False)

    def svg(self, currency: str, lang: str) -> SvgChart | None:
        """The chart of ``currency`` laid out in ``lang`` (when the page renders: the
        dashboard kept serves readers of either language)."""
        return monthly_bars(self.nation, self.fiscal_year, self.months, self.values, currency, lang)

    def html(self, currency: str, lang: str, write: Callable[[SvgChart, str], Markup]) -> Markup:
        """The chart of ``currency`` in ``lang`` as the page's macro ``write`` writes it, once
        per language (the page of a kept dashboard writes no chart again)."""
        key = (currency, lang)
        if key not in self._written:
            chart = self.svg(currency, lang)
            self._written[key] = (
                Markup("") if chart is None else write(chart, f"dashboard-chart-{chart.name}")
            )
        return self._written[key]

    def rows(self, currency: str) -> list[tuple[str, list[MonthlyValue]]]:
        """Per partner, the months of the year in order (the chart's figures as a table)."""
        found: dict[str, list[MonthlyValue]] = {}
        for value in self.values:
            if value.currency == currency:
                found.setdefault(value.partner, []).append(value)
        return sorted(found.items())


# --- what a nation's dashboard stands on, kept and brought up to date ----------------------------


@dataclass(frozen=True, slots=True)
class Judged:
    """What one open account shows on a day: overdue rows, rows falling due before the month
    ends, and the settlement steps it waits for (of either party)."""

    late: tuple[OverdueOut, ...]
    due: tuple[OverdueOut, ...]
    steps: tuple[MoneyAction, ...]


@dataclass
class Facts:
    """A nation's figures the dashboard is computed from, as of audit record ``seq``."""

    nation: str
    year: FiscalYear
    seq: int
    accounts: dict[int, OrderAccount]
    values: dict[int, OrderValue]
    states: dict[int, OrderState]
    day: date | None = None
    judged: dict[int, Judged] = field(default_factory=dict)
    lock: threading.Lock = field(default_factory=threading.Lock, repr=False, compare=False)
    #: The orders and value per (partner, currency, month), kept with ``values``.
    totals: dict[tuple[str, str, str], tuple[int, Decimal]] = field(default_factory=dict)
    #: Every overdue row and every row due this month, sorted (None: to sort again).
    late: list[OverdueOut] | None = None
    due: list[OverdueOut] | None = None
    #: Per person (nation and roles): the steps whose turn is theirs, by order id.
    waiting: dict[tuple[Any, ...], Turns] = field(default_factory=dict)

    def count(self, values: Iterable[OrderValue], sign: int) -> None:
        """Add (``sign`` 1) or take out (-1) orders' values from the totals."""
        for v in values:
            key = (v.partner, v.currency, v.month)
            n, total = self.totals.get(key, (0, Decimal(0)))
            n, total = n + sign, total + sign * v.value
            if n:
                self.totals[key] = (n, total)
            else:
                self.totals.pop(key, None)

    def rows(self) -> tuple[list[OverdueOut], list[OverdueOut]]:
        """The overdue rows and the rows due this month, each sorted as the overdue list."""
        if self.late is None or self.due is None:
            judged = self.judged.values()
            self.late = sorted((o for j in judged for o in j.late), key=_late_order)
            self.due = sorted((o for j in judged for o in j.due), key=_late_order)
        return self.late, self.due


def month_end_of(day: date) -> date:
    """The first day of the month after ``day``'s."""
    return date(day.year + day.month // 12, day.month % 12 + 1, 1)


def _open(account: OrderAccount, nation: str) -> bool:
    """Whether the account is one the dashboard watches (as ``order_debts`` picks them)."""
    head = account.head
    return (
        head.status.value in STATES_WITH_RECEIPTS
        and nation in (head.requester, head.supplier)
        and bool(account.receipts)
    )


def read_facts(uow: UnitOfWork, nation: str, year: FiscalYear, seq: int) -> Facts:
    """Everything afresh (inside ``with uow``)."""
    conn = uow.connection  # type: ignore[attr-defined]
    accounts = {a.head.order: a for a in order_debts(uow, nation=nation)}
    values = order_values(conn, nation, year.start, year.end)
    states = order_states(conn, nation, [s.value for s in WAITING_STATES])
    facts = Facts(nation, year, seq, accounts, values, states)
    facts.count(values.values(), 1)
    return facts


def refresh(uow: UnitOfWork, facts: Facts, ids: frozenset[int], seq: int) -> None:
    """Read again the orders ``ids`` only (inside ``with uow``)."""
    conn = uow.connection  # type: ignore[attr-defined]
    listed = sorted(ids)
    nation, year = facts.nation, facts.year
    found = uow.order_accounts.load_ids(listed, terms_reader(uow))
    values = order_values(conn, nation, year.start, year.end, listed)
    states = order_states(conn, nation, [s.value for s in WAITING_STATES], listed)
    gone = [facts.values.pop(oid) for oid in listed if oid in facts.values]
    facts.count(gone, -1)
    facts.count(values.values(), 1)
    facts.values.update(values)
    had_rows = False
    for oid in listed:
        facts.accounts.pop(oid, None)
        facts.states.pop(oid, None)
        before = facts.judged.pop(oid, None)
        had_rows = had_rows or (before is not None and bool(before.late or before.due))
    facts.accounts.update({a.head.order: a for a in found if _open(a, nation)})
    facts.states.update(states)
    if facts.day is not None:
        for oid in listed:
            account = facts.accounts.get(oid)
            if account is not None:
                judged = facts.judged[oid] = judge(account, nation, facts.day)
                had_rows = had_rows or bool(judged.late or judged.due)
    if had_rows:
        facts.late = facts.due = None
    for turns in facts.waiting.values():
        turns.renew(facts, listed)
    facts.seq = seq


def judge(account: OrderAccount, nation: str, day: date) -> Judged:
    """What ``account`` shows on ``day`` (see :class:`Judged`); settlement steps as
    ``acsa.services.settlement.money_waiting`` gives them."""
    month_end = month_end_of(day)
    late = list(overdue_invoices(account, day))
    late_kind = late_in_kind(account, day)
    if late_kind is not None:
        late.append(late_kind)
    by_month_end = list(overdue_invoices(account, month_end))
    kind_by_month_end = late_in_kind(account, month_end)
    if kind_by_month_end is not None:
        by_month_end.append(kind_by_month_end)
    due = [o for o in by_month_end if o.due is not None and day <= o.due < month_end]
    return Judged(tuple(late), tuple(due), steps_waiting(account, nation))


def judge_all(facts: Facts, day: date) -> None:
    facts.judged = {oid: judge(a, facts.nation, day) for oid, a in facts.accounts.items()}
    facts.day = day
    facts.late = facts.due = None
    facts.waiting = {}


#: Facts kept per database and nation.
_facts: dict[tuple[Any, ...], Facts] = {}
_facts_lock = threading.Lock()


def current_facts(who: Visitor, day: date) -> Facts:
    """The visitor's nation's facts, brought up to the newest audit record; hold its lock
    while reading it."""
    key = (id(who.engine), str(who.engine.url), who.nation)
    year = fiscal_year_of(who.nation, day, shipped_fiscal_calendars())
    with _facts_lock:
        kept = _facts.get(key)
        if kept is None:
            kept = _facts[key] = Facts(who.nation, year, -1, {}, {}, {})
    kept.lock.acquire()
    try:
        uow = who.reader()
        with uow:
            conn = uow.connection
            upto = newest_record(conn)
            if kept.seq != upto or kept.year != year:
                changes = None
                if kept.seq >= 0 and kept.year == year and kept.seq < upto:
                    changes = changes_after(conn, kept.seq, upto, CHANGES_MAX)
                if changes is not None and not changes.other:
                    refresh(uow, kept, changes.orders, upto)
                else:
                    fresh = read_facts(uow, who.nation, year, upto)
                    kept.year, kept.seq, kept.day = year, upto, None
                    kept.accounts, kept.values, kept.states = (
                        fresh.accounts,
                        fresh.values,
                        fresh.states,
                    )
                    kept.totals, kept.judged, kept.waiting = fresh.totals, {}, {}
        if kept.day != day:
            judge_all(kept, day)
    except BaseException:
        kept.lock.release()
        raise
    return kept


def monthly_chart(facts: Facts) -> MonthlyChart:
    """The monthly figures of the facts' fiscal year, as the annual report gives them: each
    month of the year for each partner and currency with orders, zero where there were none."""
    year = facts.year
    months = _months(year)
    pairs = {(partner, currency) for partner, currency, _m in facts.totals}
    values = [
        MonthlyValue(
            partner=partner,
            month=month,
            currency=currency,
            count=facts.totals.get((partner, currency, month), (0, Decimal(0)))[0],
            value=Money(
                facts.totals.get((partner, currency, month), (0, Decimal(0)))[1], currency
            ).amount,
        )
        for partner, currency in sorted(pairs)
        for month in months
    ]
    return MonthlyChart(
        fiscal_year=year.label,
        fy=int(year.label.removeprefix("FY")),
        months=months,
        currencies=sorted({c for _p, c in pairs}),
        values=values,
        nation=facts.nation,
    )


def _months(year: FiscalYear) -> list[str]:
    found: list[str] = []
    day = date(year.start.year, year.start.month, 1)
    while day <= year.end:
        found.append(f"{day.year:04d}-{day.month:02d}")
        day = month_end_of(day)
    return found


class Turns:
    """The steps whose turn is one person's (the permissions of a nation and roles), by order
    id: a step of an order's life, or of its settlement (from each open account: received
    and not invoiced, an invoice to pay, a return in kind due, a settled order to close)."""

    def __init__(self, principal: Principal, facts: Facts) -> None:
        self.principal = principal
        self.answers: dict[tuple[Permission, str, str], bool] = {}
        ids = sorted(set(facts.states) | set(facts.judged))
        self.steps = [step for oid in ids for step in self.of(facts, oid)]
        #: The orders listed so far, as shown (read again once an order changes).
        self.shown: dict[int, OrderOut] = {}

    def may(self, permission: Permission, requester: str, supplier: str) -> bool:
        key = (permission, requester, supplier)  # a few parties and steps: asked once each
        if key not in self.answers:
            self.answers[key] = allowed(self.principal, permission, requester, supplier)
        return self.answers[key]

    def of(self, facts: Facts, oid: int) -> list[tuple[int, str, str]]:
        """The order's steps for this person: its life's, then its settlement's."""
        found: list[tuple[int, str, str]] = []
        state = facts.states.get(oid)
        if state is not None:
            action, permission = NEXT_STEP[OrderStatus(state.status)]
            if self.may(permission, state.requester, state.supplier):
                found.append((oid, action.value, f"/orders/{oid}"))
        judged = facts.judged.get(oid)
        if judged is not None:
            head = facts.accounts[oid].head
            for step in judged.steps:
                if self.may(MONEY_PERMISSION[step], head.requester, head.supplier):
                    page = "" if step is MoneyAction.CLOSE else "/settlement"
                    found.append((oid, MONEY_STEPS[step], f"/orders/{oid}{page}"))
        return found

    def renew(self, facts: Facts, ids: Iterable[int]) -> None:
        """The steps of the orders ``ids`` again, the others as they were."""
        changed = set(ids)
        for oid in changed:
            self.shown.pop(oid, None)
        kept = [step for step in self.steps if step[0] not in changed]
        kept += [step for oid in sorted(changed) for step in self.of(facts, oid)]
        kept.sort(key=lambda step: step[0])  # stable: each order's steps stay in order
        self.steps = kept


def waiting_for(who: Visitor, facts: Facts) -> tuple[list[Waiting], int]:
    """The first ``LISTED`` steps whose turn is the visitor's, by order id, and how many there
    are (see :class:`Turns`)."""
    principal = who.principal
    key = (principal.nation, tuple(sorted(role.value for role in principal.roles)))
    turns = facts.waiting.get(key)
    if turns is None:
        turns = facts.waiting[key] = Turns(principal, facts)
    return _shown(who, turns, turns.steps[:LISTED]), len(turns.steps)


def _shown(who: Visitor, turns: Turns, steps: Iterable[tuple[int, str, str]]) -> list[Waiting]:
    """The steps with their orders as shown (those not read yet read now, by id)."""
    listed = list(steps)
    missing = sorted({oid for oid, _a, _h in listed} - turns.shown.keys())
    if missing:
        read = orders_by_id(who.reader(), missing)
        turns.shown.update((o.id, order_out(o)) for o in read if o.id is not None)
    return [
        Waiting(turns.shown[oid], action, href)
        for oid, action, href in listed
        if oid in turns.shown
    ]


def _recent(who: Visitor) -> list[AuditRecordOut]:
    """The nation's latest changes, leaving out signing in and out."""
    latest = audit_log(who.reader(), nation=who.nation, limit=RECENT * 4, newest_first=True)
    return [r for r in latest if not r.action.startswith("session.")][:RECENT]


#: Dashboards kept (the least recently read go first).
DASHBOARDS_KEPT = 256
_kept: OrderedDict[tuple[Any, ...], Dashboard] = OrderedDict()
_kept_lock = threading.Lock()


def data_version(who: Visitor) -> tuple[int, str] | None:
    """The newest change of the data (its audit record's position and hash)."""
    with who.reader() as uow:
        return last_change(uow.connection)


def dashboard(who: Visitor) -> Dashboard:
    """The visitor's dashboard: the one kept for the data as it stands, else computed from
    the nation's facts brought up to date."""
    day = today()
    principal = who.principal
    # The version is read before computing: a change that commits meanwhile moves it, so a
    # dashboard is never kept under a version newer than the data it was computed from.
    key = (
        id(who.engine),
        str(who.engine.url),
        principal.name,
        principal.nation,
        tuple(sorted(role.value for role in principal.roles)),
        day,
        data_version(who),
    )
    with _kept_lock:
        found = _kept.get(key)
        if found is not None:
            _kept.move_to_end(key)
            return found
    facts = current_facts(who, day)
    try:
        made = _dashboard_of(who, day, facts)
    finally:
        facts.lock.release()
    with _kept_lock:
        _kept[key] = made
        while len(_kept) > DASHBOARDS_KEPT:
            _kept.popitem(last=False)
    return made


def forget_dashboards() -> None:
    """Drop every dashboard and facts kept (tests; a database swapped under a running
    process)."""
    with _kept_lock:
        _kept.clear()
    with _facts_lock:
        _facts.clear()


def compute_dashboard(who: Visitor, day: date) -> Dashboard:
    """The dashboard computed from the data as it stands on ``day``, all read afresh (what
    the kept facts must always give)."""
    year = fiscal_year_of(who.nation, day, shipped_fiscal_calendars())
    uow = who.reader()
    with uow:
        seq = newest_record(uow.connection)
        facts = read_facts(uow, who.nation, year, seq)
    judge_all(facts, day)
    return _dashboard_of(who, day, facts)


def _late_order(o: OverdueOut) -> tuple[int, int, str]:
    return (-o.days_overdue, o.order, o.document)


def _dashboard_of(who: Visitor, day: date, facts: Facts) -> Dashboard:
    late, due = facts.rows()
    waiting, count = waiting_for(who, facts)
    return Dashboard(
        nation=who.nation,
        day=day,
        positions=balances(who.reader(), who.nation),
        overdue=late,
        due_this_month=due,
        waiting=waiting,
        recent=_recent(who),
        monthly=monthly_chart(facts),
        waiting_count=count,
    )
