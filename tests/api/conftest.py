"""API tests run against a real ``acsa serve`` process on 127.0.0.1 (SQLite and PostgreSQL)."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import httpx
import pytest

from tests.api.server import Person, Server, add_people


@dataclass
class Api:
    """A running server, the people who may use it, and a client."""

    server: Server
    people: dict[str, Person]
    client: httpx.Client
    db_url: str

    def as_(self, name: str) -> dict[str, str]:
        return self.people[name].headers

    def url(self, path: str) -> str:
        return self.server.base + path


@pytest.fixture
def api(db_url: str, tmp_path: Path) -> Iterator[Api]:
    """A server over a fresh database (registry only) with JPN, AUS and FRA people."""
    people = add_people(db_url, passwords=False)
    with (
        Server(db_url, log=tmp_path / "serve.log") as server,
        httpx.Client(base_url=server.base + "/api/v1", timeout=30) as client,
    ):
        yield Api(server, people, client, db_url)
