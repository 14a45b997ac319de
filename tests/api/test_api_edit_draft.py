"""PUT /api/v1/orders/{id} through a real server (SQLite and PostgreSQL): the requester edits a
draft in place, as the command table routes it; the lines are replaced, the version moves on
(If-Match honoured), the same checks as placing run, and only a draft, by its side, may be
edited."""

from __future__ import annotations

from typing import Any

from acsa.adapters.db.engine import make_engine
from acsa.adapters.db.unit_of_work import UnitOfWork
from acsa.services.audit import audit_log
from tests.api.conftest import Api
from tests.orders_data import order_doc, with_line


def placed(api: Api, **changes: Any) -> dict[str, Any]:
    answer = api.client.post("/orders", json=order_doc(**changes), headers=api.as_("AUS-requester"))
    assert answer.status_code == 201, answer.text
    body: dict[str, Any] = answer.json()
    return body


def edited(doc: dict[str, Any]) -> dict[str, Any]:
    """The order document with other dates and place, one line fewer and a price changed."""
    new = {**doc, "needed_by": "2026-10-09", "location": "RAAF Base Tindal", "remarks": "moved"}
    new["lines"] = [{**doc["lines"][0], "quantity": "9000"}, doc["lines"][2]]
    return new


def test_the_requester_edits_a_draft_in_place_and_its_version_moves_on(api: Api) -> None:
    c = api.client
    order = placed(api)
    oid, version = order["id"], order["version"]
    who = {**api.as_("AUS-requester"), "If-Match": f'"{version}"'}
    answer = c.put(f"/orders/{oid}", json=edited(order_doc()), headers=who)
    assert answer.status_code == 200, answer.text
    body = answer.json()
    assert (body["id"], body["status"], body["version"]) == (oid, "draft", version + 1)
    assert answer.headers["ETag"] == f'"{version + 1}"'
    assert (body["needed_by"], body["location"], body["remarks"]) == (
        "2026-10-09",
        "RAAF Base Tindal",
        "moved",
    )
    assert [(ln["number"], ln["description"], ln["quantity"]) for ln in body["lines"]] == [
        (1, "JP-8 aviation turbine fuel", "9000"),
        (2, "Bottled water", "2000.5"),
    ]
    # 9,000 L x 152 + 2,000.5 L x 40 JPY
    assert body["total"] == "1448020"
    assert [e["action"] for e in body["history"]] == ["create", "edit"]
    assert body["history"][-1]["actor"] == "AUS-requester"
    # what the partner reads is the same draft
    shown = c.get(f"/orders/{oid}", headers=api.as_("JPN-viewer")).json()
    assert (shown["version"], shown["total"], len(shown["lines"])) == (version + 1, "1448020", 2)
    # the audit record keeps the terms before and after
    engine = make_engine(api.db_url)
    try:
        log = audit_log(UnitOfWork(engine, read_only=True))
        records = [r for r in log if r.action == "order.edit"]
    finally:
        engine.dispose()
    assert len(records) == 1
    record = records[0]
    assert (record.actor, record.subject) == ("AUS-requester", f"order:{oid}")
    assert record.before is not None
    assert record.after is not None
    assert len(record.before["lines"]) == 3
    assert len(record.after["lines"]) == 2
    # the same version again is stale now
    stale = c.put(f"/orders/{oid}", json=order_doc(), headers=who)
    assert (stale.status_code, stale.json()["code"]) == (409, "CONCURRENT_UPDATE")
    # the edited draft submits as any draft
    submitted = c.post(f"/orders/{oid}/submit", headers=api.as_("AUS-requester"))
    assert submitted.status_code == 200, submitted.text
    assert submitted.json()["version"] == version + 2


def test_an_edit_runs_the_checks_of_placing_an_order(api: Api) -> None:
    c = api.client
    oid = placed(api)["id"]
    who = api.as_("AUS-requester")
    # what the agreement refuses is reported, as on placing, and left to fix before submit
    weapons = with_line(order_doc(), 0, category="weapons", nsn=None)
    answer = c.put(f"/orders/{oid}", json=weapons, headers=who)
    assert answer.status_code == 200, answer.text
    assert "CATEGORY_EXCLUDED" in {v["code"] for v in answer.json()["violations"]}
    refused = c.post(f"/orders/{oid}/submit", headers=who)
    assert refused.status_code == 422
    # a malformed document is refused whole, naming each field; the draft is left as it was
    broken: dict[str, Any] = {**order_doc(), "lines": [], "needed_by": "soon"}
    bad = c.put(f"/orders/{oid}", json=broken, headers=who)
    assert bad.status_code == 422, bad.text
    fields = {e["field"] for e in bad.json()["errors"]}
    assert {"lines", "needed_by"} <= fields, fields
    # the agreement and the nations stay as placed
    moved = c.put(f"/orders/{oid}", json=order_doc(supplier="FRA"), headers=who)
    assert moved.status_code == 422, moved.text
    assert [(e["code"], e["field"]) for e in moved.json()["errors"]] == [
        ("INVALID_FIELD", "supplier")
    ]
    shown = c.get(f"/orders/{oid}", headers=who).json()
    assert shown["version"] == 2
    assert shown["lines"][0]["category"] == "weapons"


def test_only_a_draft_by_its_requesting_side_may_be_edited(api: Api) -> None:
    c = api.client
    oid = placed(api)["id"]
    for name in ("JPN-all", "AUS-viewer", "AUS-finance"):
        refused = c.put(f"/orders/{oid}", json=edited(order_doc()), headers=api.as_(name))
        assert (refused.status_code, refused.json()["code"]) == (403, "FORBIDDEN"), name
    hidden = c.put(f"/orders/{oid}", json=edited(order_doc()), headers=api.as_("FRA-all"))
    assert (hidden.status_code, hidden.json()["code"]) == (404, "ORDER_NOT_FOUND")
    submitted = c.post(f"/orders/{oid}/submit", headers=api.as_("AUS-requester"))
    assert submitted.status_code == 200
    late = c.put(f"/orders/{oid}", json=edited(order_doc()), headers=api.as_("AUS-requester"))
    assert (late.status_code, late.json()["code"]) == (409, "INVALID_TRANSITION"), late.text
    # the route is in the API's document, as PUT on the order
    operation = c.get(api.url("/openapi.json")).json()["paths"]["/api/v1/orders/{order_id}"]
    assert "put" in operation
    assert "lines" in str(operation["put"]["requestBody"])
