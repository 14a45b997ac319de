"""The dashboard of a nation: balances with each partner, what is overdue or falls due this
month, orders waiting for the visitor's action, recent activity, and the value of orders by
month and partner over the current fiscal year (charted).

A dashboard is computed once per state of the data: it is kept, per person and day, until the
audit chain moves (every change of business data appends a record in the same transaction as
the change; signing in and out do not count), so the next load after any change computes it
afresh and every other load reads the one kept.
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from dataclasses import dataclass
from datetime import date
from typing import Any

from acsa.adapters.db.audit_repository import last_change
from acsa.adapters.nations_file import shipped_fiscal_calendars
from acsa.clock import today
from acsa.domain.access import Permission, allowed
from acsa.domain.account import MoneyAction
from acsa.domain.fiscal import fiscal_year_of
from acsa.domain.order import Action, OrderStatus
from acsa.domain.order_search import order_query
from acsa.schemas.ledger import OverdueOut, PositionOut
from acsa.schemas.orders import OrderOut, order_out
from acsa.schemas.reports import MonthlyValue
from acsa.services.annual_report import annual_report
from acsa.services.audit import AuditRecordOut, audit_log
from acsa.services.ledger import balances, overdue
from acsa.services.orders import list_orders, orders_by_id
from acsa.services.settlement import money_waiting
from acsa.web.session import Visitor
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
    waiting: list[Waiting]
    recent: list[AuditRecordOut]
    monthly: MonthlyChart | None = None

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


@dataclass(frozen=True)
class MonthlyChart:
    """The value of orders by month and partner over the current fiscal year: one chart per
    currency (``/reports/annual/chart/monthly-<CCY>.png?fy=``), and its figures."""

    fiscal_year: str
    fy: int
    months: list[str]
    currencies: list[str]
    values: list[MonthlyValue]

    def rows(self, currency: str) -> list[tuple[str, list[MonthlyValue]]]:
        """Per partner, the months of the year in order (the chart's figures as a table)."""
        found: dict[str, list[MonthlyValue]] = {}
        for value in self.values:
            if value.currency == currency:
                found.setdefault(value.partner, []).append(value)
        return sorted(found.items())


def monthly_chart(who: Visitor, day: date) -> MonthlyChart:
    year = fiscal_year_of(who.nation, day, shipped_fiscal_calendars())
    data = annual_report(who.reader(), who.nation, year.start, year.end, year.label)
    currencies = sorted({m.currency for m in data.monthly})
    return MonthlyChart(
        fiscal_year=year.label,
        fy=int(year.label.removeprefix("FY")),
        months=data.months,
        currencies=currencies,
        values=data.monthly,
    )


def waiting_for(who: Visitor) -> list[Waiting]:
    """Open orders of the visitor's nation whose next step is theirs to take: a step of the
    order's life, or of its settlement (from each order's account: received and not invoiced,
    an invoice to pay, a return in kind due, a settled order to close)."""
    found: list[Waiting] = []
    for status in WAITING_STATES:
        action, permission = NEXT_STEP[status]
        query = order_query(status=status.value, party=who.nation)
        for order in list_orders(who.reader(), query):
            if allowed(who.principal, permission, order.requester, order.supplier):
                href = f"/orders/{order.id}"
                found.append(Waiting(order_out(order), action.value, href))
    steps = [
        (account, step)
        for account, step in money_waiting(who.reader(), who.nation)
        if allowed(
            who.principal,
            MONEY_PERMISSION[step],
            account.head.requester,
            account.head.supplier,
        )
    ]
    orders = {o.id: o for o in orders_by_id(who.reader(), [a.head.order for a, _s in steps])}
    for account, step in steps:
        shown = orders.get(account.head.order)
        if shown is not None:
            page = "" if step is MoneyAction.CLOSE else "/settlement"
            href = f"/orders/{shown.id}{page}"
            found.append(Waiting(order_out(shown), MONEY_STEPS[step], href))
    return sorted(found, key=lambda w: w.order.id)


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
    """The visitor's dashboard: the one kept for the data as it stands, else computed."""
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
    made = compute_dashboard(who, day)
    with _kept_lock:
        _kept[key] = made
        while len(_kept) > DASHBOARDS_KEPT:
            _kept.popitem(last=False)
    return made


def forget_dashboards() -> None:
    """Drop every dashboard kept (tests; a database swapped under a running process)."""
    with _kept_lock:
        _kept.clear()


def compute_dashboard(who: Visitor, day: date) -> Dashboard:
    """The dashboard computed from the data as it stands on ``day``."""
    month_end = date(day.year + day.month // 12, day.month % 12 + 1, 1)
    late = overdue(who.reader(), who.nation, day)
    # What falls due before the month ends: judged as of the month's last day.
    by_month_end = overdue(who.reader(), who.nation, month_end)
    due_soon = [o for o in by_month_end if o.due is not None and day <= o.due < month_end]
    return Dashboard(
        nation=who.nation,
        day=day,
        positions=balances(who.reader(), who.nation),
        overdue=late,
        due_this_month=due_soon,
        waiting=waiting_for(who),
        recent=_recent(who),
        monthly=monthly_chart(who, day),
    )
