"""POST /api/v1/orders/{id}/note through a real server (SQLite and PostgreSQL): the route the
command table makes, who may note, the bounds, idempotency, and what a note leaves alone."""

from __future__ import annotations

import httpx

from acsa.domain import limits
from tests.api.conftest import Api
from tests.orders_data import order_doc


def test_either_party_notes_an_order_and_everyone_who_sees_it_reads_the_notes(api: Api) -> None:
    c = api.client
    placed = c.post("/orders", json=order_doc(), headers=api.as_("AUS-requester")).json()
    oid, version = placed["id"], placed["version"]
    text = "Pallets arrive on the second flight.\nGate 4, ask for Sgt Brown."
    noted = c.post(f"/orders/{oid}/note", json={"note": text}, headers=api.as_("JPN-logistics"))
    assert noted.status_code == 200, noted.text
    body = noted.json()
    assert [(n["actor"], n["nation"], n["note"]) for n in body["notes"]] == [
        ("JPN-logistics", "JPN", text)
    ]
    # Neither status, money nor version move: the ETag is the one the order had.
    assert (body["status"], body["total"], body["version"]) == (
        placed["status"],
        placed["total"],
        version,
    )
    assert noted.headers["ETag"] == f'"{version}"'
    again = c.post(f"/orders/{oid}/note", json={"note": "ok"}, headers=api.as_("AUS-finance"))
    assert again.status_code == 200, again.text
    for reader in ("AUS-viewer", "JPN-auditor", "JPN-all"):
        shown = c.get(f"/orders/{oid}", headers=api.as_(reader))
        assert shown.status_code == 200
        assert [(n["nation"], n["note"]) for n in shown.json()["notes"]] == [
            ("JPN", text),
            ("AUS", "ok"),
        ]
    # A note needs no If-Match, and one taken meanwhile leaves a step's If-Match good.
    submitted = c.post(
        f"/orders/{oid}/submit", headers={**api.as_("AUS-requester"), "If-Match": f'"{version}"'}
    )
    assert submitted.status_code == 200, submitted.text
    assert submitted.json()["version"] == version + 1
    assert len(submitted.json()["notes"]) == 2


def test_who_may_not_note_and_what_is_not_a_note_are_refused(api: Api) -> None:
    c = api.client
    oid = c.post("/orders", json=order_doc(), headers=api.as_("AUS-requester")).json()["id"]
    for name in ("JPN-viewer", "AUS-auditor", "AUS-admin"):
        refused = c.post(f"/orders/{oid}/note", json={"note": "x"}, headers=api.as_(name))
        assert refused.status_code == 403, name
        assert refused.json()["code"] == "FORBIDDEN"
    hidden = c.post(f"/orders/{oid}/note", json={"note": "x"}, headers=api.as_("FRA-all"))
    assert (hidden.status_code, hidden.json()["code"]) == (404, "ORDER_NOT_FOUND")
    missing = c.post("/orders/999999/note", json={"note": "x"}, headers=api.as_("AUS-all"))
    assert (missing.status_code, missing.json()["code"]) == (404, "ORDER_NOT_FOUND")
    who = api.as_("AUS-logistics")
    cases: list[tuple[dict[str, object], str]] = [
        ({}, "MISSING_FIELD"),
        ({"note": ""}, "MISSING_FIELD"),
        ({"note": "   "}, "MISSING_FIELD"),
        ({"note": "x" * (limits.NOTE_CHARS_MAX + 1)}, "INVALID_FIELD"),
        ({"note": "ring\x07ring"}, "INVALID_FIELD"),
        ({"note": 12}, "INVALID_FIELD"),
        ({"note": "ok", "status": "closed"}, "INVALID_FIELD"),
    ]
    for body, code in cases:
        bad = c.post(f"/orders/{oid}/note", json=body, headers=who)
        assert bad.status_code == 422, (body, bad.text)
        problem = bad.json()
        assert problem["code"] == code, (body, problem)
        expected = "status" if "status" in body else "note"
        assert problem["errors"][0]["field"] == expected, problem
    shown = c.get(f"/orders/{oid}", headers=who).json()
    assert shown["notes"] == []
    longest = "x" * limits.NOTE_CHARS_MAX
    taken = c.post(f"/orders/{oid}/note", json={"note": longest}, headers=who)
    assert taken.status_code == 200, taken.text


def test_a_retried_note_is_recorded_once_and_the_route_is_documented(api: Api) -> None:
    c = api.client
    oid = c.post("/orders", json=order_doc(), headers=api.as_("AUS-requester")).json()["id"]
    key = {**api.as_("AUS-logistics"), "Idempotency-Key": "note-1"}
    first = c.post(f"/orders/{oid}/note", json={"note": "once"}, headers=key)
    again = c.post(f"/orders/{oid}/note", json={"note": "once"}, headers=key)
    assert (first.status_code, again.status_code) == (200, 200)
    assert again.headers["Idempotent-Replayed"] == "true"
    assert again.json() == first.json()
    other = c.post(f"/orders/{oid}/note", json={"note": "twice"}, headers=key)
    assert (other.status_code, other.json()["code"]) == (409, "IDEMPOTENCY_KEY_REUSED")
    shown = c.get(f"/orders/{oid}", headers=api.as_("AUS-viewer")).json()
    assert [n["note"] for n in shown["notes"]] == ["once"]

    spec = httpx.get(api.url("/openapi.json"), timeout=30).json()
    operation = spec["paths"]["/api/v1/orders/{order_id}/note"]["post"]
    schema = operation["requestBody"]["content"]["application/json"]["schema"]
    assert schema["required"] == ["note"]
    assert schema["properties"]["note"]["maxLength"] == limits.NOTE_CHARS_MAX
    assert operation["responses"]["200"]["content"]["application/json"]["schema"]["$ref"].endswith(
        "/OrderOut"
    )
