"""Disputes with the real ``acsa`` command, on SQLite and PostgreSQL and through a server:
``acsa disputes open`` a receipt's dispute, ``show``, ``list``, ``report``, ``answer`` with a
credit note; each refusal coded with exit code 2 and nothing written; `ledger verify` and
`audit verify` stay clean."""

from __future__ import annotations

import json
from pathlib import Path

from acsa.adapters.db.engine import make_engine
from tests.e2e.cli import run
from tests.e2e.test_remote_cli import served_sqlite
from tests.integration.dump import content
from tests.orders_data import order_doc

__all__ = ["served_sqlite"]


def dump(url: str) -> object:
    engine = make_engine(url)
    try:
        return content(engine)
    finally:
        engine.dispose()


def _received(db: str, tmp_path: Path) -> tuple[str, str]:
    file = tmp_path / "order.json"
    file.write_text(json.dumps(order_doc()), encoding="utf-8")
    oid = str(run("orders", "new", "--file", str(file), "--db", db, "--json").json["id"])
    for step in ("submit", "accept", "deliver", "receive"):
        assert run("orders", step, oid, "--db", db, "--json").code == 0
    history = run("orders", "show", oid, "--db", db, "--json").json["history"]
    seq = next(e["seq"] for e in history if e["action"] == "receive")
    return oid, f"receipt:{seq}"


def test_disputes_on_the_command_line(db_url: str, tmp_path: Path) -> None:
    db = db_url
    oid, receipt = _received(db, tmp_path)
    opening = (
        "disputes", "open", oid, "--step", receipt, "--ground", "quantity", "--reason",
        "40 cases short", "--db", db, "--json", "--side", "requester",
    )  # fmt: skip
    before = dump(db)
    too_much = run(*opening, "--amount", "999999999")
    assert (too_much.code, too_much.json["errors"][0]["code"]) == (2, "DISPUTE_EXCEEDS_WORTH")
    no_side = run(*opening[:-2], "--amount", "10")
    assert (no_side.code, no_side.json["errors"][0]["code"]) == (2, "MISSING_FIELD")
    assert dump(db) == before
    [opened] = run(*opening, "--amount", "74000").json
    number = opened["number"]
    assert (opened["status"], opened["opened_by"], opened["amount"]) == ("open", "AUS", "74000")
    shown = run("disputes", "show", oid, "--db", db)
    assert shown.code == 0
    assert number in shown.stdout
    account = run("settle", "show", oid, "--db", db, "--json").json
    assert account["disputed"] == "74000"
    table = run("settle", "show", oid, "--db", db).stdout
    assert "disputed" in table
    assert "74,000" in table
    listed = run("disputes", "list", "--status", "open", "--nation", "AUS", "--db", db, "--json")
    assert [d["number"] for d in listed.json] == [number]
    bad = run("disputes", "list", "--status", "shut", "--db", db, "--json")
    assert (bad.code, bad.json["errors"][0]["code"]) == (2, "INVALID_FIELD")
    [row] = run("disputes", "report", "--nation", "AUS", "--db", db, "--json").json
    assert (row["partner"], row["open"], row["open_value"]) == ("JPN", 1, "74000")

    period = ("--nation", "JPN", "--partner", "AUS", "--from", "2000-01-01", "--to", "2100-01-01")
    statement = run("ledger", "statement", *period, "--db", db)
    assert statement.code == 0, statement.stderr
    assert "under dispute" in statement.stdout
    japanese = run("--lang", "ja", "ledger", "statement", *period, "--db", db)
    assert "係争中" in japanese.stdout
    [shown] = run("ledger", "statement", *period, "--db", db, "--json").json
    assert shown["disputed"] == "74000"
    invoice = run("invoices", "issue", oid, "--db", db, "--json").json
    answer = ("disputes", "answer", oid, number, "--db", db, "--json")
    own = run(*answer, "--resolution", "accept", "--side", "requester")
    assert (own.code, own.json["errors"][0]["code"]) == (2, "DISPUTE_WRONG_SIDE")
    [done] = run(
        *answer, "--resolution", "credit_note", "--agreed", "74000", "--side", "supplier"
    ).json
    assert (done["status"], done["resolution"], done["agreed"]) == (
        "resolved",
        "credit_note",
        "74000",
    )
    bill = run("invoices", "show", invoice["number"], "--db", db, "--json").json
    assert bill["credited"] == "74000"
    again = run(*answer, "--resolution", "accept", "--side", "supplier")
    assert (again.code, again.json["errors"][0]["code"]) == (2, "DISPUTE_CLOSED")
    assert run("ledger", "verify", "--db", db, "--json").json["ok"] is True
    assert run("audit", "verify", "--db", db, "--json").json["ok"] is True


def test_disputes_through_a_server_answer_as_on_the_database(served_sqlite) -> None:
    s = served_sqlite
    placed = s.remote("AUS-requester", "orders", "new", "--file", s.file("o.json", order_doc()))
    assert placed.code == 0, placed.stderr
    oid = str(s.remote("AUS-requester", "orders", "list", "--json").json[0]["id"])
    for who, step in (
        ("AUS-requester", "submit"),
        ("JPN-approver", "accept"),
        ("JPN-logistics", "deliver"),
        ("AUS-logistics", "receive"),
    ):
        assert s.remote(who, "orders", step, oid).code == 0
    invoice = s.remote("JPN-finance", "invoices", "issue", oid, "--json").json
    opened = s.remote(
        "AUS-finance", "disputes", "open", oid, "--step", f"invoice:{invoice['number']}",
        "--ground", "price_basis", "--amount", "5000", "--reason", "old price list", "--json",
    )  # fmt: skip
    assert opened.code == 0, opened.stderr
    [d] = opened.json
    theirs = s.remote(
        "AUS-finance", "disputes", "answer", oid, d["number"], "--resolution", "accept", "--json"
    )
    assert theirs.json["errors"][0]["code"] == "DISPUTE_WRONG_SIDE"
    [written] = s.remote(
        "JPN-finance", "disputes", "answer", oid, d["number"], "--resolution", "write_off",
        "--agreed", "5000", "--note", "price list of 2025", "--json",
    ).json  # fmt: skip
    assert (written["resolution"], written["answered_by"]) == ("write_off", "JPN")
    listed = s.remote("JPN-finance", "disputes", "list", "--json").json
    local = s.local("disputes", "show", oid, "--json").json
    assert [x["number"] for x in listed] == [x["number"] for x in local] == [d["number"]]
    [row] = s.remote("AUS-auditor", "disputes", "report", "--json").json
    assert (row["partner"], row["closed"], row["credited"]) == ("JPN", 1, "5000")
    assert s.local("ledger", "verify", "--json").json["ok"] is True
