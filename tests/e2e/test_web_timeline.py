"""Every view of an event shows the same date: the order's timeline shows a document on the day
it happened in the business (the invoice's day of issue, the payment's day), as the form, the
statement and the PDF do, and adds when acsa recorded it where that was another day."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, date, datetime

import pytest

from acsa.adapters.db.engine import make_engine
from acsa.adapters.db.unit_of_work import UnitOfWork
from acsa.commands import (
    AcceptOrder,
    DeliverOrder,
    IssueInvoice,
    PlaceOrder,
    ReceiveOrder,
    RecordPayment,
    SubmitOrder,
)
from acsa.i18n import Formats
from acsa.services.handlers import handle
from tests.e2e.test_web_pages import Site, fresh_database, running_site, text_of
from tests.orders_data import order_doc

DAY = datetime(2026, 10, 1, 8, 30, tzinfo=UTC)
ISSUED = date(2026, 10, 20)
PAID = date(2026, 11, 2)


@pytest.fixture(scope="module", params=["sqlite"])
def site(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[Site]:
    tmp = tmp_path_factory.mktemp("web-timeline")
    url = fresh_database(request, tmp)
    with running_site(url, tmp / "serve.log") as s:
        yield s


def _settled_later(site: Site) -> tuple[int, str]:
    """An order received on 1 October, whose invoice (of 20 October) and payment (of 2 November)
    are recorded only now, as a finance office catching up does."""
    engine = make_engine(site.db_url)
    try:

        def act(command: object, who: str) -> object:
            return handle(UnitOfWork(engine), command, who, DAY)  # type: ignore[arg-type]

        order, _ = handle(UnitOfWork(engine), PlaceOrder.from_wire(order_doc()), "Lt Sato", DAY)
        assert order.id is not None
        for step, who in (
            (SubmitOrder, "Lt Sato"),
            (AcceptOrder, "Maj Ito"),
            (DeliverOrder, "Sgt Mori"),
            (ReceiveOrder, "Sgt Lee"),
        ):
            act(step(order_id=order.id), who)
        invoice = handle(
            UnitOfWork(engine), IssueInvoice(order_id=order.id, issued=ISSUED), "Capt Abe"
        )
        number = str(invoice.number)
        handle(
            UnitOfWork(engine),
            RecordPayment(invoice=number, amount=invoice.amount, paid=PAID, reference="TT-9"),
            "Maj Hall",
        )
    finally:
        engine.dispose()
    return int(order.id), number


def test_documents_are_dated_by_their_business_day_and_recorded_time(site: Site) -> None:
    oid, number = _settled_later(site)
    page = site.get(f"/orders/{oid}", name="JPN-viewer")
    assert page.status_code == 200
    words = text_of(page.text)
    english = Formats("en")
    # The invoice and the payment on their own days, each saying it was recorded today.
    issued = words.index(english.day(ISSUED))
    assert words.index("Received") < issued < words.index("Invoice issued")
    assert english.day(PAID) in words
    today = english.day(datetime.now(UTC).date())
    assert words.count("recorded " + today) == 2, words
    # The steps, recorded on the day they happened, carry no second date.
    assert words.count(f"recorded {english.day(DAY.date())}") == 0
    # Oldest first by the business moment: received (1 Oct) < invoice (20 Oct) < payment (2 Nov).
    assert words.index("Received") < words.index("Invoice issued") < words.index("Payment recorded")
    assert number in words
