"""The registry, the books, the reports, the order form, the users and the audit log through a
real server: each resource answers what the CLI prints, and files come with their media type."""

from __future__ import annotations

from typing import Any

from tests.api.conftest import Api
from tests.orders_data import order_doc

NORWAY: dict[str, Any] = {
    "id": "JPN-NOR",
    "title": "Japan-Norway agreement for the tests",
    "parties": ["JPN", "NOR"],
    "versions": [
        {
            "label": "2026 text",
            "signed": "2026-01-15",
            "in_force": "2026-03-01",
            "activities": ["exercise"],
            "categories": ["fuel", "food"],
            "settlement_methods": ["cash"],
        }
    ],
}
NORWAY_AMENDMENT: dict[str, Any] = {
    "label": "2026 amendment",
    "signed": "2026-06-01",
    "in_force": "2026-07-01",
    "activities": ["exercise", "disaster_response"],
    "categories": ["fuel", "food", "water"],
    "settlement_methods": ["cash", "replacement_in_kind"],
}


def received_and_invoiced(api: Api) -> tuple[int, dict[str, Any]]:
    """A JPN-AUS order supplied by JPN, received by AUS and invoiced by JPN: (id, invoice)."""
    c = api.client
    placed = c.post("/orders", json=order_doc(), headers=api.as_("AUS-requester"))
    assert placed.status_code == 201, placed.text
    oid = int(placed.json()["id"])
    for action, who in [
        ("submit", "AUS-requester"),
        ("accept", "JPN-approver"),
        ("deliver", "JPN-logistics"),
        ("receive", "AUS-logistics"),
    ]:
        moved = c.post(f"/orders/{oid}/{action}", headers=api.as_(who))
        assert moved.status_code == 200, moved.text
    invoice = c.post(f"/orders/{oid}/invoices", headers=api.as_("JPN-finance"))
    assert invoice.status_code == 201, invoice.text
    return oid, invoice.json()


def test_the_registry_is_read_by_party_and_kept_by_admins(api: Api) -> None:
    c = api.client
    mine = c.get("/agreements", headers=api.as_("JPN-viewer")).json()
    assert mine
    assert all("JPN" in a["parties"] for a in mine)
    with_australia = c.get("/agreements", params={"party": "aus"}, headers=api.as_("JPN-viewer"))
    assert [a["id"] for a in with_australia.json()] == ["JPN-AUS"]
    in_2012 = c.get("/agreements", params={"as_of": "2012-06-01"}, headers=api.as_("JPN-viewer"))
    assert "JPN-FRA" not in [a["id"] for a in in_2012.json()]  # signed in 2018
    old_text = c.get(
        "/agreements/JPN-AUS", params={"as_of": "2012-06-01"}, headers=api.as_("AUS-viewer")
    ).json()
    assert (old_text["status"], old_text["version"]) == ("signed", 1)

    refused = c.post("/agreements", json=NORWAY, headers=api.as_("JPN-approver"))
    assert (refused.status_code, refused.json()["code"]) == (403, "FORBIDDEN")
    added = c.post("/agreements", json=NORWAY, headers=api.as_("JPN-admin"))
    assert added.status_code == 201, added.text
    assert added.headers["Location"] == "/api/v1/agreements/JPN-NOR"
    assert (added.json()["status"], added.json()["version"]) == ("in_force", 1)
    again = c.post("/agreements", json=NORWAY, headers=api.as_("JPN-admin"))
    assert (again.status_code, again.json()["code"]) == (409, "AGREEMENT_EXISTS")
    unbounded = {**NORWAY, "id": "JPN-ISL", "parties": ["JPN", "ISL"]}
    unbounded["versions"] = [{**NORWAY["versions"][0], "payment_term_days": 10**12}]
    too_long = c.post("/agreements", json=unbounded, headers=api.as_("JPN-admin"))
    assert (too_long.status_code, too_long.json()["code"]) == (422, "INVALID_FIELD")

    key = {**api.as_("JPN-admin"), "Idempotency-Key": "amend-nor-1"}
    amended = c.post("/agreements/JPN-NOR/versions", json=NORWAY_AMENDMENT, headers=key)
    replayed = c.post("/agreements/JPN-NOR/versions", json=NORWAY_AMENDMENT, headers=key)
    assert amended.status_code == 201, amended.text
    assert amended.json()["version"] == 2
    assert replayed.headers["Idempotent-Replayed"] == "true"
    shown = c.get("/agreements/JPN-NOR", headers=api.as_("JPN-viewer")).json()
    assert [v["label"] for v in shown["versions"]] == ["2026 text", "2026 amendment"]
    assert "water" in shown["categories"]
    missing = c.post(
        "/agreements/NOPE-NOPE/versions", json=NORWAY_AMENDMENT, headers=api.as_("JPN-admin")
    )
    assert (missing.status_code, missing.json()["code"]) == (404, "AGREEMENT_NOT_FOUND")

    # A third nation's people do not see it, its admins neither (tests/api/
    # test_agreement_access.py has the whole matrix, and the registry keeper who does).
    for who in ("FRA-viewer", "FRA-admin"):
        hidden = c.get("/agreements/JPN-NOR", headers=api.as_(who))
        assert (hidden.status_code, hidden.json()["code"]) == (404, "AGREEMENT_NOT_FOUND")


def test_the_books_reports_and_order_form_of_an_invoiced_order(api: Api) -> None:
    c = api.client
    oid, invoice = received_and_invoiced(api)
    amount, number = invoice["amount"], invoice["number"]
    jpn, aus = api.as_("JPN-finance"), api.as_("AUS-viewer")

    [owed] = c.get("/ledger/balances", headers=jpn).json()
    assert (owed["nation"], owed["partner"], owed["owed_to_us"]) == ("JPN", "AUS", amount)
    [owing] = c.get("/ledger/balances", params={"partner": "JPN"}, headers=aus).json()
    assert (owing["nation"], owing["owed_by_us"]) == ("AUS", amount)
    period = {"partner": "AUS", "since": "2026-01-01", "until": "2026-12-31"}
    [statement] = c.get("/ledger/statement", params=period, headers=jpn).json()
    assert (statement["opening"], statement["closing"]) == ("0", amount)
    assert statement["lines"]
    [aging] = c.get("/ledger/aging", headers=jpn).json()
    assert (aging["direction"], aging["total"]) == ("owed_to_us", amount)
    late = c.get("/ledger/overdue", params={"as_of": "2027-06-30"}, headers=aus).json()
    assert [(o["kind"], o["document"]) for o in late] == [("invoice_past_due", number)]
    verified = c.get("/ledger/verify", headers=jpn).json()
    assert verified["ok"]
    assert verified["balances"] > 0

    found = c.get("/reports/exceptions", headers=jpn).json()
    assert {e["order"] for e in found} == {oid}
    assert "missing_field" in {e["kind"] for e in found}
    report = c.get("/reports/annual", params={"fy": 2026}, headers=jpn).json()
    assert (report["nation"], report["fiscal_year"], report["orders"]) == ("JPN", "FY2026", 1)
    assert [f["key"] for f in report["by_partner"]] == ["AUS"]
    files = {
        "csv": ("text/csv", b"", "annual-JPN-FY2026.csv"),
        "xlsx": ("application/vnd.openxmlformats", b"PK", "annual-JPN-FY2026.xlsx"),
        "pdf": ("application/pdf", b"%PDF", "annual-JPN-FY2026.pdf"),
    }
    for file_format, (media, magic, name) in files.items():
        got = c.get("/reports/annual", params={"fy": 2026, "format": file_format}, headers=jpn)
        assert got.status_code == 200, got.text
        assert got.headers["content-type"].startswith(media)
        assert got.headers["content-disposition"] == f'attachment; filename="{name}"'
        assert got.content.startswith(magic)
        assert len(got.content) > 100

    pdf = c.get(f"/orders/{oid}/form", headers=aus)
    assert (pdf.status_code, pdf.headers["content-type"]) == (200, "application/pdf")
    assert pdf.headers["content-disposition"] == f'attachment; filename="order-{oid}.pdf"'
    assert pdf.content.startswith(b"%PDF")
    form = c.get(f"/orders/{oid}/form", params={"format": "json"}, headers=aus).json()
    assert form["order"]["id"] == oid
    assert [i["number"] for i in form["invoices"]] == [number]
    assert form["supplying_official"] == "JPN-approver"

    # Bad input is a problem document, never a 500.
    bad = [
        ("/reports/annual", {"fy": 99999}, 400),
        ("/reports/annual", {"fy": 2026, "format": "doc"}, 400),
        ("/reports/exceptions", {"as_of": "yesterday"}, 400),
        ("/ledger/statement", {"partner": "AUS"}, 400),
        ("/ledger/balances", {"partner": "XXX"}, 422),
        ("/ledger/statement", {**period, "since": "2027-01-01"}, 422),
        ("/ledger/statement", {**period, "currency": "ABC"}, 422),
        (f"/orders/{2**31}/form", {}, 400),
        ("/audit", {"limit": 2**31}, 400),
    ]
    for path, params, status in bad:
        got = c.get(path, params=params, headers=api.as_("JPN-all"))
        assert got.status_code == status, (path, params, got.text)
        assert got.headers["content-type"] == "application/problem+json"


def test_an_admin_manages_the_people_of_their_own_nation(api: Api) -> None:
    c, admin = api.client, api.as_("JPN-admin")
    listed = c.get("/users", headers=admin).json()
    assert {u["nation"] for u in listed} == {"JPN"}
    assert "JPN-viewer" in {u["name"] for u in listed}

    newcomer = {"name": "JPN-newcomer", "nation": "JPN", "roles": ["viewer"], "password": "x" * 12}
    refused = c.post("/users", json=newcomer, headers=api.as_("JPN-finance"))
    assert (refused.status_code, refused.json()["code"]) == (403, "FORBIDDEN")
    added = c.post("/users", json=newcomer, headers=admin)
    assert added.status_code == 201, added.text
    assert added.json()["has_password"]
    assert added.json()["roles"] == ["viewer"]
    assert "JPN-newcomer" in {u["name"] for u in c.get("/users", headers=admin).json()}
    again = c.post("/users", json=newcomer, headers=admin)
    assert (again.status_code, again.json()["code"]) == (409, "USER_EXISTS")
    foreign = c.post("/users", json={**newcomer, "name": "AUS-x", "nation": "AUS"}, headers=admin)
    assert (foreign.status_code, foreign.json()["code"]) == (403, "FORBIDDEN")

    changed = c.post(
        "/users/JPN-newcomer",
        json={"roles": ["finance", "viewer"], "language": "ja"},
        headers=admin,
    )
    assert changed.status_code == 200, changed.text
    assert (changed.json()["roles"], changed.json()["language"]) == (["finance", "viewer"], "ja")
    for name in ("AUS-viewer", "nobody"):
        hidden = c.post(f"/users/{name}", json={"active": False}, headers=admin)
        assert (hidden.status_code, hidden.json()["code"]) == (404, "USER_NOT_FOUND")
    assert c.get("/whoami", headers=api.as_("AUS-viewer")).status_code == 200
    switched_off = c.post("/users/JPN-viewer", json={"active": False}, headers=admin)
    assert switched_off.json()["active"] is False
    assert c.get("/whoami", headers=api.as_("JPN-viewer")).status_code == 401

    log = c.get("/audit", headers=api.as_("JPN-auditor")).json()
    actions = [(r["action"], r["subject"], r["actor"]) for r in log]
    assert ("user.add", "user:JPN-newcomer", "JPN-admin") in actions
    assert ("user.update", "user:JPN-viewer", "JPN-admin") in actions
    assert c.get("/audit", params={"limit": 1}, headers=api.as_("JPN-auditor")).json() == log[:1]
    assert c.get("/audit/verify", headers=api.as_("JPN-auditor")).json()["ok"] is True
    assert c.get("/audit", headers=api.as_("JPN-finance")).status_code == 403
