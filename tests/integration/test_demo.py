"""The demo scenario: loads through the real services, shows every state, loads only once."""

from __future__ import annotations

import json
from datetime import UTC, date, datetime
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest

from acsa.adapters.db.unit_of_work import UnitOfWork
from acsa.domain.errors import AcsaError
from acsa.domain.order import Action, OrderStatus
from acsa.schemas.orders import parse_model
from acsa.services import orders
from acsa.services.demo import (
    DemoDriftError,
    DemoScenario,
    demo_loaded,
    demo_scenario,
    load_demo,
)
from tests.e2e.cli import run as acsa

#: The scenario is set before this day (the date the project's demo was written for).
CUTOFF = datetime(2026, 11, 23, tzinfo=UTC)


def _nz_scenario(step: dict[str, Any] | None = None, **changes: Any) -> DemoScenario:
    """The shipped scenario cut down to its New Zealand order, changed and validated again."""
    [nz] = [o for o in demo_scenario().orders if o.order["agreement"] == "JPN-NZL"]
    data = nz.model_dump()
    data["steps"][0].update(step or {})
    data.update(changes)
    return parse_model(DemoScenario, {"orders": [data]})


def test_the_demo_loads_with_every_order_state(engine):
    report = load_demo(engine)

    assert report.loaded
    assert {o.status for o in report.orders} == set(OrderStatus)
    stored = orders.list_orders(UnitOfWork(engine))
    assert [o.id for o in stored] == [o.id for o in report.orders]
    assert demo_loaded(engine)


def test_every_order_ends_as_the_scenario_says_and_each_line_of_the_summary_names_it(engine):
    report = load_demo(engine)
    expected = [doc.expect_status for doc in demo_scenario().orders]

    assert [o.status for o in report.orders] == expected
    for order, line in zip(report.orders, report.summary(), strict=True):
        assert line.startswith(f"#{order.id} {order.agreement_id} ")
        assert order.status.value.replace("_", " ") in line


def test_the_new_zealand_order_stays_a_draft_refused_as_not_in_force(engine):
    report = load_demo(engine)
    uow = UnitOfWork(engine)

    [nz] = [o for o in report.orders if o.agreement_id == "JPN-NZL"]
    assert nz.status is OrderStatus.DRAFT
    assert [v.code.value for v in orders.violations_now(uow, nz)] == ["AGREEMENT_NOT_IN_FORCE"]
    [refusal] = report.refusals
    assert refusal.order_id == nz.id
    assert refusal.action == "submit"
    assert refusal.codes == ["AGREEMENT_NOT_IN_FORCE"]
    assert [e.action for e in orders.get_order(uow, nz.id).history] == [Action.CREATE]
    assert "submit refused: AGREEMENT_NOT_IN_FORCE" in report.summary()[report.orders.index(nz)]


def test_every_other_order_is_within_an_agreement_in_force(engine):
    report = load_demo(engine)
    uow = UnitOfWork(engine)

    for order in report.orders:
        if order.agreement_id != "JPN-NZL":
            assert orders.violations_now(uow, order) == [], order.agreement_id


def test_loading_twice_changes_nothing_the_second_time(engine):
    first = load_demo(engine)
    with UnitOfWork(engine, read_only=True) as uow:
        counts = uow.orders.count_by_status()

    second = load_demo(engine)

    assert second.loaded is False
    assert second.orders == []
    assert second.as_dict() == {"loaded": False, "orders": [], "refusals": []}
    with UnitOfWork(engine, read_only=True) as uow:
        assert uow.orders.count_by_status() == counts
    assert sum(counts.values()) == len(first.orders)


def test_the_history_of_every_order_is_dated_and_attributed(engine):
    report = load_demo(engine)
    uow = UnitOfWork(engine)

    for listed in report.orders:
        assert listed.id is not None
        order = orders.get_order(uow, listed.id)
        history = order.history
        assert history[0].action is Action.CREATE
        assert history[0].at.date() == order.order_date
        assert all(event.actor.strip() for event in history)
        assert all(event.at.tzinfo is not None for event in history)
        times = [event.at for event in history]
        assert times == sorted(times)
        assert len(set(times)) == len(times), f"order {order.id}: two events at one moment"
        assert times[-1] < CUTOFF
        assert [e.seq for e in history] == list(range(1, len(history) + 1))
        assert history[-1].to_status is order.status


def test_a_fuel_receipt_records_its_shortfall_with_a_note(engine):
    report = load_demo(engine)
    uow = UnitOfWork(engine)

    short = [o for o in report.orders if o.status is OrderStatus.RECEIVED and o.discrepancies]
    assert short, "the demo shows a receipt with a discrepancy"
    order = orders.get_order(uow, short[0].id or 0)
    receipt = next(e for e in order.history if e.action is Action.RECEIVE)
    assert receipt.details["note"]
    assert any(Decimal(v["short"]) > 0 for v in receipt.details["lines"].values())
    assert order.value_received.amount < order.total.amount


def test_rejected_and_cancelled_orders_say_why(engine):
    report = load_demo(engine)
    uow = UnitOfWork(engine)

    for status in (OrderStatus.REJECTED, OrderStatus.CANCELLED):
        ended = [o for o in report.orders if o.status is status]
        assert ended
        for listed in ended:
            last = orders.get_order(uow, listed.id or 0).history[-1]
            assert last.to_status is status
            assert len(last.details["reason"]) > 20


def test_services_are_never_settled_in_kind():
    services = {
        "billeting",
        "transportation",
        "medical",
        "use_of_facilities",
        "airport_seaport_services",
    }
    for doc in demo_scenario().orders:
        categories = {line["category"] for line in doc.order["lines"]}
        if categories & services:
            assert doc.order["settlement"] != "replacement_in_kind", doc.title


def test_the_scenario_is_set_before_the_cutoff_and_uses_sound_nsns():
    for doc in demo_scenario().orders:
        assert doc.order["order_date"] < CUTOFF.date(), doc.title
        assert doc.created.at.date() == doc.order["order_date"], doc.title
        assert all(step.at < CUTOFF for step in doc.steps), doc.title
        for line in doc.order["lines"]:
            nsn = line.get("nsn")
            assert nsn is None or len(nsn.replace("-", "")) == 13, doc.title
    assert isinstance(demo_scenario().orders[0].order["order_date"], date)


def test_a_refusal_with_other_codes_than_expected_stops_the_demo(engine):
    scenario = _nz_scenario(step={"expect_refused": ["ACTIVITY_NOT_COVERED"]})

    with pytest.raises(DemoDriftError, match="AGREEMENT_NOT_IN_FORCE"):
        load_demo(engine, scenario)
    assert not demo_loaded(engine)


def test_an_expected_refusal_that_does_not_happen_stops_the_demo(engine):
    [nz] = _nz_scenario().orders
    scenario = _nz_scenario(order={**nz.order, "agreement": "JPN-AUS", "requester": "AUS"})

    with pytest.raises(DemoDriftError, match="expected to be refused"):
        load_demo(engine, scenario)
    assert not demo_loaded(engine)


def test_an_order_ending_in_another_status_stops_the_demo(engine):
    drifted = _nz_scenario(expect_status="submitted")

    with pytest.raises(DemoDriftError, match="ended draft, not submitted"):
        load_demo(engine, drifted)


def test_the_cli_loads_the_demo_once_and_prints_json(tmp_path: Path):
    url = f"sqlite:///{tmp_path / 'x.db'}"

    def run() -> dict[str, object]:
        done = acsa("demo", "--db", url, "--json")
        assert done.code == 0, done.stderr
        result: dict[str, object] = json.loads(done.stdout)
        return result

    first = run()
    assert first["loaded"] is True
    listed = first["orders"]
    assert isinstance(listed, list)
    assert {o["status"] for o in listed} == {s.value for s in OrderStatus}
    assert all({"id", "status", "agreement", "title"} <= o.keys() for o in listed)
    [nz] = [o for o in listed if o["agreement"] == "JPN-NZL"]
    assert nz["status"] == "draft"
    assert nz["refused"] == ["AGREEMENT_NOT_IN_FORCE"]
    refusals = first["refusals"]
    assert isinstance(refusals, list)
    assert [r["codes"] for r in refusals] == [["AGREEMENT_NOT_IN_FORCE"]]

    again = run()
    assert again == {"loaded": False, "orders": [], "refusals": []}


def test_a_scenario_with_steps_out_of_time_order_is_refused():
    with pytest.raises(AcsaError, match="follow each other in time"):
        _nz_scenario(step={"at": "2026-11-08T23:00:00Z"})


@pytest.mark.parametrize(
    ("step", "message"),
    [
        ({"note": "sounded short"}, "a note only for receive"),
        ({"reason": "no stock"}, "a reason only for reject and cancel"),
        ({"lines": {1: "10"}}, "per-line quantities only for"),
        ({"at": "2026-11-09T04:30:00"}, "timezone"),
    ],
)
def test_a_step_with_fields_its_action_cannot_take_is_refused(step, message):
    with pytest.raises(AcsaError, match=message):
        _nz_scenario(step=step)


def test_the_demo_brings_the_rates_its_us_ceiling_check_needs(engine):
    """Accepting the Keen Sword order (the United States requests, priced in JPY) is checked
    against the US annual ceilings in USD, so the demo imports the ECB rates of its days."""
    from acsa.services import rates

    report = load_demo(engine)

    [keen_sword] = [o for o in report.orders if o.operation == "Keen Sword 27"]
    assert keen_sword.requester == "USA"
    assert keen_sword.currency == "JPY"
    with UnitOfWork(engine, read_only=True) as uow:
        [usd] = rates.rates_on(uow, keen_sword.order_date, ["USD"])
    assert usd.day == keen_sword.order_date
    assert "the demo's days" in usd.source


def test_cash_for_supplies_under_a_return_first_text_gives_its_reason():
    """Supplies under texts other than the US ones are settled by return, in cash only where
    that is difficult: each demo order paying supplies in cash says why."""
    goods = {"food", "water", "fuel", "clothing", "spare_parts", "ammunition"}
    for doc in demo_scenario().orders:
        order = doc.order
        if order["agreement"] == "JPN-USA" or order["settlement"] != "cash":
            continue
        if goods & {line["category"] for line in order["lines"]}:
            assert len(order.get("cash_reason", "")) > 20, doc.title
