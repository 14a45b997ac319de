"""The port the services depend on: an abstract unit of work and its repositories.

Services are written against these Protocols, never against SQLAlchemy. The unit of work in
``acsa.adapters.db.unit_of_work`` implements them on a database; ``tests/fakes.py`` implements
them in memory, so the services' tests run without one. Each Protocol holds exactly what the
services call; a repository's other methods are the adapter's own business.

:class:`SqlUnitOfWork` adds the open connection, for the services that still read the
database through SQL of their own (the audit's row digests, the books' queries, the history
import's bulk writer, the rate import): what needs it is named by its type.
"""

from __future__ import annotations

from collections.abc import Callable, Collection, Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime
from decimal import Decimal
from pathlib import Path
from types import TracebackType
from typing import TYPE_CHECKING, Any, Protocol, Self

from acsa.domain.access import Principal
from acsa.domain.account import AccountHead, Decision, Invoice, OrderAccount, Terms
from acsa.domain.agreement import Agreement, AgreementVersion
from acsa.domain.agreement_records import Record
from acsa.domain.approvals import Approval
from acsa.domain.audit import AuditRecord
from acsa.domain.ceilings import Acquired
from acsa.domain.designations import Designation
from acsa.domain.documents import Document, Head, Kind
from acsa.domain.fiscal import FiscalYear
from acsa.domain.fx import RateTable
from acsa.domain.ledger import Account, Entry
from acsa.domain.money import Money
from acsa.domain.order import Action, Event, Order
from acsa.domain.order_search import OrderPage, OrderQuery
from acsa.domain.rate_rules import OfficialRateTable
from acsa.domain.sign_in import CountedBy, Failures

if TYPE_CHECKING:
    from sqlalchemy import Connection, Engine

    from acsa.adapters.db.courier_repository import Partner
    from acsa.adapters.db.rate_repository import RateRepository

#: A stored row of a table that has no record type of its own yet (users, tokens, sessions,
#: documents, the outbox): read by attribute (``row.name``), never built by a service.
StoredRow = Any
#: Terms of each order's governing agreement text (see services.ledger.terms_reader).
TermsOf = Callable[[AccountHead], Terms]
#: Called on every order a service loads: raises to refuse it (see UnitOfWork.check).
OrderGuard = Callable[[Order], None]


# --- records the repositories return ----------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Note:
    """A remark on an order (``orders note``): when, by whom (for which nation, where the
    person acting is known), and its text."""

    order_id: int
    at: datetime
    actor: str
    nation: str | None
    text: str


@dataclass(frozen=True, slots=True)
class StoredInvoice:
    """An invoice as stored, with its payments, and the parties of its order."""

    invoice: Invoice
    order_id: int
    issuer: str
    debtor: str
    currency: str

    @property
    def id(self) -> int:
        assert self.invoice.id is not None
        return self.invoice.id

    @property
    def number(self) -> str:
        return self.invoice.number


@dataclass(frozen=True, slots=True)
class StoredSettlement:
    """A settlement in kind as stored: a replacement, an equal value exchange or a conversion
    of in-kind debt to cash, with its lines as recorded (``value`` in ``currency``)."""

    id: int
    order_id: int
    kind: str
    value: Decimal
    currency: str
    effective: date
    agreed_by: str
    note: str
    at: datetime
    actor: str
    lines: tuple[dict[str, Any], ...] = field(default=())


class NodeIdentity(Protocol):
    """This installation as a node of the exchange: its nation and key."""

    @property
    def nation(self) -> str: ...

    @property
    def public_key(self) -> str: ...

    @property
    def fingerprint(self) -> str: ...

    @property
    def key_file(self) -> Path: ...


# --- repositories -----------------------------------------------------------------------------


class AgreementRepository(Protocol):
    def get(self, agreement_id: str) -> Agreement | None: ...

    def find(self, party: str | None = None) -> list[Agreement]: ...

    def add(self, agreement: Agreement, now: datetime) -> None: ...

    def add_version(self, agreement_id: str, version: AgreementVersion, now: datetime) -> None: ...

    def replace_version(
        self, agreement_id: str, version: AgreementVersion, now: datetime
    ) -> None: ...

    def add_record(self, agreement_id: str, record: Record, now: datetime, actor: str) -> int: ...

    def version_bodies(self, agreement_id: str) -> dict[int, Any]: ...


class OrderRepository(Protocol):
    def add(self, order: Order, now: datetime) -> int: ...

    def update(self, order: Order, now: datetime) -> None:
        """Store the order's new state; CONCURRENT_UPDATE if it changed meanwhile."""
        ...

    def replace_draft(self, order: Order, now: datetime) -> None:
        """Store a draft whose terms were edited: its own fields, its lines (replaced) and
        its new events; CONCURRENT_UPDATE if it changed meanwhile."""
        ...

    def get(self, order_id: int, with_history: bool = True) -> Order | None: ...

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
    ) -> list[Order]: ...

    def matching(self, query: OrderQuery, with_history: bool = True) -> list[Order]:
        """The orders ``query`` names, sorted and paged as it asks."""
        ...

    def search(self, query: OrderQuery, with_history: bool = False) -> OrderPage:
        """One page of the orders ``query`` names and how many it names in all."""
        ...

    def last_events(self, ids: Sequence[int], actions: Collection[Action]) -> dict[int, Event]:
        """Of each order of ``ids``, its last event that is one of ``actions`` (if any)."""
        ...

    def by_ids(self, ids: Sequence[int]) -> list[Order]: ...

    def id_of(self, uid: str) -> int | None: ...

    def add_note(self, note: Note) -> None: ...

    def notes(self, order_id: int) -> list[Note]:
        """The remarks on ``order_id``, oldest first."""
        ...

    def accepted_values(
        self, agreement_id: str, party: str, year: FiscalYear, exclude: int | None = None
    ) -> tuple[Acquired, ...]:
        """What ``party``'s counted orders under ``agreement_id`` dated in ``year`` (but
        ``exclude``) were accepted for, per order and currency (the annual ceilings)."""
        ...


class OrderAccountRepository(Protocol):
    def load(self, order: Order, terms: Terms) -> OrderAccount: ...

    def load_ids(
        self,
        ids: Sequence[int],
        terms_of: TermsOf,
        as_of: date | None = None,
        with_lines: bool = False,
    ) -> list[OrderAccount]: ...

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
        ...

    def store(self, account: OrderAccount, decision: Decision) -> list[int]:
        """Store the records ``decision`` added to ``account``; their ids, in order."""
        ...


Balance = tuple[str, str, Account, Money]


class LedgerRepository(Protocol):
    #: Ids of the entries this transaction wrote (the audit record of the change covers them).
    written: list[int]

    def add(self, entries: Sequence[Entry]) -> list[Entry]: ...

    def running_balances(
        self, book: str | None = None, partner: str | None = None
    ) -> list[Balance]: ...

    def balances_from_postings(
        self, book: str | None = None, partner: str | None = None, as_of: date | None = None
    ) -> list[Balance]: ...

    def standing_entries(
        self, order_id: int, kind: str, document: str, at: datetime, actor: str
    ) -> dict[str, int]:
        """Per book, the id of the first entry of ``order_id`` of ``kind`` on ``document``
        recorded ``at`` by ``actor`` that nothing has reversed yet."""
        ...


@dataclass(frozen=True, slots=True)
class InvoiceRef:
    """Where an invoice is: its id, number, order and currency (not its payments)."""

    id: int
    number: str
    order_id: int
    currency: str


class InvoiceRepository(Protocol):
    def locate(
        self, number: str | None = None, invoice_id: int | None = None
    ) -> InvoiceRef | None: ...

    def locate_payment(self, payment_id: int) -> InvoiceRef | None:
        """The invoice the payment ``payment_id`` was recorded against, or None."""
        ...

    def find(
        self,
        number: str | None = None,
        invoice_id: int | None = None,
        order_id: int | None = None,
        party: str | None = None,
    ) -> list[StoredInvoice]: ...


class SettlementRepository(Protocol):
    def of_order(self, order_id: int) -> list[StoredSettlement]: ...


class CounterRepository(Protocol):
    def next(self, name: str) -> int:
        """The next number of the named counter (1 first), taken in this transaction."""
        ...


class SettingsRepository(Protocol):
    def get(self, key: str) -> str | None: ...

    def set(self, key: str, value: str) -> None: ...


class AuditRepository(Protocol):
    def records(
        self,
        order_id: int | None = None,
        party: str | None = None,
        limit: int | None = None,
        offset: int = 0,
        newest_first: bool = False,
    ) -> Iterator[AuditRecord]: ...

    def agreement_versions_added_by_users(self) -> dict[str, frozenset[int] | None]: ...

    def latest_after(self, order_id: int | None = None, subject: str | None = None) -> Any: ...

    def head(self) -> tuple[int, str] | None: ...

    def ledger_entry_count(self, book: str | None = None) -> int: ...


class UserRepository(Protocol):
    """People, their API tokens and web sessions, and the sign-in throttle."""

    def user(self, name: str) -> StoredRow | None: ...

    def user_by_id(self, user_id: int) -> StoredRow | None: ...

    def users(self, nation: str | None = None) -> list[StoredRow]: ...

    def add_user(self, values: dict[str, Any]) -> int: ...

    def update_user(self, user_id: int, values: dict[str, Any]) -> None: ...

    def add_token(self, values: dict[str, Any]) -> int: ...

    def tokens(self, user_id: int | None = None) -> list[StoredRow]: ...

    def token(self, token_id: int) -> StoredRow | None: ...

    def revoke_token(self, token_id: int, at: datetime) -> None: ...

    def revoke_tokens(self, user_id: int, at: datetime) -> list[int]: ...

    def user_for_token(self, token_hash: str) -> StoredRow | None: ...

    def add_session(self, values: dict[str, Any]) -> None: ...

    def session(self, token_hash: str) -> StoredRow | None: ...

    def end_session(self, token_hash: str) -> None: ...

    def end_sessions(self, user_id: int) -> int: ...

    def lock_sign_in(self) -> None: ...

    def failures(self, kind: CountedBy, key: str) -> Failures | None: ...

    def put_failures(self, kind: CountedBy, key: str, failures: Failures | None) -> None: ...

    def forget_failures(self, before: datetime) -> None: ...

    def locked(self) -> list[Failures]: ...


class DesignationRepository(Protocol):
    """Designated officials (see acsa.domain.designations)."""

    def of_nation(self, nation: str, user: str | None = None) -> list[Designation]: ...

    def get(self, designation_id: int) -> Designation | None: ...

    def add(self, made: Designation, user_id: int, at: datetime, actor: str) -> int: ...

    def end(self, designation_id: int, on: date, reason: str, at: datetime, actor: str) -> None: ...


class ApprovalRepository(Protocol):
    """Approvals and returns of drafts (see acsa.domain.approvals)."""

    def of_orders(self, order_ids: Sequence[int], active: bool = True) -> list[Approval]: ...

    def add(self, made: Approval) -> int: ...

    def clear(self, order_id: int, at: datetime) -> int: ...


class PartnerRepository(Protocol):
    def get(self, nation: str) -> Partner | None: ...

    def all(self) -> list[Partner]: ...

    def put(
        self, nation: str, url: str, public_key: str, fingerprint: str, now: datetime
    ) -> None: ...


class DocumentRepository(Protocol):
    def head(self, order_uid: str) -> Head | None: ...

    def get(self, document_id: str) -> StoredRow | None: ...

    def add(self, document: Document, origin: str, now: datetime) -> None: ...

    def with_partner(self, nation: str, partner: str) -> list[StoredRow]: ...

    def received_counts(self, nation: str) -> list[StoredRow]: ...


class OutboxRepository(Protocol):
    def next_pending(self, partner: str) -> StoredRow | None: ...

    def held_counts(self) -> dict[str, int]: ...

    def find(self, document_id: str) -> list[StoredRow]: ...

    def mark(self, outbox_id: int, **values: Any) -> None: ...

    def partners_with_pending(self) -> list[str]: ...

    def counts(self) -> dict[tuple[str, str], int]: ...

    def oldest_pending(self) -> dict[str, StoredRow]: ...

    def entries(
        self, partner: str | None = None, statuses: Sequence[str] = (), limit: int = 50
    ) -> list[StoredRow]: ...


class Locks(Protocol):
    def hold_ceiling(self, agreement_id: str, party: str) -> None:
        """Hold ``party``'s annual ceilings under ``agreement_id`` until the transaction ends."""
        ...


# --- the unit of work -------------------------------------------------------------------------


class UnitOfWork(Protocol):
    """One transaction per user action: ``with uow: ...; uow.commit()``; leaving the block
    without commit rolls back, so a refused action leaves nothing written. Entering a unit of
    work that is open already joins its transaction."""

    @property
    def agreements(self) -> AgreementRepository: ...
    @property
    def orders(self) -> OrderRepository: ...
    @property
    def order_accounts(self) -> OrderAccountRepository: ...
    @property
    def settings(self) -> SettingsRepository: ...
    @property
    def ledger(self) -> LedgerRepository: ...
    @property
    def invoices(self) -> InvoiceRepository: ...
    @property
    def settlements(self) -> SettlementRepository: ...
    @property
    def counters(self) -> CounterRepository: ...
    @property
    def audit(self) -> AuditRepository: ...
    @property
    def accounts(self) -> UserRepository: ...
    @property
    def designations(self) -> DesignationRepository: ...
    @property
    def approvals(self) -> ApprovalRepository: ...
    @property
    def partners(self) -> PartnerRepository: ...
    @property
    def documents(self) -> DocumentRepository: ...
    @property
    def outbox(self) -> OutboxRepository: ...
    @property
    def locks(self) -> Locks: ...
    #: Reference rates (per euro) and the official rates nations recorded.
    @property
    def daily_rates(self) -> RateTable: ...
    @property
    def official_rates(self) -> OfficialRateTable: ...

    #: Who acts (None: the installation's operator); named in the audit records.
    principal: Principal | None
    #: A partner's signed document being applied: what the services publish must match it.
    incoming: Document | None

    def __enter__(self) -> Self: ...

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None: ...

    def commit(self) -> None: ...

    def rollback(self) -> None: ...

    def close(self) -> None:
        """End the transaction (rolling back what is not committed)."""
        ...

    def finish(self) -> None:
        """Commit a transaction held open past the services' commits (the caller's)."""
        ...

    def check(self, order: Order) -> Order:
        """``order`` if the guard lets it through; raises otherwise."""
        ...

    def record(
        self,
        action: str,
        subject: str,
        actor: str,
        before: Any = None,
        after: Any = None,
        order_id: int | None = None,
    ) -> None:
        """Note a change for the audit log, written when (and only if) this commits."""
        ...

    def publish(
        self, order: Order, kind: Kind, body: dict[str, Any], actor: str, at: datetime
    ) -> None:
        """Note the document a change to ``order`` makes, sealed when this commits."""
        ...

    @property
    def published(self) -> bool:
        """Whether a document waits to be sealed by the next commit."""
        ...

    @property
    def node(self) -> NodeIdentity | None:
        """This installation's node (nation, key), or None when it is not a node."""
        ...


class SqlUnitOfWork(UnitOfWork, Protocol):
    """A unit of work on a database, for the services that still run SQL of their own."""

    @property
    def engine(self) -> Engine: ...

    @property
    def connection(self) -> Connection: ...

    @property
    def rates(self) -> RateRepository:
        """The rates as stored (the rate import's bulk writes, official rates)."""
        ...

    def cover(self, kind: str, owners: Iterable[Any]) -> None:
        """Name aggregates a bulk writer wrote; the audit record carries their rows' digests."""
        ...
