"""Settlement on a real database: invoices and payments, replacement in kind, equal value
exchange, the deadline sweep and closing; every refusal writes nothing."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from decimal import Decimal

import pytest

from acsa.commands import (
    AcceptOrder,
    CloseOrder,
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
from acsa.domain.ledger import Account
from acsa.services import orders, settlement
from acsa.services.handlers import handle
from tests.integration.dump import content
from tests.ledger_data import import_usd_jpy_rates
from tests.orders_data import order_doc
from tests.settlement_data import (
    FUEL_NSN,
    ORDER_VALUE,
    RECEIVED_AT,
    SERVICES,
    SERVICES_VALUE,
)


def received_order(uow, at=RECEIVED_AT, **changes):
    order, _ = handle(
        uow, PlaceOrder.from_wire(order_doc(**changes)), "Lt Sato", at - timedelta(days=5)
    )
    handle(uow, SubmitOrder(order_id=order.id), "Capt. Smith", at - timedelta(days=4))
    handle(uow, AcceptOrder(order_id=order.id), "Cdr Tanaka", at - timedelta(days=3))
    handle(uow, DeliverOrder(order_id=order.id), "PO Ito", at - timedelta(days=1))
    handle(uow, ReceiveOrder(order_id=order.id), "Sgt Lee", at)
    return order.id


def balance(uow, book, partner, account):
    with uow:
        found = {(b, p, a): m.amount for b, p, a, m in uow.ledger.running_balances(book, partner)}
    return found.get((book, partner, account), Decimal(0))


def test_receipt_posts_a_receivable_and_a_payable_valued_at_what_was_received(uow):
    order_id = received_order(uow)
    assert balance(uow, "JPN", "AUS", Account.RECEIVABLE_CASH) == ORDER_VALUE
    assert balance(uow, "AUS", "JPN", Account.PAYABLE_CASH) == -ORDER_VALUE
    assert balance(uow, "JPN", "AUS", Account.SUPPORT_PROVIDED) == -ORDER_VALUE
    assert settlement.order_account(uow, order_id).received == ORDER_VALUE


def test_short_receipt_is_valued_at_what_arrived(uow):
    order, _ = handle(uow, PlaceOrder.from_wire(order_doc()), "x")
    for step in (SubmitOrder, AcceptOrder, DeliverOrder):
        handle(uow, step(order_id=order.id), "x")
    handle(uow, ReceiveOrder(order_id=order.id, quantities={1: Decimal(11000)}), "x")
    assert balance(uow, "JPN", "AUS", Account.RECEIVABLE_CASH) == ORDER_VALUE - 1000 * 152


def test_invoice_is_numbered_per_issuer_and_year_and_due_after_the_term(uow):
    first = handle(uow, IssueInvoice(order_id=received_order(uow), issued=date(2026, 3, 11)), "fin")
    second = handle(
        uow, IssueInvoice(order_id=received_order(uow), issued=date(2026, 3, 12)), "fin"
    )
    assert (first.number, second.number) == ("JPN-2026-000001", "JPN-2026-000002")
    assert first.due == date(2026, 4, 10)  # 30 days, the registry's default term
    assert (first.amount, first.currency, first.order) == (ORDER_VALUE, "JPY", 1)


def test_nothing_left_to_invoice_is_refused(engine, uow):
    order_id = received_order(uow)
    handle(uow, IssueInvoice(order_id=order_id), "fin")
    before = content(engine)
    with pytest.raises(AcsaError) as refused:
        handle(uow, IssueInvoice(order_id=order_id), "fin")
    assert refused.value.codes == ["NOTHING_TO_INVOICE"]
    assert content(engine) == before


def test_partial_payments_then_overpayment_refused(engine, uow):
    invoice = handle(
        uow, IssueInvoice(order_id=received_order(uow), issued=date(2026, 3, 11)), "fin"
    )
    paid = handle(
        uow,
        RecordPayment(invoice=invoice.number, amount=Decimal("1000000"), paid=date(2026, 4, 1)),
        "fin",
    )
    assert paid.unpaid == ORDER_VALUE - 1000000
    before = content(engine)
    with pytest.raises(AcsaError) as refused:
        handle(
            uow,
            RecordPayment(invoice=invoice.number, amount=ORDER_VALUE, paid=date(2026, 4, 2)),
            "fin",
        )
    assert refused.value.codes == ["OVERPAYMENT"]
    assert "overpay it by 1,000,000 JPY" in refused.value.violations[0].message
    assert content(engine) == before
    rest = handle(
        uow,
        RecordPayment(invoice=str(invoice.id), amount=ORDER_VALUE - 1000000, paid=date(2026, 4, 2)),
        "fin",
    )
    assert rest.status == "paid"
    assert balance(uow, "JPN", "AUS", Account.RECEIVABLE_CASH) == 0
    assert balance(uow, "AUS", "JPN", Account.PAYABLE_CASH) == 0


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
def test_bad_payments_are_refused(engine, uow, amount, currency, code):
    invoice = handle(
        uow, IssueInvoice(order_id=received_order(uow), issued=date(2026, 3, 11)), "fin"
    )
    before = content(engine)
    with pytest.raises(AcsaError) as refused:
        handle(
            uow,
            RecordPayment.from_wire(
                {"amount": amount, "date": date(2026, 4, 1), "currency": currency},
                invoice=invoice.number,
            ),
            "fin",
        )
    assert refused.value.codes == [code]
    assert content(engine) == before


def test_unknown_invoice_is_coded(uow):
    with pytest.raises(AcsaError) as refused:
        handle(
            uow,
            RecordPayment(invoice="JPN-2026-999999", amount=Decimal("1"), paid=date(2026, 4, 1)),
            "fin",
        )
    assert refused.value.codes == ["INVOICE_NOT_FOUND"]


def test_replacement_in_kind_settles_the_goods_returned(uow):
    order_id = received_order(uow, settlement="replacement_in_kind")
    assert balance(uow, "JPN", "AUS", Account.RECEIVABLE_IN_KIND) == ORDER_VALUE
    result = handle(
        uow,
        ReturnInKind.from_wire(
            {
                "lines": [
                    {"line": 1, "category": "fuel", "nsn": FUEL_NSN, "quantity": "12000"},
                    {"line": 2, "category": "food", "quantity": "400"},
                ],
                "date": "2026-05-01",
            },
            order_id=order_id,
        ),
        "PO Ito",
    )
    assert result.value == Decimal(12000 * 152 + 400 * 1850)
    account = settlement.order_account(uow, order_id)
    assert account.awaiting_replacement == Decimal(80020)
    assert balance(uow, "AUS", "JPN", Account.PAYABLE_IN_KIND) == -Decimal(80020)


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
def test_replacement_not_matching_what_was_received_is_refused(engine, uow, line):
    order_id = received_order(uow, settlement="replacement_in_kind")
    before = content(engine)
    with pytest.raises(AcsaError) as refused:
        handle(uow, ReturnInKind.from_wire({"lines": [line]}, order_id=order_id), "PO Ito")
    too_much = line["quantity"] == "12001"
    assert refused.value.codes == [
        "REPLACEMENT_EXCEEDS_OWED" if too_much else "REPLACEMENT_MISMATCH"
    ]
    assert content(engine) == before


def test_replacement_of_a_cash_order_is_refused(uow):
    order_id = received_order(uow)
    with pytest.raises(AcsaError) as refused:
        handle(
            uow,
            ReturnInKind.from_wire(
                {"lines": [{"line": 2, "category": "food", "quantity": "1"}]}, order_id=order_id
            ),
            "x",
        )
    assert refused.value.codes == ["SETTLEMENT_METHOD_MISMATCH"]


def test_equal_value_exchange_records_valuation_and_who_agreed(uow):
    order_id = received_order(uow, settlement="equal_value_exchange", lines=SERVICES)
    result = handle(
        uow,
        ExchangeEqualValue.from_wire(
            {
                "lines": [
                    {
                        "category": "transportation",
                        "description": "C-2 airlift Naha-Darwin",
                        "quantity": "1",
                        "unit": "sortie",
                        "value": "2000000",
                    }
                ],
                "agreed_by": "Cdr Tanaka (JMSDF) and Wg Cdr Brown (RAAF)",
                "valuation_note": "priced at the JASDF flying-hour rate",
            },
            order_id=order_id,
        ),
        "fin",
    )
    assert (result.kind, result.value, result.agreed_by) == (
        "exchange",
        Decimal(2000000),
        "Cdr Tanaka (JMSDF) and Wg Cdr Brown (RAAF)",
    )
    account = settlement.order_account(uow, order_id)
    assert account.awaiting_replacement == SERVICES_VALUE - 2000000


def test_goods_cannot_be_settled_by_equal_value_exchange_outside_the_us_texts(engine, uow):
    order, warnings = handle(
        uow, PlaceOrder.from_wire(order_doc(settlement="equal_value_exchange")), "x"
    )
    assert [(w.code, w.field) for w in warnings] == [
        ("SETTLEMENT_METHOD_NOT_ALLOWED", f"lines[{i}].category") for i in range(3)
    ]
    before = content(engine)
    with pytest.raises(AcsaError) as refused:
        handle(uow, SubmitOrder(order_id=order.id), "Capt. Smith")
    assert set(refused.value.codes) == {"SETTLEMENT_METHOD_NOT_ALLOWED"}
    assert content(engine) == before


def test_exchange_worth_more_than_owed_is_refused(engine, uow):
    order_id = received_order(uow, settlement="equal_value_exchange", lines=SERVICES)
    before = content(engine)
    with pytest.raises(AcsaError) as refused:
        handle(
            uow,
            ExchangeEqualValue.from_wire(
                {
                    "lines": [
                        {
                            "category": "training",
                            "description": "x",
                            "value": str(SERVICES_VALUE + 1),
                        }
                    ],
                    "agreed_by": "both",
                },
                order_id=order_id,
            ),
            "fin",
        )
    assert refused.value.codes == ["EXCHANGE_EXCEEDS_OWED"]
    assert content(engine) == before


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
def test_sweep_converts_only_after_the_deadline_day(uow, received, days_after_deadline, converted):
    supplier_doc = {
        "agreement": "JPN-USA",
        "requester": "USA",
        "supplier": "JPN",
        "order_date": (received - timedelta(days=6)).date().isoformat(),
        "needed_by": received.date().isoformat(),
        "settlement": "replacement_in_kind",
    }
    import_usd_jpy_rates(uow)  # the US side's ceilings are in USD
    order_id = received_order(uow, at=received, **supplier_doc)
    deadline = received.date() + timedelta(days=365)
    result = settlement.sweep(uow, "sweeper", deadline + timedelta(days=days_after_deadline))
    assert bool(result.converted) is converted
    if converted:
        [conversion] = result.converted
        assert (conversion.order, conversion.amount, conversion.deadline) == (
            order_id,
            ORDER_VALUE,
            deadline,
        )
        account = settlement.order_account(uow, order_id)
        assert (account.converted, account.awaiting_replacement) == (ORDER_VALUE, 0)
        assert balance(uow, "JPN", "USA", Account.RECEIVABLE_CASH) == ORDER_VALUE
        assert balance(uow, "USA", "JPN", Account.PAYABLE_CASH) == -ORDER_VALUE
        [invoice] = settlement.list_invoices(uow, order_id=order_id)
        assert (invoice.kind, invoice.amount, invoice.issued) == (
            "conversion",
            ORDER_VALUE,
            deadline + timedelta(days=1),
        )


def test_sweep_twice_changes_nothing_the_second_time(engine, uow):
    order_id = received_order(uow, settlement="replacement_in_kind")
    handle(
        uow,
        ReturnInKind.from_wire(
            {"lines": [{"line": 2, "category": "food", "quantity": "400"}]}, order_id=order_id
        ),
        "x",
    )
    first = settlement.sweep(uow, "sweeper", date(2027, 6, 1))
    assert [c.amount for c in first.converted] == [ORDER_VALUE - 400 * 1850]
    before = content(engine)
    assert settlement.sweep(uow, "sweeper", date(2027, 6, 1)).converted == []
    assert content(engine) == before


def test_close_only_once_settled(uow):
    order_id = received_order(uow)
    with pytest.raises(AcsaError) as refused:
        handle(uow, CloseOrder(order_id=order_id), "fin")
    assert refused.value.codes == ["NOT_SETTLED"]
    invoice = handle(uow, IssueInvoice(order_id=order_id, issued=date(2026, 3, 11)), "fin")
    handle(
        uow,
        RecordPayment(invoice=invoice.number, amount=ORDER_VALUE, paid=date(2026, 4, 1)),
        "fin",
    )
    assert handle(uow, CloseOrder(order_id=order_id), "fin").status.value == "closed"
    assert orders.get_order(uow, order_id).history[-1].action.value == "close"


def test_settlement_cannot_predate_what_it_settles(engine, uow):
    order_id = received_order(uow)
    before = content(engine)
    with pytest.raises(AcsaError) as early_invoice:
        handle(uow, IssueInvoice(order_id=order_id, issued=date(2026, 3, 9)), "fin")
    assert early_invoice.value.codes == ["INVALID_DATE"]
    invoice = handle(uow, IssueInvoice(order_id=order_id, issued=date(2026, 3, 10)), "fin")
    with pytest.raises(AcsaError) as early_payment:
        handle(
            uow,
            RecordPayment(invoice=invoice.number, amount=Decimal("1"), paid=date(2026, 3, 9)),
            "fin",
        )
    assert early_payment.value.codes == ["INVALID_DATE"]
    kind_id = received_order(uow, settlement="replacement_in_kind")
    with pytest.raises(AcsaError) as early_return:
        handle(
            uow,
            ReturnInKind.from_wire(
                {"date": "2026-03-01", "lines": [{"line": 2, "category": "food", "quantity": "1"}]},
                order_id=kind_id,
            ),
            "x",
        )
    assert early_return.value.codes == ["INVALID_DATE"]
    assert content(engine)["payments"] == before["payments"]


def test_an_order_received_in_part_then_delivered_again_can_be_settled_and_swept(uow):
    order, _ = handle(
        uow,
        PlaceOrder.from_wire(order_doc(settlement="replacement_in_kind")),
        "x",
        RECEIVED_AT - timedelta(days=3),
    )
    for step in (SubmitOrder, AcceptOrder):
        handle(uow, step(order_id=order.id), "x", RECEIVED_AT - timedelta(days=2))
    handle(
        uow,
        DeliverOrder(order_id=order.id, quantities={2: Decimal(400)}),
        "x",
        RECEIVED_AT - timedelta(days=1),
    )
    handle(uow, ReceiveOrder(order_id=order.id), "x", RECEIVED_AT)
    handle(
        uow,
        DeliverOrder(order_id=order.id, quantities={1: Decimal(100)}),
        "x",
        RECEIVED_AT + timedelta(days=1),
    )
    assert orders.get_order(uow, order.id).status.value == "partially_delivered"
    handle(
        uow,
        ReturnInKind.from_wire(
            {"date": "2026-04-01", "lines": [{"line": 2, "category": "food", "quantity": "100"}]},
            order_id=order.id,
        ),
        "x",
    )
    swept = settlement.sweep(uow, "sweeper", date(2027, 3, 11))
    assert [c.amount for c in swept.converted] == [Decimal(300 * 1850)]
