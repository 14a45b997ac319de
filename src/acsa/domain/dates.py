"""Dates known to the day, the month or only the year, as public sources give them."""

from __future__ import annotations

import calendar
import re
from dataclasses import dataclass
from datetime import date

from acsa.domain import limits

_PATTERN = re.compile(r"^(\d{4})(?:-(\d{2})(?:-(\d{2}))?)?$")


@dataclass(frozen=True, slots=True, order=True)
class PartialDate:
    """A date whose month or day may be unknown (``2017``, ``2019-07``, ``2024-01-29``).

    A partial date is treated as reached only on the last day it could be: acsa never claims an
    agreement was signed or in force before the sources prove it.
    """

    year: int
    month: int | None = None
    day: int | None = None

    def __post_init__(self) -> None:
        if self.day is not None and self.month is None:
            raise ValueError("a day needs a month")
        date(self.year, self.month or 1, self.day or 1)  # raises on an impossible date

    @classmethod
    def parse(cls, text: str | date) -> PartialDate:
        if isinstance(text, date):
            return cls(text.year, text.month, text.day)
        match = _PATTERN.match(text.strip())
        if not match:
            raise ValueError(f"{text!r} is not YYYY, YYYY-MM or YYYY-MM-DD")
        year, month, day = match.groups()
        return cls(int(year), int(month) if month else None, int(day) if day else None)

    @property
    def is_exact(self) -> bool:
        return self.day is not None

    @property
    def earliest(self) -> date:
        return date(self.year, self.month or 1, self.day or 1)

    @property
    def latest(self) -> date:
        if self.day is not None and self.month is not None:
            return date(self.year, self.month, self.day)
        if self.month is not None:
            return date(self.year, self.month, calendar.monthrange(self.year, self.month)[1])
        return date(self.year, 12, 31)

    def reached_on(self, on: date) -> bool:
        """True when the date has surely passed (or is today) on ``on``."""
        return self.latest <= on

    def isoformat(self) -> str:
        if self.month is None:
            return f"{self.year:04d}"
        if self.day is None:
            return f"{self.year:04d}-{self.month:02d}"
        return f"{self.year:04d}-{self.month:02d}-{self.day:02d}"

    def __str__(self) -> str:
        return self.isoformat()


def parse_day(value: str | None, field: str) -> date | None:
    """A ``YYYY-MM-DD`` date given by a person (an option, a query parameter); blank is None.
    Anything else is refused as INVALID_DATE naming ``field``."""
    if value is None or not value.strip():
        return None
    return limits.parse_date(field, value.strip())
