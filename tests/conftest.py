"""Shared fixtures: a real SQLite file and a real PostgreSQL database for every test that asks.

PostgreSQL: the server at ACSA_TEST_PG_URL (default: the machine's server on 127.0.0.1:5432).
Each test run (each xdist worker) creates a database of its own and drops it afterwards. A
server that cannot be reached fails the PostgreSQL tests: they never skip.
"""

from __future__ import annotations

import os
import shutil
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import Engine, create_engine, text
from sqlalchemy.engine import make_url

from acsa.adapters.checkpoints import checkpoint_root, database_id
from acsa.adapters.db import tables
from acsa.adapters.db.engine import make_engine
from acsa.adapters.db.unit_of_work import UnitOfWork
from acsa.services.agreements import load_registry
from acsa.services.setup import init_database
from tests.api.server import passwords_hashed_once

PG_SERVER_URL = os.environ.get(
    "ACSA_TEST_PG_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/test"
)
BACKENDS = ["sqlite", "postgresql"]


#: Test files whose tests take longest (tens of seconds each), longest first: collected ahead
#: of the rest, so that on two workers (``make test``: ``-n 2``) none of them is left to run
#: alone at the end while the other worker has nothing to do. Order within a file is kept.
SLOW_FIRST = (
    "tests/browser/test_widths.py",
    "tests/browser/test_offline.py",
    "tests/api/test_crash.py",
    "tests/e2e/test_remote_cli.py",
    "tests/api/test_concurrency.py",
    "tests/integration/test_ledger_state_machine.py",
    "tests/integration/test_ledger_properties.py",
    "tests/e2e/test_official_rates_cli.py",
    "tests/exchange/test_two_nodes.py",
    "tests/exchange/test_two_nodes_script.py",
    "tests/exchange/test_partition.py",
    "tests/api/test_money_races.py",
    "tests/api/test_fuzz.py",
    "tests/browser/test_order_flow.py",
)


def pytest_configure(config: pytest.Config) -> None:
    """The run's temporary directories (tmp_path: the tests' SQLite files) in memory, on
    /dev/shm where there is one: still real files, with WAL and synchronous=FULL, whose fsyncs
    cost nothing (5 ms each on this machine's disk, once per commit). A --basetemp or a
    PYTEST_DEBUG_TEMPROOT that is given wins; a /dev/shm with less than 1 GiB free is not used."""
    # The servers and apps the tests start run no scheduler (acsa.api.scheduler: it would make
    # notices and audit records in the middle of other tests' checks); a test of it sets it.
    os.environ.setdefault("ACSA_ALERTS_INTERVAL", "0")
    shm = Path("/dev/shm")  # noqa: S108 - pytest makes its own 0700 directory in it
    if config.option.basetemp is None and shm.is_dir() and os.access(shm, os.W_OK):
        free = os.statvfs(shm)
        if free.f_bavail * free.f_frsize >= 2**30:
            os.environ.setdefault("PYTEST_DEBUG_TEMPROOT", str(shm))


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    rank = {path: n for n, path in enumerate(SLOW_FIRST)}
    items.sort(key=lambda item: rank.get(item.nodeid.split("::")[0], len(SLOW_FIRST)))


@pytest.fixture(autouse=True, scope="session")
def _audit_checkpoints_of_the_run(tmp_path_factory: pytest.TempPathFactory) -> None:
    """Audit checkpoints and the installation key (servers take one as they start) in a
    directory of the run's own, never the user's data directory; inherited by the servers and
    commands the tests start."""
    base = tmp_path_factory.mktemp("acsa-data")
    os.environ.setdefault("ACSA_CHECKPOINT_DIR", str(base / "checkpoints"))
    os.environ.setdefault("ACSA_INSTALLATION_KEY", str(base / "keys" / "installation.key"))


@pytest.fixture(autouse=True, scope="session")
def _each_password_hashed_once() -> Iterator[None]:
    """The users this test process makes get real argon2id hashes of their passwords, each
    password hashed once (tests.api.server.passwords_hashed_once), not 0.2 s again per user."""
    with passwords_hashed_once():
        yield


def _admin_engine() -> Engine:
    return create_engine(PG_SERVER_URL, isolation_level="AUTOCOMMIT")


@pytest.fixture(scope="session")
def pg_url() -> Iterator[str]:
    """A fresh, migrated PostgreSQL database for this test run, dropped at the end."""
    name = f"acsa_test_{os.getpid()}_{uuid.uuid4().hex[:8]}"
    admin = _admin_engine()
    try:
        with admin.connect() as conn:
            conn.execute(text(f'CREATE DATABASE "{name}"'))
            # A commit is answered before its WAL reaches the disk: the server itself is never
            # killed by a test, so nothing committed is lost, and no fsync is waited for.
            conn.execute(text(f'ALTER DATABASE "{name}" SET synchronous_commit TO off'))
    except Exception as exc:  # the server is down or refuses: fail, never skip
        pytest.fail(
            f"PostgreSQL at {PG_SERVER_URL} is needed by these tests and cannot be used: {exc}. "
            "Start it with: "
            "pg_ctlcluster --skip-systemctl-redirect $(ls /etc/postgresql) main start"
        )
    url = make_url(PG_SERVER_URL).set(database=name).render_as_string(hide_password=False)
    engine = make_engine(url)
    init_database(engine)
    engine.dispose()
    yield url
    with admin.connect() as conn:
        conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
    admin.dispose()


def _wipe_and_reload(engine: Engine) -> None:
    """Empty every table (PostgreSQL: restarting the id sequences) and load the registry; its
    audit chain starts anew, so the checkpoints of the one before are forgotten."""
    names = ", ".join(f'"{table.name}"' for table in tables.metadata.sorted_tables)
    with engine.begin() as conn:
        conn.execute(text(f"TRUNCATE {names} RESTART IDENTITY CASCADE"))
    shutil.rmtree(checkpoint_root() / database_id(engine.url), ignore_errors=True)
    load_registry(UnitOfWork(engine))


@pytest.fixture(scope="session")
def _sqlite_template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """One SQLite file migrated and loaded with the registry by ``init_database`` once per
    test run (each xdist worker): a test's fresh database is a copy of it, made in
    milliseconds instead of running every migration again."""
    path = tmp_path_factory.mktemp("sqlite-template") / "acsa.db"
    engine = make_engine(f"sqlite:///{path}")
    init_database(engine)
    engine.dispose()  # the last connection closed: the WAL is folded into the file
    assert not path.with_name(path.name + "-wal").exists()
    return path


def _fresh_sqlite(template: Path, path: Path) -> str:
    """A database at ``path`` as ``init_database`` leaves a new one: the template's copy
    (its 0600 mode too)."""
    shutil.copy(template, path)
    return f"sqlite:///{path}"


@pytest.fixture(params=BACKENDS)
def backend(request: pytest.FixtureRequest) -> str:
    if request.param == "postgresql":
        request.applymarker(pytest.mark.postgres)
    return str(request.param)


@pytest.fixture
def db_url(backend: str, tmp_path: Path, request: pytest.FixtureRequest) -> str:
    """A database URL with the schema and the shipped registry, and nothing else."""
    if backend == "sqlite":
        return _fresh_sqlite(request.getfixturevalue("_sqlite_template"), tmp_path / "acsa.db")
    url = str(request.getfixturevalue("pg_url"))
    engine = make_engine(url)
    _wipe_and_reload(engine)
    engine.dispose()
    return url


@pytest.fixture
def engine(db_url: str) -> Iterator[Engine]:
    engine = make_engine(db_url)
    yield engine
    engine.dispose()


@pytest.fixture
def uow(engine: Engine) -> UnitOfWork:
    return UnitOfWork(engine)


@pytest.fixture
def sqlite_url(tmp_path: Path, _sqlite_template: Path) -> str:
    """An initialised SQLite file only (for tests that are about the embedded default)."""
    return _fresh_sqlite(_sqlite_template, tmp_path / "acsa.db")
