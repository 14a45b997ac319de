"""Run Alembic migrations from inside acsa (no alembic.ini needed).

Alembic is loaded only to migrate. Checking that a database is at this release's schema (what
every command does before it works) needs two strings: the database's ``alembic_version`` row,
read with plain SQL, and the newest revision, read from the migration files' ``revision = ...``
and ``down_revision = ...`` lines without importing them. Anything that small reader does not
follow for certain (a merge, branches, a line it cannot read) is answered by Alembic itself.
"""

from __future__ import annotations

import re
from functools import cache
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from alembic.config import Config
    from sqlalchemy import Engine

#: The migration scripts (``script_location`` is their parent).
VERSIONS_DIR = Path(__file__).resolve().parents[2] / "migrations" / "versions"

#: Alembic's version table, in the connection's default schema (acsa configures no other).
VERSION_TABLE = "alembic_version"

_REVISION = re.compile(
    r"""^revision\s*(?::[^=\n]*)?=\s*(?P<q>["'])(?P<id>[^"'\n]+)(?P=q)\s*(?:\#.*)?$""",
    re.MULTILINE,
)
_DOWN_REVISION = re.compile(
    r"""^down_revision\s*(?::[^=\n]*)?=\s*(?:None|(?P<q>["'])(?P<id>[^"'\n]+)(?P=q))\s*(?:\#.*)?$""",
    re.MULTILINE,
)


def alembic_config() -> Config:
    from importlib import resources

    from alembic.config import Config

    config = Config()
    config.set_main_option("script_location", str(resources.files("acsa") / "migrations"))
    return config


def revision_links(directory: Path = VERSIONS_DIR) -> dict[str, str | None] | None:
    """Each migration's revision and the revision it follows (None for the first), read from
    the files' text as Alembic lists them (``*.py`` but ``__init__*`` and ``.#*``); None
    when a file has no single plain ``revision = "..."`` and ``down_revision = "..."|None``
    line (a merge's tuple, say), or a revision appears twice."""
    links: dict[str, str | None] = {}
    try:
        files = sorted(directory.glob("*.py"))
    except OSError:
        return None
    for path in files:
        if path.name.startswith(("__init__", ".#")):
            continue
        try:
            text = path.read_text(encoding="utf-8")
        except (OSError, UnicodeDecodeError):
            return None
        revisions = _REVISION.findall(text)
        downs = list(_DOWN_REVISION.finditer(text))
        if len(revisions) != 1 or len(downs) != 1:
            return None
        revision = revisions[0][1]
        if revision in links:
            return None
        links[revision] = downs[0].group("id")
    return links


def head_from_links(links: dict[str, str | None]) -> str | None:
    """The one revision no other follows, when the revisions form a single line from one
    first revision; raises ValueError otherwise (branches, a missing or unknown parent)."""
    if not links:
        return None
    followed = set(links.values())
    heads = [rev for rev in links if rev not in followed]
    roots = [rev for rev, down in links.items() if down is None]
    if (
        len(heads) != 1
        or len(roots) != 1
        or any(down is not None and down not in links for down in links.values())
    ):
        raise ValueError("the migrations do not form a single line")
    # Walk down from the head: a single line reaches the root through every revision.
    rev: str | None = heads[0]
    seen = 0
    while rev is not None and seen <= len(links):
        seen, rev = seen + 1, links[rev]
    if seen != len(links):
        raise ValueError("the migrations do not form a single line")
    return heads[0]


@cache
def head_revision() -> str | None:
    """The newest revision of this release's migrations (read once per process)."""
    links = revision_links()
    if links is not None:
        try:
            return head_from_links(links)
        except ValueError:
            pass
    return alembic_head_revision()


def alembic_head_revision() -> str | None:
    """The newest revision as Alembic finds it (importing every migration)."""
    from alembic.script import ScriptDirectory

    return ScriptDirectory.from_config(alembic_config()).get_current_head()


def current_revision(engine: Engine) -> str | None:
    """The revision the database's schema is at: None when it has no version table or an
    empty one; several rows (Alembic branches, which acsa never makes) are joined with ``,``."""
    from sqlalchemy import inspect, text

    with engine.connect() as conn:
        if not inspect(conn).has_table(VERSION_TABLE):
            return None
        rows = sorted(conn.execute(text("SELECT version_num FROM alembic_version")).scalars())
    return ",".join(rows) if rows else None


def upgrade(engine: Engine) -> None:
    """Bring the schema to the newest revision; does nothing when it is there already."""
    from alembic import command

    config = alembic_config()
    with engine.begin() as conn:
        config.attributes["connection"] = conn
        command.upgrade(config, "head")
