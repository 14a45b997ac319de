"""Run the real ``acsa`` console script: in a child forked from one process that imported it
once (``run``, alias ``forked_run``: 0.2 s a command line instead of 2-3 s of imports), or
started afresh from the installed script (``spawned_run``)."""

from __future__ import annotations

import atexit
import json
import os
import subprocess
import sys
import threading
from dataclasses import dataclass
from pathlib import Path
from typing import Any

ACSA = Path(sys.executable).parent / "acsa"


@dataclass
class Result:
    code: int
    stdout: str
    stderr: str

    @property
    def json(self) -> Any:
        return json.loads(self.stdout)


def spawned_run(*args: str, env: dict[str, str] | None = None) -> Result:
    """The installed ``acsa`` script in a new process (interpreter start and imports too)."""
    full_env = {**os.environ, "COLUMNS": "200", **(env or {})}
    done = subprocess.run(
        [str(ACSA), *args], capture_output=True, text=True, env=full_env, timeout=120, check=False
    )
    return Result(done.returncode, done.stdout, done.stderr)


#: The forker: a process that imports the ``acsa`` command once, then forks a child per
#: command line. Each child is a real process running the console script's ``main`` with its
#: own arguments, environment, stdout and stderr (an uncaught exception prints the
#: interpreter's traceback and exits 1, as the installed script would), without paying the
#: second of imports each time. For corpora of hundreds of command lines.
_FORKER = r"""
import json, os, sys, tempfile, time, traceback
from acsa.cli import main

# The command imports what a command needs when it runs (acsa --help stays light); the forker
# imports all of it once, so that each child pays for none of it.
import importlib, pkgutil, acsa
for _found in pkgutil.walk_packages(acsa.__path__, "acsa."):
    if _found.name.endswith("__main__") or _found.name.startswith("acsa.migrations"):
        continue
    importlib.import_module(_found.name)
import matplotlib
matplotlib.use("Agg")
import matplotlib.pyplot, openpyxl, reportlab.pdfgen.canvas  # noqa: E401

def child(request, out, err):
    os.dup2(os.open(os.devnull, os.O_RDONLY), 0)
    os.dup2(out.fileno(), 1)
    os.dup2(err.fileno(), 2)
    if request.get("replace_env"):
        os.environ.clear()
    os.environ.update(request["env"])
    if request.get("cwd"):
        os.chdir(request["cwd"])
    if request.get("umask") is not None:
        os.umask(request["umask"])
    sys.argv = ["acsa", *request["args"]]
    code = 0
    try:
        main(request["args"])
    except SystemExit as stop:
        if isinstance(stop.code, int) or stop.code is None:
            code = stop.code or 0
        else:
            print(stop.code, file=sys.stderr)
            code = 1
    except BaseException:
        traceback.print_exc()
        code = 1
    finally:
        sys.stdout.flush()
        sys.stderr.flush()
    os._exit(code)

for line in sys.stdin:
    request = json.loads(line)
    with tempfile.TemporaryFile() as out, tempfile.TemporaryFile() as err:
        pid = os.fork()
        if pid == 0:
            try:
                child(request, out, err)
            finally:
                os._exit(70)
        deadline = time.monotonic() + request["timeout"]
        while True:
            done, status = os.waitpid(pid, os.WNOHANG)
            if done:
                break
            if time.monotonic() > deadline:
                os.kill(pid, 9)
                os.waitpid(pid, 0)
                status = 9
                break
            time.sleep(0.005)
        texts = []
        for stream in (out, err):
            stream.seek(0)
            texts.append(stream.read().decode("utf-8", "replace"))
    code = os.waitstatus_to_exitcode(status) if status != 9 else -9
    sys.stdout.write(json.dumps({"code": code, "stdout": texts[0], "stderr": texts[1]}) + "\n")
    sys.stdout.flush()
"""


class Forker:
    """Runs many ``acsa`` command lines, each in a real child process forked from one that has
    imported the command already (see _FORKER). Use as a context manager."""

    def __init__(self) -> None:
        # No COLUMNS while acsa is imported: its consoles then read the width of each child's
        # environment (a console made with COLUMNS set keeps that width for good).
        env = {k: v for k, v in os.environ.items() if k != "COLUMNS"}
        self._process = subprocess.Popen(
            [sys.executable, "-c", _FORKER],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            text=True,
            env=env,
        )
        self._lock = threading.Lock()  # one command line at a time, whichever thread asks

    def run(
        self,
        *args: str,
        env: dict[str, str] | None = None,
        timeout: int = 120,
        replace_env: bool = False,
    ) -> Result:
        """``acsa ARGS`` in a child: with ``env`` added to the forker's environment, or (with
        ``replace_env``) in exactly ``env`` and the caller's working directory and umask, as
        a new process would be started."""
        assert self._process.stdin is not None
        assert self._process.stdout is not None
        request = {
            "args": list(args),
            "env": (env or {}) if replace_env else {"COLUMNS": "200", **(env or {})},
            "timeout": timeout,
            "replace_env": replace_env,
            "cwd": os.getcwd() if replace_env else None,
            "umask": _umask() if replace_env else None,
        }
        with self._lock:
            self._process.stdin.write(json.dumps(request) + "\n")
            self._process.stdin.flush()
            line = self._process.stdout.readline()
        if not line:  # it could not import acsa (its traceback is on stderr)
            raise RuntimeError(f"the acsa forker exited with {self._process.wait(30)}")
        reply = json.loads(line)
        return Result(reply["code"], reply["stdout"], reply["stderr"])

    def __enter__(self) -> Forker:
        return self

    def __exit__(self, *exc: object) -> None:
        assert self._process.stdin is not None
        self._process.stdin.close()
        self._process.wait(timeout=30)


def _umask() -> int:
    """The process's umask, read without setting it (Linux), else set and put back."""
    status = Path("/proc/self/status")
    if status.exists():
        for line in status.read_text().splitlines():
            if line.startswith("Umask:"):
                return int(line.split()[1], 8)
    mask = os.umask(0o077)
    os.umask(mask)
    return mask


_forker: Forker | None = None
_forker_lock = threading.Lock()


def forked_run(*args: str, env: dict[str, str] | None = None) -> Result:
    """``acsa ARGS`` through one Forker per test process (started on first use, ended at
    exit): the child sees the test's environment, working directory and umask of the moment,
    as ``spawned_run``'s process does."""
    global _forker  # noqa: PLW0603 - one forker per process, made on first use
    with _forker_lock:
        if _forker is None:
            _forker = Forker()
            atexit.register(_forker.__exit__)
    full_env = {**os.environ, "COLUMNS": "200", **(env or {})}
    return _forker.run(*args, env=full_env, replace_env=True)


run = forked_run
