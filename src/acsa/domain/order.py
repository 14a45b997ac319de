"""Orders for support under an agreement, and their lifecycle as an explicit state machine."""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime
from decimal import Decimal
from enum import StrEnum
from typing import Any

from acsa.domain import limits
from acsa.domain.errors import AcsaError, Code, Violation
from acsa.domain.messages import Message, Term, t
from acsa.domain.money import Money

ZERO = Decimal(0)


class OrderStatus(StrEnum):
    DRAFT = "draft"
    SUBMITTED = "submitted"
    ACCEPTED = "accepted"
    REJECTED = "rejected"
    PARTIALLY_DELIVERED = "partially_delivered"
    DELIVERED = "delivered"
    PARTIALLY_RECEIVED = "partially_received"
    RECEIVED = "received"
    CLOSED = "closed"
    CANCELLED = "cancelled"


class Action(StrEnum):
    CREATE = "create"
    SUBMIT = "submit"
    ACCEPT = "accept"
    REJECT = "reject"
    DELIVER = "deliver"
    RECEIVE = "receive"
    CANCEL = "cancel"
    CLOSE = "close"
    #: The requester changed a draft's terms (it stays a draft).
    EDIT = "edit"
    #: A step of this node's undone because the partner's step took its place in the order's
    #: chain (``acsa.domain.forks``); never a user's action.
    UNDO = "undo"


S, A = OrderStatus, Action

#: Which actions each state allows. Anything else is INVALID_TRANSITION.
ALLOWED: Mapping[OrderStatus, frozenset[Action]] = {
    S.DRAFT: frozenset({A.SUBMIT, A.CANCEL, A.EDIT}),
    S.SUBMITTED: frozenset({A.ACCEPT, A.REJECT, A.CANCEL}),
    S.ACCEPTED: frozenset({A.DELIVER, A.CANCEL}),
    S.PARTIALLY_DELIVERED: frozenset({A.DELIVER, A.RECEIVE}),
    S.DELIVERED: frozenset({A.RECEIVE}),
    # A receipt covers everything delivered so far: only another delivery can follow.
    S.PARTIALLY_RECEIVED: frozenset({A.DELIVER}),
    S.REJECTED: frozenset(),
    # Received orders are settled, then closed (the service checks nothing is owed).
    S.RECEIVED: frozenset({A.CLOSE}),
    S.CLOSED: frozenset(),
    S.CANCELLED: frozenset(),
}

#: The states each action can lead to; deliver and receive end partial or complete.
RESULTS: Mapping[Action, frozenset[OrderStatus]] = {
    A.SUBMIT: frozenset({S.SUBMITTED}),
    A.ACCEPT: frozenset({S.ACCEPTED}),
    A.REJECT: frozenset({S.REJECTED}),
    A.CANCEL: frozenset({S.CANCELLED}),
    A.CLOSE: frozenset({S.CLOSED}),
    A.EDIT: frozenset({S.DRAFT}),
    A.DELIVER: frozenset({S.PARTIALLY_DELIVERED, S.DELIVERED}),
    A.RECEIVE: frozenset({S.PARTIALLY_RECEIVED, S.RECEIVED}),
    A.UNDO: frozenset(OrderStatus),
}

#: The steps ``Order.undo`` can take back: those a requester takes while the supplier may act
#: on the same order (the others are the supplier's, whose steps are never undone, or come
#: before the supplier can act at all).
UNDOABLE = frozenset({A.SUBMIT, A.CANCEL, A.RECEIVE, A.CLOSE})

#: Open states in which an order may have received something (another delivery can follow a
#: partial receipt, so the delivered states count too). Closed orders owe nothing.
OPEN_WITH_RECEIPTS = frozenset(
    {S.PARTIALLY_DELIVERED, S.DELIVERED, S.PARTIALLY_RECEIVED, S.RECEIVED}
)


@dataclass(slots=True)
class OrderLine:
    """One line of an order. Quantities track the line through acceptance, delivery, receipt.

    ``quantity_short`` is the discrepancy: delivered but not found on receipt.
    """

    number: int
    category: str
    description: str
    quantity: Decimal
    unit: str
    unit_price: Decimal
    currency: str
    nsn: str | None = None
    quantity_accepted: Decimal | None = None
    quantity_delivered: Decimal = ZERO
    quantity_received: Decimal = ZERO
    quantity_short: Decimal = ZERO

    @property
    def total(self) -> Money:
        """Value of the quantity requested."""
        return Money.of_product(self.quantity, self.unit_price, self.currency)

    @property
    def value_received(self) -> Money:
        return Money.of_product(self.quantity_received, self.unit_price, self.currency)

    @property
    def to_deliver(self) -> Decimal:
        accepted = self.quantity if self.quantity_accepted is None else self.quantity_accepted
        return accepted - self.quantity_delivered

    @property
    def to_receive(self) -> Decimal:
        return self.quantity_delivered - self.quantity_received - self.quantity_short

    def terms(self) -> tuple[object, ...]:
        """What the parties agreed on for this line; never changes after acceptance."""
        return (
            self.number,
            self.category,
            self.description,
            self.nsn,
            self.quantity,
            self.unit,
            self.unit_price,
            self.currency,
            self.quantity_accepted,
        )


@dataclass(frozen=True, slots=True)
class Event:
    """A dated, attributed step in an order's life."""

    action: Action
    at: datetime
    actor: str
    from_status: OrderStatus | None
    to_status: OrderStatus
    details: Mapping[str, Any] = field(default_factory=dict)
    seq: int = 0


@dataclass(frozen=True, slots=True)
class Attestations:
    """What the people placing an order state for it, beyond its terms, as the agreement
    asks (each recorded with the order and sent to the partner with it).

    Attributes:
        cash_reason: why supplies are settled in currency under a text that settles them by
            return of the same or equivalent items (return is difficult because ...).
        determination: the reference of the two governments' mutual determination an order
            under "other activities" cites, and ``determination_date`` its date.
        hostilities: the acquiring party declares a period of active hostilities, so the
            annual ceilings that do not apply then (10 U.S.C. 2347) are not counted; never
            assumed, only set explicitly.
        confirmed: the codes of the warnings a person confirmed when placing the order
            (IN_FORCE_DATE_UNCERTAIN, ACTIVITY_UNVERIFIED).
    """

    cash_reason: str | None = None
    determination: str | None = None
    determination_date: date | None = None
    hostilities: bool = False
    confirmed: frozenset[str] = frozenset()

    @property
    def empty(self) -> bool:
        return self == NO_ATTESTATIONS

    def to_json(self) -> dict[str, Any]:
        """The attestations as a JSON object, without the ones not given."""
        data: dict[str, Any] = {}
        if self.cash_reason is not None:
            data["cash_reason"] = self.cash_reason
        if self.determination is not None:
            data["determination"] = self.determination
        if self.determination_date is not None:
            data["determination_date"] = self.determination_date.isoformat()
        if self.hostilities:
            data["hostilities"] = True
        if self.confirmed:
            data["confirmed"] = sorted(self.confirmed)
        return data

    @classmethod
    def from_json(cls, data: Mapping[str, Any] | None) -> Attestations:
        if not data:
            return NO_ATTESTATIONS
        day = data.get("determination_date")
        return cls(
            cash_reason=data.get("cash_reason"),
            determination=data.get("determination"),
            determination_date=date.fromisoformat(day) if day else None,
            hostilities=bool(data.get("hostilities", False)),
            confirmed=frozenset(data.get("confirmed", ())),
        )


NO_ATTESTATIONS = Attestations()

#: What an edit of a draft cannot change (the wire's name, the order's attribute): the
#: partner was told of the order between these two nations under this agreement.
FIXED_TERMS: Mapping[str, str] = {
    "agreement": "agreement_id",
    "requester": "requester",
    "supplier": "supplier",
}
#: The draft's terms an edit replaces, besides its lines.
EDITABLE_TERMS = (
    "activity",
    "settlement",
    "order_date",
    "needed_by",
    "location",
    "operation",
    "requester_unit",
    "supplier_unit",
    "fund_citation",
    "partner_reference",
    "remarks",
    "attestations",
    "arrangement",
)


@dataclass(slots=True)
class Order:
    """A request for support from ``supplier`` to ``requester`` under one agreement."""

    agreement_id: str
    requester: str
    supplier: str
    activity: str
    settlement: str
    order_date: date
    needed_by: date
    location: str
    lines: list[OrderLine]
    status: OrderStatus = OrderStatus.DRAFT
    id: int | None = None
    #: How many events are stored: the next event's sequence number follows it.
    version: int = 0
    operation: str | None = None
    requester_unit: str | None = None
    supplier_unit: str | None = None
    fund_citation: str | None = None
    partner_reference: str | None = None
    remarks: str | None = None
    #: The order's name on every node that holds it (a UUID given when it is placed).
    uid: str | None = None
    attestations: Attestations = NO_ATTESTATIONS
    #: The reference of the implementing arrangement the order is placed under (issue 20:
    #: acsa.domain.arrangements), None when it names none.
    arrangement: str | None = None
    history: list[Event] = field(default_factory=list)
    new_events: list[Event] = field(default_factory=list)

    @property
    def currency(self) -> str:
        return self.lines[0].currency

    @property
    def total(self) -> Money:
        amount = Money.zero(self.currency)
        for line in self.lines:
            amount = amount + line.total
        return amount

    @property
    def value_received(self) -> Money:
        amount = Money.zero(self.currency)
        for line in self.lines:
            amount = amount + line.value_received
        return amount

    def line(self, number: int) -> OrderLine:
        for line in self.lines:
            if line.number == number:
                return line
        raise AcsaError.single(
            Code.UNKNOWN_LINE,
            f"lines[{number}]",
            "order has no line {line}; its lines are 1 to {last}",
            line=number,
            last=len(self.lines),
        )

    def allows(self, action: Action) -> bool:
        return action in ALLOWED[self.status]

    def _require(self, action: Action) -> None:
        if not self.allows(action):
            actions = tuple(Term(a) for a in sorted(a.value for a in ALLOWED[self.status]))
            allowed = actions or Message(t("nothing"), {})
            raise AcsaError.single(
                Code.INVALID_TRANSITION,
                "status",
                "cannot {action} an order that is {status}; a {status} order allows: {allowed}",
                action=Term(action.value),
                status=Term(self.status.value),
                allowed=allowed,
            )

    def _record(
        self,
        action: Action,
        at: datetime,
        actor: str,
        to: OrderStatus,
        details: Mapping[str, Any] | None = None,
    ) -> Event:
        event = Event(
            action=action,
            at=at,
            actor=actor,
            from_status=self.status,
            to_status=to,
            details=dict(details or {}),
            seq=self.version + len(self.new_events) + 1,
        )
        self.status = to
        self.new_events.append(event)
        return event

    # --- transitions -------------------------------------------------------------------

    def record_creation(self, at: datetime, actor: str) -> Event:
        event = Event(Action.CREATE, at, actor, None, OrderStatus.DRAFT, {}, seq=1)
        self.new_events.append(event)
        return event

    def edit(self, terms: Order, at: datetime, actor: str) -> Event:
        """Give a draft the terms of ``terms`` (every field the requester wrote, and its lines,
        renumbered from 1); its agreement and its two nations stay as placed. The event names
        the fields that changed."""
        self._require(Action.EDIT)
        moved = [
            Violation(
                Code.INVALID_FIELD,
                field,
                "a draft keeps the {field} it was placed with ({placed}); "
                "place a new order for another",
                params={"field": field, "placed": getattr(self, name)},
            )
            for field, name in FIXED_TERMS.items()
            if getattr(terms, name) != getattr(self, name)
        ]
        if moved:
            raise AcsaError(moved)
        lines = [dataclasses.replace(line, number=n) for n, line in enumerate(terms.lines, 1)]
        changed = [name for name in EDITABLE_TERMS if getattr(terms, name) != getattr(self, name)]
        if [ln.terms() for ln in lines] != [ln.terms() for ln in self.lines]:
            changed.append("lines")
        for name in EDITABLE_TERMS:
            setattr(self, name, getattr(terms, name))
        self.lines = lines
        return self._record(Action.EDIT, at, actor, OrderStatus.DRAFT, {"changed": changed})

    def submit(
        self,
        violations: list[Violation],
        at: datetime,
        actor: str,
        approvals: Sequence[Mapping[str, str]] = (),
    ) -> Event:
        """Send the draft to the supplier; refused with every violation of the agreement.
        ``approvals``: who approved it before commitment (acsa.domain.approvals), recorded
        with the step and carried by its document to the partner."""
        self._require(Action.SUBMIT)
        if violations:
            raise AcsaError(violations)
        details = {"approvals": [dict(a) for a in approvals]} if approvals else None
        return self._record(Action.SUBMIT, at, actor, OrderStatus.SUBMITTED, details)

    def accept(
        self,
        violations: list[Violation],
        at: datetime,
        actor: str,
        quantities: Mapping[int, Decimal] | None = None,
    ) -> Event:
        """The supplier accepts, in full or for less on some lines; checks run again."""
        self._require(Action.ACCEPT)
        errors = list(violations)
        accepted = {line.number: line.quantity for line in self.lines}
        for number, qty in (quantities or {}).items():
            line = self.line(number)
            bad = _quantity_violation(number, qty, limits.QUANTITY_OR_ZERO)
            if bad is not None:
                errors.append(bad)
            elif qty > line.quantity:
                errors.append(
                    Violation(
                        Code.INVALID_QUANTITY,
                        f"lines[{number}].quantity",
                        "line {line}: accepted quantity {quantity} must be between 0 and the "
                        "{requested} requested",
                        params={"line": number, "quantity": qty, "requested": line.quantity},
                    )
                )
            accepted[number] = qty
        if not errors and all(q == 0 for q in accepted.values()):
            errors.append(
                Violation(
                    Code.INVALID_QUANTITY,
                    "lines",
                    "an acceptance must accept something; reject the order instead",
                )
            )
        if errors:
            raise AcsaError(errors)
        for line in self.lines:
            line.quantity_accepted = accepted[line.number]
        details = {"lines": {str(n): str(q) for n, q in accepted.items()}}
        return self._record(Action.ACCEPT, at, actor, OrderStatus.ACCEPTED, details)

    def reject(self, at: datetime, actor: str, reason: str = "") -> Event:
        self._require(Action.REJECT)
        limits.check_text("reason", reason)
        return self._record(Action.REJECT, at, actor, OrderStatus.REJECTED, {"reason": reason})

    def cancel(self, at: datetime, actor: str, reason: str = "") -> Event:
        self._require(Action.CANCEL)
        limits.check_text("reason", reason)
        return self._record(Action.CANCEL, at, actor, OrderStatus.CANCELLED, {"reason": reason})

    def close(self, at: datetime, actor: str) -> Event:
        """Close a received order once it is settled (the caller checks the settlement)."""
        self._require(Action.CLOSE)
        return self._record(Action.CLOSE, at, actor, OrderStatus.CLOSED)

    def deliver(
        self,
        at: datetime,
        actor: str,
        quantities: Mapping[int, Decimal] | None = None,
    ) -> Event:
        """Record a delivery: the given quantities, or everything still to deliver."""
        self._require(Action.DELIVER)
        wanted = self._quantities(quantities, lambda line: line.to_deliver)
        errors = [
            Violation(
                Code.QUANTITY_EXCEEDS_ACCEPTED,
                f"lines[{n}].quantity",
                "line {line}: cannot deliver {quantity}; only {left} {unit} remain to deliver",
                params={
                    "line": n,
                    "quantity": q,
                    "left": self.line(n).to_deliver,
                    "unit": self.line(n).unit,
                },
            )
            for n, q in wanted.items()
            if q > self.line(n).to_deliver
        ]
        if errors:
            raise AcsaError(errors)
        if not any(q > 0 for q in wanted.values()):
            raise AcsaError.single(Code.NOTHING_TO_DELIVER, "lines", "nothing is left to deliver")
        for n, q in wanted.items():
            self.line(n).quantity_delivered += q
        complete = all(line.to_deliver == 0 for line in self.lines)
        to = OrderStatus.DELIVERED if complete else OrderStatus.PARTIALLY_DELIVERED
        details = {"lines": {str(n): str(q) for n, q in wanted.items() if q > 0}}
        return self._record(Action.DELIVER, at, actor, to, details)

    def receive(
        self,
        at: datetime,
        actor: str,
        quantities: Mapping[int, Decimal] | None = None,
        note: str = "",
    ) -> Event:
        """Record the receipt of everything delivered and not yet receipted. Lines given in
        ``quantities`` were received in that quantity (0 for none): the difference from what was
        delivered is recorded as a discrepancy. Lines not given were received as delivered."""
        self._require(Action.RECEIVE)
        outstanding = {line.number: line.to_receive for line in self.lines}
        if not any(q > 0 for q in outstanding.values()):
            raise AcsaError.single(
                Code.NOTHING_TO_RECEIVE,
                "lines",
                "nothing delivered is waiting for receipt",
            )
        given = dict(quantities or {})
        errors: list[Violation] = []
        bad_note = limits.text_violation("note", note)
        if bad_note is not None:
            errors.append(bad_note)
        for n, q in given.items():
            line = self.line(n)
            bad = _quantity_violation(n, q, limits.QUANTITY_OR_ZERO)
            if bad is not None:
                errors.append(bad)
            elif q > outstanding[n]:
                errors.append(
                    Violation(
                        Code.QUANTITY_EXCEEDS_DELIVERED,
                        f"lines[{n}].quantity",
                        "line {line}: cannot receive {quantity}; only {left} {unit} were "
                        "delivered and not yet received",
                        params={
                            "line": n,
                            "quantity": q,
                            "left": outstanding[n],
                            "unit": line.unit,
                        },
                    )
                )
        if errors:
            raise AcsaError(errors)
        wanted = {n: given.get(n, due) for n, due in outstanding.items()}
        receipt: dict[str, dict[str, str]] = {}
        for line in self.lines:
            due = outstanding[line.number]
            if due == 0:
                continue
            got = wanted[line.number]
            line.quantity_received += got
            line.quantity_short += due - got
            receipt[str(line.number)] = {"received": str(got), "short": str(due - got)}
        complete = all(line.to_deliver == 0 and line.to_receive == 0 for line in self.lines)
        to = OrderStatus.RECEIVED if complete else OrderStatus.PARTIALLY_RECEIVED
        details: dict[str, Any] = {"lines": receipt}
        if note:
            details["note"] = note
        return self._record(Action.RECEIVE, at, actor, to, details)

    def undo(self, step: Event, at: datetime, actor: str, details: Mapping[str, Any]) -> Event:
        """Take back ``step``, the order's last step not yet taken back: its status is what it
        was before, and a receipt's quantities are no longer received (nor short). The undoing
        is an event of its own, so the history keeps both."""
        if step.action not in UNDOABLE or step.from_status is None:
            raise AcsaError.single(
                Code.INVALID_TRANSITION,
                "status",
                "cannot {action} a step of an order that is {status}",
                action=Term(Action.UNDO.value),
                status=Term(self.status.value),
            )
        if step.action is Action.RECEIVE:
            for number, got in dict(step.details.get("lines", {})).items():
                line = self.line(int(number))
                line.quantity_received -= Decimal(got["received"])
                line.quantity_short -= Decimal(got["short"])
        undone = {"undoes": step.seq, **details}
        return self._record(Action.UNDO, at, actor, step.from_status, undone)

    def _quantities(
        self,
        given: Mapping[int, Decimal] | None,
        default: Any,
    ) -> dict[int, Decimal]:
        """Per-line quantities: those given (others zero), or each line's default."""
        if not given:
            return {line.number: default(line) for line in self.lines}
        errors: list[Violation] = []
        for number, qty in given.items():
            self.line(number)
            bad = _quantity_violation(number, qty, limits.QUANTITY)
            if bad is not None:
                errors.append(bad)
        if errors:
            raise AcsaError(errors)
        return {line.number: given.get(line.number, ZERO) for line in self.lines}

    @property
    def discrepancies(self) -> list[OrderLine]:
        return [line for line in self.lines if line.quantity_short > 0]


def check_quantities(quantities: Mapping[int, Decimal] | None, bound: limits.NumberBound) -> None:
    """Refuse per-line ``quantities`` outside ``bound`` before anything values them (the
    acceptance's ceilings): INVALID_QUANTITY per line."""
    found = [
        v
        for n, q in (quantities or {}).items()
        if (v := _quantity_violation(n, q, bound)) is not None
    ]
    if found:
        raise AcsaError(found)


def _quantity_violation(
    number: int, quantity: Decimal, bound: limits.NumberBound
) -> Violation | None:
    """Why ``quantity`` on line ``number`` is out of ``bound`` (negative, zero where zero is
    not allowed, too large or too finely divided), or None."""
    field = f"lines[{number}].quantity"
    _, violation = limits.number_violation(field, quantity, bound, Code.INVALID_QUANTITY)
    if violation is None:
        return None
    return Violation(
        violation.code,
        field,
        "line {line}: {problem}",
        params={"line": number, "problem": Message(violation.template, violation.params)},
    )
