"""A form that changes orders or money, sent twice, changes nothing twice: through a real
``acsa serve`` over SQLite and PostgreSQL, the new-order form and the invoice and payment
forms are posted again with the key the page gave them (a double click, a reload that posts
again), and the second post is answered with the first one's page and writes nothing."""

from __future__ import annotations

import re
from collections.abc import Iterator
from decimal import Decimal
from pathlib import Path

import pytest

from acsa.adapters.db.engine import make_engine
from acsa.adapters.db.unit_of_work import UnitOfWork
from acsa.services import orders
from tests.api.server import Server
from tests.e2e.test_web_finance import TOTAL, Browser, Site
from tests.e2e.test_web_orders import form_fields
from tests.orders_data import order_doc


@pytest.fixture
def site(db_url: str, tmp_path: Path) -> Iterator[Site]:
    """``acsa serve`` over a fresh database (the registry only); people are made as needed."""
    engine = make_engine(db_url)
    try:
        with Server(db_url, log=tmp_path / "serve.log") as server:
            yield Site(server, engine, {})
    finally:
        engine.dispose()


def form_key(html: str, action: str) -> str:
    """The key of the form posting to ``action`` on the page."""
    form = re.search(rf'<form[^>]*action="{re.escape(action)}".*?</form>', html, re.S)
    assert form is not None, action
    found = re.search(r'name="form_key" value="([0-9a-f]{32})"', form[0])
    assert found is not None, form[0]
    return found[1]


def order_count(site: Site) -> int:
    return len(orders.list_orders(UnitOfWork(site.engine, read_only=True)))


def new_order_form(browser: Browser) -> dict[str, str]:
    key = form_key(browser.get("/orders/new").text, "/orders/new")
    return {**form_fields(order_doc()), "intent": "save", "form_key": key}


def test_the_new_order_form_sent_twice_places_one_order(site: Site) -> None:
    aus = site.browser("AUS-all")
    before = order_count(site)
    sent = new_order_form(aus)

    first = aus.post("/orders/new", sent)
    assert first.status_code == 303, first.text[-2000:]
    placed = re.fullmatch(r"/orders/(\d+)\?done=place", first.headers["location"])
    assert placed is not None, first.headers["location"]
    again = aus.post("/orders/new", sent)
    assert again.status_code == 303
    assert again.headers["location"] == f"/orders/{placed[1]}"  # the same order, as it is now
    assert order_count(site) == before + 1

    # The form shown again has a new key: a new order.
    other = aus.post("/orders/new", new_order_form(aus))
    assert other.status_code == 303
    assert other.headers["location"] != first.headers["location"]
    assert order_count(site) == before + 2

    # The same key sent with another form is refused, and places nothing.
    reused = aus.post("/orders/new", {**sent, "location": "Townsville"})
    assert reused.status_code == 409
    assert "This form was already sent with other values" in reused.text
    assert order_count(site) == before + 2
    aus.close()


def test_the_invoice_and_payment_forms_sent_twice_record_one_of_each(site: Site) -> None:
    oid = site.received_order()
    jpn, aus = site.browser("JPN-finance"), site.browser("AUS-finance")
    page = f"/orders/{oid}/settlement"

    invoice_form = {"issued": "", "form_key": form_key(jpn.get(page).text, f"{page}/invoice")}
    first = jpn.post(f"{page}/invoice", invoice_form)
    again = jpn.post(f"{page}/invoice", invoice_form)
    assert first.status_code == again.status_code == 303
    assert again.headers["location"] == first.headers["location"]  # "Invoice ... issued."
    [invoice] = site.invoices(oid)

    key = form_key(aus.get(page).text, f"{page}/payment")
    payment = {
        "invoice": invoice["number"],
        "amount": "1,000,000",
        "paid": invoice["issued"],
        "reference": "TT-1",
        "form_key": key,
    }
    paid = aus.post(f"{page}/payment", payment)
    assert paid.status_code == 303, paid.text[-2000:]
    assert "Payment recorded" in aus.follow(paid).text
    resent = aus.post(f"{page}/payment", payment)
    assert resent.status_code == 303
    assert resent.headers["location"] == paid.headers["location"]
    [after] = site.invoices(oid)
    assert Decimal(after["paid"]) == Decimal("1000000")  # once, not twice

    # A new payment form pays again; the rest of the invoice settles it.
    rest = {
        **payment,
        "amount": str(TOTAL - 1_000_000),
        "form_key": form_key(aus.get(page).text, f"{page}/payment"),
    }
    assert aus.post(f"{page}/payment", rest).status_code == 303
    assert site.invoices(oid)[0]["status"] == "paid"
    for browser in (jpn, aus):
        browser.close()
