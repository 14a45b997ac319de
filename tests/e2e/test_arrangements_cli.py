"""acsa arrangements add|list|show|amend|end on a database file, an order placed with
--arrangement, and `invoices show` saying where the invoice goes; headings in Japanese with
--lang ja."""

from __future__ import annotations

import json
from pathlib import Path

import yaml

from tests.e2e.cli import run
from tests.integration.test_arrangements import REFERENCE, arrangement_doc
from tests.orders_data import order_doc


def test_arrangements_on_the_command_line(db_url: str, tmp_path: Path) -> None:
    db = db_url
    doc = arrangement_doc()
    doc.pop("payment_term_days")
    file = tmp_path / "ia.yaml"
    file.write_text(yaml.safe_dump(doc, allow_unicode=True), encoding="utf-8")
    added = run(
        "arrangements", "add", "JPN-AUS", "--file", str(file), "--payment-term", "45",
        "--db", db, "--json", "--actor", "admin",
    )  # fmt: skip
    assert added.code == 0, added.stderr
    assert (added.json["reference"], added.json["payment_term_days"]) == (REFERENCE, 45)
    again = run("arrangements", "add", "JPN-AUS", "--file", str(file), "--db", db, "--json")
    assert again.code != 0
    assert json.loads(again.stdout or again.stderr)["errors"][0]["code"] == "ARRANGEMENT_EXISTS"

    listed = run("arrangements", "list", "JPN-AUS", "--db", db)
    assert listed.code == 0, listed.stderr
    assert REFERENCE in listed.stdout
    assert "payment term (days)" in listed.stdout
    japanese = run("--lang", "ja", "arrangements", "list", "JPN-AUS", "--db", db)
    assert "支払期限（日）" in japanese.stdout
    assert "発効中" in japanese.stdout
    shown = run("arrangements", "show", "JPN-AUS", REFERENCE, "--db", db)
    assert shown.code == 0, shown.stderr
    for words in ("MOD Accounting Division", "Ms P. Harris", "points of contact"):
        assert words in shown.stdout, words

    amended = run(
        "arrangements", "amend", "JPN-AUS", REFERENCE, "--payment-term", "50", "--db", db, "--json"
    )
    assert amended.json["payment_term_days"] == 50

    order_file = tmp_path / "order.json"
    order_file.write_text(json.dumps(order_doc()), encoding="utf-8")
    placed = run(
        "orders", "new", "--file", str(order_file), "--arrangement", REFERENCE,
        "--db", db, "--json", "--actor", "carter",
    )  # fmt: skip
    assert placed.code == 0, placed.stderr
    assert (placed.json["arrangement"], placed.json["fund_citation"]) == (
        REFERENCE,
        "DEF cost centre 7731",
    )
    oid = str(placed.json["id"])
    for step in ("submit", "accept", "deliver", "receive"):
        done = run("orders", step, oid, "--db", db, "--json", "--actor", "x")
        assert done.code == 0, done.stderr
    issued = run("invoices", "issue", oid, "--db", db, "--json", "--actor", "harris")
    assert issued.code == 0, issued.stderr
    number = issued.json["number"]
    shown_invoice = run("invoices", "show", number, "--db", db)
    assert shown_invoice.code == 0, shown_invoice.stderr
    assert "bill to (paying office of AUS): Defence Finance Group, Accounts Payable" in (
        shown_invoice.stdout
    )
    assert "Canberra ACT 2600" in shown_invoice.stdout

    ended = run("arrangements", "end", "JPN-AUS", REFERENCE, "--ended", "2026-09-01", "--db", db)
    assert ended.code == 0, ended.stderr
    refused = run(
        "orders", "new", "--file", str(order_file), "--arrangement", REFERENCE,
        "--db", db, "--json",
    )  # fmt: skip
    assert refused.code != 0
    codes = [e["code"] for e in json.loads(refused.stdout or refused.stderr)["errors"]]
    assert codes == ["ARRANGEMENT_NOT_IN_FORCE"]
