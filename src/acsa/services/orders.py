"""Orders: place, move through the lifecycle, list and show. One transaction per action."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import date, datetime
from decimal import Decimal
from typing import Any

from acsa.adapters.db.unit_of_work import UnitOfWork
from acsa.clock import utc_now
from acsa.domain import limits
from acsa.domain.agreement import Agreement
from acsa.domain.documents import STEP_KINDS, Kind, order_body, step_body
from acsa.domain.errors import AcsaError, Code, NotFoundError, Violation
from acsa.domain.ledger import Stamp, receipt_entries
from acsa.domain.order import Order, OrderStatus, check_quantities
from acsa.domain.rules import check_order, check_parties, validate_lines
from acsa.domain.settlement import settled_in_kind
from acsa.schemas.orders import OrderIn, order_from_doc, parse_model
from acsa.services.agreements import visible_agreement
from acsa.services.audit import order_state
from acsa.services.ceilings import ceiling_violations as over_ceilings

Quantities = Mapping[int, Decimal] | None


def _agreement(uow: UnitOfWork, agreement_id: str) -> Agreement:
    """The agreement, if the unit of work's principal may see it; else the one 404 that an
    agreement that does not exist gets (so place and check answer alike)."""
    return visible_agreement(uow, agreement_id, "; see `acsa agreements list`")


#: Order ids are 32-bit integers in the database; anything outside cannot name an order.
MAX_ORDER_ID = 2**31 - 1


def order_not_found(order_id: int | None) -> NotFoundError:
    return NotFoundError([Violation(Code.ORDER_NOT_FOUND, "id", f"no order {order_id}")])


def load_order(uow: UnitOfWork, order_id: int, with_history: bool = False) -> Order:
    """The order ``order_id`` inside an open unit of work, or ORDER_NOT_FOUND; the unit of
    work's guard may refuse it (as not found, or forbidden)."""
    in_range = 0 < order_id <= MAX_ORDER_ID
    order = uow.orders.get(order_id, with_history=with_history) if in_range else None
    if order is None:
        raise order_not_found(order_id)
    return uow.check(order)


def place_order(
    uow: UnitOfWork,
    data: Any,
    actor: str,
    now: datetime | None = None,
    uid: str | None = None,
) -> tuple[Order, list[Violation]]:
    """Save a new draft. Malformed orders are refused; what the agreement checks would refuse
    is returned as warnings, to be fixed before submit. ``uid`` names an order a partner's
    node placed (a new one gets its own)."""
    order = order_from_doc(parse_model(OrderIn, data))
    order.uid = uid
    malformed = validate_lines(order)
    if malformed:
        raise AcsaError(malformed)
    stamp = now or utc_now()
    with uow:
        # The agreement first (one the caller may not see is not found, as in check), then
        # who the parties are (refused with check's codes), and only then the guard, which
        # asks whether the caller may place an order between those two.
        agreement = _agreement(uow, order.agreement_id)
        wrong_parties = check_parties(order, agreement, agreement.version_on(order.order_date))
        if wrong_parties:
            raise AcsaError(wrong_parties)
        uow.check(order)
        order.record_creation(stamp, actor)
        uow.orders.add(order, stamp)
        uow.publish(order, Kind.ORDER, order_body(order), actor, stamp)
        uow.record("order.place", f"order:{order.id}", actor, None, order_state(order), order.id)
        uow.commit()
    return order, check_order(order, agreement)


def get_order(uow: UnitOfWork, order_id: int) -> Order:
    with uow:
        return load_order(uow, order_id, with_history=True)


def list_orders(
    uow: UnitOfWork,
    status: str | None = None,
    agreement: str | None = None,
    limit: int | None = None,
    offset: int = 0,
    party: str | None = None,
    partner: str | None = None,
    since: date | None = None,
    until: date | None = None,
) -> list[Order]:
    """Orders by id, filtered; ``party`` limits them to a nation's (see OrderRepository.find)."""
    if status is not None and status not in {s.value for s in OrderStatus}:
        raise AcsaError.single(
            Code.INVALID_FIELD,
            "status",
            f"unknown status {status!r}; one of: {', '.join(s.value for s in OrderStatus)}",
        )
    with uow:
        return uow.orders.find(
            status=status,
            agreement=agreement,
            limit=limit,
            offset=offset,
            party=party,
            partner=partner,
            since=since,
            until=until,
        )


def orders_by_id(uow: UnitOfWork, ids: Sequence[int]) -> list[Order]:
    """The orders ``ids`` (without their history) that the unit of work's guard lets
    through, by id."""
    with uow:
        return [o for o in uow.orders.by_ids(ids) if _visible(uow, o)]


def _visible(uow: UnitOfWork, order: Order) -> bool:
    try:
        uow.check(order)
    except AcsaError:
        return False
    return True


def violations_now(uow: UnitOfWork, order: Order) -> list[Violation]:
    """What the agreement checks say of ``order`` as it stands (for drafts and previews)."""
    with uow:
        agreement = _agreement(uow, order.agreement_id)
    return check_order(order, agreement)


def check_document(uow: UnitOfWork, data: Any) -> list[Violation]:
    """Every violation an order document would meet on submit, without saving anything."""
    order = order_from_doc(parse_model(OrderIn, data))
    with uow:
        agreement = _agreement(uow, order.agreement_id)
    return check_order(order, agreement)


def _act(
    uow: UnitOfWork, order_id: int, now: datetime | None, action: str, actor: str, step: Any
) -> Order:
    stamp = now or utc_now()
    with uow:
        # The history is not needed to act (the stored version numbers the next event), so
        # the returned order's history holds only what this action recorded; get_order
        # returns the whole of it.
        order = load_order(uow, order_id)
        before = order_state(order)
        step(order, stamp)
        for event in order.new_events:
            uow.publish(order, STEP_KINDS[event.action], step_body(event), actor, stamp)
        uow.orders.update(order, stamp)
        uow.record(
            f"order.{action}", f"order:{order_id}", actor, before, order_state(order), order_id
        )
        uow.commit()
    return order


def submit(uow: UnitOfWork, order_id: int, actor: str, now: datetime | None = None) -> Order:
    def step(order: Order, at: datetime) -> None:
        order.submit(check_order(order, _agreement(uow, order.agreement_id)), at, actor)

    return _act(uow, order_id, now, "submit", actor, step)


def accept(
    uow: UnitOfWork,
    order_id: int,
    actor: str,
    quantities: Quantities = None,
    now: datetime | None = None,
) -> Order:
    def step(order: Order, at: datetime) -> None:
        check_quantities(quantities, limits.QUANTITY_OR_ZERO)  # before they are valued
        agreement = _agreement(uow, order.agreement_id)
        violations = check_order(order, agreement)
        violations += over_ceilings(uow, order, agreement, quantities)
        order.accept(violations, at, actor, quantities)

    return _act(uow, order_id, now, "accept", actor, step)


def reject(
    uow: UnitOfWork,
    order_id: int,
    actor: str,
    reason: str = "",
    now: datetime | None = None,
) -> Order:
    return _act(uow, order_id, now, "reject", actor, lambda o, at: o.reject(at, actor, reason))


def cancel(
    uow: UnitOfWork,
    order_id: int,
    actor: str,
    reason: str = "",
    now: datetime | None = None,
) -> Order:
    return _act(uow, order_id, now, "cancel", actor, lambda o, at: o.cancel(at, actor, reason))


def deliver(
    uow: UnitOfWork,
    order_id: int,
    actor: str,
    quantities: Quantities = None,
    now: datetime | None = None,
) -> Order:
    return _act(
        uow, order_id, now, "deliver", actor, lambda o, at: o.deliver(at, actor, quantities)
    )


def receive(
    uow: UnitOfWork,
    order_id: int,
    actor: str,
    quantities: Quantities = None,
    note: str = "",
    now: datetime | None = None,
) -> Order:
    """Record a receipt; both nations' books get their postings in the same transaction:
    the supplier a receivable, the requester a payable, valued at what was received."""

    def step(order: Order, at: datetime) -> None:
        before = order.value_received
        event = order.receive(at, actor, quantities, note)
        value = order.value_received - before
        if value.amount == 0:
            return
        stamp = Stamp(
            effective=at.date(),
            at=at,
            actor=actor,
            document=f"order {order.id} receipt (event {event.seq})",
            order_id=order.id,
            memo=note,
        )
        uow.ledger.add(
            receipt_entries(order.supplier, order.requester, value, settled_in_kind(order), stamp)
        )

    return _act(uow, order_id, now, "receive", actor, step)
