"""Settling an order in the pages: what it owes, its invoices and payments, its settlements in
kind and the replacement deadline of each receipt, with the forms of the visitor's next step.

Each form is shown only to those who may use it (the access rules of the API, and the order's
state); each posts the session's CSRF token, runs the service in a unit of work guarded like
the API's, and answers with a redirect back to the page and a confirmation. A refusal shows the
page again with what was refused and why, and the values as they were typed; an order of
another nation is not found.
"""

from __future__ import annotations

import unicodedata
from dataclasses import dataclass, field
from datetime import date, timedelta
from decimal import Decimal
from typing import Annotated, Any
from urllib.parse import urlencode

from fastapi import APIRouter, Depends, Form, Query, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from acsa.clock import today
from acsa.commands import (
    ExchangeEqualValue,
    IssueCreditNote,
    IssueInvoice,
    RecordPayment,
    ReturnInKind,
    ReversePayment,
    VoidInvoice,
)
from acsa.domain.access import Permission, allowed
from acsa.domain.account import MoneyAction, OrderAccount
from acsa.domain.dates import parse_day
from acsa.domain.errors import AcsaError, Code, NotFoundError, Violation
from acsa.domain.vocabulary import CATEGORIES
from acsa.http_status import status_of
from acsa.schemas.ledger import InvoiceOut, OrderAccountOut, PaymentOut, SettlementOut
from acsa.schemas.orders import OrderOut, order_out
from acsa.services import settlement as service
from acsa.services.disputes import disputed_of
from acsa.services.handlers import handle
from acsa.services.orders import load_order
from acsa.web.form_keys import SentForm
from acsa.web.pages import Pages, PagesDep
from acsa.web.session import Visitor, check_csrf, visitor
from acsa.web.tables import N_
from acsa.web.views import parse_order_id

router = APIRouter()

VisitorDep = Annotated[Visitor, Depends(visitor)]
Text = Annotated[str, Form(max_length=500)]
Token = Annotated[str, Form(max_length=200)]
Values = Annotated[list[str], Form(max_length=100)]

#: What each refusal code means, in words a person reads (translated in finance.po).
CODES: dict[str, str] = {
    Code.FORBIDDEN.value: N_(
        "You may not do this: your role or your side of the order does not allow it."
    ),
    Code.INVALID_AMOUNT.value: N_("The amount is not valid."),
    Code.INVALID_DATE.value: N_("The date is not valid."),
    Code.INVALID_FIELD.value: N_("A field is not valid."),
    Code.INVALID_INPUT.value: N_("The form cannot be read."),
    Code.MISSING_FIELD.value: N_("A required field is missing."),
    Code.UNKNOWN_CURRENCY.value: N_("The currency is not an ISO 4217 code."),
    Code.UNKNOWN_CATEGORY.value: N_("The category is not known."),
    Code.CURRENCY_MISMATCH.value: N_("The currency is not the one of the invoice or order."),
    Code.OVERPAYMENT.value: N_("The payment is more than is unpaid on the invoice."),
    Code.NOTHING_TO_INVOICE.value: N_("There is nothing to invoice on this order."),
    Code.INVOICE_NOT_FOUND.value: N_("There is no such invoice on this order."),
    Code.REPLACEMENT_MISMATCH.value: N_(
        "The goods returned do not match what was received (line, category, NSN or quantity)."
    ),
    Code.REPLACEMENT_EXCEEDS_OWED.value: N_(
        "More is returned than was received and is still owed in kind."
    ),
    Code.EXCHANGE_EXCEEDS_OWED.value: N_("The exchange is worth more than is still owed in kind."),
    Code.SETTLEMENT_METHOD_MISMATCH.value: N_(
        "This order is not settled by that method under its terms."
    ),
    Code.NOTHING_OWED_IN_KIND.value: N_("Nothing is owed in kind on this order."),
    Code.CONCURRENT_UPDATE.value: N_("The order changed meanwhile: reload the page and retry."),
    Code.IDEMPOTENCY_KEY_REUSED.value: N_(
        "This form was already sent with other values: reload the page to get a new form."
    ),
    Code.INVALID_TRANSITION.value: N_("The order's state does not allow this step."),
    Code.INVOICE_VOIDED.value: N_("The invoice is void: nothing more is recorded against it."),
    Code.INVOICE_HAS_PAYMENTS.value: N_(
        "Payments stand against the invoice: reverse them first, then void it."
    ),
    Code.PAYMENT_NOT_FOUND.value: N_("There is no such payment on this order."),
    Code.PAYMENT_REVERSED.value: N_("The payment is reversed already."),
    Code.CREDIT_EXCEEDS_UNPAID.value: N_(
        "A credit note may take off at most what is unpaid on the invoice."
    ),
}

#: The forms of the page and the confirmation each shows once done.
DONE = {
    "invoice": N_("Invoice %(ref)s issued."),
    "payment": N_("Payment recorded against invoice %(ref)s."),
    "replacement": N_("Replacement in kind recorded (%(ref)s)."),
    "exchange": N_("Equal value exchange recorded (%(ref)s)."),
    "void": N_("Invoice %(ref)s voided."),
    "credit": N_("Credit note issued against invoice %(ref)s."),
    "reversal": N_("Payment reversed on invoice %(ref)s."),
}
#: Words the page shows through the ``words`` filter (for the catalogue): invoice states,
#: kinds of correction.
STATE_WORDS = (
    N_("open"),
    N_("paid"),
    N_("overdue"),
    N_("conversion"),
    N_("void"),
    N_("credited"),
    N_("reversal"),
    N_("credit"),
)


@dataclass(frozen=True)
class Receipt:
    """One receipt of the order and, for an order settled in kind, its replacement deadline:
    the last day it can still be replaced; from the day after, what is left of it converts
    to cash at the next sweep."""

    day: date
    document: str
    value: Decimal
    open: Decimal
    deadline: date | None
    converts_on: date | None
    past_deadline: bool


@dataclass(frozen=True)
class ReturnLine:
    """A received line as the replacement form offers it."""

    number: int
    category: str
    description: str
    nsn: str | None
    unit: str
    received: Decimal
    replaced: Decimal

    @property
    def left(self) -> Decimal:
        return self.received - self.replaced


@dataclass
class SettlementPage:
    order: OrderOut
    account: OrderAccountOut
    invoices: list[InvoiceOut]
    settlements: list[SettlementOut]
    receipts: list[Receipt]
    deadline_days: int
    payment_term_days: int
    in_kind: bool
    lines: list[ReturnLine]
    can_invoice: bool
    can_pay: bool
    can_replace: bool
    can_exchange: bool
    today: date
    categories: list[str] = field(default_factory=list)
    #: Whether the visitor may void and credit invoices and reverse payments (the supplier's
    #: finance): each form shows only when something is there to do.
    may_correct_invoices: bool = False
    may_reverse: bool = False

    @property
    def payable(self) -> list[InvoiceOut]:
        return [i for i in self.invoices if i.unpaid > 0]

    @property
    def voidable(self) -> list[InvoiceOut]:
        """Invoices not void that no payment stands against."""
        return [
            i for i in self.invoices if not i.voided and not any(not p.reversed for p in i.payments)
        ]

    @property
    def reversible(self) -> list[tuple[InvoiceOut, PaymentOut]]:
        """Payments standing (not reversed), with their invoice."""
        return [(i, p) for i in self.invoices for p in i.payments if not p.reversed]

    @property
    def can_void(self) -> bool:
        return self.may_correct_invoices and bool(self.voidable)

    @property
    def can_credit(self) -> bool:
        return self.may_correct_invoices and bool(self.payable)

    @property
    def can_reverse(self) -> bool:
        return self.may_reverse and bool(self.reversible)

    @property
    def any_form(self) -> bool:
        return (
            self.can_invoice
            or self.can_pay
            or self.can_replace
            or self.can_exchange
            or self.can_void
            or self.can_credit
            or self.can_reverse
        )


def _receipts(account: OrderAccount, day: date) -> list[Receipt]:
    """Each receipt with what is still open of it (settlements apply to the oldest first):
    awaiting replacement on an order settled in kind, not yet invoiced on a cash order."""
    in_kind = account.head.in_kind
    still = account.awaiting_tranches() if in_kind else account.uninvoiced_tranches()
    left = {(t.day, t.document): t.value for t in still}
    found: list[Receipt] = []
    for t in sorted(account.receipts, key=lambda t: t.day):
        open_ = left.get((t.day, t.document), Decimal(0))
        deadline = account.deadline_of(t) if in_kind else None
        found.append(
            Receipt(
                day=t.day,
                document=t.document,
                value=t.value,
                open=open_,
                deadline=deadline,
                converts_on=deadline + timedelta(days=1) if deadline else None,
                past_deadline=bool(deadline and open_ > 0 and day > deadline),
            )
        )
    return found


def settlement_page(who: Visitor, order_id: str) -> SettlementPage:
    """The order's account and what the visitor may do about it (another nation's: 404)."""
    oid = parse_order_id(order_id)
    uow = who.reader()
    with uow:
        order = load_order(uow, oid)
        account = service.load_account(uow, order)
        invoices = service.list_invoices(uow, order_id=oid)
        settlements = service.settlements_of(uow, oid)
        shown = service.account_out(account)
        shown.disputed = disputed_of(uow, oid)
    day = today()
    may = account.actions()
    returnable = account.returnable_per_line()
    replaced = account.replaced_per_line()
    p, req, sup = who.principal, order.requester, order.supplier
    return SettlementPage(
        order=order_out(order),
        account=shown,
        invoices=invoices,
        settlements=settlements,
        receipts=_receipts(account, day),
        deadline_days=account.terms.deadline_days,
        payment_term_days=account.terms.payment_term_days,
        in_kind=account.head.in_kind,
        lines=[
            ReturnLine(
                line.number,
                line.category,
                line.description,
                line.nsn,
                line.unit,
                line.quantity_received,
                replaced.get(line.number, Decimal(0)),
            )
            for line in order.lines
            if returnable.get(line.number, Decimal(0)) > 0
        ],
        can_invoice=allowed(p, Permission.INVOICE, req, sup) and MoneyAction.INVOICE in may,
        can_pay=allowed(p, Permission.PAY, req, sup) and MoneyAction.PAY in may,
        can_replace=allowed(p, Permission.REPLACE, req, sup) and MoneyAction.REPLACE in may,
        can_exchange=allowed(p, Permission.EXCHANGE, req, sup) and MoneyAction.EXCHANGE in may,
        today=day,
        categories=sorted(CATEGORIES),
        may_correct_invoices=allowed(p, Permission.INVOICE, req, sup),
        may_reverse=allowed(p, Permission.INVOICE, req, sup),
    )


def _render(
    request: Request,
    pages: Pages,
    who: Visitor,
    order_id: str,
    status_code: int = 200,
    refused: str | None = None,
    errors: list[Violation] | None = None,
    typed: dict[str, Any] | None = None,
    done: str | None = None,
    ref: str | None = None,
) -> HTMLResponse:
    page = settlement_page(who, order_id)
    if not _confirmed(page, done, ref):
        done = ref = None
    return pages.render(
        request,
        "finance_settlement.html",
        who,
        status_code=status_code,
        title=N_("Settlement"),
        page=page,
        refused=refused,
        errors=errors or [],
        codes=CODES,
        typed=typed or {},
        done=DONE.get(done or ""),
        ref=ref or "",
    )


def _confirmed(page: SettlementPage, done: str | None, ref: str | None) -> bool:
    """Whether the confirmation in the address names what the page shows (an invoice or a
    settlement of this order), so that a crafted link cannot confirm what did not happen."""
    if done in ("invoice", "payment", "void", "credit", "reversal"):
        return any(i.number == ref for i in page.invoices)
    if done in ("replacement", "exchange"):
        return any(f"#{s.id}" == ref and s.kind == done for s in page.settlements)
    return False


def _number(value: str) -> str:
    """A number as typed: full-width digits and separators (Japanese input) made ASCII, the
    grouping commas dropped."""
    return unicodedata.normalize("NFKC", value).strip().replace(",", "")


@router.get("/orders/{order_id}/settlement", response_class=HTMLResponse)
def settlement(
    request: Request,
    pages: PagesDep,
    who: VisitorDep,
    order_id: str,
    done: str | None = None,
    ref: Annotated[str | None, Query(max_length=60)] = None,
) -> HTMLResponse:
    """What the order owes and has settled, the deadlines, and the forms of the next step."""
    return _render(request, pages, who, order_id, done=done, ref=ref)


def _back(order_id: int, done: str, ref: str) -> str:
    query = urlencode({"done": done, "ref": ref})
    return f"/orders/{order_id}/settlement?{query}#confirmation"


def _run(
    request: Request,
    pages: Pages,
    sent: SentForm,
    order_id: str,
    form: str,
    typed: dict[str, Any],
    change: Any,
) -> Response:
    """Run ``change(order_id)`` (a service call in ``sent.writer()`` returning the
    confirmation's reference) and commit it with the form's key; a refusal shows the page
    again with the violations and what was typed. The same form sent again is answered as it
    was the first time, and changes nothing."""
    who = sent.who
    oid = parse_order_id(order_id)
    try:
        earlier = sent.replayed()
        if earlier is not None:
            return earlier
        location = _back(oid, form, change(oid))
        earlier = sent.commit(location)
    except NotFoundError:
        raise
    except AcsaError as exc:
        earlier = sent.raced()
        if earlier is not None:
            return earlier
        errors = list(exc.violations)
        return _render(request, pages, who, order_id, status_of(exc), form, errors, typed)
    finally:
        sent.close()
    return earlier or RedirectResponse(location, status_code=303)


@router.post("/orders/{order_id}/settlement/invoice", response_model=None)
def issue_invoice(
    request: Request,
    pages: PagesDep,
    who: VisitorDep,
    order_id: str,
    csrf: Token = "",
    form_key: Token = "",
    issued: Text = "",
) -> Response:
    """Invoice what the order owes in cash and is not yet invoiced (the supplier's finance)."""
    check_csrf(who, csrf)
    sent = SentForm.of(request, who, form_key, {"issued": issued})

    def change(oid: int) -> str:
        command = IssueInvoice(order_id=oid, issued=parse_day(issued, "date"))
        made = handle(sent.writer(command.spec.permission), command, who.principal.name)
        return str(made.number)

    return _run(request, pages, sent, order_id, "invoice", {"issued": issued}, change)


@router.post("/orders/{order_id}/settlement/payment", response_model=None)
def record_payment(
    request: Request,
    pages: PagesDep,
    who: VisitorDep,
    order_id: str,
    csrf: Token = "",
    form_key: Token = "",
    invoice: Text = "",
    amount: Text = "",
    paid: Text = "",
    reference: Text = "",
) -> Response:
    """Record a payment against one of the order's invoices."""
    check_csrf(who, csrf)
    typed = {"invoice": invoice, "amount": amount, "paid": paid, "reference": reference}
    sent = SentForm.of(request, who, form_key, typed)

    def change(oid: int) -> str:
        found = _order_invoice(who, oid, invoice)
        day = parse_day(paid, "date")
        if day is None:
            raise AcsaError.single(Code.MISSING_FIELD, "date", "give the day of the payment")
        if not amount.strip():
            raise AcsaError.single(Code.MISSING_FIELD, "amount", "give the amount paid")
        body = {"amount": _number(amount), "date": day, "reference": reference.strip()}
        command = RecordPayment.from_wire(body, invoice=found.number)
        done = handle(sent.writer(command.spec.permission), command, who.principal.name)
        return str(done.number)

    return _run(request, pages, sent, order_id, "payment", typed, change)


@router.post("/orders/{order_id}/settlement/replacement", response_model=None)
def record_replacement(
    request: Request,
    pages: PagesDep,
    who: VisitorDep,
    order_id: str,
    csrf: Token = "",
    form_key: Token = "",
    line: Values = [],  # noqa: B006 (FastAPI copies defaults)
    category: Values = [],  # noqa: B006
    quantity: Values = [],  # noqa: B006
    nsn: Values = [],  # noqa: B006
    returned: Text = "",
    note: Text = "",
) -> Response:
    """Goods of the same kind (category, NSN) returned against received lines."""
    check_csrf(who, csrf)
    typed: dict[str, Any] = {
        "quantity": dict(zip(line, quantity, strict=False)),
        "nsn": dict(zip(line, nsn, strict=False)),
        "returned": returned,
        "note": note,
    }
    sent = SentForm.of(request, who, form_key, {**typed, "line": line, "category": category})

    def change(oid: int) -> str:
        if not (len(line) == len(category) == len(quantity) == len(nsn)):
            raise AcsaError.single(Code.INVALID_INPUT, "lines", "the form's lines do not line up")
        lines = [
            {
                "line": number,
                "category": cat,
                "quantity": _number(qty),
                "nsn": code.strip() or None,
            }
            for number, cat, qty, code in zip(line, category, quantity, nsn, strict=True)
            if qty.strip()
        ]
        if not lines:
            raise AcsaError.single(
                Code.MISSING_FIELD, "quantity", "give the quantity returned on at least one line"
            )
        data = {"lines": lines, "date": returned.strip() or None, "note": note.strip()}
        command = ReturnInKind.from_wire(data, order_id=oid)
        made = handle(sent.writer(command.spec.permission), command, who.principal.name)
        return f"#{made.id}"

    return _run(request, pages, sent, order_id, "replacement", typed, change)


@router.post("/orders/{order_id}/settlement/exchange", response_model=None)
def record_exchange(
    request: Request,
    pages: PagesDep,
    who: VisitorDep,
    order_id: str,
    csrf: Token = "",
    form_key: Token = "",
    category: Text = "",
    description: Text = "",
    quantity: Text = "1",
    unit: Text = "EA",
    value: Text = "",
    agreed_by: Text = "",
    valuation_note: Text = "",
    exchanged: Text = "",
) -> Response:
    """Other goods or services of equal value, valued in the order's currency, and who
    agreed the valuation."""
    check_csrf(who, csrf)
    typed = {
        "category": category,
        "description": description,
        "quantity": quantity,
        "unit": unit,
        "value": value,
        "agreed_by": agreed_by,
        "valuation_note": valuation_note,
        "exchanged": exchanged,
    }
    sent = SentForm.of(request, who, form_key, typed)

    def change(oid: int) -> str:
        data = {
            "lines": [
                {
                    "category": category.strip(),
                    "description": description.strip(),
                    "quantity": _number(quantity) or "1",
                    "unit": unit.strip() or "EA",
                    "value": _number(value),
                }
            ],
            "agreed_by": agreed_by.strip(),
            "valuation_note": valuation_note.strip(),
            "date": exchanged.strip() or None,
        }
        command = ExchangeEqualValue.from_wire(data, order_id=oid)
        made = handle(sent.writer(command.spec.permission), command, who.principal.name)
        return f"#{made.id}"

    return _run(request, pages, sent, order_id, "exchange", typed, change)


def _order_invoice(who: Visitor, oid: int, invoice: str) -> InvoiceOut:
    """The invoice ``invoice`` (number) of order ``oid``: INVOICE_NOT_FOUND otherwise."""
    found = service.get_invoice(who.reader(), invoice.strip()) if invoice.strip() else None
    if found is None or found.order != oid:
        raise AcsaError.single(
            Code.INVOICE_NOT_FOUND,
            "invoice",
            "order {order} has no invoice '{invoice}'",
            order=oid,
            invoice=invoice,
        )
    return found


@router.post("/orders/{order_id}/settlement/void", response_model=None)
def void_invoice(
    request: Request,
    pages: PagesDep,
    who: VisitorDep,
    order_id: str,
    csrf: Token = "",
    form_key: Token = "",
    invoice: Text = "",
    reason: Text = "",
    voided: Text = "",
) -> Response:
    """Void one of the order's invoices that no payment stands against, with a reason."""
    check_csrf(who, csrf)
    typed = {"invoice": invoice, "reason": reason, "voided": voided}
    sent = SentForm.of(request, who, form_key, typed)

    def change(oid: int) -> str:
        found = _order_invoice(who, oid, invoice)
        body = {"reason": reason.strip(), "date": parse_day(voided, "date")}
        command = VoidInvoice.from_wire(body, invoice=found.number)
        done = handle(sent.writer(command.spec.permission), command, who.principal.name)
        return str(done.number)

    return _run(request, pages, sent, order_id, "void", typed, change)


@router.post("/orders/{order_id}/settlement/credit", response_model=None)
def issue_credit_note(
    request: Request,
    pages: PagesDep,
    who: VisitorDep,
    order_id: str,
    csrf: Token = "",
    form_key: Token = "",
    invoice: Text = "",
    amount: Text = "",
    reason: Text = "",
    credited: Text = "",
) -> Response:
    """Issue a credit note against one of the order's invoices, with a reason."""
    check_csrf(who, csrf)
    typed = {"invoice": invoice, "amount": amount, "reason": reason, "credited": credited}
    sent = SentForm.of(request, who, form_key, typed)

    def change(oid: int) -> str:
        found = _order_invoice(who, oid, invoice)
        if not amount.strip():
            raise AcsaError.single(Code.MISSING_FIELD, "amount", "give the amount credited")
        body = {
            "amount": _number(amount),
            "reason": reason.strip(),
            "date": parse_day(credited, "date"),
        }
        command = IssueCreditNote.from_wire(body, invoice=found.number)
        done = handle(sent.writer(command.spec.permission), command, who.principal.name)
        return str(done.number)

    return _run(request, pages, sent, order_id, "credit", typed, change)


@router.post("/orders/{order_id}/settlement/reversal", response_model=None)
def reverse_payment(
    request: Request,
    pages: PagesDep,
    who: VisitorDep,
    order_id: str,
    csrf: Token = "",
    form_key: Token = "",
    payment: Text = "",
    reason: Text = "",
    reversed_on: Text = "",
) -> Response:
    """Reverse one of the order's payments, with a reason."""
    check_csrf(who, csrf)
    typed = {"payment": payment, "reason": reason, "reversed_on": reversed_on}
    sent = SentForm.of(request, who, form_key, typed)

    def change(oid: int) -> str:
        page = settlement_page(who, str(oid))
        chosen = payment.strip()
        found = next(((i, p) for i, p in page.reversible if str(p.id) == chosen), None)
        if found is None:
            raise AcsaError.single(
                Code.PAYMENT_NOT_FOUND,
                "payment",
                "order {order} has no payment '{payment}' standing",
                order=oid,
                payment=payment,
            )
        body = {"reason": reason.strip(), "date": parse_day(reversed_on, "date")}
        command = ReversePayment.from_wire(body, payment=found[1].id)
        done = handle(sent.writer(command.spec.permission), command, who.principal.name)
        return str(done.number)

    return _run(request, pages, sent, order_id, "reversal", typed, change)
