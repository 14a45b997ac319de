from datetime import date

import pytest

from acsa.domain.dates import PartialDate


def test_a_month_is_reached_only_on_its_last_day():
    month = PartialDate.parse("2019-07")
    assert not month.reached_on(date(2019, 7, 30))
    assert month.reached_on(date(2019, 7, 31))
    assert not month.is_exact


def test_a_year_is_reached_only_on_new_years_eve():
    assert PartialDate.parse("2017").latest == date(2017, 12, 31)


def test_an_exact_date_is_reached_on_the_day():
    day = PartialDate.parse("2025-09-05")
    assert day.reached_on(date(2025, 9, 5))
    assert not day.reached_on(date(2025, 9, 4))
    assert day.isoformat() == "2025-09-05"


@pytest.mark.parametrize("text", ["2025-13", "2025-02-30", "25-01-01", "soon", "2025/01/01"])
def test_impossible_or_malformed_dates_are_refused(text):
    with pytest.raises(ValueError, match=r"YYYY|month|day|range"):
        PartialDate.parse(text)
