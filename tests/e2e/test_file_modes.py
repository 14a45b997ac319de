"""acsa's own files are its owner's only: the SQLite database (and its -wal and -shm) and the
node's private key are created 0600, in a directory created 0700; directories that exist
already, and are not acsa's own, are left as they are. Through the real ``acsa`` command."""

from __future__ import annotations

import os
import stat
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import text

from acsa.adapters.db.engine import make_engine
from tests.e2e.cli import run

NO_SERVER = {"ACSA_SERVER": "", "ACSA_TOKEN": "", "ACSA_DATABASE_URL": ""}


def mode(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


@pytest.fixture
def loose_umask() -> Iterator[None]:
    """The usual 022: what made the database 0644 before."""
    previous = os.umask(0o022)
    yield
    os.umask(previous)


def test_the_default_database_and_its_directory_are_the_owners_only(tmp_path, loose_umask):
    data_home = tmp_path / "xdg"  # does not exist: acsa makes it
    env = {**NO_SERVER, "XDG_DATA_HOME": str(data_home)}
    done = run("init", env=env)
    assert done.code == 0, done.stdout + done.stderr
    database = data_home / "acsa" / "acsa.db"
    assert database.is_file()
    assert mode(database) == 0o600
    assert mode(database.parent) == 0o700
    assert mode(data_home) == 0o700
    # The node's key, in the same directory by default.
    made = run("node", "init", "--nation", "JPN", env=env)
    assert made.code == 0, made.stdout + made.stderr
    key = data_home / "acsa" / "node-JPN.key"
    assert mode(key) == 0o600
    assert key.read_text().startswith("-----BEGIN PRIVATE KEY-----")


def test_acsa_keeps_its_own_data_directory_private_when_it_exists(tmp_path, loose_umask):
    own = tmp_path / "xdg" / "acsa"
    own.mkdir(parents=True, mode=0o755)
    os.chmod(own, 0o755)
    done = run("init", env={**NO_SERVER, "XDG_DATA_HOME": str(tmp_path / "xdg")})
    assert done.code == 0, done.stdout + done.stderr
    assert mode(own) == 0o700
    assert mode(own / "acsa.db") == 0o600
    # Its parent was there already and is not acsa's: left alone.
    assert mode(tmp_path / "xdg") == 0o755


def test_a_database_in_a_new_directory_and_its_journal_are_private(tmp_path, loose_umask):
    shared = tmp_path / "shared"
    shared.mkdir(mode=0o755)
    os.chmod(shared, 0o755)
    database = shared / "new" / "deeper" / "acsa.db"
    done = run("init", "--db", f"sqlite:///{database}")
    assert done.code == 0, done.stdout + done.stderr
    assert mode(database) == 0o600
    assert mode(database.parent) == 0o700
    assert mode(database.parent.parent) == 0o700
    assert mode(shared) == 0o755  # there before: not acsa's to change
    # While a writer has it open, the write-ahead log and its index are private too.
    engine = make_engine(f"sqlite:///{database}")
    try:
        with engine.begin() as conn:
            conn.execute(text("CREATE TABLE probe (x INTEGER)"))
            conn.execute(text("INSERT INTO probe VALUES (1)"))
        with engine.connect() as conn:
            conn.execute(text("SELECT * FROM probe")).all()
            for suffix in ("-wal", "-shm"):
                journal = database.with_name(database.name + suffix)
                assert journal.exists(), suffix
                assert mode(journal) == 0o600, suffix
    finally:
        engine.dispose()


def test_a_database_in_an_existing_shared_directory_leaves_it_alone(tmp_path, loose_umask):
    database = tmp_path / "acsa.db"
    before = mode(tmp_path)
    assert run("init", "--db", f"sqlite:///{database}").code == 0
    assert mode(database) == 0o600
    assert mode(tmp_path) == before


def test_a_node_key_in_a_new_directory_is_private(tmp_path, loose_umask):
    database = tmp_path / "acsa.db"
    assert run("init", "--db", f"sqlite:///{database}").code == 0
    key = tmp_path / "keys" / "node.key"
    made = run(
        "node", "init", "--nation", "JPN", "--key-file", str(key), "--db", f"sqlite:///{database}"
    )
    assert made.code == 0, made.stdout + made.stderr
    assert mode(key) == 0o600
    assert mode(key.parent) == 0o700
