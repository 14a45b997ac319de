"""The exports a finance officer reads, in their language: the order form, the annual report
(PDF and XLSX) and the statement of reconciliation in Japanese carry their Japanese words and
embed the Japanese font (IPAexGothic); no amount is broken across two lines, even at
110,776,400 JPY or a twelve-digit sum; and the people on the order form are named by their
profile (full name, rank or grade, position, unit), set through the CLI, the API or the page.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from datetime import UTC, datetime
from io import BytesIO
from pathlib import Path
from typing import Any

import httpx
import pytest
from openpyxl import load_workbook
from pypdf import PdfReader

from acsa.adapters.db.engine import make_engine
from acsa.adapters.db.unit_of_work import UnitOfWork
from acsa.adapters.exports.reconciliation import write_pdf as write_statement
from acsa.adapters.exports.reconciliation import write_xlsx as write_statement_xlsx
from acsa.commands import (
    AcceptOrder,
    DeliverOrder,
    PlaceOrder,
    ReceiveOrder,
    SubmitOrder,
)
from acsa.domain.limits import RANK_CHARS_MAX
from acsa.domain.reconcile import Difference, Report
from acsa.services import users
from acsa.services.handlers import handle
from tests.e2e.cli import run
from tests.e2e.test_web_pages import (
    BACKEND_PARAMS,
    Site,
    csrf_of,
    fresh_database,
    running_site,
)
from tests.orders_data import order_doc

#: The value of the first order and of the second, as every export prints them.
BIG = "110,776,400"
TWELVE = "123,456,789,012"
#: JPY: both orders in one currency, so the summary adds them up (another twelve digits).
BOTH = "123,567,565,412"


def _line(category: str, what: str, quantity: str, unit: str, price: str) -> dict[str, str]:
    return {
        "category": category,
        "description": what,
        "quantity": quantity,
        "unit": unit,
        "unit_price": price,
        "currency": "JPY",
    }


def _at(day: int, hour: int) -> datetime:
    return datetime(2026, 10, day, hour, tzinfo=UTC)


def _big_orders(url: str) -> tuple[int, int]:
    """Two orders Japan supplies Australia in fiscal year 2026: 200,000 L of fuel and rations
    worth 110,776,400 JPY, received; and one line worth 123,456,789,012 JPY, submitted."""
    engine = make_engine(url)
    try:
        uow = UnitOfWork(engine)
        doc = order_doc(
            lines=[
                _line("fuel", "JP-8 aviation turbine fuel", "200000", "L", "500"),
                _line("food", "Combat rations, 24h", "1", "EA", "10776400"),
            ]
        )
        first, _ = handle(uow, PlaceOrder.from_wire(doc), "AUS-requester", _at(1, 1))
        assert first.id is not None
        handle(uow, SubmitOrder(order_id=first.id), "AUS-requester", _at(1, 2))
        handle(uow, AcceptOrder(order_id=first.id), "JPN-approver", _at(1, 3))
        handle(uow, DeliverOrder(order_id=first.id), "JPN-logistics", _at(1, 4))
        handle(uow, ReceiveOrder(order_id=first.id), "AUS-logistics", _at(1, 5))
        doc = order_doc(
            order_date="2026-10-02",
            lines=[_line("transportation", "Strategic airlift", "1", "flight", "123456789012")],
        )
        second, _ = handle(uow, PlaceOrder.from_wire(doc), "AUS-requester", _at(2, 1))
        assert second.id is not None
        handle(uow, SubmitOrder(order_id=second.id), "AUS-requester", _at(2, 2))
    finally:
        engine.dispose()
    return int(first.id), int(second.id)


def pdf_lines(content: bytes | Path) -> list[str]:
    """The PDF's text, line by line, as a reader (pypdf) extracts it."""
    reader = _reader(content)
    return [line for page in reader.pages for line in page.extract_text().splitlines()]


def _reader(content: bytes | Path) -> PdfReader:
    return PdfReader(content if isinstance(content, Path) else BytesIO(content))


def _fonts(reader: PdfReader) -> Iterator[Any]:
    """Each font a page of the PDF uses, as its dictionary."""
    for page in reader.pages:
        resources: Any = page["/Resources"].get_object()
        fonts: Any = resources.get("/Font", {})
        for ref in fonts.values():
            yield ref.get_object()


def font_names(content: bytes | Path) -> set[str]:
    """The base names of the fonts the PDF's pages use (an embedded subset is ``ABCDEF+Name``)."""
    return {str(font["/BaseFont"]).lstrip("/") for font in _fonts(_reader(content))}


def embedded_japanese(content: bytes | Path) -> bool:
    """True when a font of the PDF is IPAexGothic embedded as a subset (its file inside)."""
    for font in _fonts(_reader(content)):
        if "IPAexGothic" not in str(font["/BaseFont"]):
            continue
        descendants = font.get("/DescendantFonts")
        for each in [d.get_object() for d in descendants] if descendants else [font]:
            descriptor = each.get("/FontDescriptor")
            if descriptor is not None and "/FontFile2" in descriptor.get_object():
                return True
    return False


#: A piece of a grouped number: a group of fewer than three digits after a comma
#: ("110,776,40"), or a comma ending or starting a line ("123,456," / ",789").
PIECE = re.compile(r"(?<![\d,])\d{1,3}(?:,\d{3})*,\d{1,2}(?![\d,])|\d,\s*$|^\s*,\d")


def whole(lines: list[str], amounts: tuple[str, ...]) -> None:
    """Each amount appears whole on one line, and no line holds a piece of a number."""
    text = "\n".join(lines)
    for amount in amounts:
        assert any(amount in line for line in lines), (amount, text[:3000])
    pieces = [line for line in lines if PIECE.search(line)]
    assert not pieces, pieces


@pytest.fixture(scope="module", params=BACKEND_PARAMS)
def site(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[tuple[Site, int, int]]:
    """``acsa serve`` over a database (SQLite, PostgreSQL) holding the two big orders."""
    tmp = tmp_path_factory.mktemp("exports-language")
    url = fresh_database(request, tmp)
    with running_site(url, tmp / "serve.log") as s:
        first, second = _big_orders(url)
        yield s, first, second


def _token(site: Site, name: str) -> str:
    engine = make_engine(site.db_url)
    try:
        return users.issue_token(UnitOfWork(engine), name, actor="test").token
    finally:
        engine.dispose()


def _api(site: Site, name: str, lang: str = "en") -> httpx.Client:
    headers = {"Authorization": f"Bearer {_token(site, name)}", "Accept-Language": lang}
    return httpx.Client(base_url=site.base + "/api/v1", headers=headers, timeout=60)


# --- the order form ---------------------------------------------------------------------------


def test_the_order_form_in_japanese_embeds_the_font_and_keeps_every_amount_whole(site):
    s, first, _ = site
    response = s.get(f"/orders/{first}/form.pdf", name="AUS-viewer")
    assert response.status_code == 200
    assert response.content.startswith(b"%PDF")
    english = pdf_lines(response.content)
    assert "発注番号" not in "\n".join(english)
    with _api(s, "AUS-viewer", "ja") as api:
        ja = api.get(f"/orders/{first}/form", params={"format": "pdf"})
    assert ja.status_code == 200
    lines = pdf_lines(ja.content)
    text = "\n".join(lines)
    for word in ("ACSA 発注・受領・請求書", "発注番号", "4. 署名", "要請国", "提供国", "単価"):
        assert word in text, word
    # the rate and its source are said in Japanese too (no AUD rate is known here)
    assert "為替相場不明：" in text
    assert "no rate known" not in text
    assert "なし（AUSは" in text
    assert "IPAexGothic" in "".join(font_names(ja.content))
    assert embedded_japanese(ja.content)
    whole(lines, (f"{BIG} JPY", "100,000,000", "10,776,400", "200,000"))


def test_the_annual_report_pdf_sizes_its_columns_so_no_number_wraps(site, tmp_path):
    s, _, _ = site
    for lang in ("en", "ja"):
        out = tmp_path / f"annual-{lang}.pdf"
        result = run(
            "--lang", lang, "report", "annual", "--nation", "JPN", "--fy", "2026",
            "--format", "pdf", "--out", str(out), "--db", s.db_url,
        )  # fmt: skip
        assert result.code == 0, result.stderr
        lines = pdf_lines(out)
        whole(lines, (BIG, TWELVE, BOTH))
        if lang == "ja":
            text = "\n".join(lines)
            assert "物品役務相互提供 年次報告書" in text
            assert "相手国別" in text
            assert embedded_japanese(out)


def test_a_japanese_visitor_downloads_the_report_and_the_form_in_japanese(site):
    s, first, _ = site
    client = s.as_("JPN-logistics")
    page = client.get("/account")
    chosen = client.post("/language", data={"language": "ja", "csrf": csrf_of(page.text)})
    assert chosen.status_code == 303
    account = client.get("/account").text
    assert "署名欄に印字される氏名等" in account
    assert "所属部隊" in account
    report = client.get("/reports/annual.pdf", params={"fy": "2026"})
    assert report.status_code == 200
    lines = pdf_lines(report.content)
    assert "物品役務相互提供 年次報告書" in "\n".join(lines)
    assert embedded_japanese(report.content)
    whole(lines, (BIG, TWELVE, BOTH))
    form = client.get(f"/orders/{first}/form.pdf")
    assert "ACSA 発注・受領・請求書" in "\n".join(pdf_lines(form.content))
    book = load_workbook(BytesIO(client.get("/reports/annual.xlsx", params={"fy": "2026"}).content))
    assert "概要" in book.sheetnames


def test_the_annual_report_workbook_has_japanese_headings(site, tmp_path):
    s, _, _ = site
    out = tmp_path / "annual.xlsx"
    result = run(
        "--lang", "ja", "report", "annual", "--nation", "JPN", "--fy", "2026",
        "--format", "xlsx", "--out", str(out), "--db", s.db_url,
    )  # fmt: skip
    assert result.code == 0, result.stderr
    book = load_workbook(out)
    assert book.sheetnames[:3] == ["概要", "相手国別", "区分別"]
    summary = book["概要"]
    headings = [cell.value for cell in summary[1]]
    assert headings[:3] == ["範囲", "通貨", "発注数"]
    assert "金額" in headings
    partners = [cell.value for cell in book["相手国別"][1]]
    assert partners[:2] == ["相手国", "名称"]


def test_the_reconciliation_statement_in_japanese(tmp_path):
    report = Report(
        matched=3,
        differences=[
            Difference("0c1d-uid", "amount", "value_received", BIG, TWELVE, "values differ"),
        ],
        nation="JPN",
        partner="AUS",
    )
    out = write_statement(report, tmp_path / "statement.pdf", datetime.now(UTC), "ja")
    lines = pdf_lines(out)
    text = "\n".join(lines)
    for word in ("帳簿照合書：JPN / AUS", "当方の帳簿", "一致した発注", "相違", "所見"):
        assert word in text, word
    assert embedded_japanese(out)
    whole(lines, (BIG, TWELVE))


def test_the_reconciliation_workbook_in_japanese(tmp_path):
    report = Report(
        matched=1,
        differences=[Difference(None, "chain", "document 2", None, None, "broken")],
        nation="JPN",
        partner="USA",
    )
    out = write_statement_xlsx(report, tmp_path / "statement.xlsx", datetime.now(UTC), "ja")
    book = load_workbook(out)
    assert book.sheetnames == ["概要", "相違"]
    assert [c.value for c in book["相違"][1]] == ["種別", "発注", "項目", "当方", "相手方", "所見"]
    assert [c.value for c in book["相違"][2]][:2] == ["文書の連鎖", "（ファイル）"]
    assert book["概要"]["A1"].value == "帳簿照合書：JPN / USA"


# --- the people on the form -------------------------------------------------------------------


def test_a_profile_set_through_the_api_is_printed_beside_the_signature(site):
    s, first, _ = site
    with _api(s, "AUS-requester") as api:
        mine = api.patch(
            "/profile",
            json={
                "full_name": "Anne Brown",
                "rank": "Major",
                "position": "Logistics officer",
                "unit": "1st Combat Service Support Battalion",
            },
        )
        assert mine.status_code == 200, mine.text
        assert mine.json()["rank"] == "Major"
        assert api.get("/profile").json()["full_name"] == "Anne Brown"
        long = api.patch("/profile", json={"rank": "M" * (RANK_CHARS_MAX + 1)})
        assert long.status_code == 422, long.text
        [violation] = long.json()["errors"]
        assert (violation["code"], violation["field"]) == ("INVALID_FIELD", "rank")
        broken = api.patch("/profile", json={"unit": "1st\nBattalion"})
        assert broken.status_code == 422
        assert broken.json()["errors"][0]["field"] == "unit"
    form = s.get(f"/orders/{first}/form.pdf", name="AUS-viewer")
    text = "\n".join(pdf_lines(form.content))
    for expected in (
        "Name: Anne Brown",
        "Rank or grade: Major",
        "Position: Logistics officer",
        "Unit / formation: 1st Combat",
        "Certifying official",
        "signature",
    ):
        assert expected in text, expected
    # The login name stays the record of who signed in acsa.
    assert "AUS-requester" in text


def test_a_profile_set_on_the_account_page_and_by_the_cli(site):
    s, first, _ = site
    client = s.as_("JPN-approver")
    page = client.get("/account")
    assert page.status_code == 200
    assert 'href="/account"' in page.text
    saved = client.post(
        "/account",
        data={
            "full_name": "佐藤 一郎",
            "rank": "1等海佐",
            "position": "補給長",
            "unit": "横須賀地方総監部",
            "csrf": csrf_of(page.text),
        },
        follow_redirects=True,
    )
    assert saved.status_code == 200
    assert 'data-saved="1"' in saved.text
    assert "1等海佐" in saved.text
    refused = client.post(
        "/account",
        data={"rank": "佐" * (RANK_CHARS_MAX + 1), "csrf": csrf_of(page.text)},
    )
    assert refused.status_code == 400
    assert "INVALID_FIELD" in refused.text
    done = run(
        "users", "profile", "JPN-logistics", "--name", "Ito Hiroshi", "--rank", "CWO",
        "--position", "Base supply", "--unit", "JASDF Iruma", "--db", s.db_url, "--json",
    )  # fmt: skip
    assert done.code == 0, done.stderr
    assert done.json["unit"] == "JASDF Iruma"
    too_long = run(
        "users", "profile", "JPN-logistics", "--unit", "x" * 201, "--db", s.db_url, "--json"
    )
    assert too_long.code == 2
    assert too_long.json["errors"][0]["code"] == "INVALID_FIELD"
    assert too_long.json["errors"][0]["field"] == "unit"
    # through a server: one's own profile (PATCH /api/v1/profile), another's only as an admin
    remote = {"ACSA_DATABASE_URL": "sqlite:////nonexistent-dir/acsa.db", "ACSA_SERVER": s.base}
    token = _token(s, "AUS-logistics")
    own = run(
        "users", "profile", "--position", "Stores officer", "--json",
        env={**remote, "ACSA_TOKEN": token},
    )  # fmt: skip
    assert own.code == 0, own.stderr
    assert (own.json["name"], own.json["position"]) == ("AUS-logistics", "Stores officer")
    other = run(
        "users", "profile", "AUS-requester", "--rank", "General", "--json",
        env={**remote, "ACSA_TOKEN": token},
    )  # fmt: skip
    assert other.code != 0
    assert other.json["errors"][0]["code"] == "FORBIDDEN"
    by_admin = run(
        "users", "profile", "AUS-viewer", "--rank", "Captain", "--json",
        env={**remote, "ACSA_TOKEN": _token(s, "AUS-all")},
    )  # fmt: skip
    assert by_admin.code == 0, by_admin.stderr
    assert (by_admin.json["name"], by_admin.json["rank"]) == ("AUS-viewer", "Captain")
    not_theirs = run(
        "users", "profile", "JPN-viewer", "--rank", "Captain", "--json",
        env={**remote, "ACSA_TOKEN": _token(s, "AUS-all")},
    )  # fmt: skip
    assert not_theirs.json["errors"][0]["code"] == "USER_NOT_FOUND"
    with _api(s, "AUS-viewer", "ja") as api:
        form = api.get(f"/orders/{first}/form", params={"format": "pdf"})
    text = "\n".join(pdf_lines(form.content))
    assert "Stores officer" in text
    for expected in (
        "佐藤 一郎",
        "1等海佐",
        "補給長",
        "横須賀地方総監部",
        "Ito Hiroshi",
        "JASDF Iruma",
    ):
        assert expected in text, expected
    assert "階級又は級" in text
