"""The general-ledger mapping's pure rules: the most specific rule wins, a rule's bounds, and a
journal refused whole when a posting has no rule."""

from __future__ import annotations

from datetime import UTC, date, datetime
from decimal import Decimal

import pytest

from acsa.domain.errors import AcsaError, Code
from acsa.domain.gl_mapping import (
    contiguous,
    gl_rule,
    journal_lines,
    resolve,
    totals_by_account,
    totals_by_gl,
)
from acsa.domain.ledger import Account, Stamp, payment_entries, receipt_entries
from acsa.domain.limits import GL_CODE_CHARS_MAX
from acsa.domain.money import Money

RULES = [
    gl_rule("receivable_cash", "*", "*", "1300"),
    gl_rule("receivable_cash", "*", "AUD", "1300-AUD"),
    gl_rule("receivable_cash", "AUS", "*", "1310-AUS", "FC-7"),
    gl_rule("receivable_cash", "AUS", "AUD", "1310-AUS-AUD"),
]


@pytest.mark.parametrize(
    ("partner", "currency", "code"),
    [
        ("AUS", "AUD", "1310-AUS-AUD"),  # account + partner + currency
        ("AUS", "JPY", "1310-AUS"),  # account + partner
        ("NZL", "AUD", "1300-AUD"),  # account + currency
        ("NZL", "JPY", "1300"),  # the account alone
    ],
)
def test_the_most_specific_rule_wins(partner: str, currency: str, code: str) -> None:
    found = resolve(RULES, Account.RECEIVABLE_CASH, partner, currency)
    assert found is not None
    assert found.gl_code == code
    # whatever order the rules come in
    again = resolve(list(reversed(RULES)), Account.RECEIVABLE_CASH, partner, currency)
    assert again == found


def test_a_rule_of_another_account_does_not_apply() -> None:
    assert resolve(RULES, Account.PAYABLE_CASH, "AUS", "AUD") is None


def test_rules_are_read_as_people_write_them_and_bounded() -> None:
    rule = gl_rule(" Receivable_Cash ", "aus", "", " 1310-AUS ", "  ")
    assert (rule.account, rule.partner, rule.currency, rule.gl_code) == (
        Account.RECEIVABLE_CASH,
        "AUS",
        "*",
        "1310-AUS",
    )
    assert rule.fund_citation is None
    with pytest.raises(AcsaError) as refused:
        gl_rule("receivables", "AUSTRALIA", "XXX", "x" * (GL_CODE_CHARS_MAX + 1), "f" * 201)
    fields = [v.field for v in refused.value.violations]
    assert fields == ["account", "partner", "currency", "gl_code", "fund_citation"]
    codes = {v.code for v in refused.value.violations}
    assert codes == {Code.INVALID_FIELD, Code.UNKNOWN_CURRENCY}
    with pytest.raises(AcsaError) as refused:
        gl_rule("cash", "*", "*", "13 10")
    assert refused.value.violations[0].field == "gl_code"
    assert gl_rule("cash", "*", "*", "1" * GL_CODE_CHARS_MAX).gl_code == "1" * GL_CODE_CHARS_MAX


def _stored(entries, first_id):
    from dataclasses import replace

    return [replace(e, id=first_id + n) for n, e in enumerate(entries)]


STAMP = Stamp(date(2026, 3, 1), datetime(2026, 3, 1, 12, tzinfo=UTC), "Cdr M. Tanaka", "receipt")


def test_lines_balance_carry_stable_ids_and_amounts_of_the_currency_exponent() -> None:
    jpn_receipt, _aus = receipt_entries("JPN", "AUS", Money(Decimal(4710), "AUD"), False, STAMP)
    jpn_payment, _ = payment_entries("JPN", "AUS", Money(Decimal("10.5"), "AUD"), STAMP)
    entries = _stored([jpn_receipt, jpn_payment], 7)
    rules = [
        *RULES,
        gl_rule("support_provided", "*", "*", "4000"),
        gl_rule("cash", "*", "*", "1000"),
    ]
    lines = journal_lines("JPN", entries, rules)
    assert [line.line_id for line in lines] == ["JPN-7-1", "JPN-7-2", "JPN-8-1", "JPN-8-2"]
    assert [(line.gl_code, str(line.debit), str(line.credit)) for line in lines] == [
        ("1310-AUS-AUD", "4710.00", "0.00"),
        ("4000", "0.00", "4710.00"),
        ("1000", "10.50", "0.00"),
        ("1310-AUS-AUD", "0.00", "10.50"),
    ]
    assert totals_by_gl(lines)[("1310-AUS-AUD", "AUD")] == (Decimal("4710.00"), Decimal("10.50"))
    assert totals_by_account(lines)[("AUS", "receivable_cash", "AUD")] == Decimal("4699.50")


def test_a_posting_without_a_rule_refuses_the_whole_journal_naming_it() -> None:
    entries = _stored(list(receipt_entries("JPN", "AUS", Money(Decimal(5), "JPY"), True, STAMP)), 1)
    with pytest.raises(AcsaError) as refused:
        journal_lines("JPN", entries[:1], RULES)
    found = [(v.code, v.params["account"], v.params["partner"]) for v in refused.value.violations]
    assert found == [
        (Code.GL_MAPPING_MISSING, "receivable_in_kind", "AUS"),
        (Code.GL_MAPPING_MISSING, "support_provided", "AUS"),
    ]
    assert all(v.params["currency"] == "JPY" for v in refused.value.violations)


def test_a_new_export_stops_before_the_first_entry_dated_after_its_end() -> None:
    days = [date(2026, 3, 1), date(2026, 3, 5), date(2026, 4, 1), date(2026, 3, 2)]
    entries = []
    for n, day in enumerate(days):
        stamp = Stamp(day, STAMP.at, STAMP.actor, f"receipt {n}")
        entries.append(receipt_entries("JPN", "AUS", Money(Decimal(1), "JPY"), False, stamp)[0])
    stored = _stored(entries, 1)
    assert [e.id for e in contiguous(stored, date(2026, 3, 31), 100)] == [1, 2]
    assert [e.id for e in contiguous(stored, date(2026, 4, 30), 100)] == [1, 2, 3, 4]
    assert [e.id for e in contiguous(stored, date(2026, 4, 30), 3)] == [1, 2, 3]
