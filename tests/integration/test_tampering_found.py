"""Tampering that cannot hide (issue 13), on a real SQLite file and a real PostgreSQL.

Books are built with the real services (an order placed, received, invoiced, paid and closed,
and a user); then each edit an attacker with the database in hand would make is planted with
raw SQL on a separate connection, and ``verify_audit`` and the real ``acsa audit verify`` must
find it (exit 2), naming the table and the row. Cutting the chain's tail or rewriting a record
with every later hash recomputed must be found against a signed checkpoint kept outside the
database. A clean database, the demo and an imported history verify clean.
"""

from __future__ import annotations

import dataclasses
import os
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from alembic import command
from sqlalchemy import Engine, delete, insert, select, update

from acsa.adapters.checkpoints import read_checkpoint
from acsa.adapters.db import tables as t
from acsa.adapters.db.engine import make_engine
from acsa.adapters.db.migrate import alembic_config, head_revision
from acsa.adapters.db.unit_of_work import UnitOfWork
from acsa.commands import (
    AcceptOrder,
    CloseOrder,
    DeliverOrder,
    IssueInvoice,
    PlaceOrder,
    ReceiveOrder,
    RecordPayment,
    SubmitOrder,
)
from acsa.domain.audit import GENESIS, AuditRecord, expected_hash
from acsa.services import users
from acsa.services.audit import AuditVerifyOut, audit_log, take_checkpoint, verify_audit
from acsa.services.demo import load_demo
from acsa.services.handlers import handle
from acsa.services.history_import import import_history
from acsa.services.setup import init_database
from tests.api.server import Server
from tests.e2e.cli import Result, run
from tests.exchange.nodes import wait_for
from tests.integration.test_history_import import SAMPLE
from tests.orders_data import order_doc


@pytest.fixture(autouse=True)
def outside(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> dict[str, str]:
    """Checkpoints and the installation key in this test's own directory (never the user's)."""
    env = {
        "ACSA_CHECKPOINT_DIR": str(tmp_path / "checkpoints"),
        "ACSA_INSTALLATION_KEY": str(tmp_path / "keys" / "installation.key"),
    }
    for name, value in env.items():
        monkeypatch.setenv(name, value)
    return env


@dataclass(frozen=True)
class Books:
    order: int
    invoice: int
    payment: int
    user: int


def build(engine: Engine) -> Books:
    """An order through settlement with a payment, and a user, all through the services."""
    order, _ = handle(UnitOfWork(engine), PlaceOrder.from_wire(order_doc()), "Lt K. Sato")
    oid = order.id
    assert oid is not None
    for step in (SubmitOrder, AcceptOrder, DeliverOrder, ReceiveOrder):
        handle(UnitOfWork(engine), step(order_id=oid), "Capt. J. Smith")
    invoice = handle(UnitOfWork(engine), IssueInvoice(order_id=oid), "Ms A. Finance")
    handle(
        UnitOfWork(engine),
        RecordPayment(invoice=invoice.number, amount=invoice.amount, paid=invoice.issued),
        "Mr B. Payer",
    )
    handle(UnitOfWork(engine), CloseOrder(order_id=oid), "Mr B. Payer")
    users.add_user(
        UnitOfWork(engine),
        {"name": "jpn-clerk", "nation": "JPN", "roles": ["viewer"], "password": "long enough pw"},
        actor="operator",
    )
    with engine.connect() as conn:
        invoice_id = conn.execute(select(t.invoices.c.id)).scalar_one()
        payment_id = conn.execute(select(t.payments.c.id)).scalar_one()
        user_id = conn.execute(
            select(t.users.c.id).where(t.users.c.name == "jpn-clerk")
        ).scalar_one()
    return Books(oid, invoice_id, payment_id, user_id)


def execute(engine: Engine, *statements: Any) -> None:
    """Raw SQL on a connection of its own, committed: what an attacker with the file does."""
    with engine.connect() as conn:
        for statement in statements:
            conn.execute(statement)
        conn.commit()


def check(engine: Engine) -> AuditVerifyOut:
    return verify_audit(UnitOfWork(engine, read_only=True))


def cli_verify(db_url: str, *more: str) -> Result:
    return run("audit", "verify", "--db", db_url, *more)


def problem_lines(result: Result) -> list[str]:
    return [
        line
        for line in result.stdout.splitlines()
        if line.startswith(("record", "ledger", "row", "checkpoint"))
    ]


o, ol, oe, inv, pay, u = t.orders, t.order_lines, t.order_events, t.invoices, t.payments, t.users

#: Each planted edit: (name, the SQL, the table and key verify must name first, its code).
Plant = Callable[[Books], tuple[Any, str, str, str]]
CASES: dict[str, Plant] = {
    "unit price": lambda b: (
        update(ol)
        .where((ol.c.order_id == b.order) & (ol.c.number == 1))
        .values(unit_price_minor=ol.c.unit_price_minor - 1),
        "order_lines",
        f"{b.order}/1",
        "AUDIT_ROW_CHANGED",
    ),
    "quantity received": lambda b: (
        update(ol)
        .where((ol.c.order_id == b.order) & (ol.c.number == 2))
        .values(quantity_received="1"),
        "order_lines",
        f"{b.order}/2",
        "AUDIT_ROW_CHANGED",
    ),
    "order status": lambda b: (
        update(o).where(o.c.id == b.order).values(status="received"),
        "orders",
        str(b.order),
        "AUDIT_ROW_CHANGED",
    ),
    "actor in history": lambda b: (
        update(oe).where((oe.c.order_id == b.order) & (oe.c.seq == 3)).values(actor="Mallory"),
        "order_events",
        f"{b.order}/3",
        "AUDIT_ROW_CHANGED",
    ),
    "invoice amount": lambda b: (
        update(inv).where(inv.c.id == b.invoice).values(amount_minor=inv.c.amount_minor + 1),
        "invoices",
        str(b.invoice),
        "AUDIT_ROW_CHANGED",
    ),
    "payment amount": lambda b: (
        update(pay).where(pay.c.id == b.payment).values(amount_minor=pay.c.amount_minor - 1),
        "payments",
        str(b.payment),
        "AUDIT_ROW_CHANGED",
    ),
    "payment deleted": lambda b: (
        delete(pay).where(pay.c.id == b.payment),
        "payments",
        str(b.payment),
        "AUDIT_ROW_MISSING",
    ),
    "user made admin": lambda b: (
        update(u).where(u.c.id == b.user).values(roles="admin,viewer"),
        "users",
        str(b.user),
        "AUDIT_ROW_CHANGED",
    ),
    "order added by hand": lambda b: (
        insert(ol).values(
            order_id=b.order,
            number=9,
            category="fuel",
            description="never ordered",
            unit="L",
            quantity="1",
            unit_price_minor=1,
            currency="JPY",
            quantity_delivered="0",
            quantity_received="0",
            quantity_short="0",
        ),
        "order_lines",
        f"{b.order}/9",
        "AUDIT_ROW_UNRECORDED",
    ),
}


#: What the check says differs, where the last record states the field.
WHAT = {
    "unit price": "; unit_price is ",
    "quantity received": "; quantity_received is 1 where it was ",
    "order status": "; status is received where it was closed as record ",
    "user made admin": "; roles is admin,viewer where it was viewer as record ",
}


@pytest.mark.parametrize("case", list(CASES))
def test_each_planted_edit_of_a_business_row_is_found_naming_the_row(
    case: str, db_url: str, engine: Engine
) -> None:
    books = build(engine)
    clean = check(engine)
    assert clean.ok, clean.problems
    assert clean.rows >= 15

    statement, table, key, code = CASES[case](books)
    execute(engine, statement)

    found = check(engine)
    assert not found.ok
    assert found.rows_at_fault == 1, found.problems
    [first] = found.problems
    assert (first.table, first.key, first.code) == (table, key, code)
    if case in WHAT:
        assert WHAT[case] in first.reason, first.reason

    result = cli_verify(db_url)
    assert result.code == 2, result.stdout + result.stderr
    lines = problem_lines(result)
    assert lines[0].startswith(f"row {table} {key}: {table} {key} (of "), lines
    assert len(lines) == 1


def test_a_clean_database_and_a_checkpoint_verify_clean(
    db_url: str, engine: Engine, outside: dict[str, str]
) -> None:
    build(engine)
    result = cli_verify(db_url)
    assert result.code == 0, result.stdout + result.stderr
    assert "audit chain intact" in result.stdout
    assert "rows as recorded" in result.stdout

    taken = run("audit", "checkpoint", "--db", db_url, "--json")
    assert taken.code == 0, taken.stdout + taken.stderr
    head = taken.json
    assert head["signer"] == "installation"
    assert head["count"] == head["seq"] == len(audit_log(UnitOfWork(engine, read_only=True)))
    stored = list(Path(outside["ACSA_CHECKPOINT_DIR"]).glob("*/*.json"))
    assert [str(p) for p in stored] == [head["file"]]
    key = Path(outside["ACSA_INSTALLATION_KEY"])
    assert oct(key.stat().st_mode & 0o777) == "0o600"
    assert oct(key.parent.stat().st_mode & 0o777) == "0o700"

    # The latest stored checkpoint is held against by default; more records after it are fine.
    users.add_user(
        UnitOfWork(engine),
        {"name": "aus-clerk", "nation": "AUS", "roles": ["viewer"], "password": "long enough pw"},
    )
    result = cli_verify(db_url, "--json")
    assert result.code == 0, result.stdout
    assert result.json["checkpoint"]["ok"] is True
    assert result.json["checkpoint"]["checkpoint"]["seq"] == head["seq"]


def _cut_tail(engine: Engine, count: int) -> None:
    a = t.audit_log
    with engine.connect() as conn:
        last = conn.execute(select(a.c.seq).order_by(a.c.seq.desc()).limit(1)).scalar_one()
    execute(engine, delete(a).where(a.c.seq > last - count))


def _rewrite_chain(engine: Engine, seq: int) -> None:
    """Change record ``seq``'s actor and recompute its hash and every later one, as someone
    who knows the hashing would."""
    records = audit_log(UnitOfWork(engine, read_only=True))
    a = t.audit_log
    statements = []
    prev = None
    for record in records:
        if record.seq < seq:
            continue
        stored = AuditRecord(
            seq=record.seq,
            at=_at(engine, record.seq),
            actor="Mallory" if record.seq == seq else record.actor,
            nation=record.nation,
            action=record.action,
            subject=record.subject,
            order_id=record.order_id,
            before=record.before,
            after=record.after,
            entries=record.entries,
            prev_hash=prev if prev is not None else record.prev_hash,
            hash="",
            rows=_rows(engine, record.seq),
        )
        prev = expected_hash(stored)
        statements.append(
            update(a)
            .where(a.c.seq == record.seq)
            .values(actor=stored.actor, prev_hash=stored.prev_hash, hash=prev)
        )
    execute(engine, *statements)


def _at(engine: Engine, seq: int) -> Any:
    with engine.connect() as conn:
        return conn.execute(select(t.audit_log.c.at).where(t.audit_log.c.seq == seq)).scalar_one()


def _rows(engine: Engine, seq: int) -> Any:
    with engine.connect() as conn:
        query = select(t.audit_log.c.rows).where(t.audit_log.c.seq == seq)
        return conn.execute(query).scalar_one()


def test_a_cut_tail_of_three_records_is_found_against_the_checkpoint(
    db_url: str, engine: Engine, tmp_path: Path
) -> None:
    build(engine)
    out = tmp_path / "elsewhere" / "head.json"
    taken = run("audit", "checkpoint", "--db", db_url, "--out", str(out))
    assert taken.code == 0, taken.stdout + taken.stderr
    head = read_checkpoint(out)

    _cut_tail(engine, 3)
    found = check(engine)
    assert not found.ok
    mismatch = [p for p in found.problems if p.code == "AUDIT_CHECKPOINT_MISMATCH"]
    assert len(mismatch) == 1
    assert f"counted {head.count}" in mismatch[0].reason
    assert "its last 3 were cut off" in mismatch[0].reason

    result = cli_verify(db_url, "--checkpoint", str(out))
    assert result.code == 2, result.stdout
    assert any(
        line.startswith("checkpoint: ") and "its last 3 were cut off" in line
        for line in problem_lines(result)
    ), result.stdout


def test_a_record_rewritten_with_every_later_hash_recomputed_is_found_against_the_checkpoint(
    db_url: str, engine: Engine, tmp_path: Path
) -> None:
    build(engine)
    out = tmp_path / "head.json"
    assert run("audit", "checkpoint", "--db", db_url, "--out", str(out)).code == 0
    head = read_checkpoint(out)
    records = audit_log(UnitOfWork(engine, read_only=True))
    accept = next(r for r in records if r.action == "order.accept")

    _rewrite_chain(engine, accept.seq)
    # The chain itself now checks: without a checkpoint the rewrite would pass.
    alone = verify_audit(UnitOfWork(engine, read_only=True), stored_checkpoint=False)
    assert alone.ok, alone.problems

    result = cli_verify(db_url, "--checkpoint", str(out))
    assert result.code == 2, result.stdout
    assert problem_lines(result) == [
        f"checkpoint: record {head.seq} no longer has the hash the checkpoint of "
        f"{head.at.isoformat(timespec='seconds')} signed: the chain was rewritten"
    ]
    # The checkpoint the installation keeps is found by default too.
    assert not check(engine).ok


def test_a_checkpoint_signed_by_another_key_is_not_trusted(
    db_url: str, engine: Engine, tmp_path: Path
) -> None:
    build(engine)
    out = tmp_path / "head.json"
    other = {"ACSA_INSTALLATION_KEY": str(tmp_path / "other" / "key")}
    assert run("audit", "checkpoint", "--db", db_url, "--out", str(out), env=other).code == 0
    result = cli_verify(db_url, "--checkpoint", str(out), "--json")
    assert result.code == 2
    assert result.json["checkpoint"]["trusted"] is False
    # A file that is no checkpoint is a coded refusal, not a traceback.
    bad = tmp_path / "bad.json"
    bad.write_text('{"format": "acsa-audit-checkpoint", "version": 1, "seq": "x"}')
    refused = cli_verify(db_url, "--checkpoint", str(bad))
    assert refused.code == 2
    assert "CHECKPOINT_INVALID" in refused.stdout + refused.stderr
    assert "Traceback" not in refused.stderr


def test_the_demo_verifies_clean(engine: Engine) -> None:
    load_demo(engine)
    result = check(engine)
    assert result.ok, result.problems[:5]
    assert result.rows > 100


def test_an_imported_history_verifies_clean_and_an_edit_in_it_is_found(engine: Engine) -> None:
    import_history(UnitOfWork(engine), SAMPLE)
    result = check(engine)
    assert result.ok, result.problems[:5]
    with engine.connect() as conn:
        oid = conn.execute(select(o.c.id).order_by(o.c.id).limit(1)).scalar_one()
    execute(engine, update(o).where(o.c.id == oid).values(location="somewhere else"))
    found = check(engine)
    assert [(p.table, p.key) for p in found.problems] == [("orders", str(oid))]


def test_checkpoint_taken_in_process_matches_the_head(engine: Engine) -> None:
    build(engine)
    taken = take_checkpoint(UnitOfWork(engine, read_only=True))
    assert taken.file is not None
    assert os.path.exists(taken.file)
    records = audit_log(UnitOfWork(engine, read_only=True))
    assert (taken.seq, taken.hash) == (records[-1].seq, records[-1].hash)


def test_a_database_from_before_row_digests_is_vouched_for_once_as_it_is_upgraded(
    sqlite_url: str,
) -> None:
    engine = make_engine(sqlite_url)
    books = build(engine)
    # The chain as migration 0005's acsa wrote it: no row digests, hashes without them.
    a = t.audit_log
    with UnitOfWork(engine, read_only=True) as uow:
        stored = list(uow.audit.records())
    prev = GENESIS
    statements = []
    for record in stored:
        old = dataclasses.replace(record, rows=None, prev_hash=prev)
        prev = expected_hash(old)
        statements.append(
            update(a)
            .where(a.c.seq == record.seq)
            .values(rows=None, prev_hash=old.prev_hash, hash=prev)
        )
    execute(engine, *statements)
    config = alembic_config()
    with engine.begin() as conn:
        config.attributes["connection"] = conn
        command.downgrade(config, "0005")

    report = init_database(engine)
    assert (report.revision_before, report.revision) == ("0005", head_revision())
    result = check(engine)
    assert result.ok, result.problems[:3]
    assert result.rows >= 15
    baseline = [
        r for r in audit_log(UnitOfWork(engine, read_only=True)) if r.action == "audit.baseline"
    ]
    assert len(baseline) == 1
    assert baseline[0].after["order"] == 1
    # Once only: init again vouches for nothing more, and an edit since is found.
    init_database(engine)
    assert (
        len(
            [
                r
                for r in audit_log(UnitOfWork(engine, read_only=True))
                if r.action == "audit.baseline"
            ]
        )
        == 1
    )
    execute(engine, update(pay).where(pay.c.id == books.payment).values(amount_minor=1))
    assert [(p.table, p.key) for p in check(engine).problems] == [("payments", str(books.payment))]
    engine.dispose()


def test_the_server_checkpoints_as_it_starts_and_again_when_the_chain_moved(
    sqlite_url: str, tmp_path: Path, outside: dict[str, str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("ACSA_CHECKPOINT_INTERVAL", "10")
    kept = Path(outside["ACSA_CHECKPOINT_DIR"])
    engine = make_engine(sqlite_url)
    with Server(sqlite_url, log=tmp_path / "serve.log"):
        first = wait_for(lambda: sorted(kept.glob("*/*.json")), 20.0, "the first checkpoint")
        assert len(first) == 1
        build(engine)
        later = wait_for(
            lambda: [p for p in sorted(kept.glob("*/*.json")) if p not in first],
            30.0,
            "a checkpoint after the chain moved",
        )
    head = read_checkpoint(later[-1])
    records = audit_log(UnitOfWork(engine, read_only=True))
    assert (head.seq, head.hash) == (records[-1].seq, records[-1].hash)
    assert head.signer == "installation"
    assert check(engine).checkpoint is not None
    engine.dispose()


def test_serve_refuses_a_checkpoint_interval_out_of_bounds(sqlite_url: str) -> None:
    for given in ("abc", "5", "99999999999"):
        result = run("serve", "--db", sqlite_url, env={"ACSA_CHECKPOINT_INTERVAL": given})
        assert result.code == 2, result.stdout + result.stderr
        assert "ACSA_CHECKPOINT_INTERVAL" in result.stdout + result.stderr


def test_an_order_changed_and_then_stepped_on_is_still_found(engine: Engine) -> None:
    """A unit price and a status changed straight in the database, then the order taken a
    step further by acsa (which writes its lines and row again, as it found them): the step's
    record says what it found, which is not what the step before left."""
    order, _ = handle(UnitOfWork(engine), PlaceOrder.from_wire(order_doc()), "Lt K. Sato")
    oid = order.id
    assert oid is not None
    for step in (SubmitOrder, AcceptOrder):
        handle(UnitOfWork(engine), step(order_id=oid), "Capt. J. Smith")
    execute(
        engine,
        update(ol)
        .where((ol.c.order_id == oid) & (ol.c.number == 1))
        .values(unit_price_minor=ol.c.unit_price_minor * 10),
    )
    for step in (DeliverOrder, ReceiveOrder):
        handle(UnitOfWork(engine), step(order_id=oid), "Capt. J. Smith")
    deliver = next(
        r for r in audit_log(UnitOfWork(engine, read_only=True), oid) if r.action == "order.deliver"
    )
    found = check(engine)
    assert not found.ok
    first = found.problems[0]
    assert (first.table, first.key, first.code, first.seq) == (
        "orders",
        str(oid),
        "AUDIT_ROW_CHANGED",
        deliver.seq,
    )
    assert "found the order otherwise than record" in first.reason
