"""A help page shown a second time is printed from the cache, as it was, without Typer; any
other command line, another terminal or environment, and a cache that cannot be written are
drawn as usual."""

from __future__ import annotations

import io
import os
import subprocess
import sys
from pathlib import Path

import pytest

from acsa import help_cache


def acsa(
    cache: Path, *argv: str, importtime: bool = False, **env: str
) -> subprocess.CompletedProcess[str]:
    """``python -m acsa ARGV`` (the console script's entry) with ``cache`` as the user's cache
    directory; with ``importtime``, stderr lists every module imported."""
    environ = {k: v for k, v in os.environ.items() if not k.startswith("ACSA_")}
    environ.update({"XDG_CACHE_HOME": str(cache), "COLUMNS": "100", **env})
    flags = ["-X", "importtime"] if importtime else []
    return subprocess.run(
        [sys.executable, *flags, "-m", "acsa", *argv],
        capture_output=True,
        text=True,
        env=environ,
        timeout=120,
        check=False,
    )


def imported(run: subprocess.CompletedProcess[str]) -> set[str]:
    return {line.rsplit("|", 1)[-1].strip() for line in run.stderr.splitlines() if "|" in line}


def pages(cache: Path) -> list[Path]:
    folder = cache / "acsa" / "help"
    return sorted(folder.iterdir()) if folder.exists() else []


def test_a_page_shown_again_is_the_same_page_without_typer(tmp_path: Path) -> None:
    drawn = acsa(tmp_path, "orders", "list", "--help", importtime=True)
    assert drawn.returncode == 0, drawn.stderr[-2000:]
    assert "Usage: acsa orders list" in drawn.stdout
    assert "typer" in imported(drawn)
    assert len(pages(tmp_path)) == 1

    again = acsa(tmp_path, "orders", "list", "--help", importtime=True)
    assert again.returncode == 0
    assert again.stdout == drawn.stdout
    assert "typer" not in imported(again)
    assert "acsa.cli" not in imported(again)


def test_another_terminal_width_or_language_draws_its_own_page(tmp_path: Path) -> None:
    narrow = acsa(tmp_path, "--help", COLUMNS="60")
    wide = acsa(tmp_path, "--help", COLUMNS="140")
    assert narrow.returncode == wide.returncode == 0
    assert max(len(line) for line in narrow.stdout.splitlines()) <= 60
    assert max(len(line) for line in wide.stdout.splitlines()) > 60
    assert acsa(tmp_path, "--help", COLUMNS="60").stdout == narrow.stdout
    acsa(tmp_path, "--help", COLUMNS="60", ACSA_LANG="ja")
    assert len(pages(tmp_path)) == 3


@pytest.mark.parametrize(
    "argv",
    [
        ["orders", "list", "--limit", "5", "--help"],  # an option: not only names
        ["orders", "--help", "list"],  # --help not last
        ["orders", "list"],  # no help asked
    ],
)
def test_only_a_line_of_names_then_help_is_kept(tmp_path: Path, argv: list[str]) -> None:
    acsa(tmp_path, *argv, ACSA_DATABASE_URL=f"sqlite:///{tmp_path / 'none.db'}")
    assert pages(tmp_path) == []
    assert not help_cache.wanted(argv)


def test_turned_off_or_unwritable_the_page_is_drawn_each_time(tmp_path: Path) -> None:
    off = acsa(tmp_path, "--help", ACSA_HELP_CACHE="0")
    assert off.returncode == 0
    assert "Usage: acsa" in off.stdout
    assert pages(tmp_path) == []
    blocked = tmp_path / "a-file"
    blocked.write_text("not a folder")
    for _ in range(2):
        shown = acsa(blocked, "--help", importtime=True)
        assert shown.returncode == 0, shown.stderr[-2000:]
        assert shown.stdout == off.stdout
        assert "typer" in imported(shown)


def test_the_digest_names_the_command_line_the_files_and_the_environment(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    out = io.StringIO()
    first = help_cache.digest(["orders", "--help"], out)
    assert help_cache.digest(["orders", "--help"], out) == first
    assert help_cache.digest(["ledger", "--help"], out) != first
    monkeypatch.setenv("ACSA_LANG", "ja-test")
    assert help_cache.digest(["orders", "--help"], out) != first
    monkeypatch.delenv("ACSA_LANG")
    stamps = help_cache._stamps()
    monkeypatch.setattr(help_cache, "_stamps", lambda: [*stamps, "changed.py:1:1"])
    assert help_cache.digest(["orders", "--help"], out) != first
