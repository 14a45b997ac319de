"""``acsa orders edit ID --file order.json`` end to end: the real entry point (forked, see
tests/e2e/cli.py) on a local database and through a real server (SQLite and PostgreSQL), where
the remote command sends the command the table describes (PUT on the order)."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from tests.api.server import Server, add_people
from tests.e2e.cli import Result, run
from tests.e2e.test_note_cli import NO_SERVER, Served
from tests.orders_data import order_doc


def ok(result: Result) -> Any:
    assert result.code == 0, (result.stdout, result.stderr)
    return result.json


def written(tmp_path: Path, name: str, doc: dict[str, Any]) -> str:
    path = tmp_path / name
    path.write_text(json.dumps(doc))
    return str(path)


def fewer_lines() -> dict[str, Any]:
    doc = order_doc(needed_by="2026-10-07", location="Townsville")
    doc["lines"] = [doc["lines"][1]]
    return doc


def test_a_draft_is_edited_on_the_local_database_and_only_a_draft(
    sqlite_url: str, tmp_path: Path
) -> None:
    db = ("--db", sqlite_url)
    placed = ok(
        run("orders", "new", "--file", written(tmp_path, "a.json", order_doc()), *db, "--json")
    )
    oid = str(placed["id"])
    edited = ok(
        run(
            "orders",
            "edit",
            oid,
            "--file",
            written(tmp_path, "b.json", fewer_lines()),
            *db,
            "--json",
            env=NO_SERVER,
        )
    )
    assert (edited["status"], edited["version"]) == ("draft", placed["version"] + 1)
    assert (edited["needed_by"], edited["location"]) == ("2026-10-07", "Townsville")
    assert [(ln["number"], ln["description"]) for ln in edited["lines"]] == [
        (1, "Combat rations, 24h")
    ]
    shown = run("orders", "show", oid, *db, env=NO_SERVER)
    assert shown.code == 0, shown.stderr
    assert "Townsville" in shown.stdout
    # a malformed file is refused, naming the field; nothing changes
    broken = {**fewer_lines(), "needed_by": "soon"}
    refused = run(
        "orders", "edit", oid, "--file", written(tmp_path, "c.json", broken), *db, "--json"
    )
    assert refused.code == 2, (refused.stdout, refused.stderr)
    assert [e["field"] for e in refused.json["errors"]] == ["needed_by"]
    ok(run("orders", "submit", oid, *db, "--json", env=NO_SERVER))
    late = run("orders", "edit", oid, "--file", written(tmp_path, "d.json", order_doc()), *db)
    assert late.code == 2
    assert "INVALID_TRANSITION" in late.stdout + late.stderr


@pytest.fixture
def served(db_url: str, tmp_path: Path) -> Iterator[Served]:
    people = add_people(db_url, nations=("JPN", "AUS"), passwords=False)
    with Server(db_url, log=tmp_path / "serve.log") as server:
        yield Served(server, people, db_url)


def test_an_edit_through_the_server_is_the_local_command_sent_as_the_token_s_user(
    served: Served, tmp_path: Path
) -> None:
    s = served
    first = written(tmp_path, "a.json", order_doc())
    oid = str(ok(s.remote("AUS-requester", "orders", "new", "--file", first, "--json"))["id"])
    second = written(tmp_path, "b.json", fewer_lines())
    edited = ok(s.remote("AUS-requester", "orders", "edit", oid, "--file", second, "--json"))
    assert [e["action"] for e in edited["history"]] == ["create", "edit"]
    assert edited["history"][-1]["actor"] == "AUS-requester"
    assert ok(s.local("orders", "show", oid, "--json")) == edited
    other = s.remote("JPN-all", "orders", "edit", oid, "--file", second, "--json")
    assert other.code == 2
    assert other.json["errors"][0]["code"] == "FORBIDDEN"
