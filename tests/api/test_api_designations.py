"""/api/v1/designations and the designation rule through a real server (SQLite and
PostgreSQL): an admin designates and ends, everyone of the nation reads, other nations see
nothing; a step without a current designation, under an expired one, above the limit, or by
the person who authorised the order is refused with its code and the order is unchanged."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from tests.api.conftest import Api
from tests.orders_data import order_doc

#: FUEL_FOR_AUSTRALIA is worth 2,644,020 JPY.
VALUE = "2644020"


def designation(user: str, role: str, limit: str = "5000000", **changes: Any) -> dict[str, Any]:
    return {
        "user": user,
        "role": role,
        "limit": limit,
        "currency": "JPY",
        "valid_from": "2020-01-01",
        "reference": f"ORD-{user}-{role}",
        "reference_date": "2019-12-20",
        **changes,
    }


def designate(api: Api, admin: str, doc: dict[str, Any]) -> dict[str, Any]:
    made = api.client.post("/designations", json=doc, headers=api.as_(admin))
    assert made.status_code == 201, made.text
    return dict(made.json())


def step(api: Api, who: str, oid: int, word: str) -> Any:
    version = api.client.get(f"/orders/{oid}", headers=api.as_(who)).json()["version"]
    headers = {**api.as_(who), "If-Match": f'"{version}"'}
    return api.client.post(f"/orders/{oid}/{word}", headers=headers)


def unchanged(api: Api, oid: int, before: dict[str, Any]) -> None:
    now = api.client.get(f"/orders/{oid}", headers=api.as_("AUS-viewer")).json()
    assert (now["status"], now["version"], len(now["history"])) == (
        before["status"],
        before["version"],
        len(before["history"]),
    )


def test_an_admin_designates_and_ends_and_the_nation_reads(api: Api) -> None:
    c = api.client
    made = designate(api, "AUS-admin", designation("AUS-requester", "ordering"))
    assert (made["user"], made["role"], made["limit"], made["currency"], made["current"]) == (
        "AUS-requester",
        "ordering",
        "5000000",
        "JPY",
        True,
    )
    listed = c.get("/designations", headers=api.as_("AUS-viewer"))
    assert listed.status_code == 200
    assert [d["id"] for d in listed.json()] == [made["id"]]
    assert c.get("/designations", headers=api.as_("JPN-admin")).json() == []
    assert c.get("/designations/policy", headers=api.as_("AUS-viewer")).json() == {
        "nation": "AUS",
        "required": True,
        "separation": True,
    }
    # Only an admin designates, and only people of their own nation.
    refused = c.post(
        "/designations", json=designation("AUS-all", "ordering"), headers=api.as_("AUS-viewer")
    )
    assert (refused.status_code, refused.json()["code"]) == (403, "FORBIDDEN")
    other = c.post(
        "/designations", json=designation("AUS-all", "ordering"), headers=api.as_("JPN-admin")
    )
    assert (other.status_code, other.json()["code"]) == (404, "USER_NOT_FOUND")
    bad = c.post(
        "/designations",
        json=designation("AUS-all", "signing", limit="-1"),
        headers=api.as_("AUS-admin"),
    )
    assert bad.status_code == 422
    # Ending: by an admin of the nation, once; another nation's admin finds nothing.
    hidden = c.post(f"/designations/{made['id']}/end", json={}, headers=api.as_("JPN-admin"))
    assert (hidden.status_code, hidden.json()["code"]) == (404, "DESIGNATION_NOT_FOUND")
    ended = c.post(
        f"/designations/{made['id']}/end",
        json={"on": "2021-01-01", "reason": "posted away"},
        headers=api.as_("AUS-admin"),
    )
    assert ended.status_code == 200, ended.text
    assert (ended.json()["ended_on"], ended.json()["current"]) == ("2021-01-01", False)
    again = c.post(f"/designations/{made['id']}/end", json={}, headers=api.as_("AUS-admin"))
    assert (again.status_code, again.json()["code"]) == (409, "INVALID_TRANSITION")


def test_submit_needs_a_current_designation_within_limit(api: Api) -> None:
    c = api.client
    placed = c.post("/orders", json=order_doc(), headers=api.as_("AUS-requester")).json()
    oid = placed["id"]
    designate(api, "AUS-admin", designation("AUS-requester", "ordering", limit="1000000"))
    designate(api, "AUS-admin", designation("AUS-all", "ordering", valid_until="2021-12-31"))
    nobody = step(api, "AUS-all", oid, "submit")  # designated, but expired
    assert (nobody.status_code, nobody.json()["code"]) == (403, "NOT_DESIGNATED")
    unchanged(api, oid, placed)
    below = step(api, "AUS-requester", oid, "submit")
    assert (below.status_code, below.json()["code"]) == (403, "AUTHORITY_EXCEEDED")
    [violation] = below.json()["errors"]
    assert violation["params"]["limit"] == "1,000,000 JPY", violation
    assert violation["params"]["value"] == "2,644,020 JPY", violation
    unchanged(api, oid, placed)
    designate(api, "AUS-admin", designation("AUS-requester", "ordering", limit="3000000"))
    submitted = step(api, "AUS-requester", oid, "submit")
    assert submitted.status_code == 200, submitted.text
    assert submitted.json()["status"] == "submitted"


def test_who_submitted_may_not_receive_and_a_receiving_official_may(api: Api) -> None:
    c = api.client
    placed = c.post("/orders", json=order_doc(), headers=api.as_("AUS-all")).json()
    oid = placed["id"]
    designate(api, "AUS-admin", designation("AUS-all", "ordering"))
    designate(api, "AUS-admin", designation("AUS-all", "receiving"))
    designate(api, "AUS-admin", designation("AUS-logistics", "receiving"))
    designate(api, "JPN-admin", designation("JPN-approver", "accepting"))
    assert step(api, "AUS-all", oid, "submit").status_code == 200
    stranger = step(api, "JPN-all", oid, "accept")
    assert (stranger.status_code, stranger.json()["code"]) == (403, "NOT_DESIGNATED")
    assert step(api, "JPN-approver", oid, "accept").status_code == 200
    assert step(api, "JPN-logistics", oid, "deliver").status_code == 200
    before = c.get(f"/orders/{oid}", headers=api.as_("AUS-viewer")).json()
    same = step(api, "AUS-all", oid, "receive")
    assert (same.status_code, same.json()["code"]) == (403, "SEPARATION_OF_DUTIES")
    unchanged(api, oid, before)
    received = step(api, "AUS-logistics", oid, "receive")
    assert received.status_code == 200, received.text
    assert received.json()["status"] == "received"


def test_an_invoice_needs_a_certifying_official_within_limit(api: Api) -> None:
    c = api.client
    oid = c.post("/orders", json=order_doc(), headers=api.as_("AUS-requester")).json()["id"]
    for who, word in (
        ("AUS-requester", "submit"),
        ("JPN-approver", "accept"),
        ("JPN-logistics", "deliver"),
        ("AUS-logistics", "receive"),
    ):
        assert step(api, who, oid, word).status_code == 200
    designate(api, "JPN-admin", designation("JPN-finance", "certifying", limit="100000"))
    below = c.post(f"/orders/{oid}/invoices", json={}, headers=api.as_("JPN-finance"))
    assert (below.status_code, below.json()["code"]) == (403, "AUTHORITY_EXCEEDED")
    assert c.get(f"/invoices?order={oid}", headers=api.as_("JPN-finance")).json() == []
    designate(api, "JPN-admin", designation("JPN-finance", "certifying", limit=VALUE))
    issued = c.post(f"/orders/{oid}/invoices", json={}, headers=api.as_("JPN-finance"))
    assert issued.status_code == 201, issued.text


def test_a_payment_needs_a_certifying_official_other_than_who_ordered(api: Api) -> None:
    c = api.client
    oid = c.post("/orders", json=order_doc(), headers=api.as_("AUS-all")).json()["id"]
    for who, word in (
        ("AUS-all", "submit"),
        ("JPN-approver", "accept"),
        ("JPN-logistics", "deliver"),
        ("AUS-logistics", "receive"),
    ):
        assert step(api, who, oid, word).status_code == 200
    issued = c.post(f"/orders/{oid}/invoices", json={}, headers=api.as_("JPN-finance"))
    assert issued.status_code == 201, issued.text
    number = issued.json()["number"]
    designate(api, "AUS-admin", designation("AUS-all", "certifying"))
    designate(api, "AUS-admin", designation("AUS-finance", "certifying", limit="1000000"))
    today = datetime.now(UTC).date().isoformat()
    body = {"amount": "2000000", "date": today, "reference": "AUS-PAY-1"}
    for who, code in (
        ("AUS-viewer", "FORBIDDEN"),  # no finance role: refused before any designation
        ("AUS-all", "SEPARATION_OF_DUTIES"),  # submitted the order
        ("AUS-finance", "AUTHORITY_EXCEEDED"),  # 2,000,000 JPY above 1,000,000
    ):
        refused = c.post(f"/invoices/{number}/payments", json=body, headers=api.as_(who))
        assert (refused.status_code, refused.json()["code"]) == (403, code), refused.text
    paid = c.get(f"/invoices/{number}", headers=api.as_("AUS-finance")).json()
    assert paid["payments"] == []
    designate(api, "AUS-admin", designation("AUS-finance", "certifying", limit="3000000"))
    done = c.post(f"/invoices/{number}/payments", json=body, headers=api.as_("AUS-finance"))
    assert done.status_code == 201, done.text
    assert len(done.json()["payments"]) == 1
