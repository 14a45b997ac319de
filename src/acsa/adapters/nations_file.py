"""The shipped nations file (``data/nations.yaml``): each partner nation's fiscal calendar."""

from __future__ import annotations

from functools import cache
from importlib import resources
from typing import Any

import yaml

from acsa.domain.fiscal import FiscalCalendar, FiscalCalendars

NATIONS_RESOURCE = "nations.yaml"


def parse_nations(data: Any) -> dict[str, FiscalCalendar]:
    """The fiscal calendars in a nations document; ValueError naming the nation at fault."""
    if not isinstance(data, dict) or not isinstance(data.get("nations"), dict):
        raise ValueError("a nations document is a mapping with a 'nations' mapping")
    table: dict[str, FiscalCalendar] = {}
    for code, entry in data["nations"].items():
        if not (isinstance(code, str) and len(code) == 3 and code.isalpha() and code.isupper()):
            raise ValueError(f"{code!r} is not an ISO 3166-1 alpha-3 code")
        try:
            fiscal = entry["fiscal_year"]
            table[code] = FiscalCalendar(
                int(fiscal["start_month"]), fiscal["named_by"], str(entry.get("source", ""))
            )
        except (KeyError, TypeError, ValueError) as exc:
            raise ValueError(f"nation {code}: bad fiscal_year ({exc})") from None
    return table


@cache
def shipped_fiscal_calendars() -> FiscalCalendars:
    """The fiscal calendars acsa ships, read once per process."""
    text = resources.files("acsa.data").joinpath(NATIONS_RESOURCE).read_text(encoding="utf-8")
    return FiscalCalendars(parse_nations(yaml.safe_load(text)))
