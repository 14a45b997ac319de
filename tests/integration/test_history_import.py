"""Importing history files on a real database (SQLite file and PostgreSQL): the shipped sample
imports exactly as the live services would have recorded the same orders, the books balance,
and a bad file, or a file imported before, writes nothing."""

from __future__ import annotations

import csv
from collections.abc import Callable
from datetime import UTC, date, datetime, time
from decimal import Decimal
from functools import cache
from importlib import resources
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import Engine, text

from acsa.adapters.db import history_writer, tables
from acsa.adapters.db.unit_of_work import UnitOfWork
from acsa.adapters.fx_file import RateFile, bundled_history
from acsa.adapters.history_csv import OrderRecord, csv_rows, read_orders
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
from acsa.domain.ledger import Balances
from acsa.domain.order import OrderStatus
from acsa.services import history_import, orders, rates, settlement
from acsa.services.handlers import handle
from acsa.services.history_import import import_history
from tests.integration.dump import content

SAMPLE = Path(str(resources.files("acsa.data").joinpath("history-sample.csv")))
ACTOR = "import history-sample.csv"
#: The registry tables differ between two loads only in when they were loaded.
REGISTRY = {"agreements", "agreement_versions"}
#: The audit log differs by design: one record for an import, one per action when live; the
#: reference rates are what the live replay needs to check the US annual ceilings.
NOT_REPLAYED = {"audit_log", "fx_rates"}


@cache
def _replay_rates() -> tuple[RateFile, RateFile]:
    """The ECB rates for USD and JPY the live replay converts with: accepting an order the
    United States requests is checked against its annual ceilings in USD (10 U.S.C. 2347).
    The bundled history ends before the sample's last US order (2026-11-16), so its last day's
    rates are carried to that day, and said so."""
    history = bundled_history()
    wanted = {"USD", "JPY"}
    first = date(2019, 9, 1)
    kept = tuple(r for r in history.rates if r[0] >= first and r[1] in wanted)
    days = tuple(d for d in history.days if d >= first)
    ecb = RateFile(history.source, kept, days, ("USD", "JPY"))
    last = history.days[-1]
    carried_to = date(2026, 11, 16)
    assert last < carried_to, "a newer bundle: carry no rates"
    carried = RateFile(
        f"{history.source}: its {last} rates carried to {carried_to} for this test",
        tuple((carried_to, c, v) for d, c, v in kept if d == last),
        (carried_to,),
        ("USD", "JPY"),
    )
    return ecb, carried


def add_replay_rates(uow: UnitOfWork) -> None:
    for batch in _replay_rates():
        rates.import_rates(uow, batch, actor="test")


def sample_rows() -> list[dict[str, str]]:
    with SAMPLE.open(encoding="utf-8", newline="") as stream:
        return list(csv.DictReader(stream))


def write_csv(path: Path, rows: list[dict[str, str]], header: list[str] | None = None) -> Path:
    names = header or list(rows[0])
    with path.open("w", encoding="utf-8", newline="") as stream:
        writer = csv.DictWriter(stream, names, extrasaction="ignore")
        writer.writeheader()
        writer.writerows(rows)
    return path


def records() -> list[OrderRecord]:
    with SAMPLE.open(encoding="utf-8", newline="") as stream:
        found = list(read_orders(csv_rows(stream)))
    assert all(isinstance(r, OrderRecord) for r in found)
    return found  # type: ignore[return-value]


def orders_content(engine: Engine) -> dict[str, list[tuple[Any, ...]]]:
    """Every row but the registry's, as the driver returns it: the text SQLite stores for
    dates, moments and JSON is compared as stored, not as read back into Python values."""
    found: dict[str, list[tuple[Any, ...]]] = {}
    with engine.connect() as conn:
        for table in tables.metadata.sorted_tables:
            if table.name not in REGISTRY | NOT_REPLAYED:
                # An order's uid is random wherever it is made: compared as present only.
                names = ", ".join(
                    f"{c.name} IS NOT NULL" if c.name == "uid" else c.name for c in table.columns
                )
                rows = conn.exec_driver_sql(f"SELECT {names} FROM {table.name}").all()
                found[table.name] = sorted((tuple(map(repr, r)) for r in rows), key=str)
    return found


def empty_orders(engine: Engine) -> None:
    """Remove everything but the registry, so ids start again from 1."""
    names = [t.name for t in reversed(tables.metadata.sorted_tables) if t.name not in REGISTRY]
    with engine.begin() as conn:
        if engine.dialect.name == "postgresql":
            conn.execute(text(f"TRUNCATE {', '.join(names)} RESTART IDENTITY"))
        else:
            for name in names:
                conn.execute(text(f"DELETE FROM {name}"))


# --- the same orders through the live services ------------------------------------------------


def noon(day: date) -> datetime:
    return datetime.combine(day, time(12, tzinfo=UTC))


def _dates(r: OrderRecord) -> list[date]:
    names = [
        "order_date",
        "accepted_on",
        "delivered_on",
        "received_on",
        "invoiced_on",
        "paid_on",
        "replaced_on",
        "exchanged_on",
        "converted_on",
        "closed_on",
    ]
    return [d for n in names if (d := getattr(r, n)) is not None]


def drive(uow: UnitOfWork, r: OrderRecord) -> None:
    """Play one record through the services, as people would have at the time."""
    doc = {
        "agreement": r.agreement,
        "requester": r.requester,
        "supplier": r.supplier,
        "activity": r.activity,
        "settlement": r.settlement,
        "order_date": r.order_date.isoformat(),
        "needed_by": r.needed_by.isoformat(),
        "location": r.location,
        "operation": r.operation,
        "cash_reason": r.cash_reason or None,
        "partner_reference": r.ref,
        "lines": [
            {
                "category": ln.category,
                "description": ln.description,
                "nsn": ln.nsn,
                "quantity": str(ln.quantity),
                "unit": ln.unit,
                "unit_price": str(ln.unit_price),
                "currency": ln.currency,
            }
            for ln in r.lines
        ],
    }
    order, _ = handle(uow, PlaceOrder.from_wire(doc), ACTOR, noon(r.order_date))
    oid = order.id
    assert oid is not None
    status = r.status
    if status is OrderStatus.DRAFT:
        return
    handle(uow, SubmitOrder(order_id=oid), ACTOR, noon(r.order_date))
    answered = noon(r.accepted_on or r.order_date)
    if status is OrderStatus.REJECTED:
        handle(uow, RejectOrder(order_id=oid, reason=r.reason), ACTOR, answered)
        return
    if status is OrderStatus.SUBMITTED:
        return
    if status is OrderStatus.CANCELLED and r.accepted_on is None:
        handle(
            uow,
            CancelOrder(order_id=oid, reason=r.reason),
            ACTOR,
            noon(r.closed_on or max(_dates(r))),
        )
        return
    accepted = {
        n: ln.quantity_accepted
        for n, ln in enumerate(r.lines, 1)
        if ln.quantity_accepted is not None
    }
    handle(uow, AcceptOrder(order_id=oid, quantities=accepted or None), ACTOR, answered)
    if status is OrderStatus.CANCELLED:
        handle(
            uow,
            CancelOrder(order_id=oid, reason=r.reason),
            ACTOR,
            noon(r.closed_on or max(_dates(r))),
        )
        return
    if status is OrderStatus.ACCEPTED:
        return
    delivered = {
        n: q
        for n, ln in enumerate(r.lines, 1)
        if (
            q := ln.quantity_delivered
            if ln.quantity_delivered is not None
            else accepted.get(n, ln.quantity)
        )
        > 0
    }
    day = r.delivered_on or r.received_on or r.accepted_on or r.order_date
    handle(uow, DeliverOrder(order_id=oid, quantities=delivered), ACTOR, noon(day))
    if status in (OrderStatus.PARTIALLY_DELIVERED, OrderStatus.DELIVERED):
        return
    assert r.received_on is not None
    received = {
        n: ln.quantity_received
        if ln.quantity_received is not None
        else delivered.get(n, Decimal(0))
        for n, ln in enumerate(r.lines, 1)
    }
    handle(
        uow,
        ReceiveOrder(order_id=oid, quantities=received, note=r.receipt_note),
        ACTOR,
        noon(r.received_on),
    )
    settle(uow, r, oid, received)
    if status is OrderStatus.CLOSED:
        handle(uow, CloseOrder(order_id=oid), ACTOR, noon(r.closed_on or max(_dates(r))))


def settle(uow: UnitOfWork, r: OrderRecord, oid: int, received: dict[int, Decimal]) -> None:
    invoice: list[str] = []

    def replace(day: date) -> None:
        lines = [
            {
                "line": n,
                "category": ln.category,
                "nsn": ln.nsn,
                "quantity": str(q),
                "description": ln.description,
            }
            for n, ln in enumerate(r.lines, 1)
            if (q := ln.replaced_quantity if ln.replaced_quantity is not None else received[n])
        ]
        handle(
            uow,
            ReturnInKind.from_wire({"lines": lines, "date": day.isoformat()}, order_id=oid),
            ACTOR,
            noon(day),
        )

    def exchange(day: date) -> None:
        line = {"category": "", "description": r.exchanged_for, "value": str(r.exchanged_value)}
        doc = {"lines": [line], "agreed_by": r.agreed_by, "date": day.isoformat()}
        handle(uow, ExchangeEqualValue.from_wire(doc, order_id=oid), ACTOR, noon(day))

    def convert(day: date) -> None:
        swept = settlement.sweep(uow, ACTOR, as_of=day, now=noon(day))
        assert [c.order for c in swept.converted] == [oid]
        invoice.append(swept.converted[0].invoice)

    def issue(day: date) -> None:
        invoice.append(handle(uow, IssueInvoice(order_id=oid, issued=day), ACTOR, noon(day)).number)

    def pay(day: date) -> None:
        unpaid = settlement.get_invoice(uow, invoice[-1]).unpaid
        amount = r.paid_amount if r.paid_amount is not None else unpaid
        handle(
            uow,
            RecordPayment(
                invoice=invoice[-1], amount=amount, paid=day, reference=r.payment_reference
            ),
            ACTOR,
            noon(day),
        )

    steps: list[tuple[date | None, int, Callable[[date], None]]] = [
        (r.replaced_on, 0, replace),
        (r.exchanged_on, 1, exchange),
        (r.converted_on, 2, convert),
        (r.invoiced_on, 3, issue),
        (r.paid_on, 4, pay),
    ]
    for day, _rank, step in sorted((s for s in steps if s[0]), key=lambda s: (s[0], s[1])):
        assert day is not None
        step(day)


# --- the sample -------------------------------------------------------------------------------


def test_sample_imports_exactly_as_the_live_services_would_have_recorded_it(engine, uow):
    report = import_history(uow, SAMPLE)
    assert report.orders == 15
    imported = orders_content(engine)
    empty_orders(engine)
    add_replay_rates(uow)
    for record in records():
        drive(uow, record)
    assert orders_content(engine) == imported


def test_drafts_and_orders_cancelled_before_acceptance_import_as_live(engine, uow, tmp_path):
    rows = sample_rows()
    _edit(rows, "RN-RICHMOND-21-2", status="draft", accepted_on="", reason="")
    _edit(rows, "RAAF-BG19-003", accepted_on="")
    path = write_csv(tmp_path / "history-sample.csv", rows)
    assert import_history(uow, path).by_status["draft"] == 1
    imported = orders_content(engine)
    empty_orders(engine)
    add_replay_rates(uow)
    with path.open(encoding="utf-8", newline="") as stream:
        for record in read_orders(csv_rows(stream)):
            assert isinstance(record, OrderRecord)
            drive(uow, record)
    assert orders_content(engine) == imported


def test_small_batches_and_id_blocks_write_the_same_rows(engine, uow, monkeypatch):
    import_history(uow, SAMPLE)
    whole = orders_content(engine)
    empty_orders(engine)
    monkeypatch.setattr(history_writer, "FLUSH_ROWS", 7)
    monkeypatch.setattr(history_writer, "ID_BLOCK", 3)
    progress: list[int] = []
    monkeypatch.setattr(history_import, "PROGRESS_EVERY", 4)
    import_history(uow, SAMPLE, progress=progress.append)
    assert orders_content(engine) == whole
    assert progress == [9, 16, 21]  # data rows read after the 4th, 8th and 12th order


def test_sample_covers_every_state_history_can_hold(uow):
    report = import_history(uow, SAMPLE)
    assert report.by_status == {
        "accepted": 1,
        "cancelled": 1,
        "closed": 5,
        "delivered": 1,
        "partially_delivered": 1,
        "partially_received": 1,
        "received": 3,
        "rejected": 1,
        "submitted": 1,
    }
    assert report.actor == ACTOR
    assert (report.rows["invoices"], report.rows["payments"], report.rows["settlements"]) == (
        6,
        4,
        4,
    )


def _by_ref(uow: UnitOfWork, ref: str) -> int:
    found = [o.id for o in orders.list_orders(uow) if o.partner_reference == ref]
    assert len(found) == 1
    assert found[0] is not None
    return found[0]


def test_quantities_discrepancies_and_what_is_owed_are_kept(uow):
    import_history(uow, SAMPLE)
    rising_thunder = orders.get_order(uow, _by_ref(uow, "JGSDF-RT23-031"))
    assert rising_thunder.lines[2].quantity_short == Decimal(50)
    assert rising_thunder.history[-1].details["note"].startswith("50 meals damaged")
    assert [e.actor for e in rising_thunder.history] == [ACTOR] * 5
    account = settlement.order_account(uow, rising_thunder.id or 0)
    assert (account.received, account.paid, account.owed_in_cash) == (
        Decimal("165087.50"),
        Decimal("125000.00"),
        Decimal("40087.50"),
    )
    jimex = settlement.order_account(uow, _by_ref(uow, "IN-JIMEX25-02"))
    assert jimex.awaiting_replacement == Decimal(80000 * 125)
    pacific_skies = settlement.order_account(uow, _by_ref(uow, "GAF-PS24-019"))
    assert (pacific_skies.converted, pacific_skies.paid, pacific_skies.settled) == (
        Decimal(350000 * 135),
        Decimal(350000 * 135),
        True,
    )
    talisman = orders.get_order(uow, _by_ref(uow, "JGSDF-TS25-114"))
    assert talisman.status is OrderStatus.PARTIALLY_RECEIVED
    assert talisman.lines[1].quantity_received == Decimal(250)
    accepted = orders.get_order(uow, _by_ref(uow, "USN-CTF73-2026-0412"))
    assert accepted.lines[0].quantity_accepted == Decimal(450000)


def test_books_balance_and_running_balances_equal_a_recompute(uow):
    import_history(uow, SAMPLE)
    with uow:
        running = sorted(uow.ledger.running_balances(), key=str)
        recomputed = sorted(uow.ledger.balances_from_postings(), key=str)
        book = Balances()
        for nation in {b for b, _p, _a, _m in running}:
            for entry in uow.ledger.entries(nation):
                book.post(entry)
    assert running == recomputed
    assert book.is_balanced()
    assert len(running) > 0


# --- refusals ---------------------------------------------------------------------------------


def _edit(rows: list[dict[str, str]], ref: str, line: int = 0, **changes: str) -> None:
    matching = [r for r in rows if r["order_ref"] == ref]
    matching[line].update(changes)


BAD_FILES: list[tuple[str, Callable[[list[dict[str, str]]], None], str, str]] = [
    (
        "price not a number",
        lambda rows: _edit(rows, "USN-7FLT-2022-1183", 1, unit_price="35O"),
        "INVALID_PRICE",
        "row 5: unit_price",
    ),
    (
        "price finer than the currency",
        lambda rows: _edit(rows, "RN-SPEY-2023-004", 0, unit_price="185000.5"),
        "INVALID_PRICE",
        "row 9: unit_price",
    ),
    (
        "negative quantity",
        lambda rows: _edit(rows, "JGSDF-RT23-031", 2, quantity="-3000"),
        "INVALID_QUANTITY",
        "row 8: quantity",
    ),
    (
        "unknown currency",
        lambda rows: _edit(rows, "RCN-NEON-2023-12", currency="YEN"),
        "UNKNOWN_CURRENCY",
        "row 11: currency",
    ),
    (
        "unknown agreement",
        lambda rows: _edit(rows, "FASF-PEGASE-2023", agreement="JPN-ESP"),
        "AGREEMENT_NOT_FOUND",
        "row 12: agreement",
    ),
    (
        "not a date",
        lambda rows: _edit(rows, "GAF-PS24-019", received_on="26/07/2024"),
        "INVALID_DATE",
        "row 20: received_on",
    ),
    (
        "paid before invoiced",
        lambda rows: _edit(rows, "AUS-HR-2022-0007", paid_on="2022-02-01"),
        "INVALID_DATE",
        "row 2: paid_on",
    ),
    (
        "weapons are excluded by the agreement",
        lambda rows: _edit(rows, "USN-7FLT-2022-1183", 1, category="weapons"),
        "CATEGORY_EXCLUDED",
        "row 5: category",
    ),
    (
        "agreement not in force on the order date",
        lambda rows: _edit(
            rows, "RCN-NEON-2023-12", order_date="2019-03-01", needed_by="2019-03-05"
        ),
        "AGREEMENT_NOT_IN_FORCE",
        "row 11: order_date",
    ),
    (
        "status that the quantities contradict",
        lambda rows: _edit(rows, "USMC-RD26-077", status="partially_delivered"),
        "INVALID_INPUT",
        "row 18: status",
    ),
    (
        "received more than delivered",
        lambda rows: _edit(rows, "JGSDF-RT23-031", 2, quantity_received="3001"),
        "QUANTITY_EXCEEDS_DELIVERED",
        "row 8: quantity_received",
    ),
    (
        "overpayment",
        lambda rows: _edit(rows, "JGSDF-RT23-031", paid_amount="200000.00"),
        "OVERPAYMENT",
        "row 6: paid_amount",
    ),
    (
        "closed but still owing",
        lambda rows: _edit(rows, "AUS-HR-2022-0007", paid_amount="1000.00"),
        "NOT_SETTLED",
        "row 2: status",
    ),
    (
        "replacement of more than received",
        lambda rows: _edit(rows, "IN-JIMEX25-02", replaced_quantity="200001"),
        "REPLACEMENT_EXCEEDS_OWED",
        "row 14: replaced_quantity",
    ),
    (
        "replacement on an order settled in cash",
        lambda rows: _edit(rows, "RN-SPEY-2023-004", replaced_on="2023-08-01"),
        "SETTLEMENT_METHOD_MISMATCH",
        "row 9: replaced_on",
    ),
    (
        "conversion before the deadline",
        lambda rows: _edit(rows, "GAF-PS24-019", converted_on="2025-07-01"),
        "INVALID_DATE",
        "row 20: converted_on",
    ),
    (
        "received on an order only accepted",
        lambda rows: _edit(rows, "USN-CTF73-2026-0412", received_on="2026-11-19"),
        "INVALID_INPUT",
        "row 23: received_on",
    ),
    (
        "an order's lines that disagree on its agreement",
        lambda rows: _edit(rows, "JGSDF-RT23-031", 1, agreement="JPN-AUS"),
        "INVALID_INPUT",
        "row 7: agreement",
    ),
    (
        "an order's lines not on consecutive rows",
        lambda rows: rows.append(dict(rows[0])),
        "INVALID_INPUT",
        "row 28: order_ref",
    ),
]


@pytest.mark.parametrize(
    ("change", "code", "field"),
    [pytest.param(c, code, f, id=name) for name, c, code, f in BAD_FILES],
)
def test_a_bad_row_refuses_the_file_naming_row_and_column_and_writes_nothing(
    engine, uow, tmp_path, change, code, field
):
    rows = sample_rows()
    change(rows)
    path = write_csv(tmp_path / "history.csv", rows)
    before = content(engine)
    with pytest.raises(AcsaError) as refused:
        import_history(uow, path)
    assert [(v.code.value, v.field) for v in refused.value.violations] == [(code, field)]
    assert content(engine) == before


def test_a_bad_header_is_refused_before_any_row(engine, uow, tmp_path):
    rows = sample_rows()
    header = [n for n in rows[0] if n != "unit_price"] + ["colour"]
    path = write_csv(tmp_path / "history.csv", rows, header)
    before = content(engine)
    with pytest.raises(AcsaError) as refused:
        import_history(uow, path)
    assert sorted((v.code.value, v.field) for v in refused.value.violations) == [
        ("INVALID_INPUT", "row 1: colour"),
        ("MISSING_FIELD", "row 1: unit_price"),
    ]
    assert content(engine) == before


def test_every_problem_of_a_file_is_reported_at_once(engine, uow, tmp_path):
    rows = sample_rows()
    _edit(rows, "AUS-HR-2022-0007", 0, quantity="lots")
    _edit(rows, "RAAF-BG19-003", activity="tourism")
    path = write_csv(tmp_path / "history.csv", rows)
    with pytest.raises(AcsaError) as refused:
        import_history(uow, path)
    assert [(v.code.value, v.field) for v in refused.value.violations] == [
        ("INVALID_QUANTITY", "row 2: quantity"),
        ("ACTIVITY_NOT_COVERED", "row 22: activity"),
    ]
    assert orders_content(engine)["orders"] == []


def test_a_problem_late_in_the_file_undoes_everything_before_it(engine, uow, tmp_path):
    rows = sample_rows()  # 600 good orders, then a bad one
    big = [dict(r, order_ref=f"{r['order_ref']}#{n}") for n in range(40) for r in rows]
    big.append(dict(rows[0], order_ref="LAST", unit_price="-1"))
    path = write_csv(tmp_path / "history.csv", big)
    before = content(engine)
    with pytest.raises(AcsaError) as refused:
        import_history(uow, path)
    assert refused.value.codes == ["INVALID_PRICE"]
    assert content(engine) == before


def test_importing_the_same_file_twice_is_refused_and_writes_nothing(engine, uow):
    import_history(uow, SAMPLE)
    before = content(engine)
    with pytest.raises(AcsaError) as refused:
        import_history(uow, SAMPLE)
    first = refused.value.violations[0]
    assert (first.code.value, first.field) == ("INVALID_INPUT", "row 2: order_ref")
    assert "stored already" in first.message
    assert content(engine) == before


# --- invoice numbers --------------------------------------------------------------------------


def _one_cash_order(rows: list[dict[str, str]]) -> list[dict[str, str]]:
    return [r for r in rows if r["order_ref"] == "RN-SPEY-2023-004"]


def test_a_given_invoice_number_is_kept_and_acsa_numbering_goes_on_after_it(uow, tmp_path):
    rows = _one_cash_order(sample_rows())
    rows[0]["invoice_number"] = "JPN-2023-000041"
    import_history(uow, write_csv(tmp_path / "history.csv", rows))
    [stored] = settlement.list_invoices(uow)
    assert stored.number == "JPN-2023-000041"
    oid, _ = handle(uow, PlaceOrder.from_wire(_spey_doc()), "Lt Sato", noon(date(2023, 8, 1)))
    for step in (SubmitOrder, AcceptOrder, DeliverOrder, ReceiveOrder):
        handle(uow, step(order_id=oid.id or 0), "x", noon(date(2023, 8, 2)))
    live = handle(uow, IssueInvoice(order_id=oid.id or 0, issued=date(2023, 8, 3)), "fin")
    assert live.number == "JPN-2023-000042"


def _spey_doc() -> dict[str, Any]:
    return {
        "agreement": "JPN-GBR",
        "requester": "GBR",
        "supplier": "JPN",
        "activity": "routine",
        "settlement": "cash",
        "order_date": "2023-08-01",
        "needed_by": "2023-08-02",
        "location": "JMSDF Yokosuka",
        "cash_reason": "Water used alongside; the ship carries no like stock to return in Japan",
        "lines": [
            {
                "category": "water",
                "description": "Potable water",
                "quantity": "10",
                "unit": "M3",
                "unit_price": "350",
                "currency": "JPY",
            }
        ],
    }


def test_a_used_or_past_invoice_number_is_refused(engine, uow, tmp_path):
    first = _one_cash_order(sample_rows())
    first[0]["invoice_number"] = "GBR-INV-7"
    import_history(uow, write_csv(tmp_path / "first.csv", first))
    again = [dict(r, order_ref="RN-SPEY-2023-005") for r in _one_cash_order(sample_rows())]
    again[0]["invoice_number"] = "GBR-INV-7"
    before = content(engine)
    with pytest.raises(AcsaError) as refused:
        import_history(uow, write_csv(tmp_path / "again.csv", again))
    assert (refused.value.codes, refused.value.violations[0].field) == (
        ["INVALID_INPUT"],
        "row 2: invoice_number",
    )
    again[0]["invoice_number"] = "JPN-2023-000000"
    with pytest.raises(AcsaError) as refused:
        import_history(uow, write_csv(tmp_path / "again.csv", again))
    assert "acsa's own numbering" in refused.value.violations[0].message
    assert content(engine) == before


# --- settlement per kind of support ------------------------------------------------------------


def test_cash_for_supplies_outside_the_us_text_needs_its_reason_and_keeps_it(engine, uow, tmp_path):
    rows = _one_cash_order(sample_rows())
    reason = rows[0]["cash_reason"]
    assert reason, "the sample gives its reason"
    rows[0]["cash_reason"] = ""
    before = content(engine)
    with pytest.raises(AcsaError) as refused:
        import_history(uow, write_csv(tmp_path / "no-reason.csv", rows))
    assert [(v.code.value, v.field) for v in refused.value.violations] == [
        ("CASH_REASON_REQUIRED", "row 2: cash_reason")
    ]
    assert content(engine) == before

    rows[0]["cash_reason"] = reason
    import_history(uow, write_csv(tmp_path / "with-reason.csv", rows))
    [stored] = orders.list_orders(uow)
    assert orders.get_order(uow, stored.id or 0).attestations.cash_reason == reason


def test_an_equal_value_exchange_of_goods_outside_the_us_text_is_refused(engine, uow, tmp_path):
    rows = [r for r in sample_rows() if r["order_ref"] == "FASF-PEGASE-2023"]
    _edit(rows, "FASF-PEGASE-2023", category="fuel", description="JP-8 aviation turbine fuel")
    with pytest.raises(AcsaError) as refused:
        import_history(uow, write_csv(tmp_path / "goods-exchanged.csv", rows))
    [violation] = refused.value.violations
    assert (violation.code.value, violation.field) == (
        "SETTLEMENT_METHOD_NOT_ALLOWED",
        "row 2: category",
    )
    assert "JPN-FRA 2018 text" in (violation.clause or "")
