"""Notices on a real database with the clock set (``as_of``): a replacement in kind due in 30
and 7 days tells the requesting nation's logistics users once each, in their language; a re-run
or a new process (a new engine) makes nothing twice; the day after the deadline the sweep
converts it and both nations' finance is told; an overdue invoice tells the debtor's finance
and the creditor's, and paying it stops every further notice."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

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


def test_drafts_in_the_approval_tiers_and_disputes_tell_the_people_who_act(
    engine: Engine,
) -> None:
    from decimal import Decimal

    from acsa.commands import AnswerDispute, OpenDispute, PlaceOrder
    from acsa.domain.order import Action
    from acsa.services import approvals
    from tests.orders_data import order_doc

    uow = UnitOfWork(engine)
    approver = principal(add(uow, "aus-approver", "AUS", "approver"), "aus-approver", "AUS")
    jpn_fin = principal(add(uow, "jpn-fin", "JPN", "finance"), "jpn-fin", "JPN")
    aus_log = principal(add(uow, "aus-log", "AUS", "logistics", "ja"), "aus-log", "AUS")
    add(uow, "aus-approver-2", "AUS", "approver")
    order_id = received_order(uow)  # before the tiers: it needed no approval
    approvals.set_tiers(uow, "AUS", ["1000000", "2000000"], "JPY")
    draft, _ = handle(uow, PlaceOrder.from_wire(order_doc()), "aus-requester")
    day = date(2026, 10, 1)

    first = [c for c in notices.run_alerts(uow, day, "cron").created if c.kind == "approve"]
    assert [(c.key, c.recipients) for c in first] == [
        (f"approve:order:{draft.id}:t1:v{draft.version}:AUS", 2)
    ]
    assert titles(uow, approver, "en") == [f"Order {draft.id} waits for your approval"]
    approvals.approve(uow, draft.id, "aus-approver")
    second = [c for c in notices.run_alerts(uow, day, "cron").created if c.kind == "approve"]
    assert [c.key for c in second] == [f"approve:order:{draft.id}:t2:v{draft.version}:AUS"]

    # A receipt disputed by the requester tells the supplier; its answer tells the requester.
    with uow:
        received = uow.orders.get(order_id)
        assert received is not None
        [seq] = [e.seq for e in received.history if e.action is Action.RECEIVE]
    opened = handle(
        uow,
        OpenDispute(
            order_id=order_id,
            step=f"receipt:{seq}",
            ground="quantity",
            reason="crushed cases",
            amount=Decimal(1000),
            day=RECEIVED.date() + timedelta(days=2),
            side="requester",
        ),
        "aus-log",
    )
    told = notices.run_alerts(uow, RECEIVED.date() + timedelta(days=3), "cron").created
    [dispute] = [c for c in told if c.kind == "dispute_opened"]
    assert (dispute.nation, dispute.subject) == ("JPN", f"dispute:{order_id}/{opened.number}")
    assert titles(uow, jpn_fin, "en")[0] == (f"Dispute {opened.number} opened on order {order_id}")
    handle(
        uow,
        AnswerDispute(
            order_id=order_id,
            dispute=opened.number,
            resolution="redelivery",
            day=RECEIVED.date() + timedelta(days=4),
            side="supplier",
        ),
        "jpn-fin",
    )
    told = notices.run_alerts(uow, RECEIVED.date() + timedelta(days=5), "cron").created
    [answer] = [c for c in told if c.kind == "dispute_answered"]
    assert answer.nation == "AUS"
    assert titles(uow, aus_log, "ja")[0] == (
        f"発注 {order_id} の異議 {opened.number} に回答がありました"
    )
    # Told for a fortnight after: a run three weeks on tells nothing of it again or anew.
    later = notices.run_alerts(uow, RECEIVED.date() + timedelta(days=21), "cron").created
    assert not [c for c in later if c.kind.startswith("dispute_")]


def test_runners_at_once_make_each_notice_and_inbox_row_once(engine: Engine) -> None:
    from concurrent.futures import ThreadPoolExecutor
    from threading import Barrier

    uow = UnitOfWork(engine)
    for _ in range(3):
        received_order(uow)  # each to invoice by JPN's finance
    add(uow, "jpn-fin", "JPN", "finance")
    add(uow, "jpn-all", "JPN", "finance,logistics", "ja")
    runners = 4
    gate = Barrier(runners)

    def run(n: int) -> list[str]:
        gate.wait()
        made = notices.run_alerts(UnitOfWork(engine), date(2026, 3, 12), f"runner-{n}")
        return [c.key for c in made.created]

    with ThreadPoolExecutor(runners) as pool:
        made = [key for keys in pool.map(run, range(runners)) for key in keys]
    assert len(made) == len(set(made)) == 3
    assert (rows(engine, t.notices), rows(engine, t.notice_inbox)) == (3, 6)
    with uow:
        runs = [r for r in uow.audit.records() if r.action == "alerts.run"]
    assert sum(len(r.after["keys"]) for r in runs) == 3
