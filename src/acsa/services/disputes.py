"""Disputes: open one against a step of an order, answer or withdraw it, list them and report
their age and value per partner (the pure rules: ``acsa.domain.disputes``).

Opening and answering are commands of the one table (OpenDispute, AnswerDispute): each holds
the order for its transaction, is audited (``order.dispute``, ``dispute.answer``) and, on a
node, is a signed document to the partner (``dispute``, ``dispute_answer``), so both nodes show
the same dispute. A credit note or write-off answer posts the corrections' credit note (its
own signed document, applied on the partner's node as any credit note); accepting as billed,
a re-delivery or a withdrawal posts nothing.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Sequence
from datetime import date
from decimal import Decimal
from typing import Any, cast

from sqlalchemy import Connection, select

from acsa.adapters.db import tables as db
from acsa.adapters.db.attachment_repository import AttachmentRepository
from acsa.adapters.db.dispute_repository import DisputeRepository
from acsa.clock import today
from acsa.commands import AnswerDispute, By, IssueCreditNote, OpenDispute
from acsa.domain.account import OrderAccount
from acsa.domain.attachments import Step, StepKind
from acsa.domain.disputes import (
    CREDIT_REASON,
    POSTING,
    WRITE_OFF_REASON,
    Dispute,
    Resolution,
    Status,
    answered,
    check_amount,
    check_answer,
    check_open,
    dispute_number,
    disputed_total,
    not_found,
    parse_disputed_step,
    parse_ground,
    parse_resolution,
)
from acsa.domain.documents import Kind
from acsa.domain.errors import AcsaError, Code
from acsa.domain.messages import Term, message, t
from acsa.domain.money import Money, from_minor
from acsa.domain.order import Action, Order
from acsa.domain.settlement import credit_note_number
from acsa.schemas.disputes import DisputeOut, DisputeReportRow
from acsa.schemas.findings import ExceptionOut
from acsa.schemas.messages import message_fields
from acsa.services.orders import load_order
from acsa.services.ports import SqlUnitOfWork, UnitOfWork

#: The audit records of a dispute opened and of its answer.
OPEN_RECORD = "order.dispute"
ANSWER_RECORD = "dispute.answer"


def _repo(uow: UnitOfWork) -> DisputeRepository:
    return DisputeRepository(cast(SqlUnitOfWork, uow).connection)


def _out(d: Dispute, requester: str, supplier: str, reader: str | None, day: date) -> DisputeOut:
    partner = requester if reader == supplier else supplier
    return DisputeOut(
        order=d.order_id,
        number=d.number,
        step=str(d.step),
        subject=d.subject.value,
        ground=d.ground.value,
        reason=d.reason,
        amount=d.amount,
        currency=d.currency,
        evidence=d.evidence,
        opened_by=d.opened_by,
        actor=d.actor,
        opened=d.day,
        at=d.at,
        status=d.status.value,
        resolution=None if d.resolution is None else d.resolution.value,
        agreed=d.agreed,
        note=d.answer_note,
        credit_note=d.credit_note,
        answered_by=d.answered_by,
        answer_actor=d.answer_actor,
        answered=d.answered,
        answered_at=d.answered_at,
        age_days=d.age(day),
        requester=requester,
        supplier=supplier,
        partner=partner,
    )


def _side(uow: UnitOfWork, order: Order, side: str | None) -> str:
    """The nation acting: the signed-in person's (or the partner's document's issuer), else
    the side the command names, else this node's nation."""
    if uow.principal is not None:
        nation = uow.principal.nation
        named = {"requester": order.requester, "supplier": order.supplier}.get(side or "")
        if named is not None and named != nation:
            raise AcsaError.single(
                Code.INVALID_FIELD,
                "side",
                "{name} acts for {nation}, not for the {side} ({named})",
                name=uow.principal.name,
                nation=nation,
                side=Term(side or ""),
                named=named,
            )
        return nation
    if side is not None:
        return order.requester if side == "requester" else order.supplier
    node = cast(Any, uow).node
    if node is not None and node.nation in (order.requester, order.supplier):
        return str(node.nation)
    raise AcsaError.single(
        Code.MISSING_FIELD, "side", "say which side disputes or answers: requester or supplier"
    )


def _step_missing(order: Order, step: Step) -> AcsaError:
    return AcsaError.single(
        Code.ATTACHMENT_STEP_NOT_FOUND,
        "step",
        "order {order} has no step {step}; nothing was saved",
        order=order.id,
        step=str(step),
    )


def step_worth(conn: Connection, order: Order, account: OrderAccount, step: Step) -> Decimal:
    """What ``step`` of ``order`` is worth in the order's currency: a receipt the value of
    what it received, an invoice what it bills, a payment its amount, a settlement in kind its
    value; ATTACHMENT_STEP_NOT_FOUND for a step the order does not have."""
    assert order.id is not None
    cur = order.currency
    if step.kind is StepKind.RECEIPT:
        events = [e for e in order.history if e.action is Action.RECEIVE and e.seq == int(step.ref)]
        if not events:
            raise _step_missing(order, step)
        lines = dict(events[0].details.get("lines", {}))
        total = Money.zero(cur)
        for number, got in lines.items():
            line = order.line(int(number))
            total = total + Money.of_product(Decimal(got["received"]), line.unit_price, cur)
        return total.amount
    if step.kind is StepKind.INVOICE:
        found = [i for i in account.invoices if i.number == step.ref and not i.voided]
        if not found:
            raise _step_missing(order, step)
        return found[0].billed
    i, p, s = db.invoices.c, db.payments.c, db.settlements.c
    if step.kind is StepKind.PAYMENT:
        query = (
            select(p.amount_minor)
            .join(db.invoices, i.id == p.invoice_id)
            .where(i.order_id == order.id)
            .order_by(p.at, p.id)
        )
    else:
        query = select(s.value_minor).where(s.order_id == order.id).order_by(s.at, s.id)
    values = [int(v) for v in conn.execute(query).scalars()]
    place = int(step.ref)
    if not 1 <= place <= len(values):
        raise _step_missing(order, step)
    return from_minor(values[place - 1], cur)


def open_dispute(uow: UnitOfWork, command: OpenDispute, by: By) -> DisputeOut:
    """Open a dispute of a step of the order (held), or refuse it with nothing written."""
    from acsa.services.settlement import load_account

    day = command.day or by.at.date()
    with uow:
        order = load_order(uow, command.order_id, with_history=True)
        assert order.id is not None
        side = _side(uow, order, command.side)
        step = parse_disputed_step("step", command.step)
        ground = parse_ground("ground", command.ground, step)
        amount = check_amount("amount", command.amount, order.currency)
        conn = cast(SqlUnitOfWork, uow).connection
        account = load_account(uow, order)
        worth = step_worth(conn, order, account, step)
        repo = _repo(uow)
        held = [
            d
            for d in repo.of_order(order.id)
            if d.is_open and d.step == step and d.opened_by == side
        ]
        files = frozenset(a.sha256 for a in AttachmentRepository(conn).of_order(order.id))
        refused = check_open(
            amount, order.currency, worth, command.evidence, files, held[0] if held else None
        )
        if refused:
            raise AcsaError(refused)
        number = command.number or dispute_number(
            side, day.year, uow.counters.next(f"dispute:{side}:{day.year}")
        )
        if repo.named(order.id, number) is not None:
            raise AcsaError.single(
                Code.INVALID_FIELD,
                "number",
                "dispute number {number} is taken on this order",
                number=number,
            )
        dispute = Dispute(
            order_id=order.id,
            number=number,
            step=step,
            ground=ground,
            reason=command.reason,
            amount=amount,
            currency=order.currency,
            evidence=command.evidence,
            opened_by=side,
            actor=by.actor,
            day=day,
            at=by.at,
        )
        stored = dataclasses.replace(dispute, id=repo.add(dispute))
        body: dict[str, Any] = {
            "number": number,
            "step": str(step),
            "ground": ground.value,
            "reason": command.reason,
            "amount": str(amount),
            "currency": order.currency,
            "evidence": command.evidence,
            "date": day.isoformat(),
        }
        uow.publish(order, Kind.DISPUTE, body, by.actor, by.at)
        result = _out(stored, order.requester, order.supplier, side, day)
        uow.record(
            OPEN_RECORD,
            f"dispute:{number}",
            by.actor,
            None,
            result.model_dump(mode="json"),
            order.id,
        )
        uow.commit()
        return result


def _invoice_for(
    account: OrderAccount, dispute: Dispute, named: str | None, agreed: Decimal
) -> str:
    """The invoice a credit note or write-off goes on: the one named, else the disputed one,
    else the order's latest invoice with at least ``agreed`` unpaid (DISPUTE_NO_INVOICE)."""
    if named is not None:
        return named
    if dispute.step.kind is StepKind.INVOICE:
        return dispute.step.ref
    for invoice in reversed(account.invoices):
        if not invoice.voided and invoice.unpaid >= agreed:
            return invoice.number
    raise AcsaError.single(
        Code.DISPUTE_NO_INVOICE,
        "invoice",
        "order {order} has no invoice with {amount} unpaid to credit; invoice first",
        order=account.head.order,
        amount=Money(agreed, account.currency),
    )


def answer_dispute(uow: UnitOfWork, command: AnswerDispute, by: By) -> DisputeOut:
    """Answer (or withdraw) a dispute of the order (held): it closes, and a credit note or
    write-off posts the corrections' credit note on an invoice in the same transaction."""
    from acsa.services.settlement import issue_credit_note, load_account

    day = command.day or by.at.date()
    with uow:
        order = load_order(uow, command.order_id)
        assert order.id is not None
        side = _side(uow, order, command.side)
        repo = _repo(uow)
        dispute = repo.named(order.id, command.dispute)
        if dispute is None:
            raise not_found(command.dispute)
        resolution = parse_resolution("resolution", command.resolution)
        agreed = (
            None
            if command.agreed is None
            else check_amount("agreed", command.agreed, dispute.currency)
        )
        check_answer(dispute, resolution, side, order.supplier, agreed)
        credit: IssueCreditNote | None = None
        invoice: str | None = None
        note_number = command.credit_note
        if resolution in POSTING and note_number is None:
            assert agreed is not None
            account = load_account(uow, order)
            invoice = _invoice_for(account, dispute, command.invoice, agreed)
            note_number = credit_note_number(
                order.supplier, day.year, uow.counters.next(f"credit:{order.supplier}:{day.year}")
            )
            template = WRITE_OFF_REASON if resolution is Resolution.WRITE_OFF else CREDIT_REASON
            reason = str(message(template, number=dispute.number, note=command.note or "-"))
            credit = IssueCreditNote(
                invoice=invoice,
                amount=agreed,
                reason=reason[:500],
                day=day,
                currency=dispute.currency,
                number=note_number,
            )
        elif resolution in POSTING:
            invoice = command.invoice
        closed = answered(
            dispute, resolution, agreed, command.note, note_number, side, by.actor, day, by.at
        )
        repo.answer(closed)
        body: dict[str, Any] = {
            "number": dispute.number,
            "resolution": resolution.value,
            "note": command.note,
            "date": day.isoformat(),
        }
        if agreed is not None:
            body.update({"agreed": str(agreed), "currency": dispute.currency})
        if note_number is not None:
            body.update({"credit_note": note_number, "invoice": invoice})
        uow.publish(order, Kind.DISPUTE_ANSWER, body, by.actor, by.at)
        result = _out(closed, order.requester, order.supplier, side, day)
        before = {"status": Status.OPEN.value}
        after = result.model_dump(mode="json")
        uow.record(ANSWER_RECORD, f"dispute:{dispute.number}", by.actor, before, after, order.id)
        if credit is not None:
            issue_credit_note(uow, credit, by)  # posts, publishes its document and commits
        else:
            uow.commit()
        return result


def disputes_of(uow: UnitOfWork, order_id: int, as_of: date | None = None) -> list[DisputeOut]:
    """The disputes of order ``order_id``, oldest first (its guard decides who sees)."""
    day = as_of or today()
    with uow:
        order = load_order(uow, order_id)
        assert order.id is not None
        reader = uow.principal.nation if uow.principal is not None else None
        return [
            _out(d, order.requester, order.supplier, reader, day)
            for d in _repo(uow).of_order(order.id)
        ]


def disputed_of(uow: UnitOfWork, order_id: int) -> Decimal:
    """What the open disputes of an order hold in dispute (in an open unit of work; none
    in one kept in memory, which keeps no disputes)."""
    if not hasattr(type(uow), "connection"):
        return Decimal(0)
    return disputed_total(_repo(uow).of_order(order_id))


def all_disputes(
    uow: SqlUnitOfWork,
    nation: str | None,
    status: str | None = None,
    partner: str | None = None,
    as_of: date | None = None,
) -> list[DisputeOut]:
    """Every dispute of the orders ``nation`` is party to (None: every order), oldest first;
    only those of ``status`` (open, resolved, withdrawn) or with ``partner`` when given."""
    day = as_of or today()
    o = db.orders.c
    with uow:
        parties = {
            r.id: (r.requester, r.supplier)
            for r in uow.connection.execute(select(o.id, o.requester, o.supplier))
            if nation is None or nation in (r.requester, r.supplier)
        }
        found = DisputeRepository(uow.connection).of_orders(sorted(parties))
    out = [_out(d, *parties[d.order_id], nation, day) for d in found]
    if status is not None:
        out = [d for d in out if d.status == status]
    if partner is not None:
        out = [d for d in out if d.partner == partner]
    return out


def report(disputes: Sequence[DisputeOut]) -> list[DisputeReportRow]:
    """Per partner and currency: open disputes (count, value, oldest age) and closed ones."""
    rows: dict[tuple[str, str], DisputeReportRow] = {}
    for d in disputes:
        key = (d.partner, d.currency)
        row = rows.setdefault(
            key,
            DisputeReportRow(
                partner=d.partner,
                currency=d.currency,
                open=0,
                open_value=Decimal(0),
                oldest_days=0,
                closed=0,
                closed_value=Decimal(0),
                credited=Decimal(0),
            ),
        )
        if d.status == Status.OPEN.value:
            row.open += 1
            row.open_value += d.amount
            row.oldest_days = max(row.oldest_days, d.age_days)
        else:
            row.closed += 1
            row.closed_value += d.amount
            if d.resolution in (Resolution.CREDIT_NOTE.value, Resolution.WRITE_OFF.value):
                row.credited += d.agreed or Decimal(0)
    return [rows[k] for k in sorted(rows)]


#: The exceptions report's words of an open dispute.
DISPUTED_FINDING = t(
    "dispute {dispute} of {step} of order {order}: {amount} disputed by {nation} since "
    "{since}, {days} days open"
)


def open_findings(
    conn: Connection, day: date, as_of: date | None, nation: str | None
) -> tuple[list[ExceptionOut], dict[tuple[int, str], str]]:
    """The exceptions report's ``disputed`` findings (each dispute open on ``day``: its age
    and the amount disputed), of orders ``nation`` is party to (None: every order), and the
    invoices under an open dispute ((order, invoice number) -> the dispute's number), so that
    an overdue one says it is disputed."""
    from acsa.services.findings import DISPUTED

    o = db.orders.c
    heads = {
        r.id: r
        for r in conn.execute(select(o.id, o.requester, o.supplier))
        if nation is None or nation in (r.requester, r.supplier)
    }
    found: list[ExceptionOut] = []
    invoices: dict[tuple[int, str], str] = {}
    for d in DisputeRepository(conn).of_orders(sorted(heads)):
        dated = as_of is None or d.day <= as_of
        still = d.is_open or (as_of is not None and d.answered is not None and d.answered > as_of)
        if not (dated and still):
            continue
        head = heads[d.order_id]
        if d.step.kind is StepKind.INVOICE:
            invoices[d.order_id, d.step.ref] = d.number
        age = max((day - d.day).days, 0)
        said = message(
            DISPUTED_FINDING,
            dispute=d.number,
            step=str(d.step),
            order=d.order_id,
            amount=Money(d.amount, d.currency),
            nation=d.opened_by,
            since=d.day,
            days=age,
        )
        found.append(
            ExceptionOut(
                kind=DISPUTED,
                order=d.order_id,
                supplier=head.supplier,
                requester=head.requester,
                nations=[head.supplier, head.requester],
                since=d.day,
                age_days=age,
                value=d.amount,
                currency=d.currency,
                document=str(d.step),
                **message_fields(said),
            )
        )
    return found, invoices


def open_between(conn: Connection, nation: str, partner: str, end: date) -> dict[str, Decimal]:
    """Per currency, what the disputes open at the end of day ``end`` hold on the orders
    between ``nation`` and ``partner`` (a statement shows it apart from the balance)."""
    o = db.orders.c
    ids = [
        r.id
        for r in conn.execute(
            select(o.id).where(
                ((o.requester == nation) & (o.supplier == partner))
                | ((o.requester == partner) & (o.supplier == nation))
            )
        )
    ]
    held: dict[str, Decimal] = {}
    for d in DisputeRepository(conn).of_orders(ids) if ids else []:
        if d.day <= end and (d.answered is None or d.answered > end):
            held[d.currency] = held.get(d.currency, Decimal(0)) + d.amount
    return held
