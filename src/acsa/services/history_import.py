"""Importing past orders from a history file: each order rebuilt with the domain's own steps,
as the live services would have recorded it, and the whole file in one transaction.

For every order of the file (``adapters/history_csv.py`` reads it; the layout is in
``data/history-csv.md``) the import creates the order and takes it through submit, accept or
reject, delivery, receipt, its settlements and close or cancel, with the domain functions the
services use: the agreement checks of submit and accept, the quantities rules of delivery and
receipt, the receipt postings in both books, invoices, payments (no overpayment), replacements
in kind (same category, NSN and no more than received), equal value exchanges, conversion of
in-kind debt past its deadline, and the settled check of close. Each step is dated on the day
the file gives (at noon UTC) and attributed to ``import <file name>``.

All or nothing: any problem refuses the whole file with coded violations naming the row and
column (``row 17: unit_price``), and nothing is written. Reading goes on after the first
problem, without writing, to report up to :data:`MAX_PROBLEMS` of them at once.

Importing a file twice is refused: an order whose ``order_ref`` is already stored as the
partner reference of an order under the same agreement is refused (``INVALID_INPUT``), so the
second import of the same file writes nothing.
"""

from __future__ import annotations

import dataclasses
import re
import time as clock
from collections import Counter
from collections.abc import Callable, Iterable
from datetime import UTC, date, datetime, time
from decimal import Decimal
from pathlib import Path
from types import TracebackType
from typing import Any

from pydantic import BaseModel

from acsa.adapters.db.account_records import invoice_values, payment_values, settlement_values
from acsa.adapters.db.history_writer import HistoryWriter
from acsa.adapters.history_csv import (
    BY_NAME,
    BadOrder,
    LineRecord,
    OrderRecord,
    csv_rows,
    open_history,
    read_orders,
    where,
)
from acsa.clock import utc_now
from acsa.domain.account import (
    AccountHead,
    Correction,
    Decision,
    ExchangedLine,
    Invoice,
    OrderAccount,
    Payment,
    Terms,
    Tranche,
)
from acsa.domain.agreement import Agreement, AgreementVersion
from acsa.domain.errors import AcsaError, Code, Violation
from acsa.domain.ledger import (
    Entry,
    Stamp,
    receipt_entries,
)
from acsa.domain.memos import receipt_document
from acsa.domain.messages import Term, t
from acsa.domain.money import Money, fits_minor_units
from acsa.domain.order import NO_ATTESTATIONS, Attestations, Order, OrderLine, OrderStatus
from acsa.domain.rules import check_order, validate_lines
from acsa.domain.settlement import ReturnedLine, invoice_number, settled_in_kind
from acsa.domain.vocabulary import Settlement
from acsa.services.ports import SqlUnitOfWork

#: Problems reported at most in one refusal; reading stops there.
MAX_PROBLEMS = 20
#: Every imported step is recorded at noon UTC of its day.
NOON = time(12, 0, tzinfo=UTC)
#: How often (in orders) the progress callback hears from the import.
PROGRESS_EVERY = 1000

S = OrderStatus
_ACCEPTED = frozenset({S.ACCEPTED, S.CANCELLED})
_DELIVERED = frozenset({S.PARTIALLY_DELIVERED, S.DELIVERED})
_RECEIVED = frozenset({S.PARTIALLY_RECEIVED, S.RECEIVED, S.CLOSED})
#: Columns that only orders at these stages may fill (as far as the order went).
STAGE_COLUMNS: tuple[tuple[frozenset[OrderStatus], tuple[str, ...]], ...] = (
    (_ACCEPTED | _DELIVERED | _RECEIVED | {S.REJECTED}, ("accepted_on",)),
    (_ACCEPTED | _DELIVERED | _RECEIVED, ("quantity_accepted",)),
    (frozenset({S.REJECTED, S.CANCELLED}), ("reason",)),
    (frozenset({S.CLOSED, S.CANCELLED}), ("closed_on",)),
    (_DELIVERED | _RECEIVED, ("delivered_on", "quantity_delivered")),
    (
        _RECEIVED,
        (
            "received_on",
            "quantity_received",
            "receipt_note",
            "invoiced_on",
            "invoice_number",
            "paid_amount",
            "paid_on",
            "payment_reference",
            "replaced_on",
            "replaced_quantity",
            "exchanged_value",
            "exchanged_on",
            "exchanged_for",
            "agreed_by",
            "converted_on",
        ),
    ),
)
#: The statuses whose orders may fill each column; columns not named here fit every status.
COLUMN_STATUSES: dict[str, frozenset[OrderStatus]] = {
    name: statuses for statuses, names in STAGE_COLUMNS for name in names
}
IN_KIND_ONLY = ("replaced_on", "exchanged_value", "exchanged_on", "converted_on")
ACSA_NUMBER = re.compile(r"^([A-Z]{3})-(\d{4})-(\d{6,})$")
LINE_FIELD = re.compile(r"^lines\[(\d+)\](?:\.(\w+))?$")


class HistoryImportOut(BaseModel):
    """What an import wrote."""

    file: str
    actor: str
    orders: int
    lines: int
    by_status: dict[str, int]
    rows: dict[str, int]
    rows_written: int
    seconds: float


def import_history(
    uow: SqlUnitOfWork,
    path: Path,
    now: datetime | None = None,
    progress: Callable[[int], None] | None = None,
) -> HistoryImportOut:
    """Import every order of the history file at ``path`` in one transaction, or none."""
    started = clock.perf_counter()
    actor = f"import {path.name}"[:200]
    today = (now or utc_now()).date()
    with open_history(path) as stream, uow:
        importer = _Importer(uow, actor, today)
        importer.run(read_orders(csv_rows(stream)), progress)
        rows = importer.writer.finish()
        uow.ledger.written.extend(importer.writer.entry_ids)
        uow.cover("order", importer.writer.order_ids)
        summary = {"file": path.name, "orders": importer.orders, "rows": rows}
        uow.record("history.import", f"file:{path.name}", actor, None, summary)
        uow.commit()
    return HistoryImportOut(
        file=str(path),
        actor=actor,
        orders=importer.orders,
        lines=importer.lines,
        by_status=dict(sorted(importer.by_status.items())),
        rows=rows,
        rows_written=sum(rows.values()),
        seconds=round(clock.perf_counter() - started, 3),
    )


# --- mapping the domain's fields onto rows and columns --------------------------------------


def _line_by_index(record: OrderRecord) -> Callable[[int], LineRecord | None]:
    return lambda i: record.lines[i] if 0 <= i < len(record.lines) else None


def _line_by_number(record: OrderRecord) -> Callable[[int], LineRecord | None]:
    return lambda n: record.lines[n - 1] if 1 <= n <= len(record.lines) else None


def _relocated(
    record: OrderRecord,
    violations: Iterable[Violation],
    column: str | None,
    line_of: Callable[[int], LineRecord | None],
) -> list[Violation]:
    """The domain's violations with fields naming a row and a column of the file.

    ``lines[i].x`` becomes the row of the line ``line_of(i)`` and ``column`` (else ``x``);
    a field that is a column of the file stays that column on the order's first row; any
    other field becomes ``column`` on the first row.
    """
    found: list[Violation] = []
    for v in violations:
        row, name = record.row, column or "order_ref"
        match = LINE_FIELD.match(v.field)
        if match:
            line = line_of(int(match.group(1)))
            row = line.row if line else record.row
            name = column or match.group(2) or "quantity"
        elif v.field in BY_NAME:
            name = v.field
        elif v.field == "lines" and column is None:
            name = "currency" if v.code is Code.MIXED_CURRENCIES else "quantity"
        found.append(Violation(v.code, where(row, name), v.template, v.clause, v.params))
    return found


class _AtRows:
    """Refusals raised inside are re-raised with their fields on the file's rows. (A class:
    it is entered several times per order, and is cheaper than a generator-based one.)"""

    __slots__ = ("by", "column", "record")

    def __init__(self, record: OrderRecord, column: str | None = None, by: str = "number") -> None:
        self.record = record
        self.column = column
        self.by = by

    def __enter__(self) -> None:
        return None

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        if isinstance(exc, AcsaError):
            record = self.record
            line_of = _line_by_index(record) if self.by == "index" else _line_by_number(record)
            raise AcsaError(_relocated(record, exc.violations, self.column, line_of)) from None


def _refuse(code: Code, row: int, column: str, template: str, **params: object) -> AcsaError:
    return AcsaError([Violation(code, where(row, column), template, params=params)])


# --- one order ------------------------------------------------------------------------------


_NOONS: dict[date, datetime] = {}


def noon(day: date) -> datetime:
    """The moment an imported step on ``day`` is recorded at."""
    found = _NOONS.get(day)
    if found is None:
        found = _NOONS[day] = datetime.combine(day, NOON)
    return found


def _order(record: OrderRecord) -> Order:
    return Order(
        agreement_id=record.agreement,
        requester=record.requester,
        supplier=record.supplier,
        activity=record.activity,
        settlement=record.settlement,
        order_date=record.order_date,
        needed_by=record.needed_by,
        location=record.location,
        operation=record.operation,
        partner_reference=record.ref,
        attestations=(
            Attestations(cash_reason=record.cash_reason) if record.cash_reason else NO_ATTESTATIONS
        ),
        lines=[
            OrderLine(
                number=n,
                category=line.category,
                description=line.description,
                quantity=line.quantity,
                unit=line.unit,
                unit_price=line.unit_price,
                currency=line.currency,
                nsn=line.nsn,
            )
            for n, line in enumerate(record.lines, start=1)
        ],
    )


def _filled(record: OrderRecord, name: str) -> int | None:
    """The row where ``name`` is filled in (quantities: with more than zero), else None."""
    if BY_NAME[name].level == "line":
        for line in record.lines:
            value = getattr(line, name)
            if value is not None and (value != 0 or name == "quantity_accepted"):
                return line.row
        return None
    value = getattr(record, name)
    return record.row if value not in (None, "") else None


#: The columns each status cannot fill.
NOT_FOR: dict[OrderStatus, tuple[str, ...]] = {
    status: tuple(name for name, allowed in COLUMN_STATUSES.items() if status not in allowed)
    for status in OrderStatus
}


def _check_columns(record: OrderRecord) -> None:
    """Columns the order's status cannot have, and settlement columns that do not fit its
    method or lack their partner column."""
    problems: list[Violation] = []
    for name in NOT_FOR[record.status]:
        row = _filled(record, name)
        if row is not None:
            problems.append(
                Violation(
                    Code.INVALID_INPUT,
                    where(row, name),
                    "a {status} order has no {column}: leave it blank, or give the status the "
                    "order reached",
                    params={"status": Term(record.status.value), "column": name},
                )
            )
    if not problems:
        problems.extend(_settlement_columns(record))
    if problems:
        raise AcsaError(problems)


def _settlement_columns(record: OrderRecord) -> list[Violation]:
    """The columns the order's settlement method forbids or needs, then the columns another
    filled-in column needs."""
    if record.settlement == Settlement.CASH:
        problems = _cash_columns(record)
    else:
        problems = _in_kind_columns(record)
    return [*problems, *_needed_columns(record)]


def _needs(record: OrderRecord, name: str, given: str, why: str) -> Violation:
    """MISSING_FIELD: column ``name`` is blank though ``given`` is filled in; ``why`` is a
    template (``t(...)``) whose ``{column}`` is ``name``."""
    return Violation(
        Code.MISSING_FIELD,
        where(record.row, name),
        why,
        params={"given": given, "column": name},
    )


def _cash_columns(record: OrderRecord) -> list[Violation]:
    """An order settled in cash fills in none of the in-kind columns."""
    return [
        Violation(
            Code.SETTLEMENT_METHOD_MISMATCH,
            where(found, name),
            "order {order} is settled in cash: it has no {column}",
            params={"order": record.ref, "column": name},
        )
        for name in (*IN_KIND_ONLY, "replaced_quantity")
        if (found := _filled(record, name)) is not None
    ]


def _in_kind_columns(record: OrderRecord) -> list[Violation]:
    """An order settled in kind is invoiced only for what was converted (on converted_on);
    only one settled by replacement in kind has replacement columns, and a replaced quantity
    needs its day."""
    problems: list[Violation] = []
    method = record.settlement
    if record.invoiced_on is not None:
        problems.append(
            Violation(
                Code.INVALID_INPUT,
                where(record.row, "invoiced_on"),
                "order {order} is settled in kind: it is invoiced only for what was "
                "converted to cash, on converted_on; leave invoiced_on blank",
                params={"order": record.ref},
            )
        )
    if method != Settlement.REPLACEMENT_IN_KIND:
        problems.extend(
            Violation(
                Code.SETTLEMENT_METHOD_MISMATCH,
                where(found, name),
                "order {order} is settled by {method}: it cannot be settled by replacement in kind",
                params={"order": record.ref, "method": Term(method)},
            )
            for name in ("replaced_on", "replaced_quantity")
            if (found := _filled(record, name)) is not None
        )
    elif _filled(record, "replaced_quantity") is not None and record.replaced_on is None:
        problems.append(
            _needs(
                record,
                "replaced_on",
                "replaced_quantity",
                t("{given} is given: the day of the replacement is needed"),
            )
        )
    return problems


def _needed_columns(record: OrderRecord) -> list[Violation]:
    """A payment or an invoice number needs the day billed (invoiced_on, or converted_on when
    settled in kind); a payment's amount or reference needs its day; an equal value exchange
    needs all four of its columns."""
    cash = record.settlement == Settlement.CASH
    billed_on = "invoiced_on" if cash else "converted_on"
    billed = record.invoiced_on if cash else record.converted_on
    problems = [
        _needs(record, billed_on, name, t("{given} is given: there is no invoice without it"))
        for name in ("paid_on", "invoice_number")
        if getattr(record, name) not in (None, "") and billed is None
    ]
    problems += [
        _needs(record, "paid_on", name, t("{given} is given: the day of the payment is needed"))
        for name in ("paid_amount", "payment_reference")
        if getattr(record, name) not in (None, "") and record.paid_on is None
    ]
    exchange = (record.exchanged_value, record.exchanged_on)
    if any(x is not None for x in exchange) or record.exchanged_for or record.agreed_by:
        problems += [
            _needs(
                record,
                name,
                "an equal value exchange",
                t("an equal value exchange is given: its {column} is needed too"),
            )
            for name in ("exchanged_value", "exchanged_on", "exchanged_for", "agreed_by")
            if getattr(record, name) in (None, "")
        ]
    return problems


DATE_COLUMNS = (
    "order_date",
    "accepted_on",
    "delivered_on",
    "received_on",
    "invoiced_on",
    "paid_on",
    "replaced_on",
    "exchanged_on",
    "converted_on",
    "closed_on",
)
#: Each step's day is on or after the days of the steps it follows (paid_on also after the
#: invoice: invoiced_on or converted_on; closed_on after every other).
AFTER: tuple[tuple[str, tuple[str, ...]], ...] = (
    ("accepted_on", ("order_date",)),
    ("delivered_on", ("order_date", "accepted_on")),
    ("received_on", ("order_date", "accepted_on", "delivered_on")),
    ("invoiced_on", ("order_date", "received_on")),
    ("replaced_on", ("order_date", "received_on")),
    ("exchanged_on", ("order_date", "received_on")),
    ("converted_on", ("order_date", "received_on")),
    ("paid_on", ("order_date", "received_on", "invoiced_on", "converted_on")),
    ("closed_on", DATE_COLUMNS),
)


def _dates(record: OrderRecord) -> dict[str, date]:
    """Every date the order gives, by column."""
    return {name: value for name in DATE_COLUMNS if (value := getattr(record, name)) is not None}


def _check_dates(record: OrderRecord, today: date) -> None:
    """Nothing in the future, and each step on or after the one it follows."""
    dates = _dates(record)
    problems = [
        Violation(
            Code.INVALID_DATE,
            where(record.row, name),
            "{column} {day} is in the future; a history file records what happened",
            params={"column": name, "day": day},
        )
        for name, day in dates.items()
        if day > today
    ]
    for name, earlier in AFTER:
        day = dates.get(name)
        if day is None:
            continue
        for before in earlier:
            was = dates.get(before)
            if was is not None and was > day:
                problems.append(
                    Violation(
                        Code.INVALID_DATE,
                        where(record.row, name),
                        "{column} {day} is before {before} {was}",
                        params={"column": name, "day": day, "before": before, "was": was},
                    )
                )
                break
    if problems:
        raise AcsaError(problems)


# --- the import -----------------------------------------------------------------------------


class _Importer:
    """Rebuilds orders one by one and hands their rows to the writer."""

    def __init__(self, uow: SqlUnitOfWork, actor: str, today: date) -> None:
        self.uow = uow
        self.actor = actor
        self.today = today
        self.writer = HistoryWriter(uow.connection)
        self.stored_refs = self.writer.stored_references()
        self.agreements: dict[str, Agreement | None] = {}
        self.versions: dict[tuple[str, date], tuple[AgreementVersion, bool]] = {}
        self.clean: set[tuple[object, ...]] = set()
        self.given_numbers: set[str] = set()
        self.problems: list[Violation] = []
        self.orders = 0
        self.lines = 0
        self.by_status: Counter[str] = Counter()

    def run(
        self,
        items: Iterable[OrderRecord | BadOrder],
        progress: Callable[[int], None] | None,
    ) -> None:
        """Take every order of the file; raise the problems found, if any."""
        for done, item in enumerate(items, start=1):
            if isinstance(item, BadOrder):
                self.problems.extend(item.violations)
            else:
                try:
                    self.take(item)
                except AcsaError as exc:
                    self.problems.extend(exc.violations)
            if len(self.problems) >= MAX_PROBLEMS:
                break
            if progress is not None and done % PROGRESS_EVERY == 0:
                progress((item.row if isinstance(item, BadOrder) else item.last_row) - 1)
        if self.problems:
            raise AcsaError(self.problems[:MAX_PROBLEMS])

    def take(self, record: OrderRecord) -> None:
        """Rebuild one order with its postings and settlements, or refuse it."""
        agreement = self._agreement(record)
        _check_columns(record)
        _check_dates(record, self.today)
        if (record.agreement, record.ref) in self.stored_refs:
            raise _refuse(
                Code.INVALID_INPUT,
                record.row,
                "order_ref",
                "order {order} under {agreement} is stored already (imported before?); a "
                "history file is imported once",
                order=record.ref,
                agreement=record.agreement,
            )
        order = _order(record)
        with _AtRows(record, by="index"):
            malformed = validate_lines(order)
            if malformed:
                raise AcsaError(malformed)
        order.id = self.writer.take_id("orders")
        _Replay(self, record, order, agreement).run()
        self.orders += 1
        self.lines += len(order.lines)
        self.by_status[order.status.value] += 1

    def _agreement(self, record: OrderRecord) -> Agreement:
        if record.agreement not in self.agreements:
            self.agreements[record.agreement] = self.uow.agreements.get(record.agreement)
        found = self.agreements[record.agreement]
        if found is None:
            raise _refuse(
                Code.AGREEMENT_NOT_FOUND,
                record.row,
                "agreement",
                "no agreement {agreement}; see `acsa agreements list`",
                agreement=repr(record.agreement),
            )
        return found

    def check(self, order: Order, agreement: Agreement) -> list[Violation]:
        """The agreement checks of submit and accept (``check_order``).

        Once the lines are well formed (``validate_lines`` passed), the checks look at the
        order only through the key below: the version governing the order date and whether it
        is in force, the parties, activity, settlement method and categories. An order whose
        key passed before passes again; any other is checked in full."""
        version, in_force = self.governing(agreement, order.order_date)
        key = (
            agreement.id,
            version.version,
            in_force,
            order.requester,
            order.supplier,
            order.activity,
            order.settlement,
            order.attestations,
            tuple(line.category for line in order.lines),
        )
        if key in self.clean:
            return []
        found = check_order(order, agreement)
        if not found and len(self.clean) < 100_000:
            self.clean.add(key)
        return found

    def governing(self, agreement: Agreement, day: date) -> tuple[AgreementVersion, bool]:
        """The version of ``agreement`` that governs ``day``, and whether it is in force."""
        on = (agreement.id, day)
        found = self.versions.get(on)
        if found is None:
            in_force = agreement.version_in_force_on(day) is not None
            found = self.versions[on] = (agreement.version_on(day), in_force)
        return found

    def invoice_number(self, record: OrderRecord, order: Order, day: date) -> str:
        """The number given in the file (checked unused), else the next of acsa's own."""
        given = record.invoice_number
        if given is None:
            name = f"invoice:{order.supplier}:{day.year}"
            sequence = self.writer.counter(name) + 1
            self.writer.set_counter(name, sequence)
            return invoice_number(order.supplier, day.year, sequence)
        self._check_given_number(record, given)
        self.given_numbers.add(given)
        return given

    def _check_given_number(self, record: OrderRecord, number: str) -> None:
        def refuse(template: str, **params: object) -> AcsaError:
            return _refuse(Code.INVALID_INPUT, record.row, "invoice_number", template, **params)

        if len(number) > 40:
            raise refuse(
                t("invoice number {number} is longer than 40 characters"), number=repr(number)
            )
        if number in self.given_numbers or self.writer.taken_numbers([number]):
            raise refuse(t("invoice number {number} is used already"), number=number)
        match = ACSA_NUMBER.match(number)
        if match:
            issuer, year, sequence = match.group(1), match.group(2), int(match.group(3))
            name = f"invoice:{issuer}:{year}"
            if sequence <= self.writer.counter(name):
                raise refuse(
                    t(
                        "invoice number {number} is in acsa's own numbering, which has reached "
                        "{reached}; give a later number or leave it blank"
                    ),
                    number=number,
                    reached=invoice_number(issuer, int(year), self.writer.counter(name)),
                )
            self.writer.set_counter(name, sequence)


class _Replay:
    """One order's history, step by step, as the live services would have recorded it."""

    def __init__(
        self, importer: _Importer, record: OrderRecord, order: Order, agreement: Agreement
    ) -> None:
        self.importer = importer
        self.writer = importer.writer
        self.write = not importer.problems
        self.record = record
        self.order = order
        self.agreement = agreement
        self.version = importer.governing(agreement, record.order_date)[0]
        self.actor = importer.actor
        # The order's account: every settlement step is decided by it, as in the live services.
        self.account = OrderAccount(
            AccountHead.of(order),
            Terms(self.version.replacement_deadline_days, self.version.payment_term_days),
        )
        # Rows of this order, handed to the writer only once the whole order is good.
        self.entries: list[Entry] = []
        self.invoices: list[tuple[int, dict[str, Any]]] = []
        self.invoice_ids: dict[str, int] = {}
        self.payments: list[dict[str, Any]] = []
        self.settlements: list[tuple[int, dict[str, Any]]] = []

    def run(self) -> None:
        record, order = self.record, self.order
        status = record.status
        order.record_creation(noon(record.order_date), self.actor)
        if status is not S.DRAFT:
            self._submit_and_answer()
        if order.status is S.ACCEPTED and status not in (S.ACCEPTED, S.CANCELLED):
            self._deliver()
            if status in _RECEIVED:
                self._receive()
                self._settle()
        if status is S.CLOSED:
            self._close()
        if status is S.CANCELLED:
            with _AtRows(record, "status"):
                order.cancel(noon(self._ended_on()), self.actor, record.reason)
        if order.status is not status:
            raise _refuse(
                Code.INVALID_INPUT,
                record.row,
                "status",
                t(
                    "order {order}: the quantities make it {made}, not {status}; check status "
                    "and the quantity columns"
                ),
                order=record.ref,
                made=Term(order.status.value),
                status=Term(status.value),
            )
        self._store()

    def _submit_and_answer(self) -> None:
        record, order, at = self.record, self.order, noon(self.record.order_date)
        violations = self.importer.check(order, self.agreement)
        with _AtRows(record, by="index"):
            order.submit(violations, at, self.actor)
        answered = noon(record.accepted_on or record.order_date)
        if record.status is S.REJECTED:
            order.reject(answered, self.actor, record.reason)
        elif record.status is S.SUBMITTED or (
            record.status is S.CANCELLED and record.accepted_on is None
        ):
            return
        elif record.status is not S.DRAFT:
            accepted = {
                n: line.quantity_accepted
                for n, line in enumerate(record.lines, start=1)
                if line.quantity_accepted is not None
            }
            with _AtRows(record, "quantity_accepted"):
                order.accept(violations, answered, self.actor, accepted or None)

    def _deliver(self) -> None:
        record, order = self.record, self.order
        quantities: dict[int, Decimal] = {}
        for line, given in zip(order.lines, record.lines, strict=True):
            q = given.quantity_delivered
            q = line.to_deliver if q is None else q
            if q > 0:
                quantities[line.number] = q
        if not quantities:
            raise _refuse(
                Code.NOTHING_TO_DELIVER,
                record.row,
                "quantity_delivered",
                t(
                    "a {status} order had something delivered; quantity_delivered is 0 on "
                    "every line"
                ),
                status=Term(record.status.value),
            )
        day = record.delivered_on or record.received_on or record.accepted_on or record.order_date
        with _AtRows(record, "quantity_delivered"):
            order.deliver(noon(day), self.actor, quantities)

    def _receive(self) -> None:
        record, order = self.record, self.order
        if record.received_on is None:
            raise _refuse(
                Code.MISSING_FIELD,
                record.row,
                "received_on",
                t("a {status} order was received: received_on is needed"),
                status=Term(record.status.value),
            )
        quantities = {
            line.number: line.to_receive
            if given.quantity_received is None
            else given.quantity_received
            for line, given in zip(order.lines, record.lines, strict=True)
        }
        at = noon(record.received_on)
        before = Money.zero(order.currency)  # a history file gives one receipt per order
        with _AtRows(record, "quantity_received"):
            event = order.receive(at, self.actor, quantities, record.receipt_note)
        after = order.value_received
        value = after - before
        if value.amount == 0:
            return
        stamp = Stamp(
            effective=at.date(),
            at=at,
            actor=self.actor,
            document=receipt_document(order.id, event.seq),
            order_id=order.id,
            memo=record.receipt_note,
        )
        self._post(
            receipt_entries(order.supplier, order.requester, value, settled_in_kind(order), stamp)
        )
        receipt = Tranche(record.received_on, value.amount, stamp.document, stamp.at)
        self.account = dataclasses.replace(
            self.account,
            head=AccountHead.of(order),
            receipts=(*self.account.receipts, receipt),
            lines=tuple(order.lines),
        )

    # --- settlement -------------------------------------------------------------------------

    def _settle(self) -> None:
        record = self.record
        steps: list[tuple[date, int, Callable[[date], None]]] = [
            (day, rank, run)
            for day, rank, run in (
                (record.replaced_on, 0, self._replace),
                (record.exchanged_on, 1, self._exchange),
                (record.converted_on, 2, self._convert),
                (record.invoiced_on, 3, self._invoice),
                (record.paid_on, 4, self._pay),
            )
            if day is not None
        ]
        steps.sort(key=lambda step: step[:2])
        for day, _rank, run in steps:
            run(day)

    def _invoice(self, day: date) -> None:
        record, order = self.record, self.order
        number = ""
        if self.account.uninvoiced > 0:
            number = self.importer.invoice_number(record, order, day)
        with _AtRows(record, "invoiced_on"):
            decision = self.account.invoice(day, number, noon(day), self.actor)
        self._apply(decision)

    def _pay(self, day: date) -> None:
        record, order = self.record, self.order
        assert self.account.invoices, "checked: a payment has its invoice"
        invoice = self.account.invoices[-1]
        currency = order.currency
        amount = record.paid_amount if record.paid_amount is not None else invoice.unpaid
        if not fits_minor_units(amount, currency):
            raise _refuse(
                Code.INVALID_AMOUNT,
                record.row,
                "paid_amount",
                t("amount {amount} has more decimals than {currency} allows"),
                amount=amount,
                currency=currency,
            )
        with _AtRows(record, "paid_amount"):
            decision = self.account.pay(
                invoice.number,
                Money(amount, currency),
                day,
                record.payment_reference,
                noon(day),
                self.actor,
            )
            self._apply(decision)

    def _replace(self, day: date) -> None:
        record, order = self.record, self.order
        returned: list[ReturnedLine] = []
        rows: list[LineRecord] = []
        for line, given in zip(order.lines, record.lines, strict=True):
            q = given.replaced_quantity
            q = line.quantity_received if q is None else q
            if q > 0:
                returned.append(
                    ReturnedLine(line.number, line.category, q, line.nsn, line.description)
                )
                rows.append(given)
        if not returned:
            raise _refuse(
                Code.MISSING_FIELD,
                record.row,
                "replaced_quantity",
                t(
                    "replaced_on is given but nothing was replaced: replaced_quantity is 0 on "
                    "every line"
                ),
            )
        try:
            decision = self.account.replace(day, returned, "", noon(day), self.actor)
        except AcsaError as exc:
            line_of = lambda i: rows[i] if 0 <= i < len(rows) else None  # noqa: E731
            raise AcsaError(
                _relocated(record, exc.violations, "replaced_quantity", line_of)
            ) from None
        self._apply(decision)

    def _exchange(self, day: date) -> None:
        record, order = self.record, self.order
        assert record.exchanged_value is not None, "checked with exchanged_on"
        amount = record.exchanged_value
        if not fits_minor_units(amount, order.currency):
            raise _refuse(
                Code.INVALID_AMOUNT,
                record.row,
                "exchanged_value",
                t("amount {amount} has more decimals than {currency} allows"),
                amount=amount,
                currency=order.currency,
            )
        given = [ExchangedLine("", record.exchanged_for, Decimal(1), "EA", amount)]
        with _AtRows(record, "exchanged_value"):
            decision = self.account.exchange(
                day, given, record.agreed_by, "", noon(day), self.actor
            )
        self._apply(decision)

    def _convert(self, day: date) -> None:
        record, order = self.record, self.order
        account = self.account
        if account.convertible(day) is None:
            deadline = account.next_deadline()
            if deadline:
                raise _refuse(
                    Code.INVALID_DATE,
                    record.row,
                    "converted_on",
                    t(
                        "order {order}: nothing could be converted to cash on {day}: the "
                        "replacement deadline {deadline} had not passed"
                    ),
                    order=record.ref,
                    day=day,
                    deadline=deadline,
                )
            raise _refuse(
                Code.INVALID_DATE,
                record.row,
                "converted_on",
                t(
                    "order {order}: nothing could be converted to cash on {day}: nothing was "
                    "owed in kind"
                ),
                order=record.ref,
                day=day,
            )

        number = self.importer.invoice_number(record, order, day)
        decision = account.convert(day, number, noon(day), self.actor)
        assert decision is not None, "checked: something converts"
        self._apply(decision)

    def _apply(self, decision: Decision) -> None:
        """Keep the rows of what the account decided, with ids taken from the writer."""
        head = self.account.head
        for record in decision.records:
            if isinstance(record, Invoice):
                invoice_id = self.writer.take_id("invoices")
                self.invoice_ids[record.number] = invoice_id
                self.invoices.append((invoice_id, invoice_values(head, record)))
            elif isinstance(record, Payment):
                invoice_id = self.invoice_ids[record.invoice]
                self.payments.append(payment_values(head, record, invoice_id))
            elif not isinstance(record, Correction):  # the history holds no corrections
                settlement_id = self.writer.take_id("settlements")
                self.settlements.append((settlement_id, settlement_values(head, record)))
        self._post(decision.entries)
        self.account = decision.account

    # --- the end ----------------------------------------------------------------------------

    def _ended_on(self) -> date:
        record = self.record
        if record.closed_on is not None:
            return record.closed_on
        return max(_dates(record).values())

    def _close(self) -> None:
        record, order = self.record, self.order
        with _AtRows(record, "status"):
            decision = self.account.close(order, noon(self._ended_on()), self.actor)
        self.account = decision.account

    def _post(self, entries: Iterable[Entry]) -> None:
        self.entries.extend(entries)

    def _store(self) -> None:
        """Hand the order's rows to the writer, unless the file already has problems."""
        if not self.write:
            return
        order, writer = self.order, self.writer
        events = order.new_events
        order.version = len(events)
        writer.add_order(order, events[0].at, events[-1].at)
        for invoice_id, invoice in self.invoices:
            writer.add_invoice(invoice_id, invoice)
        for payment in self.payments:
            writer.add_payment(payment)
        for settlement_id, settlement in self.settlements:
            writer.add_settlement(settlement_id, settlement)
        writer.add_entries(self.entries)
