"""/api/v1/ledger/gl-map and /api/v1/ledger/journal through a real server (SQLite and
PostgreSQL): finance maps its nation's accounts, auditors read, other nations see nothing of
it; the journal comes as JSON or CSV with the same lines, a new export takes only what no
earlier one took, and a posting without a rule refuses the export with nothing recorded."""

from __future__ import annotations

import csv
import io
from datetime import date

from acsa.adapters.db.engine import make_engine
from acsa.adapters.db.unit_of_work import UnitOfWork
from tests.api.conftest import Api
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
UNTIL = "2027-01-11"


def settle(api: Api) -> None:
    engine = make_engine(api.db_url)
    try:
        scenario(UnitOfWork(engine))
    finally:
        engine.dispose()


def test_finance_maps_and_exports_its_own_nations_journal(api: Api) -> None:
    c = api.client
    settle(api)
    for n, account in enumerate(ACCOUNTS):
        rule = {"account": account, "gl_code": f"{n + 1}000"}
        put = c.put("/ledger/gl-map", json=rule, headers=api.as_("JPN-finance"))
        assert put.status_code == 200, put.text
        assert (put.json()["nation"], put.json()["partner"], put.json()["currency"]) == (
            "JPN",
            "*",
            "*",
        )
    specific = {
        "account": "receivable_cash",
        "partner": "AUS",
        "currency": "JPY",
        "gl_code": "1310-AUS",
        "fund_citation": "FC-2026-001",
    }
    assert c.put("/ledger/gl-map", json=specific, headers=api.as_("JPN-admin")).status_code == 200
    # who reads and who changes the mapping
    assert len(c.get("/ledger/gl-map", headers=api.as_("JPN-auditor")).json()) == 8
    assert c.get("/ledger/gl-map", headers=api.as_("AUS-finance")).json() == []
    viewer = c.get("/ledger/gl-map", headers=api.as_("JPN-viewer"))
    assert (viewer.status_code, viewer.json()["code"]) == (403, "FORBIDDEN")
    auditor = c.put("/ledger/gl-map", json=specific, headers=api.as_("JPN-auditor"))
    assert (auditor.status_code, auditor.json()["code"]) == (403, "FORBIDDEN")
    bad = c.put(
        "/ledger/gl-map",
        json={"account": "receivables", "gl_code": "13 10"},
        headers=api.as_("JPN-finance"),
    )
    assert bad.status_code == 422
    assert {e["field"] for e in bad.json()["errors"]} == {"account", "gl_code"}
    # the period as JSON and as CSV: the same lines
    period = {"since": "1990-01-01", "until": UNTIL}
    as_json = c.get("/ledger/journal", params=period, headers=api.as_("JPN-auditor"))
    assert as_json.status_code == 200, as_json.text
    body = as_json.json()
    assert body["book"] == "JPN"
    assert body["reconciled"] is True
    assert body["export"] is None
    assert {line["gl_code"] for line in body["lines"] if line["account"] == "receivable_cash"} == {
        "1310-AUS"
    }
    as_csv = c.get(
        "/ledger/journal", params={**period, "format": "csv"}, headers=api.as_("JPN-auditor")
    )
    assert as_csv.status_code == 200
    assert as_csv.headers["content-type"].startswith("text/csv")
    rows = list(csv.DictReader(io.StringIO(as_csv.text)))
    assert [r["line_id"] for r in rows] == [line["line_id"] for line in body["lines"]]
    assert [r["debit"] for r in rows] == [line["debit"] for line in body["lines"]]
    # an auditor does not record exports; finance does, and the next takes only what is new
    refused = c.post(
        "/ledger/journal/exports", json={"until": UNTIL}, headers=api.as_("JPN-auditor")
    )
    assert (refused.status_code, refused.json()["code"]) == (403, "FORBIDDEN")
    # a GET never records: the same period read twice, and no export is listed
    assert c.get("/ledger/journal/exports", headers=api.as_("JPN-auditor")).json() == []
    keyed = {**api.as_("JPN-finance"), "Idempotency-Key": "journal-export-1"}
    answered = c.post("/ledger/journal/exports", json={"until": UNTIL}, headers=keyed)
    assert answered.status_code == 201, answered.text
    first = answered.json()
    # a retry with the same key answers the same export and records no second one
    retried = c.post("/ledger/journal/exports", json={"until": UNTIL}, headers=keyed)
    assert (retried.status_code, retried.json()["export"]) == (201, first["export"])
    assert {line["line_id"] for line in first["lines"]} == {r["line_id"] for r in rows}
    assert first["export"] is not None
    engine = make_engine(api.db_url)
    try:
        received(UnitOfWork(engine), 4, date(2027, 1, 11))
    finally:
        engine.dispose()
    second = c.post(
        "/ledger/journal/exports", json={"until": UNTIL}, headers=api.as_("JPN-finance")
    ).json()
    assert len(second["lines"]) == 2
    assert second["after_entry_id"] == first["last_entry_id"]
    assert not {line["line_id"] for line in second["lines"]} & {r["line_id"] for r in rows}
    exports = c.get("/ledger/journal/exports", headers=api.as_("JPN-auditor")).json()
    assert [x["id"] for x in exports] == [second["export"], first["export"]]
    # a posting without a rule: refused, nothing recorded
    gone = c.delete(
        "/ledger/gl-map", params={"account": "payable_cash"}, headers=api.as_("JPN-finance")
    )
    assert gone.status_code == 200, gone.text
    missing = c.get("/ledger/journal", params=period, headers=api.as_("JPN-finance"))
    assert (missing.status_code, missing.json()["code"]) == (422, "GL_MAPPING_MISSING")
    assert {e["params"]["account"] for e in missing.json()["errors"]} == {"payable_cash"}
    again = c.delete(
        "/ledger/gl-map", params={"account": "payable_cash"}, headers=api.as_("JPN-finance")
    )
    assert (again.status_code, again.json()["code"]) == (404, "GL_MAPPING_NOT_FOUND")
    assert len(c.get("/ledger/journal/exports", headers=api.as_("JPN-finance")).json()) == 2


def test_a_rules_file_is_imported_whole_or_not_at_all(api: Api) -> None:
    c = api.client
    good = "account,partner,gl_code\nreceivable_cash,AUS,1310-AUS\ncash,,1000\n"
    made = c.post("/ledger/gl-map/import", json={"csv": good}, headers=api.as_("JPN-finance"))
    assert made.status_code == 200, made.text
    assert [(r["account"], r["partner"], r["gl_code"]) for r in made.json()] == [
        ("cash", "*", "1000"),
        ("receivable_cash", "AUS", "1310-AUS"),
    ]
    bad = good.replace("1000", "2000") + "payables,*,9\n"
    refused = c.post("/ledger/gl-map/import", json={"csv": bad}, headers=api.as_("JPN-finance"))
    assert refused.status_code == 422
    assert [e["field"] for e in refused.json()["errors"]] == ["row 4: account"]
    after = c.get("/ledger/gl-map", headers=api.as_("JPN-finance")).json()
    assert {r["gl_code"] for r in after} == {"1000", "1310-AUS"}
    viewer = c.post("/ledger/gl-map/import", json={"csv": good}, headers=api.as_("JPN-viewer"))
    assert (viewer.status_code, viewer.json()["code"]) == (403, "FORBIDDEN")
