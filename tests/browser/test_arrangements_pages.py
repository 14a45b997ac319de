"""The agreement's page lists its implementing arrangements and each has its page, in a real
Chromium over a real server, in English and in Japanese, fitting a phone (390 px): the
reference links to the arrangement's page, which shows each side's billing and paying offices,
fund citation and points of contact; an order naming it links to it; its invoices say where
they go."""

from __future__ import annotations

from urllib.parse import quote

from playwright.sync_api import ViewportSize, expect

from tests.browser.conftest import Site
from tests.browser.helpers import api, english_words, overflow, received_order, switch_language
from tests.integration.test_arrangements import REFERENCE, arrangement_doc

PHONE: ViewportSize = {"width": 390, "height": 844}
#: What the people who wrote the arrangement wrote (English in any language).
WRITTEN = (
    "Billing and payment under the Japan-Australia ACSA",
    "MOD Accounting Division",
    "5-1 Ichigaya-Honmuracho",
    "Shinjuku-ku, Tokyo 162-8801",
    "Defence Finance Group, Accounts Payable",
    "Russell Offices, R1-3",
    "Canberra ACT 2600",
    "MOD 0131-2026",
    "DEF cost centre 7731",
    "Maj. T. Ono",
    "Lt Cdr R. Kondo",
    "Ms P. Harris",
)


def test_the_agreement_page_lists_arrangements_and_each_has_its_page(site: Site) -> None:
    made = api(
        site, "POST", "/agreements/JPN-AUS/arrangements", "AUS-admin", json=arrangement_doc()
    )
    assert made.status_code == 201, made.text
    oid, number = received_order(site, arrangement=REFERENCE)

    page, _ = site.sign_in("JPN-all")
    page.set_viewport_size(PHONE)
    page.goto("/agreements/JPN-AUS")
    section = page.locator("section#arrangements")
    expect(section.get_by_role("heading", name="Implementing arrangements")).to_be_visible()
    link = section.get_by_role("link", name=REFERENCE)
    expect(link).to_be_visible()
    expect(section.locator("table.arrangements tbody tr")).to_have_count(1)
    expect(section.locator("tbody td").nth(4)).to_have_text("45 days")
    assert overflow(page) <= 1
    site.shot(page, "en-agreement-arrangements-390")

    link.click()
    path = f"/agreements/JPN-AUS/arrangements/{quote(REFERENCE, safe='')}"
    expect(page).to_have_url(site.server.base + path)
    expect(page.locator("h1")).to_contain_text(REFERENCE)
    jpn = page.locator("section:has(h2#side-JPN)")
    expect(jpn.locator(".billing-office")).to_contain_text("MOD Accounting Division")
    expect(jpn.locator(".billing-office")).to_contain_text("Shinjuku-ku, Tokyo 162-8801")
    aus = page.locator("section:has(h2#side-AUS)")
    expect(aus.locator(".paying-office")).to_contain_text("Canberra ACT 2600")
    expect(aus.locator("ul.contacts li")).to_contain_text(["Ms P. Harris"])
    expect(jpn.locator("ul.contacts li")).to_contain_text(["Maj. T. Ono", "Lt Cdr R. Kondo"])
    expect(page.locator("#payment-term")).to_have_text("45 days from the invoice")
    assert overflow(page) <= 1
    site.shot(page, "en-arrangement-390")

    # the order names it and links to it; its invoice says where it goes
    page.goto(f"/orders/{oid}")
    expect(page.locator("#order-arrangement a")).to_have_text(REFERENCE)
    page.goto(f"/orders/{oid}/settlement")
    offices = page.locator("#invoice-offices")
    expect(offices).to_contain_text(number)
    expect(offices.locator(".bill-to")).to_contain_text("Defence Finance Group, Accounts Payable")
    expect(offices.locator(".billed-by")).to_contain_text("MOD Accounting Division")
    assert overflow(page) <= 1

    switch_language(page, "ja")
    page.goto("/agreements/JPN-AUS")
    section = page.locator("section#arrangements")
    expect(section.locator("h2")).to_have_text("実施取決め")
    expect(section.locator("tbody td").nth(4)).to_have_text("45 日")
    expect(section.locator("tbody .badge")).to_have_text("発効中")
    assert overflow(page) <= 1
    site.shot(page, "ja-agreement-arrangements-390")
    page.goto(path)
    expect(page.locator("#payment-term")).to_have_text("請求書の日付から 45 日")
    expect(page.locator("main")).to_contain_text("請求事務所")
    expect(page.locator("main")).to_contain_text("連絡担当者")
    assert english_words(page, (*WRITTEN, REFERENCE)) == []
    assert overflow(page) <= 1
    site.shot(page, "ja-arrangement-390")
