"""Bounded options the commands share: page sizes, record ids and dates.

Every number and date a person types is bounded here by ``acsa.domain.limits``, before any
service or database sees it, so that an absurd value (``--limit 99999999999999999999``, an id
past what a database column holds, a date in the year 9999) is a coded refusal with exit
code 2 naming the option, never a Python traceback. A number outside its range is refused by
the option itself (Typer's range check, turned into INVALID_INPUT by ``acsa.cli.main``); a date
outside DATE_MIN..DATE_MAX is INVALID_DATE.
"""

from __future__ import annotations

from datetime import date
from typing import Annotated

import typer

from acsa.domain import limits
from acsa.domain.dates import parse_day as parse_iso_day

LimitOption = Annotated[
    int | None,
    typer.Option(
        "--limit",
        min=1,
        max=limits.PAGE_LIMIT_MAX,
        help=f"At most this many (1 to {limits.PAGE_LIMIT_MAX:,}).",
        show_default=False,
    ),
]
OffsetOption = Annotated[
    int,
    typer.Option(
        "--offset",
        min=0,
        max=limits.PAGE_OFFSET_MAX,
        help=f"Skip this many first (at most {limits.PAGE_OFFSET_MAX:,}).",
    ),
]
#: The bounds of a record id typed on the command line (an order's, a token's...).
ID_MIN = 1
ID_MAX = limits.ID_MAX

OrderIdOption = Annotated[
    int | None,
    typer.Option("--order", min=ID_MIN, max=ID_MAX, help="Only this order's records."),
]


def parse_day(value: str | None, field: str) -> date | None:
    """A ``YYYY-MM-DD`` date typed for ``field`` (blank: None), between DATE_MIN and DATE_MAX;
    anything else is INVALID_DATE naming the field."""
    day = parse_iso_day(value, field)
    return None if day is None else limits.check_date(field, day)
