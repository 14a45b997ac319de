"""The unit of work: one database transaction per user action, rolled back unless committed."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from types import TracebackType
from typing import Any
from weakref import WeakSet

from sqlalchemy import Connection, Delete, Engine, Insert, Update, event

from acsa.adapters.db.account_records import OrderAccounts
from acsa.adapters.db.account_repository import AccountRepository
from acsa.adapters.db.approval_repository import ApprovalRepository
from acsa.adapters.db.audit_repository import AuditRepository, PendingRecord
from acsa.adapters.db.audit_rows import BY_NAME, written_rows
from acsa.adapters.db.courier_repository import (
    DocumentRepository,
    NodeRecord,
    OutboxRepository,
    PartnerRepository,
)
from acsa.adapters.db.designation_repository import DesignationRepository
from acsa.adapters.db.fork_repository import ForkRepository, StepRecords
from acsa.adapters.db.key_repository import KeyRepository
from acsa.adapters.db.ledger_repository import (
    CounterRepository,
    InvoiceRepository,
    LedgerRepository,
    SettlementRepository,
)
from acsa.adapters.db.locks import Locks
from acsa.adapters.db.rate_repository import RateRepository
from acsa.adapters.db.rate_tables import DbOfficialRates, DbRateTable
from acsa.adapters.db.repository import AgreementRepository, OrderRepository, SettingsRepository
from acsa.adapters.db.sealing import seal
from acsa.clock import utc_now
from acsa.domain.access import Principal
from acsa.domain.approvals import tiers_key
from acsa.domain.documents import Document, Draft, Kind, draft
from acsa.domain.order import Order, OrderStatus

#: Called after a commit that queued documents for partners (wakes the outbox's deliverer).
on_documents_queued: list[Callable[[], None]] = []


#: Called on every order a service loads in this unit of work: raises to refuse it.
OrderGuard = Callable[[Order], None]


#: The key under which a connection's info names the writing unit of work using it.
_WRITER = "acsa_unit_of_work"
#: Engines whose writes are watched (one listener per engine, not one per transaction).
_WATCHED: WeakSet[Engine] = WeakSet()


def _watch_writes(engine: Engine) -> None:
    """Listen once on ``engine`` for the statements of writing units of work: each notes the
    business tables it wrote (see ``UnitOfWork._written``)."""
    if engine in _WATCHED:
        return
    _WATCHED.add(engine)

    def note(conn: Connection, statement: Any, *_args: Any) -> None:
        writer = conn.info.get(_WRITER)
        if writer is not None:
            writer._note_write(statement)

    event.listen(engine, "before_execute", note)


class UnitOfWork:
    """``with UnitOfWork(engine) as uow: ...; uow.commit()``. Leaving without commit rolls back.

    Every change a service makes is noted with :meth:`record`; :meth:`commit` chains the notes
    into the audit log (with the ledger entries written) in the same transaction. A caller acting
    for a signed-in person sets ``principal`` (named in the audit) and ``guard`` (run on every
    order loaded, to refuse what that person may not see or do).

    With ``hold=True`` (the API's writes) the transaction outlives the services' ``with``
    blocks and their ``commit()``: it stays open, so the caller can read the result and store
    its response (an idempotency key) in the same transaction, then :meth:`finish` commits all
    of it at once. Entering a unit of work that is open already joins its transaction.

    What the services :meth:`publish` is collected here and handed at commit to
    ``sealing.seal`` (chained, signed, queued for the partner's node).
    """

    agreements: AgreementRepository
    orders: OrderRepository
    order_accounts: OrderAccounts
    settings: SettingsRepository
    ledger: LedgerRepository
    invoices: InvoiceRepository
    settlements: SettlementRepository
    counters: CounterRepository
    audit: AuditRepository
    accounts: AccountRepository
    designations: DesignationRepository
    approvals: ApprovalRepository
    partners: PartnerRepository
    keys: KeyRepository
    documents: DocumentRepository
    outbox: OutboxRepository
    forks: ForkRepository
    step_records: StepRecords
    locks: Locks
    daily_rates: DbRateTable
    official_rates: DbOfficialRates
    rates: RateRepository

    def __init__(
        self,
        engine: Engine,
        read_only: bool = False,
        principal: Principal | None = None,
        guard: OrderGuard | None = None,
        hold: bool = False,
    ) -> None:
        self.engine = engine
        self.read_only = read_only
        self.principal = principal
        self.guard = guard
        self.hold = hold
        self._depth = 0
        self._conn: Connection | None = None
        self._pending: list[PendingRecord] = []
        self._before_commit: list[Callable[[Connection], None]] = []
        self._done = False
        #: A partner's signed document being applied: what the services publish must match it.
        self.incoming: Document | None = None
        self._drafts: list[Draft] = []
        self._node: NodeRecord | bool | None = False
        #: The business tables written in this transaction, and aggregates a bulk writer
        #: names (kind -> owners): their rows' digests go into the audit record (audit_rows).
        self._written: set[str] = set()
        self._covered: dict[str, set[Any]] = {}

    def __enter__(self) -> UnitOfWork:
        if self._conn is not None:
            self._depth += 1
            return self
        self._depth = 1
        conn = self.engine.connect()
        if self.read_only:
            conn = conn.execution_options(acsa_read_only=True)
            if conn.dialect.name == "postgresql":
                # A reader sees one snapshot for all its statements: a report or the books'
                # check never mixes what was committed between two of its queries.
                conn = conn.execution_options(isolation_level="REPEATABLE READ")
        try:
            conn.begin()
        except BaseException:
            conn.close()
            raise
        self._conn = conn
        self._written = set()
        self._covered = {}
        if self.read_only:
            conn.info.pop(_WRITER, None)
        else:
            _watch_writes(self.engine)
            conn.info[_WRITER] = self
        self.agreements = AgreementRepository(conn)
        # The one rule for every action that changes an order or its money: a writing unit of
        # work holds each order it loads until it commits or rolls back (see OrderRepository).
        self.orders = OrderRepository(conn, hold=not self.read_only)
        self.order_accounts = OrderAccounts(conn)
        self.settings = SettingsRepository(conn)
        self.ledger = LedgerRepository(conn)
        self.invoices = InvoiceRepository(conn)
        self.settlements = SettlementRepository(conn)
        self.counters = CounterRepository(conn)
        self.audit = AuditRepository(conn)
        self.accounts = AccountRepository(conn)
        self.designations = DesignationRepository(conn)
        self.approvals = ApprovalRepository(conn)
        self.partners = PartnerRepository(conn)
        self.keys = KeyRepository(conn)
        self.documents = DocumentRepository(conn)
        self.outbox = OutboxRepository(conn)
        self.forks = ForkRepository(conn)
        self.step_records = StepRecords(conn)
        self.locks = Locks(conn)
        self.daily_rates = DbRateTable(conn)
        self.official_rates = DbOfficialRates(conn)
        self.rates = RateRepository(conn)
        self._pending = []
        self._drafts = []
        self._node = False
        return self

    def _note_write(self, statement: Any) -> None:
        if isinstance(statement, Insert | Update | Delete):
            name = getattr(statement.table, "name", None)
            if name in BY_NAME:
                self._written.add(name)

    def cover(self, kind: str, owners: Any) -> None:
        """Name aggregates a bulk writer wrote (``order`` ids...): the audit record of this
        commit carries the digests of all their rows (see audit_rows)."""
        self._covered.setdefault(kind, set()).update(owners)

    def check(self, order: Order) -> Order:
        """``order`` if the guard lets it through (see ``guard``); raises otherwise."""
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
        """Note a change for the audit log; it is written when (and only if) this commits."""
        nation = self.principal.nation if self.principal else None
        self._pending.append(PendingRecord(actor, nation, action, subject, order_id, before, after))

    @property
    def node(self) -> NodeRecord | None:
        """This installation's node (nation, key), or None when it is not a node."""
        if self._node is False:
            from acsa.adapters.node_identity import node_record

            self._node = node_record(self.settings)
        assert not isinstance(self._node, bool)
        return self._node

    def publish(
        self, order: Order, kind: Kind, body: dict[str, Any], actor: str, at: datetime
    ) -> None:
        """Note the signed document a change to ``order`` makes; it is chained, signed and
        queued for the partner's node when (and only if) this commits (see ``sealing.draft``
        for what is refused: NOT_THIS_NODE, DOCUMENT_MISMATCH)."""
        if self.withheld(order, kind):
            return
        nation = self.node.nation if self.node is not None else None
        made = draft(nation, self.incoming, order, kind, body, actor, at)
        if made is not None:
            self._drafts.append(made)

    def withheld(self, order: Order, kind: Kind) -> bool:
        """Whether the document of ``order`` is kept from the partner: a draft of a nation
        that approves its drafts before commitment (``acsa.domain.approvals``) reaches the
        partner's node only once submitted (its order document first, then the submission),
        so nothing of it goes before (its edits, notes, files, a cancellation)."""
        if self.incoming is not None or self.node is None or order.uid is None:
            return False
        if self.node.nation != order.requester:
            return False
        if kind is Kind.ORDER and order.status is not OrderStatus.DRAFT:
            return False  # the submission sends the order's document first
        if any(d.order_uid == order.uid for d in self._drafts):
            return False
        # A nation that ever set tiers keeps its drafts here (cleared since, its drafts still
        # wait for their order document, sent with the submission).
        if self.settings.get(tiers_key(order.requester)) is None:
            return False
        return self.documents.head(order.uid) is None

    def queue(self, made: Draft) -> None:
        """Note a document not of an order (a registry document) to seal when this commits."""
        self._drafts.append(made)

    @property
    def published(self) -> bool:
        """Whether a document waits to be sealed by the next commit."""
        return bool(self._drafts)

    def before_commit(self, step: Callable[[Connection], None]) -> None:
        """Run ``step`` inside the transaction just before the next commit (once)."""
        self._before_commit.append(step)

    @property
    def connection(self) -> Connection:
        assert self._conn is not None, "use the unit of work in a with block"
        return self._conn

    def commit(self) -> None:
        """Move the running balances, chain the audit records and commit (with ``hold``: the
        change is only marked done; finish() commits it)."""
        if self.ledger.written and not self._pending:
            raise RuntimeError("ledger entries written without an audit record of the change")
        if self.hold:
            self._done = True
            return
        self._commit_now()

    def _commit_now(self) -> None:
        # The shared rows (running balances, the audit chain's head) are touched last, under
        # the chain's lock, so concurrent transactions hold them only while committing and
        # never wait on each other's balance rows while queueing for the chain.
        # What the audit record vouches for (this transaction's own rows and ledger entries,
        # held by it) is read before the chain's lock: PostgreSQL writers queue for that lock
        # only for the sealing, the balances and the record itself.
        conn = self.connection
        if self._pending:
            rows = written_rows(conn, self._pending, self._written, self._covered)
            entries = self.audit.entries_of(self.ledger.written)
        if self._pending or self._drafts:
            self.audit.lock_chain()
        now = utc_now()
        queued = False
        if self._drafts:
            drafts, self._drafts = self._drafts, []
            queued = seal(drafts, self.incoming, self.node, self.documents, self.outbox, now)
        self.ledger.flush_balances()
        if self._pending:
            self.audit.append(self._pending, entries, now, rows)
        self._written = set()
        self._covered = {}
        self._pending = []
        self.ledger.written.clear()
        steps, self._before_commit = self._before_commit, []
        for step in steps:
            step(conn)
        conn.commit()
        if queued:
            for wake in on_documents_queued:
                wake()

    def finish(self) -> None:
        """Commit a held transaction (see ``hold``) and close it."""
        if self._conn is None:
            return
        try:
            if (self._pending or self.ledger.written) and not self._done:
                raise RuntimeError("finish() with changes no service committed")
            self._commit_now()
        finally:
            self.close()

    def close(self) -> None:
        """End the transaction (rolling back what is not committed) and free the connection."""
        conn, self._conn = self._conn, None
        if conn is not None and not conn.invalidated:
            conn.info.pop(_WRITER, None)
        self._pending = []
        self._before_commit = []
        self._drafts = []
        self._depth = 0
        self._done = False
        if conn is None:
            return
        try:
            # get_transaction(), not in_transaction(): a transaction whose commit failed is
            # inactive but still attached, and must be rolled back before the connection goes
            # back to the pool (else SQLite's write lock stays held).
            if conn.get_transaction() is not None:
                conn.rollback()
        finally:
            conn.close()

    def rollback(self) -> None:
        self.connection.rollback()

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self._depth -= 1
        if exc_type is None and (self.hold or self._depth > 0):
            return
        self.close()
