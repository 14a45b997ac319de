"""The approval rule, pure: tiers parsed and bounded, which tiers a value is above (in the
tiers' currency or converted), who may approve (an approver of the requester's nation, not
the placer, not twice), in turn; hypothesis: a draft may be submitted exactly when every
tier its value is above has an approval, and a larger value never needs fewer tiers."""

from __future__ import annotations

from datetime import UTC, datetime
from decimal import Decimal

import pytest
from hypothesis import given
from hypothesis import strategies as st

from acsa.domain.access import Role
from acsa.domain.approvals import (
    Approval,
    Approver,
    approval_violation,
    approver_violation,
    parse_tiers,
    pending,
    required,
    required_violation,
    tiers_from_setting,
    tiers_setting,
)
from acsa.domain.errors import AcsaError
from acsa.domain.money import Money

AT = datetime(2026, 10, 1, tzinfo=UTC)
TIERS = parse_tiers(["10000000", "1000000"], "JPY")
BOSS = Approver("boss", "AUS", frozenset({Role.APPROVER}))
CHIEF = Approver("chief", "AUS", frozenset({Role.APPROVER, Role.REQUESTER}))


def no_rate(money: Money, currency: str) -> Money:
    raise AssertionError(f"no conversion expected: {money} to {currency}")


def approved(*who: tuple[str, int]) -> list[Approval]:
    return [Approval(1, "approve", name, AT, tier, TIERS[tier - 1].threshold) for name, tier in who]


def test_tiers_are_numbered_from_the_lowest_and_kept_as_set() -> None:
    assert [(t.number, t.threshold) for t in TIERS] == [
        (1, Money(Decimal(1000000), "JPY")),
        (2, Money(Decimal(10000000), "JPY")),
    ]
    assert tiers_from_setting(tiers_setting(TIERS)) == TIERS
    assert tiers_from_setting(tiers_setting([])) == []
    assert tiers_from_setting(None) == []


def test_bad_tiers_are_refused_each_by_its_field() -> None:
    with pytest.raises(AcsaError) as caught:
        parse_tiers(["0", "1.5", "7", "7"], "JPY")
    assert [(v.code.value, v.field) for v in caught.value.violations] == [
        ("INVALID_AMOUNT", "tiers[0]"),
        ("INVALID_AMOUNT", "tiers[1]"),
        ("INVALID_FIELD", "tiers[3]"),
    ]
    with pytest.raises(AcsaError) as caught:
        parse_tiers(["1"] * 6, "ZZZ")
    assert {v.code.value for v in caught.value.violations} == {"UNKNOWN_CURRENCY", "INVALID_FIELD"}


def test_a_value_above_a_tier_needs_it_and_another_currency_is_converted() -> None:
    assert required(TIERS, Money(Decimal(1000000), "JPY"), no_rate) == []
    assert required(TIERS, Money(Decimal(1000001), "JPY"), no_rate) == TIERS[:1]
    assert required(TIERS, Money(Decimal(20000000), "JPY"), no_rate) == TIERS

    def at_100(money: Money, currency: str) -> Money:
        assert currency == "JPY"
        return Money(money.amount * 100, currency)

    assert required(TIERS, Money(Decimal(20000), "AUD"), at_100) == TIERS[:1]


def test_who_may_approve() -> None:
    assert approver_violation(BOSS, "AUS", "clerk", 1) is None
    assert approver_violation(BOSS, "AUS", "boss", 1).code.value == "SELF_APPROVAL"  # type: ignore[union-attr]
    clerk = Approver("clerk", "AUS", frozenset({Role.REQUESTER}))
    assert approver_violation(clerk, "AUS", None, 1).code.value == "NOT_APPROVER"  # type: ignore[union-attr]
    other = Approver("ito", "JPN", frozenset({Role.APPROVER}))
    assert approver_violation(other, "AUS", None, 1).code.value == "NOT_APPROVER"  # type: ignore[union-attr]


def test_each_tier_in_turn_by_another_approver() -> None:
    bad, tier = approval_violation(BOSS, 1, TIERS, [], None)
    assert (bad, tier) == (None, TIERS[0])
    after = approved(("boss", 1))
    bad, _ = approval_violation(BOSS, 1, TIERS, after, None)
    assert bad is not None
    assert bad.code.value == "SAME_APPROVER"
    bad, _ = approval_violation(CHIEF, 1, TIERS, after, 1)
    assert bad is not None
    assert (bad.code.value, bad.params["user"]) == ("APPROVAL_NOT_PENDING", "boss")
    assert approval_violation(CHIEF, 1, TIERS, after, 2) == (None, TIERS[1])
    done = approved(("boss", 1), ("chief", 2))
    bad, _ = approval_violation(CHIEF, 1, TIERS, done, None)
    assert bad is not None
    assert bad.code.value == "APPROVAL_NOT_PENDING"


@given(
    st.integers(min_value=1, max_value=10**9),
    st.integers(min_value=0, max_value=10**9),
    st.integers(min_value=0, max_value=2),
)
def test_submittable_exactly_when_every_needed_tier_is_approved(
    value: int, more: int, done: int
) -> None:
    money = Money(Decimal(value), "JPY")
    need = required(TIERS, money, no_rate)
    larger = required(TIERS, Money(Decimal(value + more), "JPY"), no_rate)
    assert len(larger) >= len(need)
    given_ = approved(*[(f"a{n}", n) for n in range(1, done + 1)])
    blocked = required_violation(1, need, given_)
    assert (blocked is None) == all(t.number <= done for t in need)
    if blocked is not None:
        assert blocked.code.value == "APPROVAL_REQUIRED"
        nxt = pending(need, given_)
        assert nxt is not None
        assert blocked.params["tier"] == nxt.number
