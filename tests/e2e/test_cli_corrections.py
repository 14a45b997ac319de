"""Corrections with the real ``acsa`` command on a SQLite file: ``acsa payments reverse``,
``acsa invoices void`` and ``acsa invoices credit``, each with --reason, printed as the invoice
now stands (JSON and table), each refusal coded with exit code 2 and nothing written; ``acsa
ledger verify`` stays clean."""

from __future__ import annotations

from pathlib import Path

from tests.e2e.cli import run
from tests.e2e.test_cli import db, dump, write
from tests.e2e.test_remote_cli import served_sqlite
from tests.orders_data import order_doc

__all__ = ["db", "served_sqlite"]


def _received(db: str, tmp_path: Path) -> str:
    file = write(tmp_path, "order.json", order_doc())
    oid = str(run("orders", "new", "--file", file, "--db", db, "--json").json["id"])
    for step in ("submit", "accept", "deliver", "receive"):
        assert run("orders", step, oid, "--db", db, "--json").code == 0
    return oid


def test_reverse_void_and_credit_from_the_command_line(db: str, tmp_path: Path) -> None:
    oid = _received(db, tmp_path)
    invoice = run("invoices", "issue", oid, "--db", db, "--json").json
    number = invoice["number"]
    paid = run(
        "payments", "record", number, "--amount", "1000", "--date", invoice["issued"],
        "--db", db, "--json",
    ).json  # fmt: skip
    payment = str(paid["payments"][0]["id"])

    # A void while a payment stands: coded, exit 2, nothing written.
    before = dump(db)
    refused = run("invoices", "void", number, "--reason", "citation", "--db", db, "--json")
    assert refused.code == 2
    assert [e["code"] for e in refused.json["errors"]] == ["INVOICE_HAS_PAYMENTS"]
    no_reason = run("payments", "reverse", payment, "--db", db)
    assert no_reason.code == 2
    assert "--reason" in no_reason.stderr
    assert dump(db) == before

    reversed_ = run(
        "payments", "reverse", payment, "--reason", "sent twice", "--db", db, "--json",
        "--actor", "Maj. Brown",
    ).json  # fmt: skip
    assert (reversed_["paid"], reversed_["payments"][0]["reversed"]) == ("0", True)
    [fix] = reversed_["corrections"]
    assert (fix["kind"], fix["reason"], fix["actor"]) == ("reversal", "sent twice", "Maj. Brown")
    again = run("payments", "reverse", payment, "--reason", "x", "--db", db, "--json")
    assert (again.code, again.json["errors"][0]["code"]) == (2, "PAYMENT_REVERSED")

    voided = run("invoices", "void", number, "--reason", "citation", "--db", db, "--json").json
    assert voided["status"] == "void"
    shown = run("invoices", "show", number, "--db", db)
    assert shown.code == 0
    assert "void" in shown.stdout
    assert "(reversed)" in shown.stdout
    assert f"payment #1 of {number} reversed" in shown.stdout

    fresh = run("invoices", "issue", oid, "--db", db, "--json").json
    assert fresh["amount"] == invoice["amount"]
    credited = run(
        "invoices", "credit", fresh["number"], "--amount", "80020", "--reason", "water price",
        "--db", db, "--json",
    ).json  # fmt: skip
    assert (credited["credited"], credited["billed"]) == (
        "80020",
        str(int(invoice["amount"]) - 80020),
    )
    too_much = run(
        "invoices", "credit", fresh["number"], "--amount", invoice["amount"], "--reason", "x",
        "--db", db, "--json",
    )  # fmt: skip
    assert (too_much.code, too_much.json["errors"][0]["code"]) == (2, "CREDIT_EXCEEDS_UNPAID")
    account = run("settle", "show", oid, "--db", db)
    assert "credit notes" in account.stdout
    assert f"void of {number}: " in account.stdout
    assert "citation" in account.stdout
    verified = run("ledger", "verify", "--db", db, "--json").json
    assert verified["ok"] is True


def test_the_corrections_through_a_server_answer_as_on_the_database(served_sqlite) -> None:
    s = served_sqlite
    placed = s.remote("AUS-requester", "orders", "new", "--file", s.file("o.json", order_doc()))
    assert placed.code == 0, placed.stderr
    listed = s.remote("AUS-requester", "orders", "list", "--json").json
    oid = str(listed[0]["id"])
    for who, step in (
        ("AUS-requester", "submit"),
        ("JPN-approver", "accept"),
        ("JPN-logistics", "deliver"),
        ("AUS-logistics", "receive"),
    ):
        assert s.remote(who, "orders", step, oid).code == 0
    invoice = s.remote("JPN-finance", "invoices", "issue", oid, "--json").json
    number = invoice["number"]
    pay = ("--amount", "500", "--date", invoice["issued"], "--json")
    paid = s.remote("AUS-finance", "payments", "record", number, *pay).json
    payment = str(paid["payments"][0]["id"])
    # The requester may not void the supplier's invoice (403), the supplier may not yet (409).
    forbidden = s.remote("AUS-finance", "invoices", "void", number, "--reason", "x", "--json")
    assert forbidden.code != 0
    assert forbidden.json["errors"][0]["code"] == "FORBIDDEN"
    early = s.remote("JPN-finance", "invoices", "void", number, "--reason", "x", "--json")
    assert early.json["errors"][0]["code"] == "INVOICE_HAS_PAYMENTS"
    theirs = s.remote("AUS-finance", "payments", "reverse", payment, "--reason", "x", "--json")
    assert theirs.json["errors"][0]["code"] == "FORBIDDEN"
    done = s.remote(
        "JPN-finance", "payments", "reverse", payment, "--reason", "sent twice", "--json"
    ).json
    assert (done["paid"], done["corrections"][0]["actor"]) == ("0", "JPN-finance")
    voided = s.remote("JPN-finance", "invoices", "void", number, "--reason", "x", "--json").json
    assert voided["status"] == "void"
    fresh = s.remote("JPN-finance", "invoices", "issue", oid, "--json").json
    credited = s.remote(
        "JPN-finance", "invoices", "credit", fresh["number"], "--amount", "20", "--reason", "ok",
        "--json",
    ).json  # fmt: skip
    assert credited["credited"] == "20"
    # What the server answers is what the database holds.
    local = s.local("invoices", "show", fresh["number"], "--json").json
    assert local == credited
    assert s.local("ledger", "verify", "--json").json["ok"] is True
