"""acsa ledger gl-map and acsa ledger journal end to end: the real command on a database
(SQLite file and PostgreSQL) holding settled books."""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Iterator
from datetime import date
from decimal import Decimal
from pathlib import Path

import pytest

from acsa.adapters.db.engine import make_engine
from acsa.adapters.db.unit_of_work import UnitOfWork
from tests.e2e.cli import run
from tests.e2e.test_remote_cli import Served, _serve
from tests.integration.test_ledger_views import scenario
from tests.ledger_data import received

ACCOUNTS = (
    "receivable_cash",
    "receivable_in_kind",
    "payable_cash",
    "payable_in_kind",
    "support_provided",
    "support_received",
    "cash",
)


@pytest.fixture
def books(db_url: str) -> str:
    engine = make_engine(db_url)
    try:
        scenario(UnitOfWork(engine))
    finally:
        engine.dispose()
    return db_url


def acsa(url: str, *args: str):
    return run("ledger", *args, "--db", url)


def test_map_export_new_and_reconcile_through_the_command(books: str, tmp_path: Path) -> None:
    rules = tmp_path / "rules.csv"
    rules.write_text(
        "account,partner,currency,gl_code,fund_citation\n"
        + "".join(f"{a},*,*,{n + 1}000,\n" for n, a in enumerate(ACCOUNTS)),
        encoding="utf-8",
    )
    done = acsa(books, "gl-map", "import", str(rules), "--nation", "JPN", "--json")
    assert done.code == 0, done.stderr
    assert len(done.json) == len(ACCOUNTS)
    # a missing rule: refused naming it, exit 2, nothing recorded
    gone = acsa(books, "gl-map", "remove", "--account", "cash", "--nation", "JPN")
    assert gone.code == 0, gone.stderr
    refused = run(
        "--lang", "en", "ledger", "journal", "--until", "2027-01-11", "--new", "--format", "json",
        "--nation", "JPN", "--db", books,
    )  # fmt: skip
    assert refused.code == 2
    assert "GL_MAPPING_MISSING" in refused.stderr
    assert "cash" in refused.stderr
    set_ = acsa(
        books, "gl-map", "set", "--account", "cash", "--gl-code", "1010-BANK",
        "--fund-citation", "FC-2026-9", "--nation", "JPN", "--json",
    )  # fmt: skip
    assert set_.code == 0, set_.stderr
    assert set_.json[0]["gl_code"] == "1010-BANK"
    listed = acsa(books, "gl-map", "list", "--nation", "JPN")
    assert listed.code == 0, listed.stderr
    assert "1010-BANK" in listed.stdout
    # the whole period as CSV to a file: lines balanced, totals and reconciliation printed
    out = tmp_path / "journal.csv"
    whole = acsa(
        books, "journal", "--since", "1990-01-01", "--until", "2027-01-11", "--format", "csv",
        "--output", str(out), "--nation", "JPN", "--check",
    )  # fmt: skip
    assert whole.code == 0, whole.stderr
    assert "reconciled with ledger balance as of 2027-01-11" in whole.stdout
    assert "1010-BANK" in whole.stdout  # the totals table
    lines = list(csv.DictReader(io.StringIO(out.read_text(encoding="utf-8"))))
    assert lines
    assert sum(Decimal(r["debit"]) for r in lines) == sum(Decimal(r["credit"]) for r in lines)
    assert {r["fund_citation"] for r in lines if r["account"] == "cash"} == {"FC-2026-9"}
    # the sums per account are what ledger balance says
    balance = run("ledger", "balance", "--nation", "JPN", "--as-of", "2027-01-11", "--json",
                  "--db", books)  # fmt: skip
    assert balance.code == 0, balance.stderr
    received_ = Decimal(0)
    for r in lines:
        if r["account"] == "receivable_cash" and r["partner"] == "AUS":
            received_ += Decimal(r["debit"]) - Decimal(r["credit"])
    [aus] = [p for p in balance.json if p["partner"] == "AUS" and p["currency"] == "JPY"]
    assert received_ == Decimal(aus["owed_to_us"])
    # new: everything, recorded; then nothing; then only what came after
    first = acsa(books, "journal", "--until", "2027-01-11", "--new", "--format", "json",
                 "--nation", "JPN")  # fmt: skip
    assert first.code == 0, first.stderr
    taken = json.loads(first.stdout)
    assert {line["line_id"] for line in taken["lines"]} == {r["line_id"] for r in lines}
    assert taken["export"] is not None
    assert "recorded" in first.stderr
    again = acsa(books, "journal", "--until", "2027-01-11", "--new", "--nation", "JPN")
    assert again.code == 0, again.stderr
    assert again.stdout.splitlines()[1:] == []  # the CSV header only
    assert "nothing new to export" in again.stderr
    engine = make_engine(books)
    try:
        order = received(UnitOfWork(engine), 3, date(2027, 1, 11))
    finally:
        engine.dispose()
    assert order
    later = acsa(books, "journal", "--until", "2027-01-11", "--new", "--format", "json",
                 "--nation", "JPN")  # fmt: skip
    assert later.code == 0, later.stderr
    fresh = json.loads(later.stdout)
    assert len(fresh["lines"]) == 2
    assert not {line["line_id"] for line in fresh["lines"]} & {r["line_id"] for r in lines}
    assert fresh["after_entry_id"] == taken["last_entry_id"]
    assert fresh["reconciled"] is True
    # an operator must say whose book; refused with a coded error otherwise
    nobody = acsa(books, "journal", "--until", "2027-01-11", "--new")
    assert nobody.code == 2
    assert "MISSING_FIELD" in nobody.stderr


@pytest.fixture
def served(db_url: str, tmp_path: Path) -> Iterator[Served]:
    yield from _serve(db_url, tmp_path)


def test_through_a_server_the_journal_is_the_same_and_your_own(
    served: Served, tmp_path: Path
) -> None:
    engine = make_engine(served.db_url)
    try:
        scenario(UnitOfWork(engine))
    finally:
        engine.dispose()
    rules = tmp_path / "rules.csv"
    rules.write_text(
        "account,gl_code\n" + "".join(f"{a},{n + 1}000\n" for n, a in enumerate(ACCOUNTS)),
        encoding="utf-8",
    )
    made = served.remote("JPN-finance", "ledger", "gl-map", "import", str(rules), "--json")
    assert made.code == 0, made.stderr
    assert {r["nation"] for r in made.json} == {"JPN"}
    listed = served.remote("JPN-auditor", "ledger", "gl-map", "list", "--json")
    assert sorted(r["gl_code"] for r in listed.json) == sorted(r["gl_code"] for r in made.json)
    period = ("ledger", "journal", "--since", "2026-01-01", "--until", "2027-01-11")
    remote = served.remote("JPN-auditor", *period, "--format", "json")
    local = served.local(*period, "--format", "json", "--nation", "JPN")
    assert remote.code == local.code == 0, (remote.stderr, local.stderr)
    assert remote.json["lines"] == local.json["lines"]
    assert remote.json["reconciled"] is True
    as_csv = served.remote("JPN-auditor", *period)
    assert as_csv.stdout == served.local(*period, "--nation", "JPN").stdout
    # an auditor records no export; finance does; another nation's book is not yours
    new = ("ledger", "journal", "--until", "2027-01-11", "--new", "--format", "json")
    refused = served.remote("JPN-auditor", *new)
    assert refused.code == 2
    assert "FORBIDDEN" in refused.stderr
    done = served.remote("JPN-finance", *new)
    assert done.code == 0, done.stderr
    assert done.json["export"] == 1
    assert len(done.json["lines"]) == len(remote.json["lines"])
    other = served.remote("JPN-finance", *new, "--nation", "AUS")
    assert other.code == 2
    assert "FORBIDDEN" in other.stderr
