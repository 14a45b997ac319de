"""Where audit checkpoints live outside the database, and the key that signs them.

Checkpoints of a database's chain are files in ``<checkpoint dir>/<database id>/``: the
checkpoint directory is ``ACSA_CHECKPOINT_DIR``, else ``<data dir>/acsa/checkpoints``; the
database id is a digest of the database's address (SQLite: the file's absolute path; PostgreSQL:
host, port and name), so the checkpoints of two databases never mix. A node signs with its node
key; any other installation with its installation key, ``ACSA_INSTALLATION_KEY``, else
``<data dir>/acsa/installation.key``, made on first use, 0600 in a 0700 directory, and kept
apart from the database on purpose: whoever can rewrite the database file should not also hold
the key that vouches for it.
"""

from __future__ import annotations

import hashlib
import os
import threading
from collections.abc import Callable
from pathlib import Path

from platformdirs import user_data_path
from sqlalchemy import URL

from acsa.adapters.signing import NodeKey, parse_public, verify
from acsa.domain.checkpoint import Checkpoint, parse_checkpoint
from acsa.domain.errors import AcsaError, Code

ENV_CHECKPOINT_DIR = "ACSA_CHECKPOINT_DIR"
ENV_INSTALLATION_KEY = "ACSA_INSTALLATION_KEY"
INSTALLATION = "installation"

#: Posts a checkpoint's JSON to a URL; answers an error text, or None when it was taken.
PostCheckpoint = Callable[[str, bytes], str | None]

_lock = threading.Lock()
_keys: dict[Path, NodeKey] = {}


def checkpoint_root() -> Path:
    """The directory that holds every database's checkpoints."""
    explicit = os.environ.get(ENV_CHECKPOINT_DIR)
    return Path(explicit) if explicit else user_data_path("acsa", appauthor=False) / "checkpoints"


def database_id(url: URL) -> str:
    """A name for the database, stable while it stays where it is, saying nothing of it."""
    if url.get_backend_name() == "sqlite" and url.database not in (None, "", ":memory:"):
        place = "sqlite:" + str(Path(str(url.database)).resolve())
    else:
        place = f"{url.get_backend_name()}:{url.host}:{url.port}:{url.database}"
    return hashlib.sha256(place.encode()).hexdigest()[:16]


def installation_key_path() -> Path:
    explicit = os.environ.get(ENV_INSTALLATION_KEY)
    if explicit:
        return Path(explicit)
    return user_data_path("acsa", appauthor=False) / "installation.key"


def installation_key(create: bool = True) -> NodeKey | None:
    """This installation's key, made (0600) on first use when ``create``; None if absent."""
    path = installation_key_path()
    with _lock:
        key = _keys.get(path)
        if key is not None:
            return key
        if not path.exists():
            if not create:
                return None
            NodeKey.generate().save(path)
        key = NodeKey.load(path)
        _keys[path] = key
        return key


def signature_ok(checkpoint: Checkpoint) -> bool:
    """Whether ``checkpoint`` is signed by the key it names."""
    try:
        public = parse_public(checkpoint.key, "key")
    except AcsaError:
        return False
    return verify(public, checkpoint.signed_bytes(), checkpoint.signature)


class CheckpointStore:
    """One database's checkpoint files."""

    def __init__(self, root: Path, database: str) -> None:
        self.directory = root / database

    def save(self, checkpoint: Checkpoint) -> Path:
        try:
            self.directory.mkdir(parents=True, exist_ok=True, mode=0o700)
        except OSError as error:
            raise AcsaError.single(
                Code.INVALID_INPUT,
                ENV_CHECKPOINT_DIR,
                "cannot make the checkpoint directory {path}: {reason}",
                path=str(self.directory),
                reason=error.strerror,
            ) from None
        stamp = checkpoint.at.strftime("%Y%m%dT%H%M%S%fZ")
        path = self.directory / f"{checkpoint.seq:012d}-{stamp}.json"
        write_checkpoint(checkpoint, path)
        return path

    def latest(self) -> Checkpoint | None:
        """The checkpoint of the longest chain (the newest among equals), or None."""
        if not self.directory.is_dir():
            return None
        names = sorted(p.name for p in self.directory.glob("*.json"))
        return read_checkpoint(self.directory / names[-1]) if names else None

    def count(self) -> int:
        return len(list(self.directory.glob("*.json"))) if self.directory.is_dir() else 0


def write_checkpoint(checkpoint: Checkpoint, path: Path) -> None:
    """Write ``checkpoint`` to ``path`` whole (a temporary file renamed into place), or
    INVALID_INPUT naming the file when it cannot be written."""
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        partial = path.with_name(path.name + ".partial")
        partial.write_text(checkpoint.text(), encoding="utf-8")
        partial.replace(path)
    except OSError as error:
        raise AcsaError.single(
            Code.INVALID_INPUT,
            "out",
            "cannot write the checkpoint to {path}: {reason}",
            path=str(path),
            reason=error.strerror,
        ) from None


def read_checkpoint(path: Path) -> Checkpoint:
    """The checkpoint in ``path``, or CHECKPOINT_INVALID saying why it cannot be read."""
    try:
        with path.open("rb") as stream:
            text = stream.read(64_000)
    except OSError as error:
        raise AcsaError.single(
            Code.CHECKPOINT_INVALID,
            "checkpoint",
            "cannot read {path}: {reason}",
            path=str(path),
            reason=error.strerror,
        ) from None

    return parse_checkpoint(text)


def http_post_checkpoint(timeout: float = 10.0) -> PostCheckpoint:
    """A poster of checkpoints to partner nodes over HTTP."""
    import httpx

    def post(url: str, body: bytes) -> str | None:
        try:
            response = httpx.post(
                url, content=body, headers={"Content-Type": "application/json"}, timeout=timeout
            )
        except httpx.HTTPError as error:
            return f"{type(error).__name__}: {error}"
        return None if response.status_code < 300 else f"HTTP {response.status_code}"

    return post
