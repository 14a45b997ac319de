"""Every page of the navigation, for a person of Japan with every role, in English and in
Japanese, at a tablet's width (768 x 1024), in a real Chromium:

- it loads with no console error, no uncaught exception and no failed request (the fixture's
  watch fails the test on any);
- every form control has a label (``label for``, or ``aria-label`` / ``aria-labelledby``),
  every button and link a name, every id named by a label or an aria reference exists, and
  the first Tab reaches the link that skips to the content;
- the page is no wider than the screen: a wide table scrolls in its own box, which the
  keyboard reaches (``tabindex=0``) and which is named (a region labelled by its heading);
- in Japanese, no English is left outside what people wrote, the names of records and what
  is marked as English (``lang="en"``: the registry's texts, the audit record's fields).

Each page is screenshot in both languages.
"""

from __future__ import annotations

import re
from urllib.parse import urlsplit

from playwright.sync_api import Page, expect

from tests.browser.conftest import Site
from tests.browser.helpers import (
    accessibility_problems,
    api,
    english_words,
    overflow,
    received_order,
    switch_language,
)
from tests.orders_data import FUEL_FOR_AUSTRALIA, order_doc, with_line

TABLET = {"width": 768, "height": 1024}
#: Why the received order's receipt is disputed (its pages list the dispute).
DISPUTE_REASON = "Two drums leaking"
#: What people wrote into the orders (tests/orders_data.py), shown as written in any language.
WRITTEN = tuple(
    sorted(
        {
            FUEL_FOR_AUSTRALIA["location"],
            FUEL_FOR_AUSTRALIA["operation"],
            FUEL_FOR_AUSTRALIA["cash_reason"],
            *(line["description"] for line in FUEL_FOR_AUSTRALIA["lines"]),
            "Rifles",
            "Townsville",
            DISPUTE_REASON,
        },
        key=len,
        reverse=True,
    )
)


def orders(site: Site) -> dict[str, int]:
    """Orders in the states whose pages differ: received and invoiced (the settlement page),
    submitted to Japan (the accept and reject forms), and Japan's own draft that the agreement
    refuses (the refusals and the submit and cancel forms)."""
    received, _ = received_order(site)
    history = api(site, "GET", f"/orders/{received}", "AUS-all").json()["history"]
    seq = next(e["seq"] for e in history if e["action"] == "receive")
    body = {"step": f"receipt:{seq}", "ground": "quality", "reason": DISPUTE_REASON, "amount": "1"}
    disputed = api(site, "POST", f"/orders/{received}/disputes", "AUS-all", json=body)
    assert disputed.status_code == 201, disputed.text
    placed = api(site, "POST", "/orders", "AUS-all", json=order_doc(location="Townsville"))
    assert placed.status_code == 201, placed.text
    submitted = int(placed.json()["id"])
    assert api(site, "POST", f"/orders/{submitted}/submit", "AUS-all").status_code == 200
    weapons = with_line(
        order_doc(requester="JPN", supplier="AUS"), 1, category="weapons", description="Rifles"
    )
    draft = api(site, "POST", "/orders", "JPN-all", json=weapons)
    assert draft.status_code == 201, draft.text
    return {"received": received, "submitted": submitted, "draft": int(draft.json()["id"])}


def pages_of(ids: dict[str, int]) -> list[tuple[str, str]]:
    """(label, path) of each page: the navigation's, and those its pages link to."""
    return [
        ("dashboard", "/"),
        ("orders", "/orders"),
        ("order-received", f"/orders/{ids['received']}"),
        ("order-submitted", f"/orders/{ids['submitted']}"),
        ("order-draft", f"/orders/{ids['draft']}"),
        ("edit-draft", f"/orders/{ids['draft']}/edit"),
        ("new-order", "/orders/new"),
        ("settlement", f"/orders/{ids['received']}/settlement"),
        ("agreements", "/agreements"),
        ("agreement", "/agreements/JPN-AUS"),
        ("ledger", "/ledger"),
        ("statement", "/ledger/statement?partner=AUS"),
        ("aging", "/ledger/aging"),
        ("overdue", "/ledger/overdue"),
        ("exceptions", "/reports/exceptions"),
        ("disputes", "/disputes"),
        ("annual", "/reports/annual"),
        ("general-ledger", "/ledger/journal"),
        ("audit", "/audit"),
        ("audit-order", f"/audit?order={ids['received']}"),
        ("courier", "/courier"),
        ("books", "/books"),
        ("account", "/account"),
        ("designations", "/designations"),
        ("approvals", "/approvals"),
        ("inbox", "/inbox"),
        ("webhooks", "/webhooks"),
    ]


def navigation(page: Page) -> set[str]:
    """The paths the page's navigation (main, and the ledger's and reports') leads to."""
    hrefs = page.locator("nav.main a, nav.area a").evaluate_all(
        "(links) => links.map((a) => a.getAttribute('href'))"
    )
    return {urlsplit(h).path for h in hrefs}


def check_page(site: Site, page: Page, lang: str, label: str, path: str) -> list[str]:
    """Open ``path`` and say what is wrong with it."""
    response = page.goto(path)
    assert response is not None
    problems = [] if response.status == 200 else [f"HTTP {response.status}"]
    if path == "/orders/new" or path.endswith("/edit"):  # as orders.js leaves the form
        expect(page.locator("#add-line")).to_be_visible()
    problems += accessibility_problems(page)
    wider = overflow(page)
    if wider > 1:
        problems.append(f"{wider}px wider than a {TABLET['width']}px screen")
    if lang == "ja":
        problems += [f"English: {t!r}" for t in english_words(page, WRITTEN)]
    site.shot(page, f"{lang}-{label}")
    page.keyboard.press("Tab")
    focused = page.evaluate("() => document.activeElement.getAttribute('href')")
    if focused != "#main":
        problems.append(f"the first Tab reaches {focused!r}, not the skip link")
    return [f"{lang} {path}: {p}" for p in problems]


def test_every_page_is_clean_labelled_fits_a_tablet_and_speaks_japanese(site: Site) -> None:
    ids = orders(site)
    page, _ = site.sign_in("JPN-all")
    page.set_viewport_size(TABLET)
    pages = pages_of(ids)
    listed = {urlsplit(path).path for _, path in pages}
    assert navigation(page) <= listed
    page.goto("/ledger")
    assert navigation(page) <= listed, "a page of the navigation is not checked"
    # the pages that are reached from others, by the links a person follows
    page.goto("/orders")
    expect(page.locator(f"a[href='/orders/{ids['draft']}']").first).to_be_visible()
    page.click("#new-order")
    page.wait_for_url("**/orders/new")
    page.goto(f"/orders/{ids['received']}")
    page.click("#settlement-link")
    page.wait_for_url(re.compile(r"/settlement$"))
    page.goto("/agreements")
    page.click("table.registry a[href='/agreements/JPN-AUS']")
    page.wait_for_url("**/agreements/JPN-AUS")

    problems: list[str] = []
    for lang in ("en", "ja"):
        if lang == "ja":
            switch_language(page, "ja")
        for label, path in pages:
            problems += check_page(site, page, lang, label, path)
    assert problems == [], "\n".join(problems)
