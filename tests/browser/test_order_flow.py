"""An order from the form to the ledgers, in a real Chromium, by the people of two nations,
each in a browser of their own: Australia's requester fills in the new-order form and is told,
next to the field, what the JPN-AUS agreement refuses and by which clause; fixes it and
submits. Japan's approver accepts, Japan's logistics deliver in two parts, Australia's
logistics receive with a line short and a note, Japan's finance invoice, Australia's finance
pay part of it, and both nations' dashboards show what is still owed.

Then the same in Japanese: everyone switches with the header's language button, and the pages
speak Japanese (headings, buttons, confirmations from locales/ja/*.po); money is written one
way in both languages (203,500 JPY).
"""

from __future__ import annotations

import re
from datetime import date, timedelta
from decimal import Decimal

import pytest
from playwright.sync_api import Page, expect

from acsa.i18n import Formats
from tests.browser.conftest import Site
from tests.browser.helpers import switch_language, words

#: The order: 1,000 L of fuel at 152 and 200 rations at 1,850 (JPY); the second line is
#: first given a category the agreement excludes (weapons).
FUEL = ("fuel", "JP-8 aviation turbine fuel", "1000", "L", "152")
RATIONS = ("food", "Combat rations, 24h", "200", "EA", "1850")
TOTAL = Decimal(1000 * 152 + 200 * 1850)  # 522,000
SHORT = Decimal(10)  # rations received short
RECEIVED = TOTAL - SHORT * 1850  # 503,500: what is invoiced
PAID = Decimal(300_000)
OWED = RECEIVED - PAID  # 203,500
NOTE = "10 ration packs crushed in transit"

#: What the pages say, in English and (from locales/ja/*.po) in Japanese.
TEXT: dict[str, dict[str, str]] = {
    "en": {
        "dashboard": "Dashboard",
        "orders": "Orders",
        "new order": "New order",
        "add line": "Add a line",
        "save and submit": "Save and submit",
        "excluded": "This category is excluded from the agreement.",
        "clause": "Agreement clause:",
        "problems": "Problems found: 1. They are marked next to their fields.",
        "checks pass": "The agreement checks pass: the order can be submitted.",
        "submitted": "The order is submitted to the supplier.",
        "order": "Order #{id}",
        "what you can do": "What you can do now",
        "accept": "Accept",
        "accepted": "You accepted the order.",
        "record delivery": "Record delivery",
        "delivered": "The delivery is recorded.",
        "record receipt": "Record receipt",
        "received": "The receipt is recorded.",
        "discrepancy": "Discrepancy: 1 line was received short of what was delivered.",
        "status submitted": "submitted",
        "status accepted": "accepted",
        "status partially delivered": "partially delivered",
        "status delivered": "delivered",
        "status received": "received",
        "short detail": "190 EA received, 10 EA short",
        "settlement": "Settlement of order #{id}",
        "issue invoice": "Issue the invoice",
        "invoice issued": "Invoice {number} issued.",
        "record payment": "Record the payment",
        "payment recorded": "Payment recorded against invoice {number}.",
        "balances": "Balance with each partner",
    },
    "ja": {
        "dashboard": "ダッシュボード",
        "orders": "発注",
        "new order": "新規発注",
        "add line": "明細を追加",
        "save and submit": "保存して提出",
        "excluded": "この区分は協定の適用から除外されています。",
        "clause": "協定の条項：",
        "problems": "問題が 1 件あります。該当する項目の横に示しています。",
        "checks pass": "協定の確認に適合しています。この発注は提出できます。",
        "submitted": "発注を提供国に提出しました。",
        "order": "発注 #{id}",
        "what you can do": "現在可能な操作",
        "accept": "承認する",
        "accepted": "発注を承認しました。",
        "record delivery": "納入を記録",
        "delivered": "納入を記録しました。",
        "record receipt": "受領を記録",
        "received": "受領を記録しました。",
        "discrepancy": "差異：1 明細で、受領数量が納入数量に満たません。",
        "status submitted": "提出済み",
        "status accepted": "承認済み",
        "status partially delivered": "一部納入",
        "status delivered": "納入済み",
        "status received": "受領済み",
        "short detail": "190 EA 受領、10 EA 不足",
        "settlement": "発注 #{id} の決済",
        "issue invoice": "請求書を発行する",
        "invoice issued": "請求書 {number} を発行しました。",
        "record payment": "支払を記録する",
        "payment recorded": "請求書 {number} に対する支払を記録しました。",
        "balances": "相手国別の残高",
    },
}


class Flow:
    """The people of the flow, each signed in in a browser context of their own."""

    def __init__(self, site: Site, lang: str) -> None:
        self.site = site
        self.lang = lang
        self.text = TEXT[lang]
        self.fmt = Formats(lang)
        self.pages: dict[str, Page] = {}

    def say(self, key: str, **args: object) -> str:
        return self.text[key].format(**args)

    def money(self, value: Decimal) -> str:
        return self.fmt.money(value, "JPY")

    def shot(self, page: Page, label: str) -> None:
        self.site.shot(page, f"{self.lang}-{label}")

    def person(self, name: str) -> Page:
        """``name`` signed in (once), in the flow's language, on their dashboard."""
        if name not in self.pages:
            page, _ = self.site.sign_in(name)
            if self.lang != "en":
                self.shot(page, f"{name}-dashboard-before-switching")
                switch_language(page, self.lang)
            expect(page.locator("h1")).to_contain_text(self.say("dashboard"))
            self.shot(page, f"{name}-dashboard")
            self.pages[name] = page
        return self.pages[name]

    def order_page(self, name: str, order_id: int) -> Page:
        page = self.person(name)
        page.goto(f"/orders/{order_id}")
        expect(page.locator("h1")).to_contain_text(self.say("order", id=order_id))
        self.shot(page, f"{name}-order")
        return page

    def act(self, page: Page, action: str, done: str, label: str) -> None:
        """Press the action's button and wait for the order page to confirm it."""
        page.click(f"#do-{action}")
        page.wait_for_url(re.compile(rf"/orders/\d+\?done={action}$"))
        expect(page.locator("#flash")).to_have_text(self.say(done))
        self.shot(page, label)

    def status(self, page: Page, key: str) -> None:
        expect(page.locator("h1 .badge")).to_have_text(self.say(key))


def fill_line(page: Page, row: int, line: tuple[str, str, str, str, str]) -> None:
    category, description, quantity, unit, price = line
    prefix = f"#lines-{row}-"
    page.select_option(prefix + "category", category)
    page.fill(prefix + "description", description)
    page.fill(prefix + "quantity", quantity)
    page.fill(prefix + "unit", unit)
    page.fill(prefix + "unit_price", price)
    if not page.input_value(prefix + "currency"):
        page.fill(prefix + "currency", "JPY")


def place_order(flow: Flow) -> int:
    """Australia's requester fills in the form, is refused weapons, fixes it and submits."""
    page = flow.person("AUS-requester")
    page.click("nav.main a[href='/orders']")
    expect(page.locator("h1")).to_have_text(flow.say("orders"))
    flow.shot(page, "orders")
    page.click("#new-order")
    page.wait_for_url("**/orders/new")
    expect(page.locator("h1")).to_have_text(flow.say("new order"))
    # orders.js keeps one line row of the spare ones and offers the add-line button
    expect(page.locator("fieldset[data-line]")).to_have_count(1)
    expect(page.locator("#add-line")).to_have_text(flow.say("add line"))
    flow.shot(page, "new-order")

    page.select_option("#agreement", "JPN-AUS")
    expect(page.locator("#supplier-name")).to_have_text("JPN")
    page.select_option("#activity", "exercise")
    page.select_option("#settlement", "cash")
    ordered = date.fromisoformat(page.input_value("#order_date"))
    page.fill("#needed_by", (ordered + timedelta(days=14)).isoformat())
    page.fill("#location", "RAAF Base Darwin")
    page.fill("#operation", "Exercise Pitch Black")
    page.fill("#requester_unit", "No. 1 Squadron RAAF")
    page.fill("#supplier_unit", "JASDF 2nd Air Wing")
    page.fill("#fund_citation", "AUS-DEF-2026-0412")
    # the 2017 text settles supplies by return; settled in cash, the order says why
    page.fill("#cash_reason", "Fuel and rations are consumed in the exercise")
    fill_line(page, 0, FUEL)
    page.click("#add-line")
    expect(page.locator("fieldset[data-line]")).to_have_count(2)
    expect(page.locator("#lines-1-currency")).to_have_value("JPY")  # carried from line 1
    fill_line(page, 1, ("weapons", "Rifles, 5.56 mm", "200", "EA", "1850"))

    # The live check: the refusal next to the category of line 2, with the agreement's clause.
    field = page.locator(".field", has=page.locator("#lines-1-category"))
    error = field.locator("#err-lines-1-category")
    expect(error).to_be_visible()
    expect(error).to_contain_text(flow.say("excluded"))
    expect(error.locator(".clause-label")).to_have_text(flow.say("clause"))
    expect(error.locator(".clause-text")).to_contain_text("JPN-AUS")
    expect(page.locator("#lines-1-category")).to_have_attribute("aria-invalid", "true")
    assert "err-lines-1-category" in (
        page.locator("#lines-1-category").get_attribute("aria-describedby") or ""
    )
    expect(page.locator("#check-status")).to_have_text(flow.say("problems"))
    expect(page.locator("#err-lines-0-category")).to_be_hidden()  # line 1 is fine
    flow.shot(page, "new-order-refused")

    # Fixed: rations instead; the check passes and the refusal is gone.
    page.fill("#lines-1-description", RATIONS[1])
    page.select_option("#lines-1-category", RATIONS[0])
    expect(page.locator("#check-status")).to_have_text(flow.say("checks pass"))
    expect(error).to_be_hidden()
    expect(page.locator("#lines-1-category")).not_to_have_attribute("aria-invalid", "true")
    flow.shot(page, "new-order-fixed")
    expect(page.locator("#save-submit")).to_have_text(flow.say("save and submit"))
    page.click("#save-submit")
    page.wait_for_url(re.compile(r"/orders/\d+\?done=submit$"))
    found = re.search(r"/orders/(\d+)\?", page.url)
    assert found
    order_id = int(found[1])
    expect(page.locator("#flash")).to_have_text(flow.say("submitted"))
    flow.status(page, "status submitted")
    rows = page.locator("#lines-table tbody tr")
    expect(rows).to_have_count(2)
    expect(rows.nth(1)).to_contain_text(RATIONS[1])
    expect(page.locator("#lines-table tfoot")).to_contain_text(flow.money(TOTAL))
    flow.shot(page, "order-submitted")
    return order_id


def accept_deliver_receive(flow: Flow, order_id: int) -> None:
    # Japan's approver, in another browser, accepts in full.
    page = flow.order_page("JPN-approver", order_id)
    expect(page.locator("#actions-title")).to_have_text(flow.say("what you can do"))
    expect(page.locator("#do-accept")).to_have_text(flow.say("accept"))
    flow.act(page, "accept", "accepted", "accepted")
    flow.status(page, "status accepted")

    # Japan's logistics deliver 600 L first, the rest later.
    page = flow.order_page("JPN-logistics", order_id)
    expect(page.locator("#do-deliver")).to_have_text(flow.say("record delivery"))
    page.fill("#deliver-line-1", "600")
    page.fill("#deliver-line-2", "0")
    flow.act(page, "deliver", "delivered", "delivered-part")
    flow.status(page, "status partially delivered")
    expect(page.locator("#deliver-line-1")).to_have_value("400")
    expect(page.locator("#deliver-line-2")).to_have_value("200")
    flow.act(page, "deliver", "delivered", "delivered-rest")
    flow.status(page, "status delivered")

    # Australia's logistics receive 10 rations short, and say why.
    page = flow.order_page("AUS-logistics", order_id)
    expect(page.locator("#do-receive")).to_have_text(flow.say("record receipt"))
    expect(page.locator("#receive-line-1")).to_have_value("1000")
    page.fill("#receive-line-2", "190")
    page.fill("#receive-note", NOTE)
    flow.act(page, "receive", "received", "received")
    flow.status(page, "status received")
    expect(page.locator("#discrepancy")).to_contain_text(flow.say("discrepancy"))
    short = page.locator("#lines-table tr#line-2")
    expect(short).to_have_class("short")
    cells = short.locator("td")
    expect(cells.nth(8)).to_have_text(flow.fmt.number(Decimal(190)))
    expect(cells.nth(9)).to_contain_text("10")
    timeline = page.locator("#timeline")
    expect(timeline).to_contain_text(NOTE)
    expect(timeline.locator("dd.discrepancy").first).to_contain_text(flow.say("short detail"))


def settle(flow: Flow, order_id: int) -> None:
    # Japan's finance invoice what was received.
    page = flow.order_page("JPN-finance", order_id)
    page.click("#settlement-link")
    page.wait_for_url(f"**/orders/{order_id}/settlement")
    expect(page.locator("h1")).to_contain_text(flow.say("settlement", id=order_id))
    expect(page.locator("#invoice-form")).to_contain_text(flow.money(RECEIVED))
    flow.shot(page, "settlement-jpn")
    button = page.locator("#invoice-form button[type=submit]")
    expect(button).to_have_text(flow.say("issue invoice"))
    button.click()
    page.wait_for_url(re.compile(r"/settlement\?"))
    invoice = page.locator("table.invoices tbody tr").first
    number = invoice.locator("td").first.inner_text().strip()
    assert re.fullmatch(r"JPN-\d{4}-\d{6}", number), number
    expect(page.locator("#confirmation")).to_have_text(flow.say("invoice issued", number=number))
    expect(invoice.locator("td").nth(5)).to_have_text(flow.money(RECEIVED))
    flow.shot(page, "invoiced")

    # Australia's finance pay part of it.
    page = flow.person("AUS-finance")
    page.goto(f"/orders/{order_id}/settlement")
    expect(page.locator("#payment-amount")).to_have_value(str(RECEIVED))  # all that is unpaid
    flow.shot(page, "settlement-aus")
    page.fill("#payment-amount", str(PAID))
    page.fill("#payment-reference", "TT-2026-118")
    button = page.locator("#payment-form button[type=submit]")
    expect(button).to_have_text(flow.say("record payment"))
    button.click()
    page.wait_for_url(re.compile(r"/settlement\?"))
    expect(page.locator("#confirmation")).to_have_text(flow.say("payment recorded", number=number))
    cells = page.locator("table.invoices tbody tr").first.locator("td")
    expect(cells.nth(6)).to_have_text(flow.money(PAID))
    expect(cells.nth(7)).to_have_text(flow.money(OWED))
    expect(page.locator("table.payments")).to_contain_text("TT-2026-118")
    flow.shot(page, "paid")


def balance_row(page: Page, partner: str) -> list[str]:
    row = page.locator("table.balances tbody tr", has=page.locator(f"td:text-is('{partner}')"))
    expect(row).to_have_count(1)
    return [" ".join(t.split()) for t in row.locator("td").all_inner_texts()]


def dashboards(flow: Flow) -> None:
    """Japan is owed what Australia has not paid yet; Australia owes it."""
    zero = flow.money(Decimal(0))
    for name, partner, ours, theirs, net in [
        ("JPN-finance", "AUS", OWED, Decimal(0), OWED),
        ("AUS-finance", "JPN", Decimal(0), OWED, -OWED),
    ]:
        page = flow.person(name)
        page.click("nav.main a[href='/']")
        page.wait_for_url(re.compile(r"/$"))
        expect(page.locator("#balances-title")).to_have_text(flow.say("balances"))
        assert balance_row(page, partner) == [
            partner,
            "JPY",
            flow.money(ours),
            flow.money(theirs),
            zero,
            zero,
            flow.money(net),
        ]
        flow.shot(page, f"{name}-dashboard-after")


def run_flow(site: Site, lang: str) -> Flow:
    flow = Flow(site, lang)
    order_id = place_order(flow)
    accept_deliver_receive(flow, order_id)
    settle(flow, order_id)
    dashboards(flow)
    return flow


def test_an_order_goes_from_the_form_to_both_ledgers(site: Site) -> None:
    flow = run_flow(site, "en")
    assert flow.money(OWED) == "203,500 JPY"


@pytest.mark.parametrize("backend", ["sqlite"])
def test_the_same_order_in_japanese(site: Site) -> None:
    flow = run_flow(site, "ja")
    assert flow.money(OWED) == "203,500 JPY"
    for page in flow.pages.values():
        assert page.locator("html").get_attribute("lang") == "ja"
    dashboard = words(flow.pages["JPN-finance"])
    assert "203,500 JPY" in dashboard
    assert "JP¥" not in dashboard
    assert "￥" not in dashboard
