"""The audit log on a real database (SQLite file and PostgreSQL): one record per change with
the state before and after, none for a refusal, listed per order by ``acsa audit log``; and
``acsa audit verify`` (the real command) passing on an intact chain and naming the record
at fault when an audit row, a ledger posting or the chain itself is tampered with directly
in the database."""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from typing import Any

import pytest
from sqlalchemy import Engine, delete, insert, update

from acsa.adapters.db import tables as t
from acsa.adapters.db.unit_of_work import UnitOfWork
from acsa.clock import utc_now
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
from acsa.domain.errors import AcsaError
from acsa.services.audit import audit_log, verify_audit
from acsa.services.handlers import handle
from tests.e2e.cli import Result, run
from tests.orders_data import order_doc

#: The order actions in lifecycle order, with the state before and after each.
ORDER_STEPS = (
    ("submit", SubmitOrder, "draft", "submitted"),
    ("accept", AcceptOrder, "submitted", "accepted"),
    ("deliver", DeliverOrder, "accepted", "delivered"),
    ("receive", ReceiveOrder, "delivered", "received"),
)


def records(engine: Engine, order_id: int | None = None) -> list[Any]:
    return audit_log(UnitOfWork(engine, read_only=True), order_id)


def lifecycle(engine: Engine) -> int:
    """One order placed, received, invoiced, paid and closed through the services."""
    order, _ = handle(UnitOfWork(engine), PlaceOrder.from_wire(order_doc()), "Lt K. Sato")
    assert order.id is not None
    for _name, step, _before, _after in ORDER_STEPS:
        handle(UnitOfWork(engine), step(order_id=order.id), "Capt. J. Smith")
    invoice = handle(UnitOfWork(engine), IssueInvoice(order_id=order.id), "Ms A. Finance")
    handle(
        UnitOfWork(engine),
        RecordPayment(invoice=invoice.number, amount=invoice.amount, paid=invoice.issued),
        "Mr B. Payer",
    )
    handle(UnitOfWork(engine), CloseOrder(order_id=order.id), "Mr B. Payer")
    return order.id


def verify(db_url: str) -> Result:
    """``acsa audit verify`` as people read it."""
    return run("audit", "verify", "--db", db_url)


def problems(result: Result) -> list[str]:
    """The lines naming what is wrong (``record 7: ...``, ``ledger: ...``)."""
    return [line for line in result.stdout.splitlines() if line.startswith(("record", "ledger"))]


def intact(engine: Engine) -> bool:
    """The same check in process (to see a repair took, without another command's start)."""
    return verify_audit(UnitOfWork(engine, read_only=True)).ok


def test_each_change_writes_one_record_with_before_and_after_and_a_refusal_none(
    engine: Engine,
) -> None:
    order, _ = handle(UnitOfWork(engine), PlaceOrder.from_wire(order_doc()), "Lt K. Sato")
    oid = order.id
    assert oid is not None
    [placed] = records(engine, oid)
    assert (placed.action, placed.subject, placed.before) == ("order.place", f"order:{oid}", None)
    assert placed.after["status"] == "draft"
    assert placed.actor == "Lt K. Sato"

    for name, step, before, after in ORDER_STEPS:
        count = len(records(engine))
        # A step the state does not allow is refused, and not recorded.
        out_of_turn = ReceiveOrder if name == "deliver" else DeliverOrder
        with pytest.raises(AcsaError):
            handle(UnitOfWork(engine), out_of_turn(order_id=oid), "Capt. J. Smith")
        assert len(records(engine)) == count, f"a refused action before {name} was recorded"
        handle(UnitOfWork(engine), step(order_id=oid), "Capt. J. Smith")
        new = records(engine)[count:]
        assert [r.action for r in new] == [f"order.{name}"]
        assert (new[0].before["status"], new[0].after["status"]) == (before, after)
        assert new[0].after["version"] == new[0].before["version"] + 1
        assert (new[0].order_id, new[0].subject) == (oid, f"order:{oid}")

    invoice = handle(UnitOfWork(engine), IssueInvoice(order_id=oid), "Ms A. Finance")
    count = len(records(engine))
    with pytest.raises(AcsaError) as refused:
        handle(
            UnitOfWork(engine),
            RecordPayment(invoice=invoice.number, amount=invoice.amount + 1, paid=invoice.issued),
            "Mr B. Payer",
        )
    assert refused.value.violations[0].code.value == "OVERPAYMENT"
    assert len(records(engine)) == count
    handle(
        UnitOfWork(engine),
        RecordPayment(invoice=invoice.number, amount=invoice.amount, paid=invoice.issued),
        "Mr B. Payer",
    )
    [paid] = records(engine)[count:]
    assert paid.action == "payment.record"
    assert paid.before["paid_minor"] == 0
    assert (paid.after["status"], Decimal(paid.after["paid"])) == ("paid", invoice.amount)
    handle(UnitOfWork(engine), CloseOrder(order_id=oid), "Mr B. Payer")
    [closed] = records(engine)[count + 1 :]
    assert (closed.action, closed.before["status"], closed.after["status"]) == (
        "order.close",
        "received",
        "closed",
    )


def test_audit_log_of_an_order_lists_its_records_in_order(db_url: str, engine: Engine) -> None:
    first = lifecycle(engine)
    other, _ = handle(UnitOfWork(engine), PlaceOrder.from_wire(order_doc()), "Lt K. Sato")
    listed = run("audit", "log", "--order", str(first), "--oldest", "--db", db_url, "--json")
    assert listed.code == 0, listed.stderr
    rows = listed.json
    assert [r["action"] for r in rows] == [
        "order.place",
        "order.submit",
        "order.accept",
        "order.deliver",
        "order.receive",
        "invoice.issue",
        "payment.record",
        "order.close",
    ]
    assert all(r["order_id"] == first for r in rows)
    seqs = [r["seq"] for r in rows]
    assert seqs == sorted(seqs)
    assert [r["hash"] for r in rows] == [r.hash for r in records(engine, first)]
    assert other.id not in {r["order_id"] for r in rows}


def test_verify_passes_and_names_the_record_at_fault_after_tampering(
    db_url: str, engine: Engine
) -> None:
    oid = lifecycle(engine)
    checked = run("audit", "verify", "--db", db_url, "--json")
    assert checked.code == 0, checked.stdout + checked.stderr
    assert checked.json["ok"] is True
    assert checked.json["ledger_entries"] == checked.json["ledger_entries_covered"] == 4
    assert "audit chain intact" in verify(db_url).stdout
    mine = records(engine, oid)
    a, p = t.audit_log, t.ledger_postings

    # An audit row's field changed: that record is named.
    accept = next(r for r in mine if r.action == "order.accept")
    _execute(engine, update(a).where(a.c.seq == accept.seq).values(actor="Mallory"))
    result = verify(db_url)
    assert result.code == 2
    assert problems(result) == [
        f"record {accept.seq}: its content does not match its hash (changed after writing)"
    ]
    _execute(engine, update(a).where(a.c.seq == accept.seq).values(actor=accept.actor))
    assert intact(engine)

    # A ledger posting's amount changed: the record that covers its entry is named.
    receipt = next(r for r in mine if r.action == "order.receive")
    entry = receipt.entries["ranges"][0][0]
    where = (p.c.entry_id == entry) & (p.c.seq == 1)
    _execute(engine, update(p).where(where).values(amount_minor=p.c.amount_minor + 100))
    result = verify(db_url)
    assert result.code == 2
    [problem] = problems(result)
    assert problem.startswith(f"record {receipt.seq}: the ledger entries it covers were changed")
    _execute(engine, update(p).where(where).values(amount_minor=p.c.amount_minor - 100))
    assert intact(engine)

    # A stray entry written outside acsa: uncovered entries are reported.
    stray = _stray_entry(engine, oid)
    result = verify(db_url)
    assert result.code == 2
    [problem] = problems(result)
    assert problem.startswith("ledger: 5 ledger entries are stored but the audit log covers 4")
    _execute(engine, delete(p).where(p.c.entry_id == stray))
    _execute(engine, delete(t.ledger_entries).where(t.ledger_entries.c.id == stray))
    assert intact(engine)

    # An audit row deleted: the chain breaks at the record after it.
    submit = next(r for r in mine if r.action == "order.submit")
    _execute(engine, delete(a).where(a.c.seq == submit.seq))
    result = verify(db_url)
    assert result.code == 2
    assert problems(result) == [
        f"record {submit.seq + 1}: expected record {submit.seq} next, found {submit.seq + 1}"
    ]


def _execute(engine: Engine, statement: Any) -> None:
    with engine.connect() as conn:
        conn.execute(statement)
        conn.commit()


def _stray_entry(engine: Engine, order_id: int) -> int:
    """A balanced receipt entry in JPN's book, written straight into the tables."""
    e, p = t.ledger_entries, t.ledger_postings
    with engine.connect() as conn:
        key = conn.execute(
            insert(e).values(
                book="JPN",
                partner="AUS",
                order_id=order_id,
                kind="receipt",
                document="written by hand",
                effective=date(2026, 10, 2),
                at=utc_now(),
                actor="nobody",
                memo="",
                reverses=None,
            )
        ).inserted_primary_key
        assert key is not None
        entry = int(key[0])
        day = date(2026, 10, 2)
        common = {"entry_id": entry, "book": "JPN", "partner": "AUS", "effective": day}
        conn.execute(
            insert(p),
            [
                {**common, "seq": 1, "account": "cash", "currency": "JPY", "amount_minor": 1000},
                {
                    **common,
                    "seq": 2,
                    "account": "receivable_cash",
                    "currency": "JPY",
                    "amount_minor": -1000,
                },
            ],
        )
        conn.commit()
    return entry


def test_verify_passes_after_a_draft_is_edited_and_the_order_goes_on(engine: Engine) -> None:
    """An edit's record keeps the draft's terms before and after beside the order's state; the
    next step found the order as the edit left it, and the chain says so."""
    from acsa.commands import EditDraft
    from acsa.schemas.orders import OrderIn

    placed, _ = handle(UnitOfWork(engine), PlaceOrder.from_wire(order_doc()), "Lt K. Sato")
    assert placed.id is not None
    changed = order_doc(location="Townsville")
    edit = EditDraft(order_id=placed.id, order=OrderIn.model_validate(changed))
    handle(UnitOfWork(engine), edit, "Lt K. Sato")
    handle(UnitOfWork(engine), SubmitOrder(order_id=placed.id), "Lt K. Sato")
    found = verify_audit(UnitOfWork(engine, read_only=True))
    assert found.ok, [p.reason for p in found.problems]
