"""Eight clients at once correcting one order's money, through a real server: ``acsa serve
--workers 2`` on PostgreSQL and ``acsa serve`` on a SQLite file (the servers and the race of
tests/api/test_money_races.py). A correction holds the order it loads until it commits, so
the losers wait for the winner and decide on what it wrote:

- eight voids of one invoice: one voids it, seven get 409 INVOICE_VOIDED;
- eight reversals of one payment: one reverses it, seven get 409 PAYMENT_REVERSED;
- eight credit notes of half of what is unpaid: two, then 409 CREDIT_EXCEEDS_UNPAID;
- four voids and four payments of half the invoice at once: either the void wins and every
  payment is refused (INVOICE_VOIDED), or a payment wins and every void is refused
  (INVOICE_HAS_PAYMENTS): never a void invoice with a payment standing.

Each record is stored, posted (reversing entries naming the entries they cancel) and audited
exactly once; both books and the audit chain verify, nothing is half written.
"""

from __future__ import annotations

from decimal import Decimal

from acsa.adapters.db import tables as t
from tests.api.test_money_races import (
    CLIENTS,
    HALF,
    WHOLE,
    Running,
    Shot,
    account,
    audited_once,
    books_agree,
    invoiced,
    invoices,
    race,
    refusals_are_coded,
    running,
    stored,
)

__all__ = ["running"]


def _corrections(running: Running, oid: int) -> list[str]:
    c = t.corrections
    with running.engine.connect() as conn:
        rows = conn.execute(c.select().where(c.c.order_id == oid).order_by(c.c.id))
        return [r.kind for r in rows]


def test_eight_voids_of_one_invoice_void_it_once(running: Running) -> None:
    oid, invoice = invoiced(running)
    number = invoice["number"]
    body = {"reason": "issued to the wrong fund"}
    shots = [Shot("JPN-finance", f"/invoices/{number}/void", body) for _ in range(CLIENTS)]
    result = race(running, "void", shots)

    assert result.statuses() == {201: 1, 409: CLIENTS - 1}, result.report()
    refusals_are_coded(result, {"INVOICE_VOIDED"})
    [shown] = invoices(running, oid)
    assert (shown["status"], shown["voided"]) == ("void", True), result.summary
    owed = account(running, oid)
    assert (Decimal(owed["invoiced"]), Decimal(owed["uninvoiced"])) == (0, WHOLE), owed
    assert _corrections(running, oid) == ["void"], result.summary
    db = stored(running.engine, oid)
    audited_once(db, result, invoice__void=1, invoice__issue=1)
    books_agree(running, oid, result)
    # Invoiced again for what the void left: the order bills its whole value once more.
    again = running.client.post(f"/orders/{oid}/invoices", headers=running.as_("JPN-finance"))
    assert again.status_code == 201, again.text
    assert Decimal(again.json()["amount"]) == WHOLE
    books_agree(running, oid, result)


def test_eight_reversals_of_one_payment_reverse_it_once(running: Running) -> None:
    oid, invoice = invoiced(running)
    number = invoice["number"]
    paid = running.client.post(
        f"/invoices/{number}/payments",
        json={"amount": str(HALF), "date": invoice["issued"], "reference": "TT-7"},
        headers=running.as_("AUS-finance"),
    )
    assert paid.status_code == 201, paid.text
    payment = paid.json()["payments"][0]["id"]
    body = {"reason": "returned by the bank"}
    shots = [Shot("JPN-finance", f"/payments/{payment}/reversal", body) for _ in range(CLIENTS)]
    result = race(running, "reverse", shots)

    assert result.statuses() == {201: 1, 409: CLIENTS - 1}, result.report()
    refusals_are_coded(result, {"PAYMENT_REVERSED"})
    [shown] = invoices(running, oid)
    assert (Decimal(shown["paid"]), Decimal(shown["unpaid"])) == (0, WHOLE), result.summary
    assert shown["payments"][0]["reversed"] is True
    owed = account(running, oid)
    assert Decimal(owed["owed_in_cash"]) == WHOLE, owed
    db = stored(running.engine, oid)
    assert db.entries["payment"] == 2, (result.summary, db.entries)
    assert db.entries["reversal"] == 2, (result.summary, db.entries)
    assert _corrections(running, oid) == ["reversal"], result.summary
    audited_once(db, result, payment__record=1, payment__reverse=1)
    books_agree(running, oid, result)


def test_eight_credit_notes_of_half_record_two(running: Running) -> None:
    oid, invoice = invoiced(running)
    number = invoice["number"]
    body = {"amount": str(HALF), "reason": "price agreed lower"}
    shots = [Shot("JPN-finance", f"/invoices/{number}/credit-notes", body) for _ in range(CLIENTS)]
    result = race(running, "credit half", shots)

    assert result.statuses() == {201: 2, 409: CLIENTS - 2}, result.report()
    refusals_are_coded(result, {"CREDIT_EXCEEDS_UNPAID"})
    [shown] = invoices(running, oid)
    assert (Decimal(shown["credited"]), Decimal(shown["unpaid"])) == (WHOLE, 0), result.summary
    numbers = [c["number"] for c in shown["corrections"]]
    assert len(set(numbers)) == 2, numbers
    owed = account(running, oid)
    assert (Decimal(owed["credited"]), Decimal(owed["owed_in_cash"])) == (WHOLE, 0), owed
    db = stored(running.engine, oid)
    assert db.entries["credit_note"] == 2 * 2, (result.summary, db.entries)
    assert _corrections(running, oid) == ["credit", "credit"], result.summary
    audited_once(db, result, invoice__credit=2)
    books_agree(running, oid, result)


def test_voids_and_payments_at_once_never_leave_a_void_invoice_paid(running: Running) -> None:
    oid, invoice = invoiced(running)
    number = invoice["number"]
    void = Shot("JPN-finance", f"/invoices/{number}/void", {"reason": "wrong"}, "void")
    pay = Shot(
        "AUS-finance",
        f"/invoices/{number}/payments",
        {"amount": str(HALF), "date": invoice["issued"]},
        "pay",
    )
    result = race(running, "void or pay", [void, pay] * (CLIENTS // 2))

    voids, pays = result.statuses("void"), result.statuses("pay")
    if voids[201]:
        assert (voids[201], pays[201]) == (1, 0), result.report()
        refusals_are_coded(result, {"INVOICE_VOIDED"})
    else:
        assert pays[201] == 2, result.report()
        refusals_are_coded(result, {"INVOICE_HAS_PAYMENTS", "OVERPAYMENT"})
    [shown] = invoices(running, oid)
    assert not (shown["voided"] and Decimal(shown["paid"]) > 0), result.summary
    db = stored(running.engine, oid)
    audited_once(db, result, invoice__void=voids[201], payment__record=pays[201])
    books_agree(running, oid, result)
