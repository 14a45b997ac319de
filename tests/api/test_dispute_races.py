"""Disputes through a real server (``acsa serve --workers 2`` on PostgreSQL, ``acsa serve`` on
a SQLite file; the servers and the race of tests/api/test_money_races.py).

- AUS disputes JPN's receipt or invoice through the API; the account shows the amount apart
  as disputed, GET /disputes and /disputes/report list it with its age and value, and each
  refusal is coded and writes nothing (a viewer's 403, a third nation's 404, an amount above
  the step's worth, an answer by the side that opened it).
- Eight clients at once answering one dispute with a credit note: one answers it (one credit
  note, posted once in each book, audited once), seven get 409 DISPUTE_CLOSED.
- Four withdrawals by the opener and four acceptances by the other side at once: exactly one
  closes it, the others 409 DISPUTE_CLOSED.
"""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from acsa.adapters.db import tables as t
from tests.api.test_money_races import (
    CLIENTS,
    WHOLE,
    Running,
    Shot,
    account,
    audited_once,
    books_agree,
    invoiced,
    race,
    received,
    refusals_are_coded,
    running,
    stored,
)

__all__ = ["running"]


def _disputes(running: Running, oid: int) -> list[tuple[str, str | None]]:
    d = t.disputes.c
    with running.engine.connect() as conn:
        rows = conn.execute(t.disputes.select().where(d.order_id == oid).order_by(d.id))
        return [(r.status, r.resolution) for r in rows]


def _receipt(running: Running, oid: int) -> str:
    got = running.client.get(f"/orders/{oid}", headers=running.as_("AUS-finance"))
    [seq] = [e["seq"] for e in got.json()["history"] if e["action"] == "receive"]
    return f"receipt:{seq}"


def _open(
    running: Running, oid: int, body: dict[str, str], who: str = "AUS-finance"
) -> dict[str, Any]:
    opened = running.client.post(f"/orders/{oid}/disputes", json=body, headers=running.as_(who))
    assert opened.status_code == 201, opened.text
    return dict(opened.json())


def test_a_receipt_disputed_through_the_api_is_shown_apart_and_reported(running: Running) -> None:
    oid = received(running)
    c = running.client
    step = _receipt(running, oid)
    body = {"step": step, "ground": "quality", "reason": "water tainted", "amount": "80020"}
    refused = [
        ("AUS-auditor", body, 403, "FORBIDDEN"),
        ("AUS-finance", {**body, "amount": str(WHOLE + 1)}, 422, "DISPUTE_EXCEEDS_WORTH"),
        ("AUS-finance", {**body, "ground": "amount"}, 422, "INVALID_FIELD"),
        ("AUS-finance", {**body, "number": "DSP-X"}, 422, "INVALID_FIELD"),
        ("AUS-finance", {**body, "side": "supplier"}, 422, "INVALID_FIELD"),
    ]
    before = stored(running.engine, oid)
    for who, sent, status, code in refused:
        got = c.post(f"/orders/{oid}/disputes", json=sent, headers=running.as_(who))
        assert got.status_code == status, got.text
        assert code in {e["code"] for e in got.json()["errors"]}, got.text
    assert stored(running.engine, oid) == before
    opened = _open(running, oid, body)
    assert (opened["status"], opened["opened_by"], opened["partner"]) == ("open", "AUS", "JPN")
    assert Decimal(account(running, oid)["disputed"]) == Decimal(80020)
    listed = c.get("/disputes", params={"status": "open"}, headers=running.as_("JPN-finance"))
    assert listed.status_code == 200, listed.text
    mine = [d for d in listed.json() if d["order"] == oid]
    assert [(d["number"], d["partner"], d["age_days"]) for d in mine] == [
        (opened["number"], "AUS", 0)
    ]
    report = c.get("/disputes/report", headers=running.as_("AUS-auditor"))
    assert report.status_code == 200, report.text
    [jpn] = [r for r in report.json() if r["partner"] == "JPN"]
    assert jpn["open"] >= 1
    assert Decimal(jpn["open_value"]) >= Decimal(80020)
    answer = f"/orders/{oid}/disputes/{opened['number']}/answer"
    own = c.post(answer, json={"resolution": "accept"}, headers=running.as_("AUS-finance"))
    assert (own.status_code, own.json()["errors"][0]["code"]) == (422, "DISPUTE_WRONG_SIDE")
    missing = c.post(
        f"/orders/{oid}/disputes/DSP-NONE/answer",
        json={"resolution": "accept"},
        headers=running.as_("JPN-finance"),
    )
    assert missing.status_code == 404, missing.text
    again = c.post(answer, json={"resolution": "redelivery"}, headers=running.as_("JPN-finance"))
    assert again.status_code == 201, again.text
    assert (again.json()["status"], again.json()["resolution"]) == ("resolved", "redelivery")
    assert Decimal(account(running, oid)["disputed"]) == 0
    shown = c.get(f"/orders/{oid}/disputes", headers=running.as_("AUS-finance"))
    assert [d["status"] for d in shown.json()] == ["resolved"]
    assert _disputes(running, oid) == [("resolved", "redelivery")]


def test_eight_credit_note_answers_of_one_dispute_answer_it_once(running: Running) -> None:
    oid, invoice = invoiced(running)
    number = invoice["number"]
    body = {"step": f"invoice:{number}", "ground": "price_basis", "reason": "old price list"}
    opened = _open(running, oid, {**body, "amount": "100000"})
    path = f"/orders/{oid}/disputes/{opened['number']}/answer"
    answer = {"resolution": "credit_note", "agreed": "60000", "note": "new price list"}
    shots = [Shot("JPN-finance", path, answer) for _ in range(CLIENTS)]
    result = race(running, "answer dispute", shots)

    assert result.statuses() == {201: 1, 409: CLIENTS - 1}, result.report()
    refusals_are_coded(result, {"DISPUTE_CLOSED"})
    assert _disputes(running, oid) == [("resolved", "credit_note")], result.summary
    owed = account(running, oid)
    assert Decimal(owed["credited"]) == Decimal(60000), owed
    assert Decimal(owed["owed_in_cash"]) == WHOLE - 60000, owed
    assert Decimal(owed["disputed"]) == 0, owed
    db = stored(running.engine, oid)
    assert db.entries["credit_note"] == 2, (result.summary, db.entries)
    audited_once(db, result, order__dispute=1, dispute__answer=1, invoice__credit=1)
    books_agree(running, oid, result)


def test_withdrawals_and_acceptances_at_once_close_the_dispute_once(running: Running) -> None:
    oid, invoice = invoiced(running)
    body = {
        "step": f"invoice:{invoice['number']}",
        "ground": "amount",
        "reason": "billed twice",
        "amount": "5000",
    }
    opened = _open(running, oid, body)
    path = f"/orders/{oid}/disputes/{opened['number']}/answer"
    withdraw = Shot("AUS-finance", path, {"resolution": "withdraw"}, "withdraw")
    accept = Shot("JPN-finance", path, {"resolution": "accept"}, "accept")
    result = race(running, "withdraw or accept", [withdraw, accept] * (CLIENTS // 2))

    assert result.statuses() == {201: 1, 409: CLIENTS - 1}, result.report()
    refusals_are_coded(result, {"DISPUTE_CLOSED"})
    [(status, resolution)] = _disputes(running, oid)
    assert (status, resolution) in {("withdrawn", "withdraw"), ("resolved", "accept")}
    db = stored(running.engine, oid)
    assert db.entries["credit_note"] == 0, db.entries
    audited_once(db, result, order__dispute=1, dispute__answer=1)
    books_agree(running, oid, result)
