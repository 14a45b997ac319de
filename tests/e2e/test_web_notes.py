"""Notes on the order's page of a real ``acsa serve`` (SQLite and PostgreSQL): each is a dated,
attributed entry of the timeline, in English and Japanese, its text escaped."""

from __future__ import annotations

import html
from collections.abc import Iterator
from datetime import UTC, datetime

import pytest

from acsa.adapters.db.engine import make_engine
from acsa.adapters.db.unit_of_work import UnitOfWork
from acsa.commands import AddNote, PlaceOrder, SubmitOrder
from acsa.services.handlers import handle
from tests.e2e.test_web_pages import (
    BACKEND_PARAMS,
    Site,
    csrf_of,
    fresh_database,
    running_site,
    text_of,
)
from tests.orders_data import order_doc

NOTE = "Fuel truck delayed at the gate <b>two hours</b> & more"


@pytest.fixture(scope="module", params=BACKEND_PARAMS)
def site(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[Site]:
    tmp = tmp_path_factory.mktemp("web-notes")
    url = fresh_database(request, tmp)
    with running_site(url, tmp / "serve.log") as s:
        yield s


def _noted(site: Site) -> int:
    """An order submitted at 08:30 and noted at 09:15 (UTC) by Japan's logistics officer."""
    engine = make_engine(site.db_url)
    try:
        at = datetime(2026, 10, 1, 8, 30, tzinfo=UTC)
        order, _ = handle(UnitOfWork(engine), PlaceOrder.from_wire(order_doc()), "Lt Sato", at)
        handle(UnitOfWork(engine), SubmitOrder(order_id=order.id), "Lt Sato", at)
        note = AddNote(order_id=order.id, note=NOTE)
        handle(UnitOfWork(engine), note, "Sgt Tanaka", at.replace(hour=9, minute=15))
    finally:
        engine.dispose()
    assert order.id is not None
    return int(order.id)


def test_a_note_is_on_the_timeline_escaped_in_english_and_japanese(site: Site) -> None:
    oid = _noted(site)
    page = site.get(f"/orders/{oid}", name="JPN-viewer")
    assert page.status_code == 200
    words = text_of(page.text)
    assert "Note added" in words
    assert "Sgt Tanaka" in words
    assert html.escape(NOTE, quote=False) in page.text
    assert "<b>two hours</b>" not in page.text
    # Oldest first: created, submitted, then the note.
    assert words.index("Submitted to the supplier") < words.index("Note added")

    client = site.as_("AUS-viewer")
    listed = client.get("/orders").text
    switched = client.post(
        "/language", data={"language": "ja", "csrf": csrf_of(listed), "next": "/orders"}
    )
    assert switched.status_code == 303
    japanese = client.get(f"/orders/{oid}").text
    assert '<html lang="ja">' in japanese
    assert "備考を追加" in text_of(japanese)
    assert html.escape(NOTE, quote=False) in japanese
