"""Settlement through ``handle`` on the in-memory unit of work: receipts in both books,
invoices and payments, replacement in kind, equal value exchange, conversion past the deadline
and closing; every refusal writes nothing and over-settlement is refused. The same scenarios
run on SQLite and PostgreSQL in tests/integration/test_settlement.py."""

from __future__ import annotations

from collections import defaultdict
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from functools import cache
from typing import Any

import pytest

from acsa.adapters.fx_file import bundled_history
from acsa.commands import (
    AcceptOrder,
    CloseOrder,
    Command,
    ConvertToCash,
    DeliverOrder,
    ExchangeEqualValue,
    IssueInvoice,
    PlaceOrder,
    ReceiveOrder,
    RecordPayment,
    ReturnInKind,
    SubmitOrder,
)
from acsa.domain.errors import AcsaError
from acsa.domain.fx import Rate
from acsa.domain.ledger import Account
from acsa.services import orders, settlement
from acsa.services.handlers import handle
from tests.fakes import FakeUnitOfWork, Tables
from tests.orders_data import order_doc
from tests.settlement_data import (
    FUEL_NSN,
    ORDER_VALUE,
    RECEIVED_AT,
    SERVICES,
    SERVICES_VALUE,
)

AIRLIFT = {
    "category": "transportation",
    "description": "C-2 airlift Naha-Darwin",
    "quantity": "1",
    "unit": "sortie",
    "value": "2000000",
}


@cache
def usd_jpy_rates() -> tuple[Rate, ...]:
    """The ECB's USD and JPY rates of the bundled history from 2016 (the US ceilings)."""
    history = bundled_history()
    return tuple(
        Rate(day, currency, Decimal(per_eur), history.source)
        for day, currency, per_eur in history.rates
        if day >= date(2016, 1, 1) and currency in ("USD", "JPY")
    )


def act(uow: FakeUnitOfWork, command: Command, at: datetime = RECEIVED_AT) -> Any:
    return handle(uow, command, actor="fin", at=at)


def received_order(uow: FakeUnitOfWork, at: datetime = RECEIVED_AT, **changes: Any) -> int:
    order, _ = handle(
        uow, PlaceOrder.from_wire(order_doc(**changes)), "Lt Sato", at - timedelta(days=5)
    )
    handle(uow, SubmitOrder(order_id=order.id), "Capt. Smith", at - timedelta(days=4))
    handle(uow, AcceptOrder(order_id=order.id), "Cdr Tanaka", at - timedelta(days=3))
    handle(uow, DeliverOrder(order_id=order.id), "PO Ito", at - timedelta(days=1))
    handle(uow, ReceiveOrder(order_id=order.id), "Sgt Lee", at)
    return int(order.id)


def balance(uow: FakeUnitOfWork, book: str, partner: str, account: Account) -> Decimal:
    with uow:
        found = {(b, p, a): m.amount for b, p, a, m in uow.ledger.running_balances(book, partner)}
    return found.get((book, partner, account), Decimal(0))


def refused(uow: FakeUnitOfWork, command: Command, at: datetime = RECEIVED_AT) -> list[str]:
    """The codes ``command`` is refused with; the committed tables must not have changed."""
    before = uow.snapshot()
    with pytest.raises(AcsaError) as error:
        act(uow, command, at)
    assert uow.snapshot() == before, "a refused action wrote something"
    return error.value.codes


def books_balance(uow: FakeUnitOfWork) -> None:
    """Every entry balances, and each pair's cash and in-kind debts mirror each other."""
    sums: dict[tuple[str, str, str], Decimal] = defaultdict(Decimal)
    for entry in uow.committed.entries:
        for p in entry.postings:
            sums[(entry.book, entry.partner, p.account.value)] += p.amount.amount
    for (book, partner, account), amount in sums.items():
        mirror = {
            "receivable_cash": "payable_cash",
            "receivable_in_kind": "payable_in_kind",
        }.get(account)
        if mirror is not None:
            assert sums[(partner, book, mirror)] == -amount


def test_receipt_posts_a_receivable_and_a_payable_valued_at_what_was_received(
    uow: FakeUnitOfWork,
) -> None:
    order_id = received_order(uow)
    assert balance(uow, "JPN", "AUS", Account.RECEIVABLE_CASH) == ORDER_VALUE
    assert balance(uow, "AUS", "JPN", Account.PAYABLE_CASH) == -ORDER_VALUE
    assert balance(uow, "JPN", "AUS", Account.SUPPORT_PROVIDED) == -ORDER_VALUE
    assert balance(uow, "AUS", "JPN", Account.SUPPORT_RECEIVED) == ORDER_VALUE
    assert settlement.order_account(uow, order_id).received == ORDER_VALUE
    books_balance(uow)


def test_short_receipt_is_valued_at_what_arrived(uow: FakeUnitOfWork) -> None:
    order, _ = act(uow, PlaceOrder.from_wire(order_doc()))
    for command in (SubmitOrder, AcceptOrder, DeliverOrder):
        act(uow, command(order_id=order.id))
    act(uow, ReceiveOrder(order_id=order.id, quantities={1: Decimal(11000)}))
    assert balance(uow, "JPN", "AUS", Account.RECEIVABLE_CASH) == ORDER_VALUE - 1000 * 152


def test_invoice_is_numbered_per_issuer_and_year_and_due_after_the_term(
    uow: FakeUnitOfWork,
) -> None:
    first = act(uow, IssueInvoice(order_id=received_order(uow), issued=date(2026, 3, 11)))
    second = act(uow, IssueInvoice(order_id=received_order(uow), issued=date(2026, 3, 12)))
    assert (first.number, second.number) == ("JPN-2026-000001", "JPN-2026-000002")
    assert first.due == date(2026, 4, 10)  # 30 days, the registry's default term
    assert (first.amount, first.currency, first.order) == (ORDER_VALUE, "JPY", 1)
    assert [i.number for i in settlement.list_invoices(uow, party="AUS")] == [
        "JPN-2026-000001",
        "JPN-2026-000002",
    ]


def test_nothing_left_to_invoice_is_refused_and_takes_no_number(uow: FakeUnitOfWork) -> None:
    order_id = received_order(uow)
    act(uow, IssueInvoice(order_id=order_id))
    assert refused(uow, IssueInvoice(order_id=order_id)) == ["NOTHING_TO_INVOICE"]
    assert uow.committed.counters == {"invoice:JPN:2026": 1}


def test_an_order_not_yet_received_has_nothing_to_invoice(uow: FakeUnitOfWork) -> None:
    order, _ = act(uow, PlaceOrder.from_wire(order_doc()))
    assert refused(uow, IssueInvoice(order_id=order.id)) == ["NOTHING_TO_INVOICE"]


def test_partial_payments_then_overpayment_refused(uow: FakeUnitOfWork) -> None:
    invoice = act(uow, IssueInvoice(order_id=received_order(uow), issued=date(2026, 3, 11)))
    pay = RecordPayment(invoice=invoice.number, amount=Decimal(1000000), paid=date(2026, 4, 1))
    assert act(uow, pay).unpaid == ORDER_VALUE - 1000000
    too_much = RecordPayment(invoice=invoice.number, amount=ORDER_VALUE, paid=date(2026, 4, 2))
    assert refused(uow, too_much) == ["OVERPAYMENT"]
    rest = RecordPayment(
        invoice=str(invoice.id), amount=ORDER_VALUE - 1000000, paid=date(2026, 4, 2)
    )
    assert act(uow, rest).status == "paid"
    assert balance(uow, "JPN", "AUS", Account.RECEIVABLE_CASH) == 0
    assert balance(uow, "AUS", "JPN", Account.PAYABLE_CASH) == 0
    assert balance(uow, "JPN", "AUS", Account.CASH) == ORDER_VALUE
    [stored] = settlement.list_invoices(uow, order_id=invoice.order)
    assert [p.amount for p in stored.payments] == [Decimal(1000000), ORDER_VALUE - 1000000]
    books_balance(uow)


@pytest.mark.parametrize(
    ("amount", "currency", "code"),
    [
        ("0", None, "INVALID_AMOUNT"),
        ("-5", None, "INVALID_AMOUNT"),
        ("10.5", None, "INVALID_AMOUNT"),
        ("100", "USD", "CURRENCY_MISMATCH"),
        ("lots", None, "INVALID_AMOUNT"),
    ],
)
def test_bad_payments_are_refused(
    uow: FakeUnitOfWork, amount: str, currency: str | None, code: str
) -> None:
    invoice = act(uow, IssueInvoice(order_id=received_order(uow), issued=date(2026, 3, 11)))
    before = uow.snapshot()
    body = {"amount": amount, "date": "2026-04-01", "currency": currency}
    with pytest.raises(AcsaError) as error:  # when the command is made, or when it is taken
        act(uow, RecordPayment.from_wire(body, invoice=invoice.number))
    assert error.value.codes == [code]
    assert uow.snapshot() == before


def test_unknown_invoice_is_coded(uow: FakeUnitOfWork) -> None:
    pay = RecordPayment(invoice="JPN-2026-999999", amount=Decimal(1), paid=date(2026, 4, 1))
    assert refused(uow, pay) == ["INVOICE_NOT_FOUND"]


def returned(*lines: dict[str, Any], day: str | None = None) -> dict[str, Any]:
    return {"lines": list(lines), **({"date": day} if day else {})}


def test_replacement_in_kind_settles_the_goods_returned(uow: FakeUnitOfWork) -> None:
    order_id = received_order(uow, settlement="replacement_in_kind")
    assert balance(uow, "JPN", "AUS", Account.RECEIVABLE_IN_KIND) == ORDER_VALUE
    body = returned(
        {"line": 1, "category": "fuel", "nsn": FUEL_NSN, "quantity": "12000"},
        {"line": 2, "category": "food", "quantity": "400"},
        day="2026-05-01",
    )
    result = act(uow, ReturnInKind.from_wire(body, order_id=order_id))
    assert (result.kind, result.value) == ("replacement", Decimal(12000 * 152 + 400 * 1850))
    assert settlement.order_account(uow, order_id).awaiting_replacement == Decimal(80020)
    assert balance(uow, "AUS", "JPN", Account.PAYABLE_IN_KIND) == -Decimal(80020)
    [stored] = settlement.settlements_of(uow, order_id)
    assert (stored.id, stored.effective, len(stored.lines)) == (result.id, date(2026, 5, 1), 2)
    books_balance(uow)


@pytest.mark.parametrize(
    "line",
    [
        {"line": 1, "category": "food", "nsn": FUEL_NSN, "quantity": "10"},  # other kind
        {"line": 1, "category": "fuel", "nsn": "9130-00-000-0000", "quantity": "10"},  # NSN
        {"line": 1, "category": "fuel", "quantity": "10"},  # NSN missing
        {"line": 1, "category": "fuel", "nsn": FUEL_NSN, "quantity": "12001"},  # too much
        {"line": 9, "category": "fuel", "quantity": "1"},  # no such line
    ],
)
def test_replacement_not_matching_what_was_received_is_refused(
    uow: FakeUnitOfWork, line: dict[str, Any]
) -> None:
    order_id = received_order(uow, settlement="replacement_in_kind")
    codes = refused(uow, ReturnInKind.from_wire(returned(line), order_id=order_id))
    too_much = line["quantity"] == "12001"
    assert codes == ["REPLACEMENT_EXCEEDS_OWED" if too_much else "REPLACEMENT_MISMATCH"]


def test_replacement_of_a_cash_order_is_refused(uow: FakeUnitOfWork) -> None:
    order_id = received_order(uow)
    body = returned({"line": 2, "category": "food", "quantity": "1"})
    assert refused(uow, ReturnInKind.from_wire(body, order_id=order_id)) == [
        "SETTLEMENT_METHOD_MISMATCH"
    ]


def test_returning_the_same_goods_twice_is_over_settlement(uow: FakeUnitOfWork) -> None:
    order_id = received_order(uow, settlement="replacement_in_kind")
    food = ReturnInKind.from_wire(
        returned({"line": 2, "category": "food", "quantity": "400"}), order_id=order_id
    )
    act(uow, food)
    assert refused(uow, food) == ["REPLACEMENT_EXCEEDS_OWED"]


def test_equal_value_exchange_records_valuation_and_who_agreed(uow: FakeUnitOfWork) -> None:
    order_id = received_order(uow, settlement="equal_value_exchange", lines=SERVICES)
    body = {
        "lines": [AIRLIFT],
        "agreed_by": "Cdr Tanaka (JMSDF) and Wg Cdr Brown (RAAF)",
        "valuation_note": "priced at the JASDF flying-hour rate",
    }
    result = act(uow, ExchangeEqualValue.from_wire(body, order_id=order_id))
    assert (result.kind, result.value, result.agreed_by) == (
        "exchange",
        Decimal(2000000),
        "Cdr Tanaka (JMSDF) and Wg Cdr Brown (RAAF)",
    )
    assert result.note == "priced at the JASDF flying-hour rate"
    account = settlement.order_account(uow, order_id)
    assert account.awaiting_replacement == SERVICES_VALUE - 2000000
    assert balance(uow, "JPN", "AUS", Account.RECEIVABLE_IN_KIND) == SERVICES_VALUE - 2000000
    books_balance(uow)


def test_goods_cannot_be_settled_by_equal_value_exchange_outside_the_us_texts(
    uow: FakeUnitOfWork,
) -> None:
    order, warnings = act(uow, PlaceOrder.from_wire(order_doc(settlement="equal_value_exchange")))
    assert [(w.code, w.field) for w in warnings] == [
        ("SETTLEMENT_METHOD_NOT_ALLOWED", f"lines[{i}].category") for i in range(3)
    ]
    assert set(refused(uow, SubmitOrder(order_id=order.id))) == {"SETTLEMENT_METHOD_NOT_ALLOWED"}


def test_exchange_worth_more_than_owed_is_refused(uow: FakeUnitOfWork) -> None:
    order_id = received_order(uow, settlement="equal_value_exchange", lines=SERVICES)
    body = {
        "lines": [{"category": "training", "description": "x", "value": str(SERVICES_VALUE + 1)}],
        "agreed_by": "both",
    }
    codes = refused(uow, ExchangeEqualValue.from_wire(body, order_id=order_id))
    assert codes == ["EXCHANGE_EXCEEDS_OWED"]


def test_exchange_in_another_currency_is_refused(uow: FakeUnitOfWork) -> None:
    order_id = received_order(uow, settlement="equal_value_exchange", lines=SERVICES)
    body = {"lines": [{**AIRLIFT, "currency": "USD"}], "agreed_by": "both"}
    codes = refused(uow, ExchangeEqualValue.from_wire(body, order_id=order_id))
    assert codes == ["CURRENCY_MISMATCH"]


@pytest.fixture
def us_uow(registry_tables: Tables) -> FakeUnitOfWork:
    """With the USD and JPY rates the US ceilings convert with (JPN-USA)."""
    return FakeUnitOfWork(registry_tables.copy(), rates=usd_jpy_rates())


def us_order(received: datetime) -> dict[str, Any]:
    return {
        "agreement": "JPN-USA",
        "requester": "USA",
        "supplier": "JPN",
        "order_date": (received - timedelta(days=6)).date().isoformat(),
        "needed_by": received.date().isoformat(),
        "settlement": "replacement_in_kind",
    }


@pytest.mark.parametrize(
    ("received", "days_after_deadline", "converted"),
    [
        # Japan's fiscal year turns on 1 April, the US one on 1 October: receipts just before.
        (datetime(2026, 3, 31, 23, 0, tzinfo=UTC), -1, False),
        (datetime(2026, 3, 31, 23, 0, tzinfo=UTC), 0, False),
        (datetime(2026, 3, 31, 23, 0, tzinfo=UTC), 1, True),
        (datetime(2025, 9, 30, 12, 0, tzinfo=UTC), -1, False),
        (datetime(2025, 9, 30, 12, 0, tzinfo=UTC), 0, False),
        (datetime(2025, 9, 30, 12, 0, tzinfo=UTC), 1, True),
    ],
)
def test_conversion_happens_only_after_the_deadline_day(
    us_uow: FakeUnitOfWork, received: datetime, days_after_deadline: int, converted: bool
) -> None:
    uow = us_uow
    order_id = received_order(uow, at=received, **us_order(received))
    deadline = received.date() + timedelta(days=365)
    as_of = deadline + timedelta(days=days_after_deadline)
    before = uow.snapshot()
    result = act(uow, ConvertToCash(order_id=order_id, as_of=as_of))
    assert (result is not None) is converted
    if not converted:
        assert uow.snapshot() == before
        return
    assert (result.order, result.amount, result.deadline) == (order_id, ORDER_VALUE, deadline)
    account = settlement.order_account(uow, order_id)
    assert (account.converted, account.awaiting_replacement) == (ORDER_VALUE, Decimal(0))
    assert balance(uow, "JPN", "USA", Account.RECEIVABLE_CASH) == ORDER_VALUE
    assert balance(uow, "USA", "JPN", Account.PAYABLE_CASH) == -ORDER_VALUE
    assert balance(uow, "JPN", "USA", Account.RECEIVABLE_IN_KIND) == 0
    [invoice] = settlement.list_invoices(uow, order_id=order_id)
    assert (invoice.kind, invoice.amount, invoice.issued) == ("conversion", ORDER_VALUE, as_of)
    books_balance(uow)


def test_a_us_order_without_rates_is_refused_on_accept(uow: FakeUnitOfWork) -> None:
    order, _ = act(uow, PlaceOrder.from_wire(order_doc(**us_order(RECEIVED_AT))))
    act(uow, SubmitOrder(order_id=order.id))
    assert "RATE_MISSING" in refused(uow, AcceptOrder(order_id=order.id))


def test_sweep_twice_changes_nothing_the_second_time(uow: FakeUnitOfWork) -> None:
    order_id = received_order(uow, settlement="replacement_in_kind")
    food = returned({"line": 2, "category": "food", "quantity": "400"})
    act(uow, ReturnInKind.from_wire(food, order_id=order_id))
    first = settlement.sweep(uow, "sweeper", date(2027, 6, 1))
    assert [c.amount for c in first.converted] == [ORDER_VALUE - 400 * 1850]
    before = uow.snapshot()
    assert settlement.sweep(uow, "sweeper", date(2027, 6, 1)).converted == []
    assert uow.snapshot() == before


def test_close_only_once_settled(uow: FakeUnitOfWork) -> None:
    order_id = received_order(uow)
    assert refused(uow, CloseOrder(order_id=order_id)) == ["NOT_SETTLED"]
    invoice = act(uow, IssueInvoice(order_id=order_id, issued=date(2026, 3, 11)))
    act(uow, RecordPayment(invoice=invoice.number, amount=ORDER_VALUE, paid=date(2026, 4, 1)))
    assert settlement.closable(uow, [order_id]) == {order_id}
    assert act(uow, CloseOrder(order_id=order_id)).status.value == "closed"
    assert orders.get_order(uow, order_id).history[-1].action.value == "close"
    assert refused(uow, CloseOrder(order_id=order_id)) == ["INVALID_TRANSITION"]


def test_settlement_cannot_predate_what_it_settles(uow: FakeUnitOfWork) -> None:
    order_id = received_order(uow)
    assert refused(uow, IssueInvoice(order_id=order_id, issued=date(2026, 3, 9))) == [
        "INVALID_DATE"
    ]
    invoice = act(uow, IssueInvoice(order_id=order_id, issued=date(2026, 3, 10)))
    early = RecordPayment(invoice=invoice.number, amount=Decimal(1), paid=date(2026, 3, 9))
    assert refused(uow, early) == ["INVALID_DATE"]
    kind_id = received_order(uow, settlement="replacement_in_kind")
    body = returned({"line": 2, "category": "food", "quantity": "1"}, day="2026-03-01")
    assert refused(uow, ReturnInKind.from_wire(body, order_id=kind_id)) == ["INVALID_DATE"]


def test_an_order_received_in_part_then_delivered_again_can_be_settled_and_swept(
    uow: FakeUnitOfWork,
) -> None:
    start = RECEIVED_AT - timedelta(days=3)
    order, _ = act(uow, PlaceOrder.from_wire(order_doc(settlement="replacement_in_kind")), start)
    act(uow, SubmitOrder(order_id=order.id), start)
    act(uow, AcceptOrder(order_id=order.id), start)
    act(uow, DeliverOrder(order_id=order.id, quantities={2: Decimal(400)}), start)
    act(uow, ReceiveOrder(order_id=order.id))
    act(uow, DeliverOrder(order_id=order.id, quantities={1: Decimal(100)}), RECEIVED_AT)
    assert orders.get_order(uow, order.id).status.value == "partially_delivered"
    body = returned({"line": 2, "category": "food", "quantity": "100"}, day="2026-04-01")
    act(uow, ReturnInKind.from_wire(body, order_id=order.id))
    swept = settlement.sweep(uow, "sweeper", date(2027, 3, 11))
    assert [c.amount for c in swept.converted] == [Decimal(300 * 1850)]


def test_what_waits_for_each_nation(uow: FakeUnitOfWork) -> None:
    cash = received_order(uow)
    in_kind = received_order(uow, settlement="replacement_in_kind")
    supplier = {(a.head.order, step.value) for a, step in settlement.money_waiting(uow, "JPN")}
    requester = {(a.head.order, step.value) for a, step in settlement.money_waiting(uow, "AUS")}
    assert (cash, "invoice") in supplier
    assert (in_kind, "replace") in requester
    assert not any(order == cash for order, _ in requester)


def test_every_settlement_step_is_audited_with_its_ledger_entries(uow: FakeUnitOfWork) -> None:
    order_id = received_order(uow)
    invoice = act(uow, IssueInvoice(order_id=order_id))
    act(uow, RecordPayment(invoice=invoice.number, amount=ORDER_VALUE, paid=date(2026, 4, 1)))
    act(uow, CloseOrder(order_id=order_id))
    records = list(uow.audit.records(order_id=order_id))
    assert [r.action for r in records][-3:] == ["invoice.issue", "payment.record", "order.close"]
    assert [r.entries for r in records][-3:] == [None, {"count": 2}, None]
    assert [d.kind.value for d in uow.committed.documents][-3:] == ["invoice", "payment", "close"]


def test_a_ledger_entry_without_an_audit_record_is_never_committed(uow: FakeUnitOfWork) -> None:
    received_order(uow)
    entry = uow.committed.entries[0]
    with uow:
        uow.ledger.add([entry])
        with pytest.raises(RuntimeError):
            uow.commit()
    assert len(uow.committed.entries) == 2
