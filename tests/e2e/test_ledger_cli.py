"""acsa ledger and acsa report exceptions end to end: the real command on a database (SQLite
file and PostgreSQL) settled through the services."""

from __future__ import annotations

from datetime import date

import pytest
from sqlalchemy import update

from acsa.adapters.db import tables as t
from acsa.adapters.db.engine import make_engine
from acsa.adapters.db.unit_of_work import UnitOfWork
from tests.e2e.cli import run
from tests.integration.test_ledger_views import scenario

AMOUNTS = (
    "owed_to_us",
    "owed_by_us",
    "awaiting_replacement",
    "awaiting_replacement_by_us",
    "net",
    "provided",
    "received",
)


@pytest.fixture
def books(db_url: str) -> dict[str, object]:
    """The settled scenario of the view tests, stored at ``db_url``."""
    engine = make_engine(db_url)
    try:
        cash, in_kind, back, number = scenario(UnitOfWork(engine))
    finally:
        engine.dispose()
    return {"url": db_url, "cash": cash, "in_kind": in_kind, "back": back, "invoice": number}


def ledger(books: dict[str, object], *args: str):
    return run("ledger", *args, "--db", str(books["url"]))


def test_balance_json_fields_amounts_as_strings_filters_and_table(books):
    result = ledger(books, "balance", "--json")
    assert result.code == 0, result.stderr
    rows = {(r["nation"], r["partner"], r["currency"]): r for r in result.json}
    jpn = rows[("JPN", "AUS", "JPY")]
    assert all(isinstance(jpn[k], str) for k in AMOUNTS)
    assert (jpn["owed_to_us"], jpn["owed_by_us"], jpn["awaiting_replacement"]) == (
        "95000",
        "10000",
        "0",
    )
    assert jpn["as_of"] is None
    aus = rows[("AUS", "JPN", "JPY")]
    assert aus["owed_by_us"] == jpn["owed_to_us"]
    result = ledger(
        books, "balance", "--nation", "jpn", "--partner", "AUS", "--as-of", "2026-03-01", "--json"
    )
    assert result.code == 0, result.stderr
    [row] = result.json
    assert (row["owed_to_us"], row["awaiting_replacement"], row["as_of"]) == (
        "60000",
        "40000",
        "2026-03-01",
    )
    result = ledger(books, "balance")
    assert result.code == 0, result.stderr
    assert "95,000 JPY" in result.stdout
    assert "owed to us" in result.stdout


def test_statement_json_table_and_coded_refusals(books):
    args = ("statement", "--nation", "JPN", "--partner", "AUS")
    result = ledger(books, *args, "--from", "2026-01-11", "--to", "2026-12-31", "--json")
    assert result.code == 0, result.stderr
    [s] = result.json
    assert (s["opening"], s["closing"], s["currency"]) == ("150000", "85000", "JPY")
    first = s["lines"][0]
    assert first["order"] == books["cash"]
    assert first["document"] == f"payment of invoice {books['invoice']}"
    assert (first["debit"], first["credit"], first["balance"]) == ("0", "40000", "110000")
    table = ledger(books, *args, "--from", "2026-01-11", "--to", "2026-12-31")
    assert table.code == 0, table.stderr
    assert "opening balance" in table.stdout
    assert "85,000 JPY" in table.stdout
    as_json = (*args, "--json")
    result = ledger(books, *as_json, "--from", "2026-02-30", "--to", "2026-12-31")
    assert result.code == 2
    assert result.json["errors"][0]["code"] == "INVALID_DATE"
    assert result.json["errors"][0]["field"] == "--from"
    result = ledger(books, *as_json, "--from", "2026-12-31", "--to", "2026-01-01")
    assert result.code == 2
    assert result.json["errors"][0]["code"] == "INVALID_DATE"
    result = ledger(books, "balance", "--nation", "XYZ", "--json")
    assert result.code == 2
    assert result.json["errors"][0]["code"] == "UNKNOWN_PARTY"


def test_statement_documents_read_in_the_commands_language(books):
    """A statement's documents are stored as references and read in --lang's language: in
    the table and in the JSON's document_text, the stored document unchanged."""
    period = ("--from", "2026-01-11", "--to", "2026-12-31", "--db", str(books["url"]))
    args = ("ledger", "statement", "--nation", "JPN", "--partner", "AUS", *period)
    paid = f"payment of invoice {books['invoice']}"
    english = run(*args, "--json")
    assert english.code == 0, english.stderr
    assert english.json[0]["lines"][0]["document_text"] == paid
    assert paid in run(*args).stdout
    japanese = run("--lang", "ja", *args, "--json")
    assert japanese.code == 0, japanese.stderr
    first = japanese.json[0]["lines"][0]
    assert first["document"] == paid
    assert first["document_text"] == f"請求書{books['invoice']}の支払"
    table = run("--lang", "ja", *args)
    assert table.code == 0, table.stderr
    assert f"請求書{books['invoice']}の支払" in table.stdout
    assert paid not in table.stdout


def test_aging_and_overdue_json(books):
    result = ledger(books, "aging", "--nation", "JPN", "--as-of", "2027-03-01", "--json")
    assert result.code == 0, result.stderr
    rows = {(r["partner"], r["direction"]): r for r in result.json}
    owed = rows[("AUS", "owed_to_us")]
    assert owed["total"] == "95000"
    assert owed["buckets"]["over 365"] == "60000"
    assert owed["buckets"]["31-90"] == "35000"
    assert rows[("AUS", "owed_by_us")]["total"] == "10000"
    result = ledger(books, "overdue", "--as-of", "2027-03-01", "--json")
    assert result.code == 0, result.stderr
    kinds = {(o["kind"], o["order"], o["amount"]) for o in result.json}
    assert kinds == {
        ("invoice_past_due", books["cash"], "60000"),
        ("invoice_past_due", books["in_kind"], "35000"),
    }
    table = ledger(books, "aging", "--as-of", "2027-03-01")
    assert table.code == 0, table.stderr
    assert "60,000 JPY" in table.stdout


def test_verify_passes_then_names_a_tampered_balance(books):
    result = ledger(books, "verify", "--json")
    assert result.code == 0, result.stderr
    assert result.json["ok"] is True
    engine = make_engine(str(books["url"]))
    with engine.begin() as conn:
        conn.execute(
            update(t.ledger_balances)
            .where(t.ledger_balances.c.book == "AUS", t.ledger_balances.c.account == "cash")
            .values(amount_minor=0)
        )
    engine.dispose()
    result = ledger(books, "verify", "--json")
    assert result.code == 2
    [error] = result.json["errors"]
    assert error["field"] == "ledger_balances"
    assert "AUS's cash" in error["message"]


def test_report_exceptions_json(books):
    result = run("report", "exceptions", "--as-of", "2026-02-01", "--db", str(books["url"]))
    assert result.code == 0, result.stderr
    result = run(
        "report", "exceptions", "--as-of", "2026-02-01", "--json", "--db", str(books["url"])
    )
    assert result.code == 0, result.stderr
    found = {(e["kind"], e["order"]): e for e in result.json}
    not_invoiced = found[("received_not_invoiced", books["back"])]
    assert (not_invoiced["value"], not_invoiced["currency"], not_invoiced["age_days"]) == (
        "10000",
        "JPY",
        0,
    )
    assert not_invoiced["nations"] == ["AUS", "JPN"]
    assert date.fromisoformat(not_invoiced["since"]) == date(2026, 2, 1)
