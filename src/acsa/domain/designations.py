"""Designated officials: who may commit their nation at each step, up to what value, and the
separation of duties. Pure: no SQL, no HTTP; conversions come in as a function.

A nation's admin designates a user of that nation for a role on its side: the ordering
official submits orders, the accepting official accepts them, the receiving official records
receipts, the certifying finance official issues (certifies) invoices and records payments.
Each designation carries an authority limit (an amount in an ISO 4217 currency), a validity
period and its reference (the letter or order that made it, and its date); ending it
(revoking) closes it from a day on, it is never deleted.

Once a nation enforces designations (see :class:`Policy`), a guarded step needs a designation
of the right role, current on the step's business day, whose limit covers the value at stake:
otherwise NOT_DESIGNATED (naming the role) or AUTHORITY_EXCEEDED (naming the limit and the
value). With the separation of duties, the person who authorised an order for a nation (the
requester's submit, the supplier's accept) may not also receive it or certify its invoice or
payment for that nation (SEPARATION_OF_DUTIES).
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal
from enum import StrEnum
from typing import Any

from acsa.domain import limits
from acsa.domain.access import ForbiddenError
from acsa.domain.errors import AcsaError, Code, Violation
from acsa.domain.messages import Message, t
from acsa.domain.money import Money, fits_minor_units, is_known_currency
from acsa.domain.order import Action, Event


class DesignatedRole(StrEnum):
    """The roles an official is designated for (on their own nation's side)."""

    ORDERING = "ordering"
    ACCEPTING = "accepting"
    RECEIVING = "receiving"
    CERTIFYING = "certifying"


#: Each role's words, for messages and pages.
ROLE_WORDS: Mapping[DesignatedRole, str] = {
    DesignatedRole.ORDERING: t("ordering official"),
    DesignatedRole.ACCEPTING: t("accepting official"),
    DesignatedRole.RECEIVING: t("receiving official"),
    DesignatedRole.CERTIFYING: t("certifying finance official"),
}

#: The step of an order by which each side authorises it (commits its nation).
AUTHORISING: Mapping[str, Action] = {"requester": Action.SUBMIT, "supplier": Action.ACCEPT}


def role_words(role: DesignatedRole) -> Message:
    """The role, written in the reader's language."""
    return Message(ROLE_WORDS[role], {})


def parse_role(value: str, field: str = "role") -> DesignatedRole:
    """A role from its name (any case); INVALID_FIELD naming the roles otherwise."""
    try:
        return DesignatedRole(value.strip().lower())
    except ValueError:
        raise AcsaError.single(
            Code.INVALID_FIELD,
            field,
            "unknown designated role {role}; one of: {known}",
            role=repr(value[:40]),
            known=tuple(r.value for r in DesignatedRole),
        ) from None


@dataclass(frozen=True, slots=True)
class Designation:
    """One designation of one official for one role.

    Attributes:
        nation: the nation the official commits (the user's own).
        user: the official's user name.
        role: what they may do.
        limit: the most one act of theirs may commit (converted to its currency under the
            nation's rate rule when the value is in another).
        valid_from, valid_until: the days it is current (until: inclusive; None: open).
        reference, reference_date: the letter or order that designated them, and its date.
        ended_on: from this day on it is revoked (None: not ended).
    """

    nation: str
    user: str
    role: DesignatedRole
    limit: Money
    valid_from: date
    valid_until: date | None
    reference: str
    reference_date: date
    id: int | None = None
    ended_on: date | None = None
    ended_reason: str = ""
    at: datetime | None = None
    actor: str = ""
    ended_at: datetime | None = None
    ended_by: str | None = None

    def current_on(self, day: date) -> bool:
        """Whether it lets its official act on ``day``."""
        if day < self.valid_from:
            return False
        if self.valid_until is not None and day > self.valid_until:
            return False
        return self.ended_on is None or day < self.ended_on

    def as_json(self) -> dict[str, Any]:
        """Its state as the audit log records it."""
        return {
            "id": self.id,
            "nation": self.nation,
            "user": self.user,
            "role": self.role.value,
            "limit": format(self.limit.amount, "f"),
            "currency": self.limit.currency,
            "valid_from": self.valid_from.isoformat(),
            "valid_until": self.valid_until.isoformat() if self.valid_until else None,
            "reference": self.reference,
            "reference_date": self.reference_date.isoformat(),
            "ended_on": self.ended_on.isoformat() if self.ended_on else None,
            "ended_reason": self.ended_reason,
        }


def _limit(limit: object, currency: str) -> tuple[list[Violation], Money | None]:
    """The authority limit as money, or why it cannot be one."""
    found: list[Violation] = []
    code = currency.strip().upper()
    known = is_known_currency(code)
    if not known:
        found.append(
            Violation(
                Code.UNKNOWN_CURRENCY,
                "currency",
                "{currency} is not an ISO 4217 currency code",
                params={"currency": repr(currency[:8])},
            )
        )
    amount: Decimal | None = None
    try:
        amount = limits.check_number("limit", limit, limits.AMOUNT, Code.INVALID_AMOUNT)
    except AcsaError as error:
        found.extend(error.violations)
    if amount is not None and known and not fits_minor_units(amount, code):
        found.append(
            Violation(
                Code.INVALID_AMOUNT,
                "limit",
                "{name} {amount} has more decimals than {currency} allows",
                params={"name": "limit", "amount": amount, "currency": code},
            )
        )
    if found or amount is None:
        return found, None
    return found, Money(amount, code)


def _days(valid_from: date, valid_until: date | None, reference_date: date) -> list[Violation]:
    """What is wrong with a designation's days."""
    found: list[Violation] = []
    given = (
        ("valid_from", valid_from),
        ("valid_until", valid_until),
        ("reference_date", reference_date),
    )
    for field, day in given:
        bad = None if day is None else limits.date_violation(field, day)
        if bad is not None:
            found.append(bad)
    if valid_until is not None and valid_until < valid_from:
        found.append(
            Violation(
                Code.INVALID_DATE,
                "valid_until",
                "valid_until {until} is before valid_from {start}",
                params={"until": valid_until, "start": valid_from},
            )
        )
    return found


def _reference(reference: str) -> list[Violation]:
    text = reference.strip()
    if not text:
        return [
            Violation(
                Code.MISSING_FIELD,
                "reference",
                "give the designation's reference (the number of its letter or order)",
            )
        ]
    bad = limits.text_violation("reference", text, multiline=False)
    return [] if bad is None else [bad]


def designation(
    *,
    nation: str,
    user: str,
    role: str,
    limit: object,
    currency: str,
    valid_from: date,
    valid_until: date | None,
    reference: str,
    reference_date: date,
) -> Designation:
    """A new designation from what a person gave, every problem at once: the role, the limit
    (a positive amount within limits.AMOUNT, in the currency's minor unit), a known ISO 4217
    currency, dates within limits.DATE_MIN..DATE_MAX with ``valid_until`` not before
    ``valid_from``, and a reference (one line, at most limits.NAME_CHARS_MAX characters)."""
    found: list[Violation] = []
    chosen: DesignatedRole | None = None
    try:
        chosen = parse_role(role)
    except AcsaError as error:
        found.extend(error.violations)
    bad_limit, money = _limit(limit, currency)
    found += bad_limit
    found += _days(valid_from, valid_until, reference_date)
    found += _reference(reference)
    if found or chosen is None or money is None:
        raise AcsaError(found)
    return Designation(
        nation=nation,
        user=user,
        role=chosen,
        limit=money,
        valid_from=valid_from,
        valid_until=valid_until,
        reference=reference.strip(),
        reference_date=reference_date,
    )


# --- the policy of a nation -------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Policy:
    """Whether a nation enforces its designations, and the separation of duties.

    A nation that never recorded a designation enforces nothing (installations from before
    designations keep working); recording its first one turns ``required`` on, with the
    separation of duties on by default. Its admin may turn either off or on again."""

    required: bool = False
    separation: bool = True

    @property
    def separates(self) -> bool:
        """Whether the separation of duties applies (only where designations are enforced)."""
        return self.required and self.separation

    def to_setting(self) -> str:
        return json.dumps({"required": self.required, "separation": self.separation})

    @classmethod
    def from_setting(cls, value: str | None) -> Policy:
        if value is None:
            return cls()
        data = json.loads(value)
        return cls(bool(data.get("required", False)), bool(data.get("separation", True)))


#: The settings key of a nation's policy (the settings table's key: at most 64 characters).
POLICY_KEY = "designations:"


def policy_key(nation: str) -> str:
    return POLICY_KEY + nation


# --- the rule ---------------------------------------------------------------------------------

#: Converts money into a currency under the acting nation's rate rule on the acting day.
Convert = Callable[[Money, str], Money]


@dataclass(frozen=True, slots=True)
class Act:
    """One guarded act: who (user name), for which nation, in which role, on which business
    day, committing what value."""

    user: str
    nation: str
    role: DesignatedRole
    day: date
    value: Money


def current(held: Iterable[Designation], act: Act) -> list[Designation]:
    """The designations of ``act``'s official for its role that are current on its day."""
    return [
        d
        for d in held
        if d.nation == act.nation
        and d.user == act.user
        and d.role is act.role
        and d.current_on(act.day)
    ]


def authority_violation(
    held: Iterable[Designation], act: Act, convert: Convert
) -> Violation | None:
    """Why ``act`` is not within its official's designated authority, or None when one of
    their current designations for its role covers its value (the value converted into the
    limit's currency by ``convert`` where the two differ)."""
    found = current(held, act)
    if not found:
        return Violation(
            Code.NOT_DESIGNATED,
            "designation",
            "{user} ({nation}) holds no designation as {role} current on {day}; an admin of "
            "{nation} designates officials (acsa designations add)",
            params={
                "user": act.user,
                "nation": act.nation,
                "role": role_words(act.role),
                "day": act.day,
            },
        )
    best: tuple[Designation, Money] | None = None
    for candidate in found:
        value = act.value
        if value.currency != candidate.limit.currency:
            value = convert(value, candidate.limit.currency)
        if value.amount <= candidate.limit.amount:
            return None
        if best is None or candidate.limit.amount > best[0].limit.amount:
            best = (candidate, value)
    assert best is not None
    widest, value = best
    params: dict[str, object] = {
        "user": act.user,
        "role": role_words(act.role),
        "limit": widest.limit,
        "reference": widest.reference,
        "reference_date": widest.reference_date,
        "value": act.value,
    }
    if value.currency == act.value.currency:
        template = t(
            "{user}'s authority as {role} is {limit} (designation {reference} of "
            "{reference_date}); this commits {value}"
        )
    else:
        params["converted"] = value
        template = t(
            "{user}'s authority as {role} is {limit} (designation {reference} of "
            "{reference_date}); this commits {value} ({converted} at the nation's rate rule)"
        )
    return Violation(Code.AUTHORITY_EXCEEDED, "designation", template, params=params)


def authoriser(history: Sequence[Event], side: str) -> str | None:
    """Who last authorised the order for ``side`` (``requester``: its submit; ``supplier``:
    its accept), or None when it was not authorised by that side yet."""
    step = AUTHORISING[side]
    found = [e for e in history if e.action is step]
    return found[-1].actor if found else None


def separation_violation(
    history: Sequence[Event], user: str, side: str, role: DesignatedRole
) -> Violation | None:
    """SEPARATION_OF_DUTIES when ``user`` authorised the order for ``side`` and now acts as
    ``role`` on it for the same side; else None."""
    who = authoriser(history, side)
    if who is None or who != user:
        return None
    step = AUTHORISING[side]
    return Violation(
        Code.SEPARATION_OF_DUTIES,
        "designation",
        "{user} authorised this order ({step}) and may not also act on it as {role}: another "
        "official of the nation does",
        params={"user": user, "step": step.value, "role": role_words(role)},
    )


def refuse(violation: Violation | None) -> None:
    """Raise ``violation`` as a refusal of the act (FORBIDDEN's status: the act is visible to
    the caller but not theirs to do); nothing when None."""
    if violation is not None:
        raise ForbiddenError([violation])
