"""The corrections' routes through a real server (SQLite and PostgreSQL), made from the
command table: POST /invoices/{invoice}/void, /payments/{payment}/reversal and
/invoices/{invoice}/credit-notes; who may, what is refused (each a coded problem document,
nothing written), a retried request recorded once, and the OpenAPI document."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

import httpx

from tests.api.conftest import Api
from tests.orders_data import order_doc

PROBLEM = "application/problem+json"


def _invoiced(api: Api) -> tuple[int, dict[str, Any]]:
    c = api.client
    oid = c.post("/orders", json=order_doc(), headers=api.as_("AUS-requester")).json()["id"]
    for action, who in (
        ("submit", "AUS-requester"),
        ("accept", "JPN-approver"),
        ("deliver", "JPN-logistics"),
        ("receive", "AUS-logistics"),
    ):
        assert c.post(f"/orders/{oid}/{action}", headers=api.as_(who)).status_code == 200
    invoice = c.post(f"/orders/{oid}/invoices", headers=api.as_("JPN-finance"))
    assert invoice.status_code == 201, invoice.text
    return oid, invoice.json()


def _problem(response: Any, status: int, code: str) -> dict[str, Any]:
    assert response.status_code == status, response.text
    assert response.headers["content-type"] == PROBLEM
    body: dict[str, Any] = response.json()
    assert body["code"] == code, body
    return body


def test_who_may_correct_and_what_is_refused(api: Api) -> None:
    c = api.client
    oid, invoice = _invoiced(api)
    number = invoice["number"]
    # Only the supplier's finance voids and credits; the requester's, viewers, others: no.
    for who in ("AUS-finance", "JPN-viewer", "JPN-approver"):
        refused = c.post(f"/invoices/{number}/void", json={"reason": "x"}, headers=api.as_(who))
        _problem(refused, 403, "FORBIDDEN")
        credit = {"amount": "1", "reason": "x"}
        refused = c.post(f"/invoices/{number}/credit-notes", json=credit, headers=api.as_(who))
        _problem(refused, 403, "FORBIDDEN")
    hidden = c.post(f"/invoices/{number}/void", json={"reason": "x"}, headers=api.as_("FRA-all"))
    _problem(hidden, 404, "INVOICE_NOT_FOUND")
    jpn = api.as_("JPN-finance")
    # The body: a reason is required; unknown fields and the internal ones are refused.
    body = _problem(c.post(f"/invoices/{number}/void", json={}, headers=jpn), 422, "MISSING_FIELD")
    assert body["errors"][0]["field"] == "reason"
    blank = c.post(f"/invoices/{number}/void", json={"reason": " "}, headers=jpn)
    _problem(blank, 422, "MISSING_FIELD")
    numbered = {"amount": "1", "reason": "x", "number": "MINE-1"}
    body = _problem(
        c.post(f"/invoices/{number}/credit-notes", json=numbered, headers=jpn),
        422,
        "INVALID_FIELD",
    )
    assert body["errors"][0]["field"] == "number"
    negative = {"amount": "-5", "reason": "x"}
    _problem(
        c.post(f"/invoices/{number}/credit-notes", json=negative, headers=jpn),
        422,
        "INVALID_AMOUNT",
    )
    _problem(
        c.post("/payments/999999/reversal", json={"reason": "x"}, headers=jpn),
        404,
        "PAYMENT_NOT_FOUND",
    )
    _problem(
        c.post("/invoices/NOPE-1/void", json={"reason": "x"}, headers=jpn),
        404,
        "INVOICE_NOT_FOUND",
    )
    shown = c.get(f"/invoices/{number}", headers=jpn).json()
    assert (shown["status"], shown["corrections"]) == ("open", [])
    account = c.get(f"/orders/{oid}/account", headers=jpn).json()["account"]
    assert account["corrections"] == []


def test_a_retried_correction_is_recorded_once_and_the_routes_are_documented(api: Api) -> None:
    c = api.client
    oid, invoice = _invoiced(api)
    number = invoice["number"]
    headers = {**api.as_("JPN-finance"), "Idempotency-Key": "credit-once"}
    body = {"amount": "100", "reason": "agreed", "date": invoice["issued"]}
    first = c.post(f"/invoices/{number}/credit-notes", json=body, headers=headers)
    again = c.post(f"/invoices/{number}/credit-notes", json=body, headers=headers)
    assert first.status_code == again.status_code == 201, first.text
    assert first.json() == again.json()
    shown = c.get(f"/invoices/{number}", headers=api.as_("AUS-finance")).json()
    [note] = shown["corrections"]
    assert (note["kind"], note["amount"], note["reason"]) == ("credit", "100", "agreed")
    assert Decimal(shown["unpaid"]) == Decimal(invoice["amount"]) - 100
    paid = c.post(
        f"/invoices/{number}/payments",
        json={"amount": "10", "date": invoice["issued"]},
        headers=api.as_("AUS-finance"),
    ).json()
    payment = paid["payments"][0]["id"]
    reversal = c.post(
        f"/payments/{payment}/reversal", json={"reason": "bank"}, headers=api.as_("JPN-finance")
    )
    assert reversal.status_code == 201, reversal.text
    assert reversal.json()["payments"][0]["reversed"] is True
    spec = httpx.get(api.url("/openapi.json"), timeout=30).json()
    for path in (
        "/api/v1/invoices/{invoice}/void",
        "/api/v1/payments/{payment}/reversal",
        "/api/v1/invoices/{invoice}/credit-notes",
    ):
        operation = spec["paths"][path]["post"]
        assert "201" in operation["responses"]
        assert "409" in operation["responses"]
        schema = operation["requestBody"]["content"]["application/json"]["schema"]
        assert "reason" in schema["required"]
        assert not {"number", "place", "invoice"} & set(schema["properties"])
    assert c.get(f"/orders/{oid}/account", headers=api.as_("JPN-finance")).status_code == 200
