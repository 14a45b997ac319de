"""Both nodes acting on one order at once: the fork is resolved by the rule both apply
(``acsa.domain.forks``, ``acsa.services.forks``). Two real nodes in one process (SQLite files,
their own keys), each acting before the other's document arrives; then the documents cross.
The supplier's step stands; the requester's node rolls back its own, applies the supplier's and
issues again what the order still allows; both nodes end with the same chain, the same order,
the same books, and reconcile with no difference."""

from __future__ import annotations

import html
import re
from collections.abc import Callable, Iterator
from decimal import Decimal
from pathlib import Path
from typing import Any

import httpx
import pytest
from sqlalchemy import select

from acsa.adapters.db import tables as t
from acsa.adapters.db.engine import make_engine
from acsa.adapters.db.unit_of_work import UnitOfWork
from acsa.commands import (
    AcceptOrder,
    AddNote,
    AttachFile,
    CancelOrder,
    DeliverOrder,
    IssueInvoice,
    ReceiveOrder,
    RecordPayment,
    RejectOrder,
)
from acsa.domain.errors import Code
from acsa.domain.order import Action
from acsa.services import attachments, books, orders
from acsa.services.audit import verify_audit
from acsa.services.courier import courier_status
from acsa.services.handlers import handle
from acsa.services.ledger import verify
from tests.api.server import Server, add_people
from tests.conftest import _wipe_and_reload
from tests.e2e.cli import run
from tests.exchange.nodes import acsa
from tests.exchange.test_every_kind import Pair, _placed


@pytest.fixture(params=["sqlite", "postgresql"])
def pair(tmp_path: Path, request: pytest.FixtureRequest) -> Iterator[Pair]:
    """AUS (the requester, whose node rolls back) on SQLite or on PostgreSQL; JPN on SQLite."""
    if request.param == "sqlite":
        made = Pair(tmp_path)
    else:
        request.applymarker(pytest.mark.postgres)
        url = request.getfixturevalue("pg_url")
        engine = make_engine(url)
        _wipe_and_reload(engine)
        engine.dispose()
        made = Pair(tmp_path, {"AUS": url})
    yield made
    for engine in made.engines.values():
        engine.dispose()


def _forks(pair: Pair, nation: str, uid: str) -> list[Any]:
    with pair.engines[nation].connect() as conn:
        f = t.fork_documents.c
        query = select(t.fork_documents).where(f.order_uid == uid).order_by(f.seq)
        return list(conn.execute(query))


def _chain(pair: Pair, nation: str, uid: str) -> list[tuple[int, str, str]]:
    with pair.engines[nation].connect() as conn:
        d = t.documents.c
        rows = conn.execute(select(d.seq, d.kind, d.hash).where(d.order_uid == uid).order_by(d.seq))
        return [(r.seq, r.kind, r.hash) for r in rows]


def _order(pair: Pair, nation: str, uid: str) -> tuple[Any, ...]:
    order = orders.get_order(pair.uow(nation), pair.local_id(nation, uid))
    lines = [(ln.quantity_delivered, ln.quantity_received, ln.quantity_short) for ln in order.lines]
    return order.status.value, lines


def _balances(pair: Pair, nation: str) -> set[tuple[str, str, str, str]]:
    with pair.uow(nation) as uow:
        return {
            (b, p, a.value, str(m.amount))
            for b, p, a, m in uow.ledger.running_balances()
            if m.amount != 0
        }


def _agree(pair: Pair, uid: str) -> None:
    """Both nodes hold the same chain, order and books, and reconcile with no difference."""
    assert _chain(pair, "AUS", uid) == _chain(pair, "JPN", uid)
    assert _order(pair, "AUS", uid) == _order(pair, "JPN", uid)
    assert _balances(pair, "AUS") == _balances(pair, "JPN")
    for nation in ("AUS", "JPN"):
        with pair.uow(nation) as uow:
            checked = verify(uow)
        assert checked.ok, (nation, checked)
        [row] = courier_status(pair.engines[nation]).partners
        assert (row.pending, row.refused) == (0, 0), (nation, courier_status(pair.engines[nation]))
    exported, _ = books.export_book(pair.engines["JPN"], "AUS")
    report = books.reconcile_file(pair.engines["AUS"], exported)
    assert report.differences == [], report.differences


def _at_once(pair: Pair, *steps: Callable[[], Any]) -> None:
    """Each step on its own node before any document crosses; then they cross."""
    for step in steps:
        step()
    pair.pump()


def test_a_cancel_and_an_acceptance_at_once_end_accepted_then_cancelled(pair: Pair) -> None:
    mine, uid = _placed(pair)
    theirs = pair.local_id("JPN", uid)
    _at_once(
        pair,
        lambda: handle(pair.uow("AUS"), CancelOrder(order_id=mine, reason="gone"), "aus-ops"),
        lambda: handle(pair.uow("JPN"), AcceptOrder(order_id=theirs), "jpn-approver"),
    )
    # JPN set AUS's cancellation aside; AUS rolled it back, took the acceptance, and cancelled
    # again after it (an accepted order may still be cancelled).
    [aside] = _forks(pair, "JPN", uid)
    assert (aside.kind, aside.fate, aside.issuer) == ("cancel", "set_aside", "AUS")
    [rolled] = _forks(pair, "AUS", uid)
    assert (rolled.kind, rolled.fate) == ("cancel", "reissued")
    assert [k for _, k, _ in _chain(pair, "AUS", uid)] == ["order", "submit", "accept", "cancel"]
    assert _order(pair, "AUS", uid)[0] == "cancelled"
    history = orders.get_order(pair.uow("AUS"), mine).history
    assert [e.action for e in history][-4:] == [
        Action.CANCEL,
        Action.UNDO,
        Action.ACCEPT,
        Action.CANCEL,
    ]
    _agree(pair, uid)
    # Both nodes show the fork: in `acsa courier status`, in either language.
    for nation, fate in (("JPN", "set aside"), ("AUS", "reissued")):
        db = str(pair.engines[nation].url)
        shown = run("courier", "status", "--format", "csv", "--db", db)
        assert shown.code == 0, shown.stderr
        assert uid in shown.stdout
        assert fate in shown.stdout
        found = acsa("courier", "status", "--db", db)
        assert found["fork_counts"] == {fate.replace(" ", "_"): 1}
        assert found["forks"][0]["order"] == uid
    japanese = run("--lang", "ja", "courier", "status", "--db", str(pair.engines["AUS"].url))
    assert "再発行済み" in japanese.stdout, japanese.stdout


def test_a_cancel_and_a_rejection_at_once_end_rejected(pair: Pair) -> None:
    mine, uid = _placed(pair)
    theirs = pair.local_id("JPN", uid)
    _at_once(
        pair,
        lambda: handle(pair.uow("AUS"), CancelOrder(order_id=mine), "aus-ops"),
        lambda: handle(pair.uow("JPN"), RejectOrder(order_id=theirs, reason="no"), "jpn-boss"),
    )
    [rolled] = _forks(pair, "AUS", uid)
    assert (rolled.fate, rolled.code) == ("dropped", Code.INVALID_TRANSITION.value)
    assert _order(pair, "AUS", uid)[0] == "rejected"
    _agree(pair, uid)


def test_a_receipt_taken_back_leaves_the_books_as_the_supplier_has_them(pair: Pair) -> None:
    mine, uid = _placed(pair)
    theirs = pair.local_id("JPN", uid)
    handle(pair.uow("JPN"), AcceptOrder(order_id=theirs), "jpn-approver")
    handle(
        pair.uow("JPN"), DeliverOrder(order_id=theirs, quantities={1: Decimal(1)}), "jpn-logistics"
    )
    pair.pump()
    before = _balances(pair, "JPN")
    # AUS receives the first delivery while JPN delivers the rest: the receipt (and its
    # postings in both books on AUS's node) is taken back, and not issued again because what
    # waits for receipt is no longer what it counted.
    _at_once(
        pair,
        lambda: handle(pair.uow("AUS"), ReceiveOrder(order_id=mine), "aus-logistics"),
        lambda: handle(pair.uow("JPN"), DeliverOrder(order_id=theirs), "jpn-logistics"),
    )
    [rolled] = _forks(pair, "AUS", uid)
    assert (rolled.kind, rolled.fate, rolled.code) == ("receive", "dropped", "FORK_OUTDATED")
    assert _order(pair, "AUS", uid)[0] == "delivered"
    assert _balances(pair, "AUS") == before
    _agree(pair, uid)
    # Received again by hand: both books post it once.
    handle(pair.uow("AUS"), ReceiveOrder(order_id=mine), "aus-logistics")
    pair.pump()
    assert _order(pair, "JPN", uid)[0] == "received"
    assert _balances(pair, "JPN") != before
    _agree(pair, uid)


def test_the_same_payment_recorded_on_both_sides_counts_once(pair: Pair) -> None:
    mine, uid = _placed(pair)
    theirs = pair.local_id("JPN", uid)
    handle(pair.uow("JPN"), AcceptOrder(order_id=theirs), "jpn-approver")
    handle(pair.uow("JPN"), DeliverOrder(order_id=theirs), "jpn-logistics")
    pair.pump()
    handle(pair.uow("AUS"), ReceiveOrder(order_id=mine), "aus-logistics")
    pair.pump()
    invoice = handle(pair.uow("JPN"), IssueInvoice(order_id=theirs), "jpn-finance")
    pair.pump()
    half = invoice.amount / 2
    paid = {"invoice": invoice.number, "amount": half, "paid": invoice.issued}
    _at_once(
        pair,
        lambda: handle(pair.uow("AUS"), RecordPayment(**paid, reference="TT-1"), "aus-fin"),
        lambda: handle(pair.uow("JPN"), RecordPayment(**paid, reference="TT-1"), "jpn-fin"),
        lambda: handle(pair.uow("AUS"), AddNote(order_id=mine, note="paid half"), "aus-fin"),
    )
    rolled = {r.kind: r for r in _forks(pair, "AUS", uid)}
    assert (rolled["payment"].fate, rolled["payment"].code) == ("dropped", "FORK_DUPLICATE")
    assert rolled["note"].fate == "reissued"
    with pair.uow("AUS") as uow:
        notes = uow.orders.notes(mine)
    assert [n.text for n in notes] == ["paid half"]
    assert {r.issuer for r in _forks(pair, "JPN", uid)} == {"AUS"}
    _agree(pair, uid)


def test_a_file_attached_while_the_supplier_acts_is_taken_back_and_attached_again(
    pair: Pair,
) -> None:
    mine, uid = _placed(pair)
    theirs = pair.local_id("JPN", uid)
    scan = b"%PDF-1.7\n% the signed order, scanned\n%%EOF\n"
    _at_once(
        pair,
        lambda: handle(
            pair.uow("AUS"), AttachFile(order_id=mine, name="order.pdf", content=scan), "aus-ops"
        ),
        lambda: handle(pair.uow("JPN"), AcceptOrder(order_id=theirs), "jpn-approver"),
    )
    [rolled] = _forks(pair, "AUS", uid)
    assert (rolled.kind, rolled.fate) == ("attachment", "reissued")
    for nation, oid in (("AUS", mine), ("JPN", theirs)):
        with pair.uow(nation) as uow:
            files = attachments.attachments_of(uow, oid)
        assert [(f.name, f.actor) for f in files] == [("order.pdf", "aus-ops")], nation
    assert [kind for _, kind, _ in _chain(pair, "AUS", uid)][-2:] == ["accept", "attachment"]
    _agree(pair, uid)
    for nation in ("AUS", "JPN"):  # the row taken back and the one attached again: vouched for
        checked = verify_audit(UnitOfWork(pair.engines[nation], read_only=True))
        assert checked.ok, (nation, checked.problems)


def _signed_in(base: str, name: str, language: str) -> httpx.Client:
    """A browser signed in through the login form."""
    browser = httpx.Client(base_url=base, timeout=30, headers={"Accept-Language": language})
    page = browser.get("/login")
    found = re.search(r'name="csrf" value="([^"]+)"', page.text)
    assert found is not None
    answer = browser.post(
        "/login",
        data={"name": name, "password": f"password-{name}", "csrf": found.group(1), "next": "/"},
    )
    assert answer.status_code == 303, answer.text[:300]
    if language != "en":  # the account's language, as the header's button sets it
        found = re.search(r'name="csrf" value="([^"]+)"', browser.get("/").text)
        assert found is not None
        chosen = browser.post("/language", data={"language": language, "csrf": found.group(1)})
        assert chosen.status_code == 303, chosen.text[:300]
    return browser


def test_the_order_page_and_the_courier_page_show_the_fork(pair: Pair, tmp_path: Path) -> None:
    mine, uid = _placed(pair)
    theirs = pair.local_id("JPN", uid)
    _at_once(
        pair,
        lambda: handle(pair.uow("AUS"), CancelOrder(order_id=mine), "aus-ops"),
        lambda: handle(pair.uow("JPN"), AcceptOrder(order_id=theirs), "jpn-approver"),
    )
    db = str(pair.engines["AUS"].url)
    add_people(db, nations=("AUS",))
    with Server(db, log=tmp_path / "serve.log") as server:
        for language, heading, fate, undone in (
            ("en", "Forks in this order", "reissued", "Step taken back"),
            ("ja", "この注文の文書連鎖の分岐", "再発行済み", "手順の取消"),
        ):
            browser = _signed_in(server.base, "AUS-all", language)
            try:
                page = browser.get(f"/orders/{mine}")
                courier = browser.get("/courier")
            finally:
                browser.close()
            assert page.status_code == courier.status_code == 200
            text = html.unescape(page.text)
            assert heading in text
            assert fate in text
            assert undone in text  # the undo step in the timeline
            assert uid in html.unescape(courier.text)
            assert fate in html.unescape(courier.text)
