"""The exceptions report: what audits of ACSA orders keep finding (DODIG-2016-067, GAO-20-309),
made visible at once. Received but not invoiced; invoiced and overdue; replacement in kind due
within 30 days or past due; orders missing a required field or a signature; orders settled
but not closed; steps without the source document their nation requires."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from datetime import date
from decimal import Decimal
from typing import Any

from sqlalchemy import Row

from acsa.adapters.db.ledger_queries import LedgerQueries
from acsa.clock import today
from acsa.domain.account import OrderAccount, Tranche
from acsa.domain.messages import Message, message, t
from acsa.domain.money import Money, from_minor
from acsa.domain.order import OrderStatus
from acsa.schemas.findings import ExceptionOut
from acsa.schemas.messages import message_fields
from acsa.services.ledger import late_in_kind, order_debts, overdue_invoices
from acsa.services.ports import SqlUnitOfWork

RECEIVED_NOT_INVOICED = "received_not_invoiced"
INVOICE_OVERDUE = "invoice_overdue"
REPLACEMENT_PAST_DUE = "replacement_past_due"
REPLACEMENT_DUE_SOON = "replacement_due_soon"
MISSING_FIELD = "missing_field"
MISSING_SIGNATURE = "missing_signature"
SETTLED_NOT_CLOSED = "settled_not_closed"
#: A step without a source document its nation requires (acsa.services.attachments).
MISSING_SOURCE_DOCUMENT = "missing_source_document"
#: A dispute still open: its age and the amount disputed (acsa.services.disputes).
DISPUTED = "disputed"
#: The kinds, in the order the report lists them.
KINDS = (
    RECEIVED_NOT_INVOICED,
    INVOICE_OVERDUE,
    REPLACEMENT_PAST_DUE,
    REPLACEMENT_DUE_SOON,
    MISSING_FIELD,
    MISSING_SIGNATURE,
    SETTLED_NOT_CLOSED,
    MISSING_SOURCE_DOCUMENT,
    DISPUTED,
)
#: How far ahead a replacement deadline is reported as coming.
DUE_SOON_DAYS = 30
#: Order form fields a placed order must carry (ACSA.md, "The order form"), and the activity
#: for which a field is not required (routine liaison and visits have no operation name).
REQUIRED_FIELDS = ("requester_unit", "supplier_unit", "fund_citation", "operation")
OPTIONAL_FOR_ACTIVITY = {"operation": "routine"}


def exceptions(
    uow: SqlUnitOfWork, as_of: date | None = None, nation: str | None = None
) -> list[ExceptionOut]:
    """Every exception on ``as_of`` (default today; records dated later are ignored when a
    day is given), grouped by kind, oldest first within a kind; with ``nation``, only those of
    orders that nation is party to (None: every order)."""
    from acsa.services.attachments import missing_documents
    from acsa.services.disputes import open_findings

    day = as_of or today()
    with uow:
        debts = order_debts(uow, nation=nation, as_of=as_of)
        queries = LedgerQueries(uow.connection)
        missing = _of_party(
            queries.orders_missing_fields(REQUIRED_FIELDS, OPTIONAL_FOR_ACTIVITY, as_of), nation
        )
        unsigned = _of_party(queries.orders_missing_signatures(as_of), nation)
        lines = queries.order_lines(sorted({r.id for r in [*missing, *unsigned]}))
        undocumented = missing_documents(uow.connection, day, as_of, nation)
        disputed, under_dispute = open_findings(uow.connection, day, as_of, nation)
    found: list[ExceptionOut] = [*undocumented, *disputed]
    for d in debts:
        found.extend(_not_invoiced(d, day))
        found.extend(_overdue(d, day, under_dispute))
        found.extend(_in_kind(d, day))
        found.extend(_not_closed(d, day))
    found.extend(_missing_fields(missing, lines, day))
    found.extend(_missing_signatures(unsigned, lines, day))
    return sorted(found, key=lambda e: (KINDS.index(e.kind), -e.age_days, e.order))


def _of_party(rows: Sequence[Row[Any]], nation: str | None) -> list[Row[Any]]:
    """The order rows ``nation`` is party to (all of them when None)."""
    if nation is None:
        return list(rows)
    return [r for r in rows if nation in (r.supplier, r.requester)]


def _finding(
    kind: str,
    d: OrderAccount,
    since: date,
    day: date,
    value: Decimal,
    said: Message,
    document: str | None = None,
    due: date | None = None,
) -> ExceptionOut:
    h = d.head
    return ExceptionOut(
        kind=kind,
        order=h.order,
        supplier=h.supplier,
        requester=h.requester,
        nations=[h.supplier, h.requester],
        since=since,
        age_days=(day - since).days,
        value=value,
        currency=d.currency,
        document=document,
        due=due,
        **message_fields(said),
    )


def _sum(tranches: Iterable[Tranche]) -> Decimal:
    return sum((t.value for t in tranches), Decimal(0))


def _not_invoiced(d: OrderAccount, day: date) -> list[ExceptionOut]:
    open_ = d.uninvoiced_tranches()
    if not open_:
        return []
    value = _sum(open_)
    first = open_[0]
    template = (
        t("order {order}: {value} converted to cash since {since} and not invoiced by {supplier}")
        if d.head.in_kind
        else t("order {order}: {value} received since {since} and not invoiced by {supplier}")
    )
    said = message(
        template,
        order=d.head.order,
        value=Money(value, d.currency),
        since=first.day,
        supplier=d.head.supplier,
    )
    return [_finding(RECEIVED_NOT_INVOICED, d, first.day, day, value, said, first.document)]


#: An overdue invoice under an open dispute says so (the dispute is a finding of its own).
OVERDUE = t(
    "invoice {invoice} of order {order}: {amount} unpaid by {requester}, due {due}, {days} days "
    "overdue"
)
OVERDUE_DISPUTED = t(
    "invoice {invoice} of order {order}: {amount} unpaid by {requester}, due {due}, {days} days "
    "overdue, disputed in {dispute}"
)


def _overdue(
    d: OrderAccount, day: date, under_dispute: dict[tuple[int, str], str] | None = None
) -> list[ExceptionOut]:
    found: list[ExceptionOut] = []
    for o in overdue_invoices(d, day):
        dispute = (under_dispute or {}).get((d.head.order, o.document))
        params: dict[str, Any] = {
            "invoice": o.document,
            "order": d.head.order,
            "amount": Money(o.amount, d.currency),
            "requester": d.head.requester,
            "due": o.due,
            "days": o.days_overdue,
        }
        if dispute is None:
            said = message(OVERDUE, **params)
        else:
            said = message(OVERDUE_DISPUTED, dispute=dispute, **params)
        found.append(_finding(INVOICE_OVERDUE, d, o.due, day, o.amount, said, o.document, o.due))
    return found


def _in_kind(d: OrderAccount, day: date) -> list[ExceptionOut]:
    found: list[ExceptionOut] = []
    late = late_in_kind(d, day)
    if late is not None:
        found.append(
            _finding(
                REPLACEMENT_PAST_DUE,
                d,
                late.due,
                day,
                late.amount,
                message(
                    t(
                        "order {order}: {amount} owed in kind by {requester} was due by {due} "
                        "({days} days ago) and is not yet converted to cash"
                    ),
                    order=d.head.order,
                    amount=Money(late.amount, d.currency),
                    requester=d.head.requester,
                    due=late.due,
                    days=late.days_overdue,
                ),
                late.document,
                late.due,
            )
        )
    soon = d.due_in_kind(day, DUE_SOON_DAYS)
    if soon:
        value = _sum(soon)
        due = d.deadline_of(soon[0])
        found.append(
            _finding(
                REPLACEMENT_DUE_SOON,
                d,
                soon[0].day,
                day,
                value,
                message(
                    t(
                        "order {order}: {amount} owed in kind by {requester} is due by {due} "
                        "(in {days} days)"
                    ),
                    order=d.head.order,
                    amount=Money(value, d.currency),
                    requester=d.head.requester,
                    due=due,
                    days=(due - day).days,
                ),
                soon[0].document,
                due,
            )
        )
    return found


def _not_closed(d: OrderAccount, day: date) -> list[ExceptionOut]:
    if d.head.status is not OrderStatus.RECEIVED or not d.settled:
        return []
    since = d.last_activity
    assert since is not None, "a settled order received something"
    return [
        _finding(
            SETTLED_NOT_CLOSED,
            d,
            since,
            day,
            d.received,
            message(
                t("order {order}: received and settled since {since}, but not closed"),
                order=d.head.order,
                since=since,
            ),
        )
    ]


def _order_value(lines: Sequence[Row[Any]], currency: str) -> Decimal:
    total = Money.zero(currency)
    for line in lines:
        price = from_minor(line.unit_price_minor, line.currency)
        total = total + Money.of_product(Decimal(line.quantity), price, line.currency)
    return total.amount


def _head_finding(
    kind: str,
    row: Row[Any],
    lines: dict[int, list[Row[Any]]],
    day: date,
    fields: list[str],
    said: Message,
) -> ExceptionOut:
    return ExceptionOut(
        kind=kind,
        order=row.id,
        supplier=row.supplier,
        requester=row.requester,
        nations=[row.supplier, row.requester],
        since=row.order_date,
        age_days=(day - row.order_date).days,
        value=_order_value(lines.get(row.id, []), row.currency),
        currency=row.currency,
        fields=fields,
        **message_fields(said),
    )


def _missing_fields(
    rows: Iterable[Row[Any]], lines: dict[int, list[Row[Any]]], day: date
) -> list[ExceptionOut]:
    found: list[ExceptionOut] = []
    for row in rows:
        blank = [
            name
            for name in REQUIRED_FIELDS
            if not (getattr(row, name) or "").strip()
            and OPTIONAL_FOR_ACTIVITY.get(name) != row.activity
        ]
        if blank:
            said = Message(
                t("order {order} was placed without {fields}"), {"order": row.id, "fields": blank}
            )
            found.append(_head_finding(MISSING_FIELD, row, lines, day, blank, said))
    return found


def _missing_signatures(
    rows: Iterable[Row[Any]], lines: dict[int, list[Row[Any]]], day: date
) -> list[ExceptionOut]:
    found: list[ExceptionOut] = []
    for row in rows:
        missing: list[tuple[str, Message]] = []
        if not row.requester_signed:
            submission = message(t("{nation}'s signed submission"), nation=row.requester)
            missing.append(("requester_signature", submission))
        if row.acceptance_needed and not row.supplier_signed:
            acceptance = message(t("{nation}'s signed acceptance"), nation=row.supplier)
            missing.append(("supplier_acceptance", acceptance))
        if row.receipts_unsigned:
            receipt = message(t("{nation}'s signature on a receipt"), nation=row.requester)
            missing.append(("receipt_signature", receipt))
        if missing:
            said = Message(
                t("order {order} lacks {missing}"),
                {"order": row.id, "missing": [text for _f, text in missing]},
            )
            fields = [f for f, _text in missing]
            found.append(_head_finding(MISSING_SIGNATURE, row, lines, day, fields, said))
    return found
