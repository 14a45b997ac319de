"""/api/v1/agreements/{id}/arrangements through a real server (SQLite and PostgreSQL): an
admin of a party adds, amends and ends an arrangement, the nation reads it, another nation
sees nothing; an order names it (its fund citation filled), an unknown one is refused."""

from __future__ import annotations

from typing import Any
from urllib.parse import quote

from tests.api.conftest import Api
from tests.integration.test_arrangements import REFERENCE, arrangement_doc
from tests.orders_data import order_doc

BASE = "/agreements/JPN-AUS/arrangements"
ONE = f"{BASE}/{quote(REFERENCE, safe='')}"


def add(api: Api, who: str = "AUS-admin", **changes: Any) -> Any:
    return api.client.post(BASE, json=arrangement_doc(**changes), headers=api.as_(who))


def test_an_admin_adds_amends_and_ends_and_the_nation_reads(api: Api) -> None:
    c = api.client
    made = add(api)
    assert made.status_code == 201, made.text
    body = made.json()
    assert (body["agreement"], body["reference"], body["status"], body["payment_term_days"]) == (
        "JPN-AUS",
        REFERENCE,
        "in_force",
        45,
    )
    sides = {s["party"]: s for s in body["sides"]}
    assert sides["JPN"]["billing_office"]["address"] == [
        "5-1 Ichigaya-Honmuracho",
        "Shinjuku-ku, Tokyo 162-8801",
    ]
    assert [p["name"] for p in sides["AUS"]["contacts"]] == ["Ms P. Harris"]

    listed = c.get(BASE, headers=api.as_("JPN-viewer"))
    assert listed.status_code == 200
    assert [a["reference"] for a in listed.json()] == [REFERENCE]
    shown = c.get(ONE, headers=api.as_("JPN-viewer"), params={"as_of": "2025-01-20"})
    assert (shown.status_code, shown.json()["status"]) == (200, "signed")

    # another nation sees nothing of it; a viewer changes nothing
    hidden = c.get(BASE, headers=api.as_("FRA-admin"))
    assert (hidden.status_code, hidden.json()["code"]) == (404, "AGREEMENT_NOT_FOUND")
    refused = add(api, "AUS-viewer", reference="other")
    assert (refused.status_code, refused.json()["code"]) == (403, "FORBIDDEN")
    stranger = add(api, "FRA-admin", reference="other")
    assert (stranger.status_code, stranger.json()["code"]) == (404, "AGREEMENT_NOT_FOUND")
    taken = add(api, "JPN-admin")
    assert (taken.status_code, taken.json()["code"]) == (409, "ARRANGEMENT_EXISTS")

    amended = c.put(ONE, json={"payment_term_days": 60}, headers=api.as_("JPN-admin"))
    assert (amended.status_code, amended.json()["payment_term_days"]) == (200, 60)
    ended = c.post(f"{ONE}/end", json={"ended": "2027-01-01"}, headers=api.as_("AUS-admin"))
    assert (ended.status_code, ended.json()["ended"]) == (200, "2027-01-01")
    again = c.post(f"{ONE}/end", json={"ended": "2027-02-01"}, headers=api.as_("AUS-admin"))
    assert (again.status_code, again.json()["code"]) == (409, "ARRANGEMENT_ENDED")
    missing = c.get(f"{BASE}/nothing", headers=api.as_("JPN-viewer"))
    assert (missing.status_code, missing.json()["code"]) == (404, "ARRANGEMENT_NOT_FOUND")


def test_a_bad_document_names_each_field_in_the_readers_language(api: Api) -> None:
    bad = arrangement_doc(payment_term_days=400, signed="soon")
    bad["sides"]["AUS"]["contacts"] = [{"name": "X", "email": "nobody"}]
    answer = api.client.post(
        BASE, json=bad, headers={**api.as_("AUS-admin"), "Accept-Language": "ja"}
    )
    assert answer.status_code == 422
    found = {(v["code"], v["field"]) for v in answer.json()["errors"]}
    assert found == {
        ("INVALID_FIELD", "payment_term_days"),
        ("INVALID_DATE", "signed"),
        ("INVALID_FIELD", "sides.AUS.contacts[0].email"),
    }
    email = next(v for v in answer.json()["errors"] if v["field"].endswith("email"))
    assert "電子メールアドレスではありません" in email["message"]
    assert api.client.get(BASE, headers=api.as_("AUS-admin")).json() == []


def test_an_order_names_its_arrangement_through_the_api(api: Api) -> None:
    assert add(api).status_code == 201
    c = api.client
    placed = c.post(
        "/orders", json=order_doc(arrangement=REFERENCE), headers=api.as_("AUS-requester")
    )
    assert placed.status_code == 201, placed.text
    order = placed.json()
    assert (order["arrangement"], order["fund_citation"]) == (REFERENCE, "DEF cost centre 7731")
    unknown = c.post(
        "/orders", json=order_doc(arrangement="no such"), headers=api.as_("AUS-requester")
    )
    assert (unknown.status_code, unknown.json()["code"]) == (422, "ARRANGEMENT_NOT_FOUND")
    assert unknown.json()["errors"][0]["field"] == "arrangement"
    early = c.post(
        "/orders",
        json=order_doc(arrangement=REFERENCE, order_date="2025-01-10", needed_by="2025-01-12"),
        headers=api.as_("AUS-requester"),
    )
    assert early.status_code == 422
    assert "ARRANGEMENT_NOT_IN_FORCE" in [v["code"] for v in early.json()["errors"]]
    orders = c.get("/orders", headers=api.as_("AUS-viewer")).json()
    assert [o["id"] for o in orders] == [order["id"]]
