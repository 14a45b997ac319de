"""A database made by an earlier release gets this release's corrected registry from `acsa
init`: shipped versions the registry corrects are rewritten (each in the audit log, before and
after), what people added is never touched, and a second run changes nothing."""

from __future__ import annotations

from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any

from sqlalchemy import Engine

from acsa.adapters.db.engine import make_engine
from acsa.adapters.db.migrate import upgrade
from acsa.adapters.db.unit_of_work import UnitOfWork
from acsa.commands import AmendAgreement, RecordInForceDay
from acsa.domain.order import Order, OrderLine
from acsa.domain.rules import check_order
from acsa.schemas.orders import AgreementDoc, agreement_from_doc, parse_model
from acsa.services import agreements
from acsa.services.audit import audit_log, verify_audit
from acsa.services.handlers import handle
from acsa.services.setup import init_database

THEN = datetime(2025, 1, 6, 9, 0, tzinfo=UTC)
ALL = [
    "food", "water", "billeting", "transportation", "fuel", "clothing", "communications",
    "medical", "base_support", "storage", "use_of_facilities", "training", "spare_parts",
    "repair_maintenance", "airport_seaport_services", "ammunition",
]  # fmt: skip


def old_version(label: str, signed: str, in_force: str, **more: Any) -> dict[str, Any]:
    """A version as the registry of the release before the correction wrote it."""
    return {
        "label": label,
        "signed": signed,
        "in_force": in_force,
        "activities": ["exercise", "un_peacekeeping", "disaster_response", "armed_attack"],
        "categories": ALL,
        "excluded": ["weapons"],
        "settlement_methods": ["cash", "replacement_in_kind", "equal_value_exchange"],
        **more,
    }


#: What the earlier release shipped (the faults issue 14 found): India with ammunition, the
#: Japan-US text as two versions covering armed attack and ammunition from 1996.
OLD_REGISTRY = [
    {
        "id": "JPN-IND",
        "title": "Japan-India ACSA",
        "parties": ["JPN", "IND"],
        "versions": [old_version("2020 text", "2020-09-09", "2021-07-11")],
    },
    {
        "id": "JPN-USA",
        "title": "Japan-US ACSA",
        "parties": ["JPN", "USA"],
        "versions": [
            old_version("1996 text", "1996-04-15", "1996"),
            old_version("2016 text", "2016-09", "2017-04"),
        ],
    },
    {
        "id": "JPN-DEU",
        "title": "Japan-Germany ACSA",
        "parties": ["JPN", "DEU"],
        "versions": [old_version("2024 text", "2024-01-29", "2024-07-12")],
    },
]


def earlier_release(tmp_path: Path) -> Engine:
    """A database as the earlier release's `acsa init` left it, then amended by its people:
    Germany's text by a version 2 of their own, the Japan-US text by a version 3."""
    engine = make_engine(f"sqlite:///{tmp_path / 'earlier.db'}")
    upgrade(engine)
    with UnitOfWork(engine) as uow:
        for doc in OLD_REGISTRY:
            uow.agreements.add(agreement_from_doc(parse_model(AgreementDoc, doc)), THEN)
        after = {"agreements_added": 3, "versions_added": 4}
        uow.record("registry.load", "registry", "acsa init", None, after)
        uow.commit()
    local = old_version("2025 arrangement", "2025-01-05", "2025-01-05", notes="ours")
    for agreement_id in ("JPN-DEU", "JPN-USA"):
        amendment = AmendAgreement.from_wire(local, agreement_id=agreement_id)
        handle(UnitOfWork(engine), amendment, "operator", THEN)
    return engine


def ammunition_for(agreement_id: str, requester: str, day: date, activity: str) -> Order:
    line = OrderLine(1, "ammunition", "5.56 mm ball", 1000, "EA", 120, "JPY")  # type: ignore[arg-type]
    return Order(
        agreement_id, requester, "JPN", activity, "replacement_in_kind", day, day, "x", [line]
    )


def test_init_corrects_shipped_versions_and_keeps_what_people_added(tmp_path: Path) -> None:
    engine = earlier_release(tmp_path)
    uow = UnitOfWork(engine)
    old_india = agreements.get_agreement(uow, "JPN-IND")
    refused_then = check_order(
        ammunition_for("JPN-IND", "IND", date(2022, 5, 9), "exercise"), old_india
    )
    assert refused_then == []  # the fault: India's text excludes ammunition

    report = init_database(engine)

    assert report.versions_corrected == 2  # India's and Germany's text (US kept: see below)
    assert report.kept_as_amended == ("JPN-USA",)
    india = agreements.get_agreement(uow, "JPN-IND")
    codes = [
        v.code.value
        for v in check_order(ammunition_for("JPN-IND", "IND", date(2022, 5, 9), "exercise"), india)
    ]
    assert codes == ["CATEGORY_EXCLUDED"]
    germany = agreements.get_agreement(uow, "JPN-DEU")
    assert [v.label for v in germany.versions] == ["2024 text", "2025 arrangement"]
    assert germany.versions[0].use_conditions == ("un_charter", "third_party_consent")
    assert germany.versions[1].notes == "ours"  # the people's own version, untouched
    usa = agreements.get_agreement(uow, "JPN-USA")
    assert [v.label for v in usa.versions] == ["1996 text", "2016 text", "2025 arrangement"]
    # The shipped agreements the database did not hold are added.
    assert agreements.get_agreement(uow, "JPN-AUS").latest.label == "2017 text"

    corrections = [r for r in audit_log(UnitOfWork(engine)) if r.action == "registry.correct"]
    assert sorted(r.subject for r in corrections) == ["agreement:JPN-DEU", "agreement:JPN-IND"]
    [india_record] = [r for r in corrections if r.subject == "agreement:JPN-IND"]
    assert "ammunition" in india_record.before["1"]["categories"]
    assert "ammunition" in india_record.after["1"]["excluded"]
    assert verify_audit(UnitOfWork(engine, read_only=True)).ok

    again = init_database(engine)
    assert (again.agreements_added, again.versions_added, again.versions_corrected) == (0, 0, 0)
    assert len([r for r in audit_log(UnitOfWork(engine)) if r.action == "registry.correct"]) == 2
    engine.dispose()


def test_a_recorded_day_of_entry_into_force_still_applies_on_a_corrected_version(
    tmp_path: Path,
) -> None:
    engine = earlier_release(tmp_path)
    init_database(engine)
    canada = agreements.get_agreement(UnitOfWork(engine), "JPN-CAN")
    assert str(canada.versions[0].in_force) == "2019-07"
    day = {"version": 1, "in_force": "2019-07-18", "source": "a source the user found"}
    handle(UnitOfWork(engine), RecordInForceDay.from_wire(day, agreement_id="JPN-CAN"), "operator")
    assert init_database(engine).versions_corrected == 0
    canada = agreements.get_agreement(UnitOfWork(engine), "JPN-CAN")
    assert str(canada.versions[0].in_force) == "2019-07-18"
    assert verify_audit(UnitOfWork(engine, read_only=True)).ok
    engine.dispose()
