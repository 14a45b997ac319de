"""Bad command lines through the real ``acsa`` command, on SQLite and PostgreSQL (issue 13).

A corpus of options, arguments and files no command can take, across every command group
(agreements, orders, settle, ledger, report, rates, import, users and tokens, books, exchange,
audit): binary, deeply nested, huge and alias-bombed files; numbers past every bound (ids,
``--limit``, ``--offset``, ``--fy``, ``--expires-days``, amounts, quantities); dates in the
year 9999 or 0001, or not in the calendar; control characters and huge texts; unknown options.
Each must exit 2 with its code (and, with ``--json``, the option or field it names), never a
Python traceback, and leave every table's row count as it was.

The last resort of ``acsa.cli.main`` (an unexpected failure: INTERNAL_ERROR, exit 3, no
traceback unless ACSA_DEBUG is set) is checked in process, with a service made to fail.
"""

from __future__ import annotations

import json
from collections import Counter
from dataclasses import dataclass
from pathlib import Path

import pytest

from tests.e2e.cli import forked_run as run
from tests.table_counts import row_counts

BIG = "99999999999999999999"
YEAR_9999 = "9999-12-31"

#: How many bad command lines each kind holds (printed with -s; the issue asks for it).
SENT: Counter[str] = Counter()


@dataclass(frozen=True)
class Bad:
    """One bad command line: its kind, the group it belongs to, the arguments, the codes it
    may be refused with, and (with ``--json``) a part of the field the refusal must name."""

    kind: str
    group: str
    args: tuple[str, ...]
    codes: frozenset[str]
    field: str | None = None
    as_json: bool = True

    @property
    def reaches_the_database(self) -> bool:
        """Refused by a service, past the command line's own checks: worth running on every
        backend (the others never open the database)."""
        return self.kind in ("number", "text") or self.group in ("users", "books", "exchange")


def bad(kind: str, group: str, *args: str, code: str | set[str], field: str | None = None) -> Bad:
    codes = frozenset({code} if isinstance(code, str) else code)
    return Bad(kind, group, args, codes, field, as_json=field is not None)


def write_files(folder: Path) -> dict[str, str]:
    """The bad files the corpus reads."""
    folder.mkdir(exist_ok=True)
    files = {
        "binary.json": bytes(range(256)) * 16,
        "binary.csv": b"\xff\xfe\x00\x00" + bytes(range(256)) * 8,
        "deep.json": b"[" * 100_000 + b"]" * 100_000,
        "deep33.json": b'{"a":' * 33 + b"1" + b"}" * 33,
        "deep.yaml": b"[" * 100_000 + b"]" * 100_000,
        "bomb.yaml": b"a: &a [x, x, x, x, x, x, x, x, x]\n"
        + b"".join(
            f"{n}: &{n} [{', '.join([f'*{p}'] * 9)}]\n".encode()
            for p, n in zip("abcdefgh", "bcdefghi", strict=True)
        ),
        "huge.json": b'{"x": "' + b"a" * (5 * 1024 * 1024) + b'"}',
        "bigint.json": b'{"lines": [{"quantity": ' + b"9" * 5000 + b"}]}",
        "empty.json": b"",
        "scalar.json": b'"just a string"',
    }
    paths = {}
    for name, data in files.items():
        (folder / name).write_bytes(data)
        paths[name] = str(folder / name)
    paths["missing.json"] = str(folder / "missing.json")
    paths["folder"] = str(folder)
    return paths


def corpus(f: dict[str, str], ids: dict[str, str], out: Path) -> list[Bad]:
    """The bad command lines; ``f`` names the bad files, ``ids`` the demo's records."""
    submitted, accepted, delivered = ids["submitted"], ids["accepted"], ids["delivered"]
    received, invoice = ids["received"], ids["invoice"]
    inp, date_, field_, qty, amount = (
        "INVALID_INPUT",
        "INVALID_DATE",
        "INVALID_FIELD",
        "INVALID_QUANTITY",
        "INVALID_AMOUNT",
    )
    return [
        # agreements
        bad(
            "file",
            "agreements",
            "agreements",
            "add",
            "--file",
            f["binary.json"],
            code=inp,
            field="file",
        ),
        bad(
            "file",
            "agreements",
            "agreements",
            "add",
            "--file",
            f["deep.yaml"],
            code=inp,
            field="file",
        ),
        bad(
            "file",
            "agreements",
            "agreements",
            "add",
            "--file",
            f["bomb.yaml"],
            code=inp,
            field="file",
        ),
        bad(
            "file",
            "agreements",
            "agreements",
            "amend",
            "JPN-USA",
            "--file",
            f["deep.json"],
            code=inp,
        ),
        bad(
            "file", "agreements", "agreements", "add", "--file", f["folder"], code=inp, field="file"
        ),
        bad(
            "file",
            "agreements",
            "agreements",
            "add",
            "--file",
            f["scalar.json"],
            code={inp, "INVALID_AGREEMENT", field_, "MISSING_FIELD"},
        ),
        bad(
            "date",
            "agreements",
            "agreements",
            "list",
            "--as-of",
            YEAR_9999,
            code=date_,
            field="--as-of",
        ),
        bad(
            "date",
            "agreements",
            "agreements",
            "show",
            "JPN-USA",
            "--as-of",
            "0001-01-01",
            code=date_,
        ),
        bad(
            "date",
            "agreements",
            "agreements",
            "list",
            "--as-of",
            "2026-02-30",
            code=date_,
            field="--as-of",
        ),
        # orders
        bad("file", "orders", "orders", "new", "--file", f["binary.json"], code=inp, field="file"),
        bad("file", "orders", "orders", "new", "--file", f["deep.json"], code=inp, field="file"),
        bad("file", "orders", "orders", "new", "--file", f["huge.json"], code=inp),
        bad("file", "orders", "orders", "new", "--file", f["bigint.json"], code=inp, field="file"),
        bad("file", "orders", "orders", "new", "--file", f["empty.json"], code=inp, field="file"),
        bad("file", "orders", "orders", "new", "--file", f["missing.json"], code=inp, field="file"),
        bad(
            "file", "orders", "orders", "check", "--file", f["deep33.json"], code=inp, field="file"
        ),
        bad("int", "orders", "orders", "check", BIG, code=inp, field="ID"),
        bad("int", "orders", "orders", "show", "0", code=inp, field="ID"),
        bad("int", "orders", "orders", "submit", "-5", code=inp),
        bad("int", "orders", "orders", "list", "--limit", BIG, code=inp, field="--limit"),
        bad("int", "orders", "orders", "list", "--limit", "0", code=inp),
        bad("int", "orders", "orders", "list", "--offset", "-1", code=inp, field="--offset"),
        bad(
            "int", "orders", "orders", "list", "--offset", "99999999999", code=inp, field="--offset"
        ),
        bad("int", "orders", "orders", "form", BIG, "--out", str(out / "form.pdf"), code=inp),
        bad(
            "number",
            "orders",
            "orders",
            "accept",
            submitted,
            "--line",
            "1=1e28",
            code=qty,
            field="--line",
        ),
        bad(
            "number",
            "orders",
            "orders",
            "deliver",
            accepted,
            "--line",
            "1=\u0661\u0662\u0663",
            code=qty,
            field="--line",
        ),
        bad(
            "number",
            "orders",
            "orders",
            "receive",
            delivered,
            "--line",
            f"{BIG}=1",
            code=field_,
            field="--line",
        ),
        bad("number", "orders", "orders", "deliver", accepted, "--line", "1=NaN", code=qty),
        bad(
            "text",
            "orders",
            "orders",
            "reject",
            submitted,
            "--reason",
            "bad\x01reason",
            code=field_,
            field="reason",
        ),
        bad(
            "text",
            "orders",
            "orders",
            "cancel",
            submitted,
            "--reason",
            "x" * 50_000,
            code=field_,
            field="reason",
        ),
        bad("option", "orders", "orders", "list", "--limit", "ten", code=inp, field="--limit"),
        bad("option", "orders", "orders", "list", "--bogus", code=inp),
        # settle: invoices, payments, settlements in kind
        bad("int", "settle", "invoices", "issue", BIG, code=inp, field="ORDER"),
        bad(
            "date",
            "settle",
            "invoices",
            "issue",
            received,
            "--date",
            YEAR_9999,
            code=date_,
            field="--date",
        ),
        bad("int", "settle", "invoices", "list", "--order", "-1", code=inp, field="--order"),
        bad(
            "number",
            "settle",
            "payments",
            "record",
            invoice,
            "--amount",
            "1e309",
            "--date",
            "2026-03-01",
            code=amount,
            field="amount",
        ),
        bad(
            "number",
            "settle",
            "payments",
            "record",
            invoice,
            "--amount",
            "NaN",
            "--date",
            "2026-03-01",
            code=amount,
        ),
        bad(
            "number",
            "settle",
            "payments",
            "record",
            invoice,
            "--amount",
            "9" * 40,
            "--date",
            "2026-03-01",
            code=amount,
            field="amount",
        ),
        bad(
            "date",
            "settle",
            "payments",
            "record",
            invoice,
            "--amount",
            "1",
            "--date",
            YEAR_9999,
            code=date_,
            field="--date",
        ),
        bad("date", "settle", "settle", "sweep", "--as-of", YEAR_9999, code=date_, field="--as-of"),
        bad(
            "file",
            "settle",
            "settle",
            "replace",
            received,
            "--file",
            f["deep.json"],
            code=inp,
            field="file",
        ),
        bad("file", "settle", "settle", "exchange", received, "--file", f["binary.json"], code=inp),
        bad("int", "settle", "settle", "show", BIG, code=inp, field="ORDER"),
        # ledger
        bad(
            "date", "ledger", "ledger", "balance", "--as-of", YEAR_9999, code=date_, field="--as-of"
        ),
        bad(
            "date",
            "ledger",
            "ledger",
            "statement",
            "--nation",
            "JPN",
            "--partner",
            "AUS",
            "--from",
            "0001-01-01",
            "--to",
            YEAR_9999,
            code=date_,
            field="--from",
        ),
        bad("date", "ledger", "ledger", "aging", "--as-of", YEAR_9999, code=date_),
        bad(
            "date",
            "ledger",
            "ledger",
            "overdue",
            "--as-of",
            "10000-01-01",
            code=date_,
            field="--as-of",
        ),
        # report
        bad(
            "date",
            "report",
            "report",
            "exceptions",
            "--as-of",
            YEAR_9999,
            code=date_,
            field="--as-of",
        ),
        bad(
            "int",
            "report",
            "report",
            "annual",
            "--nation",
            "JPN",
            "--fy",
            BIG,
            code=inp,
            field="--fy",
        ),
        bad("int", "report", "report", "annual", "--nation", "JPN", "--fy", "9999", code=inp),
        bad(
            "int",
            "report",
            "report",
            "annual",
            "--nation",
            "JPN",
            "--fy",
            "1066",
            code=inp,
            field="--fy",
        ),
        # rates
        bad(
            "number",
            "rates",
            "rates",
            "convert",
            "1e309",
            "JPY",
            "USD",
            code=amount,
            field="AMOUNT",
        ),
        bad("number", "rates", "rates", "convert", "9" * 400, "JPY", "USD", code=amount),
        bad(
            "number", "rates", "rates", "convert", "NaN", "JPY", "USD", code=amount, field="AMOUNT"
        ),
        bad(
            "date",
            "rates",
            "rates",
            "convert",
            "1",
            "JPY",
            "USD",
            "--date",
            YEAR_9999,
            code=date_,
            field="--date",
        ),
        bad("date", "rates", "rates", "show", "--date", YEAR_9999, code=date_),
        bad("file", "rates", "rates", "import", "--file", f["binary.csv"], code=inp, field="file"),
        bad(
            "file",
            "rates",
            "rates",
            "import",
            "--file",
            f["huge.json"],
            code="INVALID_RATE",
            field="file",
        ),
        # import
        bad(
            "file", "import", "import", "orders", "--file", f["binary.csv"], code=inp, field="file"
        ),
        bad("file", "import", "import", "orders", "--file", f["deep.json"], code=inp),
        bad("file", "import", "import", "orders", "--file", f["folder"], code=inp, field="file"),
        # users and tokens (the bounds of a token's lifetime are part C's)
        bad(
            "int",
            "users",
            "tokens",
            "new",
            "jpn-admin",
            "--expires-days",
            "99999999",
            code={inp, field_},
            field="expires",
        ),
        bad(
            "int",
            "users",
            "tokens",
            "new",
            "jpn-admin",
            "--expires-days",
            BIG,
            code={inp, field_},
            field="expires",
        ),
        bad(
            "int", "users", "tokens", "new", "jpn-admin", "--expires-days", "-1", code={inp, field_}
        ),
        bad("int", "users", "tokens", "revoke", BIG, code=inp, field="ID"),
        bad("option", "users", "users", "add", "--nation", "JPN", code=inp),
        bad(
            "text",
            "users",
            "users",
            "add",
            "bad\x01name",
            "--nation",
            "JPN",
            "--role",
            "viewer",
            "--password",
            "a-long-password",
            code=field_,
            field="name",
        ),
        bad(
            "text",
            "users",
            "users",
            "add",
            "n" * 201,
            "--nation",
            "JPN",
            "--role",
            "viewer",
            "--password",
            "a-long-password",
            code=field_,
            field="name",
        ),
        # books (no --json: its --format json is the report)
        bad("file", "books", "books", "reconcile", f["binary.json"], code="BOOK_INVALID"),
        bad("file", "books", "books", "reconcile", f["deep.json"], code="BOOK_INVALID"),
        bad("file", "books", "books", "reconcile", f["huge.json"], code="BOOK_INVALID"),
        bad("file", "books", "books", "reconcile", f["missing.json"], code={inp, "BOOK_INVALID"}),
        # exchange
        bad(
            "text",
            "exchange",
            "partners",
            "add",
            "AUS",
            "--url",
            "not a url\x01",
            "--key",
            "garbage",
            code={field_, inp, "INVALID_KEY"},
            field="",
        ),
        bad(
            "text",
            "exchange",
            "node",
            "init",
            "--nation",
            "J\x01N",
            code={field_, "UNKNOWN_PARTY", inp},
        ),
        # system: the database URL (never a password shown), a server's options (refused
        # before any server starts)
        bad("option", "system", "orders", "list", "--db", "not a url", code=inp, field="--db"),
        bad("option", "system", "ledger", "balance", "--db", "mysql://u:pw@h/x", code=inp),
        bad("int", "system", "serve", "--port", "99999999", code=inp),
        bad("int", "system", "serve", "--workers", "0", code=inp),
        # audit
        bad("int", "audit", "audit", "log", "--limit", BIG, code=inp, field="--limit"),
        bad("int", "audit", "audit", "log", "--order", BIG, code=inp, field="--order"),
        bad("int", "audit", "audit", "log", "--offset", BIG, code=inp),
    ]


def demo_ids(db_url: str) -> dict[str, str]:
    """The demo's orders in each state, and an invoice still open."""
    listed = run("orders", "list", "--db", db_url, "--json")
    assert listed.code == 0, listed.stderr
    by_status: dict[str, str] = {}
    for order in listed.json:
        by_status.setdefault(order["status"], str(order["id"]))
    invoices = run("invoices", "list", "--db", db_url, "--json")
    assert invoices.code == 0, invoices.stderr
    open_ = [i["number"] for i in invoices.json if i["status"] != "paid"]
    assert open_, "the demo has an unpaid invoice"
    return {
        "submitted": by_status["submitted"],
        "accepted": by_status["accepted"],
        "delivered": by_status["delivered"],
        "received": by_status["received"],
        "invoice": open_[0],
    }


@pytest.fixture
def demo_db(db_url: str) -> str:
    loaded = run("demo", "--db", db_url)
    assert loaded.code == 0, loaded.stdout + loaded.stderr
    return db_url


def refusal_of(item: Bad, stdout: str, stderr: str) -> list[str]:
    """What is wrong with one refusal's output (empty: as it should be)."""
    problems = []
    if "Traceback" in stdout + stderr:
        problems.append("a traceback")
    if item.as_json:
        try:
            errors = json.loads(stdout)["errors"]
        except (ValueError, KeyError, TypeError):
            return [*problems, f"no JSON errors on stdout: {stdout[-300:]!r} {stderr[-300:]!r}"]
        codes = {e["code"] for e in errors}
        if not codes & item.codes:
            problems.append(f"codes {sorted(codes)}, expected one of {sorted(item.codes)}")
        if item.field and not any(item.field in e["field"] for e in errors):
            problems.append(f"no error names {item.field!r}: {errors}")
    elif not any(code in stderr for code in item.codes):
        problems.append(f"none of {sorted(item.codes)} on stderr: {stderr[-400:]!r}")
    return problems


def test_bad_command_lines_are_coded_refusals_that_change_nothing(demo_db, backend, tmp_path):
    """The whole corpus on SQLite; on PostgreSQL, what reaches the database (a subprocess
    costs a second or more of CPU, and the rest is refused before a database is opened)."""
    files = write_files(tmp_path / "files")
    items = corpus(files, demo_ids(demo_db), tmp_path)
    if backend == "postgresql":
        items = [item for item in items if item.reaches_the_database]
        assert len(items) >= 20
    else:
        assert len(items) >= 43
    groups = {item.group for item in items}
    assert backend == "postgresql" or groups >= {
        "agreements",
        "orders",
        "settle",
        "ledger",
        "report",
        "rates",
        "import",
        "users",
        "books",
        "exchange",
        "audit",
    }
    before = row_counts(demo_db)
    failures = []
    for item in items:
        db = [] if "--db" in item.args else ["--db", demo_db]
        args = [*item.args, *db, *(["--json"] if item.as_json else [])]
        result = run(*args, env={"ACSA_ACTOR": "bad-input test"})
        problems = [] if result.code == 2 else [f"exit code {result.code}"]
        problems += refusal_of(item, result.stdout, result.stderr)
        after = row_counts(demo_db)
        if after != before:
            changed = {k: (before[k], after[k]) for k in after if after[k] != before[k]}
            problems.append(f"rows changed: {changed}")
            before = after
        if "pw@" in result.stdout + result.stderr:
            problems.append("a password shown")
        if problems:
            shown = " ".join(a if len(a) < 60 else a[:40] + "..." for a in item.args)
            failures.append(f"{item.kind} {shown}: {'; '.join(problems)}")
        SENT[item.kind] += 1
    assert not failures, "\n".join(failures)
    assert not (tmp_path / "form.pdf").exists()
    print(f"\nbad command lines sent on {backend}, by kind: {dict(sorted(SENT.items()))}")
    SENT.clear()


# --- the last resort --------------------------------------------------------------------------


def test_an_unexpected_failure_is_internal_error_exit_3_without_a_traceback(
    sqlite_url, monkeypatch, capsys
):
    from acsa.cli import main
    from acsa.services import orders

    def broken(*args: object, **kwargs: object) -> None:
        raise RuntimeError("a defect planted by the test")

    monkeypatch.setattr(orders, "list_orders", broken)
    monkeypatch.delenv("ACSA_DEBUG", raising=False)
    with pytest.raises(SystemExit) as stopped:
        main(["orders", "list", "--db", sqlite_url, "--json"])
    assert stopped.value.code == 3
    out = capsys.readouterr()
    assert "Traceback" not in out.out + out.err
    [error] = json.loads(out.out)["errors"]
    assert error["code"] == "INTERNAL_ERROR"
    assert "RuntimeError" in error["message"]
    assert "ACSA_DEBUG" in error["message"]

    with pytest.raises(SystemExit) as stopped:
        main(["orders", "list", "--db", sqlite_url])
    assert stopped.value.code == 3
    assert "INTERNAL_ERROR" in capsys.readouterr().err

    monkeypatch.setenv("ACSA_DEBUG", "1")
    with pytest.raises(RuntimeError, match="planted"):
        main(["orders", "list", "--db", sqlite_url])


def test_a_usage_error_is_a_coded_refusal_and_help_still_works(sqlite_url):
    unknown = run("orders", "list", "--colour", "--db", sqlite_url, "--json")
    assert unknown.code == 2
    [error] = unknown.json["errors"]
    assert error["code"] == "INVALID_INPUT"
    assert "--colour" in error["message"]
    missing = run("orders", "show", "--db", sqlite_url, "--json")
    assert missing.code == 2
    [error] = missing.json["errors"]
    assert (error["code"], error["field"]) == ("INVALID_INPUT", "ID")
    assert "Missing argument" in error["message"]
    table = run("orders", "list", "--limit", "0", "--db", sqlite_url)
    assert table.code == 2
    assert "INVALID_INPUT" in table.stderr
    assert "--limit" in table.stderr
    helped = run("orders", "list", "--help")
    assert helped.code == 0
    assert "--limit" in helped.stdout
    group = run("orders")
    assert group.code == 2
    assert "Usage" in group.stdout + group.stderr
    assert "Traceback" not in group.stdout + group.stderr
