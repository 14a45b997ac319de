"""Every export renders any stored record: rows planted with raw SQL (as old rows, or rows
written behind acsa's back, may be) hold 4,000-character locations, 3,000-character
descriptions, NUL bytes (SQLite only: PostgreSQL refuses them) and other control characters,
words thousands of characters long without a space, right-to-left and CJK text, formulas, and
an order of 200 lines. The order form (PDF), the statement (XLSX and CSV), the annual report
(XLSX, PDF and CSV) and the statement of reconciliation (XLSX and PDF) are each written within
a time guard, then read back with pypdf, openpyxl and the csv module: long text is cut with a
visible mark, control characters are shown as U+FFFD, nothing is a formula, no number is
broken. On SQLite and PostgreSQL; the order form also through a real server.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from concurrent.futures import TimeoutError as FutureTimeout
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any, TypeVar

import httpx
import pytest
from openpyxl import load_workbook
from pypdf import PdfReader
from sqlalchemy import Engine, text

from acsa.adapters.db.engine import make_engine
from acsa.adapters.db.unit_of_work import UnitOfWork
from acsa.adapters.exports.csv_export import write_csv
from acsa.adapters.exports.order_form import write_order_form
from acsa.adapters.exports.pdf import write_pdf
from acsa.adapters.exports.reconciliation import write_pdf as write_statement_pdf
from acsa.adapters.exports.reconciliation import write_xlsx as write_statement_xlsx
from acsa.adapters.exports.text import REPLACEMENT, clean, cut
from acsa.adapters.exports.xlsx import write_xlsx
from acsa.domain.reconcile import Difference, Report
from acsa.services import ledger as books
from acsa.services.annual_report import annual_report
from acsa.services.order_forms import order_form
from acsa.web.routes.ledger import statement_table
from acsa.web.tables import csv_bytes, xlsx_bytes
from tests.api.server import Server, add_people
from tests.integration.test_annual_report import JPN_FY2026, build_year

#: A guard against a hang (reportlab looping on a row taller than a page), not a timing test:
#: each export takes well under a second or two on an idle machine.
GUARD_S = 90
CUT = "[cut:"
T = TypeVar("T")

CJK = "補給支援の物品役務相互提供協定に基づく燃料"
RTL = "\u05d0\u05e1\u05e4\u05e7\u05d4 \u0627\u0644\u0648\u0642\u0648\u062f"  # Hebrew, Arabic
LONG_WORD = "W" * 4000
WORDS = ("Camp Lemonnier fuel farm, pier 3, " * 120)[:4000]


def controls(backend: str) -> str:
    """Every kind of control character a text column can hold on ``backend`` (NUL: SQLite)."""
    text_ = "bell\x07 escape\x1b[31m del\x7f c1\x85\x9f vt\x0b ff\x0c us\x1f"
    return ("nul\x00 " + text_) if backend == "sqlite" else text_


def guarded(work: Callable[[], T]) -> T:
    """``work()`` on a thread, failing the test if it has not finished within GUARD_S."""
    pool = ThreadPoolExecutor(max_workers=1)
    try:
        return pool.submit(work).result(timeout=GUARD_S)
    except FutureTimeout:
        pytest.fail(f"the export did not finish within {GUARD_S} s")
    finally:
        pool.shutdown(wait=False)


def plant(engine: Engine, backend: str, ids: dict[str, int]) -> dict[str, int]:
    """Write what acsa would refuse today straight into the rows of the year's orders."""
    junk = controls(backend)
    a, b, s = ids["A"], ids["B"], ids["S"]
    with engine.begin() as conn:
        conn.execute(
            text(
                "UPDATE orders SET location = :location, remarks = :remarks, "
                "operation = :operation, partner_reference = :reference WHERE id = :id"
            ),
            {
                "location": WORDS,
                "remarks": f"{CJK} {RTL} {junk} " + LONG_WORD,
                "operation": '=HYPERLINK("http://x") ' + junk,
                "reference": "R" * 3000,
                "id": a,
            },
        )
        conn.execute(
            text("UPDATE orders SET location = :location WHERE id = :id"),
            {"location": LONG_WORD, "id": b},
        )
        conn.execute(
            text("UPDATE order_lines SET description = :d WHERE order_id = :id AND number = 1"),
            {
                "d": (f"{CJK} {RTL} {junk} " + "fuel, JP-5, delivered by truck " * 100)[:3000],
                "id": a,
            },
        )
        conn.execute(
            text("UPDATE order_lines SET description = :d WHERE order_id = :id"),
            {"d": "D" * 3000, "id": b},
        )
        conn.execute(
            text("UPDATE payments SET reference = :r"),
            {"r": f"EFT {junk} " + "9" * 3000},
        )
        conn.execute(
            text("UPDATE settlements SET note = :n, agreed_by = :g"),
            {"n": f"{junk} {RTL} " + "N" * 3000, "g": f"{CJK} " * 150},
        )
        conn.execute(
            text("UPDATE ledger_entries SET memo = :m"),
            {"m": f"=1+1 {junk} {CJK} {RTL} " + "M" * 4000},
        )
        conn.execute(
            text("UPDATE order_events SET actor = :a WHERE order_id = :id"),
            {"a": f"{junk} " + "A" * 150, "id": a},
        )
        # Order S: 200 lines, each a copy of its line 1 with a long description.
        columns = (
            "category, nsn, unit, quantity, unit_price_minor, currency, quantity_accepted, "
            "quantity_delivered, quantity_received, quantity_short"
        )
        for number in range(2, 201):
            conn.execute(
                text(
                    f"INSERT INTO order_lines (order_id, number, description, {columns}) "
                    f"SELECT order_id, :n, :d, {columns} FROM order_lines "
                    "WHERE order_id = :id AND number = 1"
                ),
                {"n": number, "d": f"line {number} {junk} " + "x" * 500, "id": s},
            )
    return {"A": a, "B": b, "S": s}


@pytest.fixture
def planted(uow: UnitOfWork, engine: Engine, backend: str) -> dict[str, int]:
    ids = build_year(uow)
    return plant(engine, backend, ids)


def pdf_text(path: Path) -> str:
    reader = PdfReader(str(path))
    assert len(reader.pages) >= 1
    return "\n".join(page.extract_text() or "" for page in reader.pages)


# --- the text rules --------------------------------------------------------------------------


def test_clean_replaces_control_characters_and_cuts_visibly():
    assert (
        clean("a\x00b\x1bc\x7fd\x85e")
        == f"a{REPLACEMENT}b{REPLACEMENT}c{REPLACEMENT}d{REPLACEMENT}e"
    )
    assert clean("line\nbreak\ttab") == "line\nbreak\ttab"
    assert clean("line\nbreak\ttab", multiline=False) == "line break tab"
    shown = clean("x" * 50_000_000, 200)
    assert len(shown) == 200
    assert shown.endswith("\u2026 [cut: 50,000,000 characters in all]")
    assert cut("short", 200) == "short"
    assert clean(None) == ""


# --- the order form ----------------------------------------------------------------------------


@pytest.mark.parametrize("which", ["A", "B", "S"])
def test_the_order_form_renders_any_stored_order(uow, planted, tmp_path, which):
    form = order_form(UnitOfWork(uow.engine, read_only=True), planted[which])
    path = guarded(lambda: write_order_form(form, tmp_path / f"order-{which}.pdf"))
    shown = pdf_text(path)
    assert "1. Order" in shown
    assert "10. Record of events" in shown
    if which == "S":
        # 200 lines, every one in the table (199 planted, each cut to what its cell holds).
        assert "200" in shown
        assert shown.count(CUT) >= 199
        assert "line 200" in shown
    else:
        assert CUT in shown
        assert "11. Texts in full" in shown
    if which == "A":
        assert "Camp Lemonnier fuel farm" in shown
        assert "characters in all]" in shown


def test_the_order_form_gives_cut_texts_in_full_up_to_a_bound(uow, planted, tmp_path):
    form = order_form(UnitOfWork(uow.engine, read_only=True), planted["B"])
    path = guarded(lambda: write_order_form(form, tmp_path / "order-b.pdf"))
    shown = pdf_text(path).replace("\n", "")
    # The 4,000-character word of the location: cut in its cell, whole at the end.
    assert "Delivery place" in shown
    assert shown.count("W") >= 4000
    assert "D" * 2000 in shown


# --- the statement (XLSX and CSV) ---------------------------------------------------------------


def test_the_statement_renders_any_stored_entry(uow, planted, backend):
    reader = UnitOfWork(uow.engine, read_only=True)
    statements = books.statement(reader, "JPN", "AUS", date(2025, 1, 1), date(2027, 12, 31))
    assert statements
    tables = [statement_table(s) for s in statements]
    content = guarded(lambda: xlsx_bytes(tables, "en", "statement"))
    workbook = load_workbook(io.BytesIO(content))
    memos = [
        cell.value
        for sheet in workbook.worksheets
        for row in sheet.iter_rows()
        for cell in row
        if isinstance(cell.value, str) and "MMMM" in cell.value
    ]
    assert memos
    for memo in memos:
        assert memo.startswith("=1+1 "), "a memo is text, never a formula"
        assert REPLACEMENT in memo
        assert "\x00" not in memo
        assert "\x1b" not in memo
    sheet = workbook.worksheets[0]
    formulas = [c for row in sheet.iter_rows() for c in row if c.data_type == "f"]
    assert formulas == []

    data = guarded(lambda: csv_bytes(tables, "en")).decode("utf-8-sig")
    rows = list(csv.reader(io.StringIO(data)))
    assert rows[0][:2] == ["Day", "Entry"]
    body = [r for r in rows[1:] if r]
    assert len(body) == sum(len(t.rows) for t in tables)
    memo_cells = [r[5] for r in body if "MMMM" in r[5]]
    assert memo_cells
    assert all(REPLACEMENT in m and "\x00" not in m for m in memo_cells)


# --- the annual report -------------------------------------------------------------------------


def test_the_annual_report_renders_any_stored_order(uow, planted, engine, tmp_path):
    with engine.begin() as conn:
        conn.execute(
            text("UPDATE order_lines SET category = :c WHERE order_id = :id"),
            {"c": "fuel\x01\x1b", "id": planted["A"]},
        )
    reader = UnitOfWork(uow.engine, read_only=True)
    report = annual_report(reader, "JPN", *JPN_FY2026, now=datetime(2027, 4, 15, tzinfo=UTC))
    xlsx = guarded(lambda: write_xlsx(report, tmp_path / "annual.xlsx"))
    workbook = load_workbook(xlsx)
    keys = [str(c.value) for c in workbook["by category"]["A"] if isinstance(c.value, str)]
    assert any(REPLACEMENT in k for k in keys)
    pdf = guarded(lambda: write_pdf(report, tmp_path / "annual.pdf"))
    assert "By category" in pdf_text(pdf)
    path = guarded(lambda: write_csv(report, tmp_path / "annual.csv"))
    with path.open(encoding="utf-8", newline="") as handle:
        rows = list(csv.reader(handle))
    assert rows[0] == ["view", "key", "currency", "count", "value"]
    assert any(r[0] == "by_category" and REPLACEMENT in r[1] for r in rows)
    assert all("\x01" not in cell for r in rows for cell in r)


# --- the statement of reconciliation -------------------------------------------------------------


def test_the_statement_of_reconciliation_renders_a_partners_junk(tmp_path):
    """The partner's book is outside data: whatever it holds is shown, cut and cleaned."""
    differences = [
        Difference(
            order=f"order {n}\x00\x1b",
            kind="field_differs",
            field="location",
            ours=WORDS,
            theirs=f"{CJK} {RTL} \x07\x0b " + LONG_WORD,
            message="=cmd|' /C calc'!A0 " + "m" * 5000,
        )
        for n in range(60)
    ]
    report = Report(matched=3, differences=differences, nation="JPN", partner="AUS")
    now = datetime(2026, 11, 1, tzinfo=UTC)
    xlsx = guarded(lambda: write_statement_xlsx(report, tmp_path / "r.xlsx", now))
    sheet = load_workbook(xlsx)["differences"]
    assert sheet.max_row == 61
    assert all(c.data_type != "f" for row in sheet.iter_rows() for c in row)
    assert REPLACEMENT in str(sheet["B2"].value)
    pdf = guarded(lambda: write_statement_pdf(report, tmp_path / "r.pdf", now))
    shown = pdf_text(pdf)
    assert "Differences" in shown
    assert CUT in shown


# --- numbers ------------------------------------------------------------------------------------


def test_a_number_wider_than_its_column_stays_whole(tmp_path):
    """A stored amount larger than any acsa takes today is set smaller, never broken."""
    from reportlab.lib.pagesizes import A4
    from reportlab.platypus import SimpleDocTemplate

    from acsa.adapters.exports.pdf import data_table, para

    big = "9,223,372,036,854,775,807.000 JPY"
    doc = SimpleDocTemplate(str(tmp_path / "n.pdf"), pagesize=A4)
    story: list[Any] = [
        para("numbers"),
        data_table(["what", "amount"], [["big", big]], numeric=[1], widths=[40, 30]),
    ]
    guarded(lambda: doc.build(story))
    lines = pdf_text(tmp_path / "n.pdf").splitlines()
    assert any("9,223,372,036,854,775,807.000" in line for line in lines), lines


# --- through a real server ------------------------------------------------------------------------


def test_the_order_form_of_any_stored_order_through_a_real_server(db_url, planted, tmp_path):
    people = add_people(db_url, nations=("JPN",), passwords=False)
    headers = people["JPN-viewer"].headers
    with (
        Server(db_url, log=tmp_path / "serve.log") as server,
        httpx.Client(base_url=server.base + "/api/v1", timeout=GUARD_S) as client,
    ):
        for which in ("A", "B"):
            answer = client.get(f"/orders/{planted[which]}/form", headers=headers)
            assert answer.status_code == 200, answer.text[:500]
            assert answer.headers["content-type"].startswith("application/pdf")
            path = tmp_path / f"served-{which}.pdf"
            path.write_bytes(answer.content)
            shown = pdf_text(path)
            assert CUT in shown
            assert "11. Texts in full" in shown


def test_a_50_mb_location_is_cut_in_bounded_time(sqlite_url, tmp_path):
    """The issue's case: a 50 MB location once burned minutes of CPU in the order form."""
    engine = make_engine(sqlite_url)
    try:
        ids = build_year(UnitOfWork(engine))
        with engine.begin() as conn:
            conn.execute(
                text("UPDATE orders SET location = :l, remarks = :r WHERE id = :id"),
                {"l": "x" * 50_000_000, "r": "word " * 2_000_000, "id": ids["A"]},
            )
        form = order_form(UnitOfWork(engine, read_only=True), ids["A"])
    finally:
        engine.dispose()
    path = guarded(lambda: write_order_form(form, tmp_path / "big.pdf"))
    shown = pdf_text(path).replace("\n", "")
    assert "[cut: 50,000,000 characters in all]" in shown
    assert "[cut: 10,000,000 characters in all]" in shown
    assert path.stat().st_size < 2_000_000
