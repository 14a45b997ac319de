"""Implementing arrangements through the services on a real database (SQLite file and
PostgreSQL): adding and amending them, orders naming one (checked, its fund citation filled,
refusals writing nothing), its ceiling, an invoice's due date from its payment term, and the
points of contact notices go to."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from typing import Any

import pytest
from sqlalchemy import select

from acsa.adapters.db import tables as t
from acsa.adapters.db.unit_of_work import UnitOfWork
from acsa.commands import AcceptOrder, EditDraft, IssueInvoice, PlaceOrder, SubmitOrder
from acsa.domain.access import Principal, Role
from acsa.domain.documents import order_body
from acsa.domain.errors import AcsaError
from acsa.domain.money import Money
from acsa.schemas.orders import OrderIn, parse_model
from acsa.services import arrangements, settlement
from acsa.services.agreements import get_agreement
from acsa.services.handlers import handle
from tests.integration.test_settlement import received_order
from tests.orders_data import order_doc
from tests.table_counts import row_counts

AT = datetime(2026, 3, 1, 9, 0, tzinfo=UTC)
REFERENCE = "JPN-AUS IA 2025-01"


def arrangement_doc(**changes: Any) -> dict[str, Any]:
    doc: dict[str, Any] = {
        "reference": REFERENCE,
        "title": "Billing and payment under the Japan-Australia ACSA",
        "signed": "2025-01-15",
        "in_force": "2025-02-01",
        "payment_term_days": 45,
        "sides": {
            "JPN": {
                "billing_office": {
                    "name": "MOD Accounting Division",
                    "address": ["5-1 Ichigaya-Honmuracho", "Shinjuku-ku, Tokyo 162-8801"],
                    "email": "billing@mod.example.jp",
                },
                "contacts": [
                    {"name": "Maj. T. Ono", "email": "t.ono@mod.example.jp"},
                    {"name": "Lt Cdr R. Kondo", "phone": "+81 3 3268 3111"},
                ],
                "fund_citation": "MOD 0131-2026",
            },
            "AUS": {
                "paying_office": {
                    "name": "Defence Finance Group, Accounts Payable",
                    "address": ["Russell Offices, R1-3", "Canberra ACT 2600"],
                },
                "contacts": [{"name": "Ms P. Harris", "email": "p.harris@defence.example.au"}],
                "fund_citation": "DEF cost centre 7731",
            },
        },
    }
    doc.update(changes)
    return doc


def add(uow: UnitOfWork, **changes: Any):
    return arrangements.add_arrangement(uow, "JPN-AUS", arrangement_doc(**changes), "admin", AT)


def place(uow: UnitOfWork, **changes: Any):
    doc = order_doc(**changes)
    order, warnings = handle(uow, PlaceOrder.from_wire(doc), "Flt Lt Carter", AT)
    return order, warnings


def codes(error: AcsaError) -> list[str]:
    return [v.code.value for v in error.violations]


def stored_arrangement(engine, order_id: int) -> tuple[int | None, str | None]:
    with engine.connect() as conn:
        row = conn.execute(
            select(t.orders.c.arrangement_id, t.orders.c.arrangement).where(
                t.orders.c.id == order_id
            )
        ).one()
    return row.arrangement_id, row.arrangement


def test_an_arrangement_is_added_listed_amended_and_ended_with_audit_records(uow, engine):
    added = add(uow)
    assert added.id is not None
    agreement, found = arrangements.list_arrangements(uow, "JPN-AUS")
    assert agreement.id == "JPN-AUS"
    assert [a.reference for a in found] == [REFERENCE]
    shown = arrangements.get_arrangement(uow, "JPN-AUS", REFERENCE)
    assert shown == added
    billing = shown.side("JPN").billing_office
    assert billing is not None
    assert billing.email == "billing@mod.example.jp"

    amended = arrangements.amend_arrangement(
        uow, "JPN-AUS", REFERENCE, {"payment_term_days": 60}, "admin", AT
    )
    assert amended.payment_term_days == 60
    assert arrangements.get_arrangement(uow, "JPN-AUS", REFERENCE).payment_term_days == 60
    ended = arrangements.end_arrangement(uow, "JPN-AUS", REFERENCE, date(2027, 1, 1), "admin", AT)
    assert ended.ended == date(2027, 1, 1)

    with engine.connect() as conn:
        actions = conn.execute(
            select(t.audit_log.c.action, t.audit_log.c.subject)
            .where(t.audit_log.c.action.like("arrangement.%"))
            .order_by(t.audit_log.c.seq)
        ).all()
    subject = f"arrangement:JPN-AUS/{REFERENCE}"
    assert [tuple(r) for r in actions] == [
        ("arrangement.add", subject),
        ("arrangement.amend", subject),
        ("arrangement.end", subject),
    ]
    # ended once: a second end is refused, and so is a second arrangement of that reference
    before = row_counts(engine)
    with pytest.raises(AcsaError) as again:
        arrangements.end_arrangement(uow, "JPN-AUS", REFERENCE, date(2027, 2, 1), "admin", AT)
    assert codes(again.value) == ["ARRANGEMENT_ENDED"]
    with pytest.raises(AcsaError) as taken:
        add(uow)
    assert codes(taken.value) == ["ARRANGEMENT_EXISTS"]
    assert row_counts(engine) == before


def test_only_an_admin_of_a_party_changes_them_and_others_do_not_see_them(engine):
    operator = UnitOfWork(engine)
    add(operator)
    stranger = Principal("usa-admin", "USA", frozenset({Role.ADMIN}))
    with pytest.raises(AcsaError) as unseen:
        arrangements.list_arrangements(UnitOfWork(engine, principal=stranger), "JPN-AUS")
    assert codes(unseen.value) == ["AGREEMENT_NOT_FOUND"]
    viewer = Principal("aus-ops", "AUS", frozenset({Role.LOGISTICS}))
    _agreement, seen = arrangements.list_arrangements(
        UnitOfWork(engine, principal=viewer), "JPN-AUS"
    )
    assert [a.reference for a in seen] == [REFERENCE]
    before = row_counts(engine)
    with pytest.raises(AcsaError) as forbidden:
        arrangements.amend_arrangement(
            UnitOfWork(engine, principal=viewer), "JPN-AUS", REFERENCE, {"title": "x"}, "v", AT
        )
    assert codes(forbidden.value) == ["FORBIDDEN"]
    admin = Principal("aus-admin", "AUS", frozenset({Role.ADMIN}))
    arrangements.amend_arrangement(
        UnitOfWork(engine, principal=admin), "JPN-AUS", REFERENCE, {"title": "New title"}, "a", AT
    )
    assert row_counts(engine)["audit_log"] == before["audit_log"] + 1


def test_an_order_naming_it_is_linked_and_takes_the_requesters_fund_citation(uow, engine):
    added = add(uow)
    order, warnings = place(uow, arrangement=REFERENCE)
    assert warnings == []
    assert order.arrangement == REFERENCE
    # the requester (AUS) pays: its default fund citation fills the order's empty one
    assert order.fund_citation == "DEF cost centre 7731"
    assert stored_arrangement(engine, order.id) == (added.id, REFERENCE)
    with uow:
        assert uow.orders.get(order.id).fund_citation == "DEF cost centre 7731"
    # a fund citation given is kept
    own, _ = place(uow, arrangement=REFERENCE, fund_citation="AUS special vote 12")
    assert own.fund_citation == "AUS special vote 12"
    assert order_body(own)["arrangement"] == REFERENCE


def test_refused_arrangements_write_nothing(uow, engine):
    add(uow)
    before = row_counts(engine)
    with pytest.raises(AcsaError) as unknown:
        place(uow, arrangement="JPN-AUS IA 1999-99")
    assert codes(unknown.value) == ["ARRANGEMENT_NOT_FOUND"]
    assert unknown.value.violations[0].field == "arrangement"
    with pytest.raises(AcsaError) as early:
        place(uow, arrangement=REFERENCE, order_date="2025-01-31", needed_by="2025-02-05")
    assert "ARRANGEMENT_NOT_IN_FORCE" in codes(early.value)
    assert row_counts(engine) == before


def test_a_draft_edited_to_name_it_and_submit_refused_once_it_ended(uow, engine):
    add(uow)
    order, _ = place(uow)
    assert order.arrangement is None
    doc = parse_model(OrderIn, order_doc(arrangement=REFERENCE))
    edited, _ = handle(uow, EditDraft(order_id=order.id, order=doc), "Flt Lt Carter", AT)
    assert edited.arrangement == REFERENCE
    assert edited.fund_citation == "DEF cost centre 7731"
    # the arrangement ends before the order date: submitting is refused, nothing written
    arrangements.end_arrangement(uow, "JPN-AUS", REFERENCE, date(2026, 9, 1), "admin", AT)
    before = row_counts(engine)
    with pytest.raises(AcsaError) as refused:
        handle(uow, SubmitOrder(order_id=order.id), "Wg Cdr Hughes", AT)
    assert codes(refused.value) == ["ARRANGEMENT_NOT_IN_FORCE"]
    assert row_counts(engine) == before


def test_its_ceiling_refuses_what_would_exceed_it(uow, engine):
    # FUEL_FOR_AUSTRALIA is worth 2,644,020 JPY; Australia may acquire 4,000,000 a year
    ceiling = {"currency": "JPY", "amount": "4000000", "party": "AUS"}
    add(uow, ceilings=[ceiling])
    first, _ = place(uow, arrangement=REFERENCE)
    handle(uow, SubmitOrder(order_id=first.id), "Wg Cdr Hughes", AT)
    handle(uow, AcceptOrder(order_id=first.id), "Lt Cdr Kondo", AT)
    before = row_counts(engine)
    with pytest.raises(AcsaError) as over:
        place(uow, arrangement=REFERENCE)
    [violation] = over.value.violations
    assert violation.code.value == "ARRANGEMENT_CEILING_EXCEEDED"
    assert violation.params["left"] == Money(Decimal(4000000 - 2644020), "JPY")
    assert row_counts(engine) == before
    # an order under no arrangement is not counted against it
    other, _ = place(uow)
    assert other.arrangement is None


def test_an_invoice_is_due_after_the_arrangements_payment_term(uow):
    add(uow)
    plain_id = received_order(uow)
    named_id = received_order(uow, arrangement=REFERENCE)
    issued = date(2026, 3, 11)
    plain = handle(uow, IssueInvoice(order_id=plain_id, issued=issued), "Ms Harris")
    named = handle(uow, IssueInvoice(order_id=named_id, issued=issued), "Ms Harris")
    agreement_term = get_agreement(uow, "JPN-AUS").latest.payment_term_days
    assert agreement_term != 45
    assert plain.due == issued + timedelta(days=agreement_term)
    assert named.due == issued + timedelta(days=45)
    # shown one by one, it says where it goes: AUS's paying office, from JPN's billing office
    shown = settlement.get_invoice(uow, named.number)
    assert shown.arrangement == REFERENCE
    assert shown.bill_to is not None
    assert shown.bill_to.name == "Defence Finance Group, Accounts Payable"
    assert shown.bill_to.address == ["Russell Offices, R1-3", "Canberra ACT 2600"]
    assert shown.billed_by is not None
    assert shown.billed_by.name == "MOD Accounting Division"
    assert settlement.get_invoice(uow, plain.number).bill_to is None


def test_contacts_for_gives_the_sides_points_of_contact_with_an_email(uow):
    add(uow)
    named, _ = place(uow, arrangement=REFERENCE)
    plain, _ = place(uow)
    assert arrangements.contacts_for(uow, named.id, "AUS") == [
        ("Ms P. Harris", "p.harris@defence.example.au")
    ]
    # Lt Cdr Kondo has no e-mail: a notice cannot reach him
    assert arrangements.contacts_for(uow, named.id, "JPN") == [
        ("Maj. T. Ono", "t.ono@mod.example.jp")
    ]
    assert arrangements.contacts_for(uow, plain.id, "AUS") == []
    assert arrangements.contacts_for(uow, 999_999, "AUS") == []


def test_checking_a_document_or_a_draft_names_the_arrangements_problems(uow):
    from acsa.services import orders

    add(uow)
    checked = orders.check_document(uow, parse_model(OrderIn, order_doc(arrangement="nope")))
    assert [v.code.value for v in checked] == ["ARRANGEMENT_NOT_FOUND"]
    assert orders.check_document(uow, parse_model(OrderIn, order_doc(arrangement=REFERENCE))) == []
    draft, _ = place(uow, arrangement=REFERENCE)
    arrangements.end_arrangement(uow, "JPN-AUS", REFERENCE, date(2026, 9, 1), "admin", AT)
    shown = orders.order_view(uow, draft.id)
    assert [v.code for v in shown.violations] == ["ARRANGEMENT_NOT_IN_FORCE"]
