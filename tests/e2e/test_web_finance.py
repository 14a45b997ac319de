"""Settlement, the ledger, the reports, the registry and the audit log in the pages, through a
real ``acsa serve`` process over SQLite and PostgreSQL.

Orders are placed and received through the API (as the people of each nation, with their
tokens); the settlement is then done in the pages, signed in as people do (the sign-in form,
its CSRF cookie, the session cookie), and every form posts the session's CSRF token.
"""

from __future__ import annotations

import csv
import io
import re
from collections.abc import Iterator
from dataclasses import dataclass
from decimal import Decimal
from html.parser import HTMLParser
from pathlib import Path
from typing import Any

import httpx
import pytest
from babel.messages.extract import extract_from_file
from jinja2.ext import babel_extract
from openpyxl import load_workbook
from pypdf import PdfReader
from sqlalchemy import Engine

from acsa import i18n
from acsa.adapters.db.engine import make_engine
from acsa.adapters.db.unit_of_work import UnitOfWork
from acsa.i18n import Formats
from acsa.services import users
from tests.api.server import ROLES, Person, Server
from tests.orders_data import order_doc

#: The order of tests/orders_data.py: 12,000 L x 152 + 400 x 1,850 + 2,000.5 L x 40 JPY.
TOTAL = Decimal("2644020")
LINES = {
    1: ("fuel", "12000", "9130-01-031-5816"),
    2: ("food", "400", None),
    3: ("water", "2000.5", None),
}
WATER_VALUE = Decimal("80020")
EN, JA = Formats("en"), Formats("ja")
CSV = "text/csv; charset=utf-8"
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
PDF = "application/pdf"
WEB = Path(__file__).resolve().parents[2] / "src" / "acsa" / "web"


# --- reading pages ---------------------------------------------------------------------------


class _Tables(HTMLParser):
    """Cell texts of the body rows (not the header) of the tables with a given class."""

    def __init__(self, css_class: str) -> None:
        super().__init__()
        self.css_class = css_class
        self.depth = 0
        self.head = False
        self.rows: list[list[str]] = []
        self.cell: list[str] | None = None

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        classes = (dict(attrs).get("class") or "").split()
        if tag == "table" and (self.depth or self.css_class in classes):
            self.depth += 1
        elif self.depth and tag == "thead":
            self.head = True
        elif self.depth and tag == "tr" and not self.head:
            self.rows.append([])
        elif self.depth and tag in ("td", "th") and not self.head:
            self.cell = []

    def handle_endtag(self, tag: str) -> None:
        if tag == "table" and self.depth:
            self.depth -= 1
        elif self.depth and tag == "thead":
            self.head = False
        elif self.depth and tag in ("td", "th") and self.cell is not None:
            self.rows[-1].append(" ".join(" ".join(self.cell).split()))
            self.cell = None

    def handle_data(self, data: str) -> None:
        if self.cell is not None:
            self.cell.append(data)


def rows(html: str, css_class: str) -> list[list[str]]:
    """The body rows of the tables of class ``css_class``, as cell texts."""
    parser = _Tables(css_class)
    parser.feed(html)
    return [row for row in parser.rows if row]


def text_of(html: str) -> str:
    """The page's text with tags dropped and spaces collapsed."""
    return " ".join(re.sub(r"<[^>]+>", " ", html).split())


# --- the site --------------------------------------------------------------------------------


@dataclass
class Site:
    """A running server and the people of it, made when a test first needs them (as
    ``tests.api.server.add_people`` makes them: ``JPN-finance``, ``FRA-all``...; each argon2
    password costs time, so only those a test uses are made)."""

    server: Server
    engine: Engine
    people: dict[str, Person]

    @property
    def base(self) -> str:
        return self.server.base

    def person(self, name: str) -> Person:
        if name not in self.people:
            nation, role = name.split("-", 1)
            roles = ROLES if role == "all" else (role,)
            users.add_user(
                UnitOfWork(self.engine),
                {
                    "name": name,
                    "nation": nation,
                    "roles": list(roles),
                    "password": f"password-{name}",
                },
                actor="test",
            )
            token = users.issue_token(UnitOfWork(self.engine), name, actor="test").token
            self.people[name] = Person(name, nation, tuple(roles), token)
        return self.people[name]

    def api(self, method: str, path: str, who: str, **kwargs: Any) -> httpx.Response:
        return httpx.request(
            method,
            f"{self.base}/api/v1{path}",
            headers=self.person(who).headers,
            timeout=30,
            **kwargs,
        )

    def received_order(self, **changes: Any) -> int:
        """A JPN-AUS order placed, accepted, delivered and received through the API."""
        placed = self.api("POST", "/orders", "AUS-requester", json=order_doc(**changes))
        assert placed.status_code == 201, placed.text
        oid = int(placed.json()["id"])
        for action, who in [
            ("submit", "AUS-requester"),
            ("accept", "JPN-approver"),
            ("deliver", "JPN-logistics"),
            ("receive", "AUS-logistics"),
        ]:
            done = self.api("POST", f"/orders/{oid}/{action}", who)
            assert done.status_code == 200, done.text
        return oid

    def invoices(self, oid: int) -> list[dict[str, Any]]:
        found = self.api("GET", f"/invoices?order={oid}", "JPN-finance")
        assert found.status_code == 200, found.text
        result: list[dict[str, Any]] = found.json()
        return result

    def browser(self, name: str) -> Browser:
        return Browser(self, name)


class Browser:
    """A person signed in to the pages: the session cookie, and the form token of the pages."""

    def __init__(self, site: Site, name: str) -> None:
        site.person(name)
        self.client = httpx.Client(base_url=site.base, timeout=60, follow_redirects=False)
        form = self.client.get("/login")
        assert form.status_code == 200
        token = re.search(r'name="csrf" value="([^"]+)"', form.text)
        assert token is not None
        signed = self.client.post(
            "/login",
            data={
                "name": name,
                "password": f"password-{name}",
                "csrf": token.group(1),
                "next": "/",
            },
        )
        assert signed.status_code == 303, signed.text
        self.csrf = self.token(self.get("/ledger").text)

    @staticmethod
    def token(html: str) -> str:
        found = re.search(r'name="csrf" value="([^"]+)"', html)
        assert found is not None
        return found.group(1)

    def get(self, path: str, **params: str) -> httpx.Response:
        return self.client.get(path, params=params or None)

    def post(self, path: str, data: dict[str, Any], csrf: str | None = "session") -> httpx.Response:
        if csrf == "session":
            data = {**data, "csrf": self.csrf}
        elif csrf is not None:
            data = {**data, "csrf": csrf}
        return self.client.post(path, data=data)

    def follow(self, response: httpx.Response) -> httpx.Response:
        assert response.status_code == 303, response.text[-2000:]
        return self.client.get(response.headers["location"])

    def close(self) -> None:
        self.client.close()


@pytest.fixture
def site(db_url: str, tmp_path: Path) -> Iterator[Site]:
    """``acsa serve`` over a fresh database (the registry only); people are made as needed."""
    engine = make_engine(db_url)
    try:
        with Server(db_url, log=tmp_path / "serve.log") as server:
            yield Site(server, engine, {})
    finally:
        engine.dispose()


def _balance(html: str, partner: str) -> list[str]:
    """The row of the ledger page's balances table for ``partner``."""
    found = [r for r in rows(html, "balances") if r and r[0] == partner]
    assert len(found) == 1, rows(html, "balances")
    return found[0]


# --- settlement in cash ----------------------------------------------------------------------


def test_invoice_and_payment_in_the_pages_show_on_both_nations_ledgers(site: Site) -> None:
    oid = site.received_order()
    jpn, aus = site.browser("JPN-finance"), site.browser("AUS-finance")
    page = f"/orders/{oid}/settlement"

    # The supplier's finance may invoice; the requester's may not (no form), nor pay yet.
    mine = jpn.get(page).text
    assert f'action="/orders/{oid}/settlement/invoice"' in mine
    theirs = aus.get(page).text
    assert "/settlement/invoice" not in theirs
    assert "/settlement/payment" not in theirs
    assert EN.money(TOTAL, "JPY") in text_of(theirs)

    done = jpn.follow(jpn.post(f"{page}/invoice", {"issued": ""}))
    [invoice] = site.invoices(oid)
    assert f"Invoice {invoice['number']} issued." in done.text
    assert rows(done.text, "invoices")[0][0] == invoice["number"]

    owed = EN.money(TOTAL, "JPY")
    assert _balance(jpn.get("/ledger").text, "AUS")[2] == owed  # owed to us
    assert _balance(aus.get("/ledger").text, "JPN")[3] == owed  # owed by us

    # Too much is refused, the page shows why, and nothing changes.
    refused = aus.post(
        f"{page}/payment",
        {"invoice": invoice["number"], "amount": "9999999", "paid": invoice["issued"]},
    )
    assert refused.status_code == 409  # more than the invoice has unpaid now
    assert "The payment is more than is unpaid on the invoice." in refused.text
    assert 'value="9999999"' in refused.text  # what was typed is kept
    assert site.invoices(oid)[0]["paid"] == "0"

    part = aus.post(
        f"{page}/payment",
        {
            "invoice": invoice["number"],
            "amount": "1,000,000",
            "paid": invoice["issued"],
            "reference": "TT-1",
        },
    )
    assert f"Payment recorded against invoice {invoice['number']}." in aus.follow(part).text
    left = EN.money(TOTAL - 1_000_000, "JPY")
    assert _balance(jpn.get("/ledger").text, "AUS")[2] == left
    assert _balance(aus.get("/ledger").text, "JPN")[3] == left

    # In Japanese: the labels and the yen as a Japanese reader writes them.
    switched = aus.client.post(
        "/language", data={"language": "ja", "csrf": aus.csrf, "next": "/ledger"}
    )
    assert switched.status_code == 303
    ja = aus.get("/ledger").text
    assert "元帳" in ja
    assert "相手国別残高" in ja
    assert _balance(ja, "JPN")[3] == JA.money(TOTAL - 1_000_000, "JPY")
    ja_page = aus.get(page).text
    assert "請求書と支払" in ja_page
    assert "支払の記録" in ja_page

    rest = aus.post(
        f"{page}/payment",
        {"invoice": invoice["number"], "amount": str(TOTAL - 1_000_000), "paid": invoice["issued"]},
    )
    settled = aus.follow(rest).text
    assert "決済済み" in settled
    assert site.invoices(oid)[0]["status"] == "paid"
    for browser in (jpn, aus):
        browser.close()


# --- settlement in kind ----------------------------------------------------------------------


def test_a_replacement_in_kind_and_an_exchange_settle_an_in_kind_order(site: Site) -> None:
    oid = site.received_order(settlement="replacement_in_kind")
    page = f"/orders/{oid}/settlement"
    logistics, finance = site.browser("AUS-logistics"), site.browser("AUS-finance")

    shown = logistics.get(page).text
    assert "/settlement/replacement" in shown
    assert "/settlement/exchange" not in shown
    assert "converts to cash from" in text_of(shown)  # the deadline of the receipt
    assert "/settlement/invoice" not in site.browser("JPN-finance").get(page).text

    def returned(nsn: str) -> dict[str, Any]:
        return {
            "line": ["1", "2", "3"],
            "category": [LINES[n][0] for n in (1, 2, 3)],
            "quantity": [LINES[1][1], LINES[2][1], ""],
            "nsn": [nsn, "", ""],
            "returned": "",
            "note": "returned at Darwin",
        }

    wrong = logistics.post(f"{page}/replacement", returned("9130-01-000-0000"))
    assert wrong.status_code == 422
    assert "The goods returned do not match what was received" in wrong.text
    assert "Replacement in kind recorded" not in wrong.text

    done = logistics.follow(logistics.post(f"{page}/replacement", returned(LINES[1][2] or "")))
    assert "Replacement in kind recorded" in done.text
    account = {r[0]: r[1] for r in rows(done.text, "account")}
    assert account["Still owed in kind"] == EN.money(WATER_VALUE, "JPY")

    form = finance.get(page).text
    assert "/settlement/exchange" in form
    exchanged = finance.post(
        f"{page}/exchange",
        {
            "category": "water",
            "description": "Bottled water from RAAF stocks",
            "quantity": "2000.5",
            "unit": "L",
            "value": str(WATER_VALUE),
            "agreed_by": "JPN J4 / AUS J4",
            "valuation_note": "at the order's unit price",
            "exchanged": "",
        },
    )
    after = finance.follow(exchanged).text
    assert "Equal value exchange recorded" in after
    assert "Settled: nothing is owed on this order." in after
    kinds = [r[1] for r in rows(after, "settlements")]
    assert kinds == ["replacement", "exchange"]


# --- downloads -------------------------------------------------------------------------------


def _csv(response: httpx.Response) -> list[list[str]]:
    assert response.status_code == 200, response.text[-2000:]
    assert response.headers["content-type"] == CSV
    return list(csv.reader(io.StringIO(response.content.decode("utf-8-sig"))))


def _xlsx(response: httpx.Response) -> list[list[Any]]:
    assert response.status_code == 200, response.text[-2000:]
    assert response.headers["content-type"] == XLSX
    book = load_workbook(io.BytesIO(response.content), read_only=True)
    return [list(r) for sheet in book.worksheets for r in sheet.iter_rows(values_only=True)]


def _pdf(response: httpx.Response) -> str:
    assert response.status_code == 200, response.text[-2000:]
    assert response.headers["content-type"] == PDF
    return " ".join(page.extract_text() for page in PdfReader(io.BytesIO(response.content)).pages)


def test_downloads_carry_the_figures_on_screen(site: Site) -> None:
    oid = site.received_order()
    issued = site.api("POST", f"/orders/{oid}/invoices", "JPN-finance")
    assert issued.status_code == 201, issued.text
    number = issued.json()["number"]
    jpn = site.browser("JPN-finance")
    period = {"partner": "AUS", "since": "2026-01-01", "until": "2026-12-31"}

    screen = jpn.get("/ledger/statement", **period).text
    lines = rows(screen, "statement")
    assert lines[1][2] == "receipt"
    assert lines[1][-1] == EN.money(TOTAL, "JPY")
    assert lines[-1][2] == "closing balance"
    assert lines[-1][-1] == EN.money(TOTAL, "JPY")
    table = _csv(jpn.get("/ledger/statement.csv", **period))
    assert table[0][:3] == ["Day", "Entry", "Kind"]
    assert [r[2] for r in table[1:]] == [line[2] for line in lines]
    assert table[-1][-1] == str(TOTAL)
    sheet = _xlsx(jpn.get("/ledger/statement.xlsx", **period))
    assert any(Decimal(str(c)) == TOTAL for r in sheet for c in r if isinstance(c, int | float))

    aging = rows(jpn.get("/ledger/aging").text, "aging")
    assert aging[0][:3] == ["AUS", "JPY", "owed to us"]
    assert aging[0][3] == EN.money(TOTAL, "JPY")
    assert _csv(jpn.get("/ledger/aging.csv"))[1][3] == str(TOTAL)
    assert _xlsx(jpn.get("/ledger/aging.xlsx"))[2][3] == int(TOTAL)

    late = {"as_of": "2027-03-01"}  # after the invoice's due date
    overdue = rows(jpn.get("/ledger/overdue", **late).text, "overdue")
    assert overdue[0][2] == number
    assert _csv(jpn.get("/ledger/overdue.csv", **late))[1][2] == number
    assert _xlsx(jpn.get("/ledger/overdue.xlsx", **late))[2][2] == number

    annual = jpn.get("/reports/annual", fy="2026").text
    assert EN.money(TOTAL, "JPY") in text_of(annual)
    chart = jpn.get("/reports/annual/chart/monthly-JPY.png", fy="2026")
    assert chart.headers["content-type"] == "image/png"
    assert chart.content[:4] == b"\x89PNG"
    assert 'href="/reports/annual/chart/monthly-JPY.png?fy=2026"' in annual
    assert 'data-kind="monthly" data-currency="JPY"' in annual  # the chart on the page: SVG
    assert ["by_partner", "AUS", "JPY", "1", str(TOTAL)] in _csv(
        jpn.get("/reports/annual.csv", fy="2026")
    )
    assert any(int(TOTAL) in r for r in _xlsx(jpn.get("/reports/annual.xlsx", fy="2026")))
    assert "2,644,020" in _pdf(jpn.get("/reports/annual.pdf", fy="2026"))
    form = _pdf(jpn.get(f"/orders/{oid}/form.pdf"))
    assert number in form
    assert "2,644,020" in form

    dashboard = jpn.get("/").text
    assert 'id="dashboard-chart-monthly-JPY" data-kind="monthly"' in dashboard
    assert EN.money(TOTAL, "JPY") in text_of(dashboard)
    jpn.close()


# --- another nation --------------------------------------------------------------------------


def test_another_nation_sees_none_of_it_in_pages_or_downloads(site: Site) -> None:
    oid = site.received_order()
    assert site.api("POST", f"/orders/{oid}/invoices", "JPN-finance").status_code == 201
    fra = site.browser("FRA-all")
    for path in (f"/orders/{oid}/settlement", f"/orders/{oid}/form.pdf"):
        assert fra.get(path).status_code == 404, path
    assert fra.post(f"/orders/{oid}/settlement/invoice", {"issued": ""}).status_code == 404
    assert fra.get("/audit", order=str(oid)).status_code == 404
    figure = str(TOTAL)
    pages = [
        fra.get("/ledger").text,
        fra.get("/ledger/statement", partner="JPN").text,
        fra.get("/ledger/statement", partner="AUS").text,
        fra.get("/ledger/aging").text,
        fra.get("/ledger/overdue", as_of="2027-03-01").text,
        fra.get("/reports/exceptions").text,
        fra.get("/reports/annual", fy="2026").text,
        fra.get("/audit").text,
        fra.get("/").text,
    ]
    for html in pages:
        assert EN.money(TOTAL, "JPY") not in text_of(html)
        assert f"/orders/{oid}" not in html
    for path in (
        "/ledger/balances.csv",
        "/ledger/statement.csv?partner=JPN",
        "/ledger/aging.csv",
        "/ledger/overdue.csv?as_of=2027-03-01",
        "/reports/exceptions.csv",
        "/reports/annual.csv?fy=2026",
    ):
        table = _csv(fra.get(path))
        assert all(figure not in cell for r in table for cell in r), path
        assert len(table) <= 1 or path.startswith("/reports/annual"), (path, table)
    assert fra.get("/reports/annual/chart/monthly-JPY.png", fy="2026").status_code == 404
    viewer = site.browser(
        "FRA-viewer"
    )  # FRA-all is an admin: the registry's administrators see it all
    assert [r[0] for r in rows(viewer.get("/agreements").text, "registry")] == ["JPN-FRA"]
    assert viewer.get("/agreements/JPN-AUS").status_code == 404
    for browser in (fra, viewer):
        browser.close()


# --- the audit log ---------------------------------------------------------------------------


def test_auditors_see_the_log_with_the_chain_intact_and_viewers_are_refused(site: Site) -> None:
    oid = site.received_order()
    assert site.api("POST", f"/orders/{oid}/invoices", "JPN-finance").status_code == 201
    auditor = site.browser("JPN-auditor")
    log = auditor.get("/audit", order=str(oid))
    assert log.status_code == 200
    assert "The chain is intact." in log.text
    actions = [r[3] for r in rows(log.text, "audit")]
    assert any(a.startswith("invoice issued") for a in actions)
    assert any(a.startswith("order submitted") for a in actions)
    submitted = next(r for r in rows(log.text, "audit") if r[3].startswith("order submitted"))
    assert "draft → submitted" in submitted[5]
    assert 'href="/audit"' in auditor.get("/").text  # in the navigation
    for name in ("JPN-viewer", "JPN-finance"):
        other = site.browser(name)
        assert other.get("/audit").status_code == 403
        assert 'href="/audit"' not in other.get("/").text
        other.close()
    auditor.close()


# --- CSRF ------------------------------------------------------------------------------------


def test_a_form_without_the_csrf_token_is_refused_and_changes_nothing(site: Site) -> None:
    oid = site.received_order()
    jpn = site.browser("JPN-finance")
    other = site.browser("JPN-all")
    for token in (None, "", "forged", other.csrf):
        refused = jpn.post(f"/orders/{oid}/settlement/invoice", {"issued": ""}, csrf=token)
        assert refused.status_code in (400, 403), refused.status_code
    assert site.invoices(oid) == []
    assert site.api("POST", f"/orders/{oid}/invoices", "JPN-finance").status_code == 201
    [invoice] = site.invoices(oid)
    aus = site.browser("AUS-finance")
    payment = {"invoice": invoice["number"], "amount": "1", "paid": invoice["issued"]}
    assert aus.post(f"/orders/{oid}/settlement/payment", payment, csrf=None).status_code in (
        400,
        403,
    )
    assert site.invoices(oid)[0]["paid"] == "0"
    for browser in (jpn, other, aus):
        browser.close()


# --- the registry ----------------------------------------------------------------------------


def test_the_registry_lists_the_nations_agreements_and_the_versions(site: Site) -> None:
    aus = site.browser("AUS-viewer")
    listed = aus.get("/agreements").text
    ids = [r[0] for r in rows(listed, "registry")]
    assert ids == ["JPN-AUS"]
    assert "365 days from receipt" in listed
    assert "30 days from invoice" in listed
    jpn = site.browser("JPN-viewer")
    assert "JPN-USA" in [r[0] for r in rows(jpn.get("/agreements").text, "registry")]
    usa = jpn.get("/agreements/JPN-USA").text
    versions = rows(usa, "versions")
    assert [v[:3] for v in versions] == [
        ["1", "1996 text", "1996-04-15"],
        ["2", "1998 amendment", "1998 approx."],
        ["3", "2004 amendment", "2004-02-27"],
        ["4", "2016 text", "2016-09-26"],
    ]
    assert versions[-1][-1] == "governs"
    assert [v[-1] for v in versions[:-1]] == ["superseded"] * 3
    assert "What changed" in usa
    assert aus.get("/agreements/JPN-USA").status_code == 404
    jpn.client.post("/language", data={"language": "ja", "csrf": jpn.csrf, "next": "/"})
    assert "版の履歴" in jpn.get("/agreements/JPN-USA").text
    for browser in (aus, jpn):
        browser.close()


# --- the catalogue ---------------------------------------------------------------------------

MY_TEMPLATES = (
    "finance_settlement.html",
    "ledger_balances.html",
    "ledger_statement.html",
    "ledger_aging.html",
    "ledger_overdue.html",
    "reports_exceptions.html",
    "reports_annual.html",
    "registry_list.html",
    "audit_log.html",
    "_tables.html",
    "_agreement.html",
    "agreement.html",
)
MY_MODULES = (
    "routes/finance.py",
    "routes/ledger.py",
    "routes/registry.py",
    "routes/audit.py",
    "tables.py",
)


def _msgids() -> dict[str, str]:
    found: dict[str, str] = {}
    for name in MY_TEMPLATES:
        with (WEB / "templates" / name).open("rb") as stream:
            for line, _func, message, _comments in babel_extract(
                stream, ("_", "ngettext"), [], {"extensions": "jinja2.ext.i18n"}
            ):
                first = message[0] if isinstance(message, tuple) else message
                if first:
                    found.setdefault(first, f"{name}:{line}")
    for module in MY_MODULES:
        for line, message, _comments, _context in extract_from_file(
            "python", str(WEB / module), keywords={"N_": None}
        ):
            found.setdefault(str(message), f"{module}:{line}")
    return found


def test_every_text_of_these_pages_has_a_japanese_translation() -> None:
    catalog = i18n.catalog("ja")
    found = _msgids()
    assert len(found) > 250
    missing = {
        m: where for m, where in found.items() if not (catalog.get(m) and catalog.get(m).string)
    }
    assert missing == {}
    for message in catalog:
        if not message.id or not message.string:
            continue
        ids = message.id if isinstance(message.id, tuple) else (message.id,)
        texts = message.string if isinstance(message.string, tuple) else (message.string,)
        wanted = set(re.findall(r"%\((\w+)\)s", ids[0]))
        for text in texts:
            assert set(re.findall(r"%\((\w+)\)s", text)) == wanted, message.id


# --- what waits for finance ------------------------------------------------------------------


def _waiting(html: str) -> list[str]:
    """The lines of the dashboard's "waiting for your action" list, as text."""
    found = re.search(r'<ul class="waiting">(.*?)</ul>', html, re.S)
    assert found is not None
    return [text_of(item) for item in re.findall(r"<li[^>]*>(.*?)</li>", found.group(1), re.S)]


def test_the_dashboard_lists_settlement_steps_and_close_is_offered_only_when_settled(
    site: Site,
) -> None:
    first, second = site.received_order(), site.received_order()
    jpn, aus = site.browser("JPN-finance"), site.browser("AUS-finance")

    # Two received orders wait for JPN's finance to invoice them; AUS's finance waits for none.
    waiting = _waiting(jpn.get("/").text)
    assert [w for w in waiting if "invoice the order" in w] == [
        w for w in waiting if w.startswith((f"#{first} ", f"#{second} "))
    ]
    assert len([w for w in waiting if "invoice the order" in w]) == 2
    assert f'href="/orders/{first}/settlement"' in jpn.get("/").text
    assert not any("invoice the order" in w for w in _waiting(aus.get("/").text))

    # Received, not settled: no close form for finance on either side.
    assert 'id="form-close"' not in jpn.get(f"/orders/{first}").text

    jpn.follow(jpn.post(f"/orders/{first}/settlement/invoice", {"issued": ""}))
    [invoice] = site.invoices(first)
    assert [w for w in _waiting(aus.get("/").text) if "pay the invoice" in w] != []
    assert 'id="form-close"' not in aus.get(f"/orders/{first}").text
    assert 'id="form-close"' not in jpn.get(f"/orders/{first}").text

    aus.follow(
        aus.post(
            f"/orders/{first}/settlement/payment",
            {"invoice": invoice["number"], "amount": str(TOTAL), "paid": invoice["issued"]},
        )
    )
    # Settled: close is offered (and listed as waiting), and closing it works.
    assert 'id="form-close"' in jpn.get(f"/orders/{first}").text
    assert any(w.startswith(f"#{first} ") and "close" in w for w in _waiting(jpn.get("/").text))
    assert not any("pay the invoice" in w for w in _waiting(aus.get("/").text))
    for browser in (jpn, aus):
        browser.close()
