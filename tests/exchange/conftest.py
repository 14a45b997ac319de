"""Fixtures of the exchange tests: two paired nodes serving on 127.0.0.1."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from acsa.adapters.db.engine import make_engine
from tests.conftest import _wipe_and_reload
from tests.exchange.nodes import Node, make_node, pair


@pytest.fixture
def nodes(
    tmp_path: Path, pg_url: str, monkeypatch: pytest.MonkeyPatch
) -> Iterator[tuple[Node, Node]]:
    """AUS's node on a SQLite file, JPN's on PostgreSQL, paired and serving."""
    monkeypatch.setenv("ACSA_EXCHANGE_MAX_BACKOFF", "0.5")
    aus_url = f"sqlite:///{tmp_path / 'aus.db'}"
    subprocess_init(aus_url)
    engine = make_engine(pg_url)
    _wipe_and_reload(engine)
    engine.dispose()
    aus = make_node("AUS", aus_url, tmp_path)
    jpn = make_node("JPN", pg_url, tmp_path)
    pair(aus, jpn)
    with aus.server, jpn.server:
        yield aus, jpn


def subprocess_init(url: str) -> None:
    from acsa.services.setup import init_database

    engine = make_engine(url)
    init_database(engine)
    engine.dispose()
