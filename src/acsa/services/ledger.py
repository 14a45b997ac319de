"""The books as people read them: where each nation stands with each partner, statements of
account, aging of open debts, what is overdue, and the check that the running balances equal a
recompute from postings.

Balances and statements come from postings (the running balances are kept with them in the
same transaction). Aging and overdue debts look at each order's receipts, invoices, payments
and settlements in kind, with the rules of ``acsa.domain.settlement``: what is settled or
invoiced is applied to the oldest receipts first.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from typing import Any

import pycountry
from sqlalchemy import Row

from acsa.adapters.db.ledger_queries import STATES_WITH_RECEIPTS, LedgerQueries
from acsa.adapters.db.unit_of_work import UnitOfWork
from acsa.clock import today
from acsa.domain.errors import AcsaError, Code, Violation
from acsa.domain.ledger import Account, Position, position
from acsa.domain.money import Money, from_minor, is_known_currency, minor_units
from acsa.domain.order import OrderStatus
from acsa.domain.settlement import IN_KIND_METHODS, OrderAccount, replacement_deadline
from acsa.ledger_schemas import (
    AgingOut,
    BalanceDifferenceOut,
    OverdueOut,
    PositionOut,
    StatementOut,
    UnbalancedBookOut,
    VerifyOut,
)

OWED_TO_US = "owed_to_us"
OWED_BY_US = "owed_by_us"
#: Age bands in days, as the reports print them: (last day of the band, its name).
BANDS: tuple[tuple[int | None, str], ...] = (
    (30, "0-30"),
    (90, "31-90"),
    (180, "91-180"),
    (365, "181-365"),
    (None, "over 365"),
)
BUCKETS = tuple(name for _limit, name in BANDS)
#: The parts of an open debt that aging splits the bands into.
INVOICED, UNINVOICED, IN_KIND = "invoiced", "uninvoiced", "in_kind"
INVOICE_PAST_DUE = "invoice_past_due"
REPLACEMENT_PAST_DEADLINE = "replacement_past_deadline"
ZERO = Decimal(0)


# --- input -------------------------------------------------------------------------------------


def party_code(value: str | None, field: str) -> str | None:
    """An ISO 3166-1 alpha-3 code as given by a person (any case), or None when not given."""
    if value is None or not value.strip():
        return None
    code = value.strip().upper()
    if len(code) != 3 or pycountry.countries.get(alpha_3=code) is None:
        raise AcsaError.single(
            Code.UNKNOWN_PARTY, field, f"{field} {value!r} is not an ISO 3166-1 alpha-3 code"
        )
    return code


def currency_code(value: str | None, field: str = "currency") -> str | None:
    """An ISO 4217 code as given by a person (any case), or None when not given."""
    if value is None or not value.strip():
        return None
    code = value.strip().upper()
    if not is_known_currency(code):
        raise AcsaError.single(
            Code.UNKNOWN_CURRENCY, field, f"{field} {value!r} is not an ISO 4217 currency code"
        )
    return code


def band(days: int) -> str:
    """The age band of a debt ``days`` old (a debt dated in the future is in the first)."""
    for limit, name in BANDS:
        if limit is None or days <= limit:
            return name
    raise AssertionError("the last band is open")


# --- balances ----------------------------------------------------------------------------------


def balances(
    uow: UnitOfWork,
    nation: str | None = None,
    partner: str | None = None,
    as_of: date | None = None,
) -> list[PositionOut]:
    """Where each nation stands with each partner, per currency, from its own book.

    Without ``as_of`` from the running balances; with it, recomputed from the postings
    effective on or before that day. Rows where every figure is zero are left out."""
    book = party_code(nation, "nation")
    other = party_code(partner, "partner")
    with uow:
        if as_of is None:
            rows = uow.ledger.running_balances(book, other)
        else:
            rows = uow.ledger.balances_from_postings(book, other, as_of)
    return positions(rows, as_of)


def positions(
    rows: Iterable[tuple[str, str, Account, Money]], as_of: date | None = None
) -> list[PositionOut]:
    """Positions per (book, partner, currency) from account balances, zero rows left out."""
    grouped: dict[tuple[str, str, str], dict[Account, Decimal]] = defaultdict(dict)
    for book, partner, account, money in rows:
        accounts = grouped[(book, partner, money.currency)]
        accounts[account] = accounts.get(account, ZERO) + money.amount
    found = (position(*key, grouped[key]) for key in sorted(grouped))
    return [_position_out(p, as_of) for p in found if not _is_zero(p)]


def _is_zero(p: Position) -> bool:
    return not any(
        (
            p.owed_to_us,
            p.owed_by_us,
            p.awaiting_replacement,
            p.awaiting_replacement_by_us,
            p.provided,
            p.received,
        )
    )


def _position_out(p: Position, as_of: date | None) -> PositionOut:
    return PositionOut(
        nation=p.nation,
        partner=p.partner,
        currency=p.currency,
        as_of=as_of,
        owed_to_us=p.owed_to_us,
        owed_by_us=p.owed_by_us,
        awaiting_replacement=p.awaiting_replacement,
        awaiting_replacement_by_us=p.awaiting_replacement_by_us,
        net=p.net,
        provided=p.provided,
        received=p.received,
    )


# --- statements of account --------------------------------------------------------------------


def statement(
    uow: UnitOfWork,
    nation: str,
    partner: str,
    start: date,
    end: date,
    currency: str | None = None,
) -> list[StatementOut]:
    """A statement of account of ``nation``'s book with ``partner``, one per currency: what
    the partner owes the nation net (cash and in kind, less what the nation owes it) at the end
    of the day before ``start``, every entry from ``start`` to ``end`` with its order and
    document, debit and credit and the balance after it, and the closing balance."""
    book = party_code(nation, "nation")
    other = party_code(partner, "partner")
    if book is None or other is None:
        field = "nation" if book is None else "partner"
        raise AcsaError.single(Code.MISSING_FIELD, field, f"a statement needs a {field}")
    if start > end:
        raise AcsaError.single(
            Code.INVALID_DATE, "start", f"the period starts ({start}) after it ends ({end})"
        )
    wanted = currency_code(currency)
    with uow:
        queries = LedgerQueries(uow.connection)
        opening = _opening(queries, book, other, start, wanted)
        rows = queries.debt_movements(book, other, start, end, wanted)
    lines = _statement_lines(rows, opening, wanted)
    shown = [c for c, found in lines.items() if found.opening or found.pending or c == wanted]
    return [_statement_out(book, other, c, start, end, lines[c]) for c in sorted(shown)]


def _opening(
    queries: LedgerQueries, book: str, partner: str, start: date, currency: str | None
) -> dict[str, int]:
    """Debt balances at the end of the day before ``start``, in minor units per currency.

    Whichever side of ``start`` holds fewer days of postings is summed: everything before it,
    or (for a recent period) the running balance less everything from ``start`` on."""
    span = queries.effective_span(book, partner)
    if span is None or start <= span[0]:
        return {}
    first, last = span
    if (start - first) <= (last - start):
        return queries.debt_between(book, partner, currency, before=start)
    now = queries.debt_now(book, partner, currency)
    since = queries.debt_between(book, partner, currency, after=start)
    return {c: now.get(c, 0) - since.get(c, 0) for c in set(now) | set(since)}


class _Lines:
    """Statement lines of one currency, built in one pass over the period's postings: the
    postings of an entry are summed into one line (debits and credits on the debt accounts),
    and each finished line carries the balance after it."""

    def __init__(self, currency: str, opening: int) -> None:
        self.amount = _decimals(currency)
        self.opening = opening
        self.balance = opening
        self.lines: list[dict[str, Any]] = []
        self.pending: dict[str, Any] | None = None
        self.debit = 0
        self.credit = 0

    def add(self, row: Sequence[Any]) -> None:
        entry, effective, _currency, minor, kind, order, document, memo = row
        if self.pending is None or self.pending["entry"] != entry:
            self.finish()
            self.pending = {
                "entry": entry,
                "effective": effective,
                "kind": kind,
                "order": order,
                "document": document,
                "memo": memo,
            }
        if minor >= 0:
            self.debit += minor
        else:
            self.credit -= minor

    def finish(self) -> None:
        line = self.pending
        if line is None:
            return
        self.balance += self.debit - self.credit
        line["debit"] = self.amount(self.debit)
        line["credit"] = self.amount(self.credit)
        line["balance"] = self.amount(self.balance)
        self.lines.append(line)
        self.pending, self.debit, self.credit = None, 0, 0


def _statement_lines(
    rows: Iterable[Sequence[Any]], opening: dict[str, int], wanted: str | None
) -> dict[str, _Lines]:
    """Lines per currency, with the currencies of the opening balance (or the one wanted)
    even when nothing moved. Rows are read as tuples: by name costs more than the query."""
    found: dict[str, _Lines] = {c: _Lines(c, m) for c, m in opening.items()}
    if wanted and wanted not in found:
        found[wanted] = _Lines(wanted, 0)
    for row in rows:
        currency = row[2]
        lines = found.get(currency)
        if lines is None:
            lines = found[currency] = _Lines(currency, 0)
        lines.add(row)
    return found


def _decimals(currency: str) -> Callable[[int], Decimal]:
    """Minor units to a decimal amount, for many amounts of one currency."""
    digits = minor_units(currency)
    zero = from_minor(0, currency)

    def convert(units: int) -> Decimal:
        return Decimal(units).scaleb(-digits) if units else zero

    return convert


def _statement_out(
    book: str, partner: str, currency: str, start: date, end: date, lines: _Lines
) -> StatementOut:
    lines.finish()
    # Plain dicts validated as one list: several times faster than a model per line.
    return StatementOut.model_validate(
        {
            "nation": book,
            "partner": partner,
            "currency": currency,
            "start": start,
            "end": end,
            "opening": lines.amount(lines.opening),
            "closing": lines.amount(lines.balance),
            "lines": lines.lines,
        }
    )


# --- what each order owes ----------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Tranche:
    """A dated part of a debt: a receipt, a conversion to cash, or what is left of one."""

    day: date
    value: Decimal
    document: str


@dataclass(frozen=True, slots=True)
class InvoiceDebt:
    number: str
    kind: str
    issued: date
    due: date
    amount: Decimal
    paid: Decimal
    last_paid: date | None

    @property
    def unpaid(self) -> Decimal:
        return self.amount - self.paid


@dataclass(frozen=True, slots=True)
class OrderDebts:
    """Everything an order has received and settled, as of a day, to age what is open.

    The supplier is the creditor and the requester the debtor of every debt of an order."""

    order: int
    supplier: str
    requester: str
    currency: str
    in_kind: bool
    agreement_id: str
    order_date: date
    status: str
    receipts: tuple[Tranche, ...]
    conversions: tuple[Tranche, ...]
    settled_in_kind: Decimal
    invoices: tuple[InvoiceDebt, ...]
    last_settled: date | None

    @property
    def account(self) -> OrderAccount:
        return OrderAccount(
            currency=self.currency,
            received=_total(self.receipts),
            invoiced=sum((i.amount for i in self.invoices), ZERO),
            paid=sum((i.paid for i in self.invoices), ZERO),
            settled_in_kind=self.settled_in_kind,
            converted=_total(self.conversions),
            in_kind=self.in_kind,
        )

    def uninvoiced(self) -> list[Tranche]:
        """Cash debt not yet invoiced: receipts of a cash order, conversions of an in-kind
        one, less what was invoiced, applied to the oldest first."""
        cash = self.conversions if self.in_kind else self.receipts
        return remaining(cash, sum((i.amount for i in self.invoices), ZERO))

    def awaiting(self) -> list[Tranche]:
        """Receipts of an in-kind order not yet replaced, exchanged or converted (oldest
        settled first, as the replacement deadline counts them)."""
        if not self.in_kind:
            return []
        return remaining(self.receipts, self.settled_in_kind + _total(self.conversions))

    @property
    def last_activity(self) -> date:
        days = [t.day for t in self.receipts + self.conversions]
        days.extend(d for d in (self.last_settled,) if d is not None)
        return max(days)


def _total(tranches: Iterable[Tranche]) -> Decimal:
    return sum((t.value for t in tranches), ZERO)


def remaining(tranches: Iterable[Tranche], applied: Decimal) -> list[Tranche]:
    """What is left of each tranche after ``applied`` is taken from the oldest first."""
    left = applied
    out: list[Tranche] = []
    for tranche in sorted(tranches, key=lambda t: t.day):
        taken = min(tranche.value, max(left, ZERO))
        left -= taken
        if tranche.value - taken > 0:
            out.append(Tranche(tranche.day, tranche.value - taken, tranche.document))
    return out


def order_debts(
    uow: UnitOfWork,
    nation: str | None = None,
    partner: str | None = None,
    as_of: date | None = None,
) -> list[OrderDebts]:
    """Orders that have received something, between ``nation`` and ``partner``, with what
    was recorded on them by ``as_of`` (everything when None). Call inside ``with uow``.

    Without ``as_of`` closed orders are left out: closing requires nothing to be owed."""
    queries = LedgerQueries(uow.connection)
    states = list(STATES_WITH_RECEIPTS)
    if as_of is not None:
        states.append(OrderStatus.CLOSED.value)
    scope = queries.order_scope(nation, partner, states)
    receipts = _grouped(queries.receipts(scope, as_of))
    if not receipts:
        return []
    invoices = _grouped(queries.invoices(scope, as_of))
    settlements = _grouped(queries.settlements(scope, as_of))
    return [
        _order_debts(head, receipts[head.id], invoices.get(head.id, []), settlements)
        for head in queries.order_heads(scope)
        if head.id in receipts
    ]


def _grouped(rows: Iterable[Row[Any]]) -> dict[int, list[Row[Any]]]:
    grouped: dict[int, list[Row[Any]]] = defaultdict(list)
    for row in rows:
        grouped[row.order_id].append(row)
    return grouped


def _order_debts(
    head: Row[Any],
    receipts: list[Row[Any]],
    invoices: list[Row[Any]],
    settlements: dict[int, list[Row[Any]]],
) -> OrderDebts:
    currency = head.currency

    def money(minor: int) -> Decimal:
        return from_minor(int(minor), currency)

    done = settlements.get(head.id, [])
    conversions = tuple(
        Tranche(s.effective, money(s.value_minor), f"conversion to cash of order {head.id}")
        for s in done
        if s.kind == "conversion"
    )
    in_kind = [s for s in done if s.kind != "conversion"]
    paid_days = [i.last_paid for i in invoices if i.last_paid is not None]
    last_settled = max([*paid_days, *(s.effective for s in done)], default=None)
    return OrderDebts(
        order=head.id,
        supplier=head.supplier,
        requester=head.requester,
        currency=currency,
        in_kind=head.settlement in IN_KIND_METHODS,
        agreement_id=head.agreement_id,
        order_date=head.order_date,
        status=head.status,
        receipts=tuple(Tranche(r.effective, money(r.amount_minor), r.document) for r in receipts),
        conversions=conversions,
        settled_in_kind=sum((money(s.value_minor) for s in in_kind), ZERO),
        invoices=tuple(
            InvoiceDebt(
                i.number,
                i.kind,
                i.issued,
                i.due,
                money(i.amount_minor),
                money(i.paid_minor),
                i.last_paid,
            )
            for i in invoices
        ),
        last_settled=last_settled,
    )


def deadline_days(uow: UnitOfWork, debts: Iterable[OrderDebts]) -> dict[int, int]:
    """The replacement deadline (days from receipt) of each in-kind order, from the version
    of its agreement that governed its order date. Call inside ``with uow``."""
    agreements: dict[str, Any] = {}
    found: dict[int, int] = {}
    for d in debts:
        if not d.in_kind:
            continue
        if d.agreement_id not in agreements:
            agreements[d.agreement_id] = uow.agreements.get(d.agreement_id)
        agreement = agreements[d.agreement_id]
        assert agreement is not None, "an order's agreement exists (foreign key)"
        found[d.order] = agreement.version_on(d.order_date).replacement_deadline_days
    return found


# --- aging -------------------------------------------------------------------------------------


def _open_parts(d: OrderDebts) -> list[tuple[str, date, Decimal]]:
    """(part, the day it ages from, amount) of everything an order still owes."""
    parts = [(INVOICED, i.issued, i.unpaid) for i in d.invoices if i.unpaid > 0]
    parts.extend((UNINVOICED, t.day, t.value) for t in d.uninvoiced())
    parts.extend((IN_KIND, t.day, t.value) for t in d.awaiting())
    return parts


def _views(d: OrderDebts, nation: str | None, partner: str | None) -> list[tuple[str, str, str]]:
    """(nation, partner, direction) of the books that see an order's debts, as filtered."""
    views = [(d.supplier, d.requester, OWED_TO_US), (d.requester, d.supplier, OWED_BY_US)]
    return [v for v in views if (nation is None or v[0] == nation) and (partner in (None, v[1]))]


def aging(
    uow: UnitOfWork,
    nation: str | None = None,
    partner: str | None = None,
    as_of: date | None = None,
) -> list[AgingOut]:
    """Open debts per nation, partner, currency and direction, by age in days: unpaid
    invoices from their issue date, received value not invoiced from its receipt, in-kind debt
    awaiting replacement from its receipt (the oldest receipts settled first)."""
    book = party_code(nation, "nation")
    other = party_code(partner, "partner")
    day = as_of or today()
    with uow:
        debts = order_debts(uow, book, other, as_of)
    table: dict[tuple[str, str, str, str], dict[str, dict[str, Decimal]]] = {}
    for d in debts:
        parts = _open_parts(d)
        if not parts:
            continue
        for view_nation, view_partner, direction in _views(d, book, other):
            key = (view_nation, view_partner, d.currency, direction)
            cell = table.setdefault(key, {})
            for part, since, amount in parts:
                bands = cell.setdefault(part, dict.fromkeys(BUCKETS, ZERO))
                bands[band((day - since).days)] += amount
    return [_aging_out(key, table[key], as_of) for key in sorted(table, key=_aging_order)]


def _aging_order(key: tuple[str, str, str, str]) -> tuple[str, str, str, bool]:
    nation, partner, currency, direction = key
    return nation, partner, currency, direction != OWED_TO_US


def _aging_out(
    key: tuple[str, str, str, str], parts: dict[str, dict[str, Decimal]], as_of: date | None
) -> AgingOut:
    nation, partner, currency, direction = key
    buckets = {name: sum((bands[name] for bands in parts.values()), ZERO) for name in BUCKETS}
    return AgingOut(
        nation=nation,
        partner=partner,
        currency=currency,
        direction=direction,
        buckets=buckets,
        total=sum(buckets.values(), ZERO),
        as_of=as_of,
        by_kind={part: parts[part] for part in (INVOICED, UNINVOICED, IN_KIND) if part in parts},
    )


# --- overdue -----------------------------------------------------------------------------------


def overdue(
    uow: UnitOfWork, nation: str | None = None, as_of: date | None = None
) -> list[OverdueOut]:
    """Invoices past due with something unpaid, and in-kind debt past its replacement
    deadline that no sweep has converted to cash yet, most overdue first."""
    book = party_code(nation, "nation")
    day = as_of or today()
    with uow:
        debts = order_debts(uow, book, None, as_of)
        deadlines = deadline_days(uow, debts)
    found: list[OverdueOut] = []
    for d in debts:
        found.extend(overdue_invoices(d, day))
        late = late_in_kind(d, deadlines.get(d.order, 0), day)
        if late is not None:
            found.append(late)
    return sorted(found, key=lambda o: (-o.days_overdue, o.order, o.document))


def overdue_invoices(d: OrderDebts, day: date) -> list[OverdueOut]:
    """The invoices of an order past their due date on ``day`` with something unpaid."""
    return [
        OverdueOut(
            kind=INVOICE_PAST_DUE,
            order=d.order,
            document=i.number,
            creditor=d.supplier,
            debtor=d.requester,
            currency=d.currency,
            amount=i.unpaid,
            due=i.due,
            days_overdue=(day - i.due).days,
        )
        for i in d.invoices
        if i.unpaid > 0 and day > i.due
    ]


def late_in_kind(d: OrderDebts, days: int, day: date) -> OverdueOut | None:
    """In-kind debt of an order past its replacement deadline on ``day`` (the deadline day
    itself is still in time), counted from the earliest receipt it comes from."""
    late = [t for t in d.awaiting() if day > replacement_deadline(t.day, days)]
    if not late:
        return None
    first = late[0]
    due = replacement_deadline(first.day, days)
    return OverdueOut(
        kind=REPLACEMENT_PAST_DEADLINE,
        order=d.order,
        document=first.document,
        creditor=d.supplier,
        debtor=d.requester,
        currency=d.currency,
        amount=_total(late),
        due=due,
        days_overdue=(day - due).days,
    )


# --- running balances against postings ---------------------------------------------------------


def verify(uow: UnitOfWork, nation: str | None = None) -> VerifyOut:
    """Compare every running balance with a recompute from postings, and check that every
    book sums to zero per currency; with ``nation``, that nation's book only (None: all)."""
    book = party_code(nation, "nation")
    with uow:
        running = _keyed(uow.ledger.running_balances(book))
        recomputed = _keyed(uow.ledger.balances_from_postings(book))
    differences = [
        BalanceDifferenceOut(
            book=key[0],
            partner=key[1],
            account=key[2].value,
            currency=key[3],
            running=running.get(key, ZERO),
            recomputed=recomputed.get(key, ZERO),
        )
        for key in sorted(set(running) | set(recomputed))
        if running.get(key, ZERO) != recomputed.get(key, ZERO)
    ]
    totals: dict[tuple[str, str], Decimal] = defaultdict(Decimal)
    for (book, _partner, _account, currency), amount in recomputed.items():
        totals[(book, currency)] += amount
    unbalanced = [
        UnbalancedBookOut(book=book, currency=currency, total=total)
        for (book, currency), total in sorted(totals.items())
        if total != 0
    ]
    return VerifyOut(
        ok=not differences and not unbalanced,
        balances=len(running),
        differences=differences,
        unbalanced=unbalanced,
    )


def _keyed(
    rows: Iterable[tuple[str, str, Account, Money]],
) -> dict[tuple[str, str, Account, str], Decimal]:
    return {(b, p, a, m.currency): m.amount for b, p, a, m in rows}


def recompute_matches(uow: UnitOfWork) -> bool:
    """True when every running balance equals the recompute from postings and every book
    sums to zero per currency."""
    return verify(uow).ok


def require_verified(result: VerifyOut) -> None:
    """Refuse (one violation per difference) unless the books verified."""
    if result.ok:
        return
    violations = [
        Violation(
            Code.LEDGER_MISMATCH,
            "ledger_balances",
            f"running balance of {d.book}'s {d.account} with {d.partner} is {d.running} "
            f"{d.currency}; its postings sum to {d.recomputed} {d.currency}",
        )
        for d in result.differences
    ]
    violations.extend(
        Violation(
            Code.LEDGER_MISMATCH,
            "ledger_postings",
            f"{u.book}'s book does not balance in {u.currency}: its postings sum to {u.total}",
        )
        for u in result.unbalanced
    )
    raise AcsaError(violations)
