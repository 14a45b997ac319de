"""/api/v1/approvals through a real server (SQLite and PostgreSQL): an admin sets the tiers;
a draft above them is refused submission (409 APPROVAL_REQUIRED) until each tier's approver
approved it in turn; the wrong person is refused with a code and nothing written; the queue
with its totals; a bulk approval with one refused; returning a draft; eight approvers racing
for one tier: one approval recorded, the others a coded 409."""

from __future__ import annotations

import threading
import uuid
from typing import Any

import httpx
from sqlalchemy import select
from sqlalchemy.pool import NullPool

from acsa.adapters.db import tables as t
from acsa.adapters.db.engine import make_engine
from acsa.adapters.db.unit_of_work import UnitOfWork
from acsa.services import users
from tests.api.conftest import Api
from tests.orders_data import order_doc

PROBLEM = "application/problem+json"


def tiers(api: Api) -> None:
    body = {"thresholds": ["1000000", "2000000"], "currency": "JPY"}
    done = api.client.put("/approvals/tiers", json=body, headers=api.as_("AUS-admin"))
    assert done.status_code == 200, done.text
    assert [(t["tier"], t["threshold"]) for t in done.json()["tiers"]] == [
        (1, "1000000"),
        (2, "2000000"),
    ]


def placed(api: Api, who: str = "AUS-requester") -> int:
    made = api.client.post("/orders", json=order_doc(), headers=api.as_(who))
    assert made.status_code == 201, made.text
    return int(made.json()["id"])


def submit(api: Api, oid: int, who: str = "AUS-requester") -> httpx.Response:
    version = api.client.get(f"/orders/{oid}", headers=api.as_(who)).json()["version"]
    headers = {**api.as_(who), "If-Match": f'"{version}"'}
    return api.client.post(f"/orders/{oid}/submit", headers=headers)


def approve(api: Api, oid: int, who: str, **body: Any) -> httpx.Response:
    return api.client.post(f"/approvals/{oid}/approve", json=body, headers=api.as_(who))


def rows(api: Api, oid: int) -> list[tuple[str, int | None, str]]:
    engine = make_engine(api.db_url, poolclass=NullPool)
    try:
        a = t.order_approvals
        with engine.connect() as conn:
            found = conn.execute(
                select(a.c.kind, a.c.tier, a.c.actor).where(a.c.order_id == oid).order_by(a.c.id)
            )
            return [(r.kind, r.tier, r.actor) for r in found]
    finally:
        engine.dispose()


def coded(answer: httpx.Response, status: int, code: str) -> None:
    assert (answer.status_code, answer.json()["code"]) == (status, code), answer.text
    assert answer.headers["content-type"].startswith(PROBLEM)


def test_each_tier_in_turn_then_submitted(api: Api) -> None:
    tiers(api)
    oid = placed(api)
    refused = submit(api, oid)
    coded(refused, 409, "APPROVAL_REQUIRED")
    assert "tier 1" in refused.json()["errors"][0]["message"]
    queue = api.client.get("/approvals", headers=api.as_("AUS-approver")).json()
    [item] = queue["items"]
    assert (item["order_id"], item["tier"], item["partner"], item["mine"]) == (
        oid,
        1,
        "JPN",
        True,
    )
    assert queue["totals"] == [
        {"partner": "JPN", "currency": "JPY", "count": 1, "total": item["value"]}
    ]
    # The placer, a non-approver, another nation: refused, nothing written.
    coded(approve(api, oid, "AUS-requester"), 403, "NOT_APPROVER")
    coded(approve(api, oid, "AUS-finance"), 403, "NOT_APPROVER")
    other = approve(api, oid, "JPN-approver")
    assert other.status_code in (403, 404), other.text
    assert rows(api, oid) == []
    first = approve(api, oid, "AUS-approver", comment="needed for the exercise")
    assert first.status_code == 200, first.text
    assert (first.json()["tier"], first.json()["actor"]) == (1, "AUS-approver")
    coded(approve(api, oid, "AUS-approver"), 403, "SAME_APPROVER")
    coded(submit(api, oid), 409, "APPROVAL_REQUIRED")
    second = approve(api, oid, "AUS-all", tier=2)
    assert second.status_code == 200, second.text
    assert rows(api, oid) == [("approve", 1, "AUS-approver"), ("approve", 2, "AUS-all")]
    done = submit(api, oid)
    assert done.status_code == 200, done.text
    shown = api.client.get(f"/orders/{oid}", headers=api.as_("AUS-viewer")).json()
    [submitted] = [h for h in shown["history"] if h["action"] == "submit"]
    named = submitted["details"]["approvals"]
    assert [(a["tier"], a["approver"]) for a in named] == [("1", "AUS-approver"), ("2", "AUS-all")]
    assert api.client.get("/approvals", headers=api.as_("AUS-approver")).json()["items"] == []


def test_the_placer_who_approves_is_refused(api: Api) -> None:
    tiers(api)
    oid = placed(api, "AUS-all")
    coded(approve(api, oid, "AUS-all"), 403, "SELF_APPROVAL")
    assert rows(api, oid) == []


def test_returned_then_edited_waits_again(api: Api) -> None:
    tiers(api)
    oid = placed(api)
    assert approve(api, oid, "AUS-approver").status_code == 200
    back = api.client.post(
        f"/approvals/{oid}/return", json={"comment": "split it"}, headers=api.as_("AUS-all")
    )
    assert back.status_code == 200, back.text
    assert api.client.get("/approvals", headers=api.as_("AUS-all")).json()["items"] == []
    version = api.client.get(f"/orders/{oid}", headers=api.as_("AUS-requester")).json()["version"]
    headers = {**api.as_("AUS-requester"), "If-Match": f'"{version}"'}
    edited = api.client.put(f"/orders/{oid}", json=order_doc(remarks="split"), headers=headers)
    assert edited.status_code == 200, edited.text
    [item] = api.client.get("/approvals", headers=api.as_("AUS-all")).json()["items"]
    assert (item["order_id"], item["tier"], item["approvals"]) == (oid, 1, [])


def test_bulk_approval_reports_each(api: Api) -> None:
    tiers(api)
    one, own, two = placed(api), placed(api, "AUS-all"), placed(api)
    body = {
        "action": "approve",
        "orders": [{"order_id": one}, {"order_id": own}, {"order_id": two, "tier": 1}],
        "comment": "approved in the weekly review",
    }
    done = api.client.post("/approvals", json=body, headers=api.as_("AUS-all"))
    assert done.status_code == 200, done.text
    results = [(r["order_id"], r["ok"], r["code"]) for r in done.json()["results"]]
    assert results == [(one, True, None), (own, False, "SELF_APPROVAL"), (two, True, None)]
    assert rows(api, own) == []
    bad = api.client.post(
        "/approvals", json={"action": "approve", "orders": []}, headers=api.as_("AUS-all")
    )
    assert bad.status_code == 422, bad.text


def _approvers(api: Api, count: int) -> list[dict[str, str]]:
    engine = make_engine(api.db_url, poolclass=NullPool)
    found = []
    try:
        for n in range(count):
            name = f"aus-approver-{n}"
            users.add_user(
                UnitOfWork(engine), {"name": name, "nation": "AUS", "roles": ["approver"]}
            )
            token = users.issue_token(UnitOfWork(engine), name, actor="test").token
            found.append({"Authorization": f"Bearer {token}"})
    finally:
        engine.dispose()
    return found


def test_eight_approvers_racing_for_one_tier_record_one(api: Api) -> None:
    tiers(api)
    oid = placed(api)
    heads = _approvers(api, 8)
    barrier = threading.Barrier(len(heads))
    answers: list[httpx.Response | BaseException | None] = [None] * len(heads)
    run = uuid.uuid4().hex[:8]

    def fire(n: int) -> None:
        headers = {**heads[n], "Idempotency-Key": f"approve-{run}-{n}"}
        try:
            with httpx.Client(base_url=api.server.base + "/api/v1", timeout=120) as client:
                assert client.get(api.server.base + "/healthz").status_code == 200
                barrier.wait(60)
                answers[n] = client.post(
                    f"/approvals/{oid}/approve", json={"tier": 1}, headers=headers
                )
        except BaseException as exc:
            answers[n] = exc
            barrier.abort()

    threads = [threading.Thread(target=fire, args=(n,)) for n in range(len(heads))]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(180)
    got = [a for a in answers if isinstance(a, httpx.Response)]
    assert len(got) == len(heads), answers
    statuses = sorted(a.status_code for a in got)
    assert statuses == [200] + [409] * 7, [a.text for a in got]
    for answer in got:
        if answer.status_code == 409:
            coded(answer, 409, answer.json()["code"])
            assert answer.json()["code"] in ("APPROVAL_NOT_PENDING", "CONCURRENT_UPDATE")
    [recorded] = rows(api, oid)
    assert recorded[:2] == ("approve", 1)
