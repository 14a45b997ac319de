"""What the browser tests share: orders made quickly through the API (with the people's
tokens), and checks run in the page (labels, references, overflow, Japanese)."""

from __future__ import annotations

import re
from decimal import Decimal
from typing import Any

import httpx
from playwright.sync_api import Page

from tests.browser.conftest import LOAD_IMAGES, Site
from tests.orders_data import order_doc

#: The order of tests/orders_data.py: 12,000 L x 152 + 400 x 1,850 + 2,000.5 L x 40 JPY.
TOTAL = Decimal("2644020")


def api(site: Site, method: str, path: str, who: str, **kwargs: Any) -> httpx.Response:
    """A call of /api/v1 as ``who`` (their token)."""
    return httpx.request(
        method,
        f"{site.server.base}/api/v1{path}",
        headers=site.people[who].headers,
        timeout=60,
        **kwargs,
    )


def received_order(site: Site, **changes: Any) -> tuple[int, str]:
    """A JPN-AUS order (tests/orders_data.py) placed, accepted, delivered and received through
    the API, and invoiced by Japan: (order id, invoice number)."""
    placed = api(site, "POST", "/orders", "AUS-all", json=order_doc(**changes))
    assert placed.status_code == 201, placed.text
    oid = int(placed.json()["id"])
    for action, who in [
        ("submit", "AUS-all"),
        ("accept", "JPN-all"),
        ("deliver", "JPN-all"),
        ("receive", "AUS-all"),
    ]:
        done = api(site, "POST", f"/orders/{oid}/{action}", who)
        assert done.status_code == 200, done.text
    issued = api(site, "POST", f"/orders/{oid}/invoices", "JPN-all")
    assert issued.status_code == 201, issued.text
    return oid, str(issued.json()["number"])


def switch_language(page: Page, lang: str) -> None:
    """Press the header's language button (once the page's images are in, so that none is
    cut off) and wait for the page to come back in ``lang``."""
    page.evaluate(LOAD_IMAGES)
    with page.expect_navigation():
        page.click(f"button[name=language][value={lang}]")
    assert page.locator("html").get_attribute("lang") == lang


def words(page: Page, selector: str = "main") -> str:
    """The text of ``selector`` with spaces collapsed."""
    return " ".join(page.locator(selector).inner_text().split())


#: In the page: each form control without a label (a ``label for`` or around it, an
#: ``aria-label``, an ``aria-labelledby`` that names text), each button or link without a
#: name, each box that scrolls sideways (a wide table on a tablet) but cannot be reached by
#: keyboard or has no name, each id a label or an aria reference names but the page lacks, and
#: each link or button of the header whose colour does not stand out from the header's
#: background (a contrast below 4.5:1, WCAG's rule for text).
ACCESSIBILITY_JS = """
() => {
  const problems = [];
  const rgb = (c) => (c.match(/[\\d.]+/g) || []).slice(0, 3).map(Number);
  const lum = (c) => rgb(c).map((v) => v / 255)
    .map((v) => (v <= 0.03928 ? v / 12.92 : ((v + 0.055) / 1.055) ** 2.4))
    .reduce((sum, v, i) => sum + v * [0.2126, 0.7152, 0.0722][i], 0);
  const ground = (el) => {  // the first background behind el that is not transparent
    for (let at = el; at; at = at.parentElement) {
      const colour = getComputedStyle(at).backgroundColor;
      if (!/rgba\\(.*, 0\\)$|transparent/.test(colour)) return lum(colour);
    }
    return 1;
  };
  for (const el of document.querySelectorAll('header.site a, header.site button')) {
    const [ink, under] = [lum(getComputedStyle(el).color), ground(el)];
    const ratio = (Math.max(ink, under) + 0.05) / (Math.min(ink, under) + 0.05);
    const said = el.textContent.trim();
    if (ratio < 4.5) problems.push('header text hard to read (' + ratio.toFixed(1) + '): ' + said);
  }
  const shown = (el) => !el.hidden && !el.closest('[hidden], template');
  const textOf = (id) => (document.getElementById(id) || {}).textContent || '';
  const what = (el) => el.id || el.name || el.outerHTML.slice(0, 100);
  for (const el of document.querySelectorAll('input, select, textarea')) {
    if (el.type === 'hidden' || !shown(el)) continue;
    const named = Array.from(el.labels || []).some((l) => l.textContent.trim())
      || (el.getAttribute('aria-label') || '').trim()
      || (el.getAttribute('aria-labelledby') || '').split(/\\s+/).some((id) => textOf(id).trim());
    if (!named) problems.push('no label: ' + what(el));
  }
  for (const el of document.querySelectorAll('button, a[href]')) {
    if (!shown(el)) continue;
    const image = el.querySelector('img[alt]');
    const name = el.textContent.trim() || el.getAttribute('aria-label')
      || el.getAttribute('title') || (image && image.alt);
    if (!name) problems.push('no name: ' + what(el));
  }
  for (const el of document.querySelectorAll('main *')) {
    const sideways = ['auto', 'scroll'].includes(getComputedStyle(el).overflowX);
    if (!sideways || el.scrollWidth <= el.clientWidth + 1) continue;
    const named = el.getAttribute('aria-label') || el.getAttribute('aria-labelledby');
    if (el.getAttribute('tabindex') !== '0' || !named) {
      problems.push('scrolls sideways, but not by keyboard or unnamed: ' + what(el));
    }
  }
  for (const attr of ['aria-labelledby', 'aria-describedby', 'for']) {
    for (const el of document.querySelectorAll('[' + attr + ']')) {
      if (el.closest('template') || (attr === 'for' && el.tagName !== 'LABEL')) continue;
      for (const id of el.getAttribute(attr).split(/\\s+/).filter(Boolean)) {
        if (!document.getElementById(id)) problems.push(attr + ' names no element: ' + id);
      }
    }
  }
  return problems;
}
"""


def accessibility_problems(page: Page) -> list[str]:
    found: list[str] = page.evaluate(ACCESSIBILITY_JS)
    return found


def overflow(page: Page) -> int:
    """How much wider than the window the page is (0 or less: no sideways scrolling)."""
    width: int = page.evaluate("() => document.documentElement.scrollWidth - window.innerWidth")
    return width


#: In the page: the texts a reader sees (text nodes, and titles, placeholders, alt texts and
#: aria-labels), outside code, scripts and what is marked as English (``lang=en``).
TEXTS_JS = """
() => {
  const found = new Set();
  const skip = 'code, script, style, template, [lang=en]';
  const walker = document.createTreeWalker(document.body, NodeFilter.SHOW_TEXT);
  while (walker.nextNode()) {
    const text = walker.currentNode.textContent.replace(/\\s+/g, ' ').trim();
    if (text && !walker.currentNode.parentElement.closest(skip)) found.add(text);
  }
  for (const el of document.querySelectorAll('[title], [placeholder], [alt], [aria-label]')) {
    if (el.closest(skip)) continue;
    for (const attr of ['title', 'placeholder', 'alt', 'aria-label']) {
      const text = (el.getAttribute(attr) || '').trim();
      if (text) found.add('@' + text);
    }
  }
  return Array.from(found);
}
"""
#: Names of records and codes in the pages, English in any language: nations' and currencies'
#: codes and what starts with them (JPN-all, JPN-AUS, JPN-2026-000001), an audit record's
#: subject (order:1, user:JPN-all), a ledger entry's document (order 1 receipt (event 5)),
#: hashes, file kinds, acronyms and the program's name.
IDENTIFIER = re.compile(
    r"(?<![A-Za-z0-9])("
    r"[A-Z]{3}(-[\w.-]+)*|[a-z_]+:[\w.-]+|order \d+ receipt \(event \d+\)|[0-9a-f]{8,}"
    r"|CSV|XLSX|PDF|PNG|ACSA|NATO|NSN|UTC|SHA-256|acsa"
    r")(?![A-Za-z0-9])"
)
#: An attribute's value that is a code (a title that gives the key of a category: ``fuel``).
CODE = re.compile(r"^[a-z_]+$")
WORD = re.compile(r"[A-Za-z]{3,}")


def english_words(page: Page, data: tuple[str, ...] = ()) -> list[str]:
    """The texts of a Japanese page that hold an English word, less ``data`` (what people
    wrote: descriptions, places...) and the names of records."""
    found = []
    texts: list[str] = page.evaluate(TEXTS_JS)
    for text in texts:
        if text.startswith("@") and CODE.match(text[1:]):
            continue
        rest = text.removeprefix("@")
        for written in data:
            rest = rest.replace(written, " ")
        if WORD.search(IDENTIFIER.sub(" ", rest)):
            found.append(text)
    return found
