"""Every kind of document, as the services issue it, passes the inbox's checks of form: two
nodes in one process (two SQLite files, each with its key), the outbox of each delivering
straight into the other's inbox service. Orders rejected, cancelled, paid in cash and closed,
returned in kind and converted to cash, settled by an equal value exchange, noted by both
sides, and a draft edited: all fifteen kinds cross, none is refused, and every document either
node holds parses again."""

from __future__ import annotations

import dataclasses
import json
from datetime import date, timedelta
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import Engine, select

from acsa.adapters.db import tables as t
from acsa.adapters.db.engine import make_engine
from acsa.adapters.db.unit_of_work import UnitOfWork
from acsa.adapters.signing import NodeKey
from acsa.adapters.transport import Answer
from acsa.commands import (
    AcceptOrder,
    AddNote,
    AnswerDispute,
    AttachFile,
    CancelOrder,
    CloseOrder,
    DeliverOrder,
    EditDraft,
    ExchangeEqualValue,
    IssueCreditNote,
    IssueInvoice,
    OpenDispute,
    PlaceOrder,
    ReceiveOrder,
    RecordPayment,
    RejectOrder,
    ReturnInKind,
    ReversePayment,
    SubmitOrder,
    VoidInvoice,
)
from acsa.domain.documents import KEY_KINDS, REGISTRY_KINDS, Kind, parse_wire
from acsa.domain.errors import AcsaError, Code
from acsa.http_status import status_of
from acsa.services import orders, settlement
from acsa.services.courier import (
    add_partner,
    courier_status,
    deliver_pending,
    init_node,
    receive_document,
)
from acsa.services.handlers import handle
from acsa.services.setup import init_database
from tests.orders_data import order_doc


class Pair:
    """AUS and JPN, each a node over its own SQLite file, wired to each other in process."""

    def __init__(self, tmp: Path, urls: dict[str, str] | None = None) -> None:
        """Over SQLite files in ``tmp``, or a nation's database at ``urls[nation]`` (made and
        loaded by the caller)."""
        self.engines: dict[str, Engine] = {}
        for nation in ("AUS", "JPN"):
            url = (urls or {}).get(nation)
            engine = make_engine(url or f"sqlite:///{tmp / nation}.db")
            if url is None:
                init_database(engine)
            init_node(engine, nation, tmp / f"{nation}.key", "test")
            self.engines[nation] = engine
        for here, there in (("AUS", "JPN"), ("JPN", "AUS")):
            key = NodeKey.load(tmp / f"{there}.key")
            add_partner(self.engines[here], there, f"http://{there}", key.public_text, "test")

    def send(self, url: str, wire: bytes) -> Answer:
        target = self.engines[url.removeprefix("http://").split("/", 1)[0]]
        try:
            receive_document(target, wire)
        except AcsaError as error:
            first = error.violations[0]
            return Answer(status_of(error), {"code": first.code.value, "detail": first.message})
        return Answer(201, {})

    def pump(self) -> None:
        for _ in range(3):
            for engine in self.engines.values():
                deliver_pending(engine, self.send, probe=lambda url: True)

    def uow(self, nation: str) -> UnitOfWork:
        return UnitOfWork(self.engines[nation])

    def local_id(self, nation: str, uid: str) -> int:
        with self.engines[nation].connect() as conn:
            found = conn.execute(select(t.orders.c.id).where(t.orders.c.uid == uid)).scalar_one()
        return int(found)

    def wires(self, nation: str) -> list[tuple[str, str]]:
        with self.engines[nation].connect() as conn:
            rows = conn.execute(select(t.documents.c.kind, t.documents.c.wire)).all()
        return [(r.kind, r.wire) for r in rows]


def _placed(pair: Pair, **changes: Any) -> tuple[int, str]:
    """An order AUS placed and submitted (changes to the order document): AUS's id, its uid."""
    order, _ = handle(pair.uow("AUS"), PlaceOrder.from_wire(order_doc(**changes)), "aus-ops")
    assert order.id is not None
    assert order.uid is not None
    handle(pair.uow("AUS"), SubmitOrder(order_id=order.id), "aus-ops")
    pair.pump()
    return order.id, order.uid


def _received(pair: Pair, **changes: Any) -> tuple[int, int, str]:
    """Placed, accepted and delivered by JPN, received by AUS: (AUS id, JPN id, uid)."""
    mine, uid = _placed(pair, **changes)
    theirs = pair.local_id("JPN", uid)
    handle(pair.uow("JPN"), AcceptOrder(order_id=theirs), "jpn-approver")
    handle(pair.uow("JPN"), DeliverOrder(order_id=theirs), "jpn-logistics")
    pair.pump()
    receipt = ReceiveOrder(order_id=mine, note="all there\nchecked twice")
    handle(pair.uow("AUS"), receipt, "aus-logistics")
    pair.pump()
    return mine, theirs, uid


def test_every_kind_of_document_crosses_and_parses(tmp_path: Path) -> None:
    pair = Pair(tmp_path)
    # Rejected by the supplier; cancelled by the requester.
    _, rejected = _placed(pair)
    refusal = RejectOrder(order_id=pair.local_id("JPN", rejected), reason="no stock")
    handle(pair.uow("JPN"), refusal, "jpn-approver")
    # A draft edited in place: the partner's node holds the new terms too.
    draft, _ = handle(pair.uow("AUS"), PlaceOrder.from_wire(order_doc()), "aus-ops")
    assert draft.id is not None
    assert draft.uid is not None
    fewer = order_doc(needed_by="2026-10-08")
    fewer["lines"] = fewer["lines"][1:]
    handle(pair.uow("AUS"), EditDraft.from_wire(fewer, order_id=draft.id), "aus-ops")
    pair.pump()
    there = orders.get_order(pair.uow("JPN"), pair.local_id("JPN", draft.uid))
    assert (there.version, str(there.needed_by), len(there.lines)) == (2, "2026-10-08", 2)
    assert there.total == orders.get_order(pair.uow("AUS"), draft.id).total
    cancelled, _ = _placed(pair)
    cancel = CancelOrder(order_id=cancelled, reason="not needed after all")
    handle(pair.uow("AUS"), cancel, "aus-ops")
    # Cash: invoiced, paid, closed.
    mine, theirs, _ = _received(pair)
    invoice = handle(pair.uow("JPN"), IssueInvoice(order_id=theirs), "jpn-finance")
    pair.pump()
    payment = RecordPayment(
        invoice=invoice.number, amount=invoice.amount, paid=invoice.issued, reference="TT-9"
    )
    handle(pair.uow("AUS"), payment, "aus-finance")
    pair.pump()
    handle(pair.uow("AUS"), CloseOrder(order_id=mine), "aus-finance")
    # Notes, by either side in turn (each after the other's arrived), even on a closed order.
    pair.pump()
    handle(pair.uow("JPN"), AddNote(order_id=theirs, note="paid by TT-9\nthanks"), "jpn-finance")
    pair.pump()
    handle(pair.uow("AUS"), AddNote(order_id=mine, note="file closed"), "aus-finance")
    pair.pump()
    # Source documents, by either side, each backing its own step (the same step on both).
    bill = AttachFile(
        order_id=theirs,
        name="invoice.pdf",
        content=b"%PDF-1.7\n% invoice, signed\n%%EOF\n",
        step=f"invoice:{invoice.number}",
    )
    handle(pair.uow("JPN"), bill, "jpn-finance")
    pair.pump()
    proof = AttachFile(order_id=mine, name="transfer.csv", content=b"ref,amount\nTT-9,1\n")
    handle(pair.uow("AUS"), dataclasses.replace(proof, step="payment:1"), "aus-finance")
    pair.pump()
    # Corrections, the supplier's: a payment reversed, the invoice voided and issued again, a
    # credit note.
    mine, theirs, _ = _received(pair)
    wrong = handle(pair.uow("JPN"), IssueInvoice(order_id=theirs), "jpn-finance")
    pair.pump()
    part = RecordPayment(invoice=wrong.number, amount=Decimal(1000), paid=wrong.issued)
    handle(pair.uow("AUS"), part, "aus-finance")
    pair.pump()
    jpn_paid = settlement.get_invoice(pair.uow("JPN"), wrong.number).payments[0].id
    reversal = ReversePayment(payment=jpn_paid, reason="sent twice")
    handle(pair.uow("JPN"), reversal, "jpn-finance")
    handle(pair.uow("JPN"), VoidInvoice(invoice=wrong.number, reason="citation"), "jpn-finance")
    right = handle(pair.uow("JPN"), IssueInvoice(order_id=theirs), "jpn-finance")
    credit = IssueCreditNote(invoice=right.number, amount=Decimal(20), reason="agreed")
    handle(pair.uow("JPN"), credit, "jpn-finance")
    pair.pump()
    # A dispute of that invoice by the requester, answered by the supplier with a credit note.
    dispute = OpenDispute(
        order_id=mine,
        step=f"invoice:{right.number}",
        ground="price_basis",
        reason="old price list",
        amount=Decimal(500),
    )
    number = handle(pair.uow("AUS"), dispute, "aus-finance").number
    pair.pump()
    agreed = AnswerDispute(
        order_id=theirs, dispute=number, resolution="credit_note", agreed=Decimal(300)
    )
    handle(pair.uow("JPN"), agreed, "jpn-finance")
    pair.pump()
    assert settlement.get_invoice(pair.uow("AUS"), right.number).credited == Decimal(320)
    # In kind: part returned, the rest converted to cash past the deadline.
    doc = order_doc(settlement="replacement_in_kind")
    doc["lines"] = doc["lines"][:1]
    mine, theirs, _ = _received(pair, **doc)
    line = {"line": 1, "category": "fuel", "quantity": "2000", "nsn": "9130-01-031-5816"}
    returned = {"lines": [line], "note": "returned at Darwin"}
    handle(pair.uow("AUS"), ReturnInKind.from_wire(returned, order_id=mine), "aus-finance")
    pair.pump()
    swept = settlement.sweep(pair.uow("JPN"), "jpn-finance", as_of=date(2028, 12, 31))
    assert len(swept.converted) == 1
    # An equal value exchange: a service settled by a service of equal value (the texts
    # other than the US one offer no exchange of other goods for supplies).
    doc = order_doc(settlement="equal_value_exchange")
    doc["lines"] = [
        {
            "category": "billeting",
            "description": "Barracks, 40 beds for 3 nights",
            "quantity": "120",
            "unit": "EA",
            "unit_price": "6200",
            "currency": "JPY",
        }
    ]
    mine, _, _ = _received(pair, **doc)
    given = {
        "lines": [
            {"category": "transportation", "description": "Airlift, 2 pallets", "value": "740000"}
        ],
        "agreed_by": "both logistics officers",
        "valuation_note": "at the agreement's rates",
    }
    exchange = ExchangeEqualValue.from_wire(given, order_id=mine)
    handle(pair.uow("AUS"), exchange, "aus-finance")
    pair.pump()

    kinds: set[str] = set()
    for nation, engine in pair.engines.items():
        status = courier_status(engine)
        [row] = status.partners
        assert (row.pending, row.refused) == (0, 0), (nation, status.refused)
        assert row.delivered > 0
        assert row.received > 0
        for kind, wire in pair.wires(nation):
            assert parse_wire(wire.encode()).kind.value == kind
            assert json.loads(wire)["kind"] == kind
            kinds.add(kind)
    # Every kind of an order's document (a registry or key document is not of an order;
    # key documents cross in test_key_rotation).
    assert kinds == {k.value for k in Kind} - {k.value for k in REGISTRY_KINDS | KEY_KINDS}
    for engine in pair.engines.values():
        engine.dispose()


def test_a_document_ahead_of_the_clock_by_more_than_the_skew_is_refused(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    pair = Pair(tmp_path)
    order, _ = handle(pair.uow("AUS"), PlaceOrder.from_wire(order_doc()), "aus-ops")
    [(_, wire)] = pair.wires("AUS")
    at = parse_wire(wire.encode()).at
    jpn = pair.engines["JPN"]
    monkeypatch.delenv("ACSA_EXCHANGE_MAX_SKEW", raising=False)
    for ahead in (timedelta(seconds=301), timedelta(days=1)):  # the default: 300 s
        with pytest.raises(AcsaError) as refused:
            receive_document(jpn, wire.encode(), now=at - ahead)
        [violation] = refused.value.violations
        assert (violation.code, violation.field) == (Code.DOCUMENT_FROM_THE_FUTURE, "at")
    monkeypatch.setenv("ACSA_EXCHANGE_MAX_SKEW", "0")
    with pytest.raises(AcsaError):
        receive_document(jpn, wire.encode(), now=at - timedelta(seconds=1))
    assert courier_status(jpn).partners[0].received == 0
    monkeypatch.setenv("ACSA_EXCHANGE_MAX_SKEW", "600")
    receipt = receive_document(jpn, wire.encode(), now=at - timedelta(seconds=590))
    assert receipt.status == "recorded"
    assert order.uid == receipt.order
    for engine in pair.engines.values():
        engine.dispose()
