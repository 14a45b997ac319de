"""Random interleavings on real nodes: the requester's node (AUS) and the supplier's (JPN), two
SQLite files in one process, each taking random steps on one order (cancel, receive, notes,
payments, closing; accept, reject, partial and full deliveries, invoices, notes, payments) while
each outbox delivers at random moments, in one direction at a time. Whatever the order of
steps and deliveries, once every document is delivered both nodes hold the same chain, the same
order and the same books, their books verify, every fork is resolved (nothing left rolled back)
and reconciliation finds no difference."""

from __future__ import annotations

import itertools
from collections.abc import Callable
from contextlib import suppress
from datetime import date
from decimal import Decimal
from typing import Any

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import select

from acsa.adapters.db import tables as t
from acsa.commands import (
    AcceptOrder,
    AddNote,
    CancelOrder,
    CloseOrder,
    DeliverOrder,
    IssueInvoice,
    ReceiveOrder,
    RecordPayment,
    RejectOrder,
)
from acsa.domain.errors import AcsaError
from acsa.services.courier import deliver_pending
from acsa.services.handlers import handle
from tests.exchange.test_every_kind import Pair, _placed
from tests.exchange.test_forks_resolved import _agree, _forks


def _invoice(pair: Pair, nation: str, order_id: int) -> tuple[str, Decimal] | None:
    with pair.engines[nation].connect() as conn:
        i = t.invoices.c
        row = conn.execute(
            select(i.number, i.amount_minor).where(i.order_id == order_id).order_by(i.id)
        ).first()
    return None if row is None else (row.number, Decimal(row.amount_minor))


def _steps(pair: Pair, mine: int, theirs: int) -> dict[str, Callable[[], Any]]:
    aus, jpn = (lambda: pair.uow("AUS")), (lambda: pair.uow("JPN"))
    references = itertools.count(1)

    def pay(nation: str, order_id: int) -> Any:
        found = _invoice(pair, nation, order_id)
        if found is None:
            return None
        number, minor = found
        # A tenth of the invoice (JPY has no minor unit), by a reference of its own.
        amount = (minor / 10).quantize(Decimal(1))
        reference = f"{nation}-{next(references)}"
        payment = RecordPayment(
            invoice=number, amount=amount, paid=date.today(), reference=reference
        )
        return handle(pair.uow(nation), payment, f"{nation.lower()}-finance")

    return {
        "aus cancel": lambda: handle(aus(), CancelOrder(order_id=mine), "aus-ops"),
        "aus receive": lambda: handle(aus(), ReceiveOrder(order_id=mine), "aus-logistics"),
        "aus note": lambda: handle(aus(), AddNote(order_id=mine, note="AUS says"), "aus-ops"),
        "aus pay": lambda: pay("AUS", mine),
        "aus close": lambda: handle(aus(), CloseOrder(order_id=mine), "aus-finance"),
        "jpn accept": lambda: handle(jpn(), AcceptOrder(order_id=theirs), "jpn-approver"),
        "jpn reject": lambda: handle(jpn(), RejectOrder(order_id=theirs, reason="no"), "jpn-a"),
        "jpn deliver some": lambda: handle(
            jpn(), DeliverOrder(order_id=theirs, quantities={1: Decimal(1)}), "jpn-logistics"
        ),
        "jpn deliver": lambda: handle(jpn(), DeliverOrder(order_id=theirs), "jpn-logistics"),
        "jpn invoice": lambda: handle(jpn(), IssueInvoice(order_id=theirs), "jpn-finance"),
        "jpn note": lambda: handle(jpn(), AddNote(order_id=theirs, note="JPN says"), "jpn-ops"),
        "jpn pay": lambda: pay("JPN", theirs),
    }


MOVES = [
    "aus cancel",
    "aus receive",
    "aus note",
    "aus pay",
    "aus close",
    "jpn accept",
    "jpn reject",
    "jpn deliver some",
    "jpn deliver",
    "jpn invoice",
    "jpn note",
    "jpn pay",
    "send AUS",
    "send JPN",
]


#: Where the order stands before the random steps (both nodes in step), so that the steps of
#: delivery, receipt and settlement are reached as often as the first ones.
STARTS = {
    "submitted": [],
    "accepted": ["jpn accept"],
    "partly delivered": ["jpn accept", "jpn deliver some"],
    "delivered": ["jpn accept", "jpn deliver"],
    "invoiced": ["jpn accept", "jpn deliver", "send JPN", "aus receive", "send AUS", "jpn invoice"],
}


@settings(
    max_examples=25,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(
    start=st.sampled_from(sorted(STARTS)),
    moves=st.lists(st.sampled_from(MOVES), min_size=4, max_size=24),
)
def test_any_interleaving_of_both_nodes_steps_converges(
    tmp_path_factory: Any, start: str, moves: list[str]
) -> None:
    pair = Pair(tmp_path_factory.mktemp("pair"))
    mine, uid = _placed(pair)
    theirs = pair.local_id("JPN", uid)
    steps = _steps(pair, mine, theirs)
    for move in STARTS[start]:
        _move(pair, steps, move)
    pair.pump()
    for move in moves:
        _move(pair, steps, move)
    pair.pump()
    pair.pump()
    _agree(pair, uid)
    for nation in ("AUS", "JPN"):
        assert all(f.fate != "rolled_back" for f in _forks(pair, nation, uid))


def _move(pair: Pair, steps: dict[str, Callable[[], Any]], move: str) -> None:
    if move.startswith("send "):
        deliver_pending(pair.engines[move[5:]], pair.send, probe=lambda url: True)
        return
    with suppress(AcsaError):  # a step the order does not allow now changes nothing
        steps[move]()
