"""Settling what an order left owing: invoices and payments, replacement in kind, equal value
exchange, and the deadline after which in-kind debt becomes cash. Pure rules, no storage."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, timedelta
from decimal import Decimal
from typing import Any

from acsa.domain.errors import AcsaError, Code, Violation
from acsa.domain.messages import Message, Term, message, t
from acsa.domain.money import Money
from acsa.domain.order import Order, OrderLine
from acsa.domain.vocabulary import Settlement

IN_KIND_METHODS = frozenset({Settlement.REPLACEMENT_IN_KIND, Settlement.EQUAL_VALUE_EXCHANGE})


def settled_in_kind(order: Order) -> bool:
    return order.settlement in IN_KIND_METHODS


def invoice_number(issuer: str, year: int, sequence: int) -> str:
    """``JPN-2026-000042``: issuer, year of issue, running number per issuer and year."""
    return f"{issuer}-{year}-{sequence:06d}"


def credit_note_number(issuer: str, year: int, sequence: int) -> str:
    """``JPN-CN-2026-000007``: issuer, year of issue, running number per issuer and year."""
    return f"{issuer}-CN-{year}-{sequence:06d}"


def due_date(issued: date, payment_term_days: int) -> date:
    return issued + timedelta(days=payment_term_days)


def replacement_deadline(received: date, deadline_days: int) -> date:
    """The last day a receipt can still be settled in kind; past it, it becomes cash."""
    return received + timedelta(days=deadline_days)


def check_payment(amount: Money, invoice_amount: Money, paid: Money, number: str) -> None:
    """A payment must be positive, in the invoice's currency, and no more than is unpaid."""
    errors: list[Violation] = []
    if amount.currency != invoice_amount.currency:
        errors.append(
            Violation(
                Code.CURRENCY_MISMATCH,
                "currency",
                "invoice {invoice} is in {currency}, not {given}",
                params={
                    "invoice": number,
                    "currency": invoice_amount.currency,
                    "given": amount.currency,
                },
            )
        )
    elif amount.amount <= 0:
        errors.append(
            Violation(
                Code.INVALID_AMOUNT,
                "amount",
                "a payment must be more than zero, not {amount}",
                params={"amount": amount},
            )
        )
    else:
        unpaid = invoice_amount - paid
        if amount.amount > unpaid.amount:
            errors.append(
                Violation(
                    Code.OVERPAYMENT,
                    "amount",
                    "invoice {invoice} has {unpaid} unpaid of {total}; a payment of {amount} "
                    "would overpay it by {excess}",
                    params={
                        "invoice": number,
                        "unpaid": unpaid,
                        "total": invoice_amount,
                        "amount": amount,
                        "excess": amount - unpaid,
                    },
                )
            )
    if errors:
        raise AcsaError(errors)


@dataclass(frozen=True, slots=True)
class ReturnedLine:
    """Goods returned in kind against one line of the order.

    Attributes:
        line: the order line's number; category and nsn: as on the line.
        quantity: how much was returned, in the line's unit of issue.
        description: what was returned, in words.
    """

    line: int
    category: str
    quantity: Decimal
    nsn: str | None = None
    description: str = ""

    def as_record(self) -> dict[str, Any]:
        return {
            "line": self.line,
            "category": self.category,
            "nsn": self.nsn,
            "quantity": str(self.quantity),
            "description": self.description,
        }


def replacement_value(
    currency: str,
    lines: Sequence[OrderLine],
    returned: Sequence[ReturnedLine],
    replaced_before: dict[int, Decimal],
) -> tuple[Money, dict[int, Decimal]]:
    """The value of a replacement in kind and the quantities replaced per line after it.

    Each returned line must name a line of the order, be of the same category and carry the
    same NSN where the order gave one (REPLACEMENT_MISMATCH), and not exceed what was received
    and not yet replaced (REPLACEMENT_EXCEEDS_OWED).
    """
    errors: list[Violation] = []
    after = dict(replaced_before)
    value = Money.zero(currency)
    if not returned:
        raise AcsaError.single(Code.MISSING_FIELD, "lines", "a replacement needs lines")
    for index, item in enumerate(returned):
        field = f"lines[{index}]"
        line = next((ln for ln in lines if ln.number == item.line), None)
        if line is None:
            errors.append(
                Violation(
                    Code.REPLACEMENT_MISMATCH,
                    f"{field}.line",
                    "the order has no line {line}; its lines are 1 to {last}",
                    params={"line": item.line, "last": len(lines)},
                )
            )
            continue
        before = after.get(line.number, Decimal(0))
        problem = _mismatch(line, item, before)
        if problem:
            code, why = problem
            errors.append(Violation(code, field, why.template, params=why.params))
            continue
        after[line.number] = before + item.quantity
        value = value + _value_between(line, before, after[line.number])
    if errors:
        raise AcsaError(errors)
    return value, after


def _mismatch(
    line: OrderLine, item: ReturnedLine, replaced: Decimal
) -> tuple[Code, Message] | None:
    n, bad = line.number, Code.REPLACEMENT_MISMATCH
    if item.category != line.category:
        return bad, message(
            t("line {line} was '{category}'; a replacement must be the same kind, not '{given}'"),
            line=n,
            category=Term(line.category),
            given=Term(item.category),
        )
    if line.nsn and (item.nsn or "").replace("-", "") != line.nsn.replace("-", ""):
        if not item.nsn:
            return bad, message(
                t("line {line} was NSN {nsn}; the replacement gives none"), line=n, nsn=line.nsn
            )
        return bad, message(
            t("line {line} was NSN {nsn}; the replacement gives {given}"),
            line=n,
            nsn=line.nsn,
            given=item.nsn,
        )
    if item.quantity <= 0:
        return bad, message(
            t("line {line}: a replaced quantity must be more than zero, not {quantity}"),
            line=n,
            quantity=item.quantity,
        )
    left = line.quantity_received - replaced
    if item.quantity > left:
        return Code.REPLACEMENT_EXCEEDS_OWED, message(
            t(
                "line {line}: {quantity} {unit} returned, but only {left} {unit} received and not "
                "yet replaced"
            ),
            line=n,
            quantity=item.quantity,
            unit=line.unit,
            left=left,
        )
    return None


def _value_between(line: OrderLine, before: Decimal, after: Decimal) -> Money:
    """Value of the quantity from ``before`` to ``after``, rounded so parts add up exactly."""
    return Money.of_product(after, line.unit_price, line.currency) - Money.of_product(
        before, line.unit_price, line.currency
    )


def check_in_kind_value(value: Money, awaiting: Money, code: Code) -> None:
    """A settlement in kind must be worth something and no more than is still owed in kind."""
    if value.amount <= 0:
        raise AcsaError.single(
            Code.INVALID_AMOUNT,
            "lines",
            "a settlement must be worth more than zero, not {value}",
            value=value,
        )
    if value.amount > awaiting.amount:
        raise AcsaError.single(
            code,
            "lines",
            "the settlement is valued at {value}, more than the {owed} still owed in kind",
            value=value,
            owed=awaiting,
        )
