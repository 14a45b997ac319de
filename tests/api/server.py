"""A real ``acsa serve`` process on 127.0.0.1 for API tests: start, wait, kill, restart."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx
from argon2 import PasswordHasher

from acsa.adapters.db.engine import make_engine
from acsa.adapters.db.unit_of_work import UnitOfWork
from acsa.services import users

ACSA = Path(sys.executable).parent / "acsa"
ROLES = ("viewer", "requester", "approver", "logistics", "finance", "auditor", "admin")


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@dataclass
class Server:
    """``acsa serve`` on ``db_url``; ``start()`` waits until /healthz answers."""

    db_url: str
    workers: int = 1
    port: int = field(default_factory=free_port)
    log: Path | None = None
    process: subprocess.Popen[bytes] | None = None

    @property
    def base(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def start(self, timeout_s: float = 30.0) -> Server:
        out = open(self.log, "ab") if self.log else subprocess.DEVNULL  # noqa: SIM115
        args = [str(ACSA), "serve", "--db", self.db_url, "--port", str(self.port)]
        if self.workers > 1:
            args += ["--workers", str(self.workers)]
        self.process = subprocess.Popen(
            args,
            stdout=out,
            stderr=subprocess.STDOUT,
            env={**os.environ, "NO_COLOR": "1"},
            # Its own process group: kill() takes the workers down with it.
            start_new_session=True,
        )
        deadline = time.monotonic() + timeout_s
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(f"acsa serve exited with {self.process.returncode}")
            try:
                if httpx.get(self.base + "/healthz", timeout=1).status_code == 200:
                    return self
            except httpx.HTTPError:
                pass
            time.sleep(0.1)
        self.stop()
        raise RuntimeError(f"acsa serve did not answer on {self.base} within {timeout_s} s")

    def kill(self) -> None:
        """SIGKILL: no shutdown, no flush; what the database holds is what survives."""
        if self.process is not None and self.process.poll() is None:
            os.killpg(self.process.pid, signal.SIGKILL)
            self.process.wait(10)
        self.process = None

    def stop(self) -> None:
        if self.process is not None and self.process.poll() is None:
            os.killpg(self.process.pid, signal.SIGTERM)
            try:
                self.process.wait(10)
            except subprocess.TimeoutExpired:
                os.killpg(self.process.pid, signal.SIGKILL)
                self.process.wait(10)
        self.process = None

    def __enter__(self) -> Server:
        return self.start()

    def __exit__(self, *exc: Any) -> None:
        self.stop()


class _HashedOnce(PasswordHasher):
    """The service's argon2id hasher with its own parameters, hashing each test password once
    per test process: every test's people get a real hash of their password (about 0.2 s of
    CPU each) without paying it again for each test's database."""

    def __init__(self, like: PasswordHasher, known: dict[str, str]) -> None:
        super().__init__(
            time_cost=like.time_cost,
            memory_cost=like.memory_cost,
            parallelism=like.parallelism,
            hash_len=like.hash_len,
            salt_len=like.salt_len,
            type=like.type,
        )
        self._known = known

    def hash(self, password: str | bytes, *, salt: bytes | None = None) -> str:
        key = password if isinstance(password, str) else password.decode()
        if salt is not None:
            return super().hash(password, salt=salt)
        if key not in self._known:
            self._known[key] = super().hash(password)
        return self._known[key]


_hashes: dict[str, str] = {}


@contextmanager
def passwords_hashed_once() -> Iterator[None]:
    """While it lasts, the service hashes each password once per test process (_HashedOnce)."""
    hasher = users._hasher
    users._hasher = _HashedOnce(hasher, _hashes)
    try:
        yield
    finally:
        users._hasher = hasher


@dataclass(frozen=True)
class Person:
    name: str
    nation: str
    roles: tuple[str, ...]
    token: str

    @property
    def headers(self) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.token}"}


def add_people(
    db_url: str, nations: tuple[str, ...] = ("JPN", "AUS", "FRA"), passwords: bool = True
) -> dict[str, Person]:
    """For each nation, one user per role (``JPN-approver``...) and one with every role
    (``JPN-all``), each with a token (and, with ``passwords``, the password
    ``password-<name>`` for the web pages); keyed by name. One transaction for all."""
    engine = make_engine(db_url)
    people: dict[str, Person] = {}
    uow = UnitOfWork(engine, hold=True)
    try:
        for nation in nations:
            for role in (*ROLES, "all"):
                roles = ROLES if role == "all" else (role,)
                name = f"{nation}-{role}"
                doc = {"name": name, "nation": nation, "roles": list(roles)}
                if passwords:
                    doc["password"] = "password-" + name
                with passwords_hashed_once():
                    users.add_user(uow, doc, actor="test")
                token = users.issue_token(uow, name, actor="test").token
                people[name] = Person(name, nation, roles, token)
        uow.finish()
    finally:
        uow.close()
        engine.dispose()
    return people
