"""Fixtures of the exchange tests: two paired nodes serving on 127.0.0.1."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from acsa.adapters.db.engine import make_engine
from tests.conftest import _fresh_sqlite, _wipe_and_reload
from tests.exchange.nodes import Node, make_node, pair


@pytest.fixture
def nodes(
    tmp_path: Path, pg_url: str, monkeypatch: pytest.MonkeyPatch, _sqlite_template: Path
) -> Iterator[tuple[Node, Node]]:
    """AUS's node on a SQLite file, JPN's on PostgreSQL, paired and serving."""
    monkeypatch.setenv("ACSA_EXCHANGE_MAX_BACKOFF", "0.5")
    aus_url = _fresh_sqlite(_sqlite_template, tmp_path / "aus.db")
    engine = make_engine(pg_url)
    _wipe_and_reload(engine)
    engine.dispose()
    aus = make_node("AUS", aus_url, tmp_path)
    jpn = make_node("JPN", pg_url, tmp_path)
    pair(aus, jpn)
    with aus.server, jpn.server:
        yield aus, jpn
