"""What the acsa command prints, piped or in a file as a finance office keeps it: every id,
amount and date whole (never cut at 80 columns), the same rows as CSV and TSV, and JSON asked
for before or after the subcommand; on a real SQLite file, through the real entry point."""

from __future__ import annotations

import csv
import io
import json
from dataclasses import dataclass
from pathlib import Path

import pytest
from rich.console import Console
from rich.table import Table
from sqlalchemy import Engine

from acsa.adapters import book_file
from acsa.adapters.db.courier_repository import NODE_KEY_FILE, NODE_NATION, NODE_PUBLIC_KEY
from acsa.adapters.db.engine import make_engine
from acsa.adapters.db.unit_of_work import UnitOfWork
from acsa.adapters.signing import NodeKey
from acsa.cli import render
from acsa.cli.output import OutputFormat
from acsa.clock import utc_now
from acsa.commands import (
    AcceptOrder,
    DeliverOrder,
    IssueInvoice,
    PlaceOrder,
    ReceiveOrder,
    RecordPayment,
    SubmitOrder,
)
from acsa.services import books
from acsa.services.handlers import handle
from tests.e2e.cli import Result, run
from tests.orders_data import order_doc

#: 200 L at 1,299,000,000 JPY: a twelve-digit amount, as the cut tables lost it.
BIG = "259,800,000,000 JPY"
BIG_PRICE = "1,299,000,000 JPY"
NSN = "9130-01-031-5816"
PAYMENT = "AUS-DFAT-PAY-2026-10-000123456789"
#: What a log or a pipe got before: a console of 80 columns.
NARROW = {"COLUMNS": "80"}
LONG_DESCRIPTION = (
    "JP-8 aviation turbine fuel delivered into plane at RAAF Base Darwin, hot refuelling "
    "permitted, per litre at 15 degrees Celsius"
)


@dataclass
class Book:
    url: str
    received: int  # received and invoiced
    uninvoiced: int  # received, not invoiced
    invoice: str


def _big_order() -> dict[str, object]:
    doc = order_doc()
    doc["lines"] = [
        {
            "category": "fuel",
            "description": LONG_DESCRIPTION,
            "nsn": NSN,
            "quantity": "200",
            "unit": "L",
            "unit_price": "1299000000",
            "currency": "JPY",
        }
    ]
    return doc


def _received(engine: Engine) -> int:
    order, _ = handle(UnitOfWork(engine), PlaceOrder.from_wire(_big_order()), "Lt K. Sato")
    assert order.id is not None
    for step in (SubmitOrder, AcceptOrder, DeliverOrder, ReceiveOrder):
        handle(UnitOfWork(engine), step(order_id=order.id), "Capt. J. Smith")
    return order.id


@pytest.fixture
def book(sqlite_url: str) -> Book:
    """Two orders of 259,800,000,000 JPY received from JPN by AUS, the first invoiced and
    paid."""
    engine = make_engine(sqlite_url)
    try:
        first = _received(engine)
        second = _received(engine)
        invoice = handle(UnitOfWork(engine), IssueInvoice(order_id=first), "Ms A. Finance")
        payment = RecordPayment(
            invoice=invoice.number, amount=invoice.amount, paid=invoice.issued, reference=PAYMENT
        )
        handle(UnitOfWork(engine), payment, "Mr B. Payer")
    finally:
        engine.dispose()
    return Book(sqlite_url, first, second, invoice.number)


def piped(book: Book, *args: str) -> Result:
    """``acsa ARGS --db`` with stdout a pipe, COLUMNS=80 as a narrow log would have."""
    result = run(*args, "--db", book.url, env=NARROW)
    assert result.code == 0, (args, result.stdout, result.stderr)
    return result


def rows(book: Book, fmt: str, *args: str) -> list[list[str]]:
    text = piped(book, *args, "--format", fmt).stdout
    return list(csv.reader(io.StringIO(text), delimiter="," if fmt == "csv" else "\t"))


STATEMENT = ("ledger", "statement", "--nation", "JPN", "--partner", "AUS")
PERIOD = ("--from", "2000-01-01", "--to", "2099-12-31")


def test_piped_tables_hold_every_id_amount_and_date_whole(book: Book) -> None:
    listed = piped(book, "orders", "list").stdout
    assert listed.count(BIG) == 2
    assert "JPN-AUS" in listed
    assert "2026-10-01" in listed
    shown = piped(book, "orders", "show", str(book.received)).stdout
    for whole in (BIG, BIG_PRICE, NSN, "2026-10-05", LONG_DESCRIPTION):
        assert whole in shown
    statement = piped(book, *STATEMENT, *PERIOD).stdout
    assert BIG in statement
    assert book.invoice in statement
    assert PAYMENT in statement
    assert "-" + BIG not in statement  # the partner owes it: a debit, positive
    balance = piped(book, "ledger", "balance", "--nation", "JPN").stdout
    assert "519,600,000,000 JPY" in balance  # both orders provided
    invoices = piped(book, "invoices", "list").stdout
    assert book.invoice in invoices
    assert BIG in invoices
    found = piped(book, "report", "exceptions", "--as-of", "2099-01-01").stdout
    assert BIG in found
    assert str(book.uninvoiced) in found
    audit = piped(book, "audit", "log").stdout
    assert f"invoice:{book.invoice}" in audit or book.invoice in audit
    assert f"order:{book.uninvoiced}" in audit
    assert any(len(line) > 80 for line in shown.splitlines())  # never cut at 80 columns


def test_rates_piped_whole(sqlite_url: str) -> None:
    url = sqlite_url
    source = "Ministry of Finance notice 2026-123: disbursement rate for the fiscal year"
    set_rate = run(
        "rates",
        "official",
        "set",
        "JPN",
        "2026",
        "USD",
        "151.123456",
        "--source",
        source,
        "--db",
        url,
        "--actor",
        "JPN-admin",
    )
    assert set_rate.code == 0, set_rate.stderr
    listed = run("rates", "official", "list", "--db", url, env=NARROW)
    assert listed.code == 0, listed.stderr
    for whole in ("FY2026", "2026-04-01", "2027-03-31", "151.123456 JPY", source):
        assert whole in listed.stdout
    [header, row] = list(
        csv.reader(
            io.StringIO(run("rates", "official", "list", "--db", url, "--format", "csv").stdout)
        )
    )
    assert header == ["nation", "fiscal year", "from", "to", "1 unit of", "rate", "source"]
    assert row == ["JPN", "FY2026", "2026-04-01", "2027-03-31", "USD", "151.123456 JPY", source]


@pytest.mark.parametrize("fmt", ["csv", "tsv"])
def test_csv_and_tsv_parse_back_to_the_same_ids_and_amounts(book: Book, fmt: str) -> None:
    header, *orders = rows(book, fmt, "orders", "list")
    assert header == [
        "id",
        "status",
        "agreement",
        "requester",
        "supplier",
        "activity",
        "order date",
        "lines",
        "total",
    ]
    assert [(o[0], o[2], o[6], o[8]) for o in orders] == [
        (str(book.received), "JPN-AUS", "2026-10-01", BIG),
        (str(book.uninvoiced), "JPN-AUS", "2026-10-01", BIG),
    ]
    header, *invoices = rows(book, fmt, "invoices", "list")
    [invoice] = invoices
    assert dict(zip(header, invoice, strict=True))["number"] == book.invoice
    assert dict(zip(header, invoice, strict=True))["amount"] == BIG
    header, *lines = rows(book, fmt, *STATEMENT, *PERIOD)
    assert header[:5] == ["day", "entry", "kind", "order", "document"]
    assert BIG in [line[header.index("debit")] for line in lines]
    header, *balances = rows(book, fmt, "ledger", "balance", "--nation", "JPN")
    assert balances[0][:2] == ["JPN", "AUS"]
    assert balances[0][header.index("provided")] == "519,600,000,000 JPY"
    header, *found = rows(book, fmt, "report", "exceptions", "--as-of", "2099-01-01")
    assert (str(book.uninvoiced), BIG) in [(f[1], f[header.index("value")]) for f in found]
    header, *records = rows(book, fmt, "audit", "log")
    assert header[:2] == ["#", "at"]
    assert all(len(r[1]) == len("2026-12-06T16:48:22") for r in records)


def test_csv_quotes_as_rfc_4180(book: Book) -> None:
    text = piped(book, "orders", "list", "--format", "csv").stdout
    assert f'"{BIG}"' in text  # the amount's commas are quoted
    assert text.endswith("\r\n")


def test_with_csv_stdout_holds_only_the_rows(sqlite_url: str) -> None:
    result = run("agreements", "list", "--db", sqlite_url, "--format", "csv")
    assert result.code == 0, result.stderr
    header, *agreements = list(csv.reader(io.StringIO(result.stdout)))
    assert header[0] == "id"
    assert len(agreements) == 11
    assert "signed by" in result.stderr  # the count people read goes to stderr


def test_format_json_is_json(book: Book) -> None:
    as_format = piped(book, "orders", "list", "--format", "json")
    assert as_format.stdout == piped(book, "orders", "list", "--json").stdout
    assert [o["total"] for o in as_format.json] == ["259800000000", "259800000000"]


def test_json_before_or_after_the_subcommand_is_the_same(book: Book) -> None:
    for args in (
        ("orders", "check", str(book.received)),
        ("orders", "list"),
        ("ledger", "balance", "--nation", "JPN"),
        ("audit", "log", "--limit", "3"),
    ):
        before = run("--json", *args, "--db", book.url)
        after = run(*args, "--db", book.url, "--json")
        assert (before.code, before.stdout) == (after.code, after.stdout), args
        assert before.code == 0, before.stderr
        before.json  # noqa: B018 - it parses


def test_json_before_the_subcommand_refuses_in_json_too(book: Book) -> None:
    before = run("--json", "orders", "show", "999999", "--db", book.url)
    after = run("orders", "show", "999999", "--db", book.url, "--json")
    assert before.code == after.code == 2
    assert before.stdout == after.stdout
    assert before.json["errors"][0]["code"] == "ORDER_NOT_FOUND"


def test_books_reconcile_takes_json_as_the_others_do(sqlite_url: str, tmp_path: Path) -> None:
    missing = str(tmp_path / "missing.json")
    as_json = run("books", "reconcile", missing, "--db", sqlite_url, "--json")
    as_format = run("books", "reconcile", missing, "--db", sqlite_url, "--format", "json")
    before = run("--json", "books", "reconcile", missing, "--db", sqlite_url)
    assert as_json.code == as_format.code == before.code == 2
    assert as_json.stdout == as_format.stdout == before.stdout
    assert as_json.json["errors"][0]["field"] == "file"


def test_audit_log_newest_first_and_oldest_on_request(book: Book) -> None:
    every = [r["seq"] for r in piped(book, "audit", "log", "--oldest", "--json").json]
    assert every == sorted(every)
    newest = [r["seq"] for r in piped(book, "audit", "log", "--limit", "3", "--json").json]
    assert newest == every[::-1][:3]
    oldest = [
        r["seq"] for r in piped(book, "audit", "log", "--limit", "3", "--oldest", "--json").json
    ]
    assert oldest == every[:3]
    table = piped(book, "audit", "log", "--limit", "3").stdout
    first_row = next(line for line in table.splitlines() if line.startswith("│"))
    assert first_row.split("│")[1].strip() == str(every[-1])


def test_a_terminal_too_narrow_gets_a_wider_table_never_a_cut_amount(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    screen = io.StringIO()
    terminal = Console(file=screen, width=60, force_terminal=True, color_system=None)
    monkeypatch.setattr(render, "out", terminal)
    table = Table(title="orders")
    for column in ("id", "description", "order date", "total"):
        table.add_column(column)
    table.add_row("JPN-2024-000000012345", LONG_DESCRIPTION, "2024-01-02", BIG)
    render.show_result(table, OutputFormat.TABLE)
    text = screen.getvalue()
    for whole in ("JPN-2024-000000012345", "2024-01-02", BIG):
        assert whole in text
    assert "…" not in text
    rows = [line.split("│") for line in text.splitlines() if line.startswith("│")]
    words = " ".join(row[2].strip() for row in rows)
    assert words.split() == LONG_DESCRIPTION.split()  # the description wraps, in the table


@pytest.fixture
def node_book(book: Book, tmp_path: Path) -> tuple[Path, str, int]:
    """``book`` as JPN's node with AUS as partner, and AUS's book of it with the first order
    listed (the lowest uid) paid 12,345,678,901 JPY instead: the file, that order's uid and
    its number."""
    ours, theirs = NodeKey.generate(), NodeKey.generate()
    ours.save(tmp_path / "node.key")
    engine = make_engine(book.url)
    try:
        with UnitOfWork(engine) as uow:
            uow.settings.set(NODE_NATION, "JPN")
            uow.settings.set(NODE_PUBLIC_KEY, ours.public_text)
            uow.settings.set(NODE_KEY_FILE, str(tmp_path / "node.key"))
            uow.partners.put(
                "AUS", "http://aus.invalid", theirs.public_text, theirs.fingerprint, utc_now()
            )
            uow.connection.commit()
        data, _ = books.export_book(engine, "AUS")
    finally:
        engine.dispose()
    doc = json.loads(data)
    doc["nation"], doc["partner"] = doc["partner"], doc["nation"]
    doc["orders"][0]["paid"] = "12345678901"
    path = tmp_path / "aus.json"
    path.write_bytes(book_file.sign_book(doc, theirs))
    return path, str(doc["orders"][0]["uid"]), int(doc["orders"][0]["number"])


def test_books_reconcile_piped_and_as_csv_holds_the_uid_and_amounts_whole(
    book: Book, node_book: tuple[Path, str, int]
) -> None:
    path, uid, number = node_book
    found = run("books", "reconcile", str(path), "--db", book.url, env=NARROW)
    assert found.code == 1, found.stderr  # the books differ
    assert uid in found.stdout
    assert "12345678901" in found.stdout
    as_csv = run("books", "reconcile", str(path), "--format", "csv", "--db", book.url)
    header, *differences = list(csv.reader(io.StringIO(as_csv.stdout)))
    assert header == [
        "kind",
        "order",
        "our number",
        "their number",
        "field",
        "ours",
        "theirs",
        "finding",
    ]
    [difference] = differences
    assert difference[1:4] == [uid, f"#{number}", f"#{number}"]
    assert difference[6] == "12345678901"
    assert "1 difference" in as_csv.stderr
    as_json = run("books", "reconcile", str(path), "--json", "--db", book.url)
    assert as_json.json["differences"][0]["theirs"] == "12345678901"
