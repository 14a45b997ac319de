"""Fiscal years per nation: when each nation's year starts and which calendar year names it.

Japan's fiscal year runs April to March and is named by the year it starts in (FY2026 is
2026-04-01 to 2027-03-31); the United States' runs October to September and is named by the
year it ends in (FY2026 is 2025-10-01 to 2026-09-30). Other nations come from data (see
``acsa/data/nations.yaml``, read by ``acsa.adapters.nations_file``); a nation nobody described
uses the calendar year.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import date, timedelta
from typing import Literal

NamedBy = Literal["start", "end"]


@dataclass(frozen=True, slots=True)
class FiscalYear:
    """One fiscal year of one nation: its label (``FY2026``) and first and last days."""

    label: str
    start: date
    end: date

    def contains(self, day: date) -> bool:
        return self.start <= day <= self.end

    def __str__(self) -> str:
        return f"{self.label} ({self.start} to {self.end})"


@dataclass(frozen=True, slots=True)
class FiscalCalendar:
    """How a nation counts its fiscal years.

    Attributes:
        start_month: the month (1-12) the fiscal year starts on the first day of.
        named_by: "start" when FY2026 starts in 2026, "end" when it ends in 2026.
        source: where the rule comes from, for the record.
    """

    start_month: int
    named_by: NamedBy
    source: str = field(default="", compare=False)

    def __post_init__(self) -> None:
        if not 1 <= self.start_month <= 12:
            raise ValueError(f"start_month must be 1 to 12, not {self.start_month}")
        if self.named_by not in ("start", "end"):
            raise ValueError(f"named_by must be 'start' or 'end', not {self.named_by!r}")

    def _start_year(self, fy: int) -> int:
        """The calendar year in which fiscal year ``fy`` starts."""
        if self.named_by == "end" and self.start_month != 1:
            return fy - 1
        return fy

    def fiscal_year(self, fy: int) -> FiscalYear:
        """The fiscal year labelled ``fy``."""
        start = date(self._start_year(fy), self.start_month, 1)
        next_start = date(start.year + 1, self.start_month, 1)
        return FiscalYear(f"FY{fy}", start, next_start - timedelta(days=1))

    def fiscal_year_of(self, day: date) -> FiscalYear:
        """The fiscal year containing ``day``."""
        start_year = day.year if day.month >= self.start_month else day.year - 1
        ends_in_next_year = self.start_month != 1
        label = start_year + 1 if self.named_by == "end" and ends_in_next_year else start_year
        return self.fiscal_year(label)


#: The calendar year, for any nation acsa has no data about.
CALENDAR_YEAR = FiscalCalendar(1, "start", "calendar year (default for nations not described)")

#: The two calendars the design names; the data file may describe more nations.
BUILT_IN: Mapping[str, FiscalCalendar] = {
    "JPN": FiscalCalendar(
        4, "start", "Public Finance Act (財政法) art. 11: 1 April to 31 March of the next year"
    ),
    "USA": FiscalCalendar(
        10, "end", "31 U.S.C. 1102: 1 October to 30 September, named by the ending year"
    ),
}


@dataclass(frozen=True, slots=True)
class FiscalCalendars:
    """The fiscal calendars of nations (ISO 3166-1 alpha-3), the built-in ones included."""

    table: Mapping[str, FiscalCalendar] = field(default_factory=dict)

    def calendar(self, nation: str) -> FiscalCalendar:
        """The nation's calendar: from the table, else built in, else the calendar year."""
        code = nation.upper()
        return self.table.get(code) or BUILT_IN.get(code) or CALENDAR_YEAR

    def fiscal_year_of(self, nation: str, day: date) -> FiscalYear:
        return self.calendar(nation).fiscal_year_of(day)

    def fiscal_year(self, nation: str, fy: int) -> FiscalYear:
        return self.calendar(nation).fiscal_year(fy)


def fiscal_year_of(nation: str, day: date, calendars: FiscalCalendars | None = None) -> FiscalYear:
    """The fiscal year of ``nation`` containing ``day`` (built-in calendars unless given)."""
    return (calendars or FiscalCalendars()).fiscal_year_of(nation, day)


def fiscal_year(nation: str, fy: int, calendars: FiscalCalendars | None = None) -> FiscalYear:
    """Fiscal year ``fy`` of ``nation`` (built-in calendars unless given)."""
    return (calendars or FiscalCalendars()).fiscal_year(nation, fy)
