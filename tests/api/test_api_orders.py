"""The orders API through a real server: the lifecycle, idempotency, If-Match, access."""

from __future__ import annotations

from tests.api.conftest import Api
from tests.orders_data import order_doc


def test_an_order_goes_through_its_lifecycle_by_the_right_people(api: Api) -> None:
    c = api.client
    placed = c.post("/orders", json=order_doc(), headers=api.as_("AUS-requester"))
    assert placed.status_code == 201, placed.text
    order = placed.json()
    assert placed.headers["Location"] == f"/api/v1/orders/{order['id']}"
    oid = order["id"]
    steps = [
        ("submit", "AUS-requester", "submitted"),
        ("accept", "JPN-approver", "accepted"),
        ("deliver", "JPN-logistics", "delivered"),
        ("receive", "AUS-logistics", "received"),
    ]
    for action, who, status in steps:
        r = c.post(f"/orders/{oid}/{action}", headers=api.as_(who))
        assert r.status_code == 200, r.text
        assert r.json()["status"] == status
        assert r.headers["ETag"] == f'"{r.json()["version"]}"'
    shown = c.get(f"/orders/{oid}", headers=api.as_("JPN-viewer")).json()
    assert [e["action"] for e in shown["history"]] == [
        "create",
        "submit",
        "accept",
        "deliver",
        "receive",
    ]
    assert [e["actor"] for e in shown["history"]][1:] == [who for _, who, _ in steps]


def test_the_wrong_side_or_role_is_forbidden_and_a_third_nation_sees_nothing(api: Api) -> None:
    c = api.client
    oid = c.post("/orders", json=order_doc(), headers=api.as_("AUS-requester")).json()["id"]
    refused = c.post(f"/orders/{oid}/submit", headers=api.as_("JPN-all"))
    assert refused.status_code == 403
    assert refused.headers["content-type"] == "application/problem+json"
    assert refused.json()["code"] == "FORBIDDEN"
    for path in (f"/orders/{oid}", f"/orders/{oid}/submit"):
        hidden = (c.get if "submit" not in path else c.post)(path, headers=api.as_("FRA-all"))
        assert hidden.status_code == 404
        assert hidden.json()["code"] == "ORDER_NOT_FOUND"
    assert c.get("/orders", headers=api.as_("FRA-all")).json() == []
    assert [o["id"] for o in c.get("/orders", headers=api.as_("JPN-viewer")).json()] == [oid]


def test_a_retry_with_the_same_key_changes_nothing_twice(api: Api) -> None:
    c, who = api.client, api.as_("AUS-requester")
    key = {**who, "Idempotency-Key": "order-1"}
    first = c.post("/orders", json=order_doc(), headers=key)
    again = c.post("/orders", json=order_doc(), headers=key)
    assert (first.status_code, again.status_code) == (201, 201)
    assert again.json() == first.json()
    assert again.headers["Idempotent-Replayed"] == "true"
    assert len(c.get("/orders", headers=who).json()) == 1
    other = c.post("/orders", json=order_doc(location="Elsewhere"), headers=key)
    assert other.status_code == 409
    assert other.json()["code"] == "IDEMPOTENCY_KEY_REUSED"


def test_a_stale_if_match_is_a_conflict_and_changes_nothing(api: Api) -> None:
    c = api.client
    oid = c.post("/orders", json=order_doc(), headers=api.as_("AUS-requester")).json()["id"]
    c.post(f"/orders/{oid}/submit", headers=api.as_("AUS-requester"))
    stale = c.post(f"/orders/{oid}/accept", headers={**api.as_("JPN-approver"), "If-Match": '"1"'})
    assert stale.status_code == 409
    assert stale.json()["code"] == "CONCURRENT_UPDATE"
    assert c.get(f"/orders/{oid}", headers=api.as_("JPN-viewer")).json()["status"] == "submitted"
    fresh = c.post(f"/orders/{oid}/accept", headers={**api.as_("JPN-approver"), "If-Match": '"2"'})
    assert fresh.status_code == 200


def test_refusals_are_problem_documents_with_the_cli_codes(api: Api) -> None:
    c, who = api.client, api.as_("AUS-requester")
    assert c.get("/orders").status_code == 401
    assert c.get("/orders", headers={"Authorization": "Bearer nope"}).status_code == 401
    bad = c.post("/orders", json={**order_doc(), "lines": []}, headers=who)
    assert bad.status_code == 422
    assert bad.json()["errors"][0]["field"] == "lines"
    missing = c.get("/orders/999999", headers=who)
    assert (missing.status_code, missing.json()["code"]) == (404, "ORDER_NOT_FOUND")
    oid = c.post("/orders", json=order_doc(), headers=who).json()["id"]
    early = c.post(f"/orders/{oid}/deliver", headers=api.as_("JPN-logistics"))
    assert (early.status_code, early.json()["code"]) == (409, "INVALID_TRANSITION")


def test_invoice_and_payment_settle_a_received_order_and_both_books_agree(api: Api) -> None:
    c = api.client
    oid = c.post("/orders", json=order_doc(), headers=api.as_("AUS-requester")).json()["id"]
    for action, who in [
        ("submit", "AUS-requester"),
        ("accept", "JPN-approver"),
        ("deliver", "JPN-logistics"),
        ("receive", "AUS-logistics"),
    ]:
        assert c.post(f"/orders/{oid}/{action}", headers=api.as_(who)).status_code == 200
    wrong_side = c.post(f"/orders/{oid}/invoices", headers=api.as_("AUS-finance"))
    assert wrong_side.status_code == 403
    invoice = c.post(f"/orders/{oid}/invoices", headers=api.as_("JPN-finance"))
    assert invoice.status_code == 201, invoice.text
    number, amount = invoice.json()["number"], invoice.json()["amount"]
    assert c.get(f"/invoices/{number}", headers=api.as_("FRA-all")).status_code == 404
    paid = c.post(
        f"/invoices/{number}/payments",
        json={"amount": amount, "date": invoice.json()["issued"], "reference": "TT-1"},
        headers=api.as_("AUS-finance"),
    )
    assert paid.status_code == 201, paid.text
    assert paid.json()["status"] == "paid"
    closed = c.post(f"/orders/{oid}/close", headers=api.as_("AUS-finance"))
    assert closed.json()["status"] == "closed"
    assert c.get("/invoices", headers=api.as_("FRA-all")).json() == []
