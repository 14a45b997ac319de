"""A third nation sees nothing of an order between two others, in a real Chromium.

An order between Japan and Australia is placed, received, invoiced and partly paid through
the API; a French user with every role (FRA-all) then goes through the pages: the orders list
does not have it, the order, its settlement page, its PDF form and its audit trail are not
found (404), and the ledger, report and audit pages and every CSV, XLSX and PDF download they
offer carry none of its figures, its invoice or its order number. The same checks find them
for Japan, so they would catch a leak.
"""

from __future__ import annotations

import csv
import io
from decimal import Decimal

from openpyxl import load_workbook
from playwright.sync_api import APIResponse, Page, expect
from pypdf import PdfReader

from tests.browser.conftest import Site
from tests.browser.helpers import TOTAL, api, received_order, words

PAID = Decimal(1_000_000)
#: The ledger, report and audit pages (as_of after the invoice falls due, so it is overdue).
PAGES = [
    "/ledger",
    "/ledger/statement?partner=JPN",
    "/ledger/statement?partner=AUS",
    "/ledger/aging",
    "/ledger/overdue?as_of=2027-03-01",
    "/reports/exceptions?as_of=2027-03-01",
    "/reports/annual?fy=2026",
    "/reports/annual?fy=2027",
    "/audit",
    "/",
]


def grouped(value: Decimal) -> str:
    return f"{value:,}"


def secrets_of(oid: int, number: str) -> list[str]:
    """What the JPN-AUS order shows wherever it is shown: its figures (grouped as pages show
    them and plain as files carry them), its invoice and its order number."""
    figures = [TOTAL, PAID, TOTAL - PAID]
    return [
        *(grouped(f) for f in figures),
        *(str(f) for f in figures),
        number,
        f"/orders/{oid}",
        f"order:{oid}",
        f"order {oid}",  # an audit record's subject, as the pages write it
        f"Order #{oid}",
        "JPN-AUS",
    ]


def text_of_file(response: APIResponse) -> str:
    """A download's content as text: CSV as is, every cell of an XLSX, a PDF's text."""
    assert response.status == 200, (response.url, response.status)
    kind = response.headers["content-type"]
    body = response.body()
    if kind.startswith("text/csv"):
        rows = csv.reader(io.StringIO(body.decode("utf-8-sig")))
        return "\n".join(",".join(r) for r in rows)
    if kind.startswith("application/vnd.openxmlformats"):
        book = load_workbook(io.BytesIO(body), read_only=True)
        return "\n".join(
            " ".join("" if c is None else str(c) for c in row)
            for sheet in book.worksheets
            for row in sheet.iter_rows(values_only=True)
        )
    if kind.startswith("application/pdf"):
        return " ".join(p.extract_text() for p in PdfReader(io.BytesIO(body)).pages)
    raise AssertionError(f"{response.url}: unexpected {kind}")


def found_in(text: str, secrets: list[str]) -> list[str]:
    return [s for s in secrets if s in text]


def visit(site: Site, page: Page, path: str, secrets: list[str], label: str) -> dict[str, str]:
    """Open ``path``; what of ``secrets`` the page (its text and its HTML) and each of its
    downloads show, by where."""
    response = page.goto(path)
    assert response is not None
    assert response.status == 200, path
    site.shot(page, label)
    shown = {}
    leaked = found_in(words(page, "body") + page.content(), secrets)
    if leaked:
        shown[path] = ", ".join(leaked)
    for href in page.locator("a.download").evaluate_all("(links) => links.map((a) => a.href)"):
        leaked = found_in(text_of_file(page.request.get(href)), secrets)
        if leaked:
            shown[href] = ", ".join(leaked)
    return shown


def test_a_third_nation_sees_nothing_of_an_order_between_two_others(site: Site) -> None:
    oid, number = received_order(site)
    issued = api(site, "GET", f"/invoices/{number}", "JPN-all").json()["issued"]
    paid = api(
        site,
        "POST",
        f"/invoices/{number}/payments",
        "AUS-all",
        json={"amount": str(PAID), "date": issued, "reference": "TT-1"},
    )
    assert paid.status_code == 201, paid.text
    secrets = secrets_of(oid, number)

    page, watch = site.sign_in("FRA-all")
    watch.expected_statuses.add(404)

    # The orders list: empty, and a search for the order finds nothing.
    page.click("nav.main a[href='/orders']")
    expect(page.locator("p.count")).to_have_text("Your nation has no orders yet.")
    assert found_in(page.content(), secrets) == []
    site.shot(page, "fra-orders")
    page.goto(f"/orders?q={oid}")
    expect(page.locator("p.count")).to_have_text("No orders match these filters.")
    site.shot(page, "fra-orders-search")

    # The order itself, its settlement, its form and its audit trail: not found.
    for path in (
        f"/orders/{oid}",
        f"/orders/{oid}/settlement",
        f"/audit?order={oid}",
        f"/orders/new?copy={oid}",
    ):
        response = page.goto(path)
        assert response is not None
        assert response.status == 404, path
        assert found_in(words(page, "main"), [grouped(TOTAL), number, "RAAF Base Darwin"]) == []
        site.shot(page, "fra-not-found")
    # ... and reads as an order that does not exist: nothing tells them apart.
    said: dict[int, str] = {}
    for asked in (oid, oid + 1000):
        page.goto(f"/orders/{asked}")
        said[asked] = words(page).replace(str(asked), "N")
    assert said[oid] == said[oid + 1000]
    form = page.request.get(f"/orders/{oid}/form.pdf")
    assert form.status == 404
    assert not form.body().startswith(b"%PDF")
    chart = page.request.get("/reports/annual/chart/monthly-JPY.png?fy=2026")
    assert chart.status == 404

    # The ledger, the reports, the audit log and the dashboard, and their downloads.
    shown: dict[str, str] = {}
    for n, path in enumerate(PAGES):
        shown |= visit(site, page, path, secrets, f"fra-{n}")
    assert shown == {}

    # A download saved by the browser, as a person gets it.
    page.goto("/ledger")
    with page.expect_download() as download:
        page.click("a.download[href^='/ledger/balances.csv']")
    saved = download.value.path().read_text(encoding="utf-8-sig")
    assert saved.splitlines()[0].startswith("Partner")
    assert found_in(saved, secrets) == []

    # The same checks find the order where it belongs: Japan's pages and files.
    japan, _ = site.sign_in("JPN-all")
    seen: dict[str, str] = {}
    for n, path in enumerate(
        ["/ledger", "/ledger/statement?partner=AUS", "/reports/annual?fy=2026"]
    ):
        seen |= visit(site, japan, path, secrets, f"jpn-{n}")
    assert grouped(TOTAL - PAID) in seen["/ledger"]
    assert any(
        p.endswith("/ledger/balances.csv") and str(TOTAL - PAID) in s for p, s in seen.items()
    )
    assert any(".xlsx" in p and number in s for p, s in seen.items())
    assert any(p.endswith("annual.pdf?fy=2026") and grouped(TOTAL) in s for p, s in seen.items())
