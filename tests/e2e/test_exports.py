"""Exports end to end: the real ``acsa`` command writes the annual report (XLSX, PDF, CSV, PNG
charts) and the order form (PDF) from a year of orders built through the real services; the
files are read back with openpyxl, pypdf and Pillow. The workbook and the order form run on
SQLite and PostgreSQL (the figures themselves are checked on both in the integration tests);
the other formats, which read the same report, on SQLite only to keep the suite quick."""

from __future__ import annotations

import csv
from decimal import Decimal
from pathlib import Path

import pytest
from openpyxl import load_workbook
from PIL import Image
from pypdf import PdfReader
from typer.testing import CliRunner

from acsa.adapters.db.engine import make_engine
from acsa.adapters.db.unit_of_work import UnitOfWork
from acsa.cli import app
from tests.e2e.cli import run
from tests.integration.test_annual_report import (
    AUS_OFFICER,
    JPN_STORES,
    JPN_SUPPLY,
    build_year,
)

PNG_MAGIC = b"\x89PNG\r\n\x1a\n"
SHEETS = [
    "summary",
    "by partner",
    "by category",
    "by activity",
    "settled-open",
    "provided-received",
    "monthly",
    "balances",
    "charts",
]


@pytest.fixture
def year(uow) -> dict[str, int]:
    """The year of orders in ``db_url`` (SQLite and PostgreSQL)."""
    return build_year(uow)


@pytest.fixture
def sqlite_year(sqlite_url) -> tuple[str, dict[str, int]]:
    """The year of orders in a SQLite file: (its URL, the order ids)."""
    engine = make_engine(sqlite_url)
    try:
        return sqlite_url, build_year(UnitOfWork(engine))
    finally:
        engine.dispose()


def annual(db_url: str, *args: str):
    result = run("report", "annual", "--nation", "JPN", "--fy", "2026", "--db", db_url, *args)
    assert result.code == 0, result.stderr
    return result


def pdf_text(path: Path) -> str:
    return "\n".join(page.extract_text() for page in PdfReader(path).pages)


# --- XLSX -------------------------------------------------------------------------------------


def test_xlsx_workbook_sheets_styles_formats_and_figures(db_url, year, tmp_path):
    out = tmp_path / "report.xlsx"
    result = annual(db_url, "--format", "xlsx", "--out", str(out), "--json")
    assert result.json["charts"] == []  # carried by the workbook, no PNG file asked for
    assert not list(tmp_path.glob("*.png"))
    assert result.json["file"] == str(out)
    workbook = load_workbook(out)
    assert workbook.sheetnames == SHEETS
    for name in SHEETS[:-1]:
        sheet = workbook[name]
        header = sheet["A1"]
        assert header.font.b, name
        assert header.fill.fgColor.rgb.endswith("1F4E78"), name
        assert sheet.freeze_panes in ("B2", "C2"), name
        assert sheet.column_dimensions["A"].width >= 9
    assert len(workbook["charts"]._images) == 6  # monthly and balance x 3
    partner = workbook["by partner"]
    headings = [c.value for c in partner[1]]
    assert headings[:5] == ["partner", "name", "currency", "orders", "value"]
    rows = {(r[0].value, r[2].value): r for r in partner.iter_rows(min_row=2)}
    jpy, usd, aud = rows[("AUS", "JPY")], rows[("USA", "USD")], rows[("AUS", "AUD")]
    assert (jpy[3].value, Decimal(str(jpy[4].value))) == (2, Decimal(4984040))
    assert (usd[3].value, Decimal(str(usd[4].value))) == (2, Decimal("3795"))
    assert Decimal(str(aud[4].value)) == Decimal("6002.5")
    assert jpy[4].number_format == "#,##0"
    assert usd[4].number_format == "#,##0.00"
    assert aud[4].number_format == "#,##0.00"
    assert jpy[3].number_format == "#,##0"  # a count
    assert jpy[1].value == "AUS Australia"
    monthly = workbook["monthly"]
    assert [c.value for c in monthly[1]][:3] == ["partner", "currency", "2026-04"]
    month_rows = {(r[0].value, r[1].value): r for r in monthly.iter_rows(min_row=2)}
    may = month_rows[("AUS", "JPY")][3]
    assert (may.value, may.number_format) == (2644020, "#,##0")
    assert Decimal(str(month_rows[("USA", "USD")][-1].value)) == Decimal("3795")
    balances = workbook["balances"]
    assert balances["C1"].value == "2026-04-30"
    balance_rows = {(r[0].value, r[1].value): r for r in balances.iter_rows(min_row=2)}
    assert Decimal(str(balance_rows[("USA", "USD")][-1].value)) == Decimal("-2450")
    summary = workbook["summary"]
    facts = {r[0]: r[1] for r in summary.iter_rows(values_only=True) if r[0]}
    assert facts["fiscal year"] == "FY2026"
    assert facts["orders in the report"] == 5
    assert facts["left out: draft"] == 1


# --- PDF, CSV, PNG ----------------------------------------------------------------------------


def test_pdf_report_has_the_title_tables_and_figures(sqlite_year, tmp_path):
    db_url, _year = sqlite_year
    out = tmp_path / "report.pdf"
    charts_dir = tmp_path / "charts"
    result = annual(db_url, "--format", "pdf", "--out", str(out), "--charts", str(charts_dir))
    assert result.stdout.splitlines()[0] == str(out)
    text = pdf_text(out)
    for expected in (
        "Annual report of support: JPN Japan, FY2026",
        "2026-04-01 to 2027-03-31",
        "By partner",
        "By category (line values)",
        "Settled and open",
        "Value of orders by month and partner",
        "AUS Australia",
        "4,984,040",
        "2,340,020",
        "3,795.00",
        "6,002.50",
        "-2,450.00",
        "Fuel, oils and lubricants",
    ):
        assert expected in text, expected
    assert len(PdfReader(out).pages) >= 3  # the tables, then the charts
    assert sorted(p.name for p in charts_dir.iterdir()) == sorted(
        f"annual-JPN-FY2026-{kind}-{currency}.png"
        for currency in ("AUD", "JPY", "USD")
        for kind in ("balance", "monthly")
    )


def test_csv_is_one_long_table_and_the_charts_real_png_images(sqlite_year, tmp_path):
    db_url, _year = sqlite_year
    out, charts = tmp_path / "report.csv", tmp_path / "png"
    result = annual(db_url, "--format", "csv", "--out", str(out), "--charts", str(charts), "--json")
    assert result.json["file"] == str(out)
    assert len(result.json["charts"]) == 6
    for name in result.json["charts"]:
        path = Path(name)
        assert path.parent == charts
        assert path.read_bytes()[:8] == PNG_MAGIC
        assert path.stat().st_size > 15_000
        with Image.open(path) as image:
            assert image.format == "PNG"
            assert image.size == (1200, 600)
            shades = image.convert("L").getcolors(maxcolors=256) or []
            assert len(shades) > 20  # drawn, not blank
    with out.open(newline="", encoding="utf-8") as handle:
        rows = list(csv.reader(handle))
    assert rows[0] == ["view", "key", "currency", "count", "value"]
    body = {tuple(r[:3]): r[3:] for r in rows[1:]}
    assert body[("summary", "all", "JPY")] == ["2", "4984040"]
    assert body[("by_partner", "USA", "USD")] == ["2", "3795.00"]
    assert body[("by_category", "training", "AUD")] == ["1", "6002.50"]
    # What is still owed at received quantities, as the ledger says (not the accepted value).
    assert body[("settled_open", "open", "JPY")] == ["1", "1600020"]
    assert body[("provided_received", "received", "USD")] == ["2", "3795.00"]
    assert body[("monthly", "AUS 2026-07", "JPY")] == ["1", "2340020"]
    assert body[("balance", "USA 2027-03-31", "USD")] == ["", "-2450.00"]
    assert {r[0] for r in rows[1:]} == {
        "summary",
        "by_partner",
        "by_category",
        "by_activity",
        "settled_open",
        "provided_received",
        "monthly",
        "balance",
    }


# --- the terminal -----------------------------------------------------------------------------


def test_table_format_prints_the_figures_without_a_progress_bar(sqlite_year):
    db_url, _year = sqlite_year
    result = annual(db_url)
    assert "Annual report of support: JPN Japan, FY2026" in result.stdout
    assert "4,984,040" in result.stdout
    assert "-2,450.00" in result.stdout
    assert "reading the books" not in result.stdout + result.stderr


def test_json_prints_the_whole_report(sqlite_year):
    db_url, _year = sqlite_year
    report = annual(db_url, "--json").json
    assert report["orders"] == 5
    jpy = next(f for f in report["summary"] if f["currency"] == "JPY")
    assert (jpy["value"], jpy["settled"], jpy["open"]) == ("4984040", "3384020", "1600020")


@pytest.mark.parametrize("file_format", ["csv", "xlsx", "pdf"])
def test_default_file_name_and_no_chart_files_unasked(
    sqlite_year, tmp_path, monkeypatch, file_format
):
    """The report is written here under its default name, and nothing else: the charts are
    PNG files only where --charts asks (the XLSX and the PDF carry them inside)."""
    db_url, _year = sqlite_year
    here = tmp_path / "here"
    here.mkdir()
    monkeypatch.chdir(here)
    args = ["report", "annual", "--nation", "JPN", "--fy", "2026", "--format", file_format]
    result = CliRunner().invoke(app, [*args, "--db", db_url])
    assert result.exit_code == 0, result.output
    assert [p.name for p in here.iterdir()] == [f"annual-JPN-FY2026.{file_format}"]
    assert ".png" not in result.output


@pytest.mark.parametrize(
    ("args", "code", "field"),
    [
        (["--nation", "XXX", "--fy", "2026"], "UNKNOWN_PARTY", "nation"),
        (
            ["--nation", "JPN", "--fy", "2026", "--format", "pdf", "--out", "/no/such/dir/r.pdf"],
            "INVALID_INPUT",
            "--out",
        ),
    ],
)
def test_refusals_are_coded(sqlite_url, args, code, field):
    result = run("report", "annual", *args, "--db", sqlite_url, "--json")
    assert result.code == 2
    assert result.json["errors"][0]["code"] == code
    assert result.json["errors"][0]["field"] == field
    assert not Path("/no/such/dir").exists()


# --- the order form ---------------------------------------------------------------------------


def test_order_form_pdf_carries_the_standard_fields(db_url, year, tmp_path):
    out = tmp_path / "form.pdf"
    result = run(
        "orders",
        "form",
        str(year["A"]),
        "--format",
        "pdf",
        "--out",
        str(out),
        "--db",
        db_url,
        "--json",
    )
    assert result.code == 0, result.stderr
    assert result.json == {"file": str(out)}
    text = pdf_text(out)
    assert "written consent" not in text
    for expected in (
        f"ACSA order, receipt and invoice: order {year['A']}",
        "Order number",
        "Partner's reference",
        "ADF-PB-0042",
        "JPN-AUS",
        "version 2, 2017 text",
        "Requesting nation",
        "Supplying nation",
        "Authorised official",
        "Operation or",
        "Exercise Pitch Black",
        "RAAF Base Darwin",
        "Billing office / fund",
        "no rate known: no reference rate for JPY per EUR",
        "none (AUS converts by its daily_reference rule)",
        "9130-01-031-5816",
        "12,000",
        "2,000.5",
        "1,824,000",
        "2,644,020 JPY",
        "requested",
        "accepted",
        "provided",
        "returned",
        AUS_OFFICER,
        JPN_SUPPLY,
        JPN_STORES,
        "Supplier's acceptance",
        "Receipt",
        "JPN-2026-000001",
        "EFT 7781",
        "Conditions of use",
        "Use consistent with the Charter of the United Nations.",
        "No transfer to a third party without the supplying government's prior consent.",
        "What the order attests",
        "Reason for cash",
        "Fuel, rations and water are consumed in the exercise",
        "Attached documents",
    ):
        assert expected in text, expected


def test_order_form_of_a_replacement_shows_the_returned_quantity(sqlite_year, tmp_path):
    db_url, year = sqlite_year
    out = tmp_path / "b.pdf"
    result = run("orders", "form", str(year["B"]), "--out", str(out), "--db", db_url)
    assert result.code == 0, result.stderr
    text = pdf_text(out)
    assert "replacement" in text
    assert "line 2: 400 EA food" in text
    assert "1,600,020 JPY" in text  # still awaiting replacement


def test_order_form_default_file_is_in_the_current_directory(sqlite_year, tmp_path, monkeypatch):
    db_url, year = sqlite_year
    monkeypatch.chdir(tmp_path)
    result = CliRunner().invoke(app, ["orders", "form", str(year["E"]), "--db", db_url])
    assert result.exit_code == 0, result.output
    assert result.output.strip() == f"order-{year['E']}.pdf"
    text = pdf_text(tmp_path / f"order-{year['E']}.pdf")
    assert "not signed" in text
    assert "No invoice issued." in text


def test_order_form_of_a_missing_order_is_refused(sqlite_url):
    result = run("orders", "form", "999", "--db", sqlite_url, "--json")
    assert result.code == 2
    assert result.json["errors"][0]["code"] == "ORDER_NOT_FOUND"


@pytest.mark.parametrize(
    ("nation", "start", "end"),
    [
        ("JPN", "2026-04-01", "2027-03-31"),
        ("USA", "2025-10-01", "2026-09-30"),
        ("AUS", "2025-07-01", "2026-06-30"),  # July to June, named by the ending year
        ("DEU", "2026-01-01", "2026-12-31"),
    ],
)
def test_fiscal_years_follow_the_nation(sqlite_url, nation, start, end):
    result = run(
        "report", "annual", "--nation", nation, "--fy", "2026", "--db", sqlite_url, "--json"
    )
    assert result.code == 0, result.stderr
    assert (result.json["start"], result.json["end"]) == (start, end)
    assert result.json["fiscal_year"] == "FY2026"
