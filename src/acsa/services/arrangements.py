"""Implementing arrangements under an agreement: list, show, add, amend, end; and what they
mean for an order (checked when it is placed, edited, submitted and accepted), its invoices
(the payment term) and its notices (the points of contact).

Access is the agreement registry's (``acsa.services.agreements``): an arrangement of an
agreement the principal may not see is not found; an admin of one of the agreement's parties
or a registry keeper changes them. Arrangements are this node's registry: each node enters
the arrangements it holds (they are not sent to the partner). An order names its arrangement
by reference; a partner's order naming one this node does not hold keeps the reference as
text (the order is the partner's to check; ``orders.arrangement_id`` stays NULL), one it
holds is resolved (``orders.arrangement_id``) and counted.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import replace
from datetime import date, datetime
from decimal import Decimal
from typing import Any, NamedTuple, cast

from acsa.adapters.db.arrangement_repository import ArrangementRepository
from acsa.adapters.nations_file import shipped_fiscal_calendars
from acsa.domain import limits
from acsa.domain.access import require_registry_change
from acsa.domain.agreement import Agreement
from acsa.domain.arrangements import (
    Arrangement,
    ArrangementCeilingContext,
    amended,
    applicable,
    arrangement_from_doc,
    check_end,
    check_in_force,
    not_found,
)
from acsa.domain.arrangements import ceiling_violations as over_ceilings
from acsa.domain.ceilings import order_value
from acsa.domain.errors import AcsaError, Code, NotFoundError, Violation
from acsa.domain.money import Money
from acsa.domain.order import Order
from acsa.schemas.arrangements import side_out
from acsa.schemas.ledger import InvoiceOut
from acsa.services.agreements import not_found as agreement_not_found
from acsa.services.agreements import visible_agreement
from acsa.services.ports import SqlUnitOfWork, UnitOfWork


def _repo(uow: UnitOfWork) -> ArrangementRepository:
    return ArrangementRepository(cast(SqlUnitOfWork, uow).connection)


def _missing(agreement_id: str, reference: str) -> NotFoundError:
    return NotFoundError([not_found(reference, agreement_id)])


def list_arrangements(uow: UnitOfWork, agreement_id: str) -> tuple[Agreement, list[Arrangement]]:
    """The agreement (if the principal may see it; else AGREEMENT_NOT_FOUND) and its
    arrangements, by the day they entered into force."""
    with uow:
        agreement = visible_agreement(uow, agreement_id)
        return agreement, _repo(uow).of_agreement(agreement_id)


def get_arrangement(uow: UnitOfWork, agreement_id: str, reference: str) -> Arrangement:
    """One arrangement of a visible agreement, or ARRANGEMENT_NOT_FOUND (404)."""
    with uow:
        visible_agreement(uow, agreement_id)
        found = _repo(uow).get(agreement_id, reference)
    if found is None:
        raise _missing(agreement_id, reference)
    return found


def _changeable(uow: UnitOfWork, agreement_id: str) -> Agreement:
    """The agreement inside an open unit of work, if its principal may change its
    arrangements (an admin of one of its parties, a registry keeper); one it may not see is
    not found."""
    agreement = uow.agreements.get(agreement_id)
    if agreement is None:
        raise NotFoundError([agreement_not_found(agreement_id)])
    require_registry_change(uow.principal, agreement.parties, agreement_not_found(agreement_id))
    return agreement


def add_arrangement(
    uow: UnitOfWork, agreement_id: str, doc: Mapping[str, Any], actor: str, at: datetime
) -> Arrangement:
    """Add an arrangement from its document (``arrangements add --file``); refused with every
    wrong field named, or ARRANGEMENT_EXISTS when the agreement has one of that reference."""
    with uow:
        agreement = _changeable(uow, agreement_id)
        arrangement = arrangement_from_doc(agreement.id, agreement.parties, doc)
        repo = _repo(uow)
        if repo.get(agreement.id, arrangement.reference) is not None:
            raise AcsaError.single(
                Code.ARRANGEMENT_EXISTS,
                "reference",
                "agreement {agreement} has an arrangement {reference} already; amend it, or "
                "give another reference",
                agreement=agreement.id,
                reference=repr(arrangement.reference),
            )
        limits.check_count(
            "arrangements", repo.count(agreement.id) + 1, limits.ARRANGEMENTS_PER_AGREEMENT_MAX
        )
        arrangement = replace(arrangement, id=repo.add(arrangement, at, actor))
        subject = f"arrangement:{agreement.id}/{arrangement.reference}"
        uow.record("arrangement.add", subject, actor, None, arrangement.to_json())
        uow.commit()
    return arrangement


def amend_arrangement(
    uow: UnitOfWork,
    agreement_id: str,
    reference: str,
    changes: Mapping[str, Any],
    actor: str,
    at: datetime,
) -> Arrangement:
    """Change an arrangement's terms (the fields ``changes`` gives; the rest stay), checked as
    a new one is; its reference stays. The audit record keeps the terms before and after."""
    with uow:
        agreement = _changeable(uow, agreement_id)
        repo = _repo(uow)
        current = repo.get(agreement.id, reference)
        if current is None:
            raise _missing(agreement.id, reference)
        after = amended(current, changes, agreement.parties)
        repo.replace(after, at)
        subject = f"arrangement:{agreement.id}/{reference}"
        uow.record("arrangement.amend", subject, actor, current.to_json(), after.to_json())
        uow.commit()
    return after


def end_arrangement(
    uow: UnitOfWork, agreement_id: str, reference: str, ended: date, actor: str, at: datetime
) -> Arrangement:
    """End an arrangement from ``ended`` on: orders dated then are refused under it."""
    with uow:
        agreement = _changeable(uow, agreement_id)
        repo = _repo(uow)
        current = repo.get(agreement.id, reference)
        if current is None:
            raise _missing(agreement.id, reference)
        check_end(current, ended)
        after = replace(current, ended=ended)
        repo.replace(after, at)
        subject = f"arrangement:{agreement.id}/{reference}"
        uow.record("arrangement.end", subject, actor, {"ended": None}, {"ended": ended.isoformat()})
        uow.commit()
    return after


# --- orders under an arrangement ----------------------------------------------------------------


def _fiscal_converter(uow: UnitOfWork, order: Order) -> Any:
    from acsa.services.rates import Converter

    rates = Converter.open(uow)

    def convert(money: Money, currency: str, on: date) -> Money:
        return rates.convert(order.requester, money, currency, on, field="arrangement").amount

    return convert


def order_violations(
    uow: UnitOfWork,
    order: Order,
    agreement: Agreement,
    quantities: Mapping[int, Decimal] | None = None,
    *,
    naming: bool = False,
) -> list[Violation]:
    """What the arrangement ``order`` names refuses, inside an open unit of work: none named
    (nothing), not one of the agreement's (ARRANGEMENT_NOT_FOUND), not in force on the order
    date (ARRANGEMENT_NOT_IN_FORCE), or a ceiling the order (as requested, or the
    ``quantities`` being accepted) would exceed (ARRANGEMENT_CEILING_EXCEEDED). A partner's
    document is not checked here (``uow.incoming``): it is the partner's order. A reference
    this node does not hold is refused only ``naming`` it (placing or editing the order here);
    later steps (submit, accept) check the arrangement this node holds, and take a partner's
    order naming one it does not hold as the partner's to check."""
    if order.arrangement is None or uow.incoming is not None:
        return []
    arrangement = _repo(uow).get(agreement.id, order.arrangement)
    if arrangement is None:
        return [not_found(order.arrangement, agreement.id)] if naming else []
    found = check_in_force(arrangement, order.order_date)
    if found or not applicable(arrangement, order.requester):
        return found
    assert arrangement.id is not None
    uow.locks.hold_ceiling(f"{agreement.id} {arrangement.reference}", order.requester)
    year = shipped_fiscal_calendars().fiscal_year_of(order.requester, order.order_date)
    context = ArrangementCeilingContext(
        arrangement=arrangement,
        party=order.requester,
        year=year,
        value=order_value(order, quantities),
        used=_repo(uow).used_values(arrangement.id, order.requester, order.id),
        convert=_fiscal_converter(uow, order),
    )
    return over_ceilings(context)


def apply_defaults(uow: UnitOfWork, order: Order, agreement: Agreement) -> None:
    """Give ``order`` what its arrangement says and it left empty: the requester's default
    fund citation. Inside an open unit of work, after ``order_violations`` found nothing."""
    if order.arrangement is None or order.fund_citation:
        return
    arrangement = _repo(uow).get(agreement.id, order.arrangement)
    if arrangement is None:
        return
    citation = arrangement.side(order.requester).fund_citation
    if citation:
        order.fund_citation = citation


def payment_term(uow: UnitOfWork, agreement_id: str, reference: str, default: int) -> int:
    """The payment term of the arrangement ``reference`` (``default``: the agreement's, when
    this node does not hold it). Inside an open unit of work."""
    found = _repo(uow).get(agreement_id, reference)
    return default if found is None else found.payment_term_days


class OrderArrangement(NamedTuple):
    """The arrangement an order names, as the order form and invoices print it: the reference
    (always), and the arrangement when this node holds it."""

    reference: str
    arrangement: Arrangement | None


def of_order(uow: UnitOfWork, order: Order) -> OrderArrangement | None:
    """The arrangement ``order`` names (None: none), inside an open unit of work or not."""
    if order.arrangement is None:
        return None
    with uow:
        found = _repo(uow).get(order.agreement_id, order.arrangement)
    return OrderArrangement(order.arrangement, found)


class PointOfContact(NamedTuple):
    name: str
    email: str


def contacts_for(uow: UnitOfWork, order_id: int, nation: str) -> list[PointOfContact]:
    """The points of contact of ``nation``'s side of the arrangement the order ``order_id``
    names (name, e-mail; only those with an e-mail), for notices to reach them: none when the
    order names none, or one this node does not hold. Reads without the unit of work's guard
    (the notice delivery runs as the installation)."""
    with uow:
        arrangement_id, _reference = _repo(uow).of_order(order_id)
        if arrangement_id is None:
            return []
        found = _repo(uow).by_id(arrangement_id)
    if found is None:
        return []
    return [PointOfContact(c.name, c.email) for c in found.side(nation).contacts if c.email]


def invoice_offices(uow: UnitOfWork, order: Order, invoice: InvoiceOut) -> InvoiceOut:
    """``invoice`` of ``order`` with the offices of the arrangement the order names: where it
    goes (the debtor's paying office) and who bills it (the issuer's billing office); as it
    is when the order names none or this node does not hold it. Inside an open unit of work."""
    if order.arrangement is None:
        return invoice
    found = _repo(uow).get(order.agreement_id, order.arrangement)
    update: dict[str, Any] = {"arrangement": order.arrangement}
    if found is not None:
        update["bill_to"] = side_out(found.side(invoice.debtor)).paying_office
        update["billed_by"] = side_out(found.side(invoice.issuer)).billing_office
    return invoice.model_copy(update=update)
