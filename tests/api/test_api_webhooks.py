"""/api/v1/webhooks and /api/v1/profile/notify through a real server (SQLite and PostgreSQL);
and the server's scheduler delivering a notice, made from an order submitted through the API,
by e-mail to a real SMTP relay (STARTTLS) and by webhook to a real receiver on 127.0.0.1."""

from __future__ import annotations

import time
from pathlib import Path
from typing import Any

import httpx

from tests.api.conftest import Api
from tests.api.server import Server, add_people
from tests.delivery_servers import smtp_relay, webhook_receiver
from tests.orders_data import order_doc

SECRET = "a-webhook-key-of-the-test-0123456789"


def test_an_admin_manages_the_nations_webhooks(api: Api) -> None:
    c = api.client
    made = c.post(
        "/webhooks",
        json={"url": "https://hooks.jpn.example/acsa", "kinds": ["pay", "invoice_overdue"]},
        headers=api.as_("JPN-admin"),
    )
    assert made.status_code == 201, made.text
    hook = made.json()
    assert len(hook["secret"]) >= 32
    assert hook["secret_prefix"] == hook["secret"][:6] + "…"
    listed = c.get("/webhooks", headers=api.as_("JPN-admin")).json()
    assert [(w["id"], w["kinds"], w["active"]) for w in listed] == [
        (hook["id"], ["invoice_overdue", "pay"], True)
    ]
    assert "secret" not in listed[0]
    assert c.get("/webhooks", headers=api.as_("AUS-admin")).json() == []

    viewer = c.get("/webhooks", headers=api.as_("JPN-viewer"))
    assert (viewer.status_code, viewer.json()["code"]) == (403, "FORBIDDEN")
    bad = c.post(
        "/webhooks",
        json={"url": "http://hooks.jpn.example/x", "kinds": ["nope"]},
        headers=api.as_("JPN-admin"),
    )
    assert bad.status_code in (400, 422)
    fields = sorted(v["field"] for v in bad.json()["errors"])
    assert fields == ["kinds", "url"]
    other = c.post(f"/webhooks/{hook['id']}/remove", headers=api.as_("AUS-admin"))
    assert (other.status_code, other.json()["code"]) == (404, "WEBHOOK_NOT_FOUND")
    removed = c.post(f"/webhooks/{hook['id']}/remove", headers=api.as_("JPN-admin"))
    assert removed.status_code == 200
    assert removed.json()["active"] is False
    audit = c.get("/audit", headers=api.as_("JPN-auditor")).json()
    actions = [r["action"] for r in (audit["items"] if isinstance(audit, dict) else audit)]
    assert "webhook.add" in actions
    assert "webhook.remove" in actions


def test_a_person_sets_their_address_and_choice(api: Api) -> None:
    c = api.client
    me = api.as_("JPN-logistics")
    assert c.get("/profile/notify", headers=me).json() == {"email": None, "notify": "off"}
    refused = c.patch("/profile/notify", json={"email": "not an address"}, headers=me)
    assert refused.status_code in (400, 422)
    assert [v["field"] for v in refused.json()["errors"]] == ["email"]
    needs = c.patch("/profile/notify", json={"notify": "each"}, headers=me)
    assert [v["field"] for v in needs.json()["errors"]] == ["email"]
    done = c.patch(
        "/profile/notify", json={"email": "log@jpn.example", "notify": "digest"}, headers=me
    )
    assert done.status_code == 200, done.text
    assert done.json() == {"email": "log@jpn.example", "notify": "digest"}
    assert c.get("/profile/notify", headers=me).json()["notify"] == "digest"
    profile = c.get("/profile", headers=me).json()
    assert (profile["email"], profile["notify"]) == ("log@jpn.example", "digest")


def _wait(check: Any, seconds: float = 40.0) -> Any:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        found = check()
        if found:
            return found
        time.sleep(0.2)
    raise AssertionError("not delivered in time")


def test_the_servers_scheduler_mails_and_posts_a_new_notice(db_url: str, tmp_path: Path) -> None:
    people = add_people(db_url, nations=("JPN", "AUS"), passwords=False)
    with (
        smtp_relay(tmp_path) as relay,
        webhook_receiver(SECRET) as hook,
        Server(
            db_url,
            log=tmp_path / "serve.log",
            env={**relay.env(public="https://acsa.jpn.example"), "ACSA_ALERTS_INTERVAL": "1"},
        ) as server,
        httpx.Client(base_url=server.base + "/api/v1", timeout=30) as c,
    ):
        logistics = people["JPN-logistics"].headers
        set_ = c.patch(
            "/profile/notify",
            json={"email": "log@jpn.example", "notify": "each"},
            headers=logistics,
        )
        assert set_.status_code == 200, set_.text
        made = c.post(
            "/webhooks",
            json={"url": hook.url, "kinds": ["accept"], "secret": SECRET},
            headers=people["JPN-admin"].headers,
        )
        assert made.status_code == 201, made.text
        requester = people["AUS-requester"].headers
        oid = c.post("/orders", json=order_doc(), headers=requester).json()["id"]
        version = c.get(f"/orders/{oid}", headers=requester).json()["version"]
        submitted = c.post(
            f"/orders/{oid}/submit", headers={**requester, "If-Match": f'"{version}"'}
        )
        assert submitted.status_code == 200, submitted.text

        [mail] = _wait(lambda: relay.to("log@jpn.example"))
        assert mail.tls
        assert mail.signed_in
        assert f"https://acsa.jpn.example/orders/{oid}" in mail.body.splitlines()
        [(_delivery, body)] = _wait(lambda: list(hook.taken))
        assert (body["kind"], body["order_id"], body["nation"]) == ("accept", oid, "JPN")
        log = _wait(lambda: c.get("/webhooks/log", headers=people["JPN-admin"].headers).json())
        assert {(a["channel"], a["ok"]) for a in log} >= {("webhook", True)}
        time.sleep(2.5)  # more ticks: nothing is sent twice
        assert len(relay.to("log@jpn.example")) == 1
        assert len(hook.taken) == 1
