"""Approval before commitment: a requester's draft whose value is above its nation's tiers is
approved by one approver per tier, in turn, before it may be submitted to the partner. Pure:
no SQL, no HTTP; conversions come in as a function.

A nation sets its tiers (thresholds in one currency, ascending): a draft worth more than a
tier's threshold needs that tier's approval. Approvers are users with the ``approver`` role of
the requester's nation, never the person who placed the draft, never the same approver for two
tiers. Returning a draft (with a comment) clears its approvals; so does editing it. A nation
with no tiers recorded approves nothing (installations from before keep working).
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal
from typing import Any

from acsa.domain import limits
from acsa.domain.access import ForbiddenError, Role
from acsa.domain.errors import AcsaError, Code, Violation
from acsa.domain.money import Money, fits_minor_units, is_known_currency

#: The settings key of a nation's tiers (the settings table's key: at most 64 characters).
TIERS_KEY = "approvals:"


def tiers_key(nation: str) -> str:
    return TIERS_KEY + nation


@dataclass(frozen=True, slots=True)
class Tier:
    """Tier ``number`` (1 is the lowest): a draft worth more than ``threshold`` needs it."""

    number: int
    threshold: Money


def parse_tiers(amounts: Sequence[object], currency: str) -> list[Tier]:
    """Tiers from the thresholds a person gave (any order; each a positive amount within
    limits.AMOUNT in ``currency``'s minor unit, no two equal, at most
    limits.APPROVAL_TIERS_MAX), numbered from the lowest; every problem at once. No amounts:
    no tiers (the nation approves nothing)."""
    found: list[Violation] = []
    code = currency.strip().upper()
    if amounts and not is_known_currency(code):
        found.append(
            Violation(
                Code.UNKNOWN_CURRENCY,
                "currency",
                "{currency} is not an ISO 4217 currency code",
                params={"currency": repr(currency[:8])},
            )
        )
    if len(amounts) > limits.APPROVAL_TIERS_MAX:
        found.append(
            Violation(
                Code.INVALID_FIELD,
                "tiers",
                "at most {max} approval tiers; {count} given",
                params={"max": limits.APPROVAL_TIERS_MAX, "count": len(amounts)},
            )
        )
    values: list[Decimal] = []
    for n, amount in enumerate(amounts[: limits.APPROVAL_TIERS_MAX]):
        field = f"tiers[{n}]"
        try:
            value = limits.check_number(field, amount, limits.AMOUNT, Code.INVALID_AMOUNT)
        except AcsaError as error:
            found.extend(error.violations)
            continue
        if is_known_currency(code) and not fits_minor_units(value, code):
            found.append(
                Violation(
                    Code.INVALID_AMOUNT,
                    field,
                    "{name} {amount} has more decimals than {currency} allows",
                    params={"name": field, "amount": value, "currency": code},
                )
            )
        elif value in values:
            found.append(
                Violation(
                    Code.INVALID_FIELD,
                    field,
                    "approval tier {amount} is given twice",
                    params={"amount": value},
                )
            )
        else:
            values.append(value)
    if found:
        raise AcsaError(found)
    return [Tier(n, Money(v, code)) for n, v in enumerate(sorted(values), 1)]


def tiers_setting(tiers: Sequence[Tier]) -> str:
    return json.dumps(
        {
            "currency": tiers[0].threshold.currency if tiers else "",
            "thresholds": [format(t.threshold.amount, "f") for t in tiers],
        }
    )


def tiers_from_setting(value: str | None) -> list[Tier]:
    if not value:
        return []
    data = json.loads(value)
    currency = str(data.get("currency", ""))
    return [
        Tier(n, Money(Decimal(v), currency)) for n, v in enumerate(data.get("thresholds", []), 1)
    ]


#: Converts money into a currency under the requester's rate rule.
Convert = Callable[[Money, str], Money]


def required(tiers: Iterable[Tier], value: Money, convert: Convert) -> list[Tier]:
    """The tiers whose threshold ``value`` is above (converted into the tiers' currency)."""
    found = []
    for tier in tiers:
        amount = value if value.currency == tier.threshold.currency else None
        if amount is None:
            amount = convert(value, tier.threshold.currency)
        if amount.amount > tier.threshold.amount:
            found.append(tier)
    return found


@dataclass(frozen=True, slots=True)
class Approval:
    """One approval (``kind`` approve) or return (``kind`` return) of a draft, as recorded:
    who (user name, full name, rank, position from their profile), when, with what comment;
    ``tier`` and its threshold for an approval. Cleared ones (returned or edited since) are
    kept with their ``cleared_at``."""

    order_id: int
    kind: str
    actor: str
    at: datetime
    tier: int | None = None
    threshold: Money | None = None
    name: str = ""
    rank: str = ""
    position: str = ""
    comment: str = ""
    id: int | None = None
    cleared_at: datetime | None = None

    def document(self) -> dict[str, str]:
        """The approval as the submitted order's document carries it to the partner."""
        assert self.threshold is not None
        return {
            "tier": str(self.tier),
            "threshold": format(self.threshold.amount, "f"),
            "currency": self.threshold.currency,
            "approver": self.actor,
            "name": self.name,
            "rank": self.rank,
            "position": self.position,
            "at": self.at.isoformat(),
        }

    def as_json(self) -> dict[str, Any]:
        """Its state as the audit log records it."""
        return {
            "order": self.order_id,
            "kind": self.kind,
            "tier": self.tier,
            "threshold": format(self.threshold.amount, "f") if self.threshold else None,
            "currency": self.threshold.currency if self.threshold else None,
            "actor": self.actor,
            "at": self.at.isoformat(),
            "comment": self.comment,
        }


def pending(needed: Sequence[Tier], active: Sequence[Approval]) -> Tier | None:
    """The next tier of ``needed`` without an approval among ``active``, or None."""
    done = {a.tier for a in active if a.kind == "approve"}
    for tier in needed:
        if tier.number not in done:
            return tier
    return None


def returned(active: Sequence[Approval]) -> Approval | None:
    """The return that sent the draft back, if it was not edited since."""
    found = [a for a in active if a.kind == "return"]
    return found[-1] if found else None


@dataclass(frozen=True, slots=True)
class Approver:
    """Who asks to approve or return: their user name, nation and roles (None: no such
    user)."""

    user: str
    nation: str | None
    roles: frozenset[Role]


def approver_violation(
    who: Approver, requester: str, placer: str | None, order_id: int
) -> Violation | None:
    """Why ``who`` may not approve or return the draft ``order_id`` of ``requester`` placed by
    ``placer``: not an approver of the requester's nation (NOT_APPROVER), or its placer
    (SELF_APPROVAL); None when they may."""
    if who.nation != requester or Role.APPROVER not in who.roles:
        return Violation(
            Code.NOT_APPROVER,
            "approver",
            "{user} is not an approver of {nation}: order {order} is approved by users with "
            "the approver role of {nation}",
            params={"user": who.user, "nation": requester, "order": order_id},
        )
    if placer is not None and who.user == placer:
        return Violation(
            Code.SELF_APPROVAL,
            "approver",
            "{user} placed order {order} and may not approve or return it: another approver "
            "of {nation} does",
            params={"user": who.user, "order": order_id, "nation": requester},
        )
    return None


def approval_violation(
    who: Approver,
    order_id: int,
    needed: Sequence[Tier],
    active: Sequence[Approval],
    tier: int | None,
) -> tuple[Violation | None, Tier | None]:
    """The tier ``who`` approves now (the next pending one; ``tier`` names the one they mean),
    or why not: nothing waits (APPROVAL_NOT_PENDING, naming who took the tier asked for), or
    they approved an earlier tier already (SAME_APPROVER)."""
    approvals = [a for a in active if a.kind == "approve"]
    if tier is not None:
        taken = [a for a in approvals if a.tier == tier]
        if taken:
            return (
                Violation(
                    Code.APPROVAL_NOT_PENDING,
                    "tier",
                    "tier {tier} of order {order} was approved by {user} at {at}",
                    params={
                        "tier": tier,
                        "order": order_id,
                        "user": taken[0].actor,
                        "at": taken[0].at,
                    },
                ),
                None,
            )
    nxt = pending(needed, active)
    if nxt is None and tier is None:
        return (
            Violation(
                Code.APPROVAL_NOT_PENDING,
                "order",
                "order {order} waits for no approval (below its nation's tiers, or every "
                "tier approved)",
                params={"order": order_id},
            ),
            None,
        )
    if nxt is None or (tier is not None and tier != nxt.number):
        return (
            Violation(
                Code.APPROVAL_NOT_PENDING,
                "tier",
                "order {order} has no approval tier {tier} waiting",
                params={"order": order_id, "tier": tier},
            ),
            None,
        )
    twice = [a for a in approvals if a.actor == who.user]
    if twice:
        return (
            Violation(
                Code.SAME_APPROVER,
                "approver",
                "{user} approved tier {tier} of order {order}; tier {next} is approved by "
                "another approver",
                params={
                    "user": who.user,
                    "tier": twice[0].tier,
                    "order": order_id,
                    "next": nxt.number,
                },
            ),
            None,
        )
    return None, nxt


def required_violation(
    order_id: int, needed: Sequence[Tier], active: Sequence[Approval]
) -> Violation | None:
    """APPROVAL_REQUIRED naming the first tier still missing its approval, or None."""
    nxt = pending(needed, active)
    if nxt is None:
        return None
    missing = [t.number for t in needed if t.number >= nxt.number]
    return Violation(
        Code.APPROVAL_REQUIRED,
        "approvals",
        "order {order} is above approval tier {tier} ({threshold}) and waits for the "
        "approval of tiers {missing} by approvers of its nation (acsa approvals queue)",
        params={
            "order": order_id,
            "tier": nxt.number,
            "threshold": nxt.threshold,
            "missing": tuple(missing),
        },
    )


def refuse(violation: Violation | None) -> None:
    """Raise a person's refusal (403) or a state's (409) for ``violation``."""
    if violation is None:
        return
    if violation.code in (Code.NOT_APPROVER, Code.SELF_APPROVAL, Code.SAME_APPROVER):
        raise ForbiddenError([violation])
    raise AcsaError([violation])


def check_comment(comment: str) -> str:
    return limits.check_text("comment", comment)
