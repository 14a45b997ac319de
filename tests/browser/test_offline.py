"""acsa works on a network with no way out: in a real Chromium whose every request to a host
other than the server's (127.0.0.1) is refused and recorded, the API's documentation (/docs)
renders its operations, and no page of the site, in English or Japanese, asks anything of
another host."""

from __future__ import annotations

from urllib.parse import urlsplit

import pytest
from playwright.sync_api import Page, Route, expect

from tests.browser.conftest import Site
from tests.browser.helpers import switch_language
from tests.browser.test_pages_clean import orders, pages_of

#: In the page: whether every image has loaded.
ALL_IMAGES_IN = "() => Array.from(document.images).every((img) => img.complete && img.naturalWidth)"


def block_outside(page: Page) -> list[str]:
    """Refuse every request of ``page`` to a host other than 127.0.0.1; the list fills with
    the address of each one refused."""
    refused: list[str] = []

    def route(route: Route) -> None:
        url = route.request.url
        if urlsplit(url).hostname == "127.0.0.1":
            route.continue_()
        else:
            refused.append(url)
            route.abort("blockedbyclient")

    page.context.route("**/*", route)
    return refused


def visit(page: Page, path: str) -> int:
    """Open ``path``, wait until everything it loads is in; its HTTP status."""
    response = page.goto(path)
    assert response is not None, path
    settle(page)
    return response.status


def settle(page: Page) -> None:
    """Wait until everything the page loads is in: lazy images too, scrolled to (the next
    page would abort them)."""
    for img in page.locator("img").all():
        img.scroll_into_view_if_needed()
    page.wait_for_function(ALL_IMAGES_IN)
    page.wait_for_load_state("networkidle")


def test_api_docs_render_their_operations_with_nothing_from_outside(site: Site) -> None:
    page, _ = site.open()
    refused = block_outside(page)
    response = page.goto("/docs")
    assert response is not None
    assert response.status == 200
    # Swagger UI drew the document: the tags and an operation's path are on the page.
    expect(page.locator(".swagger-ui .info .title")).to_contain_text("acsa")
    expect(page.get_by_text("/api/v1/orders/{order_id}/submit", exact=True)).to_be_visible()
    page.locator(".opblock-summary-path", has_text="/api/v1/orders/{order_id}/submit").click()
    expect(page.locator(".opblock.is-open .opblock-description-wrapper").first).to_be_visible()
    site.shot(page, "docs")
    assert refused == []


# What is checked is the pages' markup and what they load, the same whichever database holds
# the books (test_pages_clean visits every page on both): one database, half the time.
@pytest.mark.parametrize("backend", ["sqlite"])
def test_no_page_asks_anything_of_another_host(site: Site) -> None:
    ids = orders(site)
    refused: list[list[str]] = []
    for lang in ("en", "ja"):
        page, _ = site.sign_in("JPN-all")
        if lang == "ja":
            switch_language(page, "ja")
            settle(page)
        refused.append(block_outside(page))
        for _label, path in [*pages_of(ids), ("docs", "/docs")]:
            status = visit(page, path)
            assert status == 200, f"{lang} {path}: HTTP {status}"
        page.context.clear_cookies()
        visit(page, "/login")
    assert refused == [[], []]
