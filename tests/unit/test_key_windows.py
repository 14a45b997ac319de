"""The key-validity rule (acsa.domain.keys): a replaced key signs until the end of its grace
period, a revoked one until its revocation, each document judged by its own time."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from acsa.domain.errors import Code
from acsa.domain.keys import (
    KeyState,
    KeyWindow,
    find_key,
    key_chain,
    key_state,
    key_violation,
    rolled_over,
)

T0 = datetime(2026, 12, 1, 9, 0, tzinfo=UTC)
OLD = "aaaa:" * 7 + "aaaa"
NEW = "bbbb:" * 7 + "bbbb"


def _old(**kw: datetime | None) -> KeyWindow:
    return KeyWindow("NZL", OLD, "ed25519:old", T0 - timedelta(days=30), **kw)


def test_a_current_key_signs_documents_of_any_time() -> None:
    key = _old()
    assert key_state(key, T0) is KeyState.CURRENT
    assert key_violation("d1", OLD, T0 + timedelta(days=999), key) is None


def test_a_rollover_keeps_the_old_key_for_its_grace_period_then_retires_it() -> None:
    until = T0 + timedelta(days=7)
    keys = rolled_over([_old()], "NZL", OLD, NEW, "ed25519:new", T0, until)
    old, new = find_key(keys, OLD), find_key(keys, NEW)
    assert old is not None
    assert new is not None
    assert (old.until, new.since, new.until) == (until, T0, None)
    # Signed before the rollover, or during the grace period: taken whenever it arrives.
    assert key_violation("d1", OLD, T0 - timedelta(days=1), old) is None
    assert key_violation("d2", OLD, until, old) is None
    assert key_state(old, T0 + timedelta(days=1)) is KeyState.GRACE
    # Dated after the grace period: refused, naming the key, the nation and the end.
    late = key_violation("d3", OLD, until + timedelta(seconds=1), old)
    assert late is not None
    assert late.code is Code.DOCUMENT_KEY_RETIRED
    assert (late.params["key"], late.params["nation"]) == (OLD, "NZL")
    assert late.params["until"] == until.isoformat()
    assert key_state(old, until + timedelta(seconds=1)) is KeyState.RETIRED
    assert key_violation("d4", NEW, until + timedelta(days=400), new) is None


def test_a_second_rollover_does_not_lengthen_an_earlier_end() -> None:
    first = T0 + timedelta(days=1)
    keys = rolled_over([_old(until=first)], "NZL", OLD, NEW, "k", T0, T0 + timedelta(days=9))
    old = find_key(keys, OLD)
    assert old is not None
    assert old.until == first


def test_a_revoked_key_refuses_later_documents_and_keeps_earlier_ones() -> None:
    since = T0 + timedelta(hours=2)
    key = _old(revoked=since)
    assert key_violation("d1", OLD, since - timedelta(seconds=1), key) is None
    refused = key_violation("d2", OLD, since + timedelta(seconds=1), key)
    assert refused is not None
    assert refused.code is Code.DOCUMENT_KEY_REVOKED
    assert refused.params["revoked"] == since.isoformat()
    assert key_state(key, since) is KeyState.REVOKED
    assert key_state(key, since - timedelta(seconds=1)) is KeyState.CURRENT


def test_revocation_wins_over_the_grace_period() -> None:
    key = _old(until=T0 + timedelta(days=7), revoked=T0 + timedelta(days=1))
    refused = key_violation("d", OLD, T0 + timedelta(days=2), key)
    assert refused is not None
    assert refused.code is Code.DOCUMENT_KEY_REVOKED


def test_each_pair_of_nodes_has_its_own_key_chain() -> None:
    assert key_chain("NZL", "JPN") == key_chain("NZL", "JPN")
    assert key_chain("NZL", "JPN") != key_chain("JPN", "NZL")
    assert len(key_chain("NZL", "JPN")) == 36
