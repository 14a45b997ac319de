"""The pure rules of disputes (acsa.domain.disputes): which steps and grounds may be disputed,
the amount against what the step is worth, evidence that must be a file of the order, one open
dispute per step and side, who answers what, the agreed amount, and a dispute's age."""

from __future__ import annotations

from datetime import UTC, date, datetime
from decimal import Decimal

import pytest

from acsa.domain.attachments import Step, StepKind
from acsa.domain.disputes import (
    Dispute,
    Ground,
    Resolution,
    Status,
    answered,
    check_amount,
    check_answer,
    check_open,
    dispute_number,
    disputed_total,
    parse_disputed_step,
    parse_ground,
    parse_resolution,
)
from acsa.domain.errors import AcsaError, Code

AT = datetime(2026, 3, 12, 9, tzinfo=UTC)
FILE = "ab" * 32
RECEIPT = Step(StepKind.RECEIPT, "5")


def _dispute(step: Step = RECEIPT, **changes: object) -> Dispute:
    fields: dict[str, object] = {
        "order_id": 1,
        "number": "DSP-AUS-2026-0001",
        "step": step,
        "ground": Ground.QUANTITY,
        "reason": "short",
        "amount": Decimal(1000),
        "currency": "JPY",
        "evidence": None,
        "opened_by": "AUS",
        "actor": "Sgt Lee",
        "day": date(2026, 3, 12),
        "at": AT,
        **changes,
    }
    return Dispute(**fields)  # type: ignore[arg-type]


def _code(call: object) -> str:
    with pytest.raises(AcsaError) as refused:
        call()  # type: ignore[operator]
    return refused.value.violations[0].code.value


def test_steps_and_grounds() -> None:
    assert parse_disputed_step("step", "invoice:JPN-2026-000001") == Step(
        StepKind.INVOICE, "JPN-2026-000001"
    )
    for wrong in ("delivery:3", "receipt:x", "nothing"):
        assert _code(lambda w=wrong: parse_disputed_step("step", w)) == "INVALID_FIELD"
    receipt, payment = Step(StepKind.RECEIPT, "5"), Step(StepKind.PAYMENT, "1")
    assert parse_ground("ground", "quality", receipt) is Ground.QUALITY
    assert parse_ground("ground", "replacement", payment) is Ground.REPLACEMENT
    assert _code(lambda: parse_ground("ground", "amount", receipt)) == "INVALID_FIELD"
    assert _code(lambda: parse_resolution("resolution", "shrug")) == "INVALID_FIELD"
    assert parse_resolution("resolution", "write_off") is Resolution.WRITE_OFF


def test_amounts_are_positive_bounded_and_in_the_currency_minor_unit() -> None:
    assert check_amount("amount", "12.5", "AUD") == Decimal("12.5")
    for value, currency in (("0", "JPY"), ("-1", "JPY"), ("1.5", "JPY"), ("1.005", "AUD")):
        assert _code(lambda v=value, c=currency: check_amount("amount", v, c)) == "INVALID_AMOUNT"


def test_what_refuses_a_new_dispute() -> None:
    ok = check_open(Decimal(10), "JPY", Decimal(10), FILE, frozenset({FILE}), None)
    assert ok == []
    found = check_open(Decimal(11), "JPY", Decimal(10), FILE, frozenset(), _dispute())
    assert [v.code for v in found] == [
        Code.DISPUTE_EXCEEDS_WORTH,
        Code.DISPUTE_EVIDENCE_NOT_FOUND,
        Code.DISPUTE_OPEN,
    ]
    assert _code(lambda: check_open(Decimal(1), "JPY", Decimal(1), "X", frozenset(), None)) == (
        "INVALID_FIELD"
    )


def test_who_answers_what() -> None:
    d = _dispute()  # AUS (the requester) disputes JPN's delivery as received
    check_answer(d, Resolution.ACCEPT, "JPN", "JPN", None)
    check_answer(d, Resolution.REDELIVERY, "JPN", "JPN", None)
    check_answer(d, Resolution.CREDIT_NOTE, "JPN", "JPN", Decimal(1000))
    check_answer(d, Resolution.WITHDRAW, "AUS", "JPN", None)
    cases = [
        (Resolution.ACCEPT, "AUS", None, "DISPUTE_WRONG_SIDE"),
        (Resolution.WITHDRAW, "JPN", None, "DISPUTE_WRONG_SIDE"),
        (Resolution.CREDIT_NOTE, "JPN", None, "MISSING_FIELD"),
        (Resolution.WRITE_OFF, "JPN", Decimal(1001), "DISPUTE_EXCEEDS_WORTH"),
        (Resolution.ACCEPT, "JPN", Decimal(1), "INVALID_FIELD"),
    ]
    for resolution, side, agreed, code in cases:
        assert _code(lambda r=resolution, s=side, a=agreed: check_answer(d, r, s, "JPN", a)) == code
    # The supplier's dispute of a payment: the requester may accept, not credit or re-deliver.
    on_payment = _dispute(Step(StepKind.PAYMENT, "1"), ground=Ground.PAYMENT, opened_by="JPN")
    check_answer(on_payment, Resolution.ACCEPT, "AUS", "JPN", None)
    for resolution, agreed in ((Resolution.WRITE_OFF, Decimal(1)), (Resolution.REDELIVERY, None)):
        assert _code(
            lambda r=resolution, a=agreed: check_answer(on_payment, r, "AUS", "JPN", a)
        ) == ("DISPUTE_RESOLUTION_NOT_ALLOWED")
    invoice = _dispute(Step(StepKind.INVOICE, "JPN-1"), ground=Ground.AMOUNT)
    assert _code(lambda: check_answer(invoice, Resolution.REDELIVERY, "JPN", "JPN", None)) == (
        "DISPUTE_RESOLUTION_NOT_ALLOWED"
    )


def test_an_answered_dispute_is_closed_and_ages_no_more() -> None:
    d = _dispute()
    later = date(2026, 4, 1)
    assert d.age(later) == 20
    closed = answered(d, Resolution.CREDIT_NOTE, Decimal(600), "ok", "CN-1", "JPN", "x", later, AT)
    assert (closed.status, closed.agreed, closed.credit_note) == (
        Status.RESOLVED,
        Decimal(600),
        "CN-1",
    )
    assert closed.age(date(2027, 1, 1)) == 20
    gone = answered(d, Resolution.WITHDRAW, None, "", None, "AUS", "x", later, AT)
    assert gone.status is Status.WITHDRAWN
    assert _code(lambda: check_answer(closed, Resolution.ACCEPT, "JPN", "JPN", None)) == (
        "DISPUTE_CLOSED"
    )
    assert disputed_total([d, closed, _dispute(amount=Decimal(5))]) == Decimal(1005)
    assert dispute_number("AUS", 2026, 7) == "DSP-AUS-2026-0007"
