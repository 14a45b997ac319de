"""The new-order form in a real browser, for what an order attests: as the form is filled in,
a warning a person must confirm shows its "I confirm" checkbox; ticked, the check passes and
the order is placed recording it, with the reason for cash and the hostilities declared,
which the order page then shows."""

from __future__ import annotations

import re

from playwright.sync_api import expect

from tests.attestations_data import AGREEMENT_ID, CASH_REASON, add_test_agreement
from tests.browser.conftest import Site

CHECKS_PASS = "The agreement checks pass: the order can be submitted."


def test_a_warning_is_confirmed_in_the_form_and_the_order_records_it(
    site: Site, db_url: str
) -> None:
    add_test_agreement(db_url)
    page, _ = site.sign_in("AUS-requester")
    page.goto("/orders/new")
    confirmations = page.locator("#confirmations")
    uncertain = page.locator("[data-confirmation=IN_FORCE_DATE_UNCERTAIN]")
    unverified = page.locator("[data-confirmation=ACTIVITY_UNVERIFIED]")
    expect(confirmations).to_be_hidden()

    page.select_option("#agreement", AGREEMENT_ID)
    page.select_option("#activity", "exercise")
    page.select_option("#settlement", "cash")
    page.fill("#order_date", "2019-07-10")
    page.fill("#needed_by", "2019-07-12")
    page.fill("#location", "Townsville Field Training Area")
    page.select_option("#lines-0-category", "fuel")
    page.fill("#lines-0-description", "JP-8 aviation turbine fuel")
    page.fill("#lines-0-quantity", "1000")
    page.fill("#lines-0-unit", "L")
    page.fill("#lines-0-unit_price", "120")
    page.fill("#lines-0-currency", "JPY")

    # the live check: the reason for cash is asked for, and the unknown day is a warning
    # whose checkbox appears
    expect(page.locator("#err-cash_reason")).to_contain_text("settles supplies by return")
    expect(page.locator("#err-order_date")).to_contain_text("between 2019-07-01 and 2019-07-31")
    expect(confirmations).to_be_visible()
    expect(uncertain).to_be_visible()
    expect(unverified).to_be_hidden()
    site.shot(page, "warning-to-confirm")

    page.fill("#cash_reason", CASH_REASON)
    expect(page.locator("#err-cash_reason")).to_be_hidden()
    page.check("#confirm-IN_FORCE_DATE_UNCERTAIN")
    page.check("#hostilities")
    expect(page.locator("#check-status")).to_have_text(CHECKS_PASS)
    expect(uncertain).to_be_visible()  # ticked, it stays
    site.shot(page, "warning-confirmed")

    page.click("#save-submit")
    page.wait_for_url(re.compile(r"/orders/\d+\?done=submit$"))
    expect(page.locator("#attested-cash_reason")).to_have_text(CASH_REASON)
    expect(page.locator("#attested-hostilities")).to_be_visible()
    expect(page.locator("#attested-confirmed")).to_contain_text("IN_FORCE_DATE_UNCERTAIN")
    expect(page.locator("#attested-confirmed")).to_contain_text(
        "I confirm the agreement was in force on the order date"
    )
    site.shot(page, "order-attests")
