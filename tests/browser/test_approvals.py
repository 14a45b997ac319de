"""The approval queue in a real browser (Chromium), in English and in Japanese: an approver
ticks two drafts and approves them with one comment; each outcome is shown, the two then wait
for their second tier (not this approver's), the third is still theirs. A second approver,
reading Japanese, approves the second tier of both at once; the queue no longer holds them.
A draft's page says where it stands; a draft returned with a comment shows it to its
requester."""

from __future__ import annotations

import pytest
from playwright.sync_api import expect

from acsa.adapters.db.engine import make_engine
from acsa.adapters.db.unit_of_work import UnitOfWork
from acsa.commands import PlaceOrder
from acsa.services import approvals
from acsa.services.handlers import handle
from tests.browser.conftest import Site
from tests.browser.helpers import switch_language
from tests.orders_data import order_doc


@pytest.fixture
def drafts(site: Site, db_url: str) -> list[int]:
    """AUS's tiers (1,000,000 and 2,000,000 JPY) and three of its drafts, each 2,644,020
    JPY."""
    site.people["AUS-requester"]
    engine = make_engine(db_url)
    try:
        approvals.set_tiers(UnitOfWork(engine), "AUS", ["1000000", "2000000"], "JPY")
        made = []
        for _ in range(3):
            order, _ = handle(
                UnitOfWork(engine), PlaceOrder.from_wire(order_doc()), "AUS-requester"
            )
            made.append(order.id)
    finally:
        engine.dispose()
    return made


def test_approving_two_at_once_in_english_then_in_japanese(site: Site, drafts: list[int]) -> None:
    one, two, three = drafts
    page, _ = site.sign_in("AUS-approver")
    page.click("nav.main a[href='/approvals']")
    expect(page.locator("h1")).to_have_text("Approval queue")
    expect(page.locator("#queue tbody tr")).to_have_count(3)
    total = page.locator("#queue tfoot tr[data-partner=JPN]")
    expect(total.locator("[data-total]")).to_have_attribute("data-total", "7932060")
    page.check(f"#pick-{one}")
    page.check(f"#pick-{two}")
    page.fill("#comment", "needed for the exercise")
    site.shot(page, "two-ticked")
    page.click("button[name=action][value=approve]")
    for oid in (one, two):
        done = page.locator(f"#results li[data-order='{oid}']")
        expect(done).to_have_attribute("data-ok", "1")
        expect(done).to_contain_text(f"Order {oid}: tier 1 approved")
        # now waiting for tier 2, which another approver gives
        expect(page.locator(f"#pick-{oid}")).to_have_count(0)
        row = page.locator(f"#queue tr[data-order='{oid}']")
        expect(row).to_contain_text("Tier 2: above")
    expect(page.locator(f"#pick-{three}")).to_be_visible()
    site.shot(page, "approved-in-english")
    # The draft's page says where it stands: tier 1 approved, waiting for tier 2.
    page.goto(f"/orders/{one}")
    expect(page.locator("#approval-waiting")).to_have_attribute("data-waiting", "2")
    expect(page.locator("#approval-tiers li[data-tier='1']")).to_have_attribute(
        "data-approved", "1"
    )
    expect(page.locator("#approval-tiers li[data-tier='2']")).to_contain_text("not approved yet")
    # The third goes back to its requester, who reads why on its page.
    page.goto("/approvals")
    page.check(f"#pick-{three}")
    page.fill("#comment", "split it in two")
    page.click("button[name=action][value=return]")
    expect(page.locator(f"#results li[data-order='{three}']")).to_contain_text(
        f"Order {three}: returned to its requester"
    )
    requester, _ = site.sign_in("AUS-requester")
    requester.goto(f"/orders/{three}")
    expect(requester.locator("#approval-returned")).to_contain_text("split it in two")
    expect(requester.locator("nav.main a[href='/approvals']")).to_have_count(0)

    boss, _ = site.sign_in("AUS-all")
    switch_language(boss, "ja")
    boss.goto("/approvals")
    expect(boss.locator("h1")).to_have_text("承認待ち一覧")
    boss.check(f"#pick-{one}")
    boss.check(f"#pick-{two}")
    boss.fill("#comment", "承認します")
    boss.click("button[name=action][value=approve]")
    for oid in (one, two):
        done = boss.locator(f"#results li[data-order='{oid}']")
        expect(done).to_have_attribute("data-ok", "1")
        expect(done).to_contain_text(f"発注 {oid}：第 2 段階を承認しました")
        expect(boss.locator(f"#queue tr[data-order='{oid}']")).to_have_count(0)
    expect(boss.locator("#queue tbody tr")).to_have_count(1)  # "nothing waits"
    expect(boss.locator("#queue tfoot")).to_have_count(0)
    boss.goto(f"/orders/{one}")
    waiting = boss.locator("#approval-waiting")
    expect(waiting).to_have_attribute("data-waiting", "0")
    expect(waiting).to_have_text("すべての段階が承認済みです。提出できます。")
    site.shot(boss, "approved-in-japanese")
