"""Help pages already shown: ``acsa orders --help`` printed again without importing Typer.

A help page depends only on the command line asked, acsa's own files, the libraries that draw
it, the environment (the language, the terminal's kind) and the terminal (whether it is one,
its size). The first time a page is asked for, it is drawn as usual and kept in the user's cache
directory (``~/.cache/acsa/help``) under a digest of all of those; the next time, the same digest
finds it and it is printed as it was, which costs a stat of acsa's files instead of importing
Typer and Rich. Any change to any of them is another digest, drawn anew.

Only a command line of command names followed by ``--help`` is kept (``acsa --help``, ``acsa
orders list --help``): nothing else in it could do anything, so replaying the page skips
nothing. ``ACSA_HELP_CACHE=0`` turns it off. This module imports nothing of Typer or acsa.
"""

from __future__ import annotations

import hashlib
import importlib.util
import os
import re
import shutil
import sys
import tempfile
from pathlib import Path
from typing import Any, TextIO

#: Set to 0 to draw every help page anew.
ENV_HELP_CACHE = "ACSA_HELP_CACHE"
#: A command name on a command line whose help is kept.
_WORD = re.compile(r"[a-z][a-z0-9-]{0,40}")
#: The most command names before ``--help`` (the deepest command is two below the root).
_MOST_WORDS = 3
#: The libraries that draw a help page: their files' stamps go into the digest.
_DRAWN_BY = ("typer", "rich", "click")
#: Pages kept at most; past that, the oldest are removed.
_KEPT = 500


def wanted(argv: list[str]) -> bool:
    """Whether ``argv`` only asks for a help page (``[name ...] --help``) and pages are kept."""
    if os.environ.get(ENV_HELP_CACHE, "1") == "0":
        return False
    if not argv or argv[-1] != "--help" or len(argv) - 1 > _MOST_WORDS:
        return False
    return all(_WORD.fullmatch(word) for word in argv[:-1])


def digest(argv: list[str], out: TextIO) -> str:
    """The name of ``argv``'s page as ``out`` would show it now (see the module's text)."""
    h = hashlib.sha256()

    def add(*parts: object) -> None:
        for part in parts:
            h.update(str(part).encode("utf-8", "surrogateescape"))
            h.update(b"\0")

    add("argv", *argv)
    add("python", sys.version, sys.executable)
    for name, value in sorted(os.environ.items()):
        add(name, value)
    tty = _isatty(out)
    add("tty", tty, *(shutil.get_terminal_size() if tty else ()))
    add("stamps", *_stamps())
    return h.hexdigest()


def show(name: str, out: TextIO) -> bool:
    """Print the page kept under ``name`` on ``out``; False when none is kept."""
    try:
        page = (_folder() / name).read_bytes()
    except OSError:
        return False
    out.flush()
    buffer = getattr(out, "buffer", None)
    if buffer is not None:
        buffer.write(page)
        buffer.flush()
    else:
        out.write(page.decode("utf-8"))
        out.flush()
    return True


def keep(name: str, page: str) -> None:
    """Keep ``page`` under ``name``, written whole or not at all; a cache that cannot be
    written (a read-only home) is no failure: the page is drawn again next time."""
    folder = _folder()
    try:
        folder.mkdir(parents=True, exist_ok=True)
        kept = sorted(folder.glob("*"), key=_modified)
        for old in kept[: max(0, len(kept) - _KEPT + 1)]:
            old.unlink(missing_ok=True)
        handle, temporary = tempfile.mkstemp(dir=folder, prefix=".part-")
        with os.fdopen(handle, "wb") as file:
            file.write(page.encode("utf-8"))
        os.replace(temporary, folder / name)
    except OSError:
        return


class Recorder:
    """Stands for stdout while a page is drawn: writes through, and keeps what was written;
    asked anything else (is it a terminal, its number, its encoding), answers as stdout."""

    def __init__(self, real: TextIO) -> None:
        self.real = real
        self.parts: list[str] = []

    def write(self, text: str) -> int:
        written = self.real.write(text)  # first: a probe with bytes is refused, not kept
        self.parts.append(text)
        return written

    def flush(self) -> None:
        self.real.flush()

    def text(self) -> str:
        return "".join(self.parts)

    def __getattr__(self, name: str) -> Any:
        return getattr(self.real, name)


def _isatty(out: TextIO) -> bool:
    try:
        return out.isatty()
    except (AttributeError, ValueError):
        return False


def _stamps() -> list[str]:
    """Size and modification time of every file of acsa and of the libraries drawing help."""
    roots = [Path(__file__).resolve().parent]
    for library in _DRAWN_BY:
        spec = importlib.util.find_spec(library)
        if spec is not None and spec.origin:
            roots.append(Path(spec.origin).parent)
    stamps: list[str] = []
    for root in roots:
        for folder, _dirs, files in sorted(os.walk(root)):
            if "__pycache__" in folder:
                continue
            for file in sorted(files):
                if file.endswith((".py", ".po")):
                    stat = os.stat(os.path.join(folder, file))
                    stamps.append(f"{folder}/{file}:{stat.st_size}:{stat.st_mtime_ns}")
    return stamps


def _modified(path: Path) -> float:
    try:
        return path.stat().st_mtime
    except OSError:
        return 0.0


def _folder() -> Path:
    from platformdirs import user_cache_path

    return user_cache_path("acsa") / "help"
