"""Service tests on the in-memory unit of work (tests/fakes.py): no database, milliseconds."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from acsa.services.agreements import load_registry
from tests.fakes import FakeUnitOfWork, Tables

#: When the shipped registry was loaded into the fake tables.
LOADED_AT = datetime(2026, 1, 1, tzinfo=UTC)


@pytest.fixture(scope="session")
def registry_tables() -> Tables:
    """Tables holding the shipped registry, loaded once by the registry service itself."""
    uow = FakeUnitOfWork()
    load_registry(uow, now=LOADED_AT)
    return uow.committed


@pytest.fixture
def uow(registry_tables: Tables) -> FakeUnitOfWork:
    return FakeUnitOfWork(registry_tables.copy())
