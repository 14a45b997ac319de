"""Approval before commitment on a real database (SQLite file and PostgreSQL): a draft above
each of its nation's tiers needs one approver per tier, in turn, before it is submitted; the
wrong person (its placer, a non-approver, another nation, the same approver twice) is refused
with a code and nothing written; returning brings the draft back to its requester, editing it
clears its approvals; a draft below the first tier submits directly; a nation without tiers
changes nothing; the queue's running totals; a bulk approval with one refused."""

from __future__ import annotations

from datetime import UTC, datetime
from decimal import Decimal

import pytest
from sqlalchemy import Engine, update

from acsa.adapters.db import tables as t
from acsa.adapters.db.unit_of_work import UnitOfWork
from acsa.commands import EditDraft, PlaceOrder, SubmitOrder
from acsa.domain.errors import AcsaError, Code
from acsa.domain.order import OrderStatus
from acsa.schemas.orders import OrderIn
from acsa.services import approvals, orders, users
from acsa.services.audit import verify_audit
from acsa.services.handlers import handle
from tests.integration.dump import content
from tests.orders_data import order_doc, with_line

#: FUEL_FOR_AUSTRALIA (AUS asks JPN) is worth 2,644,020 JPY: above both of AUS's tiers.
T0 = datetime(2026, 10, 1, 8, 0, tzinfo=UTC)
PEOPLE = {
    "aus-clerk": ("AUS", ["requester"]),
    "aus-boss": ("AUS", ["approver"]),
    "aus-chief": ("AUS", ["approver"]),
    "aus-placer": ("AUS", ["requester", "approver"]),
    "aus-finance": ("AUS", ["finance"]),
    "jpn-approver": ("JPN", ["approver"]),
}


@pytest.fixture
def tiered(uow: UnitOfWork) -> UnitOfWork:
    for name, (nation, roles) in PEOPLE.items():
        doc = {"name": name, "nation": nation, "roles": roles, "language": "en"}
        users.add_user(uow, doc, "operator")
        profile = {"full_name": name.replace("-", " ").title(), "rank": "Major"}
        users.update_profile(uow, name, {**profile, "position": "Logistics officer"})
    approvals.set_tiers(uow, "AUS", ["1000000", "2000000"], "JPY")
    return uow


def placed(uow: UnitOfWork, who: str = "aus-clerk", **changes: object) -> int:
    order, _ = handle(uow, PlaceOrder.from_wire(order_doc(**changes)), who, T0)
    assert order.id is not None
    return order.id


def refused(engine: Engine, call: object) -> AcsaError:
    before = content(engine)
    with pytest.raises(AcsaError) as caught:
        call()  # type: ignore[operator]
    assert content(engine) == before
    return caught.value


def status(uow: UnitOfWork, order_id: int) -> OrderStatus:
    return orders.get_order(uow, order_id).status


def test_each_tier_needs_its_approver_in_turn(engine: Engine, tiered: UnitOfWork) -> None:
    uow = tiered
    order_id = placed(uow)
    error = refused(engine, lambda: handle(uow, SubmitOrder(order_id=order_id), "aus-clerk"))
    assert error.codes == ["APPROVAL_REQUIRED"]
    assert error.violations[0].params["tier"] == 1
    assert error.violations[0].params["missing"] == (1, 2)
    first = approvals.approve(uow, order_id, "aus-boss", comment="fuel is needed")
    assert (first.tier, first.threshold, first.currency) == (1, Decimal(1000000), "JPY")
    assert (first.name, first.rank, first.position) == ("Aus Boss", "Major", "Logistics officer")
    error = refused(engine, lambda: handle(uow, SubmitOrder(order_id=order_id), "aus-clerk"))
    assert error.codes == ["APPROVAL_REQUIRED"]
    assert error.violations[0].params["tier"] == 2
    second = approvals.approve(uow, order_id, "aus-chief")
    assert second.tier == 2
    order = handle(uow, SubmitOrder(order_id=order_id), "aus-clerk")
    assert order.status is OrderStatus.SUBMITTED
    shown = orders.get_order(uow, order_id)
    named = approvals.submitted_approvals(shown)
    assert [(a["tier"], a["approver"], a["name"]) for a in named] == [
        ("1", "aus-boss", "Aus Boss"),
        ("2", "aus-chief", "Aus Chief"),
    ]
    with uow:
        actions = [r.action for r in uow.audit.records(order_id=order_id)]
    assert actions.count("approval.approve") == 2
    assert actions.index("approval.approve") < actions.index("order.submit")


@pytest.mark.parametrize(
    ("who", "code"),
    [
        ("aus-placer", "SELF_APPROVAL"),
        ("aus-finance", "NOT_APPROVER"),
        ("jpn-approver", "NOT_APPROVER"),
        ("nobody", "NOT_APPROVER"),
    ],
)
def test_the_wrong_person_is_refused(
    engine: Engine, tiered: UnitOfWork, who: str, code: str
) -> None:
    order_id = placed(tiered, "aus-placer")
    error = refused(engine, lambda: approvals.approve(tiered, order_id, who))
    assert error.codes == [code]
    error = refused(engine, lambda: approvals.return_draft(tiered, order_id, who, "no"))
    assert error.codes == [code]


def test_the_same_approver_twice_is_refused(engine: Engine, tiered: UnitOfWork) -> None:
    order_id = placed(tiered)
    approvals.approve(tiered, order_id, "aus-boss")
    error = refused(engine, lambda: approvals.approve(tiered, order_id, "aus-boss"))
    assert error.codes == ["SAME_APPROVER"]
    # A tier another approver took first is a conflict, whoever asks.
    error = refused(engine, lambda: approvals.approve(tiered, order_id, "aus-chief", tier=1))
    assert error.codes == ["APPROVAL_NOT_PENDING"]
    approvals.approve(tiered, order_id, "aus-chief", tier=2)
    error = refused(engine, lambda: approvals.approve(tiered, order_id, "aus-placer"))
    assert error.codes == ["APPROVAL_NOT_PENDING"]


def test_returning_brings_the_draft_back(engine: Engine, tiered: UnitOfWork) -> None:
    order_id = placed(tiered)
    approvals.approve(tiered, order_id, "aus-boss")
    error = refused(engine, lambda: approvals.return_draft(tiered, order_id, "aus-chief", ""))
    assert error.codes == ["MISSING_FIELD"]
    back = approvals.return_draft(tiered, order_id, "aus-chief", "split it in two")
    assert (back.kind, back.comment) == ("return", "split it in two")
    assert status(tiered, order_id) is OrderStatus.DRAFT
    assert approvals.order_approvals(tiered, order_id) == [
        a for a in approvals.order_approvals(tiered, order_id) if a.kind == "return"
    ]
    assert [i.order_id for i in approvals.queue(tiered, "AUS").items] == []
    error = refused(engine, lambda: handle(tiered, SubmitOrder(order_id=order_id), "aus-clerk"))
    assert error.codes == ["APPROVAL_REQUIRED"]
    # Edited by its requester, it waits in the queue again, from its first tier.
    doc = with_line(order_doc(), 0, quantity="90000")
    handle(tiered, EditDraft(order_id=order_id, order=OrderIn.model_validate(doc)), "aus-clerk")
    [item] = approvals.queue(tiered, "AUS").items
    assert (item.order_id, item.tier, item.approvals) == (order_id, 1, [])
    with tiered:
        actions = [r.action for r in tiered.audit.records(order_id=order_id)]
    assert "approval.return" in actions


def test_an_approved_draft_may_still_be_returned_but_not_twice(
    engine: Engine, tiered: UnitOfWork
) -> None:
    order_id = placed(tiered)
    approvals.approve(tiered, order_id, "aus-boss")
    approvals.approve(tiered, order_id, "aus-chief")
    approvals.return_draft(tiered, order_id, "aus-boss", "on reflection, no")
    assert [a.kind for a in approvals.order_approvals(tiered, order_id)] == ["return"]
    error = refused(engine, lambda: approvals.return_draft(tiered, order_id, "aus-chief", "no"))
    assert error.codes == ["APPROVAL_NOT_PENDING"]


def test_editing_an_approved_draft_clears_its_approvals(tiered: UnitOfWork) -> None:
    order_id = placed(tiered)
    approvals.approve(tiered, order_id, "aus-boss")
    approvals.approve(tiered, order_id, "aus-chief")
    doc = OrderIn.model_validate(order_doc(remarks="one more thing"))
    handle(tiered, EditDraft(order_id=order_id, order=doc), "aus-clerk")
    assert approvals.order_approvals(tiered, order_id) == []
    everything = approvals.order_approvals(tiered, order_id, all_rounds=True)
    assert len(everything) == 2
    assert all(a.cleared_at is not None for a in everything)
    with pytest.raises(AcsaError) as caught:
        handle(tiered, SubmitOrder(order_id=order_id), "aus-clerk")
    assert caught.value.codes == ["APPROVAL_REQUIRED"]


def test_below_the_first_tier_submits_directly(tiered: UnitOfWork) -> None:
    small = with_line(order_doc(), 0, quantity="1000")
    small["lines"] = small["lines"][:1]
    order, _ = handle(tiered, PlaceOrder.from_wire(small), "aus-clerk", T0)
    assert order.total.amount <= 1000000
    assert order.id is not None
    assert [i.order_id for i in approvals.queue(tiered, "AUS").items] == []
    submitted = handle(tiered, SubmitOrder(order_id=order.id), "aus-clerk")
    assert submitted.status is OrderStatus.SUBMITTED


def test_a_nation_without_tiers_changes_nothing(uow: UnitOfWork) -> None:
    users.add_user(uow, {"name": "c", "nation": "AUS", "roles": ["requester"], "language": "en"})
    order, _ = handle(uow, PlaceOrder.from_wire(order_doc()), "c", T0)
    assert order.id is not None
    assert handle(uow, SubmitOrder(order_id=order.id), "c").status is OrderStatus.SUBMITTED
    assert approvals.get_tiers(uow, "AUS").tiers == []


def test_the_queue_totals_per_partner_and_currency(tiered: UnitOfWork) -> None:
    one, two = placed(tiered), placed(tiered)
    queue = approvals.queue(tiered, "AUS", actor="aus-boss")
    waiting = list(queue.items)
    assert {one, two} <= {i.order_id for i in waiting}
    assert all(i.mine for i in waiting)
    total = sum((i.value for i in waiting), Decimal(0))
    assert [(t.partner, t.currency, t.count, t.total) for t in queue.totals] == [
        ("JPN", "JPY", len(waiting), total)
    ]
    approvals.approve(tiered, one, "aus-boss")
    after = approvals.queue(tiered, "AUS", actor="aus-boss")
    mine = {i.order_id: i.mine for i in after.items}
    assert mine[one] is False  # waits for tier 2, by another approver
    assert mine[two] is True


def test_bulk_approval_reports_each(engine: Engine, tiered: UnitOfWork) -> None:
    one, two, own = placed(tiered), placed(tiered), placed(tiered, "aus-boss")

    def opened() -> UnitOfWork:
        return UnitOfWork(engine)

    done = approvals.act_many(
        opened, "approve", [(one, None), (own, None), (two, 1)], "aus-boss", "ok"
    )
    assert [(r.order_id, r.ok, r.code) for r in done.results] == [
        (one, True, None),
        (own, False, "SELF_APPROVAL"),
        (two, True, None),
    ]
    assert approvals.order_approvals(tiered, own) == []
    assert [a.comment for a in approvals.order_approvals(tiered, two)] == ["ok"]


def test_tiers_are_bounded_and_audited(engine: Engine, tiered: UnitOfWork) -> None:
    error = refused(
        engine, lambda: approvals.set_tiers(tiered, "AUS", ["1", "x", "1", "2.5"], "JPY")
    )
    assert error.codes == ["INVALID_AMOUNT", "INVALID_FIELD", "INVALID_AMOUNT"]
    error = refused(engine, lambda: approvals.set_tiers(tiered, "AUS", ["1"] * 6, "XXQ"))
    assert "UNKNOWN_CURRENCY" in error.codes
    assert "INVALID_FIELD" in error.codes
    shown = approvals.set_tiers(tiered, "AUS", ["20000", "10000"], "AUD")
    assert [(t.tier, t.threshold) for t in shown.tiers] == [(1, 10000), (2, 20000)]
    assert approvals.set_tiers(tiered, "AUS", [], "").tiers == []
    with tiered:
        records = [r for r in tiered.audit.records() if r.action == "approval.tiers"]
    assert len(records) == 3


def test_an_approval_changed_behind_acsas_back_is_named(engine: Engine, tiered: UnitOfWork) -> None:
    order_id = placed(tiered)
    approvals.approve(tiered, order_id, "aus-boss")
    approvals.approve(tiered, order_id, "aus-chief")
    back = placed(tiered)
    approvals.approve(tiered, back, "aus-boss")
    approvals.return_draft(tiered, back, "aus-chief", "not now")  # clears the approval
    assert verify_audit(UnitOfWork(engine, read_only=True)).ok
    with engine.begin() as conn:
        a = t.order_approvals
        conn.execute(update(a).where(a.c.order_id == order_id).values(actor="aus-placer"))
    forged = verify_audit(UnitOfWork(engine, read_only=True))
    assert {(p.table, p.code) for p in forged.problems} == {
        ("order_approvals", Code.AUDIT_ROW_CHANGED.value)
    }
