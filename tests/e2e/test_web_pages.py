"""The order pages for signed-in people, through a real ``acsa serve`` process over SQLite and
PostgreSQL.

Each test fills the database through the services, adds people of three nations (one per role,
password ``password-<name>``), starts the server as users do, signs in through the sign-in
form and reads the pages over HTTP. The helpers here (signing in, reading tables and forms)
serve the other web tests too.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from html.parser import HTMLParser
from pathlib import Path
from typing import Any

import httpx
import pytest

from acsa.adapters.db.engine import make_engine
from acsa.adapters.db.unit_of_work import UnitOfWork
from acsa.commands import (
    AcceptOrder,
    DeliverOrder,
    IssueInvoice,
    PlaceOrder,
    ReceiveOrder,
    RejectOrder,
    SubmitOrder,
)
from acsa.domain.order import Order
from acsa.services import orders, users
from acsa.services.handlers import handle
from acsa.services.setup import init_database
from acsa.web.routes.orders import ListQuery, parse_list_query
from tests.api.server import ROLES, Server
from tests.conftest import _wipe_and_reload as wipe_and_reload
from tests.orders_data import order_doc

START = datetime(2026, 10, 1, 9, 0, tzinfo=UTC)
SCRIPT = "<script>alert('acsa')</script>"
ESCAPED_SCRIPT = "&lt;script&gt;alert(&#39;acsa&#39;)&lt;/script&gt;"
REJECT_REASON = "No JP-8 stock at Darwin until 2026-10-20"
RECEIPT_NOTE = "100 L lost in transfer <b>pump 2</b>"


# --- signing in and reading pages ----------------------------------------------------------


class _Forms(HTMLParser):
    """Every form of a page: its attributes, the values its fields would send, its buttons."""

    def __init__(self) -> None:
        super().__init__()
        self.forms: list[dict[str, Any]] = []
        self.current: dict[str, Any] | None = None
        self.textarea: str | None = None

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        a = {k: v or "" for k, v in attrs}
        if tag == "form":
            self.current = {"attrs": a, "fields": {}, "buttons": []}
            self.forms.append(self.current)
        elif self.current is None:
            return
        elif tag == "input" and a.get("name"):
            self.current["fields"][a["name"]] = a.get("value", "")
        elif tag == "textarea" and a.get("name"):
            self.textarea = a["name"]
            self.current["fields"][a["name"]] = ""
        elif tag == "button":
            self.current["buttons"].append((a.get("name", ""), a.get("value", "")))

    def handle_endtag(self, tag: str) -> None:
        if tag == "form":
            self.current = None
        elif tag == "textarea":
            self.textarea = None

    def handle_data(self, data: str) -> None:
        if self.current is not None and self.textarea:
            self.current["fields"][self.textarea] += data


def forms(html: str) -> dict[str, dict[str, Any]]:
    """The page's forms by id (``form-accept``), each with ``attrs``, ``fields``, ``buttons``."""
    parser = _Forms()
    parser.feed(html)
    return {f["attrs"].get("id", f"form{i}"): f for i, f in enumerate(parser.forms)}


def action_buttons(html: str) -> set[str]:
    """The actions the page offers (``<button name="action" value="...">``)."""
    return {value for f in forms(html).values() for name, value in f["buttons"] if name == "action"}


class _Tables(HTMLParser):
    """Cell texts of every row of the tables with a given class."""

    def __init__(self, css_class: str) -> None:
        super().__init__()
        self.css_class = css_class
        self.depth = 0
        self.rows: list[list[str]] = []
        self.cell: list[str] | None = None

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        classes = (dict(attrs).get("class") or "").split()
        if tag == "table" and (self.depth or self.css_class in classes):
            self.depth += 1
        elif self.depth and tag == "tr":
            self.rows.append([])
        elif self.depth and tag in ("td", "th"):
            self.cell = []

    def handle_endtag(self, tag: str) -> None:
        if tag == "table" and self.depth:
            self.depth -= 1
        elif self.depth and tag in ("td", "th") and self.cell is not None:
            self.rows[-1].append(" ".join(" ".join(self.cell).split()))
            self.cell = None

    def handle_data(self, data: str) -> None:
        if self.cell is not None:
            self.cell.append(data)


def body_rows(html: str, css_class: str) -> list[list[str]]:
    """The data rows (not the header) of the table of class ``css_class``."""
    parser = _Tables(css_class)
    parser.feed(html)
    return [row for row in parser.rows[1:] if row]


def text_of(html: str) -> str:
    """The page's words, tags dropped and spaces collapsed (entities left as they are)."""
    return " ".join(re.sub(r"<[^>]+>", " ", html).split())


def sign_in(base: str, name: str, password: str | None = None) -> httpx.Client:
    """A client signed in as ``name`` through the sign-in form (its CSRF cookie and field)."""
    client = httpx.Client(base_url=base, timeout=30)
    page = client.get("/login")
    assert page.status_code == 200
    [login] = [f for f in forms(page.text).values() if f["attrs"].get("action") == "/login"]
    token = login["fields"]["csrf"]
    response = client.post(
        "/login",
        data={
            "name": name,
            "password": password or f"password-{name}",
            "csrf": token,
            "next": "/orders",
        },
    )
    assert response.status_code == 303, response.text
    assert response.headers["location"] == "/orders"
    cookie = response.headers["set-cookie"].lower()
    assert "httponly" in cookie
    assert "samesite=lax" in cookie
    return client


def csrf_of(html: str) -> str:
    """The session's CSRF token as the page's forms carry it."""
    found = re.search(r'name="csrf" value="([^"]+)"', html)
    assert found, "the page has no form with the CSRF token"
    return found[1]


# --- the database and the server -----------------------------------------------------------


@dataclass(frozen=True)
class Placed:
    """The orders put into the database before the server starts."""

    received: int
    rejected: int
    nz_draft: int
    nz_clause: str
    scripted: int
    invoice: str


@dataclass
class Site:
    base: str
    placed: Placed
    clients: dict[str, httpx.Client]
    db_url: str

    def as_(self, name: str) -> httpx.Client:
        """A client signed in as ``name`` (one session per name, kept for the test)."""
        if name not in self.clients:
            self.clients[name] = sign_in(self.base, name)
        return self.clients[name]

    def get(self, path: str, name: str = "JPN-viewer", **params: str) -> httpx.Response:
        return self.as_(name).get(path, params=params)


def _at(minutes: int) -> datetime:
    return START + timedelta(minutes=minutes)


def _placed(uow: UnitOfWork, doc: dict[str, Any], actor: str, minutes: int) -> tuple[int, Order]:
    order, _ = handle(uow, PlaceOrder.from_wire(doc), actor, _at(minutes))
    assert order.id is not None
    return order.id, order


def fill(url: str) -> Placed:
    """A received order with a discrepancy, a rejected one, a NZ draft the checks refuse (the
    agreement is signed, not in force) and a draft whose location holds a script tag."""
    engine = make_engine(url)
    try:
        uow = UnitOfWork(engine)
        received, _ = _placed(uow, order_doc(), "Lt Sato", 0)
        handle(uow, SubmitOrder(order_id=received), "Lt Sato", _at(5))
        handle(uow, AcceptOrder(order_id=received), "Maj Smith", _at(60))
        handle(uow, DeliverOrder(order_id=received), "Sgt Tanaka", _at(120))
        short = {1: Decimal(11900), 2: Decimal(400), 3: Decimal("2000.5")}
        receipt = ReceiveOrder(order_id=received, quantities=short, note=RECEIPT_NOTE)
        handle(uow, receipt, "Capt Brown", _at(180))
        invoice = handle(uow, IssueInvoice(order_id=received), "Ms Ito", _at(240))
        rejected, _ = _placed(uow, order_doc(), "Lt Sato", 1)
        handle(uow, SubmitOrder(order_id=rejected), "Lt Sato", _at(6))
        refusal = RejectOrder(order_id=rejected, reason=REJECT_REASON)
        handle(uow, refusal, "Maj Smith", _at(61))
        nz_id, nz = _placed(
            uow,
            order_doc(agreement="JPN-NZL", requester="NZL", location="RNZAF Base Ohakea"),
            "Flt Lt Ngata",
            2,
        )
        refusals = orders.violations_now(UnitOfWork(engine, read_only=True), nz)
        scripted, _ = _placed(
            uow, order_doc(location=SCRIPT, order_date="2026-09-15"), "Lt Sato", 3
        )
    finally:
        engine.dispose()
    assert [v.code.value for v in refusals] == ["AGREEMENT_NOT_IN_FORCE"]
    clause = refusals[0].clause
    assert clause is not None
    return Placed(received, rejected, nz_id, clause, scripted, invoice.number)


#: The people of these tests: ``<NATION>-<role>`` (``-all``: every role), password
#: ``password-<name>``. Few, since each password hash takes a while.
PEOPLE = (
    "JPN-viewer",
    "JPN-approver",
    "JPN-logistics",
    "AUS-viewer",
    "AUS-requester",
    "AUS-logistics",
    "AUS-all",
    "AUS-finance",
    "FRA-all",
)


def add_users(url: str, names: tuple[str, ...] = PEOPLE) -> None:
    engine = make_engine(url)
    try:
        for name in names:
            nation, role = name.split("-", 1)
            roles = list(ROLES) if role == "all" else [role]
            users.add_user(
                UnitOfWork(engine),
                {"name": name, "nation": nation, "roles": roles, "password": f"password-{name}"},
                actor="test",
            )
    finally:
        engine.dispose()


def fresh_database(request: pytest.FixtureRequest, tmp: Path) -> str:
    """A database with the schema and the registry only: a new SQLite file, or the test run's
    PostgreSQL database emptied."""
    if request.param == "sqlite":
        url = f"sqlite:///{tmp / 'acsa.db'}"
        engine = make_engine(url)
        init_database(engine)
    else:
        url = str(request.getfixturevalue("pg_url"))
        engine = make_engine(url)
        wipe_and_reload(engine)
    engine.dispose()
    return url


#: Module-scoped sites run once per backend; the PostgreSQL ones are marked like the others.
BACKEND_PARAMS = ["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)]


@contextmanager
def running_site(url: str, log: Path, placed: Any = None) -> Iterator[Site]:
    """``acsa serve`` over ``url`` (people added first), with signed-in clients on demand."""
    add_users(url)
    with Server(url, log=log) as server:
        s = Site(server.base, placed, {}, url)
        try:
            yield s
        finally:
            for client in s.clients.values():
                client.close()


@pytest.fixture(scope="module", params=BACKEND_PARAMS)
def site(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[Site]:
    """The filled database served by a real ``acsa serve`` process, for the whole module (the
    tests here only read, except for one person's language)."""
    tmp = tmp_path_factory.mktemp("web-pages")
    url = fresh_database(request, tmp)
    with running_site(url, tmp / "serve.log", fill(url)) as s:
        yield s


def _order_row(html: str, order_id: int) -> list[str]:
    rows = [row for row in body_rows(html, "orders") if row[0].startswith(f"#{order_id} ")]
    assert len(rows) == 1, rows
    return rows[0]


def _ids(html: str) -> list[int]:
    return [int(row[0].split()[0][1:]) for row in body_rows(html, "orders") if row[0][0] == "#"]


# --- tests -----------------------------------------------------------------------------------


def test_health_answers_json_and_pages_need_a_session(site: Site) -> None:
    response = httpx.get(site.base + "/healthz")
    assert response.status_code == 200
    assert response.json() == {"status": "ok"}
    for path in ("/orders", f"/orders/{site.placed.received}", "/orders/new"):
        response = httpx.get(site.base + path)
        assert response.status_code == 303, path
        assert response.headers["location"].startswith("/login?next=%2Forders"), path


def test_list_shows_orders_with_status_reason_refusal_and_discrepancy(site: Site) -> None:
    placed = site.placed
    response = site.get("/orders")
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/html")
    html = response.text
    assert '<html lang="en">' in html
    received = _order_row(html, placed.received)
    assert received[1] == "received"
    assert received[2:4] == ["JPN-AUS", "AUS → JPN"]
    assert received[4] == "Bilateral or multilateral training and exercises Exercise Pitch Black"
    assert received[5] == "1 Oct 2026"
    assert received[7] == "2,644,020 JPY"
    assert "Discrepancy: 1 line received short" in received[8]
    rejected = _order_row(html, placed.rejected)
    assert rejected[1] == "rejected"
    assert REJECT_REASON in rejected[8]
    nz = _order_row(html, placed.nz_draft)
    assert nz[1] == "draft"
    assert nz[2:4] == ["JPN-NZL", "NZL → JPN"]
    assert "Submit would be refused: 1 problem" in nz[8]
    assert "Agreement checks pass" in _order_row(html, placed.scripted)[8]
    assert "Orders 1–4 of 4" in html
    # newest first by default; the order number column says so
    assert _ids(html) == sorted(_ids(html), reverse=True)
    assert 'aria-sort="descending"' in html


def test_list_filters_sorts_and_searches(site: Site) -> None:
    placed = site.placed
    assert _ids(site.get("/orders", status="rejected").text) == [placed.rejected]
    assert _ids(site.get("/orders", agreement="JPN-NZL").text) == [placed.nz_draft]
    assert _ids(site.get("/orders", partner="NZL").text) == [placed.nz_draft]
    drafts = site.get("/orders", status="draft", agreement="jpn-aus").text
    assert _ids(drafts) == [placed.scripted]
    assert _ids(site.get("/orders", status="closed").text) == []
    assert "No orders match these filters." in site.get("/orders", status="closed").text
    assert _ids(site.get("/orders", since="2026-09-01", until="2026-09-30").text) == [
        placed.scripted
    ]
    assert _ids(site.get("/orders", q="ohakea").text) == [placed.nz_draft]
    assert _ids(site.get("/orders", q=f"#{placed.rejected}").text) == [placed.rejected]
    by_date = site.get("/orders", sort="date", dir="asc").text
    assert _ids(by_date)[0] == placed.scripted
    assert 'id="sort-date"' in by_date
    header = re.search(
        r'<th scope="col" aria-sort="(\w+)">\s*<a class="sort" id="sort-date"', by_date
    )
    assert header
    assert header[1] == "ascending"
    by_total = _ids(site.get("/orders", sort="total").text)
    assert sorted(by_total) == sorted(_ids(site.get("/orders").text))  # the totals are equal
    # a filter is kept by the column links
    html = site.get("/orders", status="draft").text
    assert 'href="/orders?status=draft&amp;sort=total"' in html


def test_order_page_shows_lines_and_the_attributed_timeline(site: Site) -> None:
    response = site.get(f"/orders/{site.placed.received}")
    assert response.status_code == 200
    html = response.text
    lines = body_rows(html, "lines")
    assert lines[0][:5] == [
        "1",
        "Fuel, oils and lubricants",
        "JP-8 aviation turbine fuel",
        "9130-01-031-5816",
        "L",
    ]
    assert lines[0][5:12] == [
        "12,000",
        "12,000",
        "12,000",
        "11,900",
        "⚠ 100 (discrepancy)",
        "152 JPY",
        "1,824,000 JPY",
    ]
    assert lines[2][5] == "2,000.5"
    assert '<tr id="line-1" class="short">' in html
    for actor in ("Lt Sato", "Maj Smith", "Sgt Tanaka", "Capt Brown"):
        assert f'<span class="actor">{actor}</span>' in html
    words = text_of(html)
    for title in ("Draft created", "Submitted to the supplier", "Order accepted"):
        assert title in words
    assert "Delivery recorded" in words
    assert "Receipt recorded" in words
    assert "1 Oct 2026, 09:00:00 UTC" in words
    assert "1 Oct 2026, 12:00:00 UTC" in words
    assert "11,900 L received, 100 L short" in words
    assert "100 L lost in transfer &lt;b&gt;pump 2&lt;/b&gt;" in html
    assert "Value received" in words
    # documents about the order are on the timeline too, after the steps
    assert f"Invoice issued · By: Ms Ito Number {site.placed.invoice} Amount 2,628,820 JPY" in words
    assert words.index("Receipt recorded") < words.index("Invoice issued")
    assert 'id="settlement-link"' in html
    assert f'href="/orders/{site.placed.received}/settlement"' in html


def test_order_page_shows_the_reason_and_the_draft_refusals(site: Site) -> None:
    rejected = site.get(f"/orders/{site.placed.rejected}").text
    assert REJECT_REASON in rejected
    assert "Rejected:" in rejected
    assert 'id="settlement-link"' not in rejected
    draft = site.get(f"/orders/{site.placed.nz_draft}").text
    refusals = body_rows(draft, "violations")
    assert len(refusals) == 1
    code, field, message, clause = refusals[0]
    assert code == "AGREEMENT_NOT_IN_FORCE"
    assert field == "order_date Order date"
    assert clause == site.placed.nz_clause
    assert "JPN-NZL" in message
    assert "The agreement was not in force on the order date." in message
    assert "Flt Lt Ngata" in draft


def test_agreement_page_is_the_visitors_nations_only(site: Site) -> None:
    response = site.get("/agreements/JPN-AUS")
    assert response.status_code == 200
    assert "JPN-AUS" in response.text
    assert site.get("/agreements/JPN-USA", name="AUS-viewer").status_code == 404
    assert site.get("/agreements/JPN-AUS", as_of="soon").status_code == 400


def test_unknown_and_other_nations_orders_are_404(site: Site) -> None:
    placed = site.placed
    for path in (
        "/orders/999999",
        "/orders/abc",
        "/orders/99999999999999999999",
        "/agreements/NOPE",
        "/no/such/page",
    ):
        response = site.get(path)
        assert response.status_code == 404, path
        assert response.headers["content-type"].startswith("text/html"), path
        assert "Not found" in response.text, path
    assert "ORDER_NOT_FOUND" in site.get("/orders/999999").text
    # Australia is not party to the NZ draft; France to none of these orders
    assert site.get(f"/orders/{placed.nz_draft}", name="AUS-viewer").status_code == 404
    assert site.get(f"/orders/{placed.received}", name="AUS-viewer").status_code == 200
    for order_id in (placed.received, placed.rejected, placed.nz_draft, placed.scripted):
        response = site.get(f"/orders/{order_id}", name="FRA-all")
        assert response.status_code == 404
        assert "RAAF" not in response.text
    french = site.get("/orders", name="FRA-all").text
    assert _ids(french) == []
    assert "Your nation has no orders yet." in french


def test_bad_query_parameters_are_400_naming_them(site: Site) -> None:
    for params, name, code in (
        ({"since": "2024-02-30"}, "since", "INVALID_DATE"),
        ({"until": "yesterday"}, "until", "INVALID_DATE"),
        ({"since": "2026-10-02", "until": "2026-10-01"}, "until", "INVALID_DATE"),
        ({"status": "lost"}, "status", "INVALID_FIELD"),
        ({"agreement": "JPN-XXX"}, "agreement", "AGREEMENT_NOT_FOUND"),
        ({"partner": "FRA"}, "partner", "INVALID_FIELD"),
        ({"sort": "colour"}, "sort", "INVALID_FIELD"),
        ({"dir": "up"}, "dir", "INVALID_FIELD"),
        ({"page": "0"}, "page", "INVALID_FIELD"),
        ({"page": "two"}, "page", "INVALID_FIELD"),
    ):
        response = site.get("/orders", name="AUS-viewer", **params)
        assert response.status_code == 400, params
        assert name in response.text, params
        assert code in response.text, params
    # another nation's agreement is not one to filter by, as if it did not exist
    assert site.get("/orders", name="AUS-viewer", agreement="JPN-NZL").status_code == 400


def test_text_from_orders_is_escaped_and_no_script_is_inline(site: Site) -> None:
    for path in ("/orders", f"/orders/{site.placed.scripted}", "/orders/new"):
        response = site.get(path, name="AUS-all")
        assert response.status_code == 200, path
        assert SCRIPT not in response.text
        policy = response.headers["content-security-policy"]
        assert "default-src 'none'" in policy
        assert "script-src 'self'" in policy
        assert "unsafe-inline" not in policy
        assert not re.search(r"<script(?![^>]*\ssrc=)", response.text), path
        assert not re.search(r"\son[a-z]+=", response.text), path
    for path in ("/orders", f"/orders/{site.placed.scripted}"):
        assert ESCAPED_SCRIPT in site.get(path).text
    copied = site.get("/orders/new", name="AUS-all", copy=str(site.placed.scripted))
    assert ESCAPED_SCRIPT in copied.text
    script = httpx.get(site.base + "/static/orders.js")
    assert script.status_code == 200
    assert "javascript" in script.headers["content-type"]


def test_pages_in_japanese_format_numbers_dates_and_money(site: Site) -> None:
    client = site.as_("AUS-finance")
    page = client.get("/orders").text
    switched = client.post(
        "/language", data={"language": "ja", "csrf": csrf_of(page), "next": "/orders"}
    )
    assert switched.status_code == 303
    html = client.get("/orders").text
    assert '<html lang="ja">' in html
    row = _order_row(html, site.placed.received)
    assert row[5] == "2026/10/01"
    assert row[7] == "2,644,020 JPY"
    assert "差異" in row[8]
    detail = client.get(f"/orders/{site.placed.received}").text
    assert "経過" in detail
    assert "11,900 L 受領、100 L 不足" in text_of(detail)
    assert "承認数量" in detail


def test_list_query_links_keep_filters_sort_and_page() -> None:
    query = ListQuery(status="draft", agreement="JPN-AUS", sort="total", direction="asc", page=2)
    assert query.link() == "/orders?status=draft&agreement=JPN-AUS&sort=total&dir=asc&page=2"
    assert query.link(page=None, status=None) == "/orders?agreement=JPN-AUS&sort=total&dir=asc"
    assert query.sort_link("total") == "/orders?status=draft&agreement=JPN-AUS&sort=total"
    assert query.sort_link("id") == "/orders?status=draft&agreement=JPN-AUS"
    assert query.sort_link("status") == "/orders?status=draft&agreement=JPN-AUS&sort=status"
    assert query.aria_sort("total") == "ascending"
    assert query.aria_sort("id") == "none"
    assert ListQuery().link() == "/orders"
    parsed = parse_list_query(
        " Rejected ", None, None, "2026-01-01", "", " fuel ", "date", None, "3", {}, "JPN"
    )
    assert parsed == ListQuery(
        status="rejected",
        since=date(2026, 1, 1),
        q="fuel",
        sort="date",
        direction="desc",
        page=3,
    )


def test_agreement_page_says_what_the_text_says_in_english_and_japanese(site: Site) -> None:
    client = site.as_("AUS-finance")

    def read_in(language: str) -> str:
        page = client.get("/orders").text
        switched = client.post(
            "/language", data={"language": language, "csrf": csrf_of(page), "next": "/orders"}
        )
        assert switched.status_code == 303
        return text_of(client.get("/agreements/JPN-AUS", params={"as_of": "2026-10-01"}).text)

    english = read_in("en")  # whatever language an earlier test left this person reading
    assert "Only by the governments' determination" in english
    assert "other activities" in english
    assert "in currency only where return is difficult" in english
    assert "Use consistent with the Charter of the United Nations." in english
    assert "without the supplying government's prior consent" in english
    assert "written consent" not in english
    assert "press4_004993" in english  # the MOFA release of the 2017 text's entry into force
    japanese = read_in("ja")
    assert "両政府の決定による場合のみ" in japanese
    assert "国際連合憲章と両立する使用に限ります。" in japanese
    assert "返還が困難な場合に限り通貨で決済します" in japanese
    assert "Only by the governments' determination" not in japanese
    read_in("en")
