"""A dispute (or its withdrawal) issued by the requester's node while the supplier's node acts
on the same order: the fork is resolved by the rule both nodes apply. The supplier's document
stands; AUS's dispute is taken back (its row removed), then issued again after it with the
same number; a withdrawal taken back reopens the dispute, then is issued again. Both nodes end
with the same chain, the same disputes and the same books, reconcile with no difference, and
the audit log verifies on both (SQLite, and AUS on PostgreSQL)."""

from __future__ import annotations

from decimal import Decimal

from acsa.adapters.db.unit_of_work import UnitOfWork
from acsa.commands import (
    AcceptOrder,
    AddNote,
    AnswerDispute,
    DeliverOrder,
    IssueInvoice,
    OpenDispute,
    ReceiveOrder,
)
from acsa.domain.order import Action
from acsa.services import disputes, orders
from acsa.services.audit import verify_audit
from acsa.services.handlers import handle
from tests.exchange.test_every_kind import Pair, _placed
from tests.exchange.test_forks_resolved import _agree, _at_once, _forks, pair

__all__ = ["pair"]


def _shown(pair: Pair, nation: str, oid: int) -> list[tuple[str, str, str, Decimal]]:
    return [
        (d.number, d.step, d.status, d.amount) for d in disputes.disputes_of(pair.uow(nation), oid)
    ]


def test_a_dispute_and_its_withdrawal_forked_are_issued_again(pair: Pair) -> None:
    mine, uid = _placed(pair)
    theirs = pair.local_id("JPN", uid)
    handle(pair.uow("JPN"), AcceptOrder(order_id=theirs), "jpn-approver")
    handle(pair.uow("JPN"), DeliverOrder(order_id=theirs), "jpn-logistics")
    pair.pump()
    handle(pair.uow("AUS"), ReceiveOrder(order_id=mine), "aus-logistics")
    pair.pump()
    order = orders.get_order(pair.uow("AUS"), mine)
    seq = next(e.seq for e in order.history if e.action is Action.RECEIVE)
    opening = OpenDispute(
        order_id=mine,
        step=f"receipt:{seq}",
        ground="quantity",
        reason="two cases short",
        amount=Decimal(100),
    )
    _at_once(
        pair,
        lambda: handle(pair.uow("AUS"), opening, "aus-logistics"),
        lambda: handle(pair.uow("JPN"), IssueInvoice(order_id=theirs), "jpn-finance"),
    )
    [rolled] = _forks(pair, "AUS", uid)
    assert (rolled.kind, rolled.fate) == ("dispute", "reissued")
    [(number, step, status, amount)] = _shown(pair, "AUS", mine)
    assert (step, status, amount) == (f"receipt:{seq}", "open", Decimal(100))
    assert _shown(pair, "JPN", theirs) == _shown(pair, "AUS", mine)
    _agree(pair, uid)

    withdrawal = AnswerDispute(order_id=mine, dispute=number, resolution="withdraw")
    _at_once(
        pair,
        lambda: handle(pair.uow("AUS"), withdrawal, "aus-logistics"),
        lambda: handle(pair.uow("JPN"), AddNote(order_id=theirs, note="checking"), "jpn-ops"),
    )
    fates = [(r.kind, r.fate) for r in _forks(pair, "AUS", uid)]
    assert fates[-1] == ("dispute_answer", "reissued"), fates
    assert [s for _, _, s, _ in _shown(pair, "AUS", mine)] == ["withdrawn"]
    assert _shown(pair, "JPN", theirs) == _shown(pair, "AUS", mine)
    _agree(pair, uid)
    for nation in ("AUS", "JPN"):
        checked = verify_audit(UnitOfWork(pair.engines[nation], read_only=True))
        assert checked.ok, (nation, checked.problems)
