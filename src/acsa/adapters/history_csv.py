"""History files: past orders as CSV, one row per order line (layout in ``data/history-csv.md``).

This module only reads: it checks the header, turns each cell into a typed value and groups
the lines of an order (consecutive rows with the same ``order_ref``) into one
:class:`OrderRecord`. Whether the history is possible under the agreement is the import
service's business. Problems are coded violations whose field names the row and the column,
``"row 17: unit_price"``, rows numbered as a spreadsheet shows them (the header is row 1).
"""

from __future__ import annotations

import csv
import re
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from pathlib import Path
from typing import Any, TextIO

import pycountry

from acsa.domain import limits
from acsa.domain.errors import AcsaError, Code, Violation
from acsa.domain.messages import t
from acsa.domain.order import OrderStatus
from acsa.domain.vocabulary import Settlement

ORDER, LINE = "order", "line"
NSN = re.compile(r"^\d{4}-?\d{2}-?\d{3}-?\d{4}$")


@dataclass(frozen=True, slots=True)
class Column:
    """One column of the layout: its name, whether it belongs to the order or to the line,
    how its cells are read (``kind``, a key of ``READERS``) and whether it is ``required``:
    in the header, and filled on every row where its level is read (an order's first row
    for order columns, every row for line columns)."""

    name: str
    level: str
    kind: str
    required: bool = False


#: The layout, in the order the sample file gives it. ``kind`` says how a cell is read.
COLUMNS: tuple[Column, ...] = (
    Column("order_ref", ORDER, "text", required=True),
    Column("agreement", ORDER, "upper", required=True),
    Column("requester", ORDER, "party", required=True),
    Column("supplier", ORDER, "party", required=True),
    Column("activity", ORDER, "text", required=True),
    Column("settlement", ORDER, "settlement", required=True),
    Column("order_date", ORDER, "date", required=True),
    Column("needed_by", ORDER, "date", required=True),
    Column("location", ORDER, "text", required=True),
    Column("operation", ORDER, "optional"),
    Column("cash_reason", ORDER, "optional"),
    Column("status", ORDER, "status", required=True),
    Column("accepted_on", ORDER, "date"),
    Column("delivered_on", ORDER, "date"),
    Column("received_on", ORDER, "date"),
    Column("receipt_note", ORDER, "optional"),
    Column("closed_on", ORDER, "date"),
    Column("reason", ORDER, "optional"),
    Column("invoiced_on", ORDER, "date"),
    Column("invoice_number", ORDER, "optional"),
    Column("paid_amount", ORDER, "amount"),
    Column("paid_on", ORDER, "date"),
    Column("payment_reference", ORDER, "optional"),
    Column("replaced_on", ORDER, "date"),
    Column("exchanged_value", ORDER, "amount"),
    Column("exchanged_on", ORDER, "date"),
    Column("exchanged_for", ORDER, "optional"),
    Column("agreed_by", ORDER, "optional"),
    Column("converted_on", ORDER, "date"),
    Column("category", LINE, "text", required=True),
    Column("description", LINE, "text", required=True),
    Column("nsn", LINE, "nsn"),
    Column("quantity", LINE, "quantity", required=True),
    Column("unit", LINE, "text", required=True),
    Column("unit_price", LINE, "price", required=True),
    Column("currency", LINE, "upper", required=True),
    Column("quantity_accepted", LINE, "quantity"),
    Column("quantity_delivered", LINE, "quantity"),
    Column("quantity_received", LINE, "quantity"),
    Column("replaced_quantity", LINE, "quantity"),
)
BY_NAME = {c.name: c for c in COLUMNS}
ORDER_COLUMNS = tuple(c.name for c in COLUMNS if c.level == ORDER)
LINE_COLUMNS = tuple(c.name for c in COLUMNS if c.level == LINE)
#: Columns every row must fill; the others may be left blank.
FILLED = frozenset(c.name for c in COLUMNS if c.required)
DAY = re.compile(r"^\d{4}-\d{2}-\d{2}$")
#: Cells read once are remembered (dates and parties repeat); a bound keeps memory flat.
MEMO_LIMIT = 100_000


def where(row: int, column: str) -> str:
    """The field of a violation: ``row 17: unit_price``."""
    return f"row {row}: {column}"


@dataclass(frozen=True, slots=True)
class LineRecord:
    """One order line as the file gives it; quantities left blank are None."""

    row: int
    category: str
    description: str
    nsn: str | None
    quantity: Decimal
    unit: str
    unit_price: Decimal
    currency: str
    quantity_accepted: Decimal | None = None
    quantity_delivered: Decimal | None = None
    quantity_received: Decimal | None = None
    replaced_quantity: Decimal | None = None


@dataclass(frozen=True, slots=True)
class OrderRecord:
    """One past order: what was ordered, how far it went, and how it was settled.

    Dates left blank are None, texts left blank are "" (or None where the order keeps None).
    ``row`` is the order's first row; each line carries its own.
    """

    row: int
    ref: str
    agreement: str
    requester: str
    supplier: str
    activity: str
    settlement: str
    order_date: date
    needed_by: date
    location: str
    status: OrderStatus
    lines: tuple[LineRecord, ...]
    operation: str | None = None
    #: Why supplies were settled in cash under a text that settles them by return.
    cash_reason: str = ""
    accepted_on: date | None = None
    delivered_on: date | None = None
    received_on: date | None = None
    receipt_note: str = ""
    closed_on: date | None = None
    reason: str = ""
    invoiced_on: date | None = None
    invoice_number: str | None = None
    paid_amount: Decimal | None = None
    paid_on: date | None = None
    payment_reference: str = ""
    replaced_on: date | None = None
    exchanged_value: Decimal | None = None
    exchanged_on: date | None = None
    exchanged_for: str = ""
    agreed_by: str = ""
    converted_on: date | None = None

    @property
    def last_row(self) -> int:
        return self.lines[-1].row


@dataclass(frozen=True, slots=True)
class BadOrder:
    """An order the file gets wrong: every problem found in its rows."""

    row: int
    violations: tuple[Violation, ...]


# --- cells ------------------------------------------------------------------------------------


class CellError(ValueError):
    """A cell that cannot be read as its column's kind: the code and the reason's template,
    whose ``{field}`` is the column's name (filled in where the column is known)."""

    def __init__(self, code: Code, template: str, **params: object) -> None:
        super().__init__(template)
        self.code = code
        self.template = template
        self.params = params


_DATES: dict[str, date] = {}


def _date(text: str) -> date:
    found = _DATES.get(text)
    if found is None:
        try:
            if not DAY.match(text):
                raise ValueError(text)
            found = date.fromisoformat(text)
        except ValueError:
            raise CellError(
                Code.INVALID_DATE,
                t("{field}: {text} is not a date (YYYY-MM-DD)"),
                text=repr(text[:40]),
            ) from None
        outside = limits.date_violation("date", found)
        if outside is not None:
            raise CellError(Code.INVALID_DATE, outside.template, **outside.params)
        if len(_DATES) < MEMO_LIMIT:
            _DATES[text] = found
    return found


def _decimal(text: str, bound: limits.NumberBound, code: Code) -> Decimal:
    """A plain decimal within ``bound`` (``acsa.domain.limits``), e.g. 1250.50."""
    value, violation = limits.number_violation("value", text, bound, code)
    if violation is not None:
        raise CellError(code, violation.template, **violation.params)
    if value is None:
        raise CellError(code, t("{field} is not a number"))
    return value


def _quantity(text: str) -> Decimal:
    return _decimal(text, limits.QUANTITY_OR_ZERO, Code.INVALID_QUANTITY)


def _price(text: str) -> Decimal:
    return _decimal(text, limits.PRICE, Code.INVALID_PRICE)


def _amount(text: str) -> Decimal:
    return _decimal(text, limits.AMOUNT, Code.INVALID_AMOUNT)


_PARTIES: dict[str, str] = {}


def _party(text: str) -> str:
    found = _PARTIES.get(text)
    if found is None:
        code = text.upper()
        if len(code) != 3 or pycountry.countries.get(alpha_3=code) is None:
            raise CellError(
                Code.UNKNOWN_PARTY,
                t("{field}: {text} is not an ISO 3166-1 alpha-3 country code"),
                text=repr(text),
            )
        found = code
        if len(_PARTIES) < MEMO_LIMIT:
            _PARTIES[text] = code
    return found


_SETTLEMENTS = frozenset(s.value for s in Settlement)


def _settlement(text: str) -> str:
    text = text.lower()
    if text not in _SETTLEMENTS:
        raise CellError(
            Code.UNKNOWN_SETTLEMENT_METHOD,
            t("{field}: unknown settlement {text}; one of: {choices}"),
            text=repr(text),
            choices=", ".join(sorted(_SETTLEMENTS)),
        )
    return text


_STATUSES = {s.value: s for s in OrderStatus}


def _status(text: str) -> OrderStatus:
    found = _STATUSES.get(text.lower())
    if found is None:
        raise CellError(
            Code.INVALID_FIELD,
            t("{field}: unknown status {text}; one of: {choices}"),
            text=repr(text),
            choices=", ".join(_STATUSES),
        )
    return found


def _nsn(text: str) -> str:
    if not NSN.match(text):
        raise CellError(
            Code.INVALID_FIELD,
            t("{field}: {text} is not an NSN (1234-12-123-1234)"),
            text=repr(text),
        )
    return text


def _text(text: str) -> str:
    return text


READERS: dict[str, Callable[[str], Any]] = {
    "text": _text,
    "optional": _text,
    "upper": str.upper,
    "party": _party,
    "settlement": _settlement,
    "status": _status,
    "date": _date,
    "quantity": _quantity,
    "price": _price,
    "amount": _amount,
    "nsn": _nsn,
}


# --- the header -------------------------------------------------------------------------------


def read_header(cells: list[str] | None) -> tuple[str, ...]:
    """The column names, checked: known, not repeated, and every required one present."""
    if not cells or not any(c.strip() for c in cells):
        raise AcsaError.single(
            Code.INVALID_INPUT, where(1, "header"), "the file is empty: row 1 names the columns"
        )
    names = tuple(c.strip().lower() for c in cells)
    problems: list[Violation] = []
    seen: set[str] = set()
    for name in names:
        if name not in BY_NAME:
            problems.append(
                Violation(
                    Code.INVALID_INPUT,
                    where(1, name or "(blank)"),
                    "unknown column {column}; the columns are described in history-csv.md",
                    params={"column": repr(name)},
                )
            )
        elif name in seen:
            problems.append(
                Violation(
                    Code.INVALID_INPUT,
                    where(1, name),
                    "column {column} appears twice",
                    params={"column": repr(name)},
                )
            )
        seen.add(name)
    problems.extend(
        Violation(
            Code.MISSING_FIELD,
            where(1, c.name),
            "the header has no column {column}",
            params={"column": repr(c.name)},
        )
        for c in COLUMNS
        if c.required and c.name not in seen
    )
    if problems:
        raise AcsaError(problems)
    return names


# --- rows -------------------------------------------------------------------------------------


class _RowReader:
    """Reads the cells of one row into typed values, collecting the problems."""

    def __init__(self, header: tuple[str, ...]) -> None:
        self.header = header
        self.width = len(header)
        self.order_columns = [(i, n) for i, n in enumerate(header) if BY_NAME[n].level == ORDER]
        self.line_columns = [(i, n) for i, n in enumerate(header) if BY_NAME[n].level == LINE]
        self.ref_index = header.index("order_ref")
        self.order_readers = self._readers(self.order_columns)
        self.line_readers = self._readers(self.line_columns)

    @staticmethod
    def _readers(
        columns: list[tuple[int, str]],
    ) -> list[tuple[int, str, Callable[[str], Any], bool]]:
        return [(i, n, READERS[BY_NAME[n].kind], n in FILLED) for i, n in columns]

    @staticmethod
    def values(
        row: int,
        cells: list[str],
        readers: list[tuple[int, str, Callable[[str], Any], bool]],
        problems: list[Violation],
    ) -> dict[str, Any]:
        found: dict[str, Any] = {}
        for index, name, read, filled in readers:
            text = cells[index]
            if text:
                text = text.strip()
            if not text:
                if filled:
                    problems.append(
                        Violation(
                            Code.MISSING_FIELD,
                            where(row, name),
                            "{field} is required",
                            params={"field": name},
                        )
                    )
                continue
            bad_text = limits.text_violation(name, text)
            if bad_text is not None:
                problems.append(
                    Violation(
                        bad_text.code, where(row, name), bad_text.template, params=bad_text.params
                    )
                )
                continue
            try:
                found[name] = read(text)
            except CellError as exc:
                problems.append(
                    Violation(
                        exc.code,
                        where(row, name),
                        exc.template,
                        params={**exc.params, "field": name},
                    )
                )
        return found


def _conflicts(
    row: int, cells: list[str], first: list[str], columns: list[tuple[int, str]], ref: str
) -> list[Violation]:
    """Order columns on an order's later rows: blank, or the same as on its first row."""
    return [
        Violation(
            Code.INVALID_INPUT,
            where(row, name),
            "order {order}: {column} is {here} here but {first} on its first row; leave it "
            "blank on later rows or repeat the same value",
            params={
                "order": ref,
                "column": name,
                "here": repr(cells[i].strip()),
                "first": repr(first[i].strip()),
            },
        )
        for i, name in columns
        if cells[i].strip() and cells[i].strip() != first[i].strip()
    ]


def _line(row: int, values: dict[str, Any]) -> LineRecord:
    return LineRecord(
        row=row,
        category=values["category"],
        description=values["description"],
        nsn=values.get("nsn"),
        quantity=values["quantity"],
        unit=values["unit"],
        unit_price=values["unit_price"],
        currency=values["currency"],
        quantity_accepted=values.get("quantity_accepted"),
        quantity_delivered=values.get("quantity_delivered"),
        quantity_received=values.get("quantity_received"),
        replaced_quantity=values.get("replaced_quantity"),
    )


@dataclass
class _Group:
    """The rows of one order as they are read."""

    ref: str
    row: int
    first: list[str]
    head: dict[str, Any]
    lines: list[LineRecord]
    problems: list[Violation]

    def finish(self) -> OrderRecord | BadOrder:
        if self.problems:
            return BadOrder(self.row, tuple(self.problems))
        head = self.head  # the order columns given, by name: OrderRecord's fields
        head.pop("order_ref", None)
        return OrderRecord(row=self.row, ref=self.ref, lines=tuple(self.lines), **head)


def read_orders(rows: Iterable[list[str]]) -> Iterator[OrderRecord | BadOrder]:
    """Orders from CSV rows (the header first): each a record, or what is wrong with it."""
    it = iter(rows)
    reader = _RowReader(read_header(next(it, None)))
    seen: set[str] = set()
    group: _Group | None = None
    for row, cells in enumerate(it, start=2):
        if not any(cells) or not any(c.strip() for c in cells):
            continue
        if len(cells) != reader.width:
            problem = Violation(
                Code.INVALID_INPUT,
                where(row, "order_ref"),
                "row {row} has {cells} cells; the header has {width}",
                params={"row": row, "cells": len(cells), "width": reader.width},
            )
            if group is not None and _ref_of(cells, reader.ref_index) == group.ref:
                group.problems.append(problem)
                continue
            if group is not None:
                yield group.finish()
                group = None
            yield BadOrder(row, (problem,))
            continue
        ref = cells[reader.ref_index].strip()
        if group is not None and ref == group.ref:
            _add_line(reader, group, row, cells)
            continue
        if group is not None:
            yield group.finish()
        group = _start(reader, row, cells, ref, seen)
    if group is not None:
        yield group.finish()


def _ref_of(cells: list[str], index: int) -> str | None:
    return cells[index].strip() if index < len(cells) else None


def _start(reader: _RowReader, row: int, cells: list[str], ref: str, seen: set[str]) -> _Group:
    problems: list[Violation] = []
    if ref in seen:
        problems.append(
            Violation(
                Code.INVALID_INPUT,
                where(row, "order_ref"),
                "order {order} appeared on earlier rows; the lines of an order are consecutive "
                "rows and each order_ref names one order",
                params={"order": ref},
            )
        )
    seen.add(ref)
    head = reader.values(row, cells, reader.order_readers, problems)
    group = _Group(ref, row, cells, head, [], problems)
    _add_line(reader, group, row, cells, first=True)
    return group


def _add_line(
    reader: _RowReader, group: _Group, row: int, cells: list[str], first: bool = False
) -> None:
    problems = group.problems
    if not first:
        problems.extend(_conflicts(row, cells, group.first, reader.order_columns, group.ref))
    values = reader.values(row, cells, reader.line_readers, problems)
    if not problems:
        group.lines.append(_line(row, values))


# --- files ------------------------------------------------------------------------------------


def open_history(path: Path) -> TextIO:
    """The file for reading as CSV text (UTF-8, with or without a byte order mark)."""
    try:
        return path.open(encoding="utf-8-sig", newline="")
    except OSError as exc:
        raise AcsaError.single(
            Code.INVALID_INPUT,
            "file",
            "cannot read {path}: {reason}",
            path=str(path),
            reason=exc.strerror,
        ) from None


def csv_rows(stream: TextIO) -> Iterator[list[str]]:
    """The rows of a CSV stream; text that is not UTF-8 is refused naming the row."""
    reader = csv.reader(stream, strict=True)
    while True:
        try:
            cells = next(reader)
        except StopIteration:
            return
        except UnicodeDecodeError:
            raise AcsaError.single(
                Code.INVALID_INPUT,
                where(reader.line_num + 1, "file"),
                "the file is not UTF-8 text; save it as CSV UTF-8",
            ) from None
        except csv.Error as exc:
            raise AcsaError.single(
                Code.INVALID_INPUT,
                where(reader.line_num, "file"),
                "not valid CSV: {reason}",
                reason=str(exc),
            ) from None

        yield cells


def count_rows(path: Path) -> int:
    """Rows after the header, counted fast (for a progress bar; quoted line breaks count too)."""
    lines = 0
    last = b"\n"
    with path.open("rb") as stream:
        while chunk := stream.read(1 << 20):
            lines += chunk.count(b"\n")
            last = chunk[-1:]
    if last != b"\n":
        lines += 1
    return max(0, lines - 1)
