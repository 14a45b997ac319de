"""Order accounts in and out of the database: the records an :class:`OrderAccount` is built
from (receipts posted to the supplier's book, invoices, payments, settlements) and the records
a decision adds. One order or many at once (for statements, aging and reports)."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable, Sequence
from datetime import date
from decimal import Decimal
from typing import Any

from sqlalchemy import ColumnElement, Connection, Row, Select, bindparam, insert, select

from acsa.adapters.db import tables as t
from acsa.adapters.db.ledger_queries import LedgerQueries, receipts_query
from acsa.adapters.db.repository import line_from_row
from acsa.domain.account import (
    ENTRY_KIND,
    AccountHead,
    Conversion,
    Correction,
    CorrectionKind,
    Decision,
    EqualValueExchange,
    ExchangedLine,
    InKind,
    Invoice,
    OrderAccount,
    Payment,
    Replacement,
    Terms,
    Tranche,
    account_of,
)
from acsa.domain.ledger import EntryKind
from acsa.domain.money import from_minor, to_minor
from acsa.domain.order import Order, OrderLine, OrderStatus
from acsa.domain.settlement import ReturnedLine

TermsOf = Callable[[AccountHead], Terms]


def _in_kind(row: Row[Any], currency: str) -> InKind:
    value = from_minor(int(row.value_minor), currency)
    lines = list(row.lines or [])
    common = {"at": row.at, "actor": row.actor, "id": row.id}
    if row.kind == EntryKind.REPLACEMENT.value:
        return Replacement(
            row.effective,
            value,
            tuple(
                ReturnedLine(
                    int(x["line"]),
                    str(x["category"]),
                    Decimal(str(x["quantity"])),
                    x.get("nsn"),
                    str(x.get("description", "")),
                )
                for x in lines
            ),
            row.note,
            **common,
        )
    if row.kind == EntryKind.EXCHANGE.value:
        return EqualValueExchange(
            row.effective,
            value,
            tuple(
                ExchangedLine(
                    str(x.get("category", "")),
                    str(x.get("description", "")),
                    Decimal(str(x.get("quantity", "1"))),
                    str(x.get("unit", "")),
                    Decimal(str(x.get("value", "0"))),
                )
                for x in lines
            ),
            row.agreed_by,
            row.note,
            **common,
        )
    return Conversion(row.effective, value, None, row.note, **common)


def invoice_from_row(row: Row[Any], payments: Sequence[Payment] = ()) -> Invoice:
    """An invoices row as the domain's Invoice, with ``payments``."""
    return Invoice(
        number=row.number,
        kind=row.kind,
        amount=from_minor(int(row.amount_minor), row.currency),
        issued=row.issued,
        due=row.due,
        payments=tuple(payments),
        at=row.at,
        actor=row.actor,
        id=row.id,
    )


def payment_from_row(row: Row[Any], invoice: str) -> Payment:
    """A payments row (of invoice number ``invoice``) as the domain's Payment."""
    return Payment(
        invoice,
        from_minor(int(row.amount_minor), row.currency),
        row.paid,
        row.reference,
        row.at,
        row.actor,
        row.id,
    )


def _records_queries(
    invoice_orders: ColumnElement[bool], settlement_orders: ColumnElement[bool]
) -> tuple[Select[Any], Select[Any], Select[Any]]:
    """The invoices, the payments (with their invoice's number and order) and the settlements
    of the orders the two conditions name, in order."""
    i, p, s = t.invoices, t.payments, t.settlements
    return (
        select(i).where(invoice_orders).order_by(i.c.order_id, i.c.id),
        select(p, i.c.number, i.c.order_id)
        .join_from(p, i, p.c.invoice_id == i.c.id)
        .where(invoice_orders)
        .order_by(p.c.id),
        select(s).where(settlement_orders).order_by(s.c.order_id, s.c.id),
    )


def corrections_query(invoice_orders: ColumnElement[bool]) -> Select[Any]:
    """The corrections (with their invoice's number) of the invoices the condition names, in
    the order recorded."""
    c, i = t.corrections, t.invoices
    return (
        select(c, i.c.number.label("invoice_number"))
        .join_from(c, i, c.c.invoice_id == i.c.id)
        .where(invoice_orders)
        .order_by(c.c.id)
    )


_ONE_RECEIPTS = receipts_query(t.ledger_entries.c.order_id == bindparam("order"))
_ONE_INVOICES, _ONE_PAYMENTS, _ONE_SETTLEMENTS = _records_queries(
    t.invoices.c.order_id == bindparam("order"), t.settlements.c.order_id == bindparam("order")
)
_ONE_CORRECTIONS = corrections_query(t.invoices.c.order_id == bindparam("order"))


def correction_from_row(row: Row[Any], places: dict[int, int]) -> Correction:
    """A corrections row (with ``invoice_number``) as the domain's Correction; ``places``: the
    place of each payment among its invoice's (by payment id)."""
    payment = row.payment_id
    return Correction(
        kind=CorrectionKind(row.kind),
        invoice=row.invoice_number,
        amount=from_minor(int(row.amount_minor), row.currency),
        day=row.effective,
        reason=row.reason,
        payment=None if payment is None else places.get(int(payment)),
        number=row.number or "",
        at=row.at,
        actor=row.actor,
        id=row.id,
    )


def payment_places(payments: dict[str, list[Payment]]) -> dict[int, int]:
    """The place (1: the first recorded) of each payment among its invoice's, by id."""
    return {
        p.id: n
        for listed in payments.values()
        for n, p in enumerate(listed, start=1)
        if p.id is not None
    }


class OrderAccounts:
    """Loads accounts and stores what their decisions add."""

    def __init__(self, conn: Connection) -> None:
        self.conn = conn

    # --- one order ------------------------------------------------------------------------

    def load(self, order: Order, terms: Terms) -> OrderAccount:
        """The account of ``order`` (loaded in this transaction, so held for change when the
        unit of work writes), with every record stored for it."""
        assert order.id is not None
        head = AccountHead.of(order)
        return self._build(
            [head], lambda _h: terms, order_scope=[order.id], lines={order.id: order.lines}
        )[order.id]

    # --- many orders ----------------------------------------------------------------------

    def load_many(
        self,
        scope: Select[tuple[int]],
        terms_of: TermsOf,
        as_of: date | None = None,
        with_receipts_only: bool = True,
        with_lines: bool = False,
    ) -> list[OrderAccount]:
        """Accounts of the orders in ``scope`` with what was recorded on them by ``as_of``
        (everything when None), by order id; by default only those that received something.
        With ``with_lines`` each account holds its order's lines too (as stored now)."""
        queries = LedgerQueries(self.conn)
        heads = [
            AccountHead(
                order=h.id,
                supplier=h.supplier,
                requester=h.requester,
                currency=h.currency,
                method=h.settlement,
                status=OrderStatus(h.status),
                agreement_id=h.agreement_id,
                order_date=h.order_date,
            )
            for h in queries.order_heads(scope)
        ]
        lines = self._lines(scope) if with_lines else None
        built = self._build(heads, terms_of, scope=scope, as_of=as_of, lines=lines)
        return [built[h.order] for h in heads if built[h.order].receipts or not with_receipts_only]

    def load_ids(
        self,
        ids: Sequence[int],
        terms_of: TermsOf,
        as_of: date | None = None,
        with_lines: bool = False,
    ) -> list[OrderAccount]:
        """Accounts of the orders ``ids`` (those that exist), by order id, with what was
        recorded on them by ``as_of`` (everything when None)."""
        scope = select(t.orders.c.id).where(t.orders.c.id.in_(list(ids)))
        return self.load_many(
            scope, terms_of, as_of, with_receipts_only=False, with_lines=with_lines
        )

    def load_of(
        self,
        nation: str | None,
        partner: str | None,
        statuses: Sequence[str],
        terms_of: TermsOf,
        as_of: date | None = None,
        with_receipts_only: bool = True,
        with_lines: bool = False,
    ) -> list[OrderAccount]:
        """Accounts of the orders in ``statuses`` between ``nation`` and ``partner`` (either
        None: any), by order id; by default only those that received something."""
        scope = LedgerQueries.order_scope(nation, partner, statuses)
        return self.load_many(scope, terms_of, as_of, with_receipts_only, with_lines)

    def _lines(self, scope: Select[tuple[int]]) -> dict[int, list[OrderLine]]:
        """The lines of the orders in ``scope``, by order id, in line order."""
        ol = t.order_lines
        query = select(ol).where(ol.c.order_id.in_(scope)).order_by(ol.c.order_id, ol.c.number)
        found: dict[int, list[OrderLine]] = defaultdict(list)
        for row in self.conn.execute(query):
            found[row.order_id].append(line_from_row(row))
        return found

    # --- building -------------------------------------------------------------------------

    def _build(
        self,
        heads: Sequence[AccountHead],
        terms_of: TermsOf,
        scope: Select[tuple[int]] | None = None,
        order_scope: list[int] | None = None,
        as_of: date | None = None,
        lines: dict[int, list[OrderLine]] | None = None,
    ) -> dict[int, OrderAccount]:
        ids: Any = scope if scope is not None else order_scope
        currency = {h.order: h.currency for h in heads}
        one = order_scope is not None and len(order_scope) == 1 and as_of is None
        if one:
            # One order's account, as every settlement action reads it: statements built once.
            assert order_scope is not None
            bound = {"order": order_scope[0]}
            receipt_rows = list(self.conn.execute(_ONE_RECEIPTS, bound))
            invoice_rows = self.conn.execute(_ONE_INVOICES, bound)
            payment_rows = self.conn.execute(_ONE_PAYMENTS, bound)
            settlement_rows = self.conn.execute(_ONE_SETTLEMENTS, bound)
            correction_rows = self.conn.execute(_ONE_CORRECTIONS, bound)
        else:
            receipt_rows = LedgerQueries(self.conn).receipts(ids, as_of)
            invoice_query, payment_query, settlement_query = _records_queries(
                t.invoices.c.order_id.in_(ids), t.settlements.c.order_id.in_(ids)
            )
            correction_query = corrections_query(t.invoices.c.order_id.in_(ids))
            if as_of is not None:
                i, p, s = t.invoices, t.payments, t.settlements
                invoice_query = invoice_query.where(i.c.issued <= as_of)
                payment_query = payment_query.where(p.c.paid <= as_of)
                settlement_query = settlement_query.where(s.c.effective <= as_of)
                correction_query = correction_query.where(t.corrections.c.effective <= as_of)
            correction_rows = self.conn.execute(correction_query)
            invoice_rows = self.conn.execute(invoice_query)
            payment_rows = self.conn.execute(payment_query)
            settlement_rows = self.conn.execute(settlement_query)
        receipts: dict[int, list[Tranche]] = defaultdict(list)
        for r in receipt_rows:
            receipts[r.order_id].append(
                Tranche(
                    r.effective,
                    from_minor(int(r.amount_minor), currency[r.order_id]),
                    r.document,
                    r.at,
                )
            )
        invoices: dict[int, list[Invoice]] = defaultdict(list)
        for row in invoice_rows:
            invoices[row.order_id].append(invoice_from_row(row))
        payments: dict[int, dict[str, list[Payment]]] = defaultdict(lambda: defaultdict(list))
        for row in payment_rows:
            payments[row.order_id][row.number].append(payment_from_row(row, row.number))
        in_kind: dict[int, list[InKind]] = defaultdict(list)
        for row in settlement_rows:
            in_kind[row.order_id].append(_in_kind(row, currency[row.order_id]))
        corrections: dict[int, dict[str, list[Correction]]] = defaultdict(lambda: defaultdict(list))
        places: dict[int, dict[int, int]] = {}
        for row in correction_rows:
            n = row.order_id
            if n not in places:
                places[n] = payment_places(payments.get(n, {}))
            corrections[n][row.invoice_number].append(correction_from_row(row, places[n]))
        return {
            h.order: account_of(
                h,
                terms_of(h),
                receipts.get(h.order, ()),
                invoices.get(h.order, ()),
                payments.get(h.order, {}),
                in_kind.get(h.order, ()),
                (lines or {}).get(h.order, ()),
                corrections.get(h.order, {}),
            )
            for h in heads
        }

    # --- storing --------------------------------------------------------------------------

    def store(self, account: OrderAccount, decision: Decision) -> list[int]:
        """Insert the records ``decision`` added to ``account``; their ids, in order."""
        head = account.head
        ids: list[int] = []
        numbers = {inv.number: inv.id for inv in account.invoices}
        for record in decision.records:
            if isinstance(record, Correction):
                invoice = account.invoice_named(record.invoice)
                assert invoice.id is not None, "a corrected invoice is stored"
                new_id = self._insert(t.corrections, correction_values(head, record, invoice))
            elif isinstance(record, Invoice):
                new_id = self._insert(t.invoices, invoice_values(head, record))
                numbers[record.number] = new_id
            elif isinstance(record, Payment):
                invoice_id = numbers[record.invoice]
                assert invoice_id is not None, "a payment's invoice is stored"
                new_id = self._insert(t.payments, payment_values(head, record, invoice_id))
            else:
                new_id = self._insert(t.settlements, settlement_values(head, record))
            ids.append(new_id)
        return ids

    def _insert(self, table: Any, values: dict[str, Any]) -> int:
        key = self.conn.execute(_INSERTS[table.name], values).inserted_primary_key
        assert key is not None
        return int(key[0])


#: The account's inserts, built once (the values go as parameters).
_INSERTS = {
    table.name: insert(table) for table in (t.invoices, t.payments, t.settlements, t.corrections)
}


def correction_values(head: AccountHead, record: Correction, invoice: Invoice) -> dict[str, Any]:
    """The corrections row of a void, a reversal (of ``invoice``'s payment at its place) or a
    credit note."""
    payment_id = None
    if record.payment is not None:
        payment_id = invoice.payments[record.payment - 1].id
        assert payment_id is not None, "a reversed payment is stored"
    return {
        "order_id": head.order,
        "invoice_id": invoice.id,
        "kind": record.kind.value,
        "payment_id": payment_id,
        "number": record.number or None,
        "currency": head.currency,
        "amount_minor": to_minor(record.amount, head.currency),
        "effective": record.day,
        "reason": record.reason,
        "at": record.at,
        "actor": record.actor,
        "voids": invoice.id if record.kind is CorrectionKind.VOID else None,
    }


def settlement_values(head: AccountHead, record: InKind) -> dict[str, Any]:
    """The settlements row of a replacement, exchange or conversion."""
    lines: list[dict[str, Any]] = []
    agreed_by, note = "", record.note if not isinstance(record, EqualValueExchange) else ""
    if isinstance(record, Replacement):
        lines = [x.as_record() for x in record.lines]
        agreed_by = record.actor
    elif isinstance(record, EqualValueExchange):
        lines = [x.as_record() for x in record.lines]
        agreed_by, note = record.agreed_by, record.valuation_note
    return {
        "order_id": head.order,
        "kind": ENTRY_KIND[type(record)].value,
        "currency": head.currency,
        "value_minor": to_minor(record.value, head.currency),
        "effective": record.day,
        "lines": lines,
        "agreed_by": agreed_by,
        "note": note,
        "at": record.at,
        "actor": record.actor,
    }


def invoice_values(head: AccountHead, record: Invoice) -> dict[str, Any]:
    """The invoices row of an invoice."""
    return {
        "number": record.number,
        "order_id": head.order,
        "issuer": head.supplier,
        "debtor": head.requester,
        "kind": record.kind,
        "currency": head.currency,
        "amount_minor": to_minor(record.amount, head.currency),
        "issued": record.issued,
        "due": record.due,
        "at": record.at,
        "actor": record.actor,
    }


def payment_values(head: AccountHead, record: Payment, invoice_id: int) -> dict[str, Any]:
    """The payments row of a payment."""
    return {
        "invoice_id": invoice_id,
        "currency": head.currency,
        "amount_minor": to_minor(record.amount, head.currency),
        "paid": record.paid,
        "reference": record.reference,
        "at": record.at,
        "actor": record.actor,
    }
