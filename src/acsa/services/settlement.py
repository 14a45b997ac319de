"""Settling orders: invoices and payments, replacement in kind, equal value exchange, and the
sweep that turns in-kind debt past its deadline into cash. One transaction per action; the
postings of both nations' books are written in the same transaction as the record."""

from __future__ import annotations

import dataclasses
from collections.abc import Callable, Sequence
from datetime import date, datetime
from typing import Any

from pydantic import BaseModel

from acsa.clock import utc_now
from acsa.commands import (
    By,
    CloseOrder,
    ConvertToCash,
    ExchangeEqualValue,
    IssueCreditNote,
    IssueInvoice,
    RecordPayment,
    ReturnInKind,
    ReversePayment,
    VoidInvoice,
)
from acsa.domain import limits
from acsa.domain.account import (
    AccountHead,
    Conversion,
    Correction,
    Decision,
    ExchangedLine,
    Invoice,
    MoneyAction,
    OrderAccount,
)
from acsa.domain.errors import AcsaError, Code, NotFoundError, Violation
from acsa.domain.ledger import EntryKind
from acsa.domain.memos import payment_document
from acsa.domain.money import (
    Money,
    fits_minor_units,
    is_known_currency,
    to_minor,
)
from acsa.domain.order import OPEN_WITH_RECEIPTS, Order, OrderStatus
from acsa.domain.settlement import (
    ReturnedLine,
    credit_note_number,
    invoice_number,
    settled_in_kind,
)
from acsa.schemas.ledger import (
    ConversionOut,
    CorrectionOut,
    InvoiceOut,
    OrderAccountOut,
    PaymentOut,
    SettlementOut,
    SweepOut,
)
from acsa.services.audit import order_state
from acsa.services.ledger import order_debts, terms_reader
from acsa.services.orders import load_order
from acsa.services.ports import InvoiceRef, StoredInvoice, StoredSettlement, UnitOfWork

# --- what an order owes -----------------------------------------------------------------------


def load_account(uow: UnitOfWork, order: Order) -> OrderAccount:
    """The account of ``order``, loaded in ``uow`` (held with the order when it writes), under
    the terms of the agreement text governing its order date."""
    return uow.order_accounts.load(order, terms_reader(uow)(AccountHead.of(order)))


def _apply(
    uow: UnitOfWork,
    order: Order,
    account: OrderAccount,
    decision: Decision,
    actor: str,
    at: datetime,
) -> list[int]:
    """Store what ``decision`` added: its records, both books' entries, its document."""
    ids = uow.order_accounts.store(account, decision)
    if decision.entries:
        uow.ledger.add(decision.entries)
    kind, body = decision.document
    uow.publish(order, kind, body, actor, at)
    return ids


def account_out(account: OrderAccount) -> OrderAccountOut:
    return OrderAccountOut(
        order=account.head.order,
        settlement=account.head.method,
        currency=account.currency,
        received=account.received,
        invoiced=account.invoiced,
        paid=account.paid,
        settled_in_kind=account.settled_in_kind,
        converted=account.converted,
        uninvoiced=account.uninvoiced,
        owed_in_cash=account.owed_in_cash,
        awaiting_replacement=account.awaiting_replacement,
        replacement_deadline=account.next_deadline(),
        settled=account.settled,
        actions=sorted(a.value for a in account.actions()),
        credited=account.credited,
        corrections=[correction_out(c, account.currency) for c in account.corrections],
    )


def correction_out(record: Correction, currency: str) -> CorrectionOut:
    assert record.at is not None
    return CorrectionOut(
        id=record.id or 0,
        kind=record.kind.value,
        invoice=record.invoice,
        amount=record.amount,
        currency=currency,
        effective=record.day,
        reason=record.reason,
        payment=record.payment,
        number=record.number,
        at=record.at,
        actor=record.actor,
    )


def order_account(uow: UnitOfWork, order_id: int) -> OrderAccountOut:
    """What an order has received, invoiced, been paid and settled, and what it still owes."""
    from acsa.services.disputes import disputed_of

    with uow:
        order = load_order(uow, order_id)
        out = account_out(load_account(uow, order))
        assert order.id is not None
        out.disputed = disputed_of(uow, order.id)
        return out


def closable(uow: UnitOfWork, order_ids: Sequence[int]) -> set[int]:
    """Of ``order_ids``, the received orders whose accounts owe nothing: those that may be
    closed now."""
    with uow:
        accounts = uow.order_accounts.load_ids(order_ids, terms_reader(uow))
    return {a.head.order for a in accounts if MoneyAction.CLOSE in a.actions()}


def money_waiting(uow: UnitOfWork, nation: str) -> list[tuple[OrderAccount, MoneyAction]]:
    """Settlement steps waiting for ``nation``: received value it supplied and has not
    invoiced, invoices it owes and has not paid, in-kind debt it owes still to return, and
    settled orders to close; each with the order's account."""
    with uow:
        accounts = order_debts(uow, nation=nation)
    return [(account, step) for account in accounts for step in steps_waiting(account, nation)]


def steps_waiting(account: OrderAccount, nation: str) -> tuple[MoneyAction, ...]:
    """The settlement steps of ``account`` that wait for ``nation``: the supplier invoices,
    the requester pays and returns in kind (or exchanges, where nothing is to be returned),
    either closes."""
    may, supplier = account.actions(), account.head.supplier == nation
    steps = (
        (MoneyAction.INVOICE, supplier),
        (MoneyAction.PAY, not supplier),
        (MoneyAction.REPLACE, not supplier),
        (MoneyAction.EXCHANGE, not supplier and MoneyAction.REPLACE not in may),
        (MoneyAction.CLOSE, True),
    )
    return tuple(step for step, ours in steps if ours and step in may)


# --- invoices and payments --------------------------------------------------------------------


def invoice_out(invoice: Invoice, head: AccountHead, as_of: date) -> InvoiceOut:
    assert invoice.id is not None
    assert invoice.at is not None
    return InvoiceOut(
        id=invoice.id,
        number=invoice.number,
        order=head.order,
        issuer=head.supplier,
        debtor=head.requester,
        kind=invoice.kind,
        amount=invoice.amount,
        currency=head.currency,
        issued=invoice.issued,
        due=invoice.due,
        paid=invoice.paid,
        unpaid=invoice.unpaid,
        status=invoice.status(as_of),
        at=invoice.at,
        actor=invoice.actor,
        payments=[
            PaymentOut(
                id=p.id or 0,
                amount=p.amount,
                currency=head.currency,
                paid=p.paid,
                reference=p.reference,
                at=p.at or invoice.at,
                actor=p.actor,
                place=place,
                reversed=place in invoice.reversed_places,
            )
            for place, p in enumerate(invoice.payments, start=1)
        ],
        credited=invoice.credited,
        billed=invoice.billed,
        voided=invoice.voided,
        corrections=[correction_out(c, head.currency) for c in invoice.corrections],
    )


def _stored_out(stored: StoredInvoice, as_of: date) -> InvoiceOut:
    """A stored invoice with its payments, presented with the parties of its order."""
    head = AccountHead(
        stored.order_id, stored.issuer, stored.debtor, stored.currency, "", OrderStatus.RECEIVED
    )
    return invoice_out(stored.invoice, head, as_of)


def _invoice_number(uow: UnitOfWork, order: Order, issued: date, number: str | None) -> str:
    """``number`` (the issuing node's), or the next one of the issuer's own numbering."""
    return number or invoice_number(
        order.supplier, issued.year, uow.counters.next(f"invoice:{order.supplier}:{issued.year}")
    )


def issue_invoice(uow: UnitOfWork, command: IssueInvoice, by: By) -> InvoiceOut:
    """Invoice what an order owes in cash and has not been invoiced yet; numbered per issuer
    and year (or ``number``, the issuing node's), due after the agreement's payment term."""
    at, actor, order_id, number = by.at, by.actor, command.order_id, command.number
    day = command.issued or at.date()
    with uow:
        order = load_order(uow, order_id)
        account = load_account(uow, order)
        # Ask first, so a refused invoice takes no number (the counter is rolled back anyway).
        if account.uninvoiced > 0:
            number = _invoice_number(uow, order, day, number)
        decision = account.invoice(day, number or "", at, actor)
        [invoice_id] = _apply(uow, order, account, decision, actor, at)
        [invoice] = decision.records
        assert isinstance(invoice, Invoice)
        result = invoice_out(dataclasses.replace(invoice, id=invoice_id), account.head, day)
        uow.record(
            "invoice.issue", f"invoice:{result.number}", actor, None, _json(result), order_id
        )
        uow.commit()
    return result


def _find_invoice(uow: UnitOfWork, reference: str) -> tuple[InvoiceRef, Order]:
    """Where the invoice by number or id is, and its order (held, in a writing unit of
    work); one whose order the unit of work's guard refuses is answered as not found (or
    forbidden), like the order itself."""
    found = uow.invoices.locate(number=reference)
    if found is None and reference.isdigit() and int(reference) < 2**31:
        found = uow.invoices.locate(invoice_id=int(reference))
    missing = NotFoundError(
        [
            Violation(
                Code.INVOICE_NOT_FOUND,
                "invoice",
                "no invoice {invoice} (give its number or id)",
                params={"invoice": repr(reference)},
            )
        ]
    )
    if found is None:
        raise missing
    try:
        order = load_order(uow, found.order_id)
    except NotFoundError:
        raise missing from None
    return found, order


def get_invoice(uow: UnitOfWork, reference: str, as_of: date | None = None) -> InvoiceOut:
    from acsa.services.arrangements import invoice_offices

    with uow:
        found, order = _find_invoice(uow, reference)
        [stored] = uow.invoices.find(invoice_id=found.id)
        return invoice_offices(uow, order, _stored_out(stored, as_of or utc_now().date()))


def list_invoices(
    uow: UnitOfWork,
    order_id: int | None = None,
    party: str | None = None,
    as_of: date | None = None,
) -> list[InvoiceOut]:
    day = as_of or utc_now().date()
    with uow:
        found = [_stored_out(r, day) for r in uow.invoices.find(order_id=order_id, party=party)]
        if order_id is not None and found:
            # One order's invoices (its page, its form): where each goes, under its arrangement.
            from acsa.services.arrangements import invoice_offices

            order = uow.orders.get(order_id, with_history=False)
            if order is not None:
                found = [invoice_offices(uow, order, i) for i in found]
        return found


def record_payment(uow: UnitOfWork, command: RecordPayment, by: By) -> InvoiceOut:
    """Record a payment against an invoice; overpayment is refused. The order is held before
    its account is read, so what is unpaid is what the last committed payment left."""
    at, actor, paid = by.at, by.actor, command.paid
    with uow:
        row, order = _find_invoice(uow, command.invoice)
        account = load_account(uow, order)
        value = _amount(command.amount, command.currency or row.currency)
        decision = account.pay(row.number, value, paid, command.reference, at, actor)
        before = account.invoice_named(row.number)
        [payment_id] = _apply(uow, order, account, decision, actor, at)
        after = decision.account.invoice_named(row.number)
        stored = (*after.payments[:-1], dataclasses.replace(after.payments[-1], id=payment_id))
        result = invoice_out(dataclasses.replace(after, payments=stored), account.head, paid)
        uow.record(
            "payment.record",
            f"invoice:{row.number}",
            actor,
            {"paid_minor": to_minor(before.paid, row.currency), "currency": row.currency},
            _json(result),
            row.order_id,
        )
        uow.commit()
    return result


# --- corrections ------------------------------------------------------------------------------


def _corrected(
    uow: UnitOfWork,
    order: Order,
    account: OrderAccount,
    decision: Decision,
    by: By,
    action: str,
) -> InvoiceOut:
    """Store the correction ``decision`` made (its record, both books' entries, its document),
    audit it as ``action`` on its invoice, commit, and answer with the invoice as it now
    stands."""
    [record] = decision.records
    assert isinstance(record, Correction)
    before = account.invoice_named(record.invoice)
    [correction_id] = _apply(uow, order, account, decision, by.actor, by.at)
    after = decision.account.invoice_named(record.invoice)
    stored = dataclasses.replace(record, id=correction_id)
    after = dataclasses.replace(after, corrections=(*after.corrections[:-1], stored))
    result = invoice_out(after, account.head, record.day)
    cur = account.currency
    was = {
        "billed_minor": to_minor(before.billed, cur),
        "paid_minor": to_minor(before.paid, cur),
        "currency": cur,
    }
    uow.record(action, f"invoice:{record.invoice}", by.actor, was, _json(result), order.id)
    uow.commit()
    return result


def void_invoice(uow: UnitOfWork, command: VoidInvoice, by: By) -> InvoiceOut:
    """Void an invoice no payment stands against, with a reason: what it billed may be
    invoiced again. The order is held first, so a racing payment or void sees this one."""
    day = command.day or by.at.date()
    with uow:
        row, order = _find_invoice(uow, command.invoice)
        account = load_account(uow, order)
        decision = account.void(row.number, day, command.reason, by.at, by.actor)
        return _corrected(uow, order, account, decision, by, "invoice.void")


def _find_payment(uow: UnitOfWork, command: ReversePayment) -> tuple[InvoiceRef, Order, int]:
    """The invoice of the payment ``command`` names, its order (held) and the payment's place
    among the invoice's payments; PAYMENT_NOT_FOUND for one not there (or not visible)."""
    if command.place is not None and command.invoice is not None:
        row, order = _find_invoice(uow, command.invoice)
        return row, order, command.place
    missing = NotFoundError(
        [
            Violation(
                Code.PAYMENT_NOT_FOUND,
                "payment",
                "no payment {payment}",
                params={"payment": command.payment},
            )
        ]
    )
    found = uow.invoices.locate_payment(command.payment)
    if found is None:
        raise missing
    try:
        order = load_order(uow, found.order_id)
    except NotFoundError:
        raise missing from None
    account = load_account(uow, order)
    invoice = account.invoice_named(found.number)
    ids = [p.id for p in invoice.payments]
    return found, order, ids.index(command.payment) + 1


def reverse_payment(uow: UnitOfWork, command: ReversePayment, by: By) -> InvoiceOut:
    """Reverse a payment, with a reason: it no longer counts as paid, and the entries it
    posted in both books are reversed (each reversing entry names the one it cancels)."""
    day = command.day or by.at.date()
    with uow:
        row, order, place = _find_payment(uow, command)
        account = load_account(uow, order)
        decision = account.reverse_payment(row.number, place, day, command.reason, by.at, by.actor)
        payment = account.invoice_named(row.number).payments[place - 1]
        assert order.id is not None
        assert payment.at is not None
        standing = uow.ledger.standing_entries(
            order.id,
            EntryKind.PAYMENT.value,
            payment_document(row.number),
            payment.at,
            payment.actor,
        )
        linked = tuple(
            dataclasses.replace(e, reverses=standing.get(e.book)) for e in decision.entries
        )
        decision = dataclasses.replace(decision, entries=linked)
        return _corrected(uow, order, account, decision, by, "payment.reverse")


def issue_credit_note(uow: UnitOfWork, command: IssueCreditNote, by: By) -> InvoiceOut:
    """A credit note against an invoice, numbered per issuer and year (or ``number``, the
    issuing node's): what the invoice bills and the order's cash debt are reduced in both
    books; at most what is unpaid."""
    day = command.day or by.at.date()
    with uow:
        row, order = _find_invoice(uow, command.invoice)
        account = load_account(uow, order)
        value = _amount(command.amount, command.currency or row.currency)
        number = command.number or credit_note_number(
            order.supplier, day.year, uow.counters.next(f"credit:{order.supplier}:{day.year}")
        )
        decision = account.credit(row.number, number, value, day, command.reason, by.at, by.actor)
        return _corrected(uow, order, account, decision, by, "invoice.credit")


def _json(model: BaseModel) -> dict[str, Any]:
    return model.model_dump(mode="json")


def _amount(value: Any, currency: str, field: str = "amount") -> Money:
    """``value`` as money: a plain decimal within limits.AMOUNT, in ``currency``'s minor unit."""
    amount = limits.check_number(field, value, limits.AMOUNT, Code.INVALID_AMOUNT)
    if not is_known_currency(currency):
        raise AcsaError.single(
            Code.UNKNOWN_CURRENCY,
            "currency",
            "{currency} is not an ISO 4217 currency code",
            currency=repr(currency),
        )
    if not fits_minor_units(amount, currency):
        raise AcsaError.single(
            Code.INVALID_AMOUNT,
            field,
            "{name} {amount} has more decimals than {currency} allows",
            name=field,
            amount=amount,
            currency=currency,
        )
    return Money(amount, currency)


# --- settlement in kind -----------------------------------------------------------------------


def _settlement_out(row: StoredSettlement) -> SettlementOut:
    return SettlementOut(
        id=row.id,
        order=row.order_id,
        kind=row.kind,
        value=row.value,
        currency=row.currency,
        effective=row.effective,
        lines=list(row.lines),
        agreed_by=row.agreed_by,
        note=row.note,
        at=row.at,
        actor=row.actor,
    )


def _record_in_kind(
    uow: UnitOfWork,
    order: Order,
    account: OrderAccount,
    decision: Decision,
    actor: str,
    at: datetime,
) -> SettlementOut:
    [settlement_id] = _apply(uow, order, account, decision, actor, at)
    [row] = [r for r in uow.settlements.of_order(account.head.order) if r.id == settlement_id]
    result = _settlement_out(row)
    subject = f"settlement:{settlement_id}"
    uow.record(f"settlement.{row.kind}", subject, actor, None, _json(result), order.id)
    uow.commit()
    return result


def replace(uow: UnitOfWork, command: ReturnInKind, by: By) -> SettlementOut:
    """Goods of the same kind and quantity (and NSN) returned against received lines."""
    at, actor = by.at, by.actor
    day = command.day or at.date()
    returned = [
        ReturnedLine(x.line, x.category, x.quantity, x.nsn, x.description) for x in command.lines
    ]
    with uow:
        order = load_order(uow, command.order_id)
        account = load_account(uow, order)
        decision = account.replace(day, returned, command.note, at, actor)
        return _record_in_kind(uow, order, account, decision, actor, at)


def exchange(uow: UnitOfWork, command: ExchangeEqualValue, by: By) -> SettlementOut:
    """Other goods or services, valued in the order's currency, against what is owed in kind;
    the valuation and who agreed it are recorded."""
    at, actor = by.at, by.actor
    day = command.day or at.date()
    with uow:
        order = load_order(uow, command.order_id)
        account = load_account(uow, order)
        wrong = [x for x in command.lines if x.currency not in (None, order.currency)]
        if wrong:
            raise AcsaError.single(
                Code.CURRENCY_MISMATCH,
                "lines",
                "an exchange is valued in the order's currency {currency}, not {given}",
                currency=order.currency,
                given=wrong[0].currency,
            )

        given = [
            ExchangedLine(
                x.category,
                x.description,
                x.quantity,
                x.unit,
                _amount(x.value, order.currency, f"lines[{i}].value").amount,
            )
            for i, x in enumerate(command.lines)
        ]
        agreed_by, note = command.agreed_by, command.valuation_note
        decision = account.exchange(day, given, agreed_by, note, at, actor)
        return _record_in_kind(uow, order, account, decision, actor, at)


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


def convert_one(uow: UnitOfWork, command: ConvertToCash, by: By) -> ConversionOut | None:
    """Convert what the order owes in kind past its deadline on ``as_of`` to cash, with an
    invoice (numbered ``number`` when a partner's node converted it); None if nothing is due."""
    at, actor, order_id, as_of = by.at, by.actor, command.order_id, command.as_of
    number = command.number
    with uow:
        order = load_order(uow, order_id)
        account = load_account(uow, order)
        if account.convertible(as_of) is None:
            return None
        decision = account.convert(as_of, _invoice_number(uow, order, as_of, number), at, actor)
        assert decision is not None
        _apply(uow, order, account, decision, actor, at)
        conversion, invoice = decision.records
        assert isinstance(conversion, Conversion)
        assert isinstance(invoice, Invoice)
        assert conversion.deadline is not None
        result = ConversionOut(
            order=order_id,
            amount=conversion.value,
            currency=account.currency,
            invoice=invoice.number,
            deadline=conversion.deadline,
        )
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
        result = convert_one(uow, ConvertToCash(order_id=order_id, as_of=day), By(actor, at))
        if result is not None:
            converted.append(result)
        if progress is not None:
            progress(done, len(candidates))
    return SweepOut(as_of=day, converted=converted)


# --- closing ----------------------------------------------------------------------------------


def close(uow: UnitOfWork, command: CloseOrder, by: By) -> Order:
    """Close a received order once nothing is owed on it, in cash or in kind."""
    at, actor, order_id = by.at, by.actor, command.order_id
    with uow:
        order = load_order(uow, order_id)
        account = load_account(uow, order)
        before = order_state(order)
        decision = account.close(order, at, actor)
        _apply(uow, order, account, decision, actor, at)
        uow.orders.update(order, at)
        uow.record("order.close", f"order:{order_id}", actor, before, order_state(order), order_id)
        uow.commit()
    return order
