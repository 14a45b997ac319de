"""The general-ledger page in a real browser (Chromium), in English and in Japanese: a finance
officer reaches it from the ledger's navigation, maps every account through the form (one rule
replaced), downloads the period's journal as CSV and then what is new (recorded, listed), and
sees the export refused, naming the account, once a rule is removed. The page fits a phone's
390 px and every control has its label; in Japanese no English is left."""

from __future__ import annotations

import csv
import io
from decimal import Decimal

import pytest
from playwright.sync_api import Page, expect

from acsa.adapters.db.engine import make_engine
from acsa.adapters.db.unit_of_work import UnitOfWork
from tests.browser.conftest import Site
from tests.browser.helpers import accessibility_problems, english_words, overflow, switch_language
from tests.integration.test_ledger_views import scenario

ACCOUNTS = (
    "receivable_cash",
    "receivable_in_kind",
    "payable_cash",
    "payable_in_kind",
    "support_provided",
    "support_received",
    "cash",
)


@pytest.fixture
def books(site: Site, db_url: str) -> None:
    site.people["JPN-finance"]
    engine = make_engine(db_url)
    try:
        scenario(UnitOfWork(engine))
    finally:
        engine.dispose()


def add_rule(page: Page, account: str, code: str, partner: str = "*", fund: str = "") -> None:
    page.select_option("#r-account", account)
    page.fill("#r-partner", partner)
    page.fill("#r-currency", "*")
    page.fill("#r-code", code)
    page.fill("#r-fund", fund)
    with page.expect_navigation():
        page.click("#rule-form button[type=submit]")


def fits(page: Page) -> None:
    page.set_viewport_size({"width": 390, "height": 900})
    assert overflow(page) <= 0, overflow(page)
    assert accessibility_problems(page) == []
    page.set_viewport_size({"width": 1280, "height": 900})


def test_a_finance_officer_maps_and_exports_in_english_and_japanese(
    site: Site, books: None
) -> None:
    page, watch = site.sign_in("JPN-finance")
    page.goto("/ledger")
    page.click("nav.area a[href='/ledger/journal']")
    expect(page.locator("h1")).to_have_text("General ledger")
    expect(page.locator("#no-rules")).to_be_visible()
    fits(page)
    for n, account in enumerate(ACCOUNTS):
        add_rule(page, account, f"{n + 1}000")
        expect(page.locator("[data-done=set]")).to_be_visible()
    add_rule(page, "receivable_cash", "1310-AUS", partner="AUS", fund="FC-2026-001")
    add_rule(page, "receivable_cash", "1310-AUS", partner="AUS", fund="FC-2026-002")  # replaced
    rows = page.locator("#gl-rules tbody tr")
    expect(rows).to_have_count(len(ACCOUNTS) + 1)
    specific = page.locator("#gl-rules tr[data-account=receivable_cash][data-partner=AUS]")
    expect(specific).to_contain_text("FC-2026-002")
    # a bad code: refused, named, nothing saved
    watch.expected_statuses = {400, 422}
    add_rule(page, "cash", "10 10")
    expect(page.locator("#journal-errors")).to_contain_text("gl_code")
    expect(rows).to_have_count(len(ACCOUNTS) + 1)
    site.shot(page, "mapped")
    # the period as CSV
    page.fill("#e-since", "2026-01-01")
    page.fill("#e-until", "2027-01-11")
    with page.expect_download() as download:
        page.click("#period-form button[type=submit]")
    text = download.value.path().read_text(encoding="utf-8")
    lines = list(csv.DictReader(io.StringIO(text)))
    assert lines
    assert sum(Decimal(r["debit"]) for r in lines) == sum(Decimal(r["credit"]) for r in lines)
    assert {r["gl_code"] for r in lines if r["account"] == "receivable_cash"} == {"1310-AUS"}
    # what is new: recorded and listed; again: nothing new
    page.fill("#n-until", "2027-01-11")
    page.select_option("#n-format", "json")
    with page.expect_download() as download:
        page.click("#new-form button[type=submit]")
    assert '"export": 1' in download.value.path().read_text(encoding="utf-8")
    page.goto("/ledger/journal")
    expect(page.locator("#journal-exports tr[data-export='1']")).to_be_visible()
    # in Japanese: the page's words, no English left, and it still fits a phone
    switch_language(page, "ja")
    expect(page.locator("h1")).to_have_text("総勘定元帳")
    expect(page.locator("#rule-form button[type=submit]")).to_have_text("規則を保存")
    assert english_words(page, ("FC-2026-002", "1310-AUS")) == []
    fits(page)
    site.shot(page, "japanese")
    # a rule removed: the export is refused, naming the account, in Japanese
    page.locator("#gl-rules tr[data-account=cash] button[type=submit]").click()
    expect(page.locator("[data-done=removed]")).to_be_visible()
    page.fill("#e-since", "2026-01-01")
    page.fill("#e-until", "2027-01-11")
    with page.expect_navigation():
        page.click("#period-form button[type=submit]")
    errors = page.locator("#journal-errors")
    expect(errors).to_contain_text("GL_MAPPING_MISSING")
    expect(errors).to_contain_text("総勘定元帳コード")
    expect(errors).to_contain_text("cash")
    fits(page)
    site.shot(page, "refused")


def test_a_viewer_is_not_shown_the_mapping(site: Site, books: None) -> None:
    page, watch = site.sign_in("JPN-viewer")
    watch.expected_statuses = {403}
    response = page.goto("/ledger/journal")
    assert response is not None
    assert response.status == 403
