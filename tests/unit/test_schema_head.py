"""The schema check's light reading of the migrations (no Alembic, no importing them) finds
what Alembic finds: the same revision chain and the same head; the database's revision is read
with plain SQL as Alembic reads it; and a database behind or ahead is refused as before."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import create_engine, text

from acsa.adapters.db import migrate
from acsa.domain.errors import AcsaError, Code
from acsa.services.setup import require_current_schema


def test_light_reader_matches_alembic() -> None:
    scripts = ScriptDirectory.from_config(migrate.alembic_config())
    links = migrate.revision_links()
    assert links is not None
    assert links == {s.revision: s.down_revision for s in scripts.walk_revisions()}
    assert migrate.head_revision() == scripts.get_current_head() == migrate.alembic_head_revision()
    assert migrate.head_revision() is not None


def write(directory: Path, name: str, body: str) -> None:
    (directory / name).write_text(body, encoding="utf-8")


def test_light_reader_reads_annotated_lines_and_gives_up_on_what_it_does_not_follow(
    tmp_path: Path,
) -> None:
    write(tmp_path, "__init__.py", "")
    write(tmp_path, "a.py", 'revision = "a"\ndown_revision = None\n')
    write(tmp_path, "b.py", "revision: str = 'b'\ndown_revision: str | None = 'a'  # after a\n")
    assert migrate.revision_links(tmp_path) == {"a": None, "b": "a"}
    assert migrate.head_from_links({"a": None, "b": "a"}) == "b"
    assert migrate.head_from_links({}) is None
    with pytest.raises(ValueError, match="single line"):
        migrate.head_from_links({"a": None, "b": "a", "c": "a"})  # two heads
    with pytest.raises(ValueError, match="single line"):
        migrate.head_from_links({"a": None, "b": "x"})  # an unknown parent
    write(tmp_path, "m.py", 'revision = "m"\ndown_revision = ("a", "b")\n')  # a merge
    assert migrate.revision_links(tmp_path) is None


def test_current_revision_is_read_as_alembic_reads_it(tmp_path: Path) -> None:
    engine = create_engine(f"sqlite:///{tmp_path / 'x.db'}")
    assert migrate.current_revision(engine) is None  # no version table
    with engine.begin() as conn:
        conn.execute(text("CREATE TABLE alembic_version (version_num VARCHAR(32) NOT NULL)"))
    assert migrate.current_revision(engine) is None  # an empty one
    with engine.begin() as conn:
        conn.execute(text("INSERT INTO alembic_version VALUES ('0003')"))
    with engine.connect() as conn:
        assert MigrationContext.configure(conn).get_current_revision() == "0003"
    assert migrate.current_revision(engine) == "0003"
    engine.dispose()


@pytest.mark.parametrize("have", ["0001", "9999"])
def test_a_database_behind_or_ahead_is_refused(tmp_path: Path, have: str) -> None:
    engine = create_engine(f"sqlite:///{tmp_path / 'x.db'}")
    with pytest.raises(AcsaError) as refused:
        require_current_schema(engine)
    (violation,) = refused.value.violations
    assert (violation.code, violation.field) == (Code.INVALID_INPUT, "db")
    assert violation.template == "the database has no acsa schema; run `acsa init` first"
    with engine.begin() as conn:
        conn.execute(text("CREATE TABLE alembic_version (version_num VARCHAR(32) NOT NULL)"))
        conn.execute(text("INSERT INTO alembic_version VALUES (:v)"), {"v": have})
    with pytest.raises(AcsaError) as refused:
        require_current_schema(engine)
    (violation,) = refused.value.violations
    assert (violation.code, violation.field) == (Code.INVALID_INPUT, "db")
    assert (
        violation.template == "the database is at schema {have}, not {want}; run `acsa init` first"
    )
    assert violation.params == {"have": have, "want": migrate.head_revision()}
    with engine.begin() as conn:
        conn.execute(
            text("UPDATE alembic_version SET version_num = :v"), {"v": migrate.head_revision()}
        )
    require_current_schema(engine)  # at this release's schema: accepted
    engine.dispose()


def test_checking_the_schema_loads_no_alembic(tmp_path: Path) -> None:
    """What every command does before it works (open the database, check its schema) imports
    neither Alembic nor the migrations."""
    url = f"sqlite:///{tmp_path / 'x.db'}"
    engine = create_engine(url)
    with engine.begin() as conn:
        conn.execute(text("CREATE TABLE alembic_version (version_num VARCHAR(32) NOT NULL)"))
        conn.execute(
            text("INSERT INTO alembic_version VALUES (:v)"), {"v": migrate.head_revision()}
        )
    engine.dispose()
    probe = (
        "import sys\n"
        "from acsa.bootstrap import open_database\n"
        f"open_database({url!r})\n"
        "print(sorted(m for m in sys.modules if m.split('.')[0] == 'alembic'"
        " or m.startswith('acsa.migrations')))\n"
    )
    env = {k: v for k, v in os.environ.items() if not k.startswith("ACSA_")}
    done = subprocess.run(
        [sys.executable, "-c", probe], capture_output=True, text=True, check=False, env=env
    )
    assert done.returncode == 0, done.stderr[-3000:]
    assert done.stdout.strip() == "[]"
