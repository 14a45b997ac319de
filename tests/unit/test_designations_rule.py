"""The designation rule, pure (acsa.domain.designations): which designation lets an official
act on a day, up to what value (converted into the limit's currency), and the separation of
duties; properties over random designations and acts (hypothesis)."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from decimal import Decimal

import pytest
from hypothesis import given
from hypothesis import strategies as st

from acsa.domain.designations import (
    Act,
    DesignatedRole,
    Designation,
    Policy,
    authority_violation,
    designation,
    separation_violation,
)
from acsa.domain.errors import AcsaError, Code
from acsa.domain.money import Money
from acsa.domain.order import Action, Event, OrderStatus

DAY = date(2026, 10, 1)
#: 1 AUD is 100 JPY here.
PER_AUD = Decimal(100)


def convert(money: Money, currency: str) -> Money:
    if (money.currency, currency) == ("JPY", "AUD"):
        return Money((money.amount / PER_AUD).quantize(Decimal("0.01")), "AUD")
    if (money.currency, currency) == ("AUD", "JPY"):
        return Money((money.amount * PER_AUD).quantize(Decimal(1)), "JPY")
    raise AssertionError(f"no rate {money.currency} -> {currency}")


def made(
    limit: str = "1000000",
    currency: str = "JPY",
    role: DesignatedRole = DesignatedRole.ORDERING,
    start: date = date(2026, 1, 1),
    until: date | None = None,
    ended: date | None = None,
    user: str = "sato",
) -> Designation:
    return Designation(
        nation="JPN",
        user=user,
        role=role,
        limit=Money(Decimal(limit), currency),
        valid_from=start,
        valid_until=until,
        reference="LTR-1",
        reference_date=date(2025, 12, 1),
        id=1,
        ended_on=ended,
    )


def act(value: str = "500000", currency: str = "JPY", day: date = DAY, **kw: object) -> Act:
    role = kw.get("role", DesignatedRole.ORDERING)
    assert isinstance(role, DesignatedRole)
    return Act(str(kw.get("user", "sato")), "JPN", role, day, Money(Decimal(value), currency))


def code(held: list[Designation], what: Act) -> Code | None:
    found = authority_violation(held, what, convert)
    return None if found is None else found.code


def test_a_current_designation_within_its_limit_lets_its_official_act() -> None:
    assert code([made()], act()) is None
    assert code([made()], act("1000000")) is None  # the limit itself is within it


def test_no_designation_an_other_role_an_other_official_is_not_designated() -> None:
    assert code([], act()) is Code.NOT_DESIGNATED
    assert code([made(role=DesignatedRole.ACCEPTING)], act()) is Code.NOT_DESIGNATED
    assert code([made(user="tanaka")], act()) is Code.NOT_DESIGNATED
    found = authority_violation([], act(), convert)
    assert found is not None
    assert found.params["role"].template == "ordering official"  # type: ignore[attr-defined]


def test_a_designation_holds_from_its_first_to_its_last_day_until_it_is_ended() -> None:
    window = made(start=date(2026, 3, 1), until=date(2026, 9, 30))
    assert code([window], act(day=date(2026, 2, 28))) is Code.NOT_DESIGNATED
    assert code([window], act(day=date(2026, 3, 1))) is None
    assert code([window], act(day=date(2026, 9, 30))) is None
    assert code([window], act(day=date(2026, 10, 1))) is Code.NOT_DESIGNATED
    ended = made(ended=date(2026, 10, 1))
    assert code([ended], act(day=date(2026, 9, 30))) is None
    assert code([ended], act(day=date(2026, 10, 1))) is Code.NOT_DESIGNATED


def test_above_every_limit_names_the_widest_limit_and_the_value() -> None:
    held = [made("100000"), made("300000")]
    found = authority_violation(held, act("500000"), convert)
    assert found is not None
    assert found.code is Code.AUTHORITY_EXCEEDED
    assert found.params["limit"] == Money(Decimal(300000), "JPY")
    assert found.params["value"] == Money(Decimal(500000), "JPY")


def test_a_value_in_another_currency_is_converted_into_the_limits() -> None:
    aud = made("5000.00", "AUD")  # 500,000 JPY at 100
    assert code([aud], act("500000", "JPY")) is None
    found = authority_violation([aud], act("500100", "JPY"), convert)
    assert found is not None
    assert found.code is Code.AUTHORITY_EXCEEDED
    assert found.params["converted"] == Money(Decimal("5001.00"), "AUD")
    assert found.params["value"] == Money(Decimal(500100), "JPY")


def test_who_authorised_the_order_for_a_side_may_not_act_again_for_it() -> None:
    at = datetime(2026, 10, 1, tzinfo=UTC)
    history = [
        Event(Action.SUBMIT, at, "smith", OrderStatus.DRAFT, OrderStatus.SUBMITTED),
        Event(Action.ACCEPT, at, "tanaka", OrderStatus.SUBMITTED, OrderStatus.ACCEPTED),
    ]
    receiving, certifying = DesignatedRole.RECEIVING, DesignatedRole.CERTIFYING
    found = separation_violation(history, "smith", "requester", receiving)
    assert found is not None
    assert found.code is Code.SEPARATION_OF_DUTIES
    assert separation_violation(history, "jones", "requester", receiving) is None
    assert separation_violation(history, "tanaka", "supplier", certifying) is not None
    # The other side's authoriser is that side's business.
    assert separation_violation(history, "tanaka", "requester", certifying) is None
    assert separation_violation([], "smith", "requester", receiving) is None


def test_a_designation_is_checked_with_every_problem_at_once() -> None:
    with pytest.raises(AcsaError) as caught:
        designation(
            nation="JPN",
            user="sato",
            role="boss",
            limit="12.5",
            currency="JPY",
            valid_from=date(2026, 5, 1),
            valid_until=date(2026, 4, 30),
            reference="a\nb",
            reference_date=date(1900, 1, 1),
        )
    assert sorted(v.field for v in caught.value.violations) == [
        "limit",
        "reference",
        "reference_date",
        "role",
        "valid_until",
    ]
    good = designation(
        nation="JPN",
        user="sato",
        role="Certifying",
        limit="12.50",
        currency="aud",
        valid_from=date(2026, 5, 1),
        valid_until=None,
        reference="  MOD 17/2026 ",
        reference_date=date(2026, 4, 1),
    )
    assert (good.role, good.limit, good.reference) == (
        DesignatedRole.CERTIFYING,
        Money(Decimal("12.50"), "AUD"),
        "MOD 17/2026",
    )


def test_the_policy_is_kept_as_a_setting_and_separates_only_where_required() -> None:
    assert Policy.from_setting(None) == Policy(required=False, separation=True)
    assert not Policy.from_setting(None).separates
    on = Policy(required=True, separation=True)
    assert Policy.from_setting(on.to_setting()) == on
    assert on.separates
    assert not Policy(required=True, separation=False).separates


# --- properties -------------------------------------------------------------------------------

days = st.dates(min_value=date(2024, 1, 1), max_value=date(2028, 12, 31))
amounts = st.integers(min_value=1, max_value=10**9).map(Decimal)
roles = st.sampled_from(list(DesignatedRole))


@st.composite
def designations(draw: st.DrawFn) -> Designation:
    start = draw(days)
    length = draw(st.none() | st.integers(min_value=0, max_value=800))
    ended = draw(st.none() | days)
    return made(
        str(draw(amounts)),
        draw(st.sampled_from(["JPY", "AUD"])),
        draw(roles),
        start,
        None if length is None else start + timedelta(days=length),
        ended,
        draw(st.sampled_from(["sato", "tanaka"])),
    )


@given(held=st.lists(designations(), max_size=6), day=days, value=amounts, role=roles)
def test_an_act_passes_exactly_when_some_current_designation_covers_it(
    held: list[Designation], day: date, value: Decimal, role: DesignatedRole
) -> None:
    what = Act("sato", "JPN", role, day, Money(value, "JPY"))
    mine = [d for d in held if d.user == "sato" and d.role is role and d.current_on(day)]
    covering = [d for d in mine if convert_to(what.value, d).amount <= d.limit.amount]
    found = authority_violation(held, what, convert)
    if covering:
        assert found is None
    elif mine:
        assert found is not None
        assert found.code is Code.AUTHORITY_EXCEEDED
    else:
        assert found is not None
        assert found.code is Code.NOT_DESIGNATED


def convert_to(value: Money, held: Designation) -> Money:
    return value if value.currency == held.limit.currency else convert(value, held.limit.currency)


@given(held=st.lists(designations(), max_size=6), day=days, value=amounts, more=amounts)
def test_a_larger_value_is_never_easier_to_commit(
    held: list[Designation], day: date, value: Decimal, more: Decimal
) -> None:
    """If an act of some value is refused, the same act of a larger value is refused too."""
    small = Act("sato", "JPN", DesignatedRole.ORDERING, day, Money(value, "JPY"))
    large = Act("sato", "JPN", DesignatedRole.ORDERING, day, Money(value + more, "JPY"))
    if authority_violation(held, small, convert) is not None:
        assert authority_violation(held, large, convert) is not None
