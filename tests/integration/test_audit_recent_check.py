"""The audit page's quick check: only what the chain gained since its latest signed checkpoint,
on a real SQLite file and a real PostgreSQL.

Tampering after the checkpoint (a record's content, a business row a later record wrote, the
ledger entries it covers) is found by the quick check; tampering before it that leaves the
signed head alone is the whole check's to find, and the whole check finds it; rewriting an
earlier record with every later hash recomputed moves the signed head, which the quick check
finds. Each whole check is remembered (when, up to which record, intact or not) for the page to
say so.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from sqlalchemy import Engine, delete, select, update

from acsa.adapters.db import tables as t
from acsa.adapters.db.unit_of_work import UnitOfWork
from acsa.commands import PlaceOrder, SubmitOrder
from acsa.services.audit import (
    RecentCheckOut,
    last_full_check,
    take_checkpoint,
    verify_audit,
    verify_recent,
)
from acsa.services.handlers import handle
from tests.integration.test_tampering_found import CASES, _rewrite_chain, build, execute
from tests.orders_data import order_doc


@pytest.fixture(autouse=True)
def outside(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Checkpoints and the installation key in this test's own directory (never the user's)."""
    monkeypatch.setenv("ACSA_CHECKPOINT_DIR", str(tmp_path / "checkpoints"))
    monkeypatch.setenv("ACSA_INSTALLATION_KEY", str(tmp_path / "keys" / "installation.key"))


def reader(engine: Engine) -> UnitOfWork:
    return UnitOfWork(engine, read_only=True)


def recent(engine: Engine, nation: str | None = None) -> RecentCheckOut:
    found = verify_recent(reader(engine), nation=nation)
    assert found is not None
    return found


def head(engine: Engine) -> int:
    with engine.connect() as conn:
        return int(
            conn.execute(
                select(t.audit_log.c.seq).order_by(t.audit_log.c.seq.desc()).limit(1)
            ).scalar_one()
        )


def later_order(engine: Engine) -> int:
    """An order placed and submitted after the checkpoint."""
    order, _ = handle(UnitOfWork(engine), PlaceOrder.from_wire(order_doc()), "Lt K. Sato")
    assert order.id is not None
    handle(UnitOfWork(engine), SubmitOrder(order_id=order.id), "Lt K. Sato")
    return order.id


def test_without_a_checkpoint_only_the_whole_check_can_vouch(engine: Engine) -> None:
    build(engine)
    assert verify_recent(reader(engine)) is None


def test_the_records_after_the_checkpoint_are_checked_and_the_whole_check_remembered(
    engine: Engine,
) -> None:
    build(engine)
    taken = take_checkpoint(reader(engine))
    assert last_full_check(reader(engine)) is None
    oid = later_order(engine)
    found = recent(engine)
    assert found.ok, found.problems
    assert found.checkpoint.ok
    assert found.checkpoint.trusted
    assert found.checkpoint.checkpoint.seq == taken.seq
    assert found.records == head(engine) - taken.seq
    assert found.head == head(engine)
    assert found.rows > 0  # the later order's rows, as its records wrote them
    assert found.last_full is None
    assert verify_audit(reader(engine)).ok
    assert last_full_check(reader(engine)) is None  # a check of the software's keeps nothing
    whole = verify_audit(reader(engine), keep_outcome=True)
    assert whole.ok, whole.problems
    kept = last_full_check(reader(engine))
    assert kept is not None
    assert kept.ok
    assert kept.seq == head(engine)
    assert recent(engine).last_full == kept
    assert oid


def test_a_row_changed_after_the_checkpoint_is_found(engine: Engine) -> None:
    build(engine)
    take_checkpoint(reader(engine))
    oid = later_order(engine)
    o = t.orders
    execute(engine, update(o).where(o.c.id == oid).values(status="accepted"))
    found = recent(engine, nation="JPN")
    assert not found.ok
    assert found.rows_at_fault == 1
    named = [(p.table, p.key, p.code) for p in found.problems]
    assert ("orders", str(oid), "AUDIT_ROW_CHANGED") in named


def test_a_record_changed_after_the_checkpoint_is_found(engine: Engine) -> None:
    build(engine)
    taken = take_checkpoint(reader(engine))
    later_order(engine)
    a = t.audit_log
    execute(engine, update(a).where(a.c.seq == taken.seq + 1).values(actor="Mallory"))
    found = recent(engine)
    assert not found.ok
    assert [p.seq for p in found.problems] == [taken.seq + 1]
    assert "does not match its hash" in found.problems[0].reason


@pytest.mark.parametrize("case", ["unit price", "payment amount", "user made admin"])
def test_a_row_changed_before_the_checkpoint_is_the_whole_checks_to_find(
    case: str, engine: Engine
) -> None:
    books = build(engine)
    take_checkpoint(reader(engine))
    later_order(engine)
    statement, table, key, code = CASES[case](books)
    execute(engine, statement)
    # No later record wrote that row: the quick check does not read it, and says so.
    assert recent(engine).ok
    whole = verify_audit(reader(engine), keep_outcome=True)
    assert not whole.ok
    assert (table, key, code) in [(p.table, p.key, p.code) for p in whole.problems]
    kept = last_full_check(reader(engine))
    assert kept is not None
    assert not kept.ok
    assert recent(engine).last_full == kept


def test_a_record_before_the_checkpoint_rewritten_with_later_hashes_recomputed_is_found(
    engine: Engine,
) -> None:
    build(engine)
    taken = take_checkpoint(reader(engine))
    later_order(engine)
    _rewrite_chain(engine, 2)
    found = recent(engine)
    assert not found.ok
    assert not found.checkpoint.ok
    assert any(
        p.code == "AUDIT_CHECKPOINT_MISMATCH" and f"record {taken.seq} no longer" in p.reason
        for p in found.problems
    )
    assert not verify_audit(reader(engine)).ok


def test_a_cut_tail_is_found(engine: Engine) -> None:
    build(engine)
    later_order(engine)
    taken = take_checkpoint(reader(engine))
    a = t.audit_log
    execute(engine, delete(a).where(a.c.seq > taken.seq - 2))
    found = recent(engine)
    assert not found.ok
    assert any("were cut off" in p.reason for p in found.problems)
