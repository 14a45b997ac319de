"""The annual report on a real database (SQLite file and PostgreSQL), every figure worked out by
hand from a year of orders built through the real order and settlement services; and the order
form's data from the same orders.

Values are what was agreed (quantities accepted at the unit prices). Settled and open are what
the books say on the year's last day, at the quantities received: settled what was paid or
settled in kind, open what is still owed in cash or in kind. Until issue 12 "settled" meant
the agreed value of the orders settled in full and "open" the agreed value of all the others,
so an order paid in part was all open and one not yet received was open too: the report
disagreed with ``acsa ledger balance``. The expectations below that changed say so."""

from __future__ import annotations

from datetime import UTC, date, datetime
from decimal import Decimal
from typing import Any

import pytest

from acsa.adapters.db.unit_of_work import UnitOfWork
from acsa.commands import (
    AcceptOrder,
    CancelOrder,
    CloseOrder,
    DeliverOrder,
    ExchangeEqualValue,
    IssueInvoice,
    PlaceOrder,
    ReceiveOrder,
    RecordPayment,
    RejectOrder,
    ReturnInKind,
    SubmitOrder,
)
from acsa.domain.errors import AcsaError
from acsa.schemas.reports import AnnualReport, Figure
from acsa.services import ledger, settlement
from acsa.services.annual_report import annual_report
from acsa.services.handlers import handle
from acsa.services.order_forms import order_form
from tests.orders_data import order_doc

JPN_FY2026 = (date(2026, 4, 1), date(2027, 3, 31), "FY2026")
GENERATED = datetime(2027, 4, 15, 0, 0, tzinfo=UTC)

AUS_OFFICER = "Maj. A. Brown (logistics officer, ADF)"
JPN_SUPPLY = "Cdr M. Tanaka (supply officer, JMSDF)"
JPN_STORES = "CWO H. Ito (base supply, JASDF)"
JPN_OFFICER = "Lt Col K. Sato (logistics, JGSDF)"
USA_SUPPLY = "LCDR R. Miller (USN, Yokosuka)"
AUS_SUPPLY = "WO2 T. Nguyen (ADF, RAAF Amberley)"


def at(day: str, hour: int = 9) -> datetime:
    return datetime.fromisoformat(day).replace(hour=hour, tzinfo=UTC)


def _received(
    uow: UnitOfWork,
    doc: dict[str, Any],
    day: str,
    requester: str,
    supplier: str,
    accepted: dict[int, Decimal] | None = None,
    received_on: str | None = None,
) -> int:
    """An order placed, submitted, accepted, delivered and received through the services."""
    order, _ = handle(uow, PlaceOrder.from_wire(doc), requester, at(day, 1))
    assert order.id is not None
    handle(uow, SubmitOrder(order_id=order.id), requester, at(day, 2))
    handle(uow, AcceptOrder(order_id=order.id, quantities=accepted), supplier, at(day, 3))
    when = received_on or day
    handle(
        uow,
        DeliverOrder(order_id=order.id),
        JPN_STORES if supplier == JPN_SUPPLY else supplier,
        at(when, 4),
    )
    handle(uow, ReceiveOrder(order_id=order.id), requester, at(when, 5))
    return order.id


def build_year(uow: UnitOfWork) -> dict[str, int]:
    """Japan's fiscal year 2026 (April 2026 to March 2027), and an order on each side of it.

    A  JPN supplies AUS, cash, 2026-05-10: 2,644,020 JPY, invoiced, paid 2026-06-01 (settled).
    B  JPN supplies AUS, in kind, 2026-07-10, line 1 accepted at 10,000 L: 2,340,020 JPY;
       the rations (740,000) replaced 2026-09-15 (settled), 1,600,020 still owed in kind (open).
    C  USA supplies JPN, cash, 2026-08-03: 3,450.00 USD, invoiced, 1,000.00 paid (settled),
       2,450.00 unpaid (open).
    D  AUS supplies JPN, equal value exchange, 2027-01-20: 6,002.50 AUD, exchanged 2027-03-10
       and closed (settled).
    S  USA supplies JPN, submitted only, 2027-02-01: 345.00 USD requested (nothing received,
       so nothing owed: neither settled nor open).
    E, F, G  a draft, a rejected and a cancelled order of 2026-10-01 (left out).
    H  submitted, 2027-04-02 (next fiscal year).
    I  JPN supplies AUS, in kind, 2025-06-01: 18,500 JPY received 2025-06-05, never replaced,
       converted to cash by the sweep of 2026-06-10, never paid (a debt all year long).
    """
    ids: dict[str, int] = {}
    ids["I"] = _received(
        uow,
        order_doc(
            requester="AUS",
            supplier="JPN",
            settlement="replacement_in_kind",
            order_date="2025-06-01",
            needed_by="2025-06-03",
            lines=[_line("food", "Combat rations, 24h", "10", "EA", "1850", "JPY")],
        ),
        "2025-06-01",
        AUS_OFFICER,
        JPN_SUPPLY,
        received_on="2025-06-05",
    )
    ids["A"] = _received(
        uow,
        order_doc(order_date="2026-05-10", needed_by="2026-05-20", partner_reference="ADF-PB-0042"),
        "2026-05-10",
        AUS_OFFICER,
        JPN_SUPPLY,
    )
    invoice = handle(
        uow, IssueInvoice(order_id=ids["A"], issued=date(2026, 5, 12)), JPN_SUPPLY, at("2026-05-12")
    )
    handle(
        uow,
        RecordPayment(
            invoice=invoice.number,
            amount=Decimal("2644020"),
            paid=date(2026, 6, 1),
            reference="EFT 7781",
        ),
        AUS_OFFICER,
        at("2026-06-01"),
    )
    settlement.sweep(uow, "finance office", as_of=date(2026, 6, 10), now=at("2026-06-10"))
    ids["B"] = _received(
        uow,
        order_doc(
            order_date="2026-07-10", needed_by="2026-07-15", settlement="replacement_in_kind"
        ),
        "2026-07-10",
        AUS_OFFICER,
        JPN_SUPPLY,
        accepted={1: Decimal(10000)},
        received_on="2026-07-12",
    )
    handle(
        uow,
        ReturnInKind.from_wire(
            {"lines": [{"line": 2, "category": "food", "quantity": "400"}], "date": "2026-09-15"},
            order_id=ids["B"],
        ),
        AUS_OFFICER,
        at("2026-09-15"),
    )
    ids["C"] = _received(
        uow, _usa_fuel("2026-08-03", "1000"), "2026-08-03", JPN_OFFICER, USA_SUPPLY
    )
    usa_invoice = handle(
        uow, IssueInvoice(order_id=ids["C"], issued=date(2026, 8, 6)), USA_SUPPLY, at("2026-08-06")
    )
    handle(
        uow,
        RecordPayment(
            invoice=usa_invoice.number, amount=Decimal("1000.00"), paid=date(2026, 9, 10)
        ),
        JPN_OFFICER,
        at("2026-09-10"),
    )
    ids["D"] = _received(
        uow,
        order_doc(
            requester="JPN",
            supplier="AUS",
            activity="disaster_response",
            settlement="equal_value_exchange",
            order_date="2027-01-20",
            needed_by="2027-01-22",
            location="Camp Kengun, Kumamoto",
            operation=None,
            lines=[_line("training", "Helicopter winch training", "5", "EA", "1200.50", "AUD")],
        ),
        "2027-01-20",
        JPN_OFFICER,
        AUS_SUPPLY,
        received_on="2027-01-25",
    )
    handle(
        uow,
        ExchangeEqualValue.from_wire(
            {
                "lines": [
                    {"category": "transportation", "description": "Airlift", "value": "6002.50"}
                ],
                "agreed_by": "JPN J4 and ADF J4",
                "date": "2027-03-10",
            },
            order_id=ids["D"],
        ),
        JPN_OFFICER,
        at("2027-03-10"),
    )
    handle(uow, CloseOrder(order_id=ids["D"]), AUS_SUPPLY, at("2027-03-11"))
    ids["S"] = _placed(uow, _usa_fuel("2027-02-01", "100"), submit=True)
    ids["E"] = _placed(uow, order_doc(), submit=False)
    ids["F"] = _placed(uow, order_doc(), submit=True)
    handle(uow, RejectOrder(order_id=ids["F"], reason="no stock"), JPN_SUPPLY, at("2026-10-02"))
    ids["G"] = _placed(uow, order_doc(), submit=True)
    handle(
        uow,
        CancelOrder(order_id=ids["G"], reason="exercise cancelled"),
        AUS_OFFICER,
        at("2026-10-02"),
    )
    ids["H"] = _placed(uow, order_doc(order_date="2027-04-02", needed_by="2027-04-05"), True)
    return ids


def _line(
    category: str, description: str, quantity: str, unit: str, price: str, currency: str
) -> dict[str, str]:
    return {
        "category": category,
        "description": description,
        "quantity": quantity,
        "unit": unit,
        "unit_price": price,
        "currency": currency,
    }


def _usa_fuel(day: str, gallons: str) -> dict[str, Any]:
    return order_doc(
        agreement="JPN-USA",
        requester="JPN",
        supplier="USA",
        order_date=day,
        needed_by=day,
        location="Fleet Activities Yokosuka",
        operation="Exercise Keen Sword",
        lines=[_line("fuel", "JP-5 turbine fuel", gallons, "GAL", "3.45", "USD")],
    )


def _placed(uow: UnitOfWork, doc: dict[str, Any], submit: bool) -> int:
    day = str(doc["order_date"])
    order, _ = handle(uow, PlaceOrder.from_wire(doc), AUS_OFFICER, at(day, 1))
    assert order.id is not None
    if submit:
        handle(uow, SubmitOrder(order_id=order.id), AUS_OFFICER, at(day, 2))
    return order.id


@pytest.fixture
def year(uow: UnitOfWork) -> dict[str, int]:
    return build_year(uow)


def report_of(uow: UnitOfWork, nation: str = "JPN", period: Any = JPN_FY2026) -> AnnualReport:
    return annual_report(uow, nation, *period, now=GENERATED)


def figures(items: list[Figure]) -> dict[tuple[str, str], tuple[Any, ...]]:
    """Figures as {(key, currency): (count, value, provided, received, settled, open)}."""
    return {
        (f.key, f.currency): (f.count, f.value, f.provided, f.received, f.settled, f.open)
        for f in items
    }


def directions(items: list[Figure]) -> dict[tuple[str, str], tuple[Any, ...]]:
    """Settled and open by direction, as {(key, currency): (provided_settled, provided_open,
    received_settled, received_open)}."""
    return {
        (f.key, f.currency): (
            f.provided_settled,
            f.provided_open,
            f.received_settled,
            f.received_open,
        )
        for f in items
    }


D = Decimal


# --- the figures ------------------------------------------------------------------------------


def test_orders_in_the_year_and_those_left_out(uow, year):
    report = report_of(uow)
    assert report.orders == 5  # A, B, C, D, S; not I (2025) nor H (2027-04)
    assert report.excluded == {"draft": 1, "rejected": 1, "cancelled": 1}
    assert report.currencies == ["AUD", "JPY", "USD"]
    assert (report.start, report.end, report.fiscal_year) == JPN_FY2026
    assert report.generated_at == GENERATED


def test_summary_per_currency_never_added_across(uow, year):
    # Settled and open are amounts at the year's end, no longer whole orders' agreed values:
    # JPY settled is A paid (2,644,020) and B's rations replaced (740,000), open what B still
    # owes in kind (was 2,644,020 and 2,340,020); USD settled is C's 1,000.00 paid, open its
    # 2,450.00 unpaid, S owes nothing as nothing was received (was 0.00 and 3,795.00).
    assert figures(report_of(uow).summary) == {
        ("all", "AUD"): (1, D("6002.50"), D("0.00"), D("6002.50"), D("6002.50"), D("0.00")),
        ("all", "JPY"): (2, D(4984040), D(4984040), D(0), D(2644020 + 740000), D(1600020)),
        ("all", "USD"): (2, D("3795.00"), D("0.00"), D("3795.00"), D("1000.00"), D("2450.00")),
    }


def test_counts_split_by_direction_and_settlement(uow, year):
    summary = {f.currency: f for f in report_of(uow).summary}
    jpy, usd = summary["JPY"], summary["USD"]
    assert (jpy.provided_count, jpy.received_count) == (2, 0)
    # Orders with something settled, and with something still owed: B counts in both (was
    # settled 1, open 1: B all open); S in neither (was open).
    assert (jpy.settled_count, jpy.open_count) == (2, 1)
    assert (usd.settled_count, usd.open_count) == (1, 1)


def test_by_partner(uow, year):
    # As the summary: each partner here has orders in one currency only.
    assert figures(report_of(uow).by_partner) == {
        ("AUS", "AUD"): (1, D("6002.50"), D("0.00"), D("6002.50"), D("6002.50"), D("0.00")),
        ("AUS", "JPY"): (2, D(4984040), D(4984040), D(0), D(3384020), D(1600020)),
        ("USA", "USD"): (2, D("3795.00"), D("0.00"), D("3795.00"), D("1000.00"), D("2450.00")),
    }


def test_settled_and_open_are_split_by_direction(uow, year):
    assert directions(report_of(uow).by_partner) == {
        ("AUS", "AUD"): (D("0.00"), D("0.00"), D("6002.50"), D("0.00")),
        ("AUS", "JPY"): (D(3384020), D(1600020), D(0), D(0)),
        ("USA", "USD"): (D("0.00"), D("0.00"), D("1000.00"), D("2450.00")),
    }


def test_by_category_uses_line_values_at_the_accepted_quantity(uow, year):
    found = {k: v[:2] for k, v in figures(report_of(uow).by_category).items()}
    assert found == {
        # A 12,000 L and B 10,000 L accepted (of 12,000 requested), at 152 JPY
        ("fuel", "JPY"): (2, D(12000 * 152 + 10000 * 152)),
        ("food", "JPY"): (2, D(2 * 400 * 1850)),
        ("water", "JPY"): (2, D(2 * 80020)),
        ("fuel", "USD"): (2, D("3795.00")),
        ("training", "AUD"): (1, D("6002.50")),
    }


def test_by_activity(uow, year):
    found = {k: v[:2] for k, v in figures(report_of(uow).by_activity).items()}
    assert found == {
        ("disaster_response", "AUD"): (1, D("6002.50")),
        ("exercise", "JPY"): (2, D(4984040)),
        ("exercise", "USD"): (2, D("3795.00")),
    }


def test_by_category_shares_settled_and_open_among_the_lines(uow, year):
    found = {k: v[4:] for k, v in figures(report_of(uow).by_category).items()}
    assert found == {
        # A paid in full: each category settled at its received value. B: its rations were
        # replaced, so food is settled; what it still owes falls on its fuel and water.
        ("fuel", "JPY"): (D(1824000), D(10000 * 152)),
        ("food", "JPY"): (D(2 * 740000), D(0)),
        ("water", "JPY"): (D(80020), D(80020)),
        ("fuel", "USD"): (D("1000.00"), D("2450.00")),
        ("training", "AUD"): (D("6002.50"), D("0.00")),
    }


def test_settled_and_open(uow, year):
    # Was: settled JPY (1, 2,644,020) and AUD (1, 6,002.50), orders settled in full; open JPY
    # (1, 2,340,020), B's whole agreed value, and USD (2, 3,795.00), C and S whole. Now the
    # amounts at the year's end, each order counted in the rows it adds to, every currency in
    # both rows.
    report = report_of(uow)
    found = {k: v[:2] for k, v in figures(report.settled_open).items()}
    assert found == {
        ("settled", "JPY"): (2, D(2644020 + 740000)),  # A paid, B's rations replaced
        ("settled", "AUD"): (1, D("6002.50")),  # D: exchanged and closed
        ("settled", "USD"): (1, D("1000.00")),  # C: paid in part
        ("open", "JPY"): (1, D(1600020)),  # B: still owed in kind
        ("open", "AUD"): (0, D("0.00")),
        ("open", "USD"): (1, D("2450.00")),  # C's rest; S, not received, owes nothing
    }
    split = {k: (f[2], f[3]) for k, f in figures(report.settled_open).items()}
    assert split[("settled", "JPY")] == (D(3384020), D(0))  # provided, received
    assert split[("open", "USD")] == (D("0.00"), D("2450.00"))
    rows = {(f.key, f.currency): f for f in report.settled_open}
    assert (rows[("open", "USD")].open, rows[("open", "USD")].settled) == (D("2450.00"), 0)
    assert (rows[("settled", "AUD")].settled, rows[("settled", "AUD")].open) == (D("6002.50"), 0)


def test_open_is_what_the_ledger_says_is_owed_at_the_year_end(uow, year):
    """All of Japan's orders with the United States are in the year: the report's open is the
    ledger's balance on its last day. With Australia order I of 2025 is in the books but not in
    the year, and the two differ by exactly its 18,500 converted to cash and unpaid."""
    report = report_of(uow)
    end = JPN_FY2026[1]
    owed = {(p.partner, p.currency): p for p in ledger.balances(uow, "JPN", as_of=end)}
    by_partner = {(f.key, f.currency): f for f in report.by_partner}
    usa, aus = owed[("USA", "USD")], owed[("AUS", "JPY")]
    assert by_partner[("USA", "USD")].received_open == usa.owed_by_us == D("2450.00")
    assert by_partner[("USA", "USD")].provided_open == usa.owed_to_us == 0
    assert aus.owed_to_us + aus.awaiting_replacement == D(18500 + 1600020)
    assert by_partner[("AUS", "JPY")].provided_open == D(1600020)


def test_records_dated_after_the_year_are_left_out(uow, year):
    """C paid in full, and an order of the year's last weeks received, after the year ended:
    the year's report is as it stood on its last day; the next year's holds neither."""
    [usa_invoice] = settlement.list_invoices(uow, order_id=year["C"])
    handle(
        uow,
        RecordPayment(
            invoice=usa_invoice.number, amount=Decimal("2450.00"), paid=date(2027, 4, 10)
        ),
        JPN_OFFICER,
        at("2027-04-10"),
    )
    late = _received(
        uow,
        _usa_fuel("2027-03-25", "200"),
        "2027-03-25",
        JPN_OFFICER,
        USA_SUPPLY,
        received_on="2027-04-05",
    )
    report = report_of(uow)
    usd = {f.key: f for f in report.settled_open if f.currency == "USD"}
    assert (usd["settled"].value, usd["open"].value) == (D("1000.00"), D("2450.00"))
    [summary] = [f for f in report.summary if f.currency == "USD"]
    assert (summary.count, summary.value) == (3, D("3795.00") + D("690.00"))  # agreed value
    assert settlement.order_account(uow, late).received == D("690.00")
    after = report_of(uow, period=(date(2027, 4, 1), date(2028, 3, 31), "FY2027"))
    assert [f.currency for f in after.summary] == ["JPY"]  # H only: C and the late one are 2026


def test_a_short_receipt_owes_what_arrived(uow):
    """Received short of what was accepted: the value is what was agreed, open what arrived."""
    order, _ = handle(
        uow,
        PlaceOrder.from_wire(order_doc(order_date="2026-05-10", needed_by="2026-05-20")),
        AUS_OFFICER,
    )
    handle(uow, SubmitOrder(order_id=order.id), AUS_OFFICER, at("2026-05-10", 2))
    handle(uow, AcceptOrder(order_id=order.id), JPN_SUPPLY, at("2026-05-10", 3))
    handle(uow, DeliverOrder(order_id=order.id), JPN_STORES, at("2026-05-11", 4))
    handle(
        uow,
        ReceiveOrder(order_id=order.id, quantities={1: D(11000)}, note="1,000 L lost"),
        AUS_OFFICER,
        at("2026-05-11"),
    )
    [jpy] = report_of(uow).summary
    assert (jpy.value, jpy.settled, jpy.open) == (D(2644020), D(0), D(2644020 - 1000 * 152))


def test_provided_and_received(uow, year):
    assert figures(report_of(uow).provided_received) == {
        ("provided", "JPY"): (2, D(4984040), D(4984040), D(0), D(3384020), D(1600020)),
        ("received", "AUD"): (1, D("6002.50"), D("0.00"), D("6002.50"), D("6002.50"), D(0)),
        ("received", "USD"): (2, D("3795.00"), D(0), D("3795.00"), D("1000.00"), D("2450.00")),
    }


def test_monthly_value_by_partner_has_every_month(uow, year):
    report = report_of(uow)
    assert report.months == [f"2026-{m:02d}" for m in range(4, 13)] + [
        f"2027-{m:02d}" for m in range(1, 4)
    ]
    nonzero = {
        (m.partner, m.currency, m.month): (m.count, m.value) for m in report.monthly if m.count
    }
    assert nonzero == {
        ("AUS", "JPY", "2026-05"): (1, D(2644020)),
        ("AUS", "JPY", "2026-07"): (1, D(2340020)),
        ("AUS", "AUD", "2027-01"): (1, D("6002.50")),
        ("USA", "USD", "2026-08"): (1, D("3450.00")),
        ("USA", "USD", "2027-02"): (1, D("345.00")),
    }
    assert len(report.monthly) == 3 * 12


def test_balance_with_each_partner_at_month_ends(uow, year):
    points = {(b.partner, b.currency, b.day.isoformat()): b for b in report_of(uow).balances}
    aus_jpy = [points[("AUS", "JPY", day)].balance for day in _month_ends()]
    assert aus_jpy == [
        D(18500),  # April: order I of 2025, converted to cash in June, never paid
        D(18500 + 2644020),  # May: A received, not yet paid
        D(18500),  # June: A paid
        D(18500 + 2340020),  # July: B received, owed in kind
        D(18500 + 2340020),
        *[D(18500 + 1600020)] * 7,  # September on: the rations replaced
    ]
    usa = [points[("USA", "USD", day)].balance for day in _month_ends()]
    assert usa == [D("0.00")] * 4 + [D("-3450.00")] + [D("-2450.00")] * 7
    sept = points[("USA", "USD", "2026-09-30")]
    assert (sept.owed_to_us, sept.owed_by_us) == (D("0.00"), D("2450.00"))
    aud = [points[("AUS", "AUD", day)].balance for day in _month_ends()]
    assert aud == [D("0.00")] * 9 + [D("-6002.50"), D("-6002.50"), D("0.00")]
    assert len(points) == 3 * 12


def _month_ends() -> list[str]:
    return [
        "2026-04-30",
        "2026-05-31",
        "2026-06-30",
        "2026-07-31",
        "2026-08-31",
        "2026-09-30",
        "2026-10-31",
        "2026-11-30",
        "2026-12-31",
        "2027-01-31",
        "2027-02-28",
        "2027-03-31",
    ]


def test_previous_year_holds_the_older_order(uow, year):
    report = report_of(uow, period=(date(2025, 4, 1), date(2026, 3, 31), "FY2025"))
    assert report.orders == 1
    # Owed in kind all year: its conversion to cash (June 2026) is after the year's end.
    assert figures(report.summary) == {
        ("all", "JPY"): (1, D(18500), D(18500), D(0), D(0), D(18500)),
    }


def test_the_partner_sees_the_mirror_image(uow, year):
    report = report_of(uow, "AUS", (date(2026, 1, 1), date(2026, 12, 31), "FY2026"))
    assert report.orders == 2  # A and B; D is dated 2027, C and S are Japan-US
    # What Australia paid and returned in kind, and still owes (was 2,644,020 and 2,340,020).
    assert figures(report.by_partner) == {
        ("JPN", "JPY"): (2, D(4984040), D(0), D(4984040), D(3384020), D(1600020)),
    }
    assert directions(report.by_partner)[("JPN", "JPY")] == (0, 0, D(3384020), D(1600020))
    dec = {b.currency: b for b in report.balances if b.day == date(2026, 12, 31)}
    assert set(dec) == {"JPY"}  # nothing owed in AUD during 2026
    assert dec["JPY"].balance == D(-(18500 + 1600020))


def test_a_year_without_orders_still_shows_what_is_owed(uow, year):
    report = report_of(uow, period=(date(2030, 4, 1), date(2031, 3, 31), "FY2030"))
    assert report.orders == 0
    assert report.summary == report.by_partner == report.monthly == []
    assert report.excluded == {"draft": 0, "rejected": 0, "cancelled": 0}
    assert {(b.partner, b.currency) for b in report.balances} == {("AUS", "JPY"), ("USA", "USD")}
    assert report.currencies == ["JPY", "USD"]


def test_progress_is_reported_to_the_end(uow, year):
    heard: list[tuple[int, int]] = []
    annual_report(uow, "JPN", *JPN_FY2026, progress=lambda d, t: heard.append((d, t)))
    assert heard == [(n, 14) for n in range(1, 15)]


@pytest.mark.parametrize(
    ("nation", "start", "end", "code"),
    [
        ("XXX", date(2026, 4, 1), date(2027, 3, 31), "UNKNOWN_PARTY"),
        ("JP", date(2026, 4, 1), date(2027, 3, 31), "UNKNOWN_PARTY"),
        ("JPN", date(2027, 4, 1), date(2026, 3, 31), "INVALID_DATE"),
    ],
)
def test_bad_input_is_refused_with_a_code(uow, nation, start, end, code):
    with pytest.raises(AcsaError) as refused:
        annual_report(uow, nation, start, end, "FY")
    assert refused.value.codes == [code]


def test_the_nation_is_read_in_any_case(uow, year):
    assert report_of(uow, " jpn ").nation == "JPN"


# --- the order form ---------------------------------------------------------------------------


def test_order_form_carries_every_field(uow, year):
    form = order_form(uow, year["A"], now=GENERATED)
    assert form.order.id == year["A"]
    assert form.order.partner_reference == "ADF-PB-0042"
    assert (form.agreement_version, form.agreement_label) == (2, "2017 text")
    assert form.forces["AUS"] == "Australian Defence Force"
    assert form.requesting_official == AUS_OFFICER
    assert form.supplying_official == JPN_SUPPLY
    assert form.delivered_on == date(2026, 5, 10)
    # AUS, the requester, converts the yen into its own AUD at the day's reference rate; none
    # is stored here, and the form says so rather than leaving the rate blank.
    assert form.rate.startswith("no rate known: no reference rate for JPY per EUR on 2026-05-10")
    assert (form.rate_date, form.rate_source) == (
        None,
        "none (AUS converts by its daily_reference rule)",
    )
    assert [ln.nsn for ln in form.lines] == ["9130-01-031-5816", None, None]
    assert [ln.provided for ln in form.lines] == [D(12000), D(400), D("2000.5")]
    # the conditions of use of the 2017 text, as its source says them (prior consent, not
    # "written" consent); the order attests its reason for cash
    assert form.use_conditions == [
        "Use consistent with the Charter of the United Nations.",
        "No transfer to a third party without the supplying government's prior consent.",
    ]
    assert [(f.label, f.value) for f in form.attestations] == [
        ("Reason for cash", order_doc()["cash_reason"])
    ]
    assert [(s.role, s.name, s.at) for s in form.signatures] == [
        ("Requesting official (order)", AUS_OFFICER, at("2026-05-10", 2)),
        ("Supplier's acceptance", JPN_SUPPLY, at("2026-05-10", 3)),
        ("Supplier's delivery", JPN_STORES, at("2026-05-10", 4)),
        ("Receipt", AUS_OFFICER, at("2026-05-10", 5)),
        # the order is not closed yet: its certifying official's block is empty
        ("Certifying official (order closed)", None, None),
    ]
    assert [(d.kind, d.reference, d.amount) for d in form.documents] == [
        ("invoice", form.invoices[0].number, D(2644020)),
        ("payment", "EFT 7781", D(2644020)),
    ]
    assert form.account is not None
    assert form.account.settled


def test_order_form_of_an_in_kind_order_shows_what_was_returned(uow, year):
    form = order_form(uow, year["B"], now=GENERATED)
    assert [ln.accepted for ln in form.lines] == [D(10000), D(400), D("2000.5")]
    assert [ln.returned for ln in form.lines] == [D(0), D(400), D(0)]
    assert [(d.kind, d.amount) for d in form.documents] == [("replacement", D(740000))]
    assert form.account is not None
    assert form.account.awaiting_replacement == D(1600020)


def test_order_form_of_an_unsigned_order_leaves_the_blocks_empty(uow, year):
    form = order_form(uow, year["E"], now=GENERATED)
    assert all(s.name is None and s.at is None for s in form.signatures)
    assert form.requesting_official is None
    assert form.documents == []
