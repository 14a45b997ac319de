"""Recording what a user learns of an agreement on a real database (SQLite and PostgreSQL): the
day a text entered into force, inside the window the registry leaves open, and a notice of
termination, after which orders are refused. Each record is a row of its own (nothing edited),
audited, read back through the repository's cache, and vouched for by ``audit verify``.

The agreements are this test's own (written from Japan-Australia Art. 7 and the UK's 2017
entry into force known only to the year), not the shipped registry's; every date is fixed."""

from __future__ import annotations

from datetime import date
from typing import Any

import pytest
from sqlalchemy import Engine, select, update

from acsa.adapters.db import tables as t
from acsa.adapters.db.unit_of_work import UnitOfWork
from acsa.commands import AddAgreement, RecordInForceDay, RecordTermination
from acsa.domain.access import ForbiddenError, Principal, Role
from acsa.domain.errors import AcsaError, NotFoundError
from acsa.schemas.orders import OrderIn, agreement_out, parse_model
from acsa.services import agreements as service
from acsa.services.audit import verify_audit
from acsa.services.handlers import handle
from acsa.services.orders import check_document
from tests.table_counts import row_counts

TERM = {"years": 10, "renewal_years": 10, "renewal_notice_months": 6}


def uk_like() -> dict[str, Any]:
    return {
        "id": "TST-GBR",
        "title": "test agreement entered into force on a day of 2017",
        "parties": ["JPN", "GBR"],
        "versions": [
            {
                "label": "2017 text",
                "signed": "2017-01-26",
                "in_force": "2017",
                "activities": ["exercise"],
                "categories": ["food"],
                "settlement_methods": ["cash"],
                "clauses": {"in_force": "Art. 9", "term": "Art. 9(2)"},
                "term": TERM,
            }
        ],
    }


def food_order(day: str) -> dict[str, Any]:
    return {
        "agreement": "TST-GBR",
        "requester": "GBR",
        "supplier": "JPN",
        "activity": "exercise",
        "settlement": "cash",
        "order_date": day,
        "needed_by": day,
        "location": "Camp Fuji",
        "lines": [
            {
                "category": "food",
                "description": "Rations",
                "quantity": "10",
                "unit": "EA",
                "unit_price": "1000",
                "currency": "JPY",
            }
        ],
    }


def codes_on(engine: Engine, day: str) -> list[str]:
    return [
        v.code.value
        for v in check_document(UnitOfWork(engine), parse_model(OrderIn, food_order(day)))
    ]


@pytest.fixture
def added(engine: Engine) -> Engine:
    handle(UnitOfWork(engine), AddAgreement.from_wire(uk_like()), "operator")
    return engine


def refused(
    engine: Engine, command: type[RecordInForceDay | RecordTermination], body: Any
) -> AcsaError:
    before = row_counts(engine)
    with pytest.raises(AcsaError) as caught:
        handle(UnitOfWork(engine), command.from_wire(body, agreement_id="TST-GBR"), "operator")
    assert row_counts(engine) == before
    return caught.value


def test_a_learnt_day_closes_the_window_and_is_a_record_not_an_edit(added: Engine) -> None:
    engine = added
    # Before the day is known, an order in 2017 gets the uncertain window's warning (the
    # cached agreement is read first, so the record must invalidate the cache).
    assert "IN_FORCE_DATE_UNCERTAIN" in codes_on(engine, "2017-09-01")
    service.get_agreement(UnitOfWork(engine), "TST-GBR")
    day = {"version": 1, "in_force": "2017-08-18", "source": "MOFA press release 2017-08-18"}
    recorded = handle(
        UnitOfWork(engine), RecordInForceDay.from_wire(day, agreement_id="TST-GBR"), "jpn-admin"
    )
    assert str(recorded.versions[0].in_force) == "2017-08-18"
    again = service.get_agreement(UnitOfWork(engine), "TST-GBR")
    assert str(again.versions[0].in_force) == "2017-08-18"
    assert codes_on(engine, "2017-09-01") == []
    assert codes_on(engine, "2017-08-18") == []
    assert codes_on(engine, "2017-08-17") == ["AGREEMENT_NOT_IN_FORCE"]
    out = agreement_out(again, date(2020, 1, 1))
    assert out.in_force == "2017-08-18"
    assert out.in_force_exact
    assert [(d.version, d.day, d.was) for d in out.in_force_days] == [
        (1, date(2017, 8, 18), "2017")
    ]
    with engine.connect() as conn:
        version = conn.execute(select(t.agreement_versions.c.in_force)).scalars().all()
        records = conn.execute(select(t.agreement_records)).all()
        actions = conn.execute(select(t.audit_log.c.action)).scalars().all()
    assert "2017" in version  # the version's row is as the registry gave it
    [row] = records
    assert (row.seq, row.kind, row.actor) == (1, "in_force_day", "jpn-admin")
    assert row.body == {"version": 1, "day": "2017-08-18", "source": day["source"]}
    assert "agreement.in_force_day" in actions
    assert verify_audit(UnitOfWork(engine, read_only=True)).ok


def test_a_day_outside_the_window_or_already_known_changes_nothing(added: Engine) -> None:
    engine = added
    outside = {"version": 1, "in_force": "2018-01-01", "source": "a blog"}
    error = refused(engine, RecordInForceDay, outside)
    assert error.codes == ["INVALID_DATE"]
    assert "from 2017-01-26 to 2017-12-31" in error.violations[0].message
    assert error.violations[0].clause == "TST-GBR 2017 text, Art. 9"
    day = {"version": 1, "in_force": "2017-08-18", "source": "MOFA"}
    handle(UnitOfWork(engine), RecordInForceDay.from_wire(day, agreement_id="TST-GBR"), "operator")
    assert refused(engine, RecordInForceDay, day).codes == ["IN_FORCE_DAY_KNOWN"]
    blank = {"version": 1, "in_force": "2017-08-18", "source": ""}
    assert refused(engine, RecordInForceDay, blank).codes == ["INVALID_FIELD"]


def test_a_notice_of_termination_ends_the_agreement_on_its_effective_day(added: Engine) -> None:
    engine = added
    day = {"version": 1, "in_force": "2017-08-18", "source": "MOFA"}
    handle(UnitOfWork(engine), RecordInForceDay.from_wire(day, agreement_id="TST-GBR"), "operator")
    short = {
        "notice_date": "2030-01-15",
        "effective": "2030-12-31",
        "by": "GBR",
        "source": "Note verbale",
    }
    assert refused(engine, RecordTermination, short).codes == ["TERMINATION_NOTICE_TOO_SHORT"]
    valid = {**short, "effective": "2031-01-15", "reference": "NV 1/2030"}
    ended = handle(
        UnitOfWork(engine), RecordTermination.from_wire(valid, agreement_id="TST-GBR"), "gbr-admin"
    )
    assert ended.termination is not None
    assert ended.termination.effective == date(2031, 1, 15)
    assert codes_on(engine, "2031-01-14") == []
    check = check_document(UnitOfWork(engine), parse_model(OrderIn, food_order("2031-01-15")))
    assert [v.code.value for v in check] == ["AGREEMENT_NOT_IN_FORCE"]
    assert "ended on 2031-01-15 by the notice of termination GBR gave on 2030-01-15" in (
        check[0].message
    )
    out = agreement_out(service.get_agreement(UnitOfWork(engine), "TST-GBR"), date(2031, 2, 1))
    assert out.status == "ended"
    assert out.termination is not None
    assert out.termination.reference == "NV 1/2030"
    assert out.term is not None
    assert out.term.period is None
    during = agreement_out(ended, date(2030, 6, 1))
    assert during.term is not None
    assert (during.term.period, during.term.end) == (2, date(2037, 8, 18))
    assert refused(engine, RecordTermination, valid).codes == ["AGREEMENT_TERMINATED"]
    assert verify_audit(UnitOfWork(engine, read_only=True)).ok


def test_records_are_an_admins_of_a_party_and_hidden_from_third_nations(added: Engine) -> None:
    engine = added
    day = {"version": 1, "in_force": "2017-08-18", "source": "MOFA"}
    france = Principal("fra-admin", "FRA", frozenset({Role.ADMIN}))
    viewer = Principal("gbr-viewer", "GBR", frozenset({Role.VIEWER}))
    before = row_counts(engine)
    with pytest.raises(NotFoundError):
        handle(
            UnitOfWork(engine, principal=france),
            RecordInForceDay.from_wire(day, agreement_id="TST-GBR"),
            "operator",
        )
    with pytest.raises(ForbiddenError):
        handle(
            UnitOfWork(engine, principal=viewer),
            RecordInForceDay.from_wire(day, agreement_id="TST-GBR"),
            "operator",
        )
    with pytest.raises(NotFoundError):
        handle(
            UnitOfWork(engine, principal=france),
            RecordTermination.from_wire(
                {
                    "notice_date": "2030-01-15",
                    "effective": "2031-01-15",
                    "by": "GBR",
                    "source": "x",
                },
                agreement_id="TST-GBR",
            ),
            "operator",
        )
    assert row_counts(engine) == before
    admin = Principal("gbr-admin", "GBR", frozenset({Role.ADMIN}))
    handle(
        UnitOfWork(engine, principal=admin),
        RecordInForceDay.from_wire(day, agreement_id="TST-GBR"),
        "operator",
    )


def test_audit_verify_finds_a_record_changed_behind_acsas_back(added: Engine) -> None:
    engine = added
    day = {"version": 1, "in_force": "2017-08-18", "source": "MOFA"}
    handle(UnitOfWork(engine), RecordInForceDay.from_wire(day, agreement_id="TST-GBR"), "operator")
    assert verify_audit(UnitOfWork(engine, read_only=True)).ok
    with engine.begin() as conn:
        conn.execute(
            update(t.agreement_records).values(
                body={"version": 1, "day": "2017-01-30", "source": "MOFA"}
            )
        )
    found = verify_audit(UnitOfWork(engine, read_only=True))
    assert not found.ok
    assert found.rows_at_fault == 1
