"""acsa designations add|list|end|policy on a real database (SQLite and PostgreSQL), and the
rule through the CLI: `orders submit` refused NOT_DESIGNATED (exit 2, nothing written) until
the acting user is designated within the order's value."""

from __future__ import annotations

import json
from pathlib import Path

from tests.e2e.cli import run
from tests.orders_data import order_doc


def _designate(db: str, user: str, limit: str, *more: str) -> dict[str, object]:
    made = run(
        "designations",
        "add",
        user,
        "--role",
        "ordering",
        "--limit",
        limit,
        "--currency",
        "JPY",
        "--from",
        "2020-01-01",
        "--reference",
        "AUS-DO-2026/17",
        "--reference-date",
        "2019-12-20",
        *more,
        "--db",
        db,
        "--json",
    )
    assert made.code == 0, made.stderr
    return dict(made.json)


def test_designations_on_the_command_line_and_submit_needs_one(db_url: str, tmp_path: Path) -> None:
    db = db_url
    added = run("users", "add", "sato", "--nation", "AUS", "--role", "requester", "--db", db)
    assert added.code == 0, added.stderr
    file = tmp_path / "order.json"
    file.write_text(json.dumps(order_doc()), encoding="utf-8")
    created = run("orders", "new", "--file", str(file), "--db", db, "--json", "--actor", "sato")
    assert created.code == 0, created.stderr
    oid = str(created.json["id"])
    # Nothing designated yet: AUS enforces nothing.
    policy = run("designations", "policy", "AUS", "--db", db, "--json")
    assert policy.json == {"nation": "AUS", "required": False, "separation": True}
    small = _designate(db, "sato", "1000000")
    assert (small["user"], small["role"], small["current"]) == ("sato", "ordering", True)
    above = run("orders", "submit", oid, "--db", db, "--json", "--actor", "sato")
    assert above.code == 2
    assert [e["code"] for e in above.json["errors"]] == ["AUTHORITY_EXCEEDED"]
    stranger = run("orders", "submit", oid, "--db", db, "--json", "--actor", "Sgt Nobody")
    assert [e["code"] for e in stranger.json["errors"]] == ["NOT_DESIGNATED"]
    shown = run("orders", "show", oid, "--db", db, "--json")
    assert (shown.json["status"], shown.json["version"]) == ("draft", 1)
    _designate(db, "sato", "5000000")
    listed = run("designations", "list", "--nation", "AUS", "--db", db, "--json")
    assert [d["limit"] for d in listed.json] == ["1000000", "5000000"]
    submitted = run("orders", "submit", oid, "--db", db, "--json", "--actor", "sato")
    assert submitted.code == 0, submitted.stderr
    ended = run("designations", "end", str(small["id"]), "--on", "2021-01-01", "--db", db, "--json")
    assert (ended.code, ended.json["ended_on"]) == (0, "2021-01-01")
    again = run("designations", "end", str(small["id"]), "--db", db, "--json")
    assert again.code == 2
    assert again.json["errors"][0]["code"] == "INVALID_TRANSITION"
    off = run("designations", "policy", "AUS", "--not-required", "--db", db, "--json")
    assert off.json["required"] is False
    table = run("designations", "list", "--nation", "AUS", "--db", db)
    assert "ended 2021-01-01" in table.stdout
    assert "AUS-DO-2026/17" in table.stdout
