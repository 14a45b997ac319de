"""The dashboard, computed from the facts it keeps per nation and brings up to date order by
order after each change, shows what the services define, on a real SQLite file and a real
PostgreSQL: the overdue list is ``acsa.services.ledger.overdue`` of the day, what falls due
this month is ``overdue`` as of the month's end (due from today), the monthly figures are the
annual report's, and the steps waiting are the orders in a waiting state the visitor may move
on and the settlement steps of ``acsa.services.settlement.money_waiting``, first ``LISTED`` of
them listed and all counted."""

from __future__ import annotations

import random
from datetime import date

from sqlalchemy import Engine

from acsa.adapters.db.unit_of_work import UnitOfWork
from acsa.adapters.nations_file import shipped_fiscal_calendars
from acsa.clock import today, utc_now
from acsa.commands import AddNote, By
from acsa.domain.access import allowed
from acsa.domain.account import MoneyAction
from acsa.domain.fiscal import fiscal_year_of
from acsa.domain.order_search import order_query
from acsa.services.annual_report import annual_report
from acsa.services.ledger import overdue
from acsa.services.orders import list_orders, note
from acsa.services.settlement import money_waiting
from acsa.web import dashboard as dash
from acsa.web.session import Visitor
from tests.integration.test_dashboard_kept import Books, nothing_kept, visitor

__all__ = ["nothing_kept"]  # the fixture that forgets what earlier tests kept


def services_waiting(who: Visitor) -> list[tuple[int, str, str]]:
    """The steps waiting for ``who`` as the services list them, by order id."""
    found: list[tuple[int, str, str]] = []
    for status in dash.WAITING_STATES:
        action, permission = dash.NEXT_STEP[status]
        for order in list_orders(who.reader(), order_query(status=status.value, party=who.nation)):
            if allowed(who.principal, permission, order.requester, order.supplier):
                found.append((int(order.id or 0), action.value, f"/orders/{order.id}"))
    for account, step in money_waiting(who.reader(), who.nation):
        head = account.head
        if allowed(who.principal, dash.MONEY_PERMISSION[step], head.requester, head.supplier):
            page = "" if step is MoneyAction.CLOSE else "/settlement"
            found.append((head.order, dash.MONEY_STEPS[step], f"/orders/{head.order}{page}"))
    return sorted(found, key=lambda w: w[0])


def assert_as_the_services_say(who: Visitor) -> None:
    shown = dash.dashboard(who)
    day = today()
    month_end = dash.month_end_of(day)
    assert shown.overdue == overdue(who.reader(), who.nation, day)
    by_month_end = overdue(who.reader(), who.nation, month_end)
    due = [o for o in by_month_end if o.due is not None and day <= o.due < month_end]
    assert shown.due_this_month == due
    year = fiscal_year_of(who.nation, day, shipped_fiscal_calendars())
    report = annual_report(who.reader(), who.nation, year.start, year.end, year.label)
    assert shown.monthly is not None
    assert shown.monthly.months == report.months
    assert shown.monthly.values == report.monthly
    waiting = services_waiting(who)
    assert shown.waiting_count == len(waiting)
    listed = [(w.order.id, w.action, w.href) for w in shown.waiting]
    assert listed == waiting[: dash.LISTED]


def test_the_kept_facts_give_what_the_services_define_after_every_change(
    engine: Engine,
) -> None:
    rng = random.Random(2026)
    books = Books(engine, rng)
    people = [visitor(engine, nation) for nation in ("JPN", "AUS", "FRA")]
    for who in people:
        dash.dashboard(who)  # kept from the start: every change below is brought up to date
    for step in range(30):
        books.step()
        if step % 7 == 3:  # a remark: an audit record of an order whose figures stay
            oid = rng.choice(sorted(books.done))
            note(UnitOfWork(engine), AddNote(order_id=oid, note="checked"), By("x", utc_now()))
        for who in people:
            assert_as_the_services_say(who)
    jpn = dash.dashboard(people[0])
    assert jpn.waiting
    assert jpn.monthly is not None
    assert any(v.value for v in jpn.monthly.values)


def test_more_steps_than_listed_are_counted(engine: Engine) -> None:
    books = Books(engine, random.Random(5))
    for _ in range(2 * dash.LISTED + 10):
        books.place()  # drafts of Australia and France: each waits for its requester
    for nation in ("AUS", "FRA"):
        who = visitor(engine, nation)
        shown = dash.dashboard(who)
        if shown.waiting_count > dash.LISTED:
            break
    assert shown.waiting_count > dash.LISTED
    assert len(shown.waiting) == dash.LISTED
    assert shown.waiting_unlisted == shown.waiting_count - dash.LISTED
    assert_as_the_services_say(who)


def test_another_day_judges_the_kept_accounts_on_that_day(engine: Engine) -> None:
    books = Books(engine, random.Random(11))
    for _ in range(40):
        books.step()
    who = visitor(engine, "JPN")
    facts = dash.current_facts(who, today())
    facts.lock.release()
    later_day = date(2027, 3, 1)  # past the invoices' due dates, in the same fiscal year
    later = dash.current_facts(who, later_day)
    try:
        assert later is facts
        assert facts.day == later_day
        late, _due = facts.rows()
    finally:
        later.lock.release()
    assert late == overdue(who.reader(), who.nation, later_day)
    assert late  # the invoices issued today are overdue by then
