"""acsa approvals tiers|queue|approve|return on a real database (SQLite and PostgreSQL):
`orders submit` refused APPROVAL_REQUIRED (exit 2, the draft unchanged) until each tier's
approver approved it; several drafts approved at once, one refused (exit 2, each reported);
a draft returned with a comment."""

from __future__ import annotations

import json
from pathlib import Path

from tests.e2e.cli import run
from tests.orders_data import order_doc


def _user(db: str, name: str, *roles: str) -> None:
    args = [a for r in roles for a in ("--role", r)]
    added = run("users", "add", name, "--nation", "AUS", *args, "--db", db)
    assert added.code == 0, added.stderr


def _placed(db: str, file: Path, who: str) -> str:
    created = run("orders", "new", "--file", str(file), "--db", db, "--json", "--actor", who)
    assert created.code == 0, created.stderr
    return str(created.json["id"])


def test_approvals_on_the_command_line(db_url: str, tmp_path: Path) -> None:
    db = db_url
    _user(db, "sato", "requester")
    _user(db, "boss", "approver")
    _user(db, "chief", "approver", "requester")
    file = tmp_path / "order.json"
    file.write_text(json.dumps(order_doc()), encoding="utf-8")
    tiers = run(
        "approvals", "tiers", "AUS", "--set", "2000000", "--set", "1000000",
        "--currency", "JPY", "--db", db, "--json",
    )  # fmt: skip
    assert tiers.code == 0, tiers.stderr
    assert [(t["tier"], t["threshold"]) for t in tiers.json["tiers"]] == [
        (1, "1000000"),
        (2, "2000000"),
    ]
    oid = _placed(db, file, "sato")
    refused = run("orders", "submit", oid, "--db", db, "--json", "--actor", "sato")
    assert refused.code == 2
    assert [e["code"] for e in refused.json["errors"]] == ["APPROVAL_REQUIRED"]
    queue = run("approvals", "queue", "--nation", "AUS", "--db", db, "--actor", "boss")
    assert queue.code == 0, queue.stderr
    assert "2,644,020 JPY" in queue.stdout
    assert "tier 1 (above 1,000,000 JPY)" in queue.stdout
    first = run("approvals", "approve", oid, "--db", db, "--actor", "boss")
    assert (first.code, first.stdout.strip()) == (0, f"Order {oid}: tier 1 approved")
    twice = run("approvals", "approve", oid, "--db", db, "--json", "--actor", "boss")
    assert twice.code == 2
    assert [(r["ok"], r["code"]) for r in twice.json["results"]] == [(False, "SAME_APPROVER")]
    run("approvals", "approve", oid, "--db", db, "--actor", "chief")
    submitted = run("orders", "submit", oid, "--db", db, "--json", "--actor", "sato")
    assert submitted.code == 0, submitted.stderr
    shown = run("orders", "show", oid, "--db", db)
    said = " ".join(shown.stdout.split())
    assert "Authorised by" in said
    assert "Tier 1: boss" in said
    assert "Tier 2: chief" in said
    shown_ja = run("--lang", "ja", "orders", "show", oid, "--db", db)
    assert "第 1 段階：boss" in " ".join(shown_ja.stdout.split())
    # Several at once: chief's own draft is refused, the others approved.
    one, own, two = _placed(db, file, "sato"), _placed(db, file, "chief"), _placed(db, file, "sato")
    bulk = run(
        "approvals", "approve", one, own, two, "--comment", "weekly review",
        "--db", db, "--json", "--actor", "chief",
    )  # fmt: skip
    assert bulk.code == 2
    assert [(r["order_id"], r["ok"], r["code"]) for r in bulk.json["results"]] == [
        (int(one), True, None),
        (int(own), False, "SELF_APPROVAL"),
        (int(two), True, None),
    ]
    back = run("approvals", "return", one, "--comment", "split it", "--db", db, "--actor", "boss")
    assert (back.code, back.stdout.strip()) == (0, f"Order {one}: returned to its requester")
    again = run("--lang", "ja", "approvals", "approve", two, "--db", db, "--actor", "boss")
    assert (again.code, again.stdout.strip()) == (0, f"発注 {two}：第 2 段階を承認しました")
    listed = run("approvals", "queue", "--nation", "AUS", "--db", db, "--json")
    assert [i["order_id"] for i in listed.json["items"]] == [int(own)]
    assert listed.json["totals"] == [
        {"partner": "JPN", "currency": "JPY", "count": 1, "total": "2644020"}
    ]
    tiers_ja = run("--lang", "ja", "approvals", "tiers", "AUS", "--db", db)
    assert tiers_ja.stdout.strip() == (
        "AUS: 第 1 段階：1,000,000 JPY 超, 第 2 段階：2,000,000 JPY 超"
    )
