"""Who may see and do what through the API: for each nation and role, what is allowed works and
what is not is refused; a nation that is not a party to an order sees nothing of it anywhere
(404, never 403, for the thing itself; no row of it in any listing)."""

from __future__ import annotations

from functools import partial
from typing import Any

from tests.api.conftest import Api
from tests.api.server import ROLES
from tests.orders_data import order_doc

NATIONS = ("JPN", "AUS", "FRA")
EVERYONE_READS = (
    "/agreements",
    "/orders",
    "/invoices",
    "/ledger/balances",
    "/ledger/aging",
    "/ledger/overdue",
    "/ledger/verify",
    "/reports/exceptions",
    "/reports/annual?fy=2026",
)


def read(api: Api, name: str, path: str, **params: Any) -> Any:
    """What ``name`` reads at ``path`` (which must answer 200)."""
    got = api.client.get(path, params=params, headers=api.as_(name))
    assert got.status_code == 200, (name, path, got.text)
    return got.json()


def supplied(api: Api, requester: str, supplier: str, agreement: str) -> int:
    """An order ``supplier`` delivered and ``requester`` received: its id."""
    c = api.client
    doc = order_doc(agreement=agreement, requester=requester, supplier=supplier)
    placed = c.post("/orders", json=doc, headers=api.as_(f"{requester}-requester"))
    assert placed.status_code == 201, placed.text
    oid = int(placed.json()["id"])
    for action, who in [
        ("submit", f"{requester}-requester"),
        ("accept", f"{supplier}-approver"),
        ("deliver", f"{supplier}-logistics"),
        ("receive", f"{requester}-logistics"),
    ]:
        moved = c.post(f"/orders/{oid}/{action}", headers=api.as_(who))
        assert moved.status_code == 200, moved.text
    return oid


def test_each_role_of_each_nation_may_do_what_its_role_allows_and_nothing_else(
    api: Api,
) -> None:
    c = api.client
    for nation in NATIONS:
        for role in (*ROLES, "all"):
            who = api.as_(f"{nation}-{role}")
            admin = role in ("admin", "all")
            auditor = admin or role == "auditor"
            for path in EVERYONE_READS:
                got = c.get(path, headers=who)
                assert got.status_code == 200, (nation, role, path, got.text)
            expected = {"/users": admin, "/audit": auditor, "/audit/verify": auditor}
            for path, allowed in expected.items():
                got = c.get(path, headers=who)
                assert got.status_code == (200 if allowed else 403), (nation, role, path)
                if not allowed:
                    assert got.json()["code"] == "FORBIDDEN"

            agreement = {
                "id": f"{nation}-NOR-{role.upper()}",
                "title": "for the access matrix",
                "parties": [nation, "NOR"],
                "versions": [
                    {
                        "label": "text",
                        "signed": "2026-01-01",
                        "activities": ["exercise"],
                        "categories": ["fuel"],
                        "settlement_methods": ["cash"],
                    }
                ],
            }
            added = c.post("/agreements", json=agreement, headers=who)
            assert added.status_code == (201 if admin else 403), (nation, role, added.text)
            user = {"name": f"{nation}-new-{role}", "nation": nation, "roles": ["viewer"]}
            created = c.post("/users", json=user, headers=who)
            assert created.status_code == (201 if admin else 403), (nation, role, created.text)
            changed = c.post(f"/users/{nation}-viewer", json={"language": "ja"}, headers=who)
            assert changed.status_code == (200 if admin else 403), (nation, role, changed.text)
    assert c.get("/users", headers={"Authorization": "Bearer nope"}).status_code == 401
    assert c.get("/ledger/balances").status_code == 401


def test_a_third_nation_sees_nothing_of_an_order_between_two_others(api: Api) -> None:
    c = api.client
    theirs = supplied(api, "AUS", "JPN", "JPN-AUS")
    invoice = c.post(f"/orders/{theirs}/invoices", headers=api.as_("JPN-finance")).json()
    paid = c.post(
        f"/invoices/{invoice['number']}/payments",
        json={"amount": "1000", "date": invoice["issued"]},
        headers=api.as_("AUS-finance"),
    )
    assert paid.status_code == 201, paid.text
    own = supplied(api, "FRA", "JPN", "JPN-FRA")

    # The two parties see it, so what follows is not vacuous.
    for nation in ("JPN", "AUS"):
        who = api.as_(f"{nation}-viewer")
        assert theirs in {o["id"] for o in c.get("/orders", headers=who).json()}
        assert invoice["number"] in {i["number"] for i in c.get("/invoices", headers=who).json()}
        assert theirs in {e["order"] for e in c.get("/reports/exceptions", headers=who).json()}
        partners = {p["partner"] for p in c.get("/ledger/balances", headers=who).json()}
        assert partners >= ({"AUS"} if nation == "JPN" else {"JPN"})

    period = {"since": "2026-01-01", "until": "2026-12-31"}
    japan_books = c.get("/ledger/verify", headers=api.as_("JPN-viewer")).json()["balances"]
    france_books = c.get("/ledger/verify", headers=api.as_("FRA-viewer")).json()["balances"]
    assert 0 < france_books < japan_books
    japan_entries = c.get("/audit/verify", headers=api.as_("JPN-auditor")).json()
    japan_entries = japan_entries["ledger_entries"]
    for role in (*ROLES, "all"):
        name = f"FRA-{role}"
        who = api.as_(name)
        listing = partial(read, api, name)
        assert {o["id"] for o in listing("/orders")} == {own}
        assert all(i["order_id"] == own for i in listing("/invoices"))
        assert listing("/invoices", order=theirs) == []
        assert all("FRA" in a["parties"] for a in listing("/agreements"))
        assert listing("/agreements", party="AUS") == []
        for params in ({}, {"partner": "AUS"}):
            rows = listing("/ledger/balances", **params)
            assert all((r["nation"], r["partner"]) == ("FRA", "JPN") for r in rows), params
            assert all(r["nation"] == "FRA" for r in listing("/ledger/aging", **params))
        # Asking for another nation's book by a parameter no operation takes: refused, named.
        for path in ("/ledger/balances", "/ledger/aging", "/ledger/statement"):
            for nation in ("JPN", "AUS"):
                asked = c.get(path, params={"nation": nation}, headers=who)
                assert asked.status_code == 400, asked.text
                assert asked.json()["errors"][0]["field"] == "nation"
        assert len(listing("/ledger/balances")) == 1
        assert listing("/ledger/statement", partner="AUS", **period) == []
        assert listing("/ledger/statement", partner="JPN", **period)[0]["nation"] == "FRA"
        assert all(o["order"] == own for o in listing("/ledger/overdue", as_of="2030-01-01"))
        assert listing("/ledger/verify")["balances"] == france_books
        assert {e["order"] for e in listing("/reports/exceptions")} == {own}
        report = listing("/reports/annual", fy=2026)
        assert (report["nation"], report["orders"]) == ("FRA", 1)
        assert {f["key"] for f in report["by_partner"]} == {"JPN"}
        assert {b["partner"] for b in report["balances"]} <= {"JPN"}
        if role in ("auditor", "admin", "all"):
            records = listing("/audit", limit=1000)
            assert records
            assert all(r["order_id"] != theirs for r in records)
            assert all(r["nation"] == "FRA" or r["order_id"] == own for r in records)
            assert invoice["number"] not in str(records)
            checked = listing("/audit/verify")
            assert checked["ok"] is True
            # The whole chain was checked, but FRA is told only of what it may read.
            assert checked["records"] == len(records)
            assert checked["ledger_entries"] < japan_entries

        # The order itself, its invoice and its form: not found, not forbidden.
        hidden = [
            c.get(f"/orders/{theirs}", headers=who),
            c.get(f"/orders/{theirs}/form", headers=who),
            c.get(f"/orders/{theirs}/form", params={"format": "json"}, headers=who),
            c.get(f"/orders/{theirs}/account", headers=who),
            c.post(f"/orders/{theirs}/invoices", headers=who),
            c.post(f"/orders/{theirs}/cancel", headers=who),
        ]
        if role in ("auditor", "admin", "all"):
            hidden.append(c.get("/audit", params={"order": theirs}, headers=who))
        for got in hidden:
            assert (got.status_code, got.json()["code"]) == (404, "ORDER_NOT_FOUND"), (
                name,
                got.request.url,
            )
        lost = c.get(f"/invoices/{invoice['number']}", headers=who)
        assert (lost.status_code, lost.json()["code"]) == (404, "INVOICE_NOT_FOUND")
        form = c.get(f"/orders/{own}/form", params={"format": "json"}, headers=who)
        assert form.status_code == 200

    # And the other way round: Australia sees nothing of the Japan-France order.
    who = api.as_("AUS-all")
    assert own not in {o["id"] for o in c.get("/orders", headers=who).json()}
    assert own not in {e["order"] for e in c.get("/reports/exceptions", headers=who).json()}
    assert c.get(f"/orders/{own}/form", headers=who).status_code == 404
    assert all(r["order_id"] != own for r in c.get("/audit", headers=who).json())
    refused = c.post("/users/FRA-viewer", json={"active": False}, headers=api.as_("AUS-admin"))
    assert (refused.status_code, refused.json()["code"]) == (404, "USER_NOT_FOUND")
