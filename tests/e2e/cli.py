"""Run the real ``acsa`` console script in a subprocess (``run``), or in a child forked from
one that imported it once (``forked_run``, for long corpora)."""

from __future__ import annotations

import atexit
import json
import os
import subprocess
import sys
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


def run(*args: str, env: dict[str, str] | None = None) -> Result:
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

def child(request, out, err):
    os.dup2(os.open(os.devnull, os.O_RDONLY), 0)
    os.dup2(out.fileno(), 1)
    os.dup2(err.fileno(), 2)
    os.environ.update(request["env"])
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
        env = {**os.environ, "COLUMNS": "200"}
        self._process = subprocess.Popen(
            [sys.executable, "-c", _FORKER],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            text=True,
            env=env,
        )

    def run(self, *args: str, env: dict[str, str] | None = None, timeout: int = 120) -> Result:
        assert self._process.stdin is not None
        assert self._process.stdout is not None
        request = {"args": list(args), "env": env or {}, "timeout": timeout}
        self._process.stdin.write(json.dumps(request) + "\n")
        self._process.stdin.flush()
        reply = json.loads(self._process.stdout.readline())
        return Result(reply["code"], reply["stdout"], reply["stderr"])

    def __enter__(self) -> Forker:
        return self

    def __exit__(self, *exc: object) -> None:
        assert self._process.stdin is not None
        self._process.stdin.close()
        self._process.wait(timeout=30)


_forker: Forker | None = None


def forked_run(*args: str, env: dict[str, str] | None = None) -> Result:
    """``run`` through one Forker per test process (started on first use, ended at exit)."""
    global _forker  # noqa: PLW0603 - one forker per process, made on first use
    if _forker is None:
        _forker = Forker()
        atexit.register(_forker.__exit__)
    return _forker.run(*args, env=env)
