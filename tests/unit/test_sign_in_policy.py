"""The sign-in throttle's and token lifetimes' rules alone (acsa.domain.sign_in): no clock,
no database."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from acsa.config import sign_in_policy, token_max_days
from acsa.domain.access import ForbiddenError
from acsa.domain.errors import AcsaError, Code
from acsa.domain.sign_in import (
    CountedBy,
    SignInPolicy,
    SignInRefusedError,
    address_key,
    counted,
    decide,
    delay_after,
    recorded_name,
    token_lifetime,
    uncounted,
)
from acsa.i18n import catalog

T0 = datetime(2026, 12, 6, 8, 0, tzinfo=UTC)
POLICY = SignInPolicy(
    free_failures=2,
    delay_s=1,
    delay_max_s=30,
    account_lock_after=6,
    address_lock_after=8,
    forget_after_s=600,
)


def fail_n(kind: CountedBy, n: int, step_s: float = 0.0):
    failures = None
    for i in range(n):
        failures = counted(POLICY, kind, "k", failures, T0 + timedelta(seconds=i * step_s))
    return failures


def test_the_free_failures_cost_nothing_then_the_delay_doubles_up_to_its_ceiling():
    assert [delay_after(POLICY, n) for n in range(9)] == [0, 0, 1, 2, 4, 8, 16, 30, 30]
    assert delay_after(POLICY, 10_000) == 30


def test_an_attempt_waits_the_delay_from_the_last_failure():
    failures = fail_n(CountedBy.ACCOUNT, 4)  # delay 4 s after the fourth
    assert decide(POLICY, T0, failures) == decide(POLICY, T0, None, failures)
    verdict = decide(POLICY, T0 + timedelta(seconds=1.5), failures)
    assert not verdict.allowed
    assert verdict.retry_after_s == 3
    assert verdict.cause is CountedBy.ACCOUNT
    assert decide(POLICY, T0 + timedelta(seconds=4), failures).allowed


def test_the_longer_wait_of_the_name_and_the_address_holds():
    name = fail_n(CountedBy.ACCOUNT, 3)  # 2 s
    address = fail_n(CountedBy.ADDRESS, 5)  # 8 s
    verdict = decide(POLICY, T0, name, address)
    assert (verdict.retry_after_s, verdict.cause) == (8, CountedBy.ADDRESS)


def test_the_threshold_locks_and_a_lock_is_never_forgotten():
    failures = fail_n(CountedBy.ACCOUNT, 6)
    assert failures is not None
    assert failures.locked
    later = T0 + timedelta(days=365)
    verdict = decide(POLICY, later, failures)
    assert not verdict.allowed
    assert verdict.locked
    assert isinstance(SignInRefusedError(verdict), AcsaError)
    assert SignInRefusedError(verdict).codes == [Code.SIGN_IN_LOCKED.value]
    # An address takes more failures to lock.
    assert not fail_n(CountedBy.ADDRESS, 7).locked
    assert fail_n(CountedBy.ADDRESS, 8).locked


def test_a_quiet_period_forgets_a_count_short_of_the_lock():
    failures = fail_n(CountedBy.ACCOUNT, 5)
    quiet = T0 + timedelta(seconds=601)
    assert decide(POLICY, quiet, failures).allowed
    assert counted(POLICY, CountedBy.ACCOUNT, "k", failures, quiet).count == 1


def test_a_success_takes_back_only_the_attempt_counted_ahead():
    address = fail_n(CountedBy.ADDRESS, 8)
    assert address is not None
    assert address.locked
    back = uncounted(POLICY, address)
    assert back is not None
    assert back.count == 7
    assert not back.locked
    assert uncounted(POLICY, fail_n(CountedBy.ADDRESS, 1)) is None


def test_names_and_addresses_are_recorded_bounded_and_without_control_characters():
    assert recorded_name("a" * 500) == "a" * 99 + "…"
    assert recorded_name("bob\x00\n") == "bob\ufffd\ufffd"
    assert address_key(None) == "unknown"
    assert len(address_key("1" * 500)) == 64


@pytest.mark.parametrize("days", [-1, 0, 91, 99999999, 10**30])
def test_a_token_lives_from_one_day_to_the_maximum(days):
    with pytest.raises(AcsaError) as refused:
        token_lifetime(days, False, 90, True)
    assert refused.value.codes == [Code.INVALID_FIELD.value]
    assert refused.value.violations[0].field == "expires_days"


def test_a_token_that_never_expires_is_an_admins_explicit_choice():
    assert token_lifetime(None, False, 90, True) == timedelta(days=90)
    assert token_lifetime(None, False, 30, False) == timedelta(days=30)
    assert token_lifetime(7, False, 90, False) == timedelta(days=7)
    assert token_lifetime(None, True, 90, True) is None
    with pytest.raises(ForbiddenError):
        token_lifetime(None, True, 90, False)
    with pytest.raises(AcsaError):
        token_lifetime(5, True, 90, True)


@pytest.mark.parametrize(
    ("name", "value"),
    [
        ("ACSA_SIGN_IN_LOCK_AFTER", "0"),
        ("ACSA_SIGN_IN_LOCK_AFTER", "ten"),
        ("ACSA_SIGN_IN_DELAY_SECONDS", "nan"),
        ("ACSA_SIGN_IN_DELAY_SECONDS", "-1"),
        ("ACSA_SIGN_IN_FORGET_MINUTES", "1e9"),
        ("ACSA_SIGN_IN_FREE_FAILURES", "99999999"),
    ],
)
def test_settings_out_of_bounds_are_refused_by_name(name, value):
    with pytest.raises(AcsaError) as refused:
        sign_in_policy({name: value})
    assert refused.value.violations[0].field == name


def test_settings_are_read_from_the_environment():
    assert sign_in_policy({}) == SignInPolicy()
    policy = sign_in_policy({"ACSA_SIGN_IN_LOCK_AFTER": "4", "ACSA_SIGN_IN_DELAY_SECONDS": "0.5"})
    assert (policy.account_lock_after, policy.delay_s) == (4, 0.5)
    assert token_max_days({}) == 90
    assert token_max_days({"ACSA_TOKEN_MAX_DAYS": "365"}) == 365
    for bad in ("0", "-5", "3651", "x"):
        with pytest.raises(AcsaError):
            token_max_days({"ACSA_TOKEN_MAX_DAYS": bad})


def test_the_new_codes_and_page_words_have_japanese_words():
    words = catalog("ja")
    for code in (Code.SIGN_IN_THROTTLED, Code.SIGN_IN_LOCKED):
        assert words.get(f"error.{code.value}") is not None, code
    for text in (
        "Too many failed sign-ins. Try again in %(seconds)s seconds.",
        "Sign-in is locked after too many failed attempts. Ask an administrator to unlock it.",
    ):
        message = words.get(text)
        assert message is not None, text
        assert message.string
