"""Notices on a real database with the clock set (``as_of``): a replacement in kind due in 30
and 7 days tells the requesting nation's logistics users once each, in their language; a re-run
or a new process (a new engine) makes nothing twice; the day after the deadline the sweep
converts it and both nations' finance is told; an overdue invoice tells the debtor's finance
and the creditor's, and paying it stops every further notice."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from sqlalchemy import Engine, Table, func, select

from acsa.adapters.db import tables as t
from acsa.adapters.db.engine import make_engine
from acsa.adapters.db.unit_of_work import UnitOfWork
from acsa.commands import IssueInvoice, RecordPayment
from acsa.domain.access import Principal, Role
from acsa.services import notices, users
from acsa.services.handlers import handle
from tests.integration.test_settlement import received_order
from tests.ledger_data import import_usd_jpy_rates

RECEIVED = datetime(2026, 3, 10, 9, 0, tzinfo=UTC)
#: The agreement's replacement deadline: 365 days from the receipt.
DEADLINE = RECEIVED.date() + timedelta(days=365)

IN_KIND = {
    "agreement": "JPN-USA",
    "requester": "USA",
    "supplier": "JPN",
    "order_date": (RECEIVED - timedelta(days=6)).date().isoformat(),
    "needed_by": RECEIVED.date().isoformat(),
    "settlement": "replacement_in_kind",
}


def add(uow: UnitOfWork, name: str, nation: str, roles: str, lang: str = "en") -> int:
    users.add_user(
        uow, {"name": name, "nation": nation, "roles": roles.split(","), "language": lang}, "admin"
    )
    with uow:
        found = uow.connection.execute(select(t.users.c.id).where(t.users.c.name == name))
        return int(found.scalar_one())


def principal(user_id: int, name: str, nation: str) -> Principal:
    return Principal(name, nation, frozenset({Role.VIEWER}), user_id)


def rows(engine: Engine, table: Table) -> int:
    with engine.connect() as conn:
        return int(conn.execute(select(func.count()).select_from(table)).scalar_one())


def titles(uow: UnitOfWork, who: Principal, lang: str) -> list[str]:
    return [n.title for n in notices.inbox(uow, who, lang).items]


def test_a_replacement_due_tells_logistics_once_in_their_language_then_finance_on_conversion(
    engine: Engine, db_url: str
) -> None:
    uow = UnitOfWork(engine)
    import_usd_jpy_rates(uow)
    order_id = received_order(uow, at=RECEIVED, **IN_KIND)
    ja = principal(add(uow, "usa-log-ja", "USA", "logistics", "ja"), "usa-log-ja", "USA")
    en = principal(add(uow, "usa-log-en", "USA", "logistics,viewer", "en"), "usa-log-en", "USA")
    usa_fin = principal(add(uow, "usa-fin", "USA", "finance"), "usa-fin", "USA")
    jpn_fin = principal(add(uow, "jpn-fin", "JPN", "finance", "ja"), "jpn-fin", "JPN")
    jpn_log = principal(add(uow, "jpn-log", "JPN", "logistics"), "jpn-log", "JPN")

    # 31 days before the deadline: nothing about the replacement yet.
    early = notices.run_alerts(uow, DEADLINE - timedelta(days=31), "scheduler")
    assert not [c for c in early.created if c.kind == "replacement_due"]

    day30 = notices.run_alerts(uow, DEADLINE - timedelta(days=30), "scheduler")
    [due] = [c for c in day30.created if c.kind == "replacement_due"]
    assert due.key == f"replacement_due:order:{order_id}:{DEADLINE.isoformat()}:d30:USA"
    assert (due.nation, due.roles, due.recipients) == ("USA", ["logistics"], 2)
    assert titles(uow, en, "en") == [f"Replacement for order {order_id} due in 30 days"]
    assert titles(uow, ja, "ja") == [f"発注 {order_id} の同種返還の期限まであと 30 日"]
    assert notices.inbox(uow, jpn_log, "en").items == []  # the supplier owes nothing in kind
    assert notices.inbox(uow, usa_fin, "en").items == []

    # The same day again, then a new process (a new engine on the same database): nothing new.
    made = rows(engine, t.notices), rows(engine, t.notice_inbox)
    assert notices.run_alerts(uow, DEADLINE - timedelta(days=30), "scheduler").created == []
    other = make_engine(db_url)
    try:
        again = notices.run_alerts(UnitOfWork(other), DEADLINE - timedelta(days=29), "cron")
        assert again.created == []
    finally:
        other.dispose()
    assert (rows(engine, t.notices), rows(engine, t.notice_inbox)) == made

    day7 = notices.run_alerts(uow, DEADLINE - timedelta(days=7), "scheduler")
    assert [c.key for c in day7.created if c.kind == "replacement_due"] == [
        f"replacement_due:order:{order_id}:{DEADLINE.isoformat()}:d7:USA"
    ]
    assert titles(uow, en, "en")[0] == f"Replacement for order {order_id} due in 7 days"
    assert notices.inbox(uow, ja, "ja").unread == 2
    assert notices.run_alerts(uow, DEADLINE - timedelta(days=6), "scheduler").created == []

    # The deadline day is still in time; the day after, the sweep converts and finance hears.
    on_deadline = notices.run_alerts(uow, DEADLINE, "scheduler", sweep=True)
    assert on_deadline.sweep is not None
    assert on_deadline.sweep.converted == []
    after = notices.run_alerts(uow, DEADLINE + timedelta(days=1), "scheduler", sweep=True)
    assert after.sweep is not None
    assert after.sweep.converted == [order_id]
    converted = [c for c in after.created if c.kind == "replacement_converted"]
    assert sorted((c.nation, c.recipients) for c in converted) == [("JPN", 1), ("USA", 1)]
    assert f"Order {order_id} converted to cash" in titles(uow, usa_fin, "en")
    assert f"発注 {order_id} は現金決済に転換されました" in titles(uow, jpn_fin, "ja")
    # Converted, it is no longer overdue in kind: no "past its deadline" notice.
    assert not [c for c in after.created if c.kind == "replacement_overdue"]
    with uow:
        actions = [r.action for r in uow.audit.records()]
    assert "scheduler.sweep" in actions
    assert "alerts.run" in actions


def test_an_overdue_invoice_tells_both_finances_and_paying_it_stops_the_notices(
    engine: Engine,
) -> None:
    uow = UnitOfWork(engine)
    order_id = received_order(uow)
    with uow:
        order = uow.orders.get(order_id)
        assert order is not None
        requester, supplier = order.requester, order.supplier
    debtor = principal(add(uow, "debtor-fin", requester, "finance"), "debtor-fin", requester)
    creditor = principal(add(uow, "creditor-fin", supplier, "finance"), "creditor-fin", supplier)
    invoice = handle(uow, IssueInvoice(order_id=order_id, issued=RECEIVED.date()), "fin")
    due = invoice.due

    week = notices.run_alerts(uow, due - timedelta(days=7), "scheduler")
    kinds = sorted((c.kind, c.nation) for c in week.created)
    assert ("invoice_due", requester) in kinds
    assert ("pay", requester) in kinds
    assert not [k for k in kinds if k[1] == supplier and k[0].startswith("invoice_")]

    first = notices.run_alerts(uow, due + timedelta(days=1), "scheduler")
    overdue = sorted((c.nation, c.key) for c in first.created if c.kind == "invoice_overdue")
    assert overdue == sorted(
        [
            (nation, f"invoice_overdue:invoice:{invoice.number}:{due.isoformat()}:o1:{nation}")
            for nation in (requester, supplier)
        ]
    )
    assert notices.inbox(uow, debtor, "en").items[0].title == (
        f"Invoice {invoice.number} is 1 days overdue"
    )
    assert notices.inbox(uow, creditor, "en").items[0].kind == "invoice_overdue"

    paid = handle(
        uow,
        RecordPayment(invoice=invoice.number, amount=invoice.amount, paid=due + timedelta(days=2)),
        "fin",
    )
    assert paid.status == "paid"
    for late in (30, 60, 90):
        later = notices.run_alerts(uow, due + timedelta(days=late), "scheduler")
        assert [c for c in later.created if c.subject == f"invoice:{invoice.number}"] == []
