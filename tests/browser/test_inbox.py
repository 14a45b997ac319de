"""The inbox in a real browser (Chromium): the header's unread count on every page, the inbox
page with each notice in the reader's language, marking one read (the count drops), its link to
the order, and "mark all read"; in English, then in Japanese."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from playwright.sync_api import expect

from acsa.adapters.db.engine import make_engine
from acsa.adapters.db.unit_of_work import UnitOfWork
from acsa.clock import today
from acsa.commands import IssueInvoice, PlaceOrder, SubmitOrder
from acsa.services import notices
from acsa.services.handlers import handle
from tests.browser.conftest import Site
from tests.browser.helpers import switch_language
from tests.integration.test_settlement import received_order
from tests.orders_data import order_doc


@pytest.fixture
def waiting(site: Site, db_url: str) -> Iterator[dict[str, int]]:
    """An order AUS submitted (JPN's logistics to accept it), one received and not invoiced
    (JPN's finance to invoice it) and one invoiced today (AUS's finance to pay it); the alerts
    of today made."""
    site.people["AUS-all"]
    engine = make_engine(db_url)
    try:
        uow = UnitOfWork(engine)
        placed, _ = handle(uow, PlaceOrder.from_wire(order_doc()), "AUS-requester")
        handle(uow, SubmitOrder(order_id=placed.id), "AUS-requester")
        to_invoice = received_order(uow)
        to_pay = received_order(uow)
        handle(uow, IssueInvoice(order_id=to_pay, issued=today()), "JPN-finance")
        made = notices.run_alerts(uow, today(), "test")
        assert sorted(c.kind for c in made.created) == ["accept", "invoice", "pay"]
        yield {"accept": placed.id, "invoice": to_invoice, "pay": to_pay}
    finally:
        engine.dispose()


def test_the_inbox_counts_shows_marks_read_and_links_to_the_order(
    site: Site, waiting: dict[str, int]
) -> None:
    page, _ = site.sign_in("JPN-all")
    link = page.locator("#inbox-link")
    expect(page.locator("#inbox-count")).to_have_text("2")
    expect(link).to_have_attribute("aria-label", "Inbox: 2 unread")
    page.goto("/orders")  # on every page
    expect(page.locator("#inbox-count")).to_have_text("2")
    link.click()
    expect(page.locator("h1")).to_have_text("Inbox")
    items = page.locator("#notices li")
    expect(items).to_have_count(2)
    expect(page.locator("#notices li.unread")).to_have_count(2)
    accept = page.locator("#notices li[data-kind=accept]")
    expect(accept).to_contain_text(f"Order {waiting['accept']} waits for acceptance")
    expect(accept).to_contain_text("Accept it or reject it.")
    site.shot(page, "inbox")
    accept.locator("button.notice-read").click()
    expect(page.locator("#inbox-count")).to_have_text("1")
    expect(page.locator("#notices li.unread")).to_have_count(1)
    expect(accept.locator("button.notice-read")).to_have_count(0)
    accept.locator("a.notice-order").click()
    expect(page).to_have_url(f"{site.server.base}/orders/{waiting['accept']}")
    expect(page.locator("#inbox-count")).to_have_text("1")


def test_the_inbox_in_japanese(site: Site, waiting: dict[str, int]) -> None:
    page, _ = site.sign_in("AUS-all")
    switch_language(page, "ja")
    expect(page.locator("#inbox-link")).to_contain_text("受信箱 (1)")
    expect(page.locator("#inbox-link")).to_have_attribute("aria-label", "受信箱：未読 1 件")
    page.click("#inbox-link")
    expect(page.locator("h1")).to_have_text("受信箱")
    pay = page.locator("#notices li[data-kind=pay]")
    expect(pay.locator(".notice-title")).to_contain_text("が支払いを待っています")
    expect(pay.locator(".notice-text")).to_contain_text("支払期日は 20")  # its due day
    expect(pay.locator("a.notice-order")).to_have_text(f"発注 {waiting['pay']}")
    site.shot(page, "inbox-ja")
    page.click("#inbox-read-all")
    expect(page.locator("#inbox-count")).to_have_text("0")
    expect(page.locator("#notices li.unread")).to_have_count(0)
    expect(page.locator("#inbox-read-all")).to_have_count(0)
