"""The pure parts of tampering that cannot hide: the fold of recorded row digests, a
checkpoint's form and what a chain contradicts in it, the server's checkpoint interval."""

from __future__ import annotations

import json
from datetime import UTC, datetime

import pytest

from acsa.api.checkpointer import checkpoint_interval_s
from acsa.domain.audit import GENESIS, RecordedRows, row_digest
from acsa.domain.checkpoint import Checkpoint, head_problems, parse_checkpoint
from acsa.domain.errors import AcsaError


def test_the_latest_record_of_a_scope_replaces_what_was_recorded_before() -> None:
    state = RecordedRows()
    state.apply(1, {"order:1": {"payments": {"7": "a", "8": "b"}}})
    state.apply(2, {"order:1": {"payments": {"7": "c"}}, "user:x": {"users": {"3": "u"}}})
    assert state.check("payments", "order:1", "7", "c") is None
    found = state.check("payments", "order:1", "8", "b")
    assert found is not None
    assert (found.kind, found.seq) == ("unrecorded", 2)
    assert state.check("users", "user:x", "3", "v") is not None
    assert [p.key for p in state.missing("payments")] == []
    assert [p.key for p in state.missing("users")] == []


def test_a_recorded_row_not_seen_is_missing_and_a_row_of_no_scope_never_recorded() -> None:
    state = RecordedRows()
    state.apply(4, {"order:2": {"order_lines": {"2/10": "x", "2/2": "y"}}})
    assert state.check("order_lines", "order:2", "2/2", "y") is None
    [gone] = state.missing("order_lines")
    assert (gone.key, gone.kind, gone.seq) == ("2/10", "removed", 4)
    stray = state.check("orders", "order:9", "9", "z")
    assert stray is not None
    assert (stray.kind, stray.seq) == ("unrecorded", None)


def test_a_row_digest_depends_on_every_value_and_its_table() -> None:
    row = (1, "JPY", 150, datetime(2026, 1, 1, tzinfo=UTC))
    assert row_digest("payments", row) == row_digest("payments", row)
    assert row_digest("payments", row) != row_digest("invoices", row)
    assert row_digest("payments", row) != row_digest("payments", (*row[:2], 151, row[3]))
    assert len(row_digest("payments", row)) == 32


def _checkpoint(seq: int = 5, count: int = 5, hash_: str = "a" * 64) -> Checkpoint:
    return Checkpoint(
        seq, hash_, count, datetime(2026, 12, 6, tzinfo=UTC), "db", "installation", "k", "s"
    )


def test_a_checkpoint_reads_back_as_written() -> None:
    made = _checkpoint()
    assert parse_checkpoint(made.text()) == made


@pytest.mark.parametrize(
    ("text", "field"),
    [
        ("[1, 2", "checkpoint"),
        ("[]", "checkpoint"),
        ('{"format": "other", "version": 1}', "format"),
        ("x" * 20_000, "checkpoint"),
        ("[" * 5000 + "]" * 5000, "checkpoint"),
    ],
)
def test_what_is_not_a_checkpoint_is_refused_naming_the_field(text: str, field: str) -> None:
    with pytest.raises(AcsaError) as refused:
        parse_checkpoint(text)
    [violation] = refused.value.violations
    assert (violation.code.value, violation.field) == ("CHECKPOINT_INVALID", field)


@pytest.mark.parametrize(
    ("change", "field"),
    [
        ({"seq": "5"}, "seq"),
        ({"count": -1}, "count"),
        ({"count": True}, "count"),
        ({"hash": "A" * 64}, "hash"),
        ({"signer": "x\x00"}, "signer"),
        ({"at": "yesterday"}, "at"),
        ({"at": "2026-12-06T00:00:00"}, "at"),
    ],
)
def test_each_bad_field_of_a_checkpoint_is_named(change: dict[str, object], field: str) -> None:
    body = {**_checkpoint().as_dict(), **change}
    with pytest.raises(AcsaError) as refused:
        parse_checkpoint(json.dumps(body))
    assert refused.value.violations[0].field == field


def test_a_cut_tail_and_a_rewritten_head_contradict_the_checkpoint() -> None:
    checkpoint = _checkpoint(seq=10, count=10)
    assert head_problems(checkpoint, 10, "a" * 64) == []
    assert head_problems(checkpoint, 12, "a" * 64) == []
    [cut] = head_problems(checkpoint, 7, None)
    assert "its last 3 were cut off" in cut
    [rewritten] = head_problems(checkpoint, 10, "b" * 64)
    assert "record 10 no longer has the hash" in rewritten
    assert head_problems(_checkpoint(0, 0, GENESIS), 0, None) == []


@pytest.mark.parametrize("given", ["abc", "-5", "5", "1e3", "604801", "１２", " 9 9"])
def test_a_checkpoint_interval_out_of_bounds_is_refused(given: str) -> None:
    with pytest.raises(AcsaError) as refused:
        checkpoint_interval_s({"ACSA_CHECKPOINT_INTERVAL": given})
    assert refused.value.violations[0].field == "ACSA_CHECKPOINT_INTERVAL"


def test_the_checkpoint_interval_defaults_to_an_hour_and_zero_turns_it_off() -> None:
    assert checkpoint_interval_s({}) == 3600
    assert checkpoint_interval_s({"ACSA_CHECKPOINT_INTERVAL": "0"}) == 0
    assert checkpoint_interval_s({"ACSA_CHECKPOINT_INTERVAL": " 60 "}) == 60
