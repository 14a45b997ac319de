"""The dashboard is kept per state of the data and is always what a recompute gives, on a real
SQLite file and a real PostgreSQL.

Random orders between Japan, Australia and France go through random steps of their lives and
settlement (placed, submitted, accepted, delivered, received, invoiced, paid); after every step
the dashboard each nation's people load equals the dashboard computed afresh from the data, and
a step that changes the data gives a new one on the very next load. Loads with nothing changed
in between, or only a sign-in, read the one kept. Each nation sees only its own figures.
"""

from __future__ import annotations

import dataclasses
import random
from datetime import date
from decimal import Decimal
from typing import Any

import pytest
from sqlalchemy import Engine

from acsa.adapters.db.unit_of_work import UnitOfWork
from acsa.clock import today
from acsa.commands import (
    AcceptOrder,
    DeliverOrder,
    IssueInvoice,
    PlaceOrder,
    ReceiveOrder,
    RecordPayment,
    SubmitOrder,
)
from acsa.domain.access import Principal, Role
from acsa.schemas.ledger import OverdueOut
from acsa.services.handlers import handle
from acsa.web.dashboard import (
    LISTED,
    Dashboard,
    compute_dashboard,
    dashboard,
    forget_dashboards,
)
from acsa.web.session import Visitor
from tests.orders_data import order_doc

EVERY_ROLE = frozenset(Role)
STEPS = (SubmitOrder, AcceptOrder, DeliverOrder, ReceiveOrder)


@pytest.fixture(autouse=True)
def nothing_kept() -> None:
    forget_dashboards()


def visitor(engine: Engine, nation: str, roles: frozenset[Role] = EVERY_ROLE) -> Visitor:
    return Visitor(Principal(f"{nation}-person", nation, roles), "csrf", "en", engine)


def fresh(who: Visitor) -> Dashboard:
    return compute_dashboard(who, today())


class Books:
    """Orders and where each stands: the steps of its life done, its invoice."""

    def __init__(self, engine: Engine, rng: random.Random) -> None:
        self.engine = engine
        self.rng = rng
        self.done: dict[int, int] = {}
        self.invoices: dict[int, Any] = {}

    def place(self) -> None:
        requester = self.rng.choice(["AUS", "FRA"])
        agreement = f"JPN-{requester}"
        day = f"2026-{self.rng.randint(4, 11):02d}-{self.rng.randint(1, 28):02d}"
        doc = order_doc(agreement=agreement, requester=requester, order_date=day, needed_by=day)
        order, _ = handle(UnitOfWork(self.engine), PlaceOrder.from_wire(doc), "Lt K. Sato")
        assert order.id is not None
        self.done[order.id] = 0

    def step(self) -> None:
        """One random step of a random order (or a new order)."""
        open_ = [oid for oid, done in self.done.items() if done < len(STEPS) + 2]
        if not open_ or self.rng.random() < 0.2:
            self.place()
            return
        oid = self.rng.choice(open_)
        done = self.done[oid]
        if done < len(STEPS):
            handle(UnitOfWork(self.engine), STEPS[done](order_id=oid), "Capt. J. Smith")
        elif done == len(STEPS):
            self.invoices[oid] = handle(
                UnitOfWork(self.engine), IssueInvoice(order_id=oid), "Ms A. Finance"
            )
        else:
            invoice = self.invoices[oid]
            part = invoice.amount / 2 if self.rng.random() < 0.5 else invoice.amount
            handle(
                UnitOfWork(self.engine),
                RecordPayment(invoice=invoice.number, amount=part, paid=invoice.issued),
                "Mr B. Payer",
            )
        self.done[oid] = done + 1


def test_the_dashboard_kept_is_the_recompute_after_every_change(engine: Engine) -> None:
    rng = random.Random(18)
    books = Books(engine, rng)
    people = [visitor(engine, nation) for nation in ("JPN", "AUS", "FRA")]
    shown = {who.nation: dashboard(who) for who in people}
    for _ in range(24):
        books.step()
        for who in people:
            now = dashboard(who)
            assert now == fresh(who)
            assert now is not shown[who.nation]  # computed afresh: the data moved
            assert dashboard(who) is now  # and kept while it does not
            shown[who.nation] = now
    jpn = shown["JPN"]
    assert jpn.positions  # the steps reached the books
    assert jpn.waiting
    assert jpn.monthly is not None
    assert jpn.monthly.values


def test_a_sign_in_keeps_the_dashboard_and_a_change_replaces_it(engine: Engine) -> None:
    books = Books(engine, random.Random(1))
    books.place()
    who = visitor(engine, "JPN")
    first = dashboard(who)
    with UnitOfWork(engine) as uow:
        uow.record("session.start", "user:JPN-person", "JPN-person")
        uow.commit()
    assert dashboard(who) is first
    oid = next(iter(books.done))
    handle(UnitOfWork(engine), SubmitOrder(order_id=oid), "Lt K. Sato")
    after = dashboard(who)
    assert after is not first
    assert [w.order.status for w in after.waiting] == ["submitted"]
    assert after == fresh(who)


def test_each_nation_and_each_set_of_roles_sees_its_own(engine: Engine) -> None:
    books = Books(engine, random.Random(7))
    for _ in range(12):
        books.step()
    jpn, aus, fra = (visitor(engine, n) for n in ("JPN", "AUS", "FRA"))
    for who in (jpn, aus, fra):
        assert dashboard(who) == fresh(who)
    assert {p.partner for p in dashboard(aus).positions} <= {"JPN"}
    assert {p.partner for p in dashboard(fra).positions} <= {"JPN"}
    for who, nation in ((aus, "AUS"), (fra, "FRA")):
        for w in dashboard(who).waiting:
            assert nation in (w.order.requester, w.order.supplier)
        for r in dashboard(who).recent:
            assert r.nation == nation or r.order_id is not None
    viewer = visitor(engine, "JPN", frozenset({Role.VIEWER}))
    seen = dashboard(viewer)
    assert seen == fresh(viewer)
    assert not seen.waiting  # a viewer takes no step
    assert dashboard(jpn) is not seen


def test_long_lists_are_cut_and_counted(engine: Engine) -> None:
    """The page lists LISTED waiting orders and LISTED overdue-or-due rows; the rest counted."""
    books = Books(engine, random.Random(3))
    books.place()
    shown = dashboard(visitor(engine, "JPN"))
    late = [
        OverdueOut(
            kind="invoice",
            order=i,
            document=f"invoice {i}",
            creditor="JPN",
            debtor="AUS",
            currency="JPY",
            amount=Decimal(i),
            due=date(2026, 1, 1),
            days_overdue=3,
        )
        for i in range(1, LISTED + 8)
    ]
    few = dataclasses.replace(shown, overdue=late[:10], due_this_month=late[10:20])
    assert few.late_unlisted <= 0
    assert few.due_listed == late[10:20]
    many = dataclasses.replace(shown, overdue=late[:30], due_this_month=late[30:])
    assert len(many.overdue[: many.listed]) + len(many.due_listed) == LISTED
    assert many.late_unlisted == len(late) - LISTED
    all_late = dataclasses.replace(shown, overdue=late, due_this_month=late[:3])
    assert all_late.due_listed == []
    assert all_late.late_unlisted == len(late) + 3 - LISTED
