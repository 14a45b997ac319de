"""The pages fit the screen at a desktop's, a tablet's and a phone's width (1,280, 768 and 390
px), in a real Chromium: the page itself is never wider than the window (a wide table scrolls
inside its own box), and in a table that scrolls, its first column and its last (the total)
stay in view, held at the box's edges while the columns between them scroll."""

from __future__ import annotations

import pytest
from playwright.sync_api import Page

from tests.browser.conftest import Site
from tests.browser.helpers import overflow
from tests.browser.test_offline import visit
from tests.browser.test_pages_clean import orders, pages_of

WIDTHS = (1280, 768, 390)

#: In the page: each table box that scrolls sideways, with whether its first and last column
#: are in view (their cells within the box, for every row), and what is wider than the window.
LAYOUT_JS = """
() => {
  const boxes = [];
  for (const box of document.querySelectorAll('.scroll')) {
    if (box.scrollWidth <= box.clientWidth + 1) continue;
    const edge = box.getBoundingClientRect();
    const inside = (cell) => {
      const r = cell.getBoundingClientRect();
      return r.left >= edge.left - 1 && r.right <= edge.right + 1;
    };
    // (a cell spanning columns, such as a footer's label, scrolls with the table)
    const ends = (pick) => Array.from(box.querySelectorAll('tr'))
      .filter((tr) => tr.cells.length > 1)
      .map(pick)
      .filter((cell) => cell.colSpan === 1);
    boxes.push({
      label: box.getAttribute('aria-label') || box.getAttribute('aria-labelledby') || '',
      first: ends((tr) => tr.cells[0]).every(inside),
      last: ends((tr) => tr.cells[tr.cells.length - 1]).every(inside),
    });
  }
  const wide = [];
  for (const el of document.querySelectorAll('body *')) {
    const r = el.getBoundingClientRect();
    if (r.right > window.innerWidth + 1 && !el.closest('.scroll')) {
      wide.push(el.tagName.toLowerCase() + (el.id ? '#' + el.id : '') +
        (el.className && typeof el.className === 'string' ? '.' + el.className.split(' ')[0] : '') +
        ' ' + Math.round(r.right));
    }
  }
  return {boxes, wide: wide.slice(0, 8)};
}
"""


def layout_problems(page: Page, path: str, width: int) -> list[str]:
    page.set_viewport_size({"width": width, "height": 900})
    status = visit(page, path)
    assert status == 200, path
    found: list[str] = []
    wider = overflow(page)
    if wider > 0:
        found.append(f"{path} at {width}px: {wider}px wider than the window")
    layout = page.evaluate(LAYOUT_JS)
    if wider > 0:
        found.append(f"  wider than the window: {layout['wide']}")
    for box in layout["boxes"]:
        for end in ("first", "last"):
            if not box[end]:
                found.append(f"{path} at {width}px: the {end} column of {box['label']!r} is hidden")
    return found


# What is checked is the pages' markup and what they load, the same whichever database holds
# the books (test_pages_clean visits every page on both): one database, half the time.
@pytest.mark.parametrize("backend", ["sqlite"])
def test_pages_fit_every_width_and_wide_tables_keep_their_first_and_total_columns(
    site: Site,
) -> None:
    ids = orders(site)
    # every page of the navigation and those they lead to (the settlement page's payment form
    # names each open invoice in its choice: once wider than a phone)
    paths = [path for _, path in pages_of(ids)]
    problems: list[str] = []
    for who in ("JPN-all", "AUS-all"):
        page, _ = site.sign_in(who)
        for width in WIDTHS:
            for path in paths:
                if who == "AUS-all" and f"/orders/{ids['draft']}" in path:
                    continue  # Japan's own draft: not Australia's to see
                problems += layout_problems(page, path, width)
        if who == "JPN-all":  # what a person sees: the screenshots to look at
            for path, width, label in (
                ("/reports/annual", 1280, "annual-1280"),
                (f"/orders/{ids['received']}", 390, "order-390"),
            ):
                layout_problems(page, path, width)
                site.shot(page, label)
    assert problems == [], "\n".join(problems)
