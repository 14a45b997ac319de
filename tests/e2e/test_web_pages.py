"""The read-only web pages, through a real ``acsa serve`` process over SQLite and PostgreSQL.

Each test fills the database through the services, starts the server as users do, waits for
``/healthz`` and reads the pages over HTTP.
"""

from __future__ import annotations

import socket
import subprocess
import sys
import time
from collections.abc import Iterator
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
from acsa.clock import today
from acsa.domain.order import Order
from acsa.schemas import agreement_out
from acsa.services import orders
from acsa.services.agreements import list_agreements
from acsa.web import views
from tests.orders_data import order_doc

ACSA = Path(sys.executable).parent / "acsa"
START = datetime(2026, 10, 1, 9, 0, tzinfo=UTC)
SCRIPT = "<script>alert('acsa')</script>"
REJECT_REASON = "No JP-8 stock at Darwin until 2026-10-20"
RECEIPT_NOTE = "100 L lost in transfer <b>pump 2</b>"


@dataclass(frozen=True)
class Placed:
    """The orders put into the database before the server starts."""

    received: int
    rejected: int
    nz_draft: int
    nz_clause: str
    scripted: int


@dataclass(frozen=True)
class Site:
    base: str
    placed: Placed

    def get(self, path: str, **params: str) -> httpx.Response:
        return httpx.get(self.base + path, params=params, timeout=10)


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


def _at(minutes: int) -> datetime:
    return START + timedelta(minutes=minutes)


def _placed(
    uow: UnitOfWork,
    doc: dict[str, Any],
    actor: str,
    minutes: int,
) -> tuple[int, Order]:
    """A new draft placed ``minutes`` after the start: its number and the order."""
    order, _ = orders.place_order(uow, doc, actor, now=_at(minutes))
    assert order.id is not None
    return order.id, order


def fill(url: str) -> Placed:
    """A received order with a discrepancy, a rejected one, a NZ draft the checks refuse (the
    agreement is signed, not in force) and a draft whose location holds a script tag."""
    engine = make_engine(url)
    try:
        uow = UnitOfWork(engine)
        received, _ = _placed(uow, order_doc(), "Lt Sato", 0)
        orders.submit(uow, received, "Lt Sato", now=_at(5))
        orders.accept(uow, received, "Maj Smith", now=_at(60))
        orders.deliver(uow, received, "Sgt Tanaka", now=_at(120))
        orders.receive(
            uow,
            received,
            "Capt Brown",
            {1: Decimal(11900), 2: Decimal(400), 3: Decimal("2000.5")},
            RECEIPT_NOTE,
            _at(180),
        )
        rejected, _ = _placed(uow, order_doc(), "Lt Sato", 1)
        orders.submit(uow, rejected, "Lt Sato", now=_at(6))
        orders.reject(uow, rejected, "Maj Smith", REJECT_REASON, now=_at(61))
        nz_id, nz = _placed(
            uow,
            order_doc(agreement="JPN-NZL", requester="NZL", location="RNZAF Base Ohakea"),
            "Flt Lt Ngata",
            2,
        )
        refusals = orders.violations_now(UnitOfWork(engine, read_only=True), nz)
        scripted, _ = _placed(uow, order_doc(location=SCRIPT), "Lt Sato", 3)
    finally:
        engine.dispose()
    assert [v.code.value for v in refusals] == ["AGREEMENT_NOT_IN_FORCE"]
    clause = refusals[0].clause
    assert clause is not None
    return Placed(received, rejected, nz_id, clause, scripted)


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _wait_until_up(base: str, process: subprocess.Popen[bytes], log: Path) -> None:
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        if process.poll() is not None:
            pytest.fail(f"acsa serve exited with {process.returncode}:\n{log.read_text()}")
        try:
            if httpx.get(base + "/healthz", timeout=1).status_code == 200:
                return
        except httpx.TransportError:
            pass
        time.sleep(0.1)
    pytest.fail(f"acsa serve did not answer /healthz within 30 s:\n{log.read_text()}")


@pytest.fixture
def site(db_url: str, tmp_path: Path) -> Iterator[Site]:
    """The filled database served by a real ``acsa serve`` process, stopped afterwards."""
    placed = fill(db_url)
    port = _free_port()
    log = tmp_path / "serve.log"
    with log.open("wb") as out:
        process = subprocess.Popen(
            [str(ACSA), "serve", "--db", db_url, "--port", str(port), "--host", "127.0.0.1"],
            stdout=out,
            stderr=subprocess.STDOUT,
        )
    base = f"http://127.0.0.1:{port}"
    try:
        _wait_until_up(base, process, log)
        yield Site(base, placed)
    finally:
        process.terminate()
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait(timeout=10)


def _expected_today(url: str) -> tuple[int, int]:
    """How many agreements the registry has and how many are in force today."""
    engine = make_engine(url)
    try:
        found = list_agreements(UnitOfWork(engine, read_only=True))
    finally:
        engine.dispose()
    return len(found), sum(1 for a in found if agreement_out(a, today()).status == "in_force")


def _order_row(html: str, order_id: int) -> list[str]:
    rows = [row for row in body_rows(html, "orders") if row[0].startswith(f"#{order_id} ")]
    assert len(rows) == 1, rows
    return rows[0]


def test_health_answers_json(site: Site) -> None:
    response = site.get("/healthz")
    assert response.status_code == 200
    assert response.json() == {"status": "ok"}


def test_overview_lists_every_agreement_with_its_status_today(site: Site, db_url: str) -> None:
    response = site.get("/")
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/html")
    html = response.text
    assert '<html lang="en">' in html
    assert "Read-only for now" in html
    assert "first release" in html
    rows = body_rows(html, "registry")
    assert len(rows) == 11
    assert {row[0] for row in rows} >= {"JPN-USA", "JPN-AUS", "JPN-NZL", "JPN-PHL"}
    total, in_force = _expected_today(db_url)
    assert total == 11
    assert f"{total} signed by {today().isoformat()}, {in_force} in force" in html
    by_id = {row[0]: row for row in rows}
    assert by_id["JPN-NZL"][4] == "signed"
    assert by_id["JPN-NZL"][3] == "—"
    assert by_id["JPN-AUS"][4] == "in force"
    assert by_id["JPN-USA"][3] == "1996 approx."  # the sources give only the year
    assert "cash" in by_id["JPN-AUS"][6]


def test_overview_as_of_shows_only_the_agreements_signed_by_then(site: Site) -> None:
    html = site.get("/", as_of="2024-01-29").text
    rows = body_rows(html, "registry")
    assert [row[0] for row in rows] == [
        "JPN-USA",
        "JPN-AUS",
        "JPN-GBR",
        "JPN-CAN",
        "JPN-FRA",
        "JPN-IND",
        "JPN-DEU",
    ]
    assert "7 signed by 2024-01-29, 6 in force" in html
    by_id = {row[0]: row for row in rows}
    assert by_id["JPN-DEU"][4] == "signed"  # signed that day, in force from July
    assert by_id["JPN-IND"][4] == "in force"
    assert 'value="2024-01-29"' in html


def test_overview_shows_orders_with_status_reason_refusal_and_discrepancy(site: Site) -> None:
    placed = site.placed
    html = site.get("/").text
    received = _order_row(html, placed.received)
    assert received[1] == "received"
    assert received[2:4] == ["JPN-AUS", "AUS → JPN"]
    assert received[6] == "2,644,020 JPY"
    assert "discrepancy: 1 line received short" in received[7]
    rejected = _order_row(html, placed.rejected)
    assert rejected[1] == "rejected"
    assert REJECT_REASON in rejected[7]
    nz = _order_row(html, placed.nz_draft)
    assert nz[1] == "draft"
    assert nz[2:4] == ["JPN-NZL", "NZL → JPN"]
    assert "AGREEMENT_NOT_IN_FORCE" in nz[7]
    assert "order_date" in nz[7]
    assert "has not entered into force" in nz[7]
    assert "final provisions (entry into force)" in placed.nz_clause
    assert placed.nz_clause in nz[7]
    assert "the agreement checks pass" in _order_row(html, placed.scripted)[7]


def test_overview_filters_orders_by_status_and_agreement(site: Site) -> None:
    placed = site.placed
    rows = body_rows(site.get("/", status="rejected").text, "orders")
    assert [row[0].split()[0] for row in rows] == [f"#{placed.rejected}"]
    rows = body_rows(site.get("/", agreement="JPN-NZL").text, "orders")
    assert [row[0].split()[0] for row in rows] == [f"#{placed.nz_draft}"]
    rows = body_rows(site.get("/", status="draft", agreement="JPN-AUS").text, "orders")
    assert [row[0].split()[0] for row in rows] == [f"#{placed.scripted}"]
    rows = body_rows(site.get("/", status="settled").text, "orders")
    assert rows == []
    bad = site.get("/", status="lost")
    assert bad.status_code == 400
    assert "status" in bad.text
    assert "INVALID_FIELD" in bad.text


def test_order_page_shows_lines_and_the_attributed_history(site: Site) -> None:
    response = site.get(f"/orders/{site.placed.received}")
    assert response.status_code == 200
    html = response.text
    lines = body_rows(html, "lines")
    assert lines[0][:5] == ["1", "fuel", "JP-8 aviation turbine fuel", "9130-01-031-5816", "L"]
    assert lines[0][5:12] == [
        "12,000",
        "12,000",
        "12,000",
        "11,900",
        "100",
        "152 JPY",
        "1,824,000 JPY",
    ]
    assert lines[2][5] == "2,000.5"
    for actor in ("Lt Sato", "Maj Smith", "Sgt Tanaka", "Capt Brown"):
        assert f'<span class="actor">{actor}</span>' in html
    for when in ("2026-10-01 09:00:00 UTC", "2026-10-01 12:00:00 UTC"):
        assert when in html
    assert "received 11,900, short 100" in html
    assert "100 L lost in transfer &lt;b&gt;pump 2&lt;/b&gt;" in html
    assert "value received" in html


def test_order_page_shows_the_reason_and_the_draft_refusals(site: Site) -> None:
    rejected = site.get(f"/orders/{site.placed.rejected}").text
    assert REJECT_REASON in rejected
    assert "Rejected:" in rejected
    draft = site.get(f"/orders/{site.placed.nz_draft}").text
    refusals = body_rows(draft, "violations")
    assert len(refusals) == 1
    code, field, message, clause = refusals[0]
    assert (code, field, clause) == ("AGREEMENT_NOT_IN_FORCE", "order_date", site.placed.nz_clause)
    assert "JPN-NZL" in message
    assert "Flt Lt Ngata" in draft


def test_agreement_page_shows_every_version_and_the_terms(site: Site) -> None:
    response = site.get("/agreements/JPN-USA")
    assert response.status_code == 200
    html = response.text
    versions = body_rows(html, "versions")
    assert [row[:3] for row in versions] == [
        ["1", "1996 text", "1996-04-15"],
        ["2", "2016 text", "2016-09 approx."],
    ]
    assert "ammunition</span> only for:" in html  # the 1996 text's category condition
    assert "365 days from receipt" in html
    assert "30 days from invoice" in html
    assert "final provisions (entry into force)" in html
    assert body_rows(html, "sources")
    nz = site.get("/agreements/JPN-NZL").text
    assert "not in force" in nz
    assert "Not yet in force" in nz  # the notes


def test_unknown_things_are_404_and_bad_parameters_400(site: Site) -> None:
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
    for value in ("2024-02-30", "yesterday", "2024-1"):
        response = site.get("/", as_of=value)
        assert response.status_code == 400, value
        assert "as_of" in response.text
        assert "INVALID_DATE" in response.text
    assert site.get("/agreements/JPN-USA", as_of="soon").status_code == 400
    assert site.get("/", agreement="JPN-XXX").status_code == 400
    assert site.get("/", page="0").status_code == 400


def test_text_from_orders_is_escaped(site: Site) -> None:
    for path in ("/", f"/orders/{site.placed.scripted}"):
        response = site.get(path)
        assert SCRIPT not in response.text
        assert "&lt;script&gt;alert(&#39;acsa&#39;)&lt;/script&gt;" in response.text
        assert "script-src" not in response.headers["content-security-policy"]
        assert "default-src 'none'" in response.headers["content-security-policy"]


def test_overview_links_keep_the_filters_and_pages() -> None:
    view = views.Overview(
        as_of=date(2024, 1, 29),
        as_of_given=True,
        agreements=[],
        in_force=0,
        agreement_ids=["JPN-AUS"],
        statuses=["draft"],
        filters=views.OrderFilters(status="draft", agreement="JPN-AUS", page=2),
    )
    assert view.link() == "/?as_of=2024-01-29&status=draft&agreement=JPN-AUS&page=2"
    assert view.link(page=1) == "/?as_of=2024-01-29&status=draft&agreement=JPN-AUS"
    assert view.link(as_of=None, status=None, agreement=None, page=None) == "/"
    assert views.parse_filters(" Rejected ", "jpn-aus", "3", ["JPN-AUS"]) == views.OrderFilters(
        status="rejected",
        agreement="JPN-AUS",
        page=3,
    )
