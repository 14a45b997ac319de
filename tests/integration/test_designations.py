"""Designated officials on a real database (SQLite file and PostgreSQL): each guarded step
(submit, accept, receive, invoice, payment) refused without a designation, with an expired
one, with one below the value, and for the person who authorised the order (separation of
duties), each with its code and nothing written; and the same steps passing with proper
designations. A nation that designated no one enforces nothing."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import Engine

from acsa.adapters.db.unit_of_work import UnitOfWork
from acsa.commands import (
    AcceptOrder,
    Command,
    DeliverOrder,
    IssueInvoice,
    PlaceOrder,
    ReceiveOrder,
    RecordPayment,
    SubmitOrder,
)
from acsa.domain.errors import AcsaError
from acsa.services import designations, orders, settlement, users
from acsa.services.handlers import handle
from tests.integration.dump import content
from tests.orders_data import order_doc

#: The order's day and the steps' moments (FUEL_FOR_AUSTRALIA is worth 2,644,020 JPY).
DAY = date(2026, 10, 1)
T0 = datetime(2026, 10, 1, 8, 0, tzinfo=UTC)
VALUE = Decimal(2_644_020)
PEOPLE = {
    "aus-clerk": ("AUS", ["requester"]),
    "aus-orderer": ("AUS", ["requester", "logistics", "finance"]),
    "aus-receiver": ("AUS", ["logistics"]),
    "aus-payer": ("AUS", ["finance"]),
    "aus-admin": ("AUS", ["admin"]),
    "jpn-approver": ("JPN", ["approver", "finance"]),
    "jpn-finance": ("JPN", ["finance"]),
    "jpn-admin": ("JPN", ["admin"]),
}


def at(hour: int, day: int = 1) -> datetime:
    return T0.replace(day=day, hour=hour)


def people(uow: UnitOfWork) -> None:
    for name, (nation, roles) in PEOPLE.items():
        doc = {"name": name, "nation": nation, "roles": roles, "language": "en"}
        users.add_user(uow, doc, "operator")


def designate(
    uow: UnitOfWork,
    user: str,
    role: str,
    limit: str = "10000000",
    currency: str = "JPY",
    valid_from: str = "2026-01-01",
    valid_until: str | None = None,
) -> int:
    doc: dict[str, Any] = {
        "user": user,
        "role": role,
        "limit": limit,
        "currency": currency,
        "valid_from": valid_from,
        "valid_until": valid_until,
        "reference": f"LTR-{user}-{role}",
        "reference_date": "2025-12-20",
    }
    return designations.add_designation(uow, doc, "operator").id


def everyone(uow: UnitOfWork) -> None:
    """Each step's proper official, each with a limit well above the order's value."""
    designate(uow, "aus-orderer", "ordering")
    designate(uow, "aus-receiver", "receiving")
    designate(uow, "aus-payer", "certifying")
    designate(uow, "jpn-approver", "accepting")
    designate(uow, "jpn-finance", "certifying")


def placed(uow: UnitOfWork) -> int:
    order, _ = handle(uow, PlaceOrder.from_wire(order_doc()), "aus-clerk", at(7))
    assert order.id is not None
    return order.id


def to_step(uow: UnitOfWork, order_id: int, step: str) -> str | None:
    """Take ``order_id`` by its proper officials up to the step ``step`` (not taken); the
    invoice's number when one was issued."""
    plan: list[tuple[str, Command, str, datetime]] = [
        ("submit", SubmitOrder(order_id=order_id), "aus-orderer", at(8)),
        ("accept", AcceptOrder(order_id=order_id), "jpn-approver", at(9)),
        ("deliver", DeliverOrder(order_id=order_id), "jpn-ops", at(10)),
        ("receive", ReceiveOrder(order_id=order_id), "aus-receiver", at(11)),
        (
            "invoice",
            IssueInvoice(order_id=order_id, issued=date(2026, 10, 2)),
            "jpn-finance",
            at(8, 2),
        ),
    ]
    number = None
    for name, command, actor, moment in plan:
        if name == step:
            return number
        made = handle(uow, command, actor, moment)
        if name == "invoice":
            number = made.number
    return number


@dataclass(frozen=True)
class Step:
    """A guarded step: its command (given the order and invoice), proper actor, moment."""

    name: str
    actor: str
    role: str
    nation: str
    moment: datetime

    def command(self, order_id: int, invoice: str | None, amount: Decimal = VALUE) -> Command:
        if self.name == "submit":
            return SubmitOrder(order_id=order_id)
        if self.name == "accept":
            return AcceptOrder(order_id=order_id)
        if self.name == "receive":
            return ReceiveOrder(order_id=order_id)
        if self.name == "invoice":
            return IssueInvoice(order_id=order_id, issued=date(2026, 10, 2))
        assert invoice is not None
        return RecordPayment(invoice=invoice, amount=amount, paid=date(2026, 10, 20))


STEPS = [
    Step("submit", "aus-orderer", "ordering", "AUS", at(8)),
    Step("accept", "jpn-approver", "accepting", "JPN", at(9)),
    Step("receive", "aus-receiver", "receiving", "AUS", at(11)),
    Step("invoice", "jpn-finance", "certifying", "JPN", at(8, 2)),
    Step("pay", "aus-payer", "certifying", "AUS", at(8, 20)),
]


def ready(uow: UnitOfWork, step: Step) -> tuple[int, str | None]:
    people(uow)
    everyone(uow)
    order_id = placed(uow)
    return order_id, to_step(uow, order_id, step.name)


def refused(
    engine: Engine, uow: UnitOfWork, command: Command, actor: str, moment: datetime
) -> AcsaError:
    before = content(engine)
    with pytest.raises(AcsaError) as caught:
        handle(uow, command, actor, moment)
    assert content(engine) == before  # the order, the ledger, the audit log: all unchanged
    return caught.value


def audit_actions(uow: UnitOfWork, order_id: int) -> list[str]:
    with uow:
        return [r.action for r in uow.audit.records(order_id=order_id)]


@pytest.mark.parametrize("step", STEPS, ids=[s.name for s in STEPS])
def test_a_step_without_a_designation_is_refused(
    engine: Engine, uow: UnitOfWork, step: Step
) -> None:
    order_id, invoice = ready(uow, step)
    nation, roles = PEOPLE[step.actor]
    stranger = f"{nation.lower()}-stranger"
    users.add_user(uow, {"name": stranger, "nation": nation, "roles": roles, "language": "en"})
    error = refused(engine, uow, step.command(order_id, invoice), stranger, step.moment)
    assert error.codes == ["NOT_DESIGNATED"]
    assert step.role in error.violations[0].params["role"].template  # type: ignore[attr-defined]
    assert f"order.{step.name}" not in audit_actions(uow, order_id)


@pytest.mark.parametrize("step", STEPS, ids=[s.name for s in STEPS])
def test_a_step_under_an_expired_designation_is_refused(
    engine: Engine, uow: UnitOfWork, step: Step
) -> None:
    order_id, invoice = ready(uow, step)
    nation, roles = PEOPLE[step.actor]
    late = f"{nation.lower()}-late"
    users.add_user(uow, {"name": late, "nation": nation, "roles": roles, "language": "en"})
    designate(uow, late, step.role, valid_from="2025-01-01", valid_until="2025-12-31")
    error = refused(engine, uow, step.command(order_id, invoice), late, step.moment)
    assert error.codes == ["NOT_DESIGNATED"]


@pytest.mark.parametrize("step", STEPS, ids=[s.name for s in STEPS])
def test_a_step_above_the_officials_limit_is_refused(
    engine: Engine, uow: UnitOfWork, step: Step
) -> None:
    order_id, invoice = ready(uow, step)
    nation, roles = PEOPLE[step.actor]
    junior = f"{nation.lower()}-junior"
    users.add_user(uow, {"name": junior, "nation": nation, "roles": roles, "language": "en"})
    designate(uow, junior, step.role, limit="1000000")
    error = refused(engine, uow, step.command(order_id, invoice), junior, step.moment)
    assert error.codes == ["AUTHORITY_EXCEEDED"]
    params = error.violations[0].params
    assert str(params["limit"]) == str(params["limit"])
    assert params["limit"].amount == Decimal(1_000_000)  # type: ignore[attr-defined]
    assert params["value"].amount == VALUE  # type: ignore[attr-defined]


@pytest.mark.parametrize("step", STEPS, ids=[s.name for s in STEPS])
def test_a_step_by_its_designated_official_passes(
    engine: Engine, uow: UnitOfWork, step: Step
) -> None:
    order_id, invoice = ready(uow, step)
    handle(uow, step.command(order_id, invoice), step.actor, step.moment)
    actions = audit_actions(uow, order_id)
    word = {"invoice": "invoice.issue", "pay": "payment.record"}.get(step.name)
    assert (word or f"order.{step.name}") in actions


SEPARATED = [s for s in STEPS if s.name in ("receive", "invoice", "pay")]


@pytest.mark.parametrize("step", SEPARATED, ids=[s.name for s in SEPARATED])
def test_who_authorised_the_order_may_not_receive_or_certify_it(
    engine: Engine, uow: UnitOfWork, step: Step
) -> None:
    order_id, invoice = ready(uow, step)
    authoriser = "aus-orderer" if step.nation == "AUS" else "jpn-approver"
    designate(uow, authoriser, step.role)
    error = refused(engine, uow, step.command(order_id, invoice), authoriser, step.moment)
    assert error.codes == ["SEPARATION_OF_DUTIES"]
    # With the nation's separation of duties off, the same person may.
    designations.set_policy(uow, step.nation, separation=False)
    handle(uow, step.command(order_id, invoice), authoriser, step.moment)


def test_a_nation_that_designated_no_one_enforces_nothing(uow: UnitOfWork) -> None:
    people(uow)
    order_id = placed(uow)
    to_step(uow, order_id, "none")
    assert orders.get_order(uow, order_id).status.value == "received"
    assert [i.number for i in settlement.list_invoices(uow, order_id=order_id)]


def test_a_nation_enforces_only_its_own_designations(uow: UnitOfWork) -> None:
    """Japan designated its officials; Australia did not: Australia's steps are unchecked."""
    people(uow)
    designate(uow, "jpn-approver", "accepting")
    designate(uow, "jpn-finance", "certifying")
    order_id = placed(uow)
    handle(uow, SubmitOrder(order_id=order_id), "aus-clerk", at(8))
    with pytest.raises(AcsaError) as caught:
        handle(uow, AcceptOrder(order_id=order_id), "jpn-finance", at(9))
    assert caught.value.codes == ["NOT_DESIGNATED"]
    handle(uow, AcceptOrder(order_id=order_id), "jpn-approver", at(9))


def test_an_ended_designation_lets_its_official_act_no_more(
    engine: Engine, uow: UnitOfWork
) -> None:
    people(uow)
    everyone(uow)
    order_id = placed(uow)
    [ordering] = [d for d in designations.list_designations(uow, "AUS") if d.role == "ordering"]
    ended = designations.end_designation(uow, ordering.id, date(2026, 9, 30), "posted away")
    assert ended.ended_on == date(2026, 9, 30)
    assert not ended.current
    error = refused(engine, uow, SubmitOrder(order_id=order_id), "aus-orderer", at(8))
    assert error.codes == ["NOT_DESIGNATED"]
    with pytest.raises(AcsaError) as twice:
        designations.end_designation(uow, ordering.id)
    assert twice.value.codes == ["INVALID_TRANSITION"]


def test_a_smaller_accepted_quantity_fits_a_smaller_limit(uow: UnitOfWork) -> None:
    """What an acceptance commits is what it accepts."""
    people(uow)
    designate(uow, "jpn-approver", "accepting", limit="2000000")
    order_id = placed(uow)
    handle(uow, SubmitOrder(order_id=order_id), "aus-clerk", at(8))
    with pytest.raises(AcsaError) as caught:
        handle(uow, AcceptOrder(order_id=order_id), "jpn-approver", at(9))
    assert caught.value.codes == ["AUTHORITY_EXCEEDED"]
    handle(
        uow, AcceptOrder(order_id=order_id, quantities={1: Decimal(6000)}), "jpn-approver", at(9)
    )


def test_designations_are_audited_and_listed(uow: UnitOfWork) -> None:
    people(uow)
    made = designate(uow, "aus-orderer", "ordering", limit="5000.00", currency="AUD")
    listed = designations.list_designations(uow, "AUS")
    assert [(d.id, d.user, d.role, d.limit, d.currency) for d in listed] == [
        (made, "aus-orderer", "ordering", Decimal("5000.00"), "AUD")
    ]
    assert designations.get_policy(uow, "AUS").required
    assert not designations.get_policy(uow, "JPN").required
    with uow:
        actions = [r.action for r in uow.audit.records()]
    assert actions[-2:] == ["designation.add", "designation.policy"]


def test_a_designation_is_checked_before_it_is_recorded(uow: UnitOfWork) -> None:
    people(uow)
    doc = {
        "user": "aus-orderer",
        "role": "signing",
        "limit": "1.001",
        "currency": "AUD",
        "valid_from": "2026-02-01",
        "valid_until": "2026-01-01",
        "reference": " ",
        "reference_date": "2026-01-01",
    }
    with pytest.raises(AcsaError) as caught:
        designations.add_designation(uow, doc)
    assert sorted(caught.value.codes) == [
        "INVALID_AMOUNT",
        "INVALID_DATE",
        "INVALID_FIELD",
        "MISSING_FIELD",
    ]
    with pytest.raises(AcsaError) as unknown:
        designations.add_designation(uow, {**doc, "user": "nobody"})
    assert unknown.value.codes == ["USER_NOT_FOUND"]
    assert designations.list_designations(uow, "AUS") == []


def test_the_demo_designates_its_officials_once(engine: Engine, uow: UnitOfWork) -> None:
    from acsa.services.demo import DEMO_DESIGNATIONS, load_demo

    assert load_demo(engine).loaded
    load_demo(engine)  # a second load changes nothing
    for nation in ("JPN", "AUS"):
        held = designations.list_designations(uow, nation)
        mine = [d for d in DEMO_DESIGNATIONS if d[0].startswith(nation.lower())]
        assert [(d.user, d.role, d.reference) for d in held] == [(d[0], d[1], d[4]) for d in mine]
        assert all(d.current for d in held)
        assert designations.get_policy(uow, nation).required


def test_the_order_form_prints_each_signers_designation(uow: UnitOfWork, tmp_path: Path) -> None:
    from acsa.adapters.exports.order_form import write_order_form
    from acsa.services.order_forms import order_form
    from tests.integration.test_order_form_attestations import pdf_text

    people(uow)
    everyone(uow)
    order_id = placed(uow)
    to_step(uow, order_id, "invoice")
    form = order_form(UnitOfWork(uow.engine, read_only=True), order_id)
    signed = {s.name: s for s in form.signatures if s.name is not None}
    submit = signed["aus-orderer"]
    assert (submit.designation_role, submit.designation_reference) == (
        "ordering official",
        "LTR-aus-orderer-ordering",
    )
    assert signed["jpn-approver"].designation_reference == "LTR-jpn-approver-accepting"
    assert signed["jpn-ops"].designation_role is None  # delivery: no designation
    text = " ".join(pdf_text(write_order_form(form, tmp_path / "form.pdf")).split())
    assert "Designation: ordering official, LTR-aus-orderer-ordering (2025-12-20)" in text
    assert "Designation: receiving official, LTR-aus-receiver-receiving (2025-12-20)" in text


def test_a_limit_in_another_currency_is_met_at_the_nations_rate(uow: UnitOfWork) -> None:
    """Australia's limit in U.S. dollars, its order in yen: the order's value is converted at
    Australia's rate rule (the ECB's reference rates of the day) before it is compared."""
    from tests.ledger_data import import_usd_jpy_rates

    import_usd_jpy_rates(uow)
    people(uow)
    designate(uow, "aus-orderer", "ordering", limit="10000.00", currency="USD")
    order_id = placed(uow)
    with pytest.raises(AcsaError) as caught:
        handle(uow, SubmitOrder(order_id=order_id), "aus-orderer", at(8))
    [violation] = caught.value.violations
    assert violation.code.value == "AUTHORITY_EXCEEDED"
    converted = violation.params["converted"]
    assert converted.currency == "USD"  # type: ignore[attr-defined]
    assert Decimal(10000) < converted.amount < Decimal(30000)  # type: ignore[attr-defined]
    designate(uow, "aus-orderer", "ordering", limit="30000.00", currency="USD")
    handle(uow, SubmitOrder(order_id=order_id), "aus-orderer", at(8))


@pytest.mark.parametrize("step", STEPS, ids=[s.name for s in STEPS])
def test_a_name_that_is_no_user_acts_for_the_steps_side_and_is_not_designated(
    engine: Engine, uow: UnitOfWork, step: Step
) -> None:
    """The operator's CLI as a name no account has: the step's side is the acting nation."""
    order_id, invoice = ready(uow, step)
    error = refused(engine, uow, step.command(order_id, invoice), "Maj. N. Body", step.moment)
    assert error.codes == ["NOT_DESIGNATED"]
    assert error.violations[0].params["nation"] == step.nation


def test_a_designation_raised_by_hand_is_found_by_audit_verify(
    engine: Engine, uow: UnitOfWork
) -> None:
    """The audit log vouches for designations with their user: a limit raised in the
    database behind acsa's back, or a row added by hand, is named by ``audit verify``."""
    from sqlalchemy import update

    from acsa.adapters.db import tables as t
    from acsa.services.audit import verify_audit

    people(uow)
    made = designate(uow, "aus-orderer", "ordering")
    designations.end_designation(uow, made, date(2026, 12, 31), "term ends")
    clean = verify_audit(UnitOfWork(engine, read_only=True))
    assert clean.ok, clean.problems
    with engine.begin() as conn:
        conn.execute(
            update(t.designations).where(t.designations.c.id == made).values(limit_minor=10**12)
        )
    found = verify_audit(UnitOfWork(engine, read_only=True))
    assert not found.ok
    [first] = found.problems
    assert (first.table, first.key, first.code) == ("designations", str(made), "AUDIT_ROW_CHANGED")
