"""Settings from the environment: where the database is, who is acting, how sign-in is
throttled and how long tokens live; and acsa's own files, private to their owner."""

from __future__ import annotations

import getpass
import math
import os
from collections.abc import Mapping
from pathlib import Path

from platformdirs import user_data_path

from acsa.domain.errors import AcsaError, Code
from acsa.domain.limits import TOKEN_DAYS_DEFAULT
from acsa.domain.messages import t
from acsa.domain.sign_in import SignInPolicy, check_policy, check_token_max_days

ENV_DATABASE_URL = "ACSA_DATABASE_URL"
ENV_ACTOR = "ACSA_ACTOR"
ENV_TOKEN_MAX_DAYS = "ACSA_TOKEN_MAX_DAYS"  # noqa: S105 - an environment variable name
ENV_SIGN_IN_FREE_FAILURES = "ACSA_SIGN_IN_FREE_FAILURES"
ENV_SIGN_IN_DELAY_SECONDS = "ACSA_SIGN_IN_DELAY_SECONDS"
ENV_SIGN_IN_DELAY_MAX_SECONDS = "ACSA_SIGN_IN_DELAY_MAX_SECONDS"
ENV_SIGN_IN_LOCK_AFTER = "ACSA_SIGN_IN_LOCK_AFTER"
ENV_SIGN_IN_ADDRESS_LOCK_AFTER = "ACSA_SIGN_IN_ADDRESS_LOCK_AFTER"
ENV_SIGN_IN_FORGET_MINUTES = "ACSA_SIGN_IN_FORGET_MINUTES"

#: acsa's own directories and files (the database, its journal, the node's key): the owner's
#: only, whatever the umask.
PRIVATE_DIR_MODE = 0o700
PRIVATE_FILE_MODE = 0o600


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


def _number(env: Mapping[str, str], name: str, default: float, whole: bool) -> float:
    raw = env.get(name, "").strip()
    if not raw:
        return default
    try:
        value = int(raw) if whole else float(raw)
    except ValueError:
        template = (
            t("{name} is {value}; it must be a whole number")
            if whole
            else t("{name} is {value}; it must be a number")
        )
        raise AcsaError.single(
            Code.INVALID_FIELD, name, template, name=name, value=repr(raw[:40])
        ) from None
    if not math.isfinite(value):
        raise AcsaError.single(
            Code.INVALID_FIELD, name, "{name} must be a finite number", name=name
        )

    return value


def sign_in_policy(environ: Mapping[str, str] | None = None) -> SignInPolicy:
    """The sign-in throttle's thresholds from ACSA_SIGN_IN_* (defaults: SignInPolicy's)."""
    env = os.environ if environ is None else environ
    default = SignInPolicy()
    return check_policy(
        SignInPolicy(
            free_failures=int(_number(env, ENV_SIGN_IN_FREE_FAILURES, default.free_failures, True)),
            delay_s=_number(env, ENV_SIGN_IN_DELAY_SECONDS, default.delay_s, False),
            delay_max_s=_number(env, ENV_SIGN_IN_DELAY_MAX_SECONDS, default.delay_max_s, False),
            account_lock_after=int(
                _number(env, ENV_SIGN_IN_LOCK_AFTER, default.account_lock_after, True)
            ),
            address_lock_after=int(
                _number(env, ENV_SIGN_IN_ADDRESS_LOCK_AFTER, default.address_lock_after, True)
            ),
            forget_after_s=60
            * _number(env, ENV_SIGN_IN_FORGET_MINUTES, default.forget_after_s / 60, False),
        )
    )


def token_max_days(environ: Mapping[str, str] | None = None) -> int:
    """The longest a token may live, in days: ACSA_TOKEN_MAX_DAYS (default 90)."""
    env = os.environ if environ is None else environ
    return check_token_max_days(int(_number(env, ENV_TOKEN_MAX_DAYS, TOKEN_DAYS_DEFAULT, True)))


def private_directory(path: Path) -> Path:
    """Make ``path`` and any missing parents owner-only (0700); directories that exist already
    are left as they are (``/tmp`` is not acsa's to change)."""
    missing: list[Path] = []
    probe = path
    while not probe.exists() and probe != probe.parent:
        missing.append(probe)
        probe = probe.parent
    for directory in reversed(missing):
        try:
            directory.mkdir(mode=PRIVATE_DIR_MODE)
        except FileExistsError:  # made by another process meanwhile: not ours to change
            continue
        # mkdir's mode goes through the umask; say exactly what is meant.
        os.chmod(directory, PRIVATE_DIR_MODE)
    return path


def create_private_file(path: Path) -> bool:
    """Create ``path`` empty and owner-only (0600) unless it exists; True if it was made.
    The directory it is in is made owner-only when it is missing (private_directory)."""
    private_directory(path.parent)
    try:
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, PRIVATE_FILE_MODE)
    except FileExistsError:
        return False
    os.close(fd)
    os.chmod(path, PRIVATE_FILE_MODE)
    return True
