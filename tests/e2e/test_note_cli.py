"""``acsa orders note ID --text TEXT`` end to end: the real entry point (forked, see
tests/e2e/cli.py) on a local database and through a real server (SQLite and PostgreSQL), where
the remote command has no code of its own: it sends the command the table describes."""

from __future__ import annotations

import json
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from acsa.domain import limits
from tests.api.server import Person, Server, add_people
from tests.e2e.cli import Result, run
from tests.orders_data import order_doc

#: The local command must not see a server in the environment.
NO_SERVER = {"ACSA_SERVER": "", "ACSA_TOKEN": ""}
#: The remote command must never open a database: this one cannot be opened.
NO_DATABASE = {"ACSA_DATABASE_URL": "sqlite:////nonexistent-dir/acsa.db"}
TEXT = "Fuel truck delayed at the gate:\n\texpect two hours late."


def ok(result: Result) -> Any:
    assert result.code == 0, (result.stdout, result.stderr)
    return result.json


def _order_file(tmp_path: Path) -> str:
    path = tmp_path / "order.json"
    path.write_text(json.dumps(order_doc()))
    return str(path)


def test_a_note_on_the_local_database_is_shown_and_changes_nothing_else(
    sqlite_url: str, tmp_path: Path
) -> None:
    db = ("--db", sqlite_url)
    placed = ok(run("orders", "new", "--file", _order_file(tmp_path), *db, "--json", env=NO_SERVER))
    oid = str(placed["id"])
    noted = run(
        "orders", "note", oid, "--text", TEXT, "--actor", "Lt K. Sato", *db, "--json", env=NO_SERVER
    )
    after = ok(noted)
    assert [(n["actor"], n["nation"], n["note"]) for n in after["notes"]] == [
        ("Lt K. Sato", None, TEXT)
    ]
    assert {k: after[k] for k in ("status", "version", "total", "history")} == {
        k: placed[k] for k in ("status", "version", "total", "history")
    }
    shown = run("orders", "show", oid, *db, env=NO_SERVER)
    assert shown.code == 0, shown.stderr
    assert "notes" in shown.stdout
    assert "Lt K. Sato" in shown.stdout
    assert "Fuel truck delayed at the gate:" in shown.stdout
    assert ok(run("orders", "show", oid, *db, "--json", env=NO_SERVER)) == after


@pytest.mark.parametrize(
    ("text", "code"),
    [
        ("", "MISSING_FIELD"),
        ("   ", "MISSING_FIELD"),
        ("x" * (limits.NOTE_CHARS_MAX + 1), "INVALID_FIELD"),
        ("bell\x07", "INVALID_FIELD"),
    ],
)
def test_a_note_that_is_not_one_is_refused_with_exit_2_and_writes_nothing(
    sqlite_url: str, tmp_path: Path, text: str, code: str
) -> None:
    db = ("--db", sqlite_url)
    oid = str(ok(run("orders", "new", "--file", _order_file(tmp_path), *db, "--json"))["id"])
    refused = run("orders", "note", oid, "--text", text, *db, "--json", env=NO_SERVER)
    assert refused.code == 2, (refused.stdout, refused.stderr)
    [error] = refused.json["errors"]
    assert (error["code"], error["field"]) == (code, "note")
    assert ok(run("orders", "show", oid, *db, "--json", env=NO_SERVER))["notes"] == []
    missing = run("orders", "note", "9999", "--text", "x", *db, "--json", env=NO_SERVER)
    assert missing.code == 2
    assert missing.json["errors"][0]["code"] == "ORDER_NOT_FOUND"


@dataclass
class Served:
    server: Server
    people: dict[str, Person]
    db_url: str

    def remote(self, who: str, *args: str) -> Result:
        env = {**NO_DATABASE, "ACSA_SERVER": self.server.base, "ACSA_TOKEN": self.people[who].token}
        return run(*args, env=env)

    def local(self, *args: str) -> Result:
        return run(*args, "--db", self.db_url, env=NO_SERVER)


@pytest.fixture
def served(db_url: str, tmp_path: Path) -> Iterator[Served]:
    people = add_people(db_url, nations=("JPN", "AUS", "FRA"))
    with Server(db_url, log=tmp_path / "serve.log") as server:
        yield Served(server, people, db_url)


def test_a_note_through_the_server_is_the_local_command_sent_as_the_token_s_user(
    served: Served, tmp_path: Path
) -> None:
    s = served
    placed = ok(
        s.remote("AUS-requester", "orders", "new", "--file", _order_file(tmp_path), "--json")
    )
    oid = str(placed["id"])
    noted = ok(s.remote("JPN-logistics", "orders", "note", oid, "--text", TEXT, "--json"))
    assert [(n["actor"], n["nation"], n["note"]) for n in noted["notes"]] == [
        ("JPN-logistics", "JPN", TEXT)
    ]
    assert noted["version"] == placed["version"]
    # What the server answered is what the order now is, read locally and remotely alike.
    assert ok(s.local("orders", "show", oid, "--json")) == noted
    remote_show = s.remote("AUS-viewer", "orders", "show", oid)
    local_show = s.local("orders", "show", oid)
    assert remote_show.code == local_show.code == 0
    assert remote_show.stdout == local_show.stdout
    assert "JPN-logistics (JPN)" in remote_show.stdout
    # Refusals come back with the local command's codes and exit status.
    viewer = s.remote("JPN-viewer", "orders", "note", oid, "--text", "x", "--json")
    assert viewer.code == 2
    assert viewer.json["errors"][0]["code"] == "FORBIDDEN"
    outsider = s.remote("FRA-all", "orders", "note", oid, "--text", "x", "--json")
    assert outsider.code == 2
    assert outsider.json["errors"][0]["code"] == "ORDER_NOT_FOUND"
    blank = s.remote("AUS-logistics", "orders", "note", oid, "--text", " ", "--json")
    assert blank.code == 2
    assert (blank.json["errors"][0]["code"], blank.json["errors"][0]["field"]) == (
        "MISSING_FIELD",
        "note",
    )
    actor = s.remote("AUS-logistics", "orders", "note", oid, "--text", "x", "--actor", "me")
    assert actor.code == 2  # through a server you act as your token's user
    assert [n["note"] for n in ok(s.local("orders", "show", oid, "--json"))["notes"]] == [TEXT]
