"""acsa rates official|rule and rates convert --nation through the real console script: on
a local database, through a real ``acsa serve`` (SQLite and PostgreSQL) as the token's user,
and the /api/v1/rates routes themselves; the order form's PDF printing the rate, its date and
its source."""

from __future__ import annotations

import json
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import httpx
import pytest
from pypdf import PdfReader

from tests.e2e.cli import Forker, Result
from tests.e2e.test_remote_cli import NO_SERVER, Served, _serve
from tests.orders_data import order_doc

NOTICE_2025 = "MOF notice: FY2025 disbursement rate"
NOTICE_2026 = "MOF notice: FY2026 disbursement rate"


def ok(result: Result) -> object:
    assert result.code == 0, (result.stdout, result.stderr)
    return result.json


def refused(result: Result) -> list[dict[str, str]]:
    assert result.code == 2, (result.stdout, result.stderr)
    errors: list[dict[str, str]] = result.json["errors"]
    return errors


@pytest.fixture(scope="module")
def forker() -> Iterator[Forker]:
    """The real command, each line in a child of one process that imported it once."""
    with Forker() as found:
        yield found


@dataclass
class Local:
    """A fresh SQLite database and the command run on it."""

    url: str
    forker: Forker

    def run(self, *args: str) -> Result:
        return self.forker.run(*args, "--db", self.url, env=NO_SERVER)


@pytest.fixture
def db(tmp_path: Path, forker: Forker) -> Local:
    url = f"sqlite:///{tmp_path / 'cli.db'}"
    assert forker.run("init", "--db", url, env=NO_SERVER).code == 0
    return Local(url, forker)


@pytest.fixture
def served(db_url: str, tmp_path: Path) -> Iterator[Served]:
    """A server over a fresh database (SQLite and PostgreSQL) with JPN, AUS and FRA people."""
    yield from _serve(db_url, tmp_path)


def record_japans_rates(db: Local) -> None:
    for fy, rate, notice in (("2025", "150", NOTICE_2025), ("2026", "100", NOTICE_2026)):
        ok(db.run("rates", "official", "set", "JPN", fy, "USD", rate, "--source", notice, "--json"))


def test_official_rates_recorded_listed_and_used_on_the_last_and_first_day_of_the_year(db):
    record_japans_rates(db)
    listed = ok(db.run("rates", "official", "list", "--nation", "jpn", "--json"))
    assert [(r["label"], r["start"], r["end"], r["rate"], r["home"]) for r in listed] == [
        ("FY2025", "2025-04-01", "2026-03-31", "150", "JPY"),
        ("FY2026", "2026-04-01", "2027-03-31", "100", "JPY"),
    ]
    last = ok(
        db.run(
            "rates",
            "convert",
            "1000",
            "USD",
            "JPY",
            "--date",
            "2026-03-31",
            "--nation",
            "JPN",
            "--json",
        )
    )
    first = ok(
        db.run(
            "rates",
            "convert",
            "1000",
            "USD",
            "JPY",
            "--date",
            "2026-04-01",
            "--nation",
            "JPN",
            "--json",
        )
    )
    assert (last["amount"], last["rate"], last["rate_date"], last["rule"]) == (
        "150000",
        "150",
        "2025-04-01",
        "official_fiscal_year",
    )
    assert (first["amount"], first["rate"], first["rate_date"]) == ("100000", "100", "2026-04-01")
    assert NOTICE_2026 in first["source"]
    text = db.run(
        "rates", "convert", "1000", "USD", "JPY", "--date", "2026-04-01", "--nation", "JPN"
    )
    assert "1,000.00 USD = 100,000 JPY" in text.stdout
    assert "JPN's official rate for the fiscal year from 2026-04-01" in " ".join(
        text.stdout.split()
    )
    table = db.run("rates", "official", "list")
    assert "2 official rate(s)" in table.stdout


def test_a_year_without_a_rate_and_a_daily_conversion_are_refused_with_rate_missing(db):
    record_japans_rates(db)
    [error] = refused(
        db.run(
            "rates",
            "convert",
            "1",
            "USD",
            "JPY",
            "--date",
            "2027-04-01",
            "--nation",
            "JPN",
            "--json",
        )
    )
    assert error["code"] == "RATE_MISSING"
    assert "JPN FY2027 (2027-04-01 to 2028-03-31)" in error["message"]
    assert "acsa rates official set JPN 2027 USD RATE --source TEXT" in error["message"]
    [daily] = refused(
        db.run("rates", "convert", "1", "USD", "JPY", "--date", "2026-04-01", "--json")
    )
    assert "no reference rate for USD per EUR" in daily["message"]


def test_the_rule_is_shown_set_and_set_back(db):
    shown = ok(db.run("rates", "rule", "JPN", "--json"))
    assert (shown["rule"], shown["currency"], shown["set_by"]) == (
        "official_fiscal_year",
        "JPY",
        None,
    )
    assert "2019-04-10" in shown["source"]
    every = ok(db.run("rates", "rule", "--json"))
    assert {r["nation"]: r["rule"] for r in every}["USA"] == "daily_reference"
    changed = ok(
        db.run(
            "rates",
            "rule",
            "JPN",
            "--set",
            "daily_reference",
            "--actor",
            "Adm. K. Ito",
            "--json",
        )
    )
    assert (changed["rule"], changed["shipped"], changed["set_by"]) == (
        "daily_reference",
        "official_fiscal_year",
        "Adm. K. Ito",
    )
    line = db.run("rates", "rule", "JPN").stdout
    assert (
        "JPN: daily_reference (own currency JPY), set on this installation by Adm. K. Ito"
        in " ".join(line.split())
    )
    back = ok(db.run("rates", "rule", "JPN", "--set", "official_fiscal_year", "--json"))
    assert back["rule"] == "official_fiscal_year"


@pytest.mark.parametrize(
    ("args", "code", "field"),
    [
        (("official", "set", "JPN", "2026", "USD", "0", "--source", "s"), "INVALID_RATE", "rate"),
        (("official", "set", "JPN", "2026", "USD", "1e2", "--source", "s"), "INVALID_RATE", "rate"),
        (
            ("official", "set", "JPN", "2101", "USD", "1", "--source", "s"),
            "INVALID_FIELD",
            "fiscal_year",
        ),
        (("official", "set", "JPN", "0", "USD", "1", "--source", "s"), "INVALID_INPUT", "FY"),
        (
            ("official", "set", "JPN", "2026", "JPY", "1", "--source", "s"),
            "INVALID_FIELD",
            "currency",
        ),
        (
            ("official", "set", "JPN", "2026", "XXY", "1", "--source", "s"),
            "UNKNOWN_CURRENCY",
            "currency",
        ),
        (
            ("official", "set", "XXX", "2026", "USD", "1", "--source", "s"),
            "UNKNOWN_PARTY",
            "nation",
        ),
        (
            ("official", "set", "JPN", "2026", "USD", "1", "--source", " "),
            "MISSING_FIELD",
            "source",
        ),
        (("official", "set", "JPN", "2026", "USD", "1"), "INVALID_INPUT", "--source"),
        (("official", "list", "--nation", "JP"), "UNKNOWN_PARTY", "--nation"),
        (("rule", "JPN", "--set", "weekly"), "INVALID_FIELD", "rule"),
        (("rule", "--set", "daily_reference"), "MISSING_FIELD", "NATION"),
        (("convert", "1", "USD", "JPY", "--nation", "ZZZ"), "UNKNOWN_PARTY", "--nation"),
    ],
)
def test_bad_input_is_refused_naming_the_field_and_writes_nothing(db, args, code, field):
    [error] = refused(db.run("rates", *args, "--json"))
    assert (error["code"], error["field"]) == (code, field), error
    assert ok(db.run("rates", "official", "list", "--json")) == []


def test_the_order_form_pdf_prints_the_official_rate_its_date_and_its_source(db, tmp_path):
    record_japans_rates(db)
    doc = order_doc(
        requester="JPN", supplier="AUS", order_date="2026-03-31", needed_by="2026-04-02"
    )
    for item in doc["lines"]:
        item["currency"] = "USD"
    path = tmp_path / "order.json"
    path.write_text(json.dumps(doc))
    order = ok(db.run("orders", "new", "--file", str(path), "--json"))
    out = tmp_path / "form.pdf"
    ok(db.run("orders", "form", str(order["id"]), "--out", str(out), "--json"))
    text = " ".join("\n".join(p.extract_text() for p in PdfReader(out).pages).split())
    assert "Exchange rate 150 JPY per 1 USD" in text
    assert "Rate date 2025-04-01" in text
    assert f"official rate of JPN for FY2025 (2025-04-01 to 2026-03-31): {NOTICE_2025}" in text


# --- through a server -----------------------------------------------------------------------


def test_through_a_server_an_admin_of_the_nation_records_and_the_others_read(served: Served):
    set_args = ("rates", "official", "set", "JPN", "2026", "USD", "100", "--source", NOTICE_2026)
    made = ok(served.remote("JPN-admin", *set_args, "--json"))
    assert (made["recorded_by"], made["rate"], made["label"]) == ("JPN-admin", "100", "FY2026")
    for who in ("AUS-admin", "JPN-finance"):  # another nation's admin; not an admin
        [error] = refused(served.remote(who, *set_args[:-3], "99", "--source", "x", "--json"))
        assert error["code"] == "FORBIDDEN", who
    # Every signed-in person reads them; the server prints what the database prints locally.
    served.same(
        "AUS-viewer", ("rates", "official", "list"), ("rates", "official", "list", "--json")
    )
    served.same("FRA-viewer", ("rates", "rule", "JPN", "--json"), ("rates", "rule"))
    # What the server refuses reads as the local refusal.
    served.same(
        "JPN-admin",
        ("rates", "rule", "JP", "--json"),
        ("rates", "rule", "JPN", "--set", "weekly", "--json"),
        ("rates", "official", "list", "--nation", "JP", "--json"),
        ("rates", "official", "set", "JPN", "2101", "USD", "1", "--source", "s", "--json"),
        ("rates", "official", "set", "JPN", "2026", "XXY", "1", "--source", "s", "--json"),
        ("rates", "official", "set", "JPN", "2026", "USD", "0", "--source", "s", "--json"),
    )
    [error] = refused(
        served.remote("AUS-admin", "rates", "rule", "JPN", "--set", "daily_reference", "--json")
    )
    assert error["code"] == "FORBIDDEN"
    mine = ok(
        served.remote(
            "AUS-admin", "rates", "rule", "AUS", "--set", "official_fiscal_year", "--json"
        )
    )
    assert (mine["rule"], mine["set_by"]) == ("official_fiscal_year", "AUS-admin")
    log = ok(served.local("audit", "log", "--oldest", "--json"))
    records = [
        (r["action"], r["actor"], r["nation"]) for r in log if r["action"].startswith("rates.")
    ]
    assert records == [("rates.official", "JPN-admin", "JPN"), ("rates.rule", "AUS-admin", "AUS")]
    # Convert reads a local database only.
    [error] = refused(served.remote("JPN-admin", "rates", "convert", "1", "USD", "JPY", "--json"))
    assert (error["code"], error["field"]) == ("INVALID_INPUT", "--server")


def test_the_api_routes_record_replay_and_refuse(served: Served):
    base = served.server.base + "/api/v1/rates"
    admin = {**served.people["JPN-admin"].headers, "Idempotency-Key": str(uuid.uuid4())}
    body = {
        "nation": "JPN",
        "fiscal_year": 2025,
        "currency": "USD",
        "rate": "150",
        "source": NOTICE_2025,
    }
    with httpx.Client(timeout=30) as http:
        first = http.post(f"{base}/official", json=body, headers=admin)
        assert first.status_code == 200, first.text
        assert first.json()["start"] == "2025-04-01"
        again = http.post(f"{base}/official", json=body, headers=admin)
        assert again.headers.get("Idempotent-Replayed") == "true"
        assert again.json() == first.json()
        reader = served.people["FRA-viewer"].headers
        listed = http.get(f"{base}/official", params={"nation": "JPN"}, headers=reader).json()
        assert [(r["fiscal_year"], r["rate"], r["source"]) for r in listed] == [
            (2025, "150", NOTICE_2025)
        ]
        for bad, code in (
            ({**body, "rate": "0"}, "INVALID_RATE"),
            ({**body, "rate": 1.5e30}, "INVALID_RATE"),
            ({**body, "fiscal_year": 2150}, "INVALID_FIELD"),
            ({**body, "extra": 1}, None),
        ):
            answer = http.post(
                f"{base}/official", json=bad, headers=served.people["JPN-admin"].headers
            )
            assert answer.status_code == 422, (bad, answer.text)
            assert answer.headers["content-type"].startswith("application/problem+json")
            if code is not None:
                assert code in [e["code"] for e in answer.json()["errors"]], answer.text
        forbidden = http.post(
            f"{base}/official", json=body, headers=served.people["AUS-admin"].headers
        )
        assert forbidden.status_code == 403
        rule = http.get(f"{base}/rules/jpn", headers=reader).json()
        assert (rule["nation"], rule["rule"]) == ("JPN", "official_fiscal_year")
        unknown = http.get(f"{base}/rules/XXX", headers=reader)
        assert unknown.status_code == 422
        assert unknown.json()["errors"][0]["code"] == "UNKNOWN_PARTY"
        changed = http.post(
            f"{base}/rules/JPN",
            json={"rule": "daily_reference"},
            headers=served.people["JPN-admin"].headers,
        )
        assert changed.status_code == 200, changed.text
        assert changed.json()["set_by"] == "JPN-admin"
        assert http.get(f"{base}/official", params={"limt": "5"}, headers=reader).status_code == 400
        assert http.get(f"{base}/rules").status_code == 401
