"""A real ``acsa serve`` process on 127.0.0.1 for API tests: start, wait, kill, restart."""

from __future__ import annotations

import atexit
import json
import os
import signal
import socket
import subprocess
import sys
import threading
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


#: The zygote: a process that imports what ``acsa serve`` runs (and builds the app once, so
#: that the imports it does on first use and its compiled translations are done), then forks
#: a child per server. Each child is a real process in a session of its own, running the
#: console script's ``main(["serve", ...])`` with its own environment, working directory and
#: log, and is signalled and killed like one started afresh; it only skips seconds of imports.
_ZYGOTE = r"""
import json, os, sys, traceback
from acsa.cli import main
from sqlalchemy import create_engine
import uvicorn
from acsa.api.app import create_app

create_app(create_engine("sqlite://"))
exited = {}

def child(request):
    os.setsid()
    log = os.open(request["log"], os.O_WRONLY | os.O_CREAT | os.O_APPEND, 0o644)
    os.dup2(os.open(os.devnull, os.O_RDONLY), 0)
    os.dup2(log, 1)
    os.dup2(log, 2)
    os.environ.clear()
    os.environ.update(request["env"])
    os.chdir(request["cwd"])
    sys.argv = ["acsa", *request["args"]]
    code = 0
    try:
        main(request["args"])
    except SystemExit as stop:
        code = stop.code if isinstance(stop.code, int) else 0 if stop.code is None else 1
    except BaseException:
        traceback.print_exc()
        code = 1
    finally:
        sys.stdout.flush()
        sys.stderr.flush()
    os._exit(code)

def reap():
    while True:
        try:
            pid, status = os.waitpid(-1, os.WNOHANG)
        except ChildProcessError:
            return
        if pid == 0:
            return
        exited[pid] = os.waitstatus_to_exitcode(status)

for line in sys.stdin:
    request = json.loads(line)
    if request["op"] == "start":
        pid = os.fork()
        if pid == 0:
            try:
                child(request)
            finally:
                os._exit(70)
        # a pid the system gives again: what an earlier child of that pid exited with is not
        # this one's (it read as "exited with -9" at once, the earlier server's kill)
        exited.pop(pid, None)
        reply = {"pid": pid}
    else:
        reap()
        reply = {"code": exited.get(request["pid"])}
    sys.stdout.write(json.dumps(reply) + "\n")
    sys.stdout.flush()
"""


class _Zygote:
    """The test process's one zygote (see _ZYGOTE), asked one thing at a time."""

    def __init__(self) -> None:
        self._process = subprocess.Popen(
            [sys.executable, "-c", _ZYGOTE],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            text=True,
            env={**os.environ, "NO_COLOR": "1"},
        )
        self._lock = threading.Lock()

    def ask(self, request: dict[str, Any]) -> dict[str, Any]:
        assert self._process.stdin is not None
        assert self._process.stdout is not None
        with self._lock:
            self._process.stdin.write(json.dumps(request) + "\n")
            self._process.stdin.flush()
            line = self._process.stdout.readline()
        if not line:  # it could not import acsa (its traceback is on stderr): nor could serve
            raise RuntimeError(f"the test servers' zygote exited with {self._process.wait(30)}")
        answer: dict[str, Any] = json.loads(line)
        return answer

    def close(self) -> None:
        assert self._process.stdin is not None
        self._process.stdin.close()
        self._process.wait(30)


_zygote: _Zygote | None = None
_zygote_lock = threading.Lock()


@dataclass
class Forked:
    """A server process forked by the zygote: what Server needs of a ``Popen``."""

    args: list[str]
    pid: int
    returncode: int | None = None

    def poll(self) -> int | None:
        if self.returncode is None and _zygote is not None:
            self.returncode = _zygote.ask({"op": "poll", "pid": self.pid})["code"]
        return self.returncode

    def wait(self, timeout: float | None = None) -> int:
        deadline = None if timeout is None else time.monotonic() + timeout
        while (code := self.poll()) is None:
            if deadline is not None and time.monotonic() > deadline:
                raise subprocess.TimeoutExpired(self.args, timeout or 0)
            time.sleep(0.02)
        return code


def fork_serve(args: list[str], log: Path | None, env: dict[str, str]) -> Forked:
    """``acsa ARGS`` (a server) in a child of the zygote, started on first use."""
    global _zygote  # noqa: PLW0603 - one zygote per test process, made on first use
    with _zygote_lock:
        if _zygote is None:
            _zygote = _Zygote()
            atexit.register(_zygote.close)
    request = {
        "op": "start",
        "args": args,
        "log": str(log) if log else os.devnull,
        "env": env,
        "cwd": os.getcwd(),
    }
    return Forked(args, int(_zygote.ask(request)["pid"]))


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
    process: subprocess.Popen[bytes] | Forked | None = None
    #: More environment for the server (``{"ACSA_ALERTS_INTERVAL": "1"}``).
    env: dict[str, str] = field(default_factory=dict)

    @property
    def base(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def start(self, timeout_s: float = 30.0) -> Server:
        args = ["serve", "--db", self.db_url, "--port", str(self.port)]
        if self.workers > 1:
            args += ["--workers", str(self.workers)]
        # Its own session (process group): kill() takes the workers down with it.
        self.process = fork_serve(args, self.log, {**os.environ, "NO_COLOR": "1", **self.env})
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
