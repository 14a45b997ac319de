"""Ledger views on a real database (SQLite file and PostgreSQL): balances, statements, aging,
overdue debts, the exceptions report, and the check of running balances against postings."""

from __future__ import annotations

from datetime import date, timedelta
from decimal import Decimal
from typing import Any

import pytest
from sqlalchemy import update

from acsa.adapters.db import tables as t
from acsa.commands import CloseOrder, DeliverOrder, PlaceOrder
from acsa.domain.errors import AcsaError
from acsa.services import ledger, orders
from acsa.services.findings import exceptions
from acsa.services.handlers import handle
from tests.ledger_data import (
    accepted,
    at,
    exchange,
    fuel_doc,
    invoice,
    pay,
    receive,
    received,
    replace,
    sweep,
    yen,
)

JAN_10 = date(2026, 1, 10)
FEB_1 = date(2026, 2, 1)
SWEEP_DAY = date(2027, 1, 11)  # the day after the replacement deadline of a JAN_10 receipt


def scenario(uow):
    """JPN supplies AUS 100 L for cash (invoiced, 40,000 paid) and 50 L in kind (10 L
    replaced, 5,000 exchanged, the rest swept to cash); AUS supplies JPN 10 L for cash."""
    cash = received(uow, 100, JAN_10)
    number = invoice(uow, cash, date(2026, 1, 15))
    pay(uow, number, 40000, FEB_1)
    in_kind = received(uow, 50, JAN_10, "replacement_in_kind")
    back = received(uow, 10, FEB_1, supplier="AUS", requester="JPN")
    replace(uow, in_kind, 10, date(2026, 3, 1))
    exchange(uow, in_kind, 5000, date(2026, 3, 5))
    sweep(uow, SWEEP_DAY)
    return cash, in_kind, back, number


def figures(position):
    return {
        k: getattr(position, k)
        for k in (
            "owed_to_us",
            "owed_by_us",
            "awaiting_replacement",
            "awaiting_replacement_by_us",
            "net",
            "provided",
            "received",
        )
    }


def one(items, **match):
    found = [i for i in items if all(getattr(i, k) == v for k, v in match.items())]
    assert len(found) == 1, (match, items)
    return found[0]


# --- balances ----------------------------------------------------------------------------------


def test_balances_after_receipts_payments_replacement_exchange_and_sweep(uow):
    scenario(uow)
    found = ledger.balances(uow)
    jpn = one(found, nation="JPN", partner="AUS", currency="JPY")
    assert figures(jpn) == {
        "owed_to_us": yen(100000 - 40000 + 35000),
        "owed_by_us": yen(10000),
        "awaiting_replacement": yen(0),
        "awaiting_replacement_by_us": yen(0),
        "net": yen(85000),
        "provided": yen(150000),
        "received": yen(10000 + 15000),
    }
    aus = one(found, nation="AUS", partner="JPN", currency="JPY")
    assert figures(aus) == {
        "owed_to_us": yen(10000),
        "owed_by_us": yen(95000),
        "awaiting_replacement": yen(0),
        "awaiting_replacement_by_us": yen(0),
        "net": yen(-85000),
        "provided": yen(10000 + 15000),
        "received": yen(150000),
    }
    assert len(found) == 2
    assert jpn.as_of is None


@pytest.mark.parametrize(
    ("as_of", "owed_to_us", "awaiting", "owed_by_us"),
    [
        (JAN_10, 100000, 50000, 0),
        (FEB_1, 60000, 50000, 10000),
        (date(2026, 3, 1), 60000, 40000, 10000),
        (date(2027, 1, 10), 60000, 35000, 10000),
        (SWEEP_DAY, 95000, 0, 10000),
    ],
)
def test_balances_as_of_a_day_recompute_from_postings(uow, as_of, owed_to_us, awaiting, owed_by_us):
    scenario(uow)
    [jpn] = ledger.balances(uow, nation="jpn", partner="AUS", as_of=as_of)
    assert (jpn.owed_to_us, jpn.awaiting_replacement, jpn.owed_by_us) == (
        yen(owed_to_us),
        yen(awaiting),
        yen(owed_by_us),
    )
    assert jpn.as_of == as_of
    [aus] = ledger.balances(uow, nation="AUS", as_of=as_of)
    assert (aus.owed_by_us, aus.awaiting_replacement_by_us, aus.owed_to_us) == (
        yen(owed_to_us),
        yen(awaiting),
        yen(owed_by_us),
    )


def test_nothing_before_the_first_receipt_and_zero_rows_are_left_out(uow):
    scenario(uow)
    assert ledger.balances(uow, as_of=JAN_10 - timedelta(days=1)) == []
    assert ledger.balances(uow, nation="NZL") == []


def test_supplier_receivable_equals_requester_payable(uow):
    scenario(uow)
    received(
        uow,
        7,
        date(2026, 5, 1),
        "equal_value_exchange",
        supplier="AUS",
        requester="JPN",
        category="billeting",  # exchange settles services, not supplies, under JPN-AUS
    )
    found = {(p.nation, p.partner, p.currency): p for p in ledger.balances(uow)}
    for (nation, partner, currency), p in found.items():
        mirror = found[(partner, nation, currency)]
        assert p.owed_to_us == mirror.owed_by_us
        assert p.awaiting_replacement == mirror.awaiting_replacement_by_us
        assert p.provided == mirror.received
        assert p.net == -mirror.net


def test_a_refused_nation_or_currency_is_coded(uow):
    with pytest.raises(AcsaError) as refused:
        ledger.balances(uow, nation="XX")
    assert refused.value.codes == ["UNKNOWN_PARTY"]
    with pytest.raises(AcsaError) as refused:
        ledger.statement(uow, "JPN", "AUS", JAN_10, JAN_10, currency="ABC")
    assert refused.value.codes == ["UNKNOWN_CURRENCY"]
    with pytest.raises(AcsaError) as refused:
        ledger.statement(uow, "JPN", "AUS", FEB_1, JAN_10)
    assert refused.value.codes == ["INVALID_DATE"]


# --- statements --------------------------------------------------------------------------------


def test_statement_opening_movements_closing_and_documents(uow):
    cash, in_kind, back, number = scenario(uow)
    [s] = ledger.statement(uow, "JPN", "AUS", date(2026, 1, 11), date(2026, 12, 31))
    assert (s.nation, s.partner, s.currency) == ("JPN", "AUS", "JPY")
    assert s.opening == yen(150000)
    rows = [(ln.effective, ln.kind, ln.order, ln.debit, ln.credit, ln.balance) for ln in s.lines]
    assert rows == [
        (FEB_1, "payment", cash, yen(0), yen(40000), yen(110000)),
        (FEB_1, "receipt", back, yen(0), yen(10000), yen(100000)),
        (date(2026, 3, 1), "replacement", in_kind, yen(0), yen(10000), yen(90000)),
        (date(2026, 3, 5), "exchange", in_kind, yen(0), yen(5000), yen(85000)),
    ]
    assert s.lines[0].document == f"payment of invoice {number}"
    assert s.lines[0].memo == "wire"
    assert s.lines[1].document.startswith(f"order {back} receipt")
    assert s.closing == yen(85000)
    assert s.opening + sum(ln.debit - ln.credit for ln in s.lines) == s.closing


def test_statement_shows_a_conversion_as_a_debit_and_a_credit(uow):
    _cash, in_kind, _back, _number = scenario(uow)
    [s] = ledger.statement(uow, "AUS", "JPN", SWEEP_DAY, SWEEP_DAY)
    [line] = s.lines
    assert (line.kind, line.order, line.debit, line.credit) == (
        "conversion",
        in_kind,
        yen(35000),
        yen(35000),
    )
    assert s.opening == s.closing == yen(-85000)


@pytest.mark.parametrize(
    "start",
    [date(2026, 1, 11), FEB_1, date(2026, 3, 2), date(2026, 12, 1), date(2027, 1, 12)],
)
def test_opening_balance_is_the_closing_of_everything_before(uow, start):
    scenario(uow)
    [before] = ledger.statement(uow, "JPN", "AUS", date(2000, 1, 1), start - timedelta(days=1))
    [s] = ledger.statement(uow, "JPN", "AUS", start, date(2030, 1, 1))
    assert s.opening == before.closing
    [now] = ledger.balances(uow, nation="JPN", partner="AUS")
    assert s.closing == now.net


def test_statement_for_one_currency_and_without_entries(uow):
    scenario(uow)
    [s] = ledger.statement(uow, "JPN", "AUS", date(2028, 1, 1), date(2028, 12, 31), "jpy")
    assert (s.currency, s.opening, s.closing, s.lines) == ("JPY", yen(85000), yen(85000), [])
    [usd] = ledger.statement(uow, "JPN", "AUS", JAN_10, FEB_1, "USD")
    assert (usd.opening, usd.closing, usd.lines) == (Decimal("0.00"), Decimal("0.00"), [])
    assert ledger.statement(uow, "JPN", "NZL", JAN_10, FEB_1) == []


# --- aging -------------------------------------------------------------------------------------

AS_OF = date(2027, 6, 30)


@pytest.mark.parametrize(
    ("days", "band"),
    [
        (0, "0-30"),
        (30, "0-30"),
        (31, "31-90"),
        (90, "31-90"),
        (91, "91-180"),
        (180, "91-180"),
        (181, "181-365"),
        (365, "181-365"),
        (366, "over 365"),
        (-3, "0-30"),
    ],
)
def test_band_edges(days, band):
    assert ledger.band(days) == band


def test_aging_buckets_at_their_edges(uow):
    ages = {30: 1, 31: 2, 90: 3, 91: 4, 180: 5, 181: 6, 365: 7, 366: 8}
    for age, litres in ages.items():
        received(uow, litres, AS_OF - timedelta(days=age))
    [owed] = ledger.aging(uow, nation="JPN", as_of=AS_OF)
    assert (owed.partner, owed.currency, owed.direction) == ("AUS", "JPY", "owed_to_us")
    assert owed.buckets == {
        "0-30": yen(1000),
        "31-90": yen(5000),
        "91-180": yen(9000),
        "181-365": yen(13000),
        "over 365": yen(8000),
    }
    assert owed.total == yen(36000)
    assert set(owed.by_kind) == {"uninvoiced"}
    [mirror] = ledger.aging(uow, nation="AUS", as_of=AS_OF)
    assert (mirror.direction, mirror.buckets) == ("owed_by_us", owed.buckets)


def test_invoices_age_from_issue_and_in_kind_from_receipt_oldest_settled_first(uow):
    cash = received(uow, 100, AS_OF - timedelta(days=400))
    number = invoice(uow, cash, AS_OF - timedelta(days=10))
    pay(uow, number, 30000, AS_OF - timedelta(days=5))
    doc = fuel_doc(60, "replacement_in_kind", day=AS_OF - timedelta(days=110))
    in_kind = accepted(uow, doc, AS_OF - timedelta(days=110))
    receive(uow, in_kind, AS_OF - timedelta(days=100), litres=40)
    receive(uow, in_kind, AS_OF - timedelta(days=10))
    replace(uow, in_kind, 25, AS_OF - timedelta(days=5))
    [owed] = ledger.aging(uow, nation="JPN", partner="AUS", as_of=AS_OF)
    assert owed.by_kind["invoiced"]["0-30"] == yen(70000)
    assert owed.by_kind["in_kind"]["91-180"] == yen(15000)
    assert owed.by_kind["in_kind"]["0-30"] == yen(20000)
    assert owed.buckets["0-30"] == yen(90000)
    assert owed.total == yen(105000)
    [jpn] = ledger.balances(uow, nation="JPN", partner="AUS", as_of=AS_OF)
    assert owed.total == jpn.owed_to_us + jpn.awaiting_replacement


def test_aging_as_of_an_earlier_day_ignores_later_records(uow):
    cash = received(uow, 100, date(2026, 1, 10))
    number = invoice(uow, cash, date(2026, 2, 1))
    pay(uow, number, 100000, date(2026, 3, 1))
    handle(uow, CloseOrder(order_id=cash), "Cdr M. Tanaka", at(date(2026, 3, 2)))
    assert ledger.aging(uow) == []
    [then] = ledger.aging(uow, nation="JPN", as_of=date(2026, 1, 31))
    assert then.by_kind == {
        "uninvoiced": dict.fromkeys(ledger.BUCKETS, yen(0)) | {"0-30": yen(100000)}
    }
    [later] = ledger.aging(uow, nation="JPN", as_of=date(2026, 2, 20))
    assert set(later.by_kind) == {"invoiced"}


# --- overdue -----------------------------------------------------------------------------------


def test_overdue_lists_a_past_due_invoice_and_in_kind_debt_past_its_deadline(uow):
    cash = received(uow, 100, JAN_10)
    number = invoice(uow, cash, date(2026, 1, 15))
    pay(uow, number, 25000, FEB_1)
    in_kind = received(uow, 50, JAN_10, "replacement_in_kind")
    assert ledger.overdue(uow, as_of=date(2026, 2, 14)) == []  # due day: still in time
    [late] = ledger.overdue(uow, as_of=date(2026, 3, 1))
    assert (late.kind, late.order, late.document, late.amount, late.due, late.days_overdue) == (
        "invoice_past_due",
        cash,
        number,
        yen(75000),
        date(2026, 2, 14),
        15,
    )
    assert (late.creditor, late.debtor, late.currency) == ("JPN", "AUS", "JPY")
    on_deadline = ledger.overdue(uow, as_of=date(2027, 1, 10))
    assert [o.kind for o in on_deadline] == ["invoice_past_due"]
    found = ledger.overdue(uow, nation="AUS", as_of=date(2027, 1, 12))
    in_kind_late = one(found, kind="replacement_past_deadline")
    assert (in_kind_late.order, in_kind_late.amount, in_kind_late.days_overdue) == (
        in_kind,
        yen(50000),
        2,
    )
    assert in_kind_late.due == date(2027, 1, 10)
    assert in_kind_late.document.startswith(f"order {in_kind} receipt")
    assert ledger.overdue(uow, nation="NZL", as_of=date(2027, 1, 12)) == []


def test_a_sweep_turns_the_late_in_kind_debt_into_an_invoice(uow):
    in_kind = received(uow, 50, JAN_10, "replacement_in_kind")
    replace(uow, in_kind, 20, date(2026, 6, 1))
    sweep(uow, SWEEP_DAY)
    assert ledger.overdue(uow, as_of=SWEEP_DAY) == []
    [late] = ledger.overdue(uow, as_of=SWEEP_DAY + timedelta(days=31))
    assert (late.kind, late.order, late.amount, late.days_overdue) == (
        "invoice_past_due",
        in_kind,
        yen(30000),
        1,
    )


def test_an_order_delivered_again_after_a_partial_receipt_still_owes_what_it_received(uow):
    order_id = accepted(uow, fuel_doc(10, "replacement_in_kind", day=JAN_10), JAN_10)
    receive(uow, order_id, JAN_10, litres=4)
    handle(
        uow, DeliverOrder(order_id=order_id, quantities={1: Decimal(2)}), "Sgt A. Ito", at(FEB_1)
    )
    assert orders.get_order(uow, order_id).status.value == "partially_delivered"
    [owed] = ledger.aging(uow, nation="JPN", as_of=FEB_1)
    assert owed.by_kind["in_kind"]["0-30"] == yen(4000)
    [late] = ledger.overdue(uow, as_of=date(2027, 2, 1))
    assert (late.kind, late.order, late.amount) == (
        "replacement_past_deadline",
        order_id,
        yen(4000),
    )


# --- exceptions --------------------------------------------------------------------------------

TODAY = date(2026, 6, 30)


def test_exceptions_finds_each_kind(uow):
    uninvoiced = received(uow, 10, TODAY - timedelta(days=20))
    overdue_ = received(uow, 20, TODAY - timedelta(days=100))
    invoice(uow, overdue_, TODAY - timedelta(days=90))
    due_soon = received(uow, 30, TODAY - timedelta(days=350), "replacement_in_kind")
    past_due = received(uow, 40, TODAY - timedelta(days=370), "replacement_in_kind")
    no_units = received(uow, 5, TODAY - timedelta(days=10), requester_unit=None, fund_citation="")
    unsigned_doc = fuel_doc(6, day=TODAY - timedelta(days=12))
    unsigned = accepted(uow, unsigned_doc, TODAY - timedelta(days=12), actor=" ")
    receive(uow, unsigned, TODAY - timedelta(days=11), actor="")
    settled = received(uow, 7, TODAY - timedelta(days=60))
    pay(uow, invoice(uow, settled, TODAY - timedelta(days=50)), 7000, TODAY - timedelta(days=40))
    closed = received(uow, 8, TODAY - timedelta(days=60))
    pay(uow, invoice(uow, closed, TODAY - timedelta(days=50)), 8000, TODAY - timedelta(days=40))
    handle(uow, CloseOrder(order_id=closed), "Cdr M. Tanaka", at(TODAY - timedelta(days=30)))

    found = exceptions(uow, as_of=TODAY)
    by_kind: dict[str, list[Any]] = {}
    for e in found:
        by_kind.setdefault(e.kind, []).append(e)

    assert closed not in {e.order for e in found}
    not_invoiced = {e.order: e for e in by_kind["received_not_invoiced"]}
    assert set(not_invoiced) == {uninvoiced, no_units, unsigned}
    first = not_invoiced[uninvoiced]
    assert (first.value, first.currency, first.age_days, first.nations) == (
        yen(10000),
        "JPY",
        20,
        ["JPN", "AUS"],
    )
    [late] = by_kind["invoice_overdue"]
    assert (late.order, late.value, late.age_days, late.due) == (
        overdue_,
        yen(20000),
        60,
        TODAY - timedelta(days=60),
    )
    [soon] = by_kind["replacement_due_soon"]
    assert (soon.order, soon.value, soon.due) == (due_soon, yen(30000), TODAY + timedelta(days=15))
    [past] = by_kind["replacement_past_due"]
    assert (past.order, past.value, past.age_days) == (past_due, yen(40000), 5)
    [fields] = by_kind["missing_field"]
    assert (fields.order, fields.fields, fields.value) == (
        no_units,
        ["requester_unit", "fund_citation"],
        yen(5000),
    )
    assert "requester_unit" in fields.message
    [signature] = by_kind["missing_signature"]
    assert (signature.order, signature.fields) == (
        unsigned,
        ["supplier_acceptance", "receipt_signature"],
    )
    assert signature.age_days == 12
    [not_closed] = by_kind["settled_not_closed"]
    assert (not_closed.order, not_closed.value, not_closed.age_days) == (settled, yen(7000), 40)
    kinds = [e.kind for e in found]
    assert kinds == sorted(
        kinds,
        key=[
            "received_not_invoiced",
            "invoice_overdue",
            "replacement_past_due",
            "replacement_due_soon",
            "missing_field",
            "missing_signature",
            "settled_not_closed",
        ].index,
    )


def test_exceptions_ignore_what_happened_after_the_day(uow):
    order_id = received(uow, 10, TODAY)
    found = [(e.kind, e.order) for e in exceptions(uow, as_of=TODAY)]
    assert found == [("received_not_invoiced", order_id)]
    assert exceptions(uow, as_of=TODAY - timedelta(days=10)) == []


def test_routine_orders_need_no_operation_and_drafts_are_not_judged(uow):
    received(uow, 10, TODAY, activity="routine", operation=None)
    handle(uow, PlaceOrder.from_wire(fuel_doc(3, requester_unit=None)), "Lt K. Sato", at(TODAY))
    assert [e.kind for e in exceptions(uow, as_of=TODAY)] == ["received_not_invoiced"]


# --- running balances against postings ---------------------------------------------------------


def test_running_balances_match_a_recompute_until_one_is_tampered_with(engine, uow):
    scenario(uow)
    assert ledger.recompute_matches(uow)
    result = ledger.verify(uow)
    assert result.ok
    assert result.balances > 0
    ledger.require_verified(result)
    with engine.begin() as conn:
        conn.execute(
            update(t.ledger_balances)
            .where(
                t.ledger_balances.c.book == "JPN",
                t.ledger_balances.c.account == "receivable_cash",
            )
            .values(amount_minor=t.ledger_balances.c.amount_minor + 1)
        )
    result = ledger.verify(uow)
    assert not result.ok
    [difference] = result.differences
    assert (difference.book, difference.account, difference.running) == (
        "JPN",
        "receivable_cash",
        yen(95001),
    )
    assert difference.recomputed == yen(95000)
    with pytest.raises(AcsaError) as refused:
        ledger.require_verified(result)
    assert "95,001 JPY" in refused.value.violations[0].message
