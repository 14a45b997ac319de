"""Settling orders: invoices and payments, replacement in kind, equal value exchange, and the
sweep that turns in-kind debt past its deadline into cash. One transaction per action; the
postings of both nations' books are written in the same transaction as the record."""

from __future__ import annotations

from collections.abc import Callable, Iterable
from datetime import date, datetime
from decimal import Decimal
from typing import Any

from pydantic import BaseModel
from sqlalchemy import Row

from acsa.adapters.db.unit_of_work import UnitOfWork
from acsa.clock import utc_now
from acsa.domain.agreement import AgreementVersion
from acsa.domain.documents import Kind, normalised
from acsa.domain.errors import AcsaError, Code, NotFoundError, Violation
from acsa.domain.ledger import (
    Account,
    EntryKind,
    Stamp,
    conversion_entries,
    in_kind_entries,
    payment_entries,
)
from acsa.domain.money import (
    Money,
    fits_minor_units,
    from_minor,
    is_known_currency,
    to_decimal,
    to_minor,
)
from acsa.domain.order import OPEN_WITH_RECEIPTS, Action, Order
from acsa.domain.settlement import (
    OrderAccount,
    ReturnedLine,
    check_in_kind_value,
    check_payment,
    due_date,
    invoice_number,
    next_deadline,
    overdue_in_kind,
    replacement_value,
    settled_in_kind,
)
from acsa.domain.vocabulary import Settlement
from acsa.ledger_schemas import (
    ConversionOut,
    ExchangeIn,
    InvoiceOut,
    OrderAccountOut,
    PaymentOut,
    ReplacementIn,
    SettlementOut,
    SweepOut,
)
from acsa.schemas import parse_model
from acsa.services.audit import order_state
from acsa.services.orders import load_order

# --- what an order owes -----------------------------------------------------------------------


def _account(uow: UnitOfWork, order: Order) -> OrderAccount:
    assert order.id is not None
    currency = order.currency
    invoices = uow.invoices.find(order_id=order.id)
    totals = uow.settlements.totals([order.id])

    def money(minor: int) -> Decimal:
        return from_minor(minor, currency)

    in_kind = sum(v for (o, k), v in totals.items() if k in ("replacement", "exchange"))
    return OrderAccount(
        currency=currency,
        received=order.value_received.amount,
        invoiced=money(sum(i.amount_minor for i in invoices)),
        paid=money(sum(int(i.paid_minor) for i in invoices)),
        settled_in_kind=money(in_kind),
        converted=money(totals.get((order.id, "conversion"), 0)),
        in_kind=settled_in_kind(order),
    )


def _tranches(uow: UnitOfWork, order: Order) -> list[tuple[date, Decimal]]:
    """Receipts of an in-kind order as (day, value), from the supplier's book."""
    assert order.id is not None
    entries = uow.ledger.entries(order.supplier, order_id=order.id, kind=EntryKind.RECEIPT)
    return [
        (e.effective, p.amount.amount)
        for e in entries
        for p in e.postings
        if p.account is Account.RECEIVABLE_IN_KIND
    ]


def _not_before(day: date, earliest: date | None, field: str, what: str) -> None:
    """Settlement cannot predate what it settles: refuse ``day`` before ``earliest``."""
    if earliest is not None and day < earliest:
        raise AcsaError.single(
            Code.INVALID_DATE, field, f"{field} {day} is before {what} on {earliest}"
        )


def _first_receipt(uow: UnitOfWork, order: Order) -> date | None:
    assert order.id is not None
    entries = uow.ledger.entries(order.supplier, order_id=order.id, kind=EntryKind.RECEIPT)
    return min((e.effective for e in entries), default=None)


def _terms(uow: UnitOfWork, order: Order) -> AgreementVersion:
    """The agreement text governing the order date: its deadline and payment term."""
    agreement = uow.agreements.get(order.agreement_id)
    assert agreement is not None, "an order's agreement exists (foreign key)"
    return agreement.version_on(order.order_date)


def _account_out(uow: UnitOfWork, order: Order) -> OrderAccountOut:
    account = _account(uow, order)
    deadline = None
    if account.in_kind:
        deadline = next_deadline(
            _tranches(uow, order),
            account.settled_in_kind + account.converted,
            _terms(uow, order).replacement_deadline_days,
        )
    assert order.id is not None
    return OrderAccountOut(
        order=order.id,
        settlement=order.settlement,
        currency=account.currency,
        received=account.received,
        invoiced=account.invoiced,
        paid=account.paid,
        settled_in_kind=account.settled_in_kind,
        converted=account.converted,
        uninvoiced=account.uninvoiced,
        owed_in_cash=account.owed_in_cash,
        awaiting_replacement=account.awaiting_replacement,
        replacement_deadline=deadline,
        settled=account.settled,
    )


def order_account(uow: UnitOfWork, order_id: int) -> OrderAccountOut:
    """What an order has received, invoiced, been paid and settled, and what it still owes."""
    with uow:
        return _account_out(uow, load_order(uow, order_id))


# --- invoices and payments --------------------------------------------------------------------


def _invoice_out(uow: UnitOfWork, row: Row[Any], as_of: date) -> InvoiceOut:
    currency = row.currency
    amount = from_minor(row.amount_minor, currency)
    paid = from_minor(int(row.paid_minor), currency)
    unpaid = amount - paid
    status = "paid" if unpaid == 0 else ("overdue" if as_of > row.due else "open")
    return InvoiceOut(
        id=row.id,
        number=row.number,
        order=row.order_id,
        issuer=row.issuer,
        debtor=row.debtor,
        kind=row.kind,
        amount=amount,
        currency=currency,
        issued=row.issued,
        due=row.due,
        paid=paid,
        unpaid=unpaid,
        status=status,
        at=row.at,
        actor=row.actor,
        payments=[
            PaymentOut(
                id=p.id,
                amount=from_minor(p.amount_minor, p.currency),
                currency=p.currency,
                paid=p.paid,
                reference=p.reference,
                at=p.at,
                actor=p.actor,
            )
            for p in uow.invoices.payments(row.id)
        ],
    )


def _new_invoice(
    uow: UnitOfWork,
    order: Order,
    amount: Money,
    kind: str,
    issued: date,
    at: datetime,
    actor: str,
    number: str | None = None,
) -> int:
    """A new invoice, numbered here unless ``number`` (the issuer node's) is given."""
    number = number or invoice_number(
        order.supplier, issued.year, uow.counters.next(f"invoice:{order.supplier}:{issued.year}")
    )
    return uow.invoices.add(
        {
            "number": number,
            "order_id": order.id,
            "issuer": order.supplier,
            "debtor": order.requester,
            "kind": kind,
            "currency": amount.currency,
            "amount_minor": to_minor(amount.amount, amount.currency),
            "issued": issued,
            "due": due_date(issued, _terms(uow, order).payment_term_days),
            "at": at,
            "actor": actor,
        }
    )


def issue_invoice(
    uow: UnitOfWork,
    order_id: int,
    actor: str,
    issued: date | None = None,
    now: datetime | None = None,
    number: str | None = None,
) -> InvoiceOut:
    """Invoice what an order owes in cash and has not been invoiced yet; numbered per issuer
    and year (or ``number``, the issuing node's), due after the agreement's payment term."""
    at = now or utc_now()
    day = issued or at.date()
    with uow:
        order = load_order(uow, order_id)
        account = _account(uow, order)
        _not_before(day, _first_receipt(uow, order), "date", "the first receipt")
        if account.uninvoiced <= 0:
            why = (
                "in-kind orders are invoiced only for what the sweep converted to cash"
                if account.in_kind
                else "nothing received is left uninvoiced"
            )
            raise AcsaError.single(
                Code.NOTHING_TO_INVOICE, "order", f"order {order_id} has nothing to invoice: {why}"
            )
        invoice_id = _new_invoice(
            uow, order, Money(account.uninvoiced, order.currency), "cash", day, at, actor, number
        )
        [row] = uow.invoices.find(invoice_id=invoice_id)
        result = _invoice_out(uow, row, day)
        body = {
            "number": result.number,
            "kind": "cash",
            "amount": result.amount,
            "currency": result.currency,
            "issued": result.issued,
            "due": result.due,
        }
        uow.publish(order, Kind.INVOICE, normalised(body), actor, at)
        uow.record("invoice.issue", f"invoice:{row.number}", actor, None, _json(result), order_id)
        uow.commit()
    return result


def _find_invoice(uow: UnitOfWork, reference: str) -> Row[Any]:
    """The invoice by number or id; one whose order the unit of work's guard refuses is
    answered as not found (or forbidden), like the order itself."""
    rows = uow.invoices.find(number=reference)
    if not rows and reference.isdigit() and int(reference) < 2**31:
        rows = uow.invoices.find(invoice_id=int(reference))
    missing = NotFoundError(
        [
            Violation(
                Code.INVOICE_NOT_FOUND,
                "invoice",
                f"no invoice {reference!r} (give its number or id)",
            )
        ]
    )
    if not rows:
        raise missing
    if uow.guard is not None:
        try:
            load_order(uow, rows[0].order_id)
        except NotFoundError:
            raise missing from None
    return rows[0]


def get_invoice(uow: UnitOfWork, reference: str, as_of: date | None = None) -> InvoiceOut:
    with uow:
        return _invoice_out(uow, _find_invoice(uow, reference), as_of or utc_now().date())


def list_invoices(
    uow: UnitOfWork,
    order_id: int | None = None,
    party: str | None = None,
    as_of: date | None = None,
) -> list[InvoiceOut]:
    day = as_of or utc_now().date()
    with uow:
        return [
            _invoice_out(uow, r, day) for r in uow.invoices.find(order_id=order_id, party=party)
        ]


def record_payment(
    uow: UnitOfWork,
    invoice: str,
    amount: Any,
    paid: date,
    actor: str,
    reference: str = "",
    currency: str | None = None,
    now: datetime | None = None,
) -> InvoiceOut:
    """Record a payment against an invoice; overpayment is refused."""
    at = now or utc_now()
    with uow:
        row = _find_invoice(uow, invoice)
        _not_before(paid, row.issued, "date", f"invoice {row.number} was issued")
        value = _amount(amount, currency or row.currency)
        check_payment(
            value,
            Money(from_minor(row.amount_minor, row.currency), row.currency),
            Money(from_minor(int(row.paid_minor), row.currency), row.currency),
            row.number,
        )
        uow.invoices.add_payment(
            {
                "invoice_id": row.id,
                "currency": value.currency,
                "amount_minor": to_minor(value.amount, value.currency),
                "paid": paid,
                "reference": reference,
                "at": at,
                "actor": actor,
            }
        )
        body = {
            "invoice": row.number,
            "amount": value.amount,
            "currency": value.currency,
            "paid": paid,
            "reference": reference,
        }
        uow.publish(load_order(uow, row.order_id), Kind.PAYMENT, normalised(body), actor, at)
        stamp = Stamp(paid, at, actor, f"payment of invoice {row.number}", row.order_id, reference)
        uow.ledger.add(payment_entries(row.issuer, row.debtor, value, stamp))
        [after] = uow.invoices.find(invoice_id=row.id)
        result = _invoice_out(uow, after, paid)
        uow.record(
            "payment.record",
            f"invoice:{row.number}",
            actor,
            {"paid_minor": int(row.paid_minor), "currency": row.currency},
            _json(result),
            row.order_id,
        )
        uow.commit()
    return result


def _json(model: BaseModel) -> dict[str, Any]:
    return model.model_dump(mode="json")


def _amount(value: Any, currency: str) -> Money:
    try:
        amount = to_decimal(value)
    except ValueError:
        raise AcsaError.single(
            Code.INVALID_AMOUNT, "amount", f"amount {value!r} is not a decimal number"
        ) from None
    if not is_known_currency(currency):
        raise AcsaError.single(
            Code.UNKNOWN_CURRENCY, "currency", f"{currency!r} is not an ISO 4217 currency code"
        )
    if not fits_minor_units(amount, currency):
        raise AcsaError.single(
            Code.INVALID_AMOUNT,
            "amount",
            f"amount {amount} has more decimals than {currency} allows",
        )
    return Money(amount, currency)


# --- settlement in kind -----------------------------------------------------------------------


def _settlement_out(row: Row[Any]) -> SettlementOut:
    return SettlementOut(
        id=row.id,
        order=row.order_id,
        kind=row.kind,
        value=from_minor(row.value_minor, row.currency),
        currency=row.currency,
        effective=row.effective,
        lines=list(row.lines),
        agreed_by=row.agreed_by,
        note=row.note,
        at=row.at,
        actor=row.actor,
    )


def _require_in_kind(order: Order, allowed: Iterable[Settlement], action: str) -> None:
    if order.settlement not in set(allowed):
        raise AcsaError.single(
            Code.SETTLEMENT_METHOD_MISMATCH,
            "settlement",
            f"order {order.id} is settled by {order.settlement}; it cannot be settled by {action}",
        )
    if order.value_received.amount <= 0:
        raise AcsaError.single(
            Code.NOTHING_OWED_IN_KIND,
            "order",
            f"order {order.id} is {order.status.value}: nothing has been received to settle",
        )


def _record_in_kind(
    uow: UnitOfWork,
    order: Order,
    kind: EntryKind,
    value: Money,
    day: date,
    at: datetime,
    actor: str,
    lines: list[dict[str, Any]],
    agreed_by: str,
    note: str,
) -> SettlementOut:
    settlement_id = uow.settlements.add(
        {
            "order_id": order.id,
            "kind": kind.value,
            "currency": value.currency,
            "value_minor": to_minor(value.amount, value.currency),
            "effective": day,
            "lines": lines,
            "agreed_by": agreed_by,
            "note": note,
            "at": at,
            "actor": actor,
        }
    )
    stamp = Stamp(
        day, at, actor, f"{kind.value} {settlement_id} of order {order.id}", order.id, note
    )
    uow.ledger.add(in_kind_entries(order.supplier, order.requester, value, kind, stamp))
    [row] = [r for r in uow.settlements.of_order(order.id or 0) if r.id == settlement_id]
    result = _settlement_out(row)
    subject = f"settlement:{settlement_id}"
    uow.record(f"settlement.{kind.value}", subject, actor, None, _json(result), order.id)
    return result


def _replaced_so_far(uow: UnitOfWork, order_id: int) -> dict[int, Decimal]:
    replaced: dict[int, Decimal] = {}
    for row in uow.settlements.of_order(order_id):
        if row.kind == EntryKind.REPLACEMENT.value:
            for line in row.lines:
                number = int(line["line"])
                replaced[number] = replaced.get(number, Decimal(0)) + Decimal(line["quantity"])
    return replaced


def replace(
    uow: UnitOfWork, order_id: int, data: Any, actor: str, now: datetime | None = None
) -> SettlementOut:
    """Goods of the same kind and quantity (and NSN) returned against received lines."""
    doc = parse_model(ReplacementIn, data)
    at = now or utc_now()
    day = doc.date or at.date()
    with uow:
        order = load_order(uow, order_id)
        _not_before(day, _first_receipt(uow, order), "date", "the first receipt")
        _require_in_kind(order, [Settlement.REPLACEMENT_IN_KIND], "replacement in kind")
        returned = [
            ReturnedLine(x.line, x.category, x.quantity, x.nsn, x.description) for x in doc.lines
        ]
        value, _after = replacement_value(order, returned, _replaced_so_far(uow, order_id))
        account = _account(uow, order)
        check_in_kind_value(
            value, Money(account.awaiting_replacement, order.currency), Code.REPLACEMENT_MISMATCH
        )
        lines = [
            {
                "line": x.line,
                "category": x.category,
                "nsn": x.nsn,
                "quantity": str(x.quantity),
                "description": x.description,
            }
            for x in doc.lines
        ]
        result = _record_in_kind(
            uow, order, EntryKind.REPLACEMENT, value, day, at, actor, lines, actor, doc.note
        )
        body = {"date": day, "lines": lines, "note": doc.note}
        uow.publish(order, Kind.REPLACEMENT, normalised(body), actor, at)
        uow.commit()
    return result


def exchange(
    uow: UnitOfWork, order_id: int, data: Any, actor: str, now: datetime | None = None
) -> SettlementOut:
    """Other goods or services, valued in the order's currency, against what is owed in kind;
    the valuation and who agreed it are recorded."""
    doc = parse_model(ExchangeIn, data)
    at = now or utc_now()
    day = doc.date or at.date()
    with uow:
        order = load_order(uow, order_id)
        _not_before(day, _first_receipt(uow, order), "date", "the first receipt")
        _require_in_kind(
            order,
            [Settlement.EQUAL_VALUE_EXCHANGE, Settlement.REPLACEMENT_IN_KIND],
            "equal value exchange",
        )
        wrong = [x for x in doc.lines if x.currency not in (None, order.currency)]
        if wrong:
            raise AcsaError.single(
                Code.CURRENCY_MISMATCH,
                "lines",
                f"an exchange is valued in the order's currency {order.currency}, "
                f"not {wrong[0].currency}",
            )
        value = Money.zero(order.currency)
        for x in doc.lines:
            value = value + _amount(x.value, order.currency)
        account = _account(uow, order)
        check_in_kind_value(
            value, Money(account.awaiting_replacement, order.currency), Code.EXCHANGE_EXCEEDS_OWED
        )
        lines = [
            {
                "category": x.category,
                "description": x.description,
                "quantity": str(x.quantity),
                "unit": x.unit,
                "value": str(x.value),
            }
            for x in doc.lines
        ]
        result = _record_in_kind(
            uow,
            order,
            EntryKind.EXCHANGE,
            value,
            day,
            at,
            actor,
            lines,
            doc.agreed_by,
            doc.valuation_note,
        )
        body = {
            "date": day,
            "lines": lines,
            "agreed_by": doc.agreed_by,
            "valuation_note": doc.valuation_note,
        }
        uow.publish(order, Kind.EXCHANGE, normalised(body), actor, at)
        uow.commit()
    return result


def settlements_of(uow: UnitOfWork, order_id: int) -> list[SettlementOut]:
    with uow:
        load_order(uow, order_id)
        return [_settlement_out(r) for r in uow.settlements.of_order(order_id)]


# --- the deadline -----------------------------------------------------------------------------


def in_kind_candidates(uow: UnitOfWork, party: str | None = None) -> list[int]:
    """Orders settled in kind that have received something: the ones a sweep looks at (of
    those ``party`` is party to, if given). On a node, only those its nation supplied: the
    conversion is the supplier's document, and the requester's node receives it."""
    with uow:
        node = uow.node
        return [
            o.id
            for status in OPEN_WITH_RECEIPTS
            for o in uow.orders.find(status=status.value, with_history=False, party=party)
            if o.id is not None
            and settled_in_kind(o)
            and o.value_received.amount > 0
            and (node is None or o.supplier == node.nation)
        ]


def convert_one(
    uow: UnitOfWork,
    order_id: int,
    as_of: date,
    at: datetime,
    actor: str,
    number: str | None = None,
) -> ConversionOut | None:
    """Convert what ``order_id`` owes in kind past its deadline on ``as_of`` to cash, with an
    invoice (numbered ``number`` when a partner's node converted it); None if nothing is due."""
    with uow:
        order = load_order(uow, order_id)
        account = _account(uow, order)
        if account.awaiting_replacement <= 0:
            return None
        days = _terms(uow, order).replacement_deadline_days
        tranches = _tranches(uow, order)
        settled = account.settled_in_kind + account.converted
        overdue = overdue_in_kind(tranches, settled, days, as_of)
        if overdue <= 0:
            return None
        deadline = next_deadline(tranches, settled, days)
        assert deadline is not None
        value = Money(overdue, order.currency)
        note = f"replacement deadline {deadline} passed ({days} days from receipt)"
        uow.settlements.add(
            {
                "order_id": order.id,
                "kind": EntryKind.CONVERSION.value,
                "currency": value.currency,
                "value_minor": to_minor(value.amount, value.currency),
                "effective": as_of,
                "lines": [],
                "agreed_by": "",
                "note": note,
                "at": at,
                "actor": actor,
            }
        )
        stamp = Stamp(as_of, at, actor, f"conversion to cash of order {order_id}", order_id, note)
        uow.ledger.add(conversion_entries(order.supplier, order.requester, value, stamp))
        invoice_id = _new_invoice(uow, order, value, "conversion", as_of, at, actor, number)
        [row] = uow.invoices.find(invoice_id=invoice_id)
        result = ConversionOut(
            order=order_id,
            amount=overdue,
            currency=value.currency,
            invoice=row.number,
            deadline=deadline,
        )
        body = {
            "as_of": as_of,
            "amount": overdue,
            "currency": value.currency,
            "invoice": row.number,
            "deadline": deadline,
        }
        uow.publish(order, Kind.CONVERSION, normalised(body), actor, at)
        uow.record("order.convert", f"order:{order_id}", actor, None, _json(result), order_id)
        uow.commit()
    return result


def sweep(
    uow: UnitOfWork,
    actor: str,
    as_of: date | None = None,
    now: datetime | None = None,
    progress: Callable[[int, int], None] | None = None,
    party: str | None = None,
) -> SweepOut:
    """Turn in-kind debt still unreplaced past its deadline into cash debt, with a dated,
    attributed record and an invoice, one order per transaction. A second run on the same day
    finds nothing more to convert."""
    at = now or utc_now()
    day = as_of or at.date()
    candidates = in_kind_candidates(uow, party)
    converted: list[ConversionOut] = []
    for done, order_id in enumerate(candidates, start=1):
        result = convert_one(uow, order_id, day, at, actor)
        if result is not None:
            converted.append(result)
        if progress is not None:
            progress(done, len(candidates))
    return SweepOut(as_of=day, converted=converted)


# --- closing ----------------------------------------------------------------------------------


def close(uow: UnitOfWork, order_id: int, actor: str, now: datetime | None = None) -> Order:
    """Close a received order once nothing is owed on it, in cash or in kind."""
    at = now or utc_now()
    with uow:
        order = load_order(uow, order_id)
        if order.allows(Action.CLOSE):
            account = _account(uow, order)
            if not account.owes_nothing:
                raise AcsaError.single(
                    Code.NOT_SETTLED,
                    "order",
                    f"order {order_id} still owes {account.owed_in_cash} {order.currency} in "
                    f"cash and {account.awaiting_replacement} {order.currency} in kind",
                )
        before = order_state(order)
        order.close(at, actor)
        uow.publish(order, Kind.CLOSE, {}, actor, at)
        uow.orders.update(order, at)
        uow.record("order.close", f"order:{order_id}", actor, before, order_state(order), order_id)
        uow.commit()
    return order
