"""What an order attests through the REST API of a real server (SQLite and PostgreSQL): posted
with the order, returned by GET, refused with a code when malformed, and required where the
text requires it."""

from __future__ import annotations

from tests.api.conftest import Api
from tests.attestations_data import CASH_REASON, add_test_agreement, attest_order
from tests.orders_data import order_doc

ATTESTED = {
    "cash_reason": "Rations are eaten in the exercise; returning them is difficult",
    "determination": "JPN-AUS determination 2026-07",
    "determination_date": "2026-09-15",
    "hostilities": True,
    "confirm": ["IN_FORCE_DATE_UNCERTAIN", "ACTIVITY_UNVERIFIED"],
}


def test_an_order_posted_with_its_attestations_is_returned_with_them(api: Api) -> None:
    c = api.client
    placed = c.post("/orders", json=order_doc(**ATTESTED), headers=api.as_("AUS-requester"))
    assert placed.status_code == 201, placed.text
    oid = placed.json()["id"]
    shown = c.get(f"/orders/{oid}", headers=api.as_("JPN-viewer")).json()
    for body in (placed.json(), shown):
        assert body["cash_reason"] == ATTESTED["cash_reason"]
        assert (body["determination"], body["determination_date"]) == (
            "JPN-AUS determination 2026-07",
            "2026-09-15",
        )
        assert body["hostilities"] is True
        assert body["confirmed"] == ["ACTIVITY_UNVERIFIED", "IN_FORCE_DATE_UNCERTAIN"]
    listed = c.get("/orders", headers=api.as_("AUS-viewer")).json()
    assert [o["confirmed"] for o in listed if o["id"] == oid] == [shown["confirmed"]]
    # an order that attests nothing says so
    plain = c.post(
        "/orders",
        json=order_doc(settlement="replacement_in_kind", cash_reason=None),
        headers=api.as_("AUS-requester"),
    ).json()
    assert (plain["cash_reason"], plain["determination"], plain["determination_date"]) == (
        None,
        None,
        None,
    )
    assert (plain["hostilities"], plain["confirmed"]) == (False, [])


#: Malformed attestations, each refused naming its field (one server for them all).
MALFORMED: list[tuple[dict[str, object], str, str]] = [
    ({"confirm": ["NOPE"]}, "INVALID_FIELD", "confirm[0]"),
    ({"confirm": "ACTIVITY_UNVERIFIED"}, "INVALID_FIELD", "confirm"),
    ({"determination_date": "2026-02-30"}, "INVALID_DATE", "determination_date"),
    ({"cash_reason": "x" * 2001}, "INVALID_FIELD", "cash_reason"),
    ({"cash_reason": ""}, "INVALID_FIELD", "cash_reason"),
    ({"determination": "ref\u0000"}, "INVALID_FIELD", "determination"),
    # Hostilities are declared only by JSON true, never by a word or a number read as true.
    ({"hostilities": "yes"}, "INVALID_FIELD", "hostilities"),
    ({"hostilities": 1}, "INVALID_FIELD", "hostilities"),
]


def test_a_malformed_attestation_is_refused_naming_it(api: Api) -> None:
    for changes, code, field in MALFORMED:
        refused = api.client.post(
            "/orders", json=order_doc(**changes), headers=api.as_("AUS-requester")
        )
        assert refused.status_code == 422, (changes, refused.text)
        errors = [(e["code"], e["field"]) for e in refused.json()["errors"]]
        assert errors == [(code, field)], changes
    assert api.client.get("/orders", headers=api.as_("AUS-viewer")).json() == []


def test_the_checks_ask_for_what_the_text_requires_and_accept_it_when_given(api: Api) -> None:
    add_test_agreement(api.db_url)
    c, who = api.client, api.as_("AUS-requester")
    bare = attest_order(activity="other_activities", order_date="2019-07-10", cash_reason=None)
    bare["needed_by"] = "2019-07-12"
    found = c.post("/orders/check", json=bare, headers=who).json()["errors"]
    assert sorted((e["code"], e["field"]) for e in found) == [
        ("CASH_REASON_REQUIRED", "cash_reason"),
        ("DETERMINATION_REQUIRED", "determination"),
        ("IN_FORCE_DATE_UNCERTAIN", "order_date"),
    ]
    given = {
        **bare,
        "cash_reason": CASH_REASON,
        "determination": "D-2019-1",
        "determination_date": "2019-07-01",
        "confirm": ["IN_FORCE_DATE_UNCERTAIN"],
    }
    assert c.post("/orders/check", json=given, headers=who).json()["errors"] == []
    placed = c.post("/orders", json=given, headers=who)
    assert placed.status_code == 201, placed.text
    submitted = c.post(f"/orders/{placed.json()['id']}/submit", headers=who)
    assert submitted.status_code == 200, submitted.text
    assert submitted.json()["confirmed"] == ["IN_FORCE_DATE_UNCERTAIN"]
