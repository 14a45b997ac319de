"""The designated officials' page and the designation rule through the pages of a real
``acsa serve`` (SQLite and PostgreSQL): an admin designates and ends officials, everyone of
the nation reads them, another nation's people see none of them, and submitting an order on
its page is refused with the code until the person is designated within the order's value."""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from acsa.adapters.db.engine import make_engine
from acsa.adapters.db.unit_of_work import UnitOfWork
from acsa.commands import PlaceOrder
from acsa.services import orders
from acsa.services.handlers import handle
from tests.api.server import Server, add_people
from tests.e2e.test_web_pages import csrf_of, sign_in, text_of
from tests.orders_data import order_doc


@pytest.fixture
def site(db_url: str, tmp_path: Path) -> Iterator[tuple[str, int, str]]:
    """A server with people of JPN, AUS and FRA and one AUS draft (2,644,020 JPY)."""
    add_people(db_url)
    engine = make_engine(db_url)
    try:
        order, _ = handle(UnitOfWork(engine), PlaceOrder.from_wire(order_doc()), "AUS-requester")
    finally:
        engine.dispose()
    assert order.id is not None
    with Server(db_url, log=tmp_path / "serve.log") as server:
        yield server.base, order.id, db_url


def designate(client: httpx.Client, **fields: str) -> httpx.Response:
    page = client.get("/designations")
    assert page.status_code == 200
    data = {
        "role": "ordering",
        "currency": "JPY",
        "valid_from": "2020-01-01",
        "reference": "AUS-DO-17/2026",
        "reference_date": "2019-12-20",
        **fields,
        "csrf": csrf_of(page.text),
    }
    return client.post("/designations", data=data)


def submit(client: httpx.Client, order_id: int) -> httpx.Response:
    page = client.get(f"/orders/{order_id}")
    version = page.text.split('name="version" value="', 1)[1].split('"', 1)[0]
    data = {"action": "submit", "version": version, "csrf": csrf_of(page.text)}
    return client.post(f"/orders/{order_id}", data=data)


def stored(db_url: str, order_id: int) -> tuple[str, int]:
    engine = make_engine(db_url)
    try:
        order = orders.get_order(UnitOfWork(engine), order_id)
    finally:
        engine.dispose()
    return order.status.value, order.version


def test_an_admin_designates_on_the_page_and_submit_needs_it(
    site: tuple[str, int, str],
) -> None:
    base, order_id, db_url = site
    admin = sign_in(base, "AUS-admin")
    requester = sign_in(base, "AUS-requester")
    viewer = sign_in(base, "AUS-viewer")
    french = sign_in(base, "FRA-admin")
    # Nothing designated: nothing required.
    empty = viewer.get("/designations")
    assert 'data-required="0"' in empty.text
    assert 'id="designate"' not in empty.text  # no form for who is not an admin
    # The admin's form: refused with its codes, then designated.
    bad = designate(admin, user="AUS-requester", limit="-5", currency="XXX")
    assert bad.status_code == 400
    assert "INVALID_AMOUNT" in bad.text
    assert "UNKNOWN_CURRENCY" in bad.text
    made = designate(admin, user="AUS-requester", limit="1000000")
    assert made.status_code == 303, made.text
    shown = viewer.get("/designations").text
    assert 'data-required="1"' in shown
    assert "AUS-DO-17/2026" in text_of(shown)
    assert "1,000,000" in text_of(shown)
    assert "AUS-DO-17/2026" not in french.get("/designations").text
    # A viewer may not designate.
    page = viewer.get("/designations")
    forbidden = viewer.post(
        "/designations",
        data={
            "user": "AUS-viewer",
            "role": "ordering",
            "limit": "1",
            "currency": "JPY",
            "valid_from": "2020-01-01",
            "reference": "x",
            "reference_date": "2020-01-01",
            "csrf": csrf_of(page.text),
        },
    )
    assert forbidden.status_code == 403
    # Submitting on the order's page: above the limit, refused and the order unchanged.
    refused = submit(requester, order_id)
    assert refused.status_code == 403
    assert "AUTHORITY_EXCEEDED" in refused.text
    assert stored(db_url, order_id) == ("draft", 1)
    assert designate(admin, user="AUS-requester", limit="3000000").status_code == 303
    done = submit(requester, order_id)
    assert done.status_code == 303, done.text
    assert stored(db_url, order_id) == ("submitted", 2)
    # Ending it on the page.
    page = admin.get("/designations")
    first = re.findall(r'action="/designations/(\d+)/end"', page.text)[0]
    ended = admin.post(
        f"/designations/{first}/end",
        data={"on": "2021-01-01", "reason": "replaced", "csrf": csrf_of(page.text)},
    )
    assert ended.status_code == 303, ended.text
    assert "ended 2021-01-01" in text_of(viewer.get("/designations").text)


def test_an_admin_sets_the_policy_on_the_page(site: tuple[str, int, str]) -> None:
    base, order_id, db_url = site
    admin = sign_in(base, "AUS-admin")
    viewer = sign_in(base, "AUS-viewer")
    requester = sign_in(base, "AUS-requester")
    assert designate(admin, user="AUS-all", limit="1").status_code == 303
    page = admin.get("/designations")
    assert 'id="policy-form"' in page.text
    assert 'id="policy-form"' not in viewer.get("/designations").text
    off = admin.post("/designations/policy", data={"separation": "1", "csrf": csrf_of(page.text)})
    assert off.status_code == 303, off.text
    shown = viewer.get("/designations").text
    assert 'data-required="0"' in shown
    assert 'data-separation="1"' in shown
    # Not required: an undesignated person submits.
    assert submit(requester, order_id).status_code == 303
    assert stored(db_url, order_id) == ("submitted", 2)
    page = viewer.get("/designations")
    refused = viewer.post(
        "/designations/policy", data={"required": "1", "csrf": csrf_of(page.text)}
    )
    assert refused.status_code == 403
    assert 'data-required="0"' in viewer.get("/designations").text
