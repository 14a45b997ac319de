"""``acsa courier status`` and ``acsa node show`` through a server as on the local database:
the same report, and on an installation that is not a node the same coded refusal
(NODE_NOT_INITIALISED) with the same exit code, both ways; against a real ``acsa serve``."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

from tests.api.server import Person, Server, add_people
from tests.e2e.cli import Result, run

NO_DATABASE = {"ACSA_DATABASE_URL": "sqlite:////nonexistent-dir/acsa.db"}
NO_SERVER = {"ACSA_SERVER": "", "ACSA_TOKEN": ""}


@dataclass
class Served:
    server: Server
    person: Person
    db_url: str

    def remote(self, *args: str) -> Result:
        env = {**NO_DATABASE, "ACSA_SERVER": self.server.base, "ACSA_TOKEN": self.person.token}
        return run(*args, env=env)

    def local(self, *args: str) -> Result:
        return run(*args, "--db", self.db_url, env=NO_SERVER)


def _served(db_url: str, tmp_path: Path) -> Iterator[Served]:
    people = add_people(db_url, nations=("JPN",), passwords=False)
    with Server(db_url, log=tmp_path / "serve.log") as server:
        yield Served(server, people["JPN-all"], db_url)


@pytest.fixture
def not_a_node(sqlite_url: str, tmp_path: Path) -> Iterator[Served]:
    yield from _served(sqlite_url, tmp_path)


@pytest.fixture
def node(sqlite_url: str, tmp_path: Path) -> Iterator[Served]:
    made = run(
        "node",
        "init",
        "--nation",
        "JPN",
        "--key-file",
        str(tmp_path / "jpn.key"),
        "--db",
        sqlite_url,
        env=NO_SERVER,
    )
    assert made.code == 0, made.stderr
    partner = run(
        "partners",
        "add",
        "NZL",
        "--url",
        "https://nzl.example.org",
        "--key",
        "ed25519:" + "A" * 43 + "=",
        "--db",
        sqlite_url,
        env=NO_SERVER,
    )
    assert partner.code == 0, partner.stderr
    yield from _served(sqlite_url, tmp_path)


@pytest.mark.parametrize("command", [("courier", "status"), ("node", "show")])
def test_not_a_node_is_the_same_coded_refusal_locally_and_remotely(
    not_a_node: Served, command: tuple[str, ...]
) -> None:
    local = not_a_node.local(*command, "--json")
    remote = not_a_node.remote(*command, "--json")
    assert local.code == remote.code == 2
    assert [e["code"] for e in local.json["errors"]] == ["NODE_NOT_INITIALISED"]
    assert remote.json["errors"][0]["code"] == "NODE_NOT_INITIALISED"
    assert remote.json["errors"][0]["field"] == local.json["errors"][0]["field"]
    for printed in (not_a_node.local(*command), not_a_node.remote(*command)):
        assert printed.code == 2
        assert printed.stdout == ""
        assert "NODE_NOT_INITIALISED" in printed.stderr


def test_courier_status_through_a_server_is_the_local_report(node: Served) -> None:
    local = node.local("courier", "status", "--json")
    remote = node.remote("courier", "status", "--json")
    assert local.code == remote.code == 0, (local.stderr, remote.stderr)
    assert remote.json == local.json
    assert remote.json["node"]["nation"] == "JPN"
    assert [p["partner"] for p in remote.json["partners"]] == ["NZL"]
    # The previous release's word, kept as an alias, answers the same.
    assert node.remote("exchange", "status", "--json").stdout == remote.stdout
    table = node.remote("courier", "status")
    assert table.code == 0, table.stderr
    assert table.stdout == node.local("courier", "status").stdout
    shown = node.remote("node", "show")
    assert shown.code == 0, shown.stderr
    assert shown.stdout == node.local("node", "show").stdout


def test_audit_log_through_a_server_is_newest_first_and_oldest_on_request(node: Served) -> None:
    for name in ("first", "second", "third"):  # records of JPN's own people
        made = node.remote("tokens", "new", "JPN-all", "--name", name, "--json")
        assert made.code == 0, made.stderr
    oldest = node.remote("audit", "log", "--oldest", "--json")
    assert oldest.code == 0, oldest.stderr
    chain = [r["seq"] for r in oldest.json]
    assert len(chain) >= 2
    assert chain == sorted(chain)
    newest = node.remote("audit", "log", "--limit", "2", "--json")
    assert [r["seq"] for r in newest.json] == chain[::-1][:2]
