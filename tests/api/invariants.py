"""What must hold of a stored acsa database whatever happened to the server writing it: no
change is ever half there.

``half_written(engine)`` reads the tables directly and returns one message per broken rule:

- every order's status and version agree with its events (seq 1..n, the last event's state);
- every receipt event has its two ledger entries (supplier's and requester's book) and every
  receipt entry its event; every payment its two entries and every payment entry its payment;
  every entry balances per currency;
- no invoice is paid beyond its amount (less its credit notes; nothing for a void one, its
  reversed payments not counted), no order invoiced (void invoices aside) beyond what it
  received; every reversal of a payment has the two reversing entries, each naming the payment
  entry it cancels, and every credit note its two entries;
- each change has exactly one audit record: per order, as many ``order.<action>`` records as
  events, ``invoice.issue`` records as invoices, ``payment.record`` records as payments;
- the books mirror each other (a receivable in one is the payable in the other...);
- running balances equal a recompute from postings and every book balances
  (``acsa.services.ledger.verify``), and the audit chain is intact (``verify_audit``).

The workloads of these tests receive every order in full, so every receive event posts.
"""

from __future__ import annotations

from collections import Counter, defaultdict
from typing import Any

from sqlalchemy import Engine, func, select

from acsa.adapters.db import tables as t
from acsa.adapters.db.unit_of_work import UnitOfWork
from acsa.services.audit import verify_audit
from acsa.services.ledger import verify

#: An account in one book and the account that mirrors it in the partner's book.
MIRRORS = {
    "receivable_cash": "payable_cash",
    "payable_cash": "receivable_cash",
    "receivable_in_kind": "payable_in_kind",
    "payable_in_kind": "receivable_in_kind",
    "support_provided": "support_received",
    "support_received": "support_provided",
    "cash": "cash",
}
#: The audit action of each order event.
EVENT_AUDIT = {"create": "order.place"}


def receipt_document(order_id: int, seq: int) -> str:
    """The document of a receipt's ledger entries (acsa.services.orders.receive)."""
    return f"order {order_id} receipt (event {seq})"


def payment_document(number: str) -> str:
    """The document of a payment's ledger entries (acsa.services.settlement.record_payment)."""
    return f"payment of invoice {number}"


def half_written(engine: Engine) -> list[str]:
    """Every broken invariant of the stored state, as messages; empty when all hold."""
    with engine.connect() as conn:
        return [
            *_orders_and_events(conn),
            *_ledger_and_documents(conn),
            *_invoices_and_payments(conn),
            *_audit_per_change(conn),
            *_mirrors(conn),
            *_verified(engine),
        ]


def _orders_and_events(conn: Any) -> list[str]:
    e = t.order_events
    events: dict[int, list[Any]] = defaultdict(list)
    for row in conn.execute(select(e.c.order_id, e.c.seq, e.c.to_status).order_by(e.c.seq)):
        events[row.order_id].append(row)
    found: list[str] = []
    for order in conn.execute(select(t.orders.c.id, t.orders.c.status, t.orders.c.version)):
        history = events.pop(order.id, [])
        seqs = [ev.seq for ev in history]
        if seqs != list(range(1, len(seqs) + 1)):
            found.append(f"order {order.id}: event seqs {seqs}")
        if order.version != len(history):
            found.append(f"order {order.id}: version {order.version}, {len(history)} events")
        last = history[-1].to_status if history else None
        if order.status != last:
            found.append(f"order {order.id}: status {order.status}, last event says {last}")
    found.extend(f"events of a missing order {oid}" for oid in events)
    return found


def _ledger_and_documents(conn: Any) -> list[str]:
    e, p = t.ledger_entries, t.ledger_postings
    found: list[str] = []
    sums: dict[tuple[int, str], int] = defaultdict(int)
    postings: Counter[int] = Counter()
    for row in conn.execute(select(p.c.entry_id, p.c.currency, p.c.amount_minor)):
        sums[(row.entry_id, row.currency)] += int(row.amount_minor)
        postings[row.entry_id] += 1
    found.extend(
        f"entry {eid} is off by {total} {cur}" for (eid, cur), total in sums.items() if total
    )
    by_document: dict[tuple[str, str], list[Any]] = defaultdict(list)
    for row in conn.execute(select(e.c.id, e.c.kind, e.c.document, e.c.book, e.c.order_id)):
        by_document[(row.kind, row.document)].append(row)
        if postings[row.id] < 2:
            found.append(f"entry {row.id} has {postings[row.id]} postings")
    ev = t.order_events
    receipts = {
        receipt_document(r.order_id, r.seq)
        for r in conn.execute(select(ev.c.order_id, ev.c.seq).where(ev.c.action == "receive"))
    }
    payments: Counter[str] = Counter(
        payment_document(r.number)
        for r in conn.execute(
            select(t.invoices.c.number).join(t.payments, t.payments.c.invoice_id == t.invoices.c.id)
        )
    )
    for document in receipts:
        books = sorted(r.book for r in by_document.pop(("receipt", document), []))
        if len(books) != 2 or books[0] == books[1]:
            found.append(f"{document}: entries in books {books}, want the two parties'")
    for document, count in payments.items():
        entries = by_document.pop(("payment", document), [])
        if len(entries) != 2 * count:
            found.append(f"{document}: {count} payments but {len(entries)} entries")
    c, i = t.corrections, t.invoices
    for row in conn.execute(
        select(c.c.kind, c.c.number, i.c.number.label("invoice")).join(i, i.c.id == c.c.invoice_id)
    ):
        if row.kind == "reversal":
            document = f"reversal of {payment_document(row.invoice)}"
            taken = by_document.get(("reversal", document), [])
            if len(taken) < 2:
                found.append(f"{document}: {len(taken)} entries, want 2 per reversal")
        elif row.kind == "credit":
            document = f"credit note {row.number} of invoice {row.invoice}"
            entries = by_document.pop(("credit_note", document), [])
            if (
                sorted(r.book for r in entries) != sorted({r.book for r in entries})
                or len(entries) != 2
            ):
                found.append(f"{document}: {len(entries)} entries, want the two parties'")
    reverses = {
        r.id: r.reverses
        for r in conn.execute(select(e.c.id, e.c.reverses).where(e.c.kind == "reversal"))
    }
    originals = {r.id for r in conn.execute(select(e.c.id).where(e.c.kind != "reversal"))}
    found.extend(
        f"reversal entry {rid} reverses {target}, which is no entry it may cancel"
        for rid, target in reverses.items()
        if target not in originals
    )
    for (kind, document), rows in by_document.items():
        if kind in ("receipt", "payment", "credit_note"):
            found.append(f"{len(rows)} {kind} entries of {document!r} without their record")
    return found


def _invoices_and_payments(conn: Any) -> list[str]:
    i, p, c = t.invoices, t.payments, t.corrections
    fixes = list(conn.execute(select(c.c.invoice_id, c.c.kind, c.c.payment_id, c.c.amount_minor)))
    reversed_ = {r.payment_id for r in fixes if r.kind == "reversal"}
    void = {r.invoice_id for r in fixes if r.kind == "void"}
    credited: dict[int, int] = defaultdict(int)
    for r in fixes:
        if r.kind == "credit":
            credited[r.invoice_id] += int(r.amount_minor)
    paid: dict[int, int] = defaultdict(int)
    for r in conn.execute(select(p.c.id, p.c.invoice_id, p.c.amount_minor)):
        paid[r.invoice_id] += 0 if r.id in reversed_ else int(r.amount_minor)
    invoiced: dict[int, int] = defaultdict(int)
    found: list[str] = []
    for row in conn.execute(select(i.c.id, i.c.number, i.c.order_id, i.c.amount_minor)):
        billed = 0 if row.id in void else int(row.amount_minor) - credited[row.id]
        if row.id not in void:
            invoiced[row.order_id] += int(row.amount_minor)
        if paid.pop(row.id, 0) > billed:
            found.append(f"invoice {row.number} is paid beyond what it bills")
    found.extend(f"payments of a missing invoice {iid}" for iid, n in paid.items() if n)
    # What each order received, from the supplier's side of its receipt entries.
    e, po = t.ledger_entries, t.ledger_postings
    received = {
        r.order_id: -int(r.total)
        for r in conn.execute(
            select(e.c.order_id, func.sum(po.c.amount_minor).label("total"))
            .join(po, po.c.entry_id == e.c.id)
            .where(e.c.kind == "receipt", po.c.account == "support_provided")
            .group_by(e.c.order_id)
        )
    }
    found.extend(
        f"order {oid} invoiced {total} but received {received.get(oid, 0)}"
        for oid, total in invoiced.items()
        if total > received.get(oid, 0)
    )
    return found


def _audit_per_change(conn: Any) -> list[str]:
    a, ev = t.audit_log, t.order_events
    recorded: Counter[tuple[int, str]] = Counter(
        (r.order_id, r.action)
        for r in conn.execute(select(a.c.order_id, a.c.action).where(a.c.order_id.is_not(None)))
    )
    expected: Counter[tuple[int, str]] = Counter(
        (r.order_id, EVENT_AUDIT.get(r.action, f"order.{r.action}"))
        for r in conn.execute(select(ev.c.order_id, ev.c.action))
    )
    # A conversion to cash is one change, audited as order.convert, with its invoice; every
    # other invoice is audited as issued, and each replacement or exchange as settled.
    expected.update(
        (r.order_id, "invoice.issue" if r.kind != "conversion" else "order.convert")
        for r in conn.execute(select(t.invoices.c.order_id, t.invoices.c.kind))
    )
    expected.update(
        (r.order_id, f"settlement.{r.kind}")
        for r in conn.execute(
            select(t.settlements.c.order_id, t.settlements.c.kind).where(
                t.settlements.c.kind != "conversion"
            )
        )
    )
    expected.update(
        (
            r.order_id,
            {"void": "invoice.void", "reversal": "payment.reverse"}.get(r.kind, "invoice.credit"),
        )
        for r in conn.execute(select(t.corrections.c.order_id, t.corrections.c.kind))
    )
    # A dispute is audited when opened and once more when answered (or withdrawn).
    d = t.disputes.c
    for r in conn.execute(select(d.order_id, d.status)):
        expected[(r.order_id, "order.dispute")] += 1
        if r.status != "open":
            expected[(r.order_id, "dispute.answer")] += 1
    expected.update(
        (r.order_id, "payment.record")
        for r in conn.execute(
            select(t.invoices.c.order_id).join(
                t.payments, t.payments.c.invoice_id == t.invoices.c.id
            )
        )
    )
    return [
        f"order {oid}: {recorded[(oid, action)]} audit records of {action}, "
        f"{expected[(oid, action)]} changes"
        for oid, action in sorted(set(recorded) | set(expected), key=str)
        if recorded[(oid, action)] != expected[(oid, action)]
    ]


def _mirrors(conn: Any) -> list[str]:
    p = t.ledger_postings
    total = func.sum(p.c.amount_minor).label("total")
    query = select(p.c.book, p.c.partner, p.c.account, p.c.currency, total).group_by(
        p.c.book, p.c.partner, p.c.account, p.c.currency
    )
    balances = {
        (r.book, r.partner, r.account, r.currency): int(r.total) for r in conn.execute(query)
    }
    found = []
    for (book, partner, account, currency), amount in balances.items():
        mirror = balances.get((partner, book, MIRRORS[account], currency), 0)
        if amount + mirror:
            found.append(
                f"{book}'s {account} with {partner} is {amount} {currency}; "
                f"{partner}'s {MIRRORS[account]} with {book} is {mirror}"
            )
    return found


def _verified(engine: Engine) -> list[str]:
    books = verify(UnitOfWork(engine, read_only=True))
    chain = verify_audit(UnitOfWork(engine, read_only=True))
    found = [f"ledger verify: {d.model_dump_json()}" for d in books.differences]
    found += [f"unbalanced book: {u.model_dump_json()}" for u in books.unbalanced]
    found += [f"money breach: {b.model_dump_json()}" for b in books.breaches]
    found += [f"audit verify: record {p.seq}: {p.reason}" for p in chain.problems]
    return found
