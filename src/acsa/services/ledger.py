"""The books as people read them: where each nation stands with each partner, statements of
account, aging of open debts, what is overdue, and the check of the books: running balances
equal a recompute from postings, and every order's records keep the money rules.

Balances and statements come from postings (the running balances are kept with them in the
same transaction). Aging and overdue debts come from each order's account
(``acsa.domain.account``): what is settled or invoiced is applied to the oldest receipts first.
"""

from __future__ import annotations

import re
from collections import defaultdict
from collections.abc import Callable, Iterable, Mapping, Sequence
from datetime import date, datetime, timedelta
from decimal import Decimal
from functools import cache
from typing import Any, NamedTuple

import pycountry
from sqlalchemy import Select

from acsa.adapters.db.ledger_queries import STATES_WITH_RECEIPTS, LedgerQueries
from acsa.clock import today
from acsa.domain.account import AccountHead, OrderAccount, Terms
from acsa.domain.agreement import Agreement
from acsa.domain.errors import AcsaError, Code, Violation
from acsa.domain.ledger import (
    Account,
    EntryKind,
    Position,
    Stamp,
    conversion_entries,
    credit_note_entries,
    in_kind_entries,
    payment_entries,
    position,
)
from acsa.domain.limits import ID_MAX, page_violations
from acsa.domain.messages import Term, t
from acsa.domain.money import Money, from_minor, is_known_currency, minor_units
from acsa.domain.order import OrderStatus
from acsa.schemas.ledger import (
    AgingOut,
    BalanceDifferenceOut,
    BreachOut,
    MonthDifferenceOut,
    OverdueOut,
    PositionOut,
    StatementOut,
    UnbalancedBookOut,
    VerifyOut,
)
from acsa.schemas.messages import message_fields
from acsa.services.ports import SqlUnitOfWork, UnitOfWork

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
            Code.UNKNOWN_PARTY,
            field,
            "{name} {value} is not an ISO 3166-1 alpha-3 code",
            name=field,
            value=repr(value),
        )
    return code


def currency_code(value: str | None, field: str = "currency") -> str | None:
    """An ISO 4217 code as given by a person (any case), or None when not given."""
    if value is None or not value.strip():
        return None
    code = value.strip().upper()
    if not is_known_currency(code):
        raise AcsaError.single(
            Code.UNKNOWN_CURRENCY,
            field,
            "{name} {value} is not an ISO 4217 currency code",
            name=field,
            value=repr(value),
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


#: Lines of a statement page when none is asked for (the CLI, the API and the page); the
#: largest a page may be is ``acsa.domain.limits.PAGE_LIMIT_MAX``.
STATEMENT_PAGE = 200
#: A statement page's cursor: the day and entry of the last line of the page before.
_CURSOR = re.compile(r"([0-9]{4}-[0-9]{2}-[0-9]{2}):([1-9][0-9]{0,9})")
#: (sum, debits, credits) in minor units, per currency.
Sums = dict[str, tuple[int, int, int]]


def statement(
    uow: SqlUnitOfWork,
    nation: str,
    partner: str,
    start: date,
    end: date,
    currency: str | None = None,
    limit: int | None = None,
    after: str | None = None,
) -> list[StatementOut]:
    """A statement of account of ``nation``'s book with ``partner``, one per currency: what
    the partner owes the nation net (cash and in kind, less what the nation owes it) at the end
    of the day before ``start``, the entries from ``start`` to ``end`` with their order and
    document, debit and credit and the balance after each, the period's debits and credits,
    and the closing balance.

    Paged when ``limit`` is given: at most ``limit`` entries (1 to PAGE_LIMIT_MAX) after the
    cursor ``after`` (the ``next`` of the page before: ``day:entry``), in (day, entry) order;
    the balances carry on from the cursor. The opening, totals and closing are the period's
    on every page, read from the period balances (a row per month) and the postings of the
    partial months at the edges, so they cost the same whatever the history."""
    book = party_code(nation, "nation")
    other = party_code(partner, "partner")
    if book is None or other is None:
        field = "nation" if book is None else "partner"
        raise AcsaError.single(Code.MISSING_FIELD, field, "a statement needs a {name}", name=field)
    if start > end:
        raise AcsaError.single(
            Code.INVALID_DATE,
            "start",
            "the period starts ({start}) after it ends ({end})",
            start=start,
            end=end,
        )
    wanted = currency_code(currency)
    violations = page_violations(limit, 0)
    if violations:
        raise AcsaError(violations)
    cursor = statement_cursor(after, start, end)
    with uow:
        queries = LedgerQueries(uow.connection)
        opening = _range_sums(queries, book, other, wanted, None, start)
        period = _range_sums(queries, book, other, wanted, start, _day_after(end))
        carried = {c: sums[0] for c, sums in opening.items()}
        if cursor is not None:
            before = _range_sums(queries, book, other, wanted, start, cursor[0])
            through = queries.debt_sums(book, other, wanted, through=cursor)
            for sums in (before, through):
                for c, (amount, _debits, _credits) in sums.items():
                    carried[c] = carried.get(c, 0) + amount
        following: str | None = None
        if limit is None:
            rows = queries.debt_movements(book, other, start, end, wanted, cursor)
        else:
            heads = queries.statement_entries(book, other, start, end, wanted, cursor, limit + 1)
            if len(heads) > limit:
                heads = heads[:limit]
                following = f"{heads[-1].effective.isoformat()}:{heads[-1].id}"
            ids = [h.id for h in heads]
            rows = queries.entry_movements(ids, wanted) if ids else []
    lines = _statement_lines(rows, carried, wanted)
    for c in period:
        lines.setdefault(c, _Lines(c, carried.get(c, 0)))
    shown = [
        c
        for c, found in lines.items()
        if opening.get(c, (0,))[0] or any(period.get(c, (0, 0, 0))) or found.pending or c == wanted
    ]
    page = _Page(limit, after, following)
    made = [
        _statement_out(book, other, c, start, end, lines[c], opening, period, page)
        for c in sorted(shown)
    ]
    return _with_disputed(uow, book, other, end, made)


def _with_disputed(
    uow: SqlUnitOfWork, book: str, other: str, end: date, made: list[StatementOut]
) -> list[StatementOut]:
    """The statements with what disputes open at their end hold, per currency, shown apart."""
    from acsa.services.disputes import open_between

    with uow:
        disputed = open_between(uow.connection, book, other, end)
    for out in made:
        out.disputed = disputed.get(out.currency, Decimal(0))
    return made


def statement_cursor(value: str | None, start: date, end: date) -> tuple[date, int] | None:
    """(day, entry) of a statement cursor as ``next`` gives it (``2024-03-01:1234``), or None
    when not given; refused (INVALID_FIELD, ``after``) unless it names a day of the period and
    an entry id."""
    if value is None or not value.strip():
        return None
    found = _CURSOR.fullmatch(value.strip())
    day: date | None = None
    if found is not None:
        try:
            day = date.fromisoformat(found.group(1))
        except ValueError:
            day = None
    if found is None or day is None or not start <= day <= end or int(found.group(2)) > ID_MAX:
        raise AcsaError.single(
            Code.INVALID_FIELD,
            "after",
            "after {value} is not a cursor of this statement (a day of the period and an "
            "entry, as the page before gives it in next: 2024-03-01:1234)",
            value=repr(value[:40]),
        )
    return day, int(found.group(2))


def _day_after(day: date) -> date:
    return day + timedelta(days=1) if day < date.max else day


def _month_after(day: date) -> date:
    return (day.replace(day=28) + timedelta(days=4)).replace(day=1)


def _add(*parts: Sums, minus: Sequence[Sums] = ()) -> Sums:
    total: dict[str, list[int]] = defaultdict(lambda: [0, 0, 0])
    for sign, group in ((1, parts), (-1, minus)):
        for part in group:
            for c, figures in part.items():
                for i, x in enumerate(figures):
                    total[c][i] += sign * x
    return {c: (x[0], x[1], x[2]) for c, x in total.items()}


def _range_sums(
    queries: LedgerQueries,
    book: str,
    partner: str,
    currency: str | None,
    first: date | None,
    before: date,
) -> Sums:
    """(sum, debits, credits) per currency of the debt accounts' postings with ``first <=
    effective < before`` (``first`` None: from the beginning): the whole months from the
    period balances, the days of the months at either edge from postings."""
    high = before.replace(day=1)
    if first is None:
        parts = [queries.debt_months(book, partner, currency, None, high)]
    else:
        low = first if first.day == 1 else _month_after(first)
        if low > high:  # both ends in one month
            return (
                _partial(queries, book, partner, currency, first, before) if first < before else {}
            )
        parts = [queries.debt_months(book, partner, currency, low, high)] if low < high else []
        if first < low:
            parts.append(_partial(queries, book, partner, currency, first, low))
    if high < before:
        parts.append(_partial(queries, book, partner, currency, high, before))
    return _add(*parts)


def _partial(
    queries: LedgerQueries, book: str, partner: str, currency: str | None, first: date, before: date
) -> Sums:
    """Days ``first`` to before ``before`` within one month (``before`` at most the next
    month's first day): summed from postings, or, when they are more than half the month, as
    the month's period balance less the postings of the other days."""
    month = first.replace(day=1)
    following = _month_after(month)
    if 2 * (before - first).days <= (following - month).days:
        return queries.debt_sums(book, partner, currency, after=first, before=before)
    whole = queries.debt_months(book, partner, currency, month, following)
    others = [
        queries.debt_sums(book, partner, currency, after=a, before=b)
        for a, b in ((month, first), (before, following))
        if a < b
    ]
    return _add(whole, minus=others)


class _Lines:
    """Statement lines of one currency, built in one pass over the period's postings: the
    postings of an entry are summed into one line (debits and credits on the debt accounts),
    and each finished line carries the balance after it (from ``carried``: the balance before
    the first line)."""

    def __init__(self, currency: str, carried: int) -> None:
        self.amount = _decimals(currency)
        self.balance = carried
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
    rows: Iterable[Sequence[Any]], carried: dict[str, int], wanted: str | None
) -> dict[str, _Lines]:
    """Lines per currency, with the currencies of the balance carried in (or the one wanted)
    even when nothing moved. Rows are read as tuples: by name costs more than the query."""
    found: dict[str, _Lines] = {c: _Lines(c, m) for c, m in carried.items()}
    if wanted and wanted not in found:
        found[wanted] = _Lines(wanted, 0)
    for row in rows:
        currency = row[2]
        lines = found.get(currency)
        if lines is None:
            lines = found[currency] = _Lines(currency, 0)
        lines.add(row)
    return found


class _Page(NamedTuple):
    limit: int | None
    after: str | None
    next: str | None


def _decimals(currency: str) -> Callable[[int], Decimal]:
    """Minor units to a decimal amount, for many amounts of one currency."""
    digits = minor_units(currency)
    zero = from_minor(0, currency)

    def convert(units: int) -> Decimal:
        return Decimal(units).scaleb(-digits) if units else zero

    return convert


def _statement_out(
    book: str,
    partner: str,
    currency: str,
    start: date,
    end: date,
    lines: _Lines,
    opening: Sums,
    period: Sums,
    page: _Page,
) -> StatementOut:
    lines.finish()
    opened = opening.get(currency, (0, 0, 0))[0]
    moved, debits, credits = period.get(currency, (0, 0, 0))
    # Plain dicts validated as one list: several times faster than a model per line.
    return StatementOut.model_validate(
        {
            "nation": book,
            "partner": partner,
            "currency": currency,
            "start": start,
            "end": end,
            "opening": lines.amount(opened),
            "closing": lines.amount(opened + moved),
            "debits": lines.amount(debits),
            "credits": lines.amount(credits),
            "lines": lines.lines,
            "limit": page.limit,
            "after": page.after,
            "next": page.next,
        }
    )


# --- what each order owes ----------------------------------------------------------------------


def order_debts(
    uow: UnitOfWork,
    nation: str | None = None,
    partner: str | None = None,
    as_of: date | None = None,
) -> list[OrderAccount]:
    """The accounts of orders that have received something, between ``nation`` and
    ``partner``, with what was recorded on them by ``as_of`` (everything when None). Call
    inside ``with uow``.

    Without ``as_of`` closed orders are left out: closing requires nothing to be owed."""
    states = list(STATES_WITH_RECEIPTS)
    if as_of is not None:
        states.append(OrderStatus.CLOSED.value)
    return uow.order_accounts.load_of(nation, partner, states, terms_reader(uow), as_of)


def terms_reader(uow: UnitOfWork) -> Callable[[AccountHead], Terms]:
    """Terms of each order's governing agreement text, each agreement read once. Call inside
    ``with uow``."""
    agreements: dict[str, Agreement] = {}

    def terms(head: AccountHead) -> Terms:
        if head.agreement_id not in agreements:
            found = uow.agreements.get(head.agreement_id)
            assert found is not None, "an order's agreement exists (foreign key)"
            agreements[head.agreement_id] = found
        assert head.order_date is not None
        version = agreements[head.agreement_id].version_on(head.order_date)
        term = version.payment_term_days
        if head.arrangement is not None:
            # The implementing arrangement the order names sets the payment term.
            from acsa.services.arrangements import payment_term

            term = payment_term(uow, head.agreement_id, head.arrangement, term)
        return Terms(version.replacement_deadline_days, term)

    return terms


# --- aging -------------------------------------------------------------------------------------


def _open_parts(d: OrderAccount) -> list[tuple[str, date, Decimal]]:
    """(part, the day it ages from, amount) of everything an order still owes."""
    parts = [(INVOICED, i.issued, i.unpaid) for i in d.invoices if i.unpaid > 0]
    parts.extend((UNINVOICED, t.day, t.value) for t in d.uninvoiced_tranches())
    parts.extend((IN_KIND, t.day, t.value) for t in d.awaiting_tranches())
    return parts


def _views(d: OrderAccount, nation: str | None, partner: str | None) -> list[tuple[str, str, str]]:
    """(nation, partner, direction) of the books that see an order's debts, as filtered."""
    h = d.head
    views = [(h.supplier, h.requester, OWED_TO_US), (h.requester, h.supplier, OWED_BY_US)]
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
    found: list[OverdueOut] = []
    for d in debts:
        found.extend(overdue_invoices(d, day))
        late = late_in_kind(d, day)
        if late is not None:
            found.append(late)
    return sorted(found, key=lambda o: (-o.days_overdue, o.order, o.document))


def overdue_invoices(d: OrderAccount, day: date) -> list[OverdueOut]:
    """The invoices of an order past their due date on ``day`` with something unpaid."""
    return [
        OverdueOut(
            kind=INVOICE_PAST_DUE,
            order=d.head.order,
            document=i.number,
            creditor=d.head.supplier,
            debtor=d.head.requester,
            currency=d.currency,
            amount=i.unpaid,
            due=i.due,
            days_overdue=(day - i.due).days,
        )
        for i in d.invoices
        if i.status(day) == "overdue"
    ]


def late_in_kind(d: OrderAccount, day: date) -> OverdueOut | None:
    """In-kind debt of an order past its replacement deadline on ``day`` (the deadline day
    itself is still in time), counted from the earliest receipt it comes from."""
    late = [t for t in d.awaiting_tranches() if day > d.deadline_of(t)]
    if not late:
        return None
    first = late[0]
    due = d.deadline_of(first)
    return OverdueOut(
        kind=REPLACEMENT_PAST_DEADLINE,
        order=d.head.order,
        document=first.document,
        creditor=d.head.supplier,
        debtor=d.head.requester,
        currency=d.currency,
        amount=sum((t.value for t in late), ZERO),
        due=due,
        days_overdue=(day - due).days,
    )


# --- running balances against postings, and the records against the money rules ---------------

#: Orders whose records are checked per round of queries, so that memory stays flat.
VERIFY_CHUNK = 1000
#: What each kind of ledger entry a settlement record posts is called, in the breaches.
SETTLING_KINDS: dict[EntryKind, str] = {
    EntryKind.PAYMENT: "payments",
    EntryKind.REPLACEMENT: "replacements in kind",
    EntryKind.EXCHANGE: "equal value exchanges",
    EntryKind.CONVERSION: "conversions to cash",
    EntryKind.CREDIT_NOTE: "credit notes",
}
#: Postings per (account, currency), as summed.
Postings = dict[tuple[str, str], Decimal]


def verify(uow: SqlUnitOfWork, nation: str | None = None) -> VerifyOut:
    """Compare every running balance and every period balance (a month of an account: its
    sum, debits and credits) with a recompute from postings, check that every book
    sums to zero per currency, and check every order's stored records (in every state, closed
    included): against the money rules (:meth:`OrderAccount.breaches`: nothing invoiced beyond
    what is owed in cash, paid beyond an invoice, settled in kind beyond what was received,
    no conversion other than what was past its deadline, nothing owed below zero) and against
    the postings of the supplier's book, per kind (RECORDS_UNPOSTED). With ``nation``, that
    nation's book and the orders it is party to only (None: all)."""
    book = party_code(nation, "nation")
    with uow:
        running = _keyed(uow.ledger.running_balances(book))
        recomputed = _keyed(uow.ledger.balances_from_postings(book))
        queries = LedgerQueries(uow.connection)
        kept_months = queries.period_balances(book)
        months = _month_differences(kept_months, queries.period_balances_from_postings(book))
        orders, breaches = _record_breaches(uow, book)
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
        ok=not differences and not unbalanced and not breaches and not months,
        balances=len(running),
        differences=differences,
        unbalanced=unbalanced,
        orders=orders,
        breaches=breaches,
        months=len(kept_months),
        month_differences=months,
    )


def _month_differences(
    kept: Mapping[tuple[str, str, date, str, str], tuple[int, int, int]],
    recomputed: Mapping[tuple[str, str, date, str, str], tuple[int, int, int]],
) -> list[MonthDifferenceOut]:
    """The period balances (sum, debits, credits of a month) that differ from a recompute."""
    none = (0, 0, 0)
    found = []
    for key in sorted(set(kept) | set(recomputed)):
        have, want = kept.get(key, none), recomputed.get(key, none)
        if have == want:
            continue
        book, partner, month, account, currency = key
        amount = _decimals(currency)
        found.append(
            MonthDifferenceOut(
                book=book,
                partner=partner,
                account=account,
                currency=currency,
                month=month,
                kept=amount(have[0]),
                recomputed=amount(want[0]),
                kept_debits=amount(have[1]),
                recomputed_debits=amount(want[1]),
                kept_credits=amount(have[2]),
                recomputed_credits=amount(want[2]),
            )
        )
    return found


def _keyed(
    rows: Iterable[tuple[str, str, Account, Money]],
) -> dict[tuple[str, str, Account, str], Decimal]:
    return {(b, p, a, m.currency): m.amount for b, p, a, m in rows}


def _record_breaches(uow: SqlUnitOfWork, nation: str | None) -> tuple[int, list[BreachOut]]:
    """How many orders were checked (those ``nation`` is party to; None: all), and where their
    records break a money rule or differ from their postings, by order. Call inside ``with
    uow``."""
    queries = LedgerQueries(uow.connection)
    scope = LedgerQueries.order_scope(nation, None, [status.value for status in OrderStatus])
    ids = queries.order_ids(scope)
    terms = terms_reader(uow)
    found: list[BreachOut] = []
    for start in range(0, len(ids), VERIFY_CHUNK):
        chunk = ids[start : start + VERIFY_CHUNK]
        part = LedgerQueries.within(scope, chunk[0], chunk[-1])
        posted = _posted(queries, part)
        accounts = uow.order_accounts.load_ids(chunk, terms, with_lines=True)
        for account in accounts:
            n = account.head.order
            violations = [*account.breaches(), *unposted(account, posted.get(n, {}))]
            found.extend(
                BreachOut(order=n, code=v.code.value, **message_fields(v.template, v.params))
                for v in violations
            )
    return len(ids), found


def _posted(
    queries: LedgerQueries, scope: Select[tuple[int]]
) -> dict[int, dict[EntryKind, Postings]]:
    """What the supplier's book posted for each order in ``scope`` on entries of the kinds a
    settlement record posts, per kind and (account, currency)."""
    found: dict[int, dict[EntryKind, Postings]] = defaultdict(lambda: defaultdict(dict))
    for row in queries.supplier_postings(scope, [k.value for k in SETTLING_KINDS]):
        amount = from_minor(int(row.minor), row.currency)
        found[row.order_id][EntryKind(row.kind)][(row.account, row.currency)] = amount
    return found


def unposted(account: OrderAccount, posted: Mapping[EntryKind, Postings]) -> list[Violation]:
    """RECORDS_UNPOSTED for each kind of settlement record (payments, replacements, exchanges,
    conversions) whose total on ``account`` differs from what the supplier's book posted for
    it (``posted``, per kind): the records of a kind must post exactly the postings the
    domain makes for their total, nothing more, nothing less."""
    head, cur = account.head, account.currency
    found: list[Violation] = []
    for kind, recorded in _recorded(account).items():
        unit = _unit_postings(kind, cur)
        actual = _nonzero(posted.get(kind, {}))
        if actual == _scaled(unit, recorded):
            continue
        debit = next(key for key, amount in unit.items() if amount > 0)
        shown = actual.get(debit, ZERO)
        params: dict[str, object] = {
            "order": head.order,
            "records": Term(SETTLING_KINDS[kind]),
            "recorded": Money(recorded, cur),
            "supplier": head.supplier,
            "posted": Money(shown, cur),
        }
        template = t(
            "order {order}: {records} recorded {recorded}, but {supplier}'s book posted "
            "{posted} for them"
        )
        if actual != _scaled(unit, shown):
            template = t(
                "order {order}: {records} recorded {recorded}, but {supplier}'s book posted "
                "{posted} for them (postings: {postings})"
            )
            params["postings"] = ", ".join(f"{a} {m:+} {c}" for (a, c), m in sorted(actual.items()))
        found.append(
            Violation(Code.RECORDS_UNPOSTED, f"order {head.order}", template, params=params)
        )
    return found


def _recorded(account: OrderAccount) -> dict[EntryKind, Decimal]:
    """The total of each kind of settlement record on ``account``."""
    return {
        EntryKind.PAYMENT: account.paid,
        EntryKind.REPLACEMENT: sum((r.value for r in account.replacements), ZERO),
        EntryKind.EXCHANGE: sum((x.value for x in account.exchanges), ZERO),
        EntryKind.CONVERSION: account.converted,
        EntryKind.CREDIT_NOTE: account.credited,
    }


@cache
def _unit_postings(kind: EntryKind, currency: str) -> Postings:
    """The postings of the creditor's book (the supplier's) for one unit of ``currency``
    settled by ``kind``, as the domain makes them."""
    one, stamp = Money(Decimal(1), currency), Stamp(date.min, datetime.min, "", "")
    creditor, debtor = "AAA", "BBB"
    if kind is EntryKind.PAYMENT:
        entries = payment_entries(creditor, debtor, one, stamp)
    elif kind is EntryKind.CONVERSION:
        entries = conversion_entries(creditor, debtor, one, stamp)
    elif kind is EntryKind.CREDIT_NOTE:
        entries = credit_note_entries(creditor, debtor, one, stamp)
    else:
        entries = in_kind_entries(creditor, debtor, one, kind, stamp)
    [entry] = [e for e in entries if e.book == creditor]
    return {(p.account.value, currency): p.amount.amount for p in entry.postings}


def _scaled(unit: Postings, amount: Decimal) -> Postings:
    return _nonzero({key: one * amount for key, one in unit.items()})


def _nonzero(postings: Mapping[tuple[str, str], Decimal]) -> Postings:
    return {key: amount for key, amount in postings.items() if amount != 0}


def recompute_matches(uow: SqlUnitOfWork) -> bool:
    """True when every running and period balance equals the recompute from postings, every
    book sums to zero per currency and every order's records keep the money rules and match
    their postings."""
    return verify(uow).ok


def require_verified(result: VerifyOut) -> None:
    """Refuse (one violation per difference, unbalanced book and breach) unless the books
    verified."""
    if result.ok:
        return
    violations = [
        Violation(
            Code.LEDGER_MISMATCH,
            "ledger_balances",
            "running balance of {book}'s {account} with {partner} is {running}; its postings "
            "sum to {recomputed}",
            params={
                "book": d.book,
                "account": d.account,
                "partner": d.partner,
                "running": Money(d.running, d.currency),
                "recomputed": Money(d.recomputed, d.currency),
            },
        )
        for d in result.differences
    ]
    violations.extend(
        Violation(
            Code.LEDGER_MISMATCH,
            "ledger_postings",
            "{book}'s book does not balance in {currency}: its postings sum to {total}",
            params={"book": u.book, "currency": u.currency, "total": Money(u.total, u.currency)},
        )
        for u in result.unbalanced
    )
    violations.extend(
        Violation(
            Code.LEDGER_MISMATCH,
            "ledger_months",
            "period balance of {book}'s {account} with {partner} for {month} is {kept} "
            "(debits {kept_debits}, credits {kept_credits}); its postings sum to {recomputed} "
            "(debits {recomputed_debits}, credits {recomputed_credits})",
            params={
                "book": m.book,
                "account": m.account,
                "partner": m.partner,
                "month": m.month,
                **{
                    name: Money(getattr(m, name), m.currency)
                    for name in (
                        "kept",
                        "kept_debits",
                        "kept_credits",
                        "recomputed",
                        "recomputed_debits",
                        "recomputed_credits",
                    )
                },
            },
        )
        for m in result.month_differences
    )
    violations.extend(
        Violation(
            _breach_code(b.code), f"order {b.order}", b.message_id or b.message, None, b.params
        )
        for b in result.breaches
    )

    raise AcsaError(violations)


def _breach_code(value: str) -> Code:
    """A breach's code (one a newer server names and this client does not know: as a
    mismatch)."""
    try:
        return Code(value)
    except ValueError:
        return Code.LEDGER_MISMATCH
