"""A nation's general ledger: how acsa's accounts map to its own ledger codes, and the journal
its accounting system imports.

A rule maps an acsa account (``acsa.domain.ledger.Account``), for one partner or any (``*``)
and one currency or any (``*``), to a general-ledger code (``1310-AUS``) and, optionally, a
fund citation. For a posting the most specific rule wins: account, partner and currency;
then account and partner; then account and currency; then the account alone.

A journal line is one posting of an entry with its rule applied. Its id, ``<book>-<entry>-<seq>``,
is the same on every export, so an importer can drop what it has seen. Debits and credits are
written as non-negative amounts of the currency's exponent; every entry balances per currency.
An export with a posting no rule maps is refused (GL_MAPPING_MISSING, naming the account,
partner and currency), whole.
"""

from __future__ import annotations

import re
from collections import defaultdict
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import date
from decimal import Decimal

from acsa.domain import limits
from acsa.domain.errors import AcsaError, Code, Violation
from acsa.domain.ledger import Account, Entry
from acsa.domain.money import is_known_currency, quantum

#: Any partner, or any currency, in a rule.
ANY = "*"
#: A general-ledger code: letters, digits and ``-._/:`` (what ledgers' charts of accounts use).
_GL_CODE = re.compile(r"[A-Za-z0-9][A-Za-z0-9\-._/:]*")
_NATION = re.compile(r"[A-Z]{3}")
ZERO = Decimal(0)


@dataclass(frozen=True, slots=True)
class GlRule:
    """``account`` with ``partner`` (or ANY) in ``currency`` (or ANY) is ``gl_code``."""

    account: Account
    partner: str
    currency: str
    gl_code: str
    fund_citation: str | None = None

    @property
    def key(self) -> tuple[str, str, str]:
        return (self.account.value, self.partner, self.currency)

    @property
    def rank(self) -> int:
        """How specific the rule is: 3 for account+partner+currency, 2 account+partner, 1
        account+currency, 0 the account alone."""
        return (2 if self.partner != ANY else 0) + (1 if self.currency != ANY else 0)


def parse_account(field: str, value: str) -> Account:
    text = value.strip().lower()
    try:
        return Account(text)
    except ValueError:
        options = tuple(a.value for a in Account)
        raise AcsaError([limits.choice_violation(field, text, options) or _never()]) from None


def _never() -> Violation:
    raise AssertionError("a value not among the options")


def _partner(field: str, value: str | None) -> str:
    text = (value or "").strip().upper() or ANY
    if text != ANY and not _NATION.fullmatch(text):
        raise AcsaError.single(
            Code.INVALID_FIELD,
            field,
            "{name} {value} is neither {any} nor an ISO 3166-1 alpha-3 code",
            name=field,
            value=repr(text[:40]),
            any=ANY,
        )
    return text


def _currency(field: str, value: str | None) -> str:
    text = (value or "").strip().upper() or ANY
    if text != ANY and not is_known_currency(text):
        raise AcsaError.single(
            Code.UNKNOWN_CURRENCY,
            field,
            "{name} {value} is neither {any} nor an ISO 4217 currency code",
            name=field,
            value=repr(text[:40]),
            any=ANY,
        )
    return text


def gl_rule(
    account: str,
    partner: str | None,
    currency: str | None,
    gl_code: str,
    fund_citation: str | None = None,
) -> GlRule:
    """A rule as a person or a file gives it (blank partner or currency: any), or every reason
    it cannot be one (INVALID_FIELD naming the field and its bound)."""
    violations: list[Violation] = []
    found_account: Account | None = None
    try:
        found_account = parse_account("account", account)
    except AcsaError as error:
        violations.extend(error.violations)
    found: dict[str, str] = {}
    for name, check, value in (("partner", _partner, partner), ("currency", _currency, currency)):
        try:
            found[name] = check(name, value)
        except AcsaError as error:
            violations.extend(error.violations)
    code = gl_code.strip()
    bad = limits.text_violation("gl_code", code, bound=limits.GL_CODE_CHARS_MAX)
    if bad is not None:
        violations.append(bad)
    elif not _GL_CODE.fullmatch(code):
        violations.append(
            Violation(
                Code.INVALID_FIELD,
                "gl_code",
                "{field} {value} must start with a letter or digit and hold only letters, "
                "digits and - . _ / :",
                params={"field": "gl_code", "value": repr(code[:40])},
            )
        )
    fund = (fund_citation or "").strip() or None
    if fund is not None:
        bad = limits.text_violation("fund_citation", fund)
        if bad is not None:
            violations.append(bad)
    if violations:
        raise AcsaError(violations)
    assert found_account is not None
    return GlRule(found_account, found["partner"], found["currency"], code, fund)


def check_rule_count(count: int) -> None:
    """Refuse a mapping of more than GL_RULES_MAX rules."""
    limits.check_count("rules", count, limits.GL_RULES_MAX)


def resolve(
    rules: Iterable[GlRule], account: Account, partner: str, currency: str
) -> GlRule | None:
    """The most specific rule for ``account`` with ``partner`` in ``currency``, or None."""
    best: GlRule | None = None
    for rule in rules:
        if rule.account is not account:
            continue
        if rule.partner not in (ANY, partner) or rule.currency not in (ANY, currency):
            continue
        if best is None or rule.rank > best.rank:
            best = rule
    return best


@dataclass(frozen=True, slots=True)
class JournalLine:
    """One posting of an entry in the nation's general ledger."""

    line_id: str
    entry_id: int
    seq: int
    effective: date
    kind: str
    document: str
    order_id: int | None
    partner: str
    account: str
    gl_code: str
    fund_citation: str | None
    currency: str
    debit: Decimal
    credit: Decimal
    memo: str

    @property
    def amount(self) -> Decimal:
        """Debit positive, credit negative."""
        return self.debit - self.credit


def line_id(book: str, entry_id: int, seq: int) -> str:
    """The stable id of a posting: the same on every export."""
    return f"{book}-{entry_id}-{seq}"


def missing(book: str, account: str, partner: str, currency: str) -> Violation:
    return Violation(
        Code.GL_MAPPING_MISSING,
        "gl_map",
        "{book} maps no general-ledger code for {account} with {partner} in {currency}; add "
        "a rule (acsa ledger gl-map set) and export again",
        params={"book": book, "account": account, "partner": partner, "currency": currency},
    )


def nothing(currency: str) -> Decimal:
    """Zero written to ``currency``'s exponent (``0.00`` AUD, ``0`` JPY)."""
    return quantum(currency) * 0


def journal_lines(
    book: str, entries: Sequence[Entry], rules: Sequence[GlRule]
) -> list[JournalLine]:
    """The lines of ``entries`` of ``book`` with ``rules`` applied, by day, entry and posting;
    GL_MAPPING_MISSING for each (account, partner, currency) no rule maps, and no line at all."""
    lines: list[JournalLine] = []
    unmapped: dict[tuple[str, str, str], None] = {}
    for entry in sorted(entries, key=lambda e: (e.effective, e.id or 0)):
        assert entry.id is not None, "an exported entry is stored"
        for seq, posting in enumerate(entry.postings, start=1):
            money = posting.amount
            nil = nothing(money.currency)
            rule = resolve(rules, posting.account, entry.partner, money.currency)
            if rule is None:
                unmapped[(posting.account.value, entry.partner, money.currency)] = None
                continue
            lines.append(
                JournalLine(
                    line_id=line_id(book, entry.id, seq),
                    entry_id=entry.id,
                    seq=seq,
                    effective=entry.effective,
                    kind=entry.kind.value,
                    document=entry.document,
                    order_id=entry.order_id,
                    partner=entry.partner,
                    account=posting.account.value,
                    gl_code=rule.gl_code,
                    fund_citation=rule.fund_citation,
                    currency=money.currency,
                    debit=max(money.amount, nil),
                    credit=max(-money.amount, nil),
                    memo=entry.memo,
                )
            )
    if unmapped:
        raise AcsaError([missing(book, *key) for key in sorted(unmapped)])
    return lines


def totals_by_gl(lines: Iterable[JournalLine]) -> dict[tuple[str, str], tuple[Decimal, Decimal]]:
    """(debits, credits) per (gl_code, currency)."""
    found: dict[tuple[str, str], tuple[Decimal, Decimal]] = {}
    for line in lines:
        key = (line.gl_code, line.currency)
        debit, credit = found.get(key, (nothing(line.currency), nothing(line.currency)))
        found[key] = (debit + line.debit, credit + line.credit)
    return dict(sorted(found.items()))


def totals_by_account(lines: Iterable[JournalLine]) -> dict[tuple[str, str, str], Decimal]:
    """The movement (debits less credits) per (partner, account, currency)."""
    found: dict[tuple[str, str, str], Decimal] = {}
    for line in lines:
        key = (line.partner, line.account, line.currency)
        found[key] = found.get(key, nothing(line.currency)) + line.amount
    return dict(sorted(found.items()))


def unbalanced(lines: Iterable[JournalLine]) -> list[tuple[int, str, Decimal]]:
    """(entry, currency, debits less credits) of each entry that does not balance: none, ever,
    for lines made from entries (each entry balances); a check for files read back."""
    sums: dict[tuple[int, str], Decimal] = defaultdict(Decimal)
    for line in lines:
        sums[(line.entry_id, line.currency)] += line.amount
    return [(entry, currency, total) for (entry, currency), total in sums.items() if total != 0]


@dataclass(frozen=True, slots=True)
class Reconciled:
    """One acsa account of the book with a partner in a currency: its balance before the
    export's period (``opening``), what the export moves it by, and its balance at the end of
    the period as ``ledger balance --as-of`` computes it (``closing``)."""

    partner: str
    account: str
    currency: str
    opening: Decimal
    movement: Decimal
    closing: Decimal

    @property
    def ok(self) -> bool:
        return self.opening + self.movement == self.closing


def reconcile(
    opening: Mapping[tuple[str, str, str], Decimal],
    movements: Mapping[tuple[str, str, str], Decimal],
    closing: Mapping[tuple[str, str, str], Decimal],
) -> list[Reconciled]:
    """Per (partner, account, currency): opening + movement against closing."""
    keys = sorted(set(opening) | set(movements) | set(closing))
    return [
        Reconciled(
            *key,
            opening=opening.get(key, ZERO),
            movement=movements.get(key, ZERO),
            closing=closing.get(key, ZERO),
        )
        for key in keys
    ]


def contiguous(entries: Sequence[Entry], until: date, most: int) -> list[Entry]:
    """Of ``entries`` (ids after a high-water mark, in id order), the run from the first that
    is dated on or before ``until``, stopping before the first dated after it and after
    ``most``: the export then covers every id up to its last, so the next one starting after
    that last id misses nothing."""
    taken: list[Entry] = []
    for entry in entries:
        if entry.effective > until or len(taken) >= most:
            break
        taken.append(entry)
    return taken
