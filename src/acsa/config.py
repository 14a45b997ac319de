"""Settings from the environment: where the database is, who is acting."""

from __future__ import annotations

import getpass
import os
from pathlib import Path

from platformdirs import user_data_path

ENV_DATABASE_URL = "ACSA_DATABASE_URL"
ENV_ACTOR = "ACSA_ACTOR"


def default_database_path() -> Path:
    """The embedded database file in the user's data directory."""
    return user_data_path("acsa", appauthor=False) / "acsa.db"


def sqlite_url(path: Path) -> str:
    return f"sqlite:///{path}"


def database_url(explicit: str | None = None) -> str:
    """``--db`` first, then ``ACSA_DATABASE_URL``, then the SQLite file in the data directory."""
    if explicit:
        return explicit
    from_env = os.environ.get(ENV_DATABASE_URL)
    if from_env:
        return from_env
    return sqlite_url(default_database_path())


def actor(explicit: str | None = None) -> str:
    """The acting person: ``--actor``, then ``ACSA_ACTOR``, then the login name."""
    if explicit:
        return explicit
    from_env = os.environ.get(ENV_ACTOR)
    if from_env:
        return from_env
    try:
        return getpass.getuser()
    except (KeyError, OSError):
        return "unknown"
