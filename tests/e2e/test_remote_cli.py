"""The acsa command through a server (``ACSA_SERVER``/``ACSA_TOKEN``, ``--server``/``--token``):
the real entry point, with no database of its own, against a real ``acsa serve`` over SQLite
and PostgreSQL. What it prints is compared with what the same command prints on the server's
database locally (``--db``): byte for byte where both read the same thing, and for the actions,
against a twin order taken through the same steps locally by the same people, with nothing
but ids, numbers and times set aside."""

from __future__ import annotations

import json
from collections.abc import Iterator, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from datetime import UTC, datetime
from decimal import Decimal
from pathlib import Path
from typing import Any

import httpx
import pytest
from pypdf import PdfReader

from acsa.cli.client import Client
from acsa.commands import AcceptOrder, SubmitOrder
from acsa.domain.access import ForbiddenError, UnauthenticatedError
from acsa.domain.errors import AcsaError, Code, NotFoundError
from tests.api.server import Person, Server, add_people, free_port
from tests.e2e.cli import Result, run
from tests.orders_data import order_doc

MEDIA_TYPE = "application/problem+json"
#: The remote command must never open a database: this one cannot be opened.
NO_DATABASE = {"ACSA_DATABASE_URL": "sqlite:////nonexistent-dir/acsa.db"}
#: The local command must not see a server in the environment.
NO_SERVER = {"ACSA_SERVER": "", "ACSA_TOKEN": ""}
#: What differs between two orders taken through the same steps: ids, numbers and times.
UNIQUE = frozenset({"id", "order", "number", "at", "uid"})
#: Commands run at once when they only read (each is a process of its own).
AT_ONCE = 3


@dataclass
class Served:
    server: Server
    people: dict[str, Person]
    db_url: str
    tmp: Path

    def remote(self, who: str, *args: str, token: str | None = None) -> Result:
        """``acsa ARGS`` through the server, as ``who`` (their token)."""
        env = {
            **NO_DATABASE,
            "ACSA_SERVER": self.server.base,
            "ACSA_TOKEN": token if token is not None else self.people[who].token,
        }
        return run(*args, env=env)

    def local(self, *args: str, actor: str | None = None) -> Result:
        """``acsa ARGS --db`` on the server's database (as ``actor``)."""
        extra = ("--actor", actor) if actor else ()
        return run(*args, "--db", self.db_url, *extra, env=NO_SERVER)

    def same(self, who: str, *commands: Sequence[str]) -> None:
        """Run commands that change nothing both ways, as ``who``: see ``compare``."""
        self.compare([(who, args) for args in commands])

    def compare(self, cases: Sequence[tuple[str, Sequence[str]]]) -> None:
        """Run each (who, args) through the server and on the database, several at once:
        each must print the same bytes on stdout and stderr, and exit alike."""
        with ThreadPoolExecutor(AT_ONCE) as pool:
            runs = [
                (args, pool.submit(self.remote, who, *args), pool.submit(self.local, *args))
                for who, args in cases
            ]
            for args, remote_run, local_run in runs:
                remote, local = remote_run.result(), local_run.result()
                assert remote.code == local.code, (args, remote.stderr, local.stderr)
                assert remote.stdout == local.stdout, args
                assert remote.stderr == local.stderr, args

    def file(self, name: str, document: object) -> str:
        path = self.tmp / name
        path.write_text(json.dumps(document))
        return str(path)


def _serve(db_url: str, tmp_path: Path) -> Iterator[Served]:
    people = add_people(db_url)
    with Server(db_url, log=tmp_path / "serve.log") as server:
        yield Served(server, people, db_url, tmp_path)


@pytest.fixture
def served(db_url: str, tmp_path: Path) -> Iterator[Served]:
    """A server over a fresh database (SQLite and PostgreSQL) with JPN, AUS and FRA people
    (one per role, and -all)."""
    yield from _serve(db_url, tmp_path)


@pytest.fixture
def served_sqlite(sqlite_url: str, tmp_path: Path) -> Iterator[Served]:
    """The same over SQLite only: for the wide surface, where the client and the server's
    answers, not the database, are under test (the lifecycle runs on both backends)."""
    yield from _serve(sqlite_url, tmp_path)


def unique_aside(value: Any) -> Any:
    """``value`` with the ids, numbers and times that two twin records cannot share blanked."""
    if isinstance(value, dict):
        return {k: None if k in UNIQUE else unique_aside(v) for k, v in value.items()}
    if isinstance(value, list):
        return [unique_aside(v) for v in value]
    return value


def ok(result: Result) -> Any:
    assert result.code == 0, (result.stdout, result.stderr)
    return result.json


def today() -> str:
    return datetime.now(UTC).date().isoformat()


def pdf_text(path: Path) -> str:
    return "\n".join(page.extract_text() for page in PdfReader(path).pages)


# --- the lifecycle ------------------------------------------------------------------------------


def test_an_order_taken_through_the_server_prints_what_the_local_commands_print(served):
    s = served
    file = s.file("order.json", order_doc())
    placed = s.remote("AUS-requester", "orders", "new", "--file", file, "--json")
    twin = s.local("orders", "new", "--file", file, "--json", actor="AUS-requester")
    assert unique_aside(ok(placed)) == unique_aside(ok(twin))
    oid, tid = str(placed.json["id"]), str(twin.json["id"])
    assert placed.stdout == s.local("orders", "show", oid, "--json").stdout

    steps = [
        ("AUS-requester", "submit"),
        ("JPN-approver", "accept", "--line", "1=10000"),
        ("JPN-logistics", "deliver"),
        ("AUS-logistics", "receive", "--line", "2=390", "--note", "10 rations short"),
    ]
    for who, action, *options in steps:
        done = s.remote(who, "orders", action, oid, *options, "--json")
        same = s.local("orders", action, tid, *options, "--json", actor=who)
        assert unique_aside(ok(done)) == unique_aside(ok(same)), action
        # what an action prints is the order as it is now stored, as `orders show` prints it
        assert done.stdout == s.local("orders", "show", oid, "--json").stdout, action
    assert done.json["status"] == "received"
    assert [e["actor"] for e in done.json["history"]] == [
        "AUS-requester",
        *(who for who, *_ in steps),
    ]

    issued = s.remote("JPN-finance", "invoices", "issue", oid, "--json")
    twin_invoice = s.local("invoices", "issue", tid, "--json", actor="JPN-finance")
    assert unique_aside(ok(issued)) == unique_aside(ok(twin_invoice))
    number, twin_number = issued.json["number"], twin_invoice.json["number"]
    assert issued.stdout == s.local("invoices", "show", number, "--json").stdout

    pay = ("--amount", "1000000", "--date", today(), "--reference", "TT-1")
    paid = s.remote("AUS-finance", "payments", "record", number, *pay, "--json")
    twin_paid = s.local("payments", "record", twin_number, *pay, "--json", actor="AUS-finance")
    assert unique_aside(ok(paid)) == unique_aside(ok(twin_paid))
    assert paid.json["unpaid"] == "1321520"
    assert paid.stdout == s.local("invoices", "show", number, "--json").stdout
    for amount in ("x", "2000000", "0.5"):  # not a number, more than unpaid, a fraction of a yen
        refused = ("payments", "record", number, "--amount", amount, "--date", today(), "--json")
        remote = s.remote("AUS-finance", *refused)
        assert remote.code == 2
        assert remote.stdout == s.local(*refused).stdout, amount

    # reading: the same bytes, as JSON and as the tables and panels people read
    s.same(
        "JPN-viewer",
        ("orders", "list", "--json"),
        ("orders", "list"),
        ("orders", "list", "--status", "received", "--limit", "1", "--offset", "1", "--json"),
        ("orders", "show", oid, "--json"),
        ("orders", "show", oid),
        ("invoices", "list", "--json"),
        ("invoices", "list", "--order", oid),
        ("invoices", "show", number),
        ("settle", "show", oid, "--json"),
        ("settle", "show", oid),
        ("orders", "check", oid, "--json"),
    )
    assert [o["id"] for o in s.remote("AUS-viewer", "orders", "list", "--json").json] == [
        int(oid),
        int(tid),
    ]


def test_global_options_name_the_server_and_the_token(served_sqlite):
    s = served_sqlite
    placed = s.remote("AUS-requester", "orders", "new", "--file", s.file("o.json", order_doc()))
    assert placed.code == 0, placed.stderr
    token = s.people["JPN-viewer"].token
    given = run(
        "--server", s.server.base + "/", "--token", token, "orders", "list", "--json",
        env={**NO_DATABASE, **NO_SERVER},
    )  # fmt: skip
    assert given.code == 0, given.stderr
    assert given.stdout == s.local("orders", "list", "--json").stdout


# --- refusals -----------------------------------------------------------------------------------


def test_refusals_through_the_server_print_the_local_errors_and_exit_2(served_sqlite):
    s = served_sqlite
    file = s.file("order.json", order_doc())
    oid = str(ok(s.remote("AUS-requester", "orders", "new", "--file", file, "--json"))["id"])

    bad = order_doc()
    bad["lines"][0].update(quantity="0", currency="XXX")
    bad["lines"][1].update(unit_price="-3")
    malformed = s.file("bad.json", bad)
    unparsable = order_doc()
    unparsable["lines"][2]["quantity"] = "lots"
    cases = [
        ("AUS-logistics", ("orders", "receive", oid)),  # INVALID_TRANSITION, from the server
        ("AUS-requester", ("orders", "new", "--file", malformed)),  # the server's line checks
        ("AUS-requester", ("orders", "new", "--file", s.file("u.json", unparsable))),
        ("JPN-logistics", ("orders", "deliver", oid, "--line", "one=5")),
        ("AUS-finance", ("payments", "record", "NOPE-1", "--amount", "5", "--date", today())),
        ("JPN-viewer", ("orders", "list", "--status", "lost")),
        ("JPN-viewer", ("orders", "show", "99999999999999999999")),
        ("JPN-finance", ("invoices", "issue", "0")),
        ("JPN-viewer", ("settle", "show", oid)),  # nothing received: still an account
    ]
    # as JSON on stdout, and (the first two) as the Refused table on stderr
    s.compare([(who, (*args, "--json")) for who, args in cases] + cases[:2])
    receive = s.remote("AUS-logistics", "orders", "receive", oid, "--json")
    assert receive.code == 2
    assert receive.json["errors"][0]["code"] == "INVALID_TRANSITION"

    # what only a server knows: who may do it
    forbidden = s.remote("JPN-all", "orders", "submit", oid, "--json")
    assert forbidden.code == 2
    [error] = forbidden.json["errors"]
    assert (error["code"], error["field"]) == ("FORBIDDEN", "permission")
    assert "requester" in error["message"]
    table = s.remote("JPN-all", "orders", "submit", oid)
    assert table.code == 2
    assert "Refused" in table.stderr
    assert "FORBIDDEN" in table.stderr


def test_a_third_nation_sees_nothing_and_a_bad_token_gets_nowhere(served):
    s = served
    file = s.file("order.json", order_doc())
    oid = str(ok(s.remote("AUS-requester", "orders", "new", "--file", file, "--json"))["id"])

    hidden = s.remote("FRA-all", "orders", "show", oid, "--json")
    assert hidden.code == 2
    assert [e["code"] for e in hidden.json["errors"]] == ["ORDER_NOT_FOUND"]
    assert hidden.stdout == s.local("orders", "show", "424242", "--json").stdout.replace(
        "424242", oid
    )
    acting = s.remote("FRA-all", "orders", "submit", oid, "--json")
    assert (acting.code, acting.json["errors"][0]["code"]) == (2, "ORDER_NOT_FOUND")
    assert ok(s.remote("FRA-all", "orders", "list", "--json")) == []
    assert ok(s.remote("FRA-all", "invoices", "list", "--json")) == []

    bad = s.remote("JPN-viewer", "orders", "list", "--json", token="acsa_not-a-token")
    assert bad.code == 2
    assert [e["code"] for e in bad.json["errors"]] == ["UNAUTHENTICATED"]
    table = s.remote("JPN-viewer", "orders", "show", oid, token="acsa_not-a-token")
    assert table.code == 2
    assert "UNAUTHENTICATED" in table.stderr
    assert "Traceback" not in table.stderr
    missing = s.remote("JPN-viewer", "orders", "list", "--json", token="")
    assert missing.code == 2
    [error] = missing.json["errors"]
    assert (error["code"], error["field"]) == ("UNAUTHENTICATED", "--token")


def test_a_server_that_is_not_running_is_a_clear_refusal(tmp_path):
    env = {**NO_DATABASE, "ACSA_SERVER": f"http://127.0.0.1:{free_port()}", "ACSA_TOKEN": "t"}
    result = run("orders", "list", "--json", env=env)
    assert result.code == 2
    [error] = result.json["errors"]
    assert (error["code"], error["field"]) == ("REMOTE_ERROR", "--server")
    assert "cannot reach the acsa server" in error["message"]
    table = run("orders", "submit", "1", env=env)
    assert table.code == 2
    assert "REMOTE_ERROR" in table.stderr
    assert "Traceback" not in table.stderr + table.stdout
    nonsense = run("orders", "list", "--json", env={**env, "ACSA_SERVER": "acsa.example"})
    assert nonsense.code == 2
    assert nonsense.json["errors"][0]["field"] == "--server"


@pytest.mark.parametrize(
    "args",
    [
        ("info",),
        ("init",),
        ("demo",),
        ("serve",),
        ("rates", "show"),
        ("rates", "convert", "100", "JPY", "EUR"),
        ("rates", "import", "--default"),
        ("import", "orders", "--file", "history.csv"),
    ],
)
def test_commands_on_the_database_itself_refuse_while_a_server_is_set(args):
    env = {**NO_DATABASE, "ACSA_SERVER": f"http://127.0.0.1:{free_port()}", "ACSA_TOKEN": "t"}
    result = run(*args, "--json", env=env) if args[0] != "serve" else run(*args, env=env)
    assert result.code == 2, result.stdout + result.stderr
    if args[0] == "serve":
        assert "INVALID_INPUT" in result.stderr
        assert "--server" in result.stderr
        return
    [error] = result.json["errors"]
    assert (error["code"], error["field"]) == ("INVALID_INPUT", "--server")
    assert (
        f"`acsa {' '.join(args[:2] if args[0] in ('rates', 'import') else args[:1])}`"
        in (error["message"])
    )
    assert "works on a local database only" in error["message"]


def test_a_local_database_or_actor_is_refused_with_a_server(tmp_path):
    env = {**NO_DATABASE, "ACSA_SERVER": f"http://127.0.0.1:{free_port()}", "ACSA_TOKEN": "t"}
    db = run("orders", "list", "--db", f"sqlite:///{tmp_path / 'x.db'}", "--json", env=env)
    assert (db.code, db.json["errors"][0]["field"]) == (2, "--db")
    actor = run("orders", "submit", "1", "--actor", "Lt Sato", "--json", env=env)
    assert (actor.code, actor.json["errors"][0]["field"]) == (2, "--actor")


# --- the books, the reports, the registry, the people, the audit log ----------------------------


def _received_and_invoiced(s: Served) -> tuple[str, str]:
    file = s.file("order.json", order_doc())
    oid = str(ok(s.remote("AUS-requester", "orders", "new", "--file", file, "--json"))["id"])
    for who, action in (
        ("AUS-requester", "submit"),
        ("JPN-approver", "accept"),
        ("JPN-logistics", "deliver"),
        ("AUS-logistics", "receive"),
    ):
        ok(s.remote(who, "orders", action, oid, "--json"))
    number = ok(s.remote("JPN-finance", "invoices", "issue", oid, "--json"))["number"]
    return oid, number


def test_books_reports_registry_people_and_audit_through_the_server(served_sqlite):
    s = served_sqlite
    oid, _number = _received_and_invoiced(s)
    day = today()
    year = day[:4]

    statement = ("ledger", "statement", "--nation", "JPN", "--partner", "AUS",
                 "--from", f"{year}-01-01", "--to", f"{year}-12-31")  # fmt: skip
    s.same(
        "JPN-all",
        ("ledger", "balance", "--nation", "JPN", "--json"),
        ("ledger", "balance", "--nation", "JPN"),
        (*statement, "--json"),
        statement,
        ("ledger", "aging", "--nation", "JPN", "--as-of", day, "--json"),
        ("ledger", "overdue", "--nation", "JPN", "--as-of", "2099-01-01", "--json"),
        ("ledger", "overdue", "--nation", "JPN", "--as-of", "2099-01-01"),
        ("ledger", "balance", "--partner", "XX", "--json"),  # UNKNOWN_PARTY
        ("report", "exceptions", "--as-of", day, "--json"),
        ("report", "exceptions", "--as-of", day),
        ("agreements", "show", "JPN-AUS", "--json"),
        ("agreements", "show", "JPN-AUS"),
        ("audit", "log", "--order", oid, "--json"),
        ("audit", "log", "--order", oid),
    )
    # The whole chain is checked either way; a user is told the counts of what their nation
    # may read, the local operator those of the whole database.
    remote_check = ok(s.remote("JPN-all", "audit", "verify", "--json"))
    local_check = ok(s.local("audit", "verify", "--json"))
    assert remote_check["ok"] is local_check["ok"] is True
    assert remote_check["records"] < local_check["records"]
    assert s.remote("JPN-viewer", "agreements", "list", "--json").stdout == (
        s.local("agreements", "list", "--party", "JPN", "--json").stdout
    )
    assert s.remote("JPN-admin", "users", "list", "--json").stdout == (
        s.local("users", "list", "--nation", "JPN", "--json").stdout
    )
    assert s.remote("JPN-viewer", "tokens", "list", "--json").stdout == (
        s.local("tokens", "list", "--user", "JPN-viewer", "--json").stdout
    )
    verified = ok(s.remote("JPN-finance", "ledger", "verify", "--json"))
    assert verified["ok"] is True

    # another nation's book, report or people: not through this server
    for args in (
        ("ledger", "balance", "--nation", "AUS"),
        ("report", "annual", "--nation", "AUS", "--fy", "2026"),
        ("users", "list", "--nation", "AUS"),
    ):
        refused = s.remote("JPN-all", *args, "--json")
        assert refused.code == 2, args
        assert refused.json["errors"][0]["code"] == "FORBIDDEN"

    # the annual report (the order is dated 2026-10-01): the same data, the same files
    fy = "2026"
    annual = ("report", "annual", "--nation", "JPN", "--fy", fy, "--json")
    remote_data, local_data = ok(s.remote("JPN-all", *annual)), ok(s.local(*annual))
    assert remote_data.pop("generated_at") <= local_data.pop("generated_at")  # made when asked
    assert remote_data == local_data
    assert remote_data["orders"] == 1
    remote_csv, local_csv = s.tmp / "remote" / "a.csv", s.tmp / "local" / "a.csv"
    for path in (remote_csv, local_csv):
        path.parent.mkdir()
    written = s.remote("JPN-all", "report", "annual", "--nation", "JPN", "--fy", fy,
                       "--format", "csv", "--out", str(remote_csv), "--json")  # fmt: skip
    local = s.local("report", "annual", "--nation", "JPN", "--fy", fy, "--format", "csv",
                    "--out", str(local_csv), "--json")  # fmt: skip
    assert ok(written)["file"] == str(remote_csv)
    assert written.json["charts"] == ok(local)["charts"] == []  # no PNG files unasked
    assert not list(remote_csv.parent.glob("*.png"))
    assert not list(local_csv.parent.glob("*.png"))
    assert remote_csv.read_bytes() == local_csv.read_bytes()

    # the order form: the PDF the server makes, written where the local command writes it
    remote_pdf, local_pdf = s.tmp / "remote" / "form.pdf", s.tmp / "local" / "form.pdf"
    form = s.remote("AUS-viewer", "orders", "form", oid, "--out", str(remote_pdf), "--json")
    assert ok(form) == {"file": str(remote_pdf)}
    ok(s.local("orders", "form", oid, "--out", str(local_pdf), "--json"))
    assert remote_pdf.read_bytes().startswith(b"%PDF")
    assert pdf_text(remote_pdf) == pdf_text(local_pdf)
    hidden = s.remote("FRA-all", "orders", "form", oid, "--out", str(s.tmp / "no.pdf"), "--json")
    assert (hidden.code, hidden.json["errors"][0]["code"]) == (2, "ORDER_NOT_FOUND")
    assert not (s.tmp / "no.pdf").exists()


def test_registry_people_and_tokens_change_through_the_server(served_sqlite):
    s = served_sqlite
    agreement = {
        "id": "AUS-JPN-TEST",
        "title": "example",
        "parties": ["AUS", "JPN"],
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
    added = s.remote("JPN-admin", "agreements", "add", "--file", s.file("a.json", agreement))
    assert (added.code, added.stdout.strip()) == (0, "agreement AUS-JPN-TEST added")
    amendment = {
        "label": "2026 amendment",
        "signed": "2026-01-01",
        "in_force": "2026-02-01",
        "activities": ["exercise", "disaster_response"],
        "categories": ["fuel", "food"],
        "settlement_methods": ["cash"],
    }
    amended = s.remote(
        "JPN-admin", "agreements", "amend", "AUS-JPN-TEST", "--file", s.file("m.json", amendment)
    )
    assert amended.code == 0, amended.stderr
    assert amended.stdout.strip() == "agreement AUS-JPN-TEST amended: version 2 (2026 amendment)"
    s.same("JPN-viewer", ("agreements", "show", "AUS-JPN-TEST", "--json"))
    not_admin = s.remote("JPN-viewer", "agreements", "add", "--file", s.file("b.json", agreement))
    assert not_admin.code == 2
    assert "FORBIDDEN" in not_admin.stderr

    user = ("users", "add", "JPN-clerk", "--nation", "JPN", "--role", "viewer,requester")
    made = ok(s.remote("JPN-admin", *user, "--json"))
    assert (made["name"], made["roles"]) == ("JPN-clerk", ["requester", "viewer"])
    short = s.remote("JPN-admin", "users", "update", "JPN-clerk", "--password", "short", "--json")
    assert (
        short.stdout
        == s.local("users", "update", "JPN-clerk", "--password", "short", "--json").stdout
    )
    updated = ok(s.remote("JPN-admin", "users", "update", "JPN-clerk", "--inactive", "--json"))
    assert updated["active"] is False
    assert s.local("users", "list", "--nation", "JPN", "--json").stdout == (
        s.remote("JPN-admin", "users", "list", "--json").stdout
    )

    token = ok(s.remote("JPN-viewer", "tokens", "new", "JPN-viewer", "--name", "ci", "--json"))
    assert token["user"] == "JPN-viewer"
    assert token["token"].startswith("acsa_")
    whose = s.remote("JPN-viewer", "tokens", "new", "JPN-admin", "--json")
    assert (whose.code, whose.json["errors"][0]["code"]) == (2, "FORBIDDEN")
    revoked = ok(s.remote("JPN-viewer", "tokens", "revoke", str(token["id"]), "--json"))
    assert revoked["revoked_at"] is not None
    refused = s.remote("JPN-viewer", "orders", "list", "--json", token=token["token"])
    assert (refused.code, refused.json["errors"][0]["code"]) == (2, "UNAUTHENTICATED")


# --- the client's wire: retries with the same key, never on a refusal ---------------------------


def _client(handler: Any, monkeypatch: pytest.MonkeyPatch) -> Client:
    monkeypatch.setattr("acsa.cli.client.time.sleep", lambda _s: None)
    return Client("http://acsa.test/", "t0ken", transport=httpx.MockTransport(handler))


def _order_json(order_id: int) -> dict[str, Any]:
    return {
        "id": order_id, "status": "submitted", "agreement": "JPN-AUS", "requester": "AUS",
        "supplier": "JPN", "activity": "exercise", "settlement": "cash",
        "order_date": "2026-10-01", "needed_by": "2026-10-05", "location": "Darwin",
        "operation": None, "requester_unit": None, "supplier_unit": None,
        "fund_citation": None, "partner_reference": None, "remarks": None, "currency": "JPY",
        "total": "1", "value_received": "0", "lines": [], "history": [], "version": 2,
    }  # fmt: skip


def test_a_post_is_sent_again_with_the_same_key_after_a_lost_connection_or_a_503(monkeypatch):
    seen: list[httpx.Request] = []

    def handler(request: httpx.Request) -> httpx.Response:
        seen.append(request)
        if len(seen) == 1:
            raise httpx.ConnectError("connection reset", request=request)
        if len(seen) == 2:
            return httpx.Response(503, headers={"Retry-After": "1"}, json={"errors": []})
        return httpx.Response(200, json=_order_json(7))

    order = _client(handler, monkeypatch).send(SubmitOrder(order_id=7))
    assert (order.id, order.status) == (7, "submitted")
    assert [r.url.path for r in seen] == ["/api/v1/orders/7/submit"] * 3
    keys = {r.headers["Idempotency-Key"] for r in seen}
    assert len(keys) == 1
    assert all(r.headers["Authorization"] == "Bearer t0ken" for r in seen)
    # a new operation, a new key
    seen.clear()
    _client(lambda r: (seen.append(r), httpx.Response(200, json=_order_json(7)))[1],
            monkeypatch).send(SubmitOrder(order_id=7))  # fmt: skip
    assert seen[0].headers["Idempotency-Key"] not in keys


def test_a_refusal_is_never_sent_again_and_keeps_its_violations(monkeypatch):
    seen: list[httpx.Request] = []
    problem = {
        "type": "urn:acsa:error:CONCURRENT_UPDATE",
        "title": "Conflicts with the current state",
        "status": 409,
        "detail": "changed",
        "code": "CONCURRENT_UPDATE",
        "errors": [
            {
                "code": "CONCURRENT_UPDATE",
                "field": "If-Match",
                "message": "changed",
                "clause": None,
            },
            {
                "code": "SOMETHING_NEW",
                "field": "x",
                "message": "from a newer server",
                "clause": "c",
            },
        ],
    }

    def handler(request: httpx.Request) -> httpx.Response:
        seen.append(request)
        return httpx.Response(409, json=problem, headers={"Content-Type": MEDIA_TYPE})

    with pytest.raises(AcsaError) as refused:
        _client(handler, monkeypatch).send(AcceptOrder(order_id=7, quantities={1: Decimal("2.50")}))
    assert len(seen) == 1
    assert json.loads(seen[0].content) == {"lines": {"1": "2.50"}}
    assert [(v.code, v.field, v.message, v.clause) for v in refused.value.violations] == [
        (Code.CONCURRENT_UPDATE, "If-Match", "changed", None),
        (Code.REMOTE_ERROR, "x", "SOMETHING_NEW: from a newer server", "c"),
    ]


@pytest.mark.parametrize(
    ("status", "error"),
    [(401, UnauthenticatedError), (403, ForbiddenError), (404, NotFoundError), (422, AcsaError)],
)
def test_the_status_of_a_refusal_gives_its_kind(monkeypatch, status, error):
    body = {"errors": [{"code": "FORBIDDEN", "field": "f", "message": "m", "clause": None}]}
    client = _client(lambda _r: httpx.Response(status, json=body), monkeypatch)
    with pytest.raises(AcsaError) as refused:
        client.get_order(1)
    assert type(refused.value) is error


def test_an_answer_that_is_not_a_problem_is_still_a_coded_refusal(monkeypatch):
    seen: list[httpx.Request] = []

    def handler(request: httpx.Request) -> httpx.Response:
        seen.append(request)
        return httpx.Response(502, text="<html>bad gateway</html>")

    with pytest.raises(AcsaError) as refused:
        _client(handler, monkeypatch).get_order(1)
    assert len(seen) == 3  # a gateway's 502 is worth two more tries, then it is an answer
    [violation] = refused.value.violations
    assert violation.code is Code.REMOTE_ERROR
    assert "502" in violation.message

    def gibberish(_request: httpx.Request) -> httpx.Response:
        return httpx.Response(200, json={"id": "not an order"})

    with pytest.raises(AcsaError) as unreadable:
        _client(gibberish, monkeypatch).get_order(1)
    assert unreadable.value.violations[0].code is Code.REMOTE_ERROR
    assert "cannot be read" in unreadable.value.violations[0].message
