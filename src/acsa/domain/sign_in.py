"""Sign-in throttling and token lifetimes: pure policy, no clock, no database.

Failed sign-ins are counted per account name as typed and per client address. The first few
failures cost nothing; after that each attempt waits a delay that doubles with every further
failure (up to a ceiling), and at a threshold the name or address is locked until an admin
unlocks it. A quiet period forgets a count that did not reach the lock. Names that belong to
nobody are counted exactly like real ones, so the answer never tells them apart.
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass, replace
from datetime import datetime, timedelta
from enum import StrEnum

from acsa.domain.access import ForbiddenError
from acsa.domain.errors import AcsaError, Code, Violation
from acsa.domain.limits import (
    SIGN_IN_ADDRESS_CHARS_MAX,
    SIGN_IN_DELAY_S_CEILING,
    SIGN_IN_FAILURES_CEILING,
    SIGN_IN_FORGET_MINUTES_CEILING,
    SIGN_IN_NAME_RECORDED_MAX,
    TOKEN_DAYS_CEILING,
    TOKEN_DAYS_DEFAULT,
)
from acsa.domain.messages import Message, t

_CONTROL = re.compile(r"[\x00-\x1f\x7f-\x9f]")
#: What stands for a control character in a name or address as recorded.
REPLACEMENT = "\ufffd"


class CountedBy(StrEnum):
    """What a throttle counts failures of."""

    ACCOUNT = "account"
    ADDRESS = "address"


@dataclass(frozen=True, slots=True)
class SignInPolicy:
    """The throttle's thresholds (ACSA_SIGN_IN_* settings, see the README).

    Attributes:
        free_failures: failures in a row that cost no delay.
        delay_s: the delay after the first failure beyond the free ones; doubles after each.
        delay_max_s: the longest delay between two attempts.
        account_lock_after: failures in a row that lock a user name.
        address_lock_after: failures in a row that lock a client address.
        forget_after_s: a count not locked is forgotten after this long without a failure.
    """

    free_failures: int = 3
    delay_s: float = 1.0
    delay_max_s: float = 60.0
    account_lock_after: int = 10
    address_lock_after: int = 100
    forget_after_s: float = 3600.0

    def lock_after(self, kind: CountedBy) -> int:
        return self.account_lock_after if kind is CountedBy.ACCOUNT else self.address_lock_after


@dataclass(frozen=True, slots=True)
class Failures:
    """One name's or address's failed sign-ins in a row: how many, the last, and when it was
    locked (None while it is not)."""

    kind: CountedBy
    key: str
    count: int
    last_at: datetime
    locked_at: datetime | None = None

    @property
    def locked(self) -> bool:
        return self.locked_at is not None


@dataclass(frozen=True, slots=True)
class Verdict:
    """May an attempt go ahead now: yes, or wait ``retry_after_s`` seconds, or locked (by
    ``cause``: the name or the address)."""

    allowed: bool
    retry_after_s: int = 0
    locked: bool = False
    cause: CountedBy | None = None


class SignInRefusedError(AcsaError):
    """SIGN_IN_THROTTLED (wait ``retry_after_s``) or SIGN_IN_LOCKED (an admin unlocks it)."""

    def __init__(self, verdict: Verdict) -> None:
        field = "address" if verdict.cause is CountedBy.ADDRESS else "name"
        what = Message(
            t("this address") if verdict.cause is CountedBy.ADDRESS else t("this user name"), {}
        )
        if verdict.locked:
            violation = Violation(
                Code.SIGN_IN_LOCKED,
                field,
                "sign-in is locked for {what} after too many failed sign-ins; an admin unlocks "
                "it (acsa users unlock)",
                params={"what": what},
            )
        else:
            violation = Violation(
                Code.SIGN_IN_THROTTLED,
                field,
                "too many failed sign-ins for {what}; try again in {seconds} seconds",
                params={"what": what, "seconds": verdict.retry_after_s},
            )
        super().__init__([violation])
        self.verdict = verdict

    @property
    def retry_after_s(self) -> int:
        return self.verdict.retry_after_s


def delay_after(policy: SignInPolicy, count: int) -> float:
    """Seconds to wait after ``count`` failures in a row (0 for the free ones)."""
    beyond = count - policy.free_failures
    if beyond < 0:
        return 0.0
    # 2**beyond grows past any ceiling quickly; cap the exponent so it never overflows.
    return float(min(policy.delay_s * 2 ** min(beyond, 62), policy.delay_max_s))


def current(policy: SignInPolicy, failures: Failures | None, now: datetime) -> Failures | None:
    """``failures`` as they count at ``now``: None once a count short of the lock is forgotten."""
    if failures is None or failures.locked:
        return failures
    if now - failures.last_at >= timedelta(seconds=policy.forget_after_s):
        return None
    return failures


def decide(policy: SignInPolicy, now: datetime, *counts: Failures | None) -> Verdict:
    """Whether an attempt may be checked now, given the name's and the address's failures."""
    live = [f for f in (current(policy, c, now) for c in counts) if f is not None]
    for failures in live:
        if failures.locked:
            return Verdict(False, locked=True, cause=failures.kind)
    wait, cause = 0.0, None
    for failures in live:
        ready_at = failures.last_at + timedelta(seconds=delay_after(policy, failures.count))
        left = (ready_at - now).total_seconds()
        if left > wait:
            wait, cause = left, failures.kind
    if wait > 0:
        return Verdict(False, retry_after_s=max(1, math.ceil(wait)), cause=cause)
    return Verdict(True)


def counted(
    policy: SignInPolicy, kind: CountedBy, key: str, failures: Failures | None, now: datetime
) -> Failures:
    """The count after one more failure at ``now`` (locked when it reaches the threshold)."""
    before = current(policy, failures, now)
    count = (before.count if before else 0) + 1
    locked_at = now if count >= policy.lock_after(kind) else None
    return Failures(kind, key, count, now, locked_at)


def failed_at(failures: Failures, now: datetime) -> Failures:
    """The count with its last failure at ``now``: a delay runs from when the failure was
    known (the password checked), not from when the attempt was counted."""
    return replace(failures, last_at=max(failures.last_at, now))


def uncounted(policy: SignInPolicy, failures: Failures) -> Failures | None:
    """The count with one failure taken back (an attempt counted ahead that succeeded); it
    stays locked only if it is still at the threshold without that one."""
    count = failures.count - 1
    if count <= 0:
        return None
    locked_at = failures.locked_at if count >= policy.lock_after(failures.kind) else None
    return replace(failures, count=count, locked_at=locked_at)


def clean_name(typed: str) -> str:
    """A typed user name with control characters replaced: safe to look up and store."""
    return _CONTROL.sub(REPLACEMENT, typed)


def recorded_name(typed: str) -> str:
    """A typed user name as the audit log keeps it: cleaned and cut to a bound."""
    name = clean_name(typed)
    if len(name) > SIGN_IN_NAME_RECORDED_MAX:
        return name[: SIGN_IN_NAME_RECORDED_MAX - 1] + "…"
    return name


def address_key(address: str | None) -> str:
    """A client address as counted and recorded ("unknown" when there is none)."""
    if not address:
        return "unknown"
    return clean_name(address)[:SIGN_IN_ADDRESS_CHARS_MAX]


# --- settings ---------------------------------------------------------------------------------


def _setting_violation(name: str, value: float, low: float, high: float) -> Violation | None:
    if low <= value <= high:
        return None
    return Violation(
        Code.INVALID_FIELD,
        name,
        "{name} is {value}; it must be from {low} to {high}",
        params={"name": name, "value": f"{value:g}", "low": f"{low:g}", "high": f"{high:g}"},
    )


def check_policy(policy: SignInPolicy) -> SignInPolicy:
    """``policy`` when every threshold is within its bound; INVALID_FIELD naming it if not."""
    checks = [
        ("ACSA_SIGN_IN_FREE_FAILURES", policy.free_failures, 0, SIGN_IN_FAILURES_CEILING),
        ("ACSA_SIGN_IN_DELAY_SECONDS", policy.delay_s, 0, SIGN_IN_DELAY_S_CEILING),
        ("ACSA_SIGN_IN_DELAY_MAX_SECONDS", policy.delay_max_s, 0, SIGN_IN_DELAY_S_CEILING),
        ("ACSA_SIGN_IN_LOCK_AFTER", policy.account_lock_after, 1, SIGN_IN_FAILURES_CEILING),
        (
            "ACSA_SIGN_IN_ADDRESS_LOCK_AFTER",
            policy.address_lock_after,
            1,
            SIGN_IN_FAILURES_CEILING,
        ),
        (
            "ACSA_SIGN_IN_FORGET_MINUTES",
            policy.forget_after_s / 60,
            1,
            SIGN_IN_FORGET_MINUTES_CEILING,
        ),
    ]
    found = [v for v in (_setting_violation(*c) for c in checks) if v is not None]
    if found:
        raise AcsaError(found)
    return policy


# --- token lifetimes --------------------------------------------------------------------------


def check_token_max_days(days: int) -> int:
    """The configured maximum token lifetime (ACSA_TOKEN_MAX_DAYS), within its bound."""
    violation = _setting_violation("ACSA_TOKEN_MAX_DAYS", days, 1, TOKEN_DAYS_CEILING)
    if violation is not None:
        raise AcsaError([violation])
    return days


def token_lifetime(
    days: int | None, never_expires: bool, max_days: int, may_choose_never: bool
) -> timedelta | None:
    """How long a new token lives (None: it never expires).

    ``days`` defaults to the smaller of 90 and ``max_days``; a value below 1 or above
    ``max_days`` is INVALID_FIELD. A never-expiring token is asked for explicitly
    (``never_expires``, without ``days``) and only by whoever ``may_choose_never`` (an admin)."""
    if never_expires:
        if days is not None:
            raise AcsaError.single(
                Code.INVALID_FIELD,
                "expires_days",
                "expires_days and never_expires exclude each other; give one",
            )
        if not may_choose_never:
            raise ForbiddenError.single(
                Code.FORBIDDEN,
                "never_expires",
                "only an admin makes a token that never expires",
            )
        return None
    if days is None:
        return timedelta(days=min(TOKEN_DAYS_DEFAULT, max_days))
    if not 1 <= days <= max_days:
        shown = str(days) if abs(days) < 10**20 else Message(t("beyond 10^20 in size"), {})
        raise AcsaError.single(
            Code.INVALID_FIELD,
            "expires_days",
            "expires_days is {days}; a token lives from 1 to {most} days (ACSA_TOKEN_MAX_DAYS); "
            "an admin may ask for one that never expires",
            days=shown,
            most=max_days,
        )
    return timedelta(days=days)
