"""The acsa command end to end: the real entry point on a real SQLite file (and PostgreSQL)."""

from __future__ import annotations

import json
import sqlite3
from pathlib import Path

import pytest

from tests.e2e.cli import run, spawned_run
from tests.orders_data import order_doc


@pytest.fixture
def db(tmp_path: Path) -> str:
    url = f"sqlite:///{tmp_path / 'cli.db'}"
    assert run("init", "--db", url).code == 0
    return url


def write(tmp_path: Path, name: str, document: object) -> str:
    path = tmp_path / name
    path.write_text(json.dumps(document))
    return str(path)


def dump(url: str) -> list[str]:
    """The file's whole content as SQL, to compare byte for byte."""
    with sqlite3.connect(url.removeprefix("sqlite:///")) as conn:
        return list(conn.iterdump())


def test_init_is_idempotent_and_reports_what_it_loaded(tmp_path):
    url = f"sqlite:///{tmp_path / 'x.db'}"
    first = run("init", "--db", url, "--json")
    assert first.code == 0, first.stderr
    assert first.json["agreements_added"] == 11
    before = dump(url)
    again = run("init", "--db", url, "--json")
    assert again.json["agreements_added"] == 0
    assert dump(url) == before


def test_commands_refuse_a_database_without_schema(tmp_path):
    result = run("orders", "list", "--db", f"sqlite:///{tmp_path / 'empty.db'}", "--json")
    assert result.code == 2
    assert "acsa init" in result.json["errors"][0]["message"]


@pytest.mark.parametrize(
    ("as_of", "count"), [("2024-01-29", 7), ("2025-12-01", 8), ("2025-12-19", 10)]
)
def test_agreements_as_of_reproduce_the_articles_counts(db, as_of, count):
    result = run("agreements", "list", "--party", "JPN", "--as-of", as_of, "--db", db, "--json")
    assert result.code == 0, result.stderr
    assert len(result.json) == count


def test_agreement_json_has_the_documented_fields(db):
    result = run("agreements", "show", "JPN-NZL", "--db", db, "--json")
    agreement = result.json
    for key in (
        "id",
        "parties",
        "signed",
        "in_force",
        "status",
        "activities",
        "categories",
        "excluded",
        "settlement_methods",
        "sources",
    ):
        assert key in agreement
    assert agreement["parties"] == ["JPN", "NZL"]
    assert agreement["signed"] == "2025-12-19"
    assert agreement["in_force"] is None
    assert agreement["status"] == "signed"
    assert "weapons" in agreement["excluded"]


def test_agreement_status_as_of_a_date(db):
    before = run("agreements", "list", "--as-of", "2025-09-04", "--db", db, "--json").json
    after = run("agreements", "list", "--as-of", "2025-09-05", "--db", db, "--json").json
    status = {a["id"]: a["status"] for a in before}
    assert status["JPN-ITA"] == "signed"
    assert {a["id"]: a["status"] for a in after}["JPN-ITA"] == "in_force"


def test_unknown_agreement_is_a_coded_refusal(db):
    result = run("agreements", "show", "JPN-XXX", "--db", db, "--json")
    assert result.code == 2
    assert result.json["errors"][0]["code"] == "AGREEMENT_NOT_FOUND"


def test_full_lifecycle_with_partial_delivery_and_receipt(db, tmp_path):
    file = write(tmp_path, "order.json", order_doc())
    created = run("orders", "new", "--file", file, "--db", db, "--json", "--actor", "Lt Sato")
    assert created.code == 0, created.stderr
    order = created.json
    assert order["status"] == "draft"
    oid = str(order["id"])
    assert run("orders", "submit", oid, "--db", db, "--json").json["status"] == "submitted"
    assert run("orders", "accept", oid, "--db", db, "--json").json["status"] == "accepted"
    partial = run(
        "orders", "deliver", oid, "--line", "1=5000", "--line", "2=400", "--db", db, "--json"
    ).json
    assert partial["status"] == "partially_delivered"
    assert [ln["quantity_delivered"] for ln in partial["lines"]] == ["5000", "400", "0"]
    received = run(
        "orders",
        "receive",
        oid,
        "--line",
        "1=4990",
        "--line",
        "2=400",
        "--note",
        "10 L short",
        "--db",
        db,
        "--json",
    ).json
    assert received["status"] == "partially_received"
    assert received["lines"][0]["quantity_short"] == "10"
    assert run("orders", "deliver", oid, "--db", db, "--json").json["status"] == "delivered"
    final = run("orders", "receive", oid, "--db", db, "--json", env={"ACSA_ACTOR": "Sgt Lee"})
    assert final.json["status"] == "received"
    assert len(final.json["history"]) == 7  # an action prints the order with its whole history
    shown = run("orders", "show", oid, "--db", db, "--json").json
    history = shown["history"]
    assert [h["action"] for h in history] == [
        "create",
        "submit",
        "accept",
        "deliver",
        "receive",
        "deliver",
        "receive",
    ]
    assert history[0]["actor"] == "Lt Sato"
    assert history[-1]["actor"] == "Sgt Lee"
    assert all(h["at"].endswith(("Z", "+00:00")) for h in history)
    listed = run("orders", "list", "--status", "received", "--db", db, "--json").json
    assert [o["id"] for o in listed] == [order["id"]]
    for key in ("id", "status", "agreement", "requester", "supplier", "lines", "history"):
        assert key in listed[0]


def test_refused_submit_prints_coded_errors_exits_2_and_changes_nothing(db, tmp_path):
    file = write(tmp_path, "nz.json", order_doc(agreement="JPN-NZL", requester="NZL"))
    created = run("orders", "new", "--file", file, "--db", db, "--json")
    assert created.code == 0
    assert [v["code"] for v in created.json["violations"]] == ["AGREEMENT_NOT_IN_FORCE"]
    before = dump(db)
    refused = run("orders", "submit", str(created.json["id"]), "--db", db, "--json")
    assert refused.code == 2
    [error] = refused.json["errors"]
    assert set(error) == {"code", "field", "message", "clause", "message_id", "params"}
    assert error["code"] == "AGREEMENT_NOT_IN_FORCE"
    assert error["field"] == "order_date"
    assert error["clause"].startswith("JPN-NZL")
    assert dump(db) == before


def test_malformed_order_file_reports_every_error_and_writes_nothing(db, tmp_path):
    doc = order_doc()
    doc["lines"][0].update(quantity="0", currency="XXX")
    doc["lines"][1].update(unit_price="-3")
    before = dump(db)
    result = run("orders", "new", "--file", write(tmp_path, "bad.json", doc), "--db", db, "--json")
    assert result.code == 2
    codes = {(e["code"], e["field"]) for e in result.json["errors"]}
    assert codes == {
        ("INVALID_QUANTITY", "lines[0].quantity"),
        ("UNKNOWN_CURRENCY", "lines[0].currency"),
        ("INVALID_PRICE", "lines[1].unit_price"),
    }
    assert dump(db) == before


def test_invalid_transition_and_bad_line_syntax_are_refused(db, tmp_path):
    oid = str(
        run(
            "orders", "new", "--file", write(tmp_path, "o.json", order_doc()), "--db", db, "--json"
        ).json["id"]
    )
    before = dump(db)
    wrong = run("orders", "receive", oid, "--db", db, "--json")
    assert (wrong.code, wrong.json["errors"][0]["code"]) == (2, "INVALID_TRANSITION")
    syntax = run("orders", "deliver", oid, "--line", "one=5", "--db", db, "--json")
    assert (syntax.code, syntax.json["errors"][0]["code"]) == (2, "INVALID_FIELD")
    assert syntax.json["errors"][0]["field"].startswith("--line")
    quantity = run("orders", "deliver", oid, "--line", "1=five", "--db", db, "--json")
    assert (quantity.code, quantity.json["errors"][0]["code"]) == (2, "INVALID_QUANTITY")
    assert dump(db) == before


def test_refusal_without_json_goes_to_stderr_as_a_table(db):
    result = run("orders", "show", "42", "--db", db)
    assert result.code == 2
    assert "ORDER_NOT_FOUND" in result.stderr


def test_environment_selects_the_database(db, tmp_path):
    result = run("agreements", "list", "--json", env={"ACSA_DATABASE_URL": db})
    assert result.code == 0
    assert len(result.json) == 11


def test_info_and_help_say_where_the_default_database_is(tmp_path):
    # The installed script started afresh (the other tests fork it from one that imported it).
    env = {"XDG_DATA_HOME": str(tmp_path / "data"), "ACSA_DATABASE_URL": ""}
    info = spawned_run("info", "--json", env=env)
    assert info.code == 0, info.stderr
    assert info.json["default_database"] == str(tmp_path / "data" / "acsa" / "acsa.db")
    assert info.json["schema_revision"] is None
    help_text = spawned_run("--help", env=env).stdout
    assert "ACSA_DATABASE_URL" in help_text
    assert "acsa.db" in help_text


def test_add_and_amend_agreements_from_files(db, tmp_path):
    doc = {
        "id": "AUS-NZL",
        "title": "example",
        "parties": ["AUS", "NZL"],
        "versions": [
            {
                "label": "2024 text",
                "signed": "2024-03-01",
                "in_force": "2024-06-01",
                "activities": ["exercise"],
                "categories": ["fuel"],
                "settlement_methods": ["cash"],
            }
        ],
    }
    added = run("agreements", "add", "--file", write(tmp_path, "a.json", doc), "--db", db, "--json")
    assert added.code == 0, added.stdout
    assert added.json["status"] == "in_force"
    amendment = {
        "label": "2026 amendment",
        "signed": "2026-01-01",
        "in_force": "2026-02-01",
        "activities": ["exercise", "disaster_response"],
        "categories": ["fuel", "food"],
        "settlement_methods": ["cash", "equal_value_exchange"],
    }
    amended = run(
        "agreements",
        "amend",
        "AUS-NZL",
        "--file",
        write(tmp_path, "m.json", amendment),
        "--db",
        db,
        "--json",
    )
    assert amended.code == 0, amended.stdout
    assert amended.json["version"] == 2
    assert "disaster_response" in amended.json["activities"]
    old = run("agreements", "show", "AUS-NZL", "--as-of", "2025-01-01", "--db", db, "--json")
    assert old.json["version"] == 1


def test_the_cli_works_on_postgresql_too(pg_url, tmp_path):
    file = write(tmp_path, "order.json", order_doc())
    created = run("orders", "new", "--file", file, "--db", pg_url, "--json")
    assert created.code == 0, created.stderr
    oid = str(created.json["id"])
    for action in ("submit", "accept", "deliver", "receive"):
        result = run("orders", action, oid, "--db", pg_url, "--json")
        assert result.code == 0, result.stdout
    assert result.json["status"] == "received"


def test_an_order_id_too_large_for_the_database_is_refused_naming_it(db):
    """Ids are bounded as the API bounds them (1 to 2^31 - 1): past that, the command line
    itself is refused, before any database is asked."""
    result = run("orders", "show", "99999999999999999999", "--db", db, "--json")
    assert result.code == 2
    [error] = result.json["errors"]
    assert (error["code"], error["field"]) == ("INVALID_INPUT", "ID")
    assert "2147483647" in error["message"]
    largest = run("orders", "show", "2147483647", "--db", db, "--json")
    assert largest.code == 2
    assert largest.json["errors"][0]["code"] == "ORDER_NOT_FOUND"
