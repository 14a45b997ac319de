"""A partner's node coming back: a document that got no answer while the node was down is not
set aside because the node answers its health check a moment later (it met the node on its way
up); only a document that gets no answer twice from a node that answers is set aside."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from acsa.adapters.transport import Answer
from acsa.commands import PlaceOrder, SubmitOrder
from acsa.domain.errors import Code
from acsa.services.courier import courier_status, deliver_pending
from acsa.services.handlers import handle
from tests.exchange.test_every_kind import Pair
from tests.orders_data import order_doc

NO_ANSWER = Answer(None, {}, "connection reset")


class Clock:
    def __init__(self) -> None:
        self.at = datetime.now(UTC)

    def __call__(self) -> datetime:
        self.at += timedelta(hours=1)  # past any backoff
        return self.at


@pytest.fixture
def pair(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Pair:
    monkeypatch.setenv("ACSA_COURIER_MAX_ATTEMPTS", "2")
    return Pair(tmp_path)


def _submit(pair: Pair) -> None:
    order, _ = handle(pair.uow("AUS"), PlaceOrder.from_wire(order_doc()), "aus-ops")
    assert order.id is not None
    handle(pair.uow("AUS"), SubmitOrder(order_id=order.id), "aus-ops")


def _outbox(pair: Pair) -> tuple[int, int, int]:
    [row] = [p for p in courier_status(pair.engines["AUS"]).partners if p.partner == "JPN"]
    return row.pending, row.delivered, row.refused


def test_a_document_that_met_the_partner_on_its_way_up_is_sent_again(pair: Pair) -> None:
    _submit(pair)
    clock = Clock()
    engine = pair.engines["AUS"]
    for _ in range(4):  # down: no answer, and no health either
        out = deliver_pending(engine, lambda url, wire: NO_ANSWER, clock, lambda url: False)
        assert out.set_aside == 0
    status = courier_status(engine)
    assert "does not answer at all" in str(status.partners[0].last_error)
    # The node comes up between the attempt and the health check: not the document's fault.
    out = deliver_pending(engine, lambda url, wire: NO_ANSWER, clock, lambda url: True)
    assert out.set_aside == 0
    assert _outbox(pair)[2] == 0
    out = deliver_pending(engine, pair.send, clock, lambda url: True)
    assert out.delivered == 2  # the order, then its submission, in order
    assert _outbox(pair) == (0, 2, 0)


def test_a_document_a_running_partner_never_answers_is_set_aside(pair: Pair) -> None:
    _submit(pair)
    clock = Clock()
    engine = pair.engines["AUS"]
    out = deliver_pending(engine, lambda url, wire: NO_ANSWER, clock, lambda url: True)
    assert out.set_aside == 0  # first attempt: below the bound
    out = deliver_pending(engine, lambda url, wire: NO_ANSWER, clock, lambda url: True)
    assert out.set_aside == 1
    [entry] = courier_status(engine).refused
    assert entry.code == Code.DOCUMENT_SET_ASIDE.value
