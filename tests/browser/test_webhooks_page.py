"""E-mail notices and webhooks in a real browser (Chromium), on a phone's width (390 px): a
person sets their address and choice on the account page (a bad address refused naming the
field); an admin adds a webhook (its key shown once), reads the delivery log of a notice POSTed
to a real receiver, and stops the webhook; a person who is not an admin is refused; in English
and in Japanese."""

from __future__ import annotations

from datetime import UTC, datetime

from playwright.sync_api import ViewportSize, expect

from acsa.adapters.db.engine import make_engine
from acsa.adapters.db.notice_repository import NoticeRepository
from acsa.adapters.db.unit_of_work import UnitOfWork
from acsa.adapters.webhook_sender import WebhookPoster
from acsa.domain.access import Role
from acsa.domain.notices import Notice, NoticeKind
from acsa.services import notice_delivery as service
from tests.browser.conftest import Site
from tests.browser.helpers import (
    accessibility_problems,
    english_words,
    overflow,
    switch_language,
)
from tests.delivery_servers import webhook_receiver

PHONE: ViewportSize = {"width": 390, "height": 844}


def _deliver_one(db_url: str, url: str, secret: str) -> None:
    """A webhook of JPN to ``url`` and one notice delivered to it."""
    engine = make_engine(db_url)
    try:
        service.add_webhook(UnitOfWork(engine), "JPN", url, [], "JPN-admin", secret=secret)
        notice = Notice(
            kind=NoticeKind.ACCEPT,
            nation="JPN",
            roles=(Role.LOGISTICS,),
            subject="order:1",
            marker="m",
            as_of=datetime.now(UTC).date(),
            params={"order": "1", "requester": "AUS", "supplier": "JPN"},
        )
        with UnitOfWork(engine) as uow:
            NoticeRepository(uow.connection).add_if_absent(notice, datetime.now(UTC))
            uow.commit()
        delivery = service.Delivery(None, WebhookPoster())
        report = service.deliver_due(engine, datetime.now(UTC), delivery)
        assert report.sent == 1, report.errors
    finally:
        engine.dispose()


def test_a_person_chooses_e_mail_notices_on_their_account_page(site: Site) -> None:
    page, watch = site.sign_in("JPN-logistics")
    watch.expected_statuses = {400, 403}
    page.set_viewport_size(PHONE)
    page.goto("/account")
    form = page.locator("#notify-form")
    expect(form.locator("input[name=notify][value=off]")).to_be_checked()
    form.locator("#email").fill("kate@localhost")
    form.locator("input[name=notify][value=each]").check()
    form.locator("button[type=submit]").click()
    expect(page.locator("table.violations")).to_contain_text("email")
    expect(page.locator("#email")).to_have_value("kate@localhost")
    page.locator("#email").fill("kate@jpn.example")
    page.locator("#notify-form button[type=submit]").click()
    expect(page.locator("[data-saved=notify]")).to_be_visible()
    expect(page.locator("#email")).to_have_value("kate@jpn.example")
    expect(page.locator("#notify-form input[name=notify][value=each]")).to_be_checked()
    assert page.locator("a[href='/webhooks']").count() == 0  # not an admin
    assert overflow(page) <= 0
    assert accessibility_problems(page) == []
    switch_language(page, "ja")
    page.goto("/account")
    expect(page.locator("#notify-title")).to_have_text("メールでの通知")
    expect(page.locator("#notify-form")).to_contain_text("1 件ごとに送る")
    assert english_words(page, ("kate@jpn.example", "JPN-logistics")) == []
    refused = page.goto("/webhooks")
    assert refused is not None
    assert refused.status == 403
    assert watch.problems == []


def test_an_admin_adds_reads_the_log_of_and_stops_a_webhook(site: Site, db_url: str) -> None:
    secret = "browser-test-key-0123456789"
    with webhook_receiver(secret) as hook:
        _deliver_one(db_url, hook.url, secret)
    page, watch = site.sign_in("JPN-admin")
    watch.expected_statuses = {400}
    page.set_viewport_size(PHONE)
    page.goto("/account")
    page.click("a[href='/webhooks']")
    expect(page.locator("h1")).to_have_text("Webhooks and deliveries")
    log = page.locator("#delivery-log tbody tr[data-ok='1']")
    expect(log).to_have_count(1)
    expect(log).to_contain_text("Waits for acceptance")
    expect(log).to_contain_text("(204)")

    page.fill("#w-url", "http://hooks.jpn.example/acsa")
    page.locator("#add-webhook button[type=submit]").click()
    expect(page.locator("table.violations")).to_contain_text("https")
    page.fill("#w-url", "https://hooks.jpn.example/acsa")
    page.locator("#add-webhook input[name=kinds][value=pay]").check()
    page.locator("#add-webhook button[type=submit]").click()
    key = page.locator("#new-key").inner_text()
    assert len(key) >= 32
    row = page.locator("#webhooks tbody tr").last
    expect(row).to_contain_text("https://hooks.jpn.example/acsa")
    expect(row).to_contain_text("Waits for payment")
    expect(row).to_contain_text(key[:6] + "…")
    assert overflow(page) <= 0
    assert accessibility_problems(page) == []
    site.shot(page, "webhooks-phone")

    page.goto("/webhooks")
    assert key not in page.content()  # shown once
    row = page.locator("#webhooks tbody tr").last
    row.locator("button[type=submit]").click()
    expect(page.locator("[data-done=removed]")).to_be_visible()
    expect(page.locator("#webhooks tbody tr").last).to_contain_text("stopped")

    switch_language(page, "ja")
    page.goto("/webhooks")
    expect(page.locator("h1")).to_have_text("ウェブフックと配信")
    expect(page.locator("#delivery-log")).to_contain_text("送信済み")
    data: tuple[str, ...] = (hook.url, "https://hooks.jpn.example/acsa", "X-Acsa-Signature")
    data = (*data, "X-Acsa-Timestamp", "HMAC", "JSON", "POST", "sha256", "https", "webhook")
    assert english_words(page, data) == []
    assert overflow(page) <= 0
    assert watch.problems == []
