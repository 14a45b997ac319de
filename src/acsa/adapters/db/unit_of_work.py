"""The unit of work: one database transaction per user action, rolled back unless committed."""

from __future__ import annotations

from types import TracebackType

from sqlalchemy import Connection, Engine

from acsa.adapters.db.ledger_repository import (
    CounterRepository,
    InvoiceRepository,
    LedgerRepository,
    SettlementRepository,
)
from acsa.adapters.db.repository import AgreementRepository, OrderRepository, SettingsRepository


class UnitOfWork:
    """``with UnitOfWork(engine) as uow: ...; uow.commit()``. Leaving without commit rolls back."""

    agreements: AgreementRepository
    orders: OrderRepository
    settings: SettingsRepository
    ledger: LedgerRepository
    invoices: InvoiceRepository
    settlements: SettlementRepository
    counters: CounterRepository

    def __init__(self, engine: Engine, read_only: bool = False) -> None:
        self.engine = engine
        self.read_only = read_only
        self._conn: Connection | None = None

    def __enter__(self) -> UnitOfWork:
        conn = self.engine.connect()
        if self.read_only:
            conn = conn.execution_options(acsa_read_only=True)
        conn.begin()
        self._conn = conn
        self.agreements = AgreementRepository(conn)
        self.orders = OrderRepository(conn)
        self.settings = SettingsRepository(conn)
        self.ledger = LedgerRepository(conn)
        self.invoices = InvoiceRepository(conn)
        self.settlements = SettlementRepository(conn)
        self.counters = CounterRepository(conn)
        return self

    @property
    def connection(self) -> Connection:
        assert self._conn is not None, "use the unit of work in a with block"
        return self._conn

    def commit(self) -> None:
        self.connection.commit()

    def rollback(self) -> None:
        self.connection.rollback()

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        conn, self._conn = self._conn, None
        if conn is None:
            return
        try:
            if conn.in_transaction():
                conn.rollback()
        finally:
            conn.close()
