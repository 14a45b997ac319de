"""Disputes: either party to an order objects to one of its steps, and the other side answers.

A dispute names the step it objects to (``receipt:N``, ``invoice:NUMBER``, ``payment:N`` or
``settlement:N``, as source documents name steps: ``acsa.domain.attachments``), its ground (a
receipt's quantity or quality; an invoice's amount or price basis; a settlement's payment,
replacement or exchange), a reason, the amount disputed in the order's currency (more than 0,
at most what the step is worth) and, optionally, a file of the same order as evidence (its
SHA-256). While it is open, the order's account shows the disputed amount apart from what is
owed; aging goes on.

It is resolved by agreement: the side that did not open it answers: ``accept`` (the step
stands as billed: no entries), ``credit_note`` (the supplier credits the agreed amount on an
invoice: the corrections' credit note, a reversing entry), ``redelivery`` (the supplier
delivers again; the normal deliver and receive steps follow: no entries) or ``write_off``
(both agree to write the agreed amount off: reversing entries as for a credit note, with a
memo saying so). The side that opened it may ``withdraw`` it. Each answer closes it; a closed
dispute is answered no more (DISPUTE_CLOSED). These are the pure rules; the service stores,
posts, audits and publishes.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal
from enum import StrEnum

from acsa.domain import limits
from acsa.domain.attachments import Step, StepKind, check_sha256, parse_step
from acsa.domain.errors import AcsaError, Code, NotFoundError, Violation
from acsa.domain.messages import Term, t
from acsa.domain.money import fits_minor_units


class Subject(StrEnum):
    """What is disputed: a receipt, an invoice or a settlement (a payment or one in kind)."""

    RECEIPT = "receipt"
    INVOICE = "invoice"
    SETTLEMENT = "settlement"


class Ground(StrEnum):
    QUANTITY = "quantity"
    QUALITY = "quality"
    AMOUNT = "amount"
    PRICE_BASIS = "price_basis"
    PAYMENT = "payment"
    REPLACEMENT = "replacement"
    EXCHANGE = "exchange"


#: The grounds each subject may be disputed on.
GROUNDS: dict[Subject, tuple[Ground, ...]] = {
    Subject.RECEIPT: (Ground.QUANTITY, Ground.QUALITY),
    Subject.INVOICE: (Ground.AMOUNT, Ground.PRICE_BASIS),
    Subject.SETTLEMENT: (Ground.PAYMENT, Ground.REPLACEMENT, Ground.EXCHANGE),
}

#: The subject of each kind of step a dispute may name.
SUBJECTS: dict[StepKind, Subject] = {
    StepKind.RECEIPT: Subject.RECEIPT,
    StepKind.INVOICE: Subject.INVOICE,
    StepKind.PAYMENT: Subject.SETTLEMENT,
    StepKind.SETTLEMENT: Subject.SETTLEMENT,
}


class Status(StrEnum):
    OPEN = "open"
    RESOLVED = "resolved"
    WITHDRAWN = "withdrawn"


class Resolution(StrEnum):
    ACCEPT = "accept"
    CREDIT_NOTE = "credit_note"
    REDELIVERY = "redelivery"
    WRITE_OFF = "write_off"
    WITHDRAW = "withdraw"


#: Answers that post entries (a credit on an invoice, by the supplier: the creditor).
POSTING = frozenset({Resolution.CREDIT_NOTE, Resolution.WRITE_OFF})
#: Answers that need an agreed amount.
AGREED = POSTING


@dataclass(frozen=True, slots=True)
class Dispute:
    """One dispute of an order's step, and its answer once given."""

    order_id: int
    number: str
    step: Step
    ground: Ground
    reason: str
    amount: Decimal
    currency: str
    evidence: str | None
    opened_by: str
    actor: str
    day: date
    at: datetime
    status: Status = Status.OPEN
    resolution: Resolution | None = None
    agreed: Decimal | None = None
    answer_note: str | None = None
    credit_note: str | None = None
    answered_by: str | None = None
    answer_actor: str | None = None
    answered: date | None = None
    answered_at: datetime | None = None
    id: int | None = None

    @property
    def subject(self) -> Subject:
        return SUBJECTS[self.step.kind]

    @property
    def is_open(self) -> bool:
        return self.status is Status.OPEN

    def age(self, today: date) -> int:
        """Days since it was opened (to its answer, once answered)."""
        end = self.answered if self.answered is not None else today
        return max((end - self.day).days, 0)


def dispute_number(nation: str, year: int, sequence: int) -> str:
    """A dispute's number, per opening nation and year: ``DSP-AUS-2026-0001``."""
    return f"DSP-{nation}-{year}-{sequence:04d}"


def parse_disputed_step(field: str, text: str) -> Step:
    """The step a dispute names; a delivery (or none) is refused: the receipt of it is what
    the requester disputes, and the supplier disputes a payment or settlement."""
    step = parse_step(field, text)
    if step is None or step.kind not in SUBJECTS:
        raise AcsaError.single(
            Code.INVALID_FIELD,
            field,
            "{name}: a dispute names a receipt:N, invoice:NUMBER, payment:N or settlement:N",
            name=field,
        )
    return step


def parse_ground(field: str, text: str, step: Step) -> Ground:
    """The ground, which must be one of the step's subject's."""
    allowed = GROUNDS[SUBJECTS[step.kind]]
    if text not in {g.value for g in allowed}:
        raise AcsaError.single(
            Code.INVALID_FIELD,
            field,
            "{name}: a {subject} is disputed on {grounds}",
            name=field,
            subject=Term(SUBJECTS[step.kind].value),
            grounds=", ".join(g.value for g in allowed),
        )
    return Ground(text)


def parse_resolution(field: str, text: str) -> Resolution:
    if text not in {r.value for r in Resolution}:
        raise AcsaError.single(
            Code.INVALID_FIELD,
            field,
            "{name}: one of {choices}",
            name=field,
            choices=", ".join(r.value for r in Resolution),
        )
    return Resolution(text)


def check_amount(field: str, amount: object, currency: str) -> Decimal:
    """A disputed or agreed amount: more than 0 within limits.AMOUNT, in ``currency``'s
    minor unit."""
    value = limits.check_number(field, amount, limits.AMOUNT, Code.INVALID_AMOUNT)
    if not fits_minor_units(value, currency):
        raise AcsaError.single(
            Code.INVALID_AMOUNT,
            field,
            "{name} {amount} has more decimals than {currency} allows",
            name=field,
            amount=value,
            currency=currency,
        )
    return value


def check_open(
    amount: Decimal,
    currency: str,
    worth: Decimal,
    evidence: str | None,
    files: frozenset[str],
    side_open: Dispute | None,
) -> list[Violation]:
    """What refuses a new dispute: an amount above what the step is worth
    (DISPUTE_EXCEEDS_WORTH), evidence that is no file of the order
    (DISPUTE_EVIDENCE_NOT_FOUND), a dispute of the same step by the same side still open
    (DISPUTE_OPEN)."""
    found: list[Violation] = []
    if amount > worth:
        found.append(
            Violation(
                Code.DISPUTE_EXCEEDS_WORTH,
                "amount",
                "the disputed amount {amount} {currency} is more than the step is worth "
                "({worth} {currency})",
                params={"amount": amount, "worth": worth, "currency": currency},
            )
        )
    if evidence is not None:
        check_sha256("evidence", evidence)
        if evidence not in files:
            found.append(
                Violation(
                    Code.DISPUTE_EVIDENCE_NOT_FOUND,
                    "evidence",
                    "no file {sha256} is attached to this order; attach it first",
                    params={"sha256": evidence},
                )
            )
    if side_open is not None:
        found.append(
            Violation(
                Code.DISPUTE_OPEN,
                "step",
                "dispute {number} of this step is open; answer or withdraw it first",
                params={"number": side_open.number},
            )
        )
    return found


def check_answer(
    dispute: Dispute,
    resolution: Resolution,
    side: str,
    supplier: str,
    agreed: Decimal | None,
) -> None:
    """Refuse an answer the dispute does not allow: one closed already (DISPUTE_CLOSED, a
    racing answer won); the opener answering its own dispute, or another side withdrawing it
    (DISPUTE_WRONG_SIDE); a credit note, write-off or re-delivery not by the supplier, a
    re-delivery of no receipt (DISPUTE_RESOLUTION_NOT_ALLOWED); an agreed amount missing where
    one is needed, given where none is, or above the disputed amount."""
    if not dispute.is_open:
        raise AcsaError.single(
            Code.DISPUTE_CLOSED,
            "dispute",
            "dispute {number} is {status} already; nothing was recorded",
            number=dispute.number,
            status=Term(dispute.status.value),
        )
    _check_side(dispute, resolution, side, supplier)
    _check_agreed(dispute, resolution, agreed)


def _check_side(dispute: Dispute, resolution: Resolution, side: str, supplier: str) -> None:
    if resolution is Resolution.WITHDRAW:
        if side != dispute.opened_by:
            raise AcsaError.single(
                Code.DISPUTE_WRONG_SIDE,
                "resolution",
                "only {nation}, which opened dispute {number}, may withdraw it",
                nation=dispute.opened_by,
                number=dispute.number,
            )
    elif side == dispute.opened_by:
        raise AcsaError.single(
            Code.DISPUTE_WRONG_SIDE,
            "resolution",
            "dispute {number} is answered by the other side, not by {nation} which opened it",
            nation=side,
            number=dispute.number,
        )
    if resolution in (*POSTING, Resolution.REDELIVERY) and side != supplier:
        raise AcsaError.single(
            Code.DISPUTE_RESOLUTION_NOT_ALLOWED,
            "resolution",
            "{resolution} is the supplier's answer ({supplier})",
            resolution=Term(resolution.value),
            supplier=supplier,
        )
    if resolution is Resolution.REDELIVERY and dispute.subject is not Subject.RECEIPT:
        raise AcsaError.single(
            Code.DISPUTE_RESOLUTION_NOT_ALLOWED,
            "resolution",
            "a re-delivery answers a dispute of a receipt only",
        )


def _check_agreed(dispute: Dispute, resolution: Resolution, agreed: Decimal | None) -> None:
    if resolution in AGREED:
        if agreed is None:
            raise AcsaError.single(
                Code.MISSING_FIELD,
                "agreed",
                "give the agreed amount of {resolution}",
                resolution=Term(resolution.value),
            )
        if agreed > dispute.amount:
            raise AcsaError.single(
                Code.DISPUTE_EXCEEDS_WORTH,
                "agreed",
                "the agreed amount {agreed} {currency} is more than the {amount} {currency} "
                "disputed",
                agreed=agreed,
                amount=dispute.amount,
                currency=dispute.currency,
            )
    elif agreed is not None:
        raise AcsaError.single(
            Code.INVALID_FIELD,
            "agreed",
            "{resolution} takes no agreed amount",
            resolution=Term(resolution.value),
        )


def answered(
    dispute: Dispute,
    resolution: Resolution,
    agreed: Decimal | None,
    note: str,
    credit_note: str | None,
    side: str,
    actor: str,
    day: date,
    at: datetime,
) -> Dispute:
    """The dispute closed by its answer."""
    status = Status.WITHDRAWN if resolution is Resolution.WITHDRAW else Status.RESOLVED
    return Dispute(
        order_id=dispute.order_id,
        number=dispute.number,
        step=dispute.step,
        ground=dispute.ground,
        reason=dispute.reason,
        amount=dispute.amount,
        currency=dispute.currency,
        evidence=dispute.evidence,
        opened_by=dispute.opened_by,
        actor=dispute.actor,
        day=dispute.day,
        at=dispute.at,
        status=status,
        resolution=resolution,
        agreed=agreed,
        answer_note=note,
        credit_note=credit_note,
        answered_by=side,
        answer_actor=actor,
        answered=day,
        answered_at=at,
        id=dispute.id,
    )


def disputed_total(disputes: list[Dispute] | tuple[Dispute, ...]) -> Decimal:
    """What the open disputes hold in dispute (in the order's currency)."""
    return sum((d.amount for d in disputes if d.is_open), Decimal(0))


def not_found(number: str) -> NotFoundError:
    return NotFoundError(
        [
            Violation(
                Code.DISPUTE_NOT_FOUND,
                "dispute",
                "no dispute {number} on this order",
                params={"number": number},
            )
        ]
    )


#: The memo of a write-off's entries (its reason says so too).
WRITE_OFF_REASON = t("written off by agreement in dispute {number}: {note}")
#: The reason of a credit note that resolves a dispute.
CREDIT_REASON = t("credit note agreed in dispute {number}: {note}")
