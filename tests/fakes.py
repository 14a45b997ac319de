"""An in-memory unit of work implementing the services' port (acsa.services.ports).

Real small repositories over Python containers, not mocks: orders keep their lines and history,
accounts are built from the receipts, invoices, payments and settlements stored, balances come
from the postings. A transaction works on a copy of the committed tables (copy on begin), so
leaving the ``with`` block without ``commit()`` leaves nothing written, as on a database.
Nothing here imports SQLAlchemy.
"""

from __future__ import annotations

import copy
import dataclasses
import uuid
from collections import defaultdict
from collections.abc import Collection, Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from decimal import Decimal
from pathlib import Path
from types import SimpleNamespace, TracebackType
from typing import Any, Self

from acsa.domain.access import Principal
from acsa.domain.account import (
    ENTRY_KIND,
    AccountHead,
    Correction,
    Decision,
    EqualValueExchange,
    InKind,
    Invoice,
    OrderAccount,
    Payment,
    Replacement,
    Terms,
    Tranche,
    account_of,
)
from acsa.domain.agreement import Agreement, AgreementVersion
from acsa.domain.agreement_records import Record, with_records
from acsa.domain.approvals import Approval
from acsa.domain.audit import AuditRecord
from acsa.domain.ceilings import COUNTED_STATUSES, Acquired, acquired
from acsa.domain.designations import Designation
from acsa.domain.documents import Document, Draft, Head, Kind, draft, issuing_nation
from acsa.domain.errors import AcsaError, Code
from acsa.domain.fiscal import FiscalYear
from acsa.domain.fx import MemoryRateTable, Rate
from acsa.domain.ledger import Account, Entry, EntryKind
from acsa.domain.money import Money
from acsa.domain.order import Action, Event, Order
from acsa.domain.order_search import (
    STATUS_RANK,
    OrderPage,
    OrderQuery,
    order_words,
    search_text,
)
from acsa.domain.rate_rules import MemoryOfficialRates, OfficialRate
from acsa.domain.sign_in import CountedBy, Failures
from acsa.services import ports
from acsa.services.ports import (
    InvoiceRef,
    OrderGuard,
    StoredInvoice,
    StoredSettlement,
    TermsOf,
)

RECEIVABLES = (Account.RECEIVABLE_CASH.value, Account.RECEIVABLE_IN_KIND.value)


@dataclass(frozen=True, slots=True)
class Node:
    """This installation as a node (what the services read of it)."""

    nation: str
    public_key: str = ""
    fingerprint: str = "fake"
    key_file: Path = Path()


@dataclass(frozen=True, slots=True)
class PartnerRecord:
    """A partner's node as registered (the fields of the database adapter's Partner)."""

    nation: str
    url: str
    public_key: str
    fingerprint: str
    added_at: datetime
    updated_at: datetime


@dataclass
class Tables:
    """Everything stored. Records are immutable (or copied on the way in and out), so a
    transaction's copy is a copy of the containers."""

    agreements: dict[str, Agreement] = field(default_factory=dict)
    agreement_records: dict[str, list[tuple[Record, datetime, str]]] = field(
        default_factory=lambda: defaultdict(list)
    )
    orders: dict[int, Order] = field(default_factory=dict)
    notes: list[ports.Note] = field(default_factory=list)
    entries: list[Entry] = field(default_factory=list)
    invoices: dict[int, tuple[Invoice, int, str, str, str]] = field(default_factory=dict)
    payments: dict[int, tuple[int, Payment]] = field(default_factory=dict)
    settlements: dict[int, tuple[int, str, InKind]] = field(default_factory=dict)
    #: Corrections by id: (invoice id, the correction).
    corrections: dict[int, tuple[int, Correction]] = field(default_factory=dict)
    counters: dict[str, int] = field(default_factory=dict)
    settings: dict[str, str] = field(default_factory=dict)
    audit: list[AuditRecord] = field(default_factory=list)
    documents: list[Draft] = field(default_factory=list)
    users: dict[int, dict[str, Any]] = field(default_factory=dict)
    designations: dict[int, Designation] = field(default_factory=dict)
    approvals: dict[int, Approval] = field(default_factory=dict)
    tokens: dict[int, dict[str, Any]] = field(default_factory=dict)
    sessions: dict[str, dict[str, Any]] = field(default_factory=dict)
    failures: dict[tuple[str, str], Failures] = field(default_factory=dict)
    partners: dict[str, Any] = field(default_factory=dict)
    outbox: dict[int, dict[str, Any]] = field(default_factory=dict)
    ids: dict[str, int] = field(default_factory=lambda: defaultdict(int))

    def next_id(self, table: str) -> int:
        self.ids[table] += 1
        return self.ids[table]

    def copy(self) -> Tables:
        copied = Tables()
        for f in dataclasses.fields(self):
            value = getattr(self, f.name)
            if f.name == "agreement_records":
                value = defaultdict(list, {k: list(v) for k, v in value.items()})
            elif f.name == "ids":
                value = defaultdict(int, value)
            elif f.name in ("users", "tokens", "sessions", "outbox"):
                value = {k: dict(v) for k, v in value.items()}
            else:
                value = copy.copy(value)
            setattr(copied, f.name, value)
        return copied


# --- repositories -----------------------------------------------------------------------------


class FakeAgreements:
    def __init__(self, tables: Tables) -> None:
        self.t = tables

    def get(self, agreement_id: str) -> Agreement | None:
        found = self.t.agreements.get(agreement_id)
        if found is None:
            return None
        return with_records(found, [r for r, _, _ in self.t.agreement_records[agreement_id]])

    def find(self, party: str | None = None) -> list[Agreement]:
        found = [self.get(i) for i in sorted(self.t.agreements)]
        return [a for a in found if a is not None and (party is None or party in a.parties)]

    def add(self, agreement: Agreement, now: datetime) -> None:
        self.t.agreements[agreement.id] = agreement

    def add_version(self, agreement_id: str, version: AgreementVersion, now: datetime) -> None:
        current = self.t.agreements[agreement_id]
        versions = (*current.versions, version)
        self.t.agreements[agreement_id] = dataclasses.replace(current, versions=versions)

    def replace_version(self, agreement_id: str, version: AgreementVersion, now: datetime) -> None:
        current = self.t.agreements[agreement_id]
        versions = tuple(version if v.version == version.version else v for v in current.versions)
        self.t.agreements[agreement_id] = dataclasses.replace(current, versions=versions)

    def add_record(self, agreement_id: str, record: Record, now: datetime, actor: str) -> int:
        self.t.agreement_records[agreement_id].append((record, now, actor))
        return len(self.t.agreement_records[agreement_id])

    def version_bodies(self, agreement_id: str) -> dict[int, Any]:
        from acsa.schemas.orders import version_to_doc

        current = self.t.agreements[agreement_id]
        return {v.version: version_to_doc(v).model_dump(mode="json") for v in current.versions}


def _sort_key(query: OrderQuery) -> Any:
    def key(order: Order) -> tuple[Any, int]:
        assert order.id is not None
        column: Any = {
            "id": order.id,
            "date": order.order_date,
            "status": STATUS_RANK[order.status.value],
            "total": order.total.amount,
        }[query.sort]
        return column, order.id

    return key


class FakeOrders:
    """Orders stored as copies: what a service changes is stored only by add/update."""

    def __init__(self, tables: Tables) -> None:
        self.t = tables

    def add(self, order: Order, now: datetime) -> int:
        if order.uid is None:
            order.uid = str(uuid.uuid4())
        order.id = self.t.next_id("orders")
        order.version = len(order.new_events)
        order.history.extend(order.new_events)
        order.new_events.clear()
        self.t.orders[order.id] = copy.deepcopy(order)
        return order.id

    def update(self, order: Order, now: datetime) -> None:
        assert order.id is not None
        stored = self.t.orders.get(order.id)
        if stored is None or stored.version != order.version:
            raise AcsaError.single(
                Code.CONCURRENT_UPDATE,
                "version",
                f"order {order.id} was changed by someone else; load it again and retry",
            )
        history = [*stored.history, *order.new_events]
        order.version += len(order.new_events)
        order.history.extend(order.new_events)
        order.new_events.clear()
        kept = copy.deepcopy(order)
        kept.history = copy.deepcopy(history)
        self.t.orders[order.id] = kept

    def replace_draft(self, order: Order, now: datetime) -> None:
        self.update(order, now)  # the whole order is kept, its terms and lines with it

    def get(self, order_id: int, with_history: bool = True) -> Order | None:
        stored = self.t.orders.get(order_id)
        if stored is None:
            return None
        order = copy.deepcopy(stored)
        if not with_history:
            order.history = []
        return order

    def id_of(self, uid: str) -> int | None:
        return next((i for i, o in self.t.orders.items() if o.uid == uid), None)

    def add_note(self, note: ports.Note) -> None:
        self.t.notes.append(note)

    def notes(self, order_id: int) -> list[ports.Note]:
        return [n for n in self.t.notes if n.order_id == order_id]

    def find(
        self,
        status: str | None = None,
        agreement: str | None = None,
        limit: int | None = None,
        offset: int = 0,
        with_history: bool = True,
        party: str | None = None,
        partner: str | None = None,
        since: date | None = None,
        until: date | None = None,
    ) -> list[Order]:
        query = OrderQuery(
            status=status,
            agreement=agreement,
            party=party,
            partner=partner,
            since=since,
            until=until,
            limit=limit,
            offset=offset,
        )
        return self.matching(query, with_history)

    def _matches(self, order: Order, query: OrderQuery) -> bool:
        parties = (order.requester, order.supplier)
        checks = [
            query.status is None or order.status.value == query.status,
            query.agreement is None or order.agreement_id == query.agreement,
            query.party is None or query.party in parties,
            query.partner is None or query.partner in parties,
            query.since is None or order.order_date >= query.since,
            query.until is None or order.order_date <= query.until,
        ]
        if query.q:
            by_number = query.number is not None and order.id == query.number
            words = query.words and query.words in search_text(order_words(order))
            checks.append(bool(by_number or words))
        return all(checks)

    def matching(self, query: OrderQuery, with_history: bool = True) -> list[Order]:
        found = [o for o in self.t.orders.values() if self._matches(o, query)]
        found.sort(key=_sort_key(query), reverse=query.direction == "desc")
        end = None if query.limit is None else query.offset + query.limit
        page = found[query.offset : end]
        return [o for o in (self.get(p.id or 0, with_history) for p in page) if o is not None]

    def search(self, query: OrderQuery, with_history: bool = False) -> OrderPage:
        total = sum(1 for o in self.t.orders.values() if self._matches(o, query))
        return OrderPage(self.matching(query, with_history), total)

    def last_events(self, ids: Sequence[int], actions: Collection[Action]) -> dict[int, Event]:
        found: dict[int, Event] = {}
        for order_id in ids:
            stored = self.t.orders.get(order_id)
            events = [e for e in stored.history if e.action in actions] if stored else []
            if events:
                found[order_id] = events[-1]
        return found

    def by_ids(self, ids: Sequence[int]) -> list[Order]:
        found = (self.get(i, with_history=False) for i in sorted(set(ids)))
        return [o for o in found if o is not None]

    def accepted_values(
        self, agreement_id: str, party: str, year: FiscalYear, exclude: int | None = None
    ) -> tuple[Acquired, ...]:
        found: list[Acquired] = []
        for order in sorted(self.t.orders.values(), key=lambda o: o.id or 0):
            if (
                order.agreement_id != agreement_id
                or order.requester != party
                or not year.start <= order.order_date <= year.end
                or order.status not in COUNTED_STATUSES
                or order.id == exclude
            ):
                continue
            by_currency: dict[str, list[tuple[str, Decimal, Decimal]]] = defaultdict(list)
            for line in order.lines:
                quantity = line.quantity_accepted or line.quantity
                by_currency[line.currency].append((line.category, quantity, line.unit_price))
            found.extend(acquired(order.order_date, c, ls) for c, ls in by_currency.items())
        return tuple(found)


class FakeLedger:
    def __init__(self, tables: Tables) -> None:
        self.t = tables
        self.written: list[int] = []

    def add(self, entries: Sequence[Entry]) -> list[Entry]:
        stored = []
        for entry in entries:
            kept = dataclasses.replace(entry, id=self.t.next_id("entries"))
            self.t.entries.append(kept)
            self.written.append(kept.id or 0)
            stored.append(kept)
        return stored

    def balances_from_postings(
        self, book: str | None = None, partner: str | None = None, as_of: date | None = None
    ) -> list[tuple[str, str, Account, Money]]:
        sums: dict[tuple[str, str, Account, str], Decimal] = defaultdict(Decimal)
        for e in self.t.entries:
            if (book and e.book != book) or (partner and e.partner != partner):
                continue
            if as_of is not None and e.effective > as_of:
                continue
            for p in e.postings:
                sums[(e.book, e.partner, p.account, p.amount.currency)] += p.amount.amount
        return [(b, pt, a, Money(m, c)) for (b, pt, a, c), m in sorted(sums.items())]

    def running_balances(
        self, book: str | None = None, partner: str | None = None
    ) -> list[tuple[str, str, Account, Money]]:
        return self.balances_from_postings(book, partner)

    def standing_entries(
        self, order_id: int, kind: str, document: str, at: datetime, actor: str
    ) -> dict[str, int]:
        taken = {e.reverses for e in self.t.entries if e.reverses is not None}
        found: dict[str, int] = {}
        for e in sorted(self.t.entries, key=lambda e: e.id or 0):
            if (
                e.order_id == order_id
                and e.kind.value == kind
                and e.document == document
                and e.at == at
                and e.actor == actor
                and e.id not in taken
            ):
                found.setdefault(e.book, e.id or 0)
        return found


class FakeInvoices:
    def __init__(self, tables: Tables) -> None:
        self.t = tables

    def locate(self, number: str | None = None, invoice_id: int | None = None) -> InvoiceRef | None:
        found = self.find(number=number, invoice_id=invoice_id)
        if not found:
            return None
        stored = found[0]
        return InvoiceRef(stored.id, stored.invoice.number, stored.order_id, stored.currency)

    def locate_payment(self, payment_id: int) -> InvoiceRef | None:
        if payment_id not in self.t.payments:
            return None
        invoice_id, _payment = self.t.payments[payment_id]
        return self.locate(invoice_id=invoice_id)

    def find(
        self,
        number: str | None = None,
        invoice_id: int | None = None,
        order_id: int | None = None,
        party: str | None = None,
    ) -> list[StoredInvoice]:
        found = []
        for i, (invoice, owner, issuer, debtor, currency) in sorted(self.t.invoices.items()):
            if (
                (number is not None and invoice.number != number)
                or (invoice_id is not None and i != invoice_id)
                or (order_id is not None and owner != order_id)
                or (party is not None and party not in (issuer, debtor))
            ):
                continue
            paid = tuple(p for _, (of, p) in sorted(self.t.payments.items()) if of == i)
            fixes = _corrections_of(self.t, i)
            with_paid = dataclasses.replace(invoice, payments=paid, corrections=fixes)
            found.append(StoredInvoice(with_paid, owner, issuer, debtor, currency))
        return found


def _corrections_of(t: Tables, invoice_id: int) -> tuple[Correction, ...]:
    """The corrections of invoice ``invoice_id`` in the order recorded."""
    return tuple(c for _, (of, c) in sorted(t.corrections.items()) if of == invoice_id)


def _settlement_record(
    settlement_id: int, order_id: int, currency: str, record: InKind
) -> StoredSettlement:
    lines: tuple[dict[str, Any], ...] = ()
    agreed_by, note = "", record.note if not isinstance(record, EqualValueExchange) else ""
    if isinstance(record, Replacement):
        lines, agreed_by = tuple(x.as_record() for x in record.lines), record.actor
    elif isinstance(record, EqualValueExchange):
        lines = tuple(x.as_record() for x in record.lines)
        agreed_by, note = record.agreed_by, record.valuation_note
    assert record.at is not None
    return StoredSettlement(
        id=settlement_id,
        order_id=order_id,
        kind=ENTRY_KIND[type(record)].value,
        value=record.value,
        currency=currency,
        effective=record.day,
        agreed_by=agreed_by,
        note=note,
        at=record.at,
        actor=record.actor,
        lines=lines,
    )


class FakeSettlements:
    def __init__(self, tables: Tables) -> None:
        self.t = tables

    def of_order(self, order_id: int) -> list[StoredSettlement]:
        return [
            _settlement_record(i, owner, currency, record)
            for i, (owner, currency, record) in sorted(self.t.settlements.items())
            if owner == order_id
        ]


class FakeOrderAccounts:
    """Accounts built from what is stored, as the database's are (account_of)."""

    def __init__(self, tables: Tables) -> None:
        self.t = tables

    def load(self, order: Order, terms: Terms) -> OrderAccount:
        assert order.id is not None
        return self._build(AccountHead.of(order), terms, None, order.lines)

    def load_ids(
        self,
        ids: Sequence[int],
        terms_of: TermsOf,
        as_of: date | None = None,
        with_lines: bool = False,
    ) -> list[OrderAccount]:
        orders = [self.t.orders[i] for i in sorted(set(ids)) if i in self.t.orders]
        return [self._of(o, terms_of, as_of, with_lines) for o in orders]

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
        found = []
        for _, order in sorted(self.t.orders.items()):
            parties = (order.requester, order.supplier)
            if order.status.value not in statuses or any(
                p and p not in parties for p in (nation, partner)
            ):
                continue
            account = self._of(order, terms_of, as_of, with_lines)
            if account.receipts or not with_receipts_only:
                found.append(account)
        return found

    def _of(self, order: Order, terms_of: TermsOf, as_of: date | None, lines: bool) -> OrderAccount:
        head = AccountHead.of(order)
        return self._build(head, terms_of(head), as_of, order.lines if lines else ())

    def _build(
        self, head: AccountHead, terms: Terms, as_of: date | None, lines: Iterable[Any]
    ) -> OrderAccount:
        n = head.order
        receipts = [
            Tranche(e.effective, p.amount.amount, e.document, e.at)
            for e in sorted(self.t.entries, key=lambda e: (e.effective, e.id or 0))
            if e.order_id == n
            and e.kind is EntryKind.RECEIPT
            and (as_of is None or e.effective <= as_of)
            for p in e.postings
            if p.account.value in RECEIVABLES
        ]
        invoices = [
            inv
            for _, (inv, owner, *_rest) in sorted(self.t.invoices.items())
            if owner == n and (as_of is None or inv.issued <= as_of)
        ]
        numbers = {inv.id: inv.number for inv in invoices}
        payments: dict[str, list[Payment]] = defaultdict(list)
        for _, (invoice_id, payment) in sorted(self.t.payments.items()):
            if invoice_id in numbers and (as_of is None or payment.paid <= as_of):
                payments[numbers[invoice_id]].append(payment)
        in_kind = [
            record
            for _, (owner, _c, record) in sorted(self.t.settlements.items())
            if owner == n and (as_of is None or record.day <= as_of)
        ]
        fixes = {
            numbers[of]: [c for c in _corrections_of(self.t, of) if as_of is None or c.day <= as_of]
            for of in numbers
            if of is not None
        }
        return account_of(head, terms, receipts, invoices, payments, in_kind, lines, fixes)

    def store(self, account: OrderAccount, decision: Decision) -> list[int]:
        head = account.head
        ids: list[int] = []
        numbers = {inv.number: inv.id for inv in account.invoices}
        for record in decision.records:
            if isinstance(record, Correction):
                invoice_id = numbers[record.invoice]
                assert invoice_id is not None, "a corrected invoice is stored"
                new_id = self.t.next_id("corrections")
                self.t.corrections[new_id] = (invoice_id, dataclasses.replace(record, id=new_id))
            elif isinstance(record, Invoice):
                new_id = self.t.next_id("invoices")
                kept = dataclasses.replace(record, id=new_id, payments=())
                self.t.invoices[new_id] = (
                    kept,
                    head.order,
                    head.supplier,
                    head.requester,
                    head.currency,
                )
                numbers[record.number] = new_id
            elif isinstance(record, Payment):
                invoice_id = numbers[record.invoice]
                assert invoice_id is not None, "a payment's invoice is stored"
                new_id = self.t.next_id("payments")
                self.t.payments[new_id] = (invoice_id, dataclasses.replace(record, id=new_id))
            else:
                new_id = self.t.next_id("settlements")
                kept_record: InKind = dataclasses.replace(record, id=new_id)
                if not isinstance(kept_record, Replacement | EqualValueExchange):
                    kept_record = dataclasses.replace(kept_record, deadline=None)
                self.t.settlements[new_id] = (head.order, head.currency, kept_record)
            ids.append(new_id)
        return ids


class FakeCounters:
    def __init__(self, tables: Tables) -> None:
        self.t = tables

    def next(self, name: str) -> int:
        self.t.counters[name] = self.t.counters.get(name, 0) + 1
        return self.t.counters[name]


class FakeSettings:
    def __init__(self, tables: Tables) -> None:
        self.t = tables

    def get(self, key: str) -> str | None:
        return self.t.settings.get(key)

    def set(self, key: str, value: str) -> None:
        self.t.settings[key] = value


class FakeAudit:
    def __init__(self, tables: Tables) -> None:
        self.t = tables

    def records(
        self,
        order_id: int | None = None,
        party: str | None = None,
        limit: int | None = None,
        offset: int = 0,
        newest_first: bool = False,
    ) -> Iterator[AuditRecord]:
        found = [
            r
            for r in self.t.audit
            if (order_id is None or r.order_id == order_id)
            and (party is None or r.nation == party or _order_party(self.t, r.order_id, party))
        ]
        if newest_first:
            found.reverse()
        end = None if limit is None else offset + limit
        return iter(found[offset:end])

    def agreement_versions_added_by_users(self) -> dict[str, frozenset[int] | None]:
        return {
            r.subject.removeprefix("agreement:"): None
            for r in self.t.audit
            if r.action == "agreement.add"
        }

    def latest_after(self, order_id: int | None = None, subject: str | None = None) -> Any:
        for r in reversed(self.t.audit):
            if (order_id is None or r.order_id == order_id) and (
                subject is None or r.subject == subject
            ):
                return r.after
        return None

    def head(self) -> tuple[int, str] | None:
        return (self.t.audit[-1].seq, self.t.audit[-1].hash) if self.t.audit else None

    def ledger_entry_count(self, book: str | None = None) -> int:
        return sum(1 for e in self.t.entries if book is None or e.book == book)


def _order_party(tables: Tables, order_id: int | None, party: str) -> bool:
    order = tables.orders.get(order_id or 0)
    return order is not None and party in (order.requester, order.supplier)


def _row(values: dict[str, Any]) -> SimpleNamespace:
    return SimpleNamespace(**values)


class FakeDesignations:
    """Designated officials, by id."""

    def __init__(self, tables: Tables) -> None:
        self.t = tables

    def of_nation(self, nation: str, user: str | None = None) -> list[Designation]:
        return [
            d
            for _, d in sorted(self.t.designations.items())
            if d.nation == nation and (user is None or d.user == user)
        ]

    def get(self, designation_id: int) -> Designation | None:
        return self.t.designations.get(designation_id)

    def add(self, made: Designation, user_id: int, at: datetime, actor: str) -> int:
        found = self.t.next_id("designations")
        self.t.designations[found] = dataclasses.replace(made, id=found, at=at, actor=actor)
        return found

    def end(self, designation_id: int, on: date, reason: str, at: datetime, actor: str) -> None:
        self.t.designations[designation_id] = dataclasses.replace(
            self.t.designations[designation_id],
            ended_on=on,
            ended_reason=reason,
            ended_at=at,
            ended_by=actor,
        )


class FakeApprovals:
    """Approvals and returns of drafts, by id (cleared ones kept)."""

    def __init__(self, tables: Tables) -> None:
        self.t = tables

    def of_orders(self, order_ids: Sequence[int], active: bool = True) -> list[Approval]:
        wanted = set(order_ids)
        return [
            a
            for _, a in sorted(self.t.approvals.items())
            if a.order_id in wanted and (not active or a.cleared_at is None)
        ]

    def add(self, made: Approval) -> int:
        found = self.t.next_id("order_approvals")
        self.t.approvals[found] = dataclasses.replace(made, id=found)
        return found

    def clear(self, order_id: int, at: datetime) -> int:
        cleared = [
            key
            for key, a in self.t.approvals.items()
            if a.order_id == order_id and a.cleared_at is None
        ]
        for key in cleared:
            self.t.approvals[key] = dataclasses.replace(self.t.approvals[key], cleared_at=at)
        return len(cleared)


class FakeUsers:
    """People, tokens, sessions and the sign-in throttle, as rows read by attribute."""

    def __init__(self, tables: Tables) -> None:
        self.t = tables

    def user(self, name: str) -> Any:
        return next((_row(u) for u in self.t.users.values() if u["name"] == name), None)

    def user_by_id(self, user_id: int) -> Any:
        found = self.t.users.get(user_id)
        return None if found is None else _row(found)

    def users(self, nation: str | None = None) -> list[Any]:
        found = [u for u in self.t.users.values() if nation is None or u["nation"] == nation]
        return [_row(u) for u in sorted(found, key=lambda u: u["name"])]

    def add_user(self, values: dict[str, Any]) -> int:
        user_id = self.t.next_id("users")
        self.t.users[user_id] = {**values, "id": user_id}
        return user_id

    def update_user(self, user_id: int, values: dict[str, Any]) -> None:
        self.t.users[user_id] = {**self.t.users[user_id], **values}

    def add_token(self, values: dict[str, Any]) -> int:
        token_id = self.t.next_id("tokens")
        self.t.tokens[token_id] = {"revoked_at": None, **values, "id": token_id}
        return token_id

    def tokens(self, user_id: int | None = None) -> list[Any]:
        return [
            _row({**v, "user_name": self.t.users[v["user_id"]]["name"]})
            for _, v in sorted(self.t.tokens.items())
            if user_id is None or v["user_id"] == user_id
        ]

    def token(self, token_id: int) -> Any:
        found = self.t.tokens.get(token_id)
        return None if found is None else _row(found)

    def revoke_token(self, token_id: int, at: datetime) -> None:
        self.t.tokens[token_id]["revoked_at"] = at

    def revoke_tokens(self, user_id: int, at: datetime) -> list[int]:
        live = [
            i
            for i, v in sorted(self.t.tokens.items())
            if v["user_id"] == user_id and v["revoked_at"] is None
        ]
        for i in live:
            self.t.tokens[i]["revoked_at"] = at
        return live

    def user_for_token(self, token_hash: str) -> Any:
        for v in self.t.tokens.values():
            if v.get("token_hash") == token_hash and v["revoked_at"] is None:
                return _row({**self.t.users[v["user_id"]], **v})
        return None

    def add_session(self, values: dict[str, Any]) -> None:
        self.t.sessions[values["token_hash"]] = dict(values)

    def session(self, token_hash: str) -> Any:
        found = self.t.sessions.get(token_hash)
        if found is None:
            return None
        user = self.t.users[found["user_id"]]
        return _row(
            {**user, "csrf": found.get("csrf"), "session_expires_at": found.get("expires_at")}
        )

    def end_session(self, token_hash: str) -> None:
        self.t.sessions.pop(token_hash, None)

    def end_sessions(self, user_id: int) -> int:
        ended = [k for k, v in self.t.sessions.items() if v["user_id"] == user_id]
        for k in ended:
            del self.t.sessions[k]
        return len(ended)

    def lock_sign_in(self) -> None:
        """One process, one transaction at a time: nothing to hold."""

    def failures(self, kind: CountedBy, key: str) -> Failures | None:
        return self.t.failures.get((kind.value, key))

    def put_failures(self, kind: CountedBy, key: str, failures: Failures | None) -> None:
        if failures is None:
            self.t.failures.pop((kind.value, key), None)
        else:
            self.t.failures[(kind.value, key)] = failures

    def forget_failures(self, before: datetime) -> None:
        for k, f in list(self.t.failures.items()):
            if f.locked_at is None and f.last_at < before:
                del self.t.failures[k]

    def locked(self) -> list[Failures]:
        found = [f for f in self.t.failures.values() if f.locked_at is not None]
        return sorted(found, key=lambda f: (f.locked_at or datetime.min.replace(tzinfo=UTC), f.key))


class FakePartners:
    def __init__(self, tables: Tables) -> None:
        self.t = tables

    def get(self, nation: str) -> Any:
        return self.t.partners.get(nation)

    def all(self) -> list[Any]:
        return [self.t.partners[n] for n in sorted(self.t.partners)]

    def put(self, nation: str, url: str, public_key: str, fingerprint: str, now: datetime) -> None:
        before = self.t.partners.get(nation)
        added = before.added_at if before is not None else now
        self.t.partners[nation] = PartnerRecord(nation, url, public_key, fingerprint, added, now)


class FakeDocuments:
    """The documents published (unsigned here: signing is the database adapter's)."""

    def __init__(self, tables: Tables) -> None:
        self.t = tables

    def head(self, order_uid: str) -> Head | None:
        seq = sum(1 for d in self.t.documents if d.order_uid == order_uid)
        return Head(seq, f"fake-{order_uid}-{seq}") if seq else None

    def get(self, document_id: str) -> Any:
        return None

    def add(self, document: Document, origin: str, now: datetime) -> None:
        self.t.documents.append(
            Draft(
                document.kind,
                document.order,
                document.issuer,
                document.recipient,
                document.actor,
                document.at,
                dict(document.body),
            )
        )

    def with_partner(self, nation: str, partner: str) -> list[Any]:
        return [
            _row(dataclasses.asdict(d))
            for d in self.t.documents
            if {d.issuer, d.recipient} == {nation, partner}
        ]

    def received_counts(self, nation: str) -> list[Any]:
        counts: dict[str, int] = defaultdict(int)
        for d in self.t.documents:
            if d.recipient == nation:
                counts[d.issuer] += 1
        return [_row({"issuer": k, "count": v}) for k, v in sorted(counts.items())]


class FakeOutbox:
    def __init__(self, tables: Tables) -> None:
        self.t = tables

    def _pending(self, partner: str | None = None) -> list[dict[str, Any]]:
        return [
            v
            for _, v in sorted(self.t.outbox.items())
            if v["status"] == "pending" and partner in (None, v["partner"])
        ]

    def next_pending(self, partner: str) -> Any:
        found = self._pending(partner)
        return _row(found[0]) if found else None

    def held_counts(self) -> dict[str, int]:
        counts: dict[str, int] = defaultdict(int)
        for v in self.t.outbox.values():
            if v["status"] == "held":
                counts[v["partner"]] += 1
        return dict(counts)

    def find(self, document_id: str) -> list[Any]:
        return [_row(v) for v in self.t.outbox.values() if v["document_id"] == document_id]

    def mark(self, outbox_id: int, **values: Any) -> None:
        self.t.outbox[outbox_id].update(values)

    def partners_with_pending(self) -> list[str]:
        return sorted({v["partner"] for v in self._pending()})

    def counts(self) -> dict[tuple[str, str], int]:
        counts: dict[tuple[str, str], int] = defaultdict(int)
        for v in self.t.outbox.values():
            counts[(v["partner"], v["status"])] += 1
        return dict(counts)

    def oldest_pending(self) -> dict[str, Any]:
        return {p: self.next_pending(p) for p in self.partners_with_pending()}

    def entries(
        self, partner: str | None = None, statuses: Sequence[str] = (), limit: int = 50
    ) -> list[Any]:
        found = [
            v
            for _, v in sorted(self.t.outbox.items(), reverse=True)
            if partner in (None, v["partner"]) and (not statuses or v["status"] in statuses)
        ]
        return [_row(v) for v in found[:limit]]


class FakeLocks:
    def hold_ceiling(self, agreement_id: str, party: str) -> None:
        """One transaction at a time in memory: nothing to hold."""


# --- the unit of work -------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class _Pending:
    actor: str
    nation: str | None
    action: str
    subject: str
    order_id: int | None
    before: Any
    after: Any


class FakeUnitOfWork:
    """``with uow: ...; uow.commit()`` on in-memory tables. Entering copies the committed
    tables; commit() makes the copy the committed state (with the audit records and documents
    noted); leaving without commit drops the copy. ``guard`` and ``node`` behave as the
    database unit of work's (see acsa.adapters.db.unit_of_work)."""

    def __init__(
        self,
        tables: Tables | None = None,
        principal: Principal | None = None,
        guard: OrderGuard | None = None,
        node: Node | None = None,
        rates: Iterable[Rate] = (),
        official_rates: Iterable[OfficialRate] = (),
    ) -> None:
        self.committed = tables if tables is not None else Tables()
        self.principal = principal
        self.guard = guard
        self.incoming: Document | None = None
        self._node = node
        self.daily_rates = MemoryRateTable(rates)
        self.official_rates = MemoryOfficialRates(official_rates)
        self.locks = FakeLocks()
        self.commits = 0
        self._depth = 0
        self._pending: list[_Pending] = []
        self._drafts: list[Draft] = []
        self._bind(self.committed)

    def _bind(self, tables: Tables) -> None:
        self.tables = tables
        self.agreements = FakeAgreements(tables)
        self.orders = FakeOrders(tables)
        self.order_accounts = FakeOrderAccounts(tables)
        self.settings = FakeSettings(tables)
        self.ledger = FakeLedger(tables)
        self.invoices = FakeInvoices(tables)
        self.settlements = FakeSettlements(tables)
        self.counters = FakeCounters(tables)
        self.audit = FakeAudit(tables)
        self.accounts = FakeUsers(tables)
        self.designations = FakeDesignations(tables)
        self.approvals = FakeApprovals(tables)
        self.partners = FakePartners(tables)
        self.documents = FakeDocuments(tables)
        self.outbox = FakeOutbox(tables)

    # --- the transaction ---------------------------------------------------------------------

    def __enter__(self) -> Self:
        self._depth += 1
        if self._depth == 1:
            self._begin()
        return self

    def _begin(self) -> None:
        self._bind(self.committed.copy())
        self._pending = []
        self._drafts = []

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self._depth -= 1
        if self._depth == 0:
            self.close()

    def commit(self) -> None:
        if self.ledger.written and not self._pending:
            raise RuntimeError("ledger entries written without an audit record of the change")
        now = datetime.now(UTC)
        for pending in self._pending:
            self._append_record(pending, now)
        self.tables.documents.extend(self._drafts)
        self.committed = self.tables
        self.commits += 1
        self._begin()

    def _append_record(self, p: _Pending, now: datetime) -> None:
        audit = self.tables.audit
        seq = len(audit) + 1
        prev = audit[-1].hash if audit else "0" * 64
        entries = {"count": len(self.ledger.written)} if self.ledger.written else None
        audit.append(
            AuditRecord(
                seq,
                now,
                p.actor,
                p.nation,
                p.action,
                p.subject,
                p.order_id,
                p.before,
                p.after,
                entries,
                prev,
                f"fake-{seq}",
            )
        )
        self.ledger.written = []

    def rollback(self) -> None:
        self._begin()

    def close(self) -> None:
        self._depth = 0
        self._pending = []
        self._drafts = []
        self._bind(self.committed)

    def finish(self) -> None:
        self.close()

    # --- what services note ------------------------------------------------------------------

    def check(self, order: Order) -> Order:
        if self.guard is not None:
            self.guard(order)
        return order

    def record(
        self,
        action: str,
        subject: str,
        actor: str,
        before: Any = None,
        after: Any = None,
        order_id: int | None = None,
    ) -> None:
        nation = self.principal.nation if self.principal else None
        self._pending.append(_Pending(actor, nation, action, subject, order_id, before, after))

    def publish(
        self, order: Order, kind: Kind, body: dict[str, Any], actor: str, at: datetime
    ) -> None:
        """Keep the document a change publishes; as on a node, one the partner's node must
        record is NOT_THIS_NODE when this fake is a node."""
        node = self._node
        if node is not None:
            # What a node issues (and refuses) is the domain's rule, as on the database.
            made = draft(node.nation, self.incoming, order, kind, dict(body), actor, at)
            if made is not None:
                self._drafts.append(made)
            return
        # Not a node: kept anyway, as issued by the side that issues it, for tests to read.
        issuer = issuing_nation(kind, order.requester, order.supplier) or order.requester
        assert order.uid is not None
        recipient = order.supplier if issuer == order.requester else order.requester
        self._drafts.append(Draft(kind, order.uid, issuer, recipient, actor, at, dict(body)))

    @property
    def published(self) -> bool:
        return bool(self._drafts)

    @property
    def node(self) -> Node | None:
        return self._node

    # --- for tests ---------------------------------------------------------------------------

    def snapshot(self) -> dict[str, Any]:
        """The committed tables as comparable values: a refusal must leave them equal."""
        t = self.committed
        return {
            "orders": {i: (o.status, o.version, len(o.history)) for i, o in t.orders.items()},
            "entries": len(t.entries),
            "invoices": len(t.invoices),
            "payments": len(t.payments),
            "settlements": len(t.settlements),
            "counters": dict(t.counters),
            "audit": len(t.audit),
            "documents": len(t.documents),
            "ids": dict(t.ids),
        }


def _implements_the_port(uow: FakeUnitOfWork) -> ports.UnitOfWork:
    """mypy checks here that the fake is a unit of work as the services know it."""
    return uow
