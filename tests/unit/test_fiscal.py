"""Fiscal years per nation: boundaries and labels, built in and from the shipped data."""

from datetime import date

import pytest

from acsa.adapters.nations_file import parse_nations, shipped_fiscal_calendars
from acsa.domain.fiscal import (
    FiscalCalendar,
    FiscalCalendars,
    FiscalYear,
    fiscal_year,
    fiscal_year_of,
)

NATIONS = shipped_fiscal_calendars()


def test_japan_fy2026_runs_april_to_march_and_is_named_by_its_start():
    assert fiscal_year("JPN", 2026) == FiscalYear("FY2026", date(2026, 4, 1), date(2027, 3, 31))


@pytest.mark.parametrize(
    ("day", "label"),
    [
        (date(2026, 3, 31), "FY2025"),
        (date(2026, 4, 1), "FY2026"),
        (date(2026, 12, 31), "FY2026"),
        (date(2027, 1, 1), "FY2026"),
        (date(2027, 3, 31), "FY2026"),
        (date(2027, 4, 1), "FY2027"),
    ],
)
def test_japan_boundaries(day, label):
    assert fiscal_year_of("JPN", day).label == label


def test_us_fy2026_runs_october_to_september_and_is_named_by_its_end():
    assert fiscal_year("USA", 2026) == FiscalYear("FY2026", date(2025, 10, 1), date(2026, 9, 30))


@pytest.mark.parametrize(
    ("day", "label"),
    [
        (date(2025, 9, 30), "FY2025"),
        (date(2025, 10, 1), "FY2026"),
        (date(2026, 1, 1), "FY2026"),
        (date(2026, 9, 30), "FY2026"),
        (date(2026, 10, 1), "FY2027"),
    ],
)
def test_us_boundaries(day, label):
    assert fiscal_year_of("USA", day).label == label


@pytest.mark.parametrize(
    ("day", "label", "start", "end"),
    [
        (date(2026, 3, 31), "FY2025", date(2025, 4, 1), date(2026, 3, 31)),
        (date(2026, 4, 1), "FY2026", date(2026, 4, 1), date(2027, 3, 31)),
    ],
)
def test_united_kingdom_from_data_runs_april_to_march(day, label, start, end):
    assert NATIONS.fiscal_year_of("GBR", day) == FiscalYear(label, start, end)


@pytest.mark.parametrize(
    ("day", "label"),
    [
        (date(2025, 6, 30), "FY2025"),
        (date(2025, 7, 1), "FY2026"),
        (date(2026, 6, 30), "FY2026"),
        (date(2026, 7, 1), "FY2027"),
    ],
)
def test_australia_from_data_runs_july_to_june_named_by_its_end(day, label):
    assert NATIONS.fiscal_year_of("AUS", day).label == label
    assert NATIONS.fiscal_year("AUS", 2026) == FiscalYear(
        "FY2026", date(2025, 7, 1), date(2026, 6, 30)
    )


def test_new_zealand_is_like_australia_and_canada_and_india_like_the_uk():
    assert NATIONS.calendar("NZL") == NATIONS.calendar("AUS")
    for nation in ("CAN", "IND"):
        assert NATIONS.fiscal_year(nation, 2026).start == date(2026, 4, 1)


@pytest.mark.parametrize("nation", ["DEU", "FRA", "ITA", "NLD", "PHL", "BRA"])
def test_calendar_year_nations_and_unknown_nations(nation):
    year = NATIONS.fiscal_year_of(nation, date(2026, 12, 31))
    assert year == FiscalYear("FY2026", date(2026, 1, 1), date(2026, 12, 31))
    assert NATIONS.fiscal_year_of(nation, date(2027, 1, 1)).label == "FY2027"


def test_every_shipped_nation_has_a_source_and_the_built_ins_stay_available():
    assert set(NATIONS.table) == {
        "GBR", "CAN", "IND", "AUS", "NZL", "DEU", "FRA", "ITA", "NLD", "PHL"
    }  # fmt: skip
    assert all(calendar.source for calendar in NATIONS.table.values())
    assert NATIONS.fiscal_year_of("JPN", date(2026, 4, 1)).label == "FY2026"
    assert NATIONS.fiscal_year_of("usa", date(2025, 10, 1)).label == "FY2026"


def test_a_leap_day_year_and_a_year_containing_its_days():
    february = FiscalCalendars({"XXA": FiscalCalendar(3, "end")}).fiscal_year("XXA", 2028)
    assert february.end == date(2028, 2, 29)
    assert february.contains(date(2027, 3, 1))
    assert not february.contains(date(2028, 3, 1))
    assert str(fiscal_year("JPN", 2026)) == "FY2026 (2026-04-01 to 2027-03-31)"


def test_every_day_falls_in_the_year_it_names():
    calendars = FiscalCalendars(
        {"XXA": FiscalCalendar(7, "end"), "XXB": FiscalCalendar(11, "start")}
    )
    day = date(2024, 1, 1)
    while day < date(2027, 1, 1):
        for nation in ("XXA", "XXB", "JPN", "USA", "DEU"):
            year = calendars.fiscal_year_of(nation, day)
            assert year.contains(day)
            assert calendars.fiscal_year(nation, int(year.label[2:])) == year
        day = date.fromordinal(day.toordinal() + 1)


@pytest.mark.parametrize(
    "document",
    [
        {"nations": {"GB": {"fiscal_year": {"start_month": 4, "named_by": "start"}}}},
        {"nations": {"GBR": {"fiscal_year": {"start_month": 13, "named_by": "start"}}}},
        {"nations": {"GBR": {"fiscal_year": {"start_month": 4, "named_by": "middle"}}}},
        {"nations": {"GBR": {}}},
        {"countries": {}},
    ],
)
def test_a_bad_nations_document_is_refused(document):
    with pytest.raises(ValueError):  # noqa: PT011
        parse_nations(document)
