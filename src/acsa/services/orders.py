"""Orders: place, move through the lifecycle, list and show. One transaction per action."""

from __future__ import annotations

from collections.abc import Callable, Collection, Sequence
from typing import TYPE_CHECKING, Any

from acsa.domain.documents import STEP_KINDS, Kind, order_body, step_body
from acsa.domain.errors import AcsaError, Code, NotFoundError, Violation
from acsa.domain.ledger import Stamp, receipt_entries
from acsa.domain.memos import receipt_document
from acsa.domain.order import Action, Event, Order, OrderStatus
from acsa.domain.order_search import OrderPage, OrderQuery, order_query
from acsa.domain.rules import check_order, check_parties, validate_lines
from acsa.domain.settlement import settled_in_kind
from acsa.services.ports import Note, UnitOfWork

# Listing and showing orders (what most commands do) needs none of these: the commands'
# models, the registry's exchange and the audit log's signing are loaded by what uses them.
if TYPE_CHECKING:
    from acsa.commands import (
        AcceptOrder,
        AddNote,
        By,
        CancelOrder,
        DeliverOrder,
        EditDraft,
        OrderCommand,
        PlaceOrder,
        ReceiveOrder,
        RejectOrder,
        SubmitOrder,
    )
    from acsa.domain.agreement import Agreement
    from acsa.schemas.orders import OrderIn, OrderOut

Step = Callable[[Order], object]


def _agreement(uow: UnitOfWork, agreement_id: str) -> Agreement:
    """The agreement, if the unit of work's principal may see it; else the one 404 that an
    agreement that does not exist gets (so place and check answer alike)."""
    from acsa.services.agreements import visible_agreement

    return visible_agreement(uow, agreement_id, hint=True)


#: Order ids are 32-bit integers in the database; anything outside cannot name an order.
MAX_ORDER_ID = 2**31 - 1


def order_state(order: Order) -> dict[str, Any]:
    """The order's state as the audit log records it (``acsa.services.audit.order_state``)."""
    from acsa.services.audit import order_state as state

    return state(order)


def order_not_found(order_id: int | None) -> NotFoundError:
    return NotFoundError(
        [Violation(Code.ORDER_NOT_FOUND, "id", "no order {order}", params={"order": order_id})]
    )


def load_order(
    uow: UnitOfWork, order_id: int, with_history: bool = False, *, guarded: bool = True
) -> Order:
    """The order ``order_id`` inside an open unit of work, or ORDER_NOT_FOUND; the unit of
    work's guard may refuse it (as not found, or forbidden), unless not ``guarded``."""
    in_range = 0 < order_id <= MAX_ORDER_ID
    order = uow.orders.get(order_id, with_history=with_history) if in_range else None
    if order is None:
        raise order_not_found(order_id)
    return uow.check(order) if guarded else order


def place_order(uow: UnitOfWork, command: PlaceOrder, by: By) -> tuple[Order, list[Violation]]:
    """Save a new draft. Malformed orders are refused; what the agreement checks would refuse
    is returned as warnings, to be fixed before submit."""
    from acsa.schemas.orders import order_from_doc

    order = order_from_doc(command.order)
    order.uid = command.uid
    malformed = validate_lines(order)
    if malformed:
        raise AcsaError(malformed)
    with uow:
        # The agreement first (one the caller may not see is not found, as in check), then
        # who the parties are (refused with check's codes), and only then the guard, which
        # asks whether the caller may place an order between those two.
        agreement = _agreement(uow, order.agreement_id)
        wrong_parties = check_parties(order, agreement, agreement.version_on(order.order_date))
        if wrong_parties:
            raise AcsaError(wrong_parties)
        uow.check(order)
        _under_arrangement(uow, order, agreement)
        order.record_creation(by.at, by.actor)
        uow.orders.add(order, by.at)
        uow.publish(order, Kind.ORDER, order_body(order), by.actor, by.at)
        uow.record("order.place", f"order:{order.id}", by.actor, None, order_state(order), order.id)
        uow.commit()
    return order, check_order(order, agreement)


def edit_draft(uow: UnitOfWork, command: EditDraft, by: By) -> tuple[Order, list[Violation]]:
    """Give a draft the terms of ``command``'s order document, checked as placing it is
    (malformed lines refused; a warning to confirm refused unconfirmed, as the form does):
    its lines are replaced, its version moves on, the audit record keeps the terms before and
    after, and the partner's node is sent the new terms. Only a draft (INVALID_TRANSITION
    otherwise), by the requesting nation (the guard); its agreement and nations stay.
    Returns the draft and what the agreement checks would refuse now."""
    from acsa.schemas.orders import order_from_doc

    terms = order_from_doc(command.order)
    malformed = validate_lines(terms)
    if malformed:
        raise AcsaError(malformed)
    with uow:
        order = load_order(uow, command.order_id)
        before = {**order_state(order), "terms": order_body(order)}
        order.edit(terms, by.at, by.actor)
        agreement = _agreement(uow, order.agreement_id)
        wrong_parties = check_parties(order, agreement, agreement.version_on(order.order_date))
        if wrong_parties:
            raise AcsaError(wrong_parties)
        _under_arrangement(uow, order, agreement)
        uow.orders.replace_draft(order, by.at)
        from acsa.services.approvals import cleared_by_edit

        cleared_by_edit(uow, order, by.at)
        uow.publish(order, Kind.EDIT, order_body(order), by.actor, by.at)
        subject = f"order:{order.id}"
        after = {**order_state(order), "terms": order_body(order)}
        uow.record("order.edit", subject, by.actor, before, after, order.id)
        uow.commit()
    return order, check_order(order, agreement)


def _under_arrangement(uow: UnitOfWork, order: Order, agreement: Agreement) -> None:
    """Refuse an order naming an arrangement it may not name (not the agreement's, not in
    force on its date, over its ceiling); else give it the arrangement's default fund
    citation where it has none (acsa.services.arrangements)."""
    from acsa.services import arrangements

    refused = arrangements.order_violations(uow, order, agreement, naming=True)
    if refused:
        raise AcsaError(refused)
    arrangements.apply_defaults(uow, order, agreement)


def get_order(uow: UnitOfWork, order_id: int) -> Order:
    with uow:
        return load_order(uow, order_id, with_history=True)


def list_orders(
    uow: UnitOfWork, query: OrderQuery | None = None, *, with_history: bool = True
) -> list[Order]:
    """The orders ``query`` names (every order by number without one), with their histories
    unless told otherwise; see :func:`search_orders`."""
    return search_orders(uow, query, with_history=with_history, counted=False).orders


def search_orders(
    uow: UnitOfWork,
    query: OrderQuery | None = None,
    *,
    with_history: bool = False,
    counted: bool = True,
) -> OrderPage:
    """One page of the orders ``query`` names (``order_search.order_query`` makes one, each
    parameter checked against its bound: the order's number or part of its words, filters, a
    sort and a page), filtered, searched, sorted and paged in the database, and how many it
    names in all (0 unless ``counted``)."""
    query = query or order_query()
    with uow:
        if counted:
            return uow.orders.search(query, with_history)
        return OrderPage(uow.orders.matching(query, with_history), 0)


def last_events(
    uow: UnitOfWork, ids: Sequence[int], actions: Collection[Action]
) -> dict[int, Event]:
    """Of each order of ``ids``, its last event that is one of ``actions`` (a list's reasons
    why orders stopped, without loading their histories)."""
    with uow:
        return uow.orders.last_events(ids, actions)


def order_view(uow: UnitOfWork, order_id: int, *, acted: bool = False) -> OrderOut:
    """The order as it now stands (in ``uow``'s transaction, when one is open), with its whole
    history and notes; a draft with what the agreement checks would refuse now. The unit of
    work's guard decides whether the caller sees it, except right after the caller ``acted``
    on it in ``uow`` (the guard let the action through, and a writer's If-Match names the
    version before the change)."""
    from acsa.schemas.orders import NoteOut, order_out

    with uow:
        order = load_order(uow, order_id, with_history=True, guarded=not acted)
        violations = violations_now(uow, order) if order.status is OrderStatus.DRAFT else []
        notes = [
            NoteOut(at=n.at, actor=n.actor, nation=n.nation, note=n.text)
            for n in uow.orders.notes(order_id)
        ]
    return order_out(order, violations).model_copy(update={"notes": notes})


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
    """What the agreement checks say of ``order`` as it stands (for drafts and previews), and
    what its implementing arrangement refuses."""
    from acsa.services.arrangements import order_violations

    with uow:
        agreement = _agreement(uow, order.agreement_id)
        named = order_violations(uow, order, agreement, naming=True)
    return check_order(order, agreement) + named


def check_document(uow: UnitOfWork, document: OrderIn) -> list[Violation]:
    """Every violation an order document would meet on submit, without saving anything."""
    from acsa.schemas.orders import order_from_doc
    from acsa.services.arrangements import order_violations

    order = order_from_doc(document)
    with uow:
        agreement = _agreement(uow, order.agreement_id)
        named = order_violations(uow, order, agreement, naming=True)
    return check_order(order, agreement) + named


def _act(uow: UnitOfWork, command: OrderCommand, by: By, step: Step) -> Order:
    """Take one lifecycle step on the order ``command`` names, held for the transaction:
    publish the step's document, store the order and its audit record."""
    with uow:
        # The history is not needed to act (the stored version numbers the next event), so
        # the returned order's history holds only what this action recorded; get_order
        # returns the whole of it.
        order = load_order(uow, command.order_id)
        before = order_state(order)
        step(order)
        for event in order.new_events:
            uow.publish(order, STEP_KINDS[event.action], step_body(event), by.actor, by.at)
        uow.orders.update(order, by.at)
        subject = f"order:{command.order_id}"
        name = f"order.{command.spec.name}"
        uow.record(name, subject, by.actor, before, order_state(order), command.order_id)
        uow.commit()
    return order


#: The audit record of a remark on an order (see note).
NOTE_RECORD = "order.note"


def note(uow: UnitOfWork, command: AddNote, by: By) -> Order:
    """Record a remark on the order, dated ``by.at``, for the nation of the person acting: a
    note row, its audit record and, on a node, the signed note for the partner. The order's
    own rows are left as they are: its status, money and version do not change, so no step's
    If-Match goes stale."""
    with uow:
        order = load_order(uow, command.order_id)
        assert order.id is not None
        nation = uow.principal.nation if uow.principal is not None else None
        uow.orders.add_note(Note(order.id, by.at, by.actor, nation, command.note))
        uow.publish(order, Kind.NOTE, {"note": command.note}, by.actor, by.at)
        after = {"note": command.note, "at": by.at.isoformat(), "nation": nation}
        uow.record(NOTE_RECORD, f"order:{order.id}", by.actor, None, after, order.id)
        uow.commit()
    return order


def submit(uow: UnitOfWork, command: SubmitOrder, by: By) -> Order:
    """Submit a draft to the supplier: the agreement's checks, and (where its nation sets
    approval tiers) every tier it is above approved, its approvers named in the submission
    (acsa.services.approvals)."""
    from acsa.services import approvals

    def step(order: Order) -> None:
        from acsa.services.arrangements import order_violations

        agreement = _agreement(uow, order.agreement_id)
        violations = check_order(order, agreement) + order_violations(uow, order, agreement)
        if not violations and order.allows(Action.SUBMIT):
            approved = approvals.before_submit(uow, order, command.approvals)
        else:
            approved = []
        order.submit(violations, by.at, by.actor, approved)
        approvals.send_withheld(uow, order, by)

    return _act(uow, command, by, step)


def accept(uow: UnitOfWork, command: AcceptOrder, by: By) -> Order:
    def step(order: Order) -> None:
        agreement = _agreement(uow, order.agreement_id)
        violations = check_order(order, agreement)
        from acsa.services.ceilings import ceiling_violations as over_ceilings

        violations += over_ceilings(uow, order, agreement, command.quantities)
        from acsa.services.arrangements import order_violations

        violations += order_violations(uow, order, agreement, command.quantities)
        order.accept(violations, by.at, by.actor, command.quantities)

    return _act(uow, command, by, step)


def reject(uow: UnitOfWork, command: RejectOrder, by: By) -> Order:
    return _act(uow, command, by, lambda o: o.reject(by.at, by.actor, command.reason))


def cancel(uow: UnitOfWork, command: CancelOrder, by: By) -> Order:
    return _act(uow, command, by, lambda o: o.cancel(by.at, by.actor, command.reason))


def deliver(uow: UnitOfWork, command: DeliverOrder, by: By) -> Order:
    return _act(uow, command, by, lambda o: o.deliver(by.at, by.actor, command.quantities))


def receive(uow: UnitOfWork, command: ReceiveOrder, by: By) -> Order:
    """Record a receipt; both nations' books get their postings in the same transaction:
    the supplier a receivable, the requester a payable, valued at what was received."""

    def step(order: Order) -> None:
        before = order.value_received
        event = order.receive(by.at, by.actor, command.quantities, command.note)
        value = order.value_received - before
        if value.amount == 0:
            return
        stamp = Stamp(
            effective=by.at.date(),
            at=by.at,
            actor=by.actor,
            document=receipt_document(order.id, event.seq),
            order_id=order.id,
            memo=command.note,
        )
        uow.ledger.add(
            receipt_entries(order.supplier, order.requester, value, settled_in_kind(order), stamp)
        )

    return _act(uow, command, by, step)
