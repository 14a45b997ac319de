"""Disputes on the pages, through a real ``acsa serve`` (SQLite and PostgreSQL): AUS's logistics
disputes a receipt with the order page's form; the order page lists it and shows JPN's finance
the form that answers it, the settlement page shows the amount disputed; a refused dispute
says why with its code and writes nothing; JPN answers with a credit note; the disputes page
(linked from the ledger and reports navigation) lists it with its age and value and the report
per partner, in English and in Japanese; another nation sees none of it."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from acsa.adapters.db.engine import make_engine
from tests.api.server import Server, add_people
from tests.e2e.test_web_pages import csrf_of, sign_in
from tests.integration.dump import content
from tests.orders_data import order_doc


@pytest.fixture
def served(db_url: str, tmp_path: Path) -> Iterator[tuple[Server, dict[str, Any], str]]:
    people = add_people(db_url, nations=("JPN", "AUS", "FRA"))
    with Server(db_url, log=tmp_path / "serve.log") as server:
        yield server, people, db_url


def _received(server: Server, people: dict[str, Any]) -> tuple[int, str]:
    def call(who: str, path: str, **kwargs: Any) -> httpx.Response:
        got = httpx.post(
            f"{server.base}/api/v1{path}", headers=people[who].headers, timeout=30, **kwargs
        )
        assert got.status_code < 300, got.text
        return got

    oid = int(call("AUS-requester", "/orders", json=order_doc()).json()["id"])
    for who, step in (
        ("AUS-requester", "submit"),
        ("JPN-approver", "accept"),
        ("JPN-logistics", "deliver"),
        ("AUS-logistics", "receive"),
    ):
        call(who, f"/orders/{oid}/{step}")
    call("JPN-finance", f"/orders/{oid}/invoices")
    order = httpx.get(
        f"{server.base}/api/v1/orders/{oid}", headers=people["AUS-viewer"].headers, timeout=30
    ).json()
    seq = next(e["seq"] for e in order["history"] if e["action"] == "receive")
    return oid, f"receipt:{seq}"


def _dump(db_url: str) -> object:
    engine = make_engine(db_url)
    try:
        return content(engine)
    finally:
        engine.dispose()


def test_a_dispute_opened_and_answered_on_the_pages(
    served: tuple[Server, dict[str, Any], str],
) -> None:
    server, people, db_url = served
    oid, receipt = _received(server, people)
    aus = sign_in(server.base, "AUS-logistics")
    jpn = sign_in(server.base, "JPN-finance")
    try:
        page = aus.get(f"/orders/{oid}")
        assert page.status_code == 200
        assert 'id="form-dispute"' in page.text
        assert 'id="disputes-none"' in page.text
        form = {
            "csrf": csrf_of(page.text),
            "step": receipt,
            "ground": "quality",
            "amount": "999999999",
            "reason": "water tainted",
        }
        before = _dump(db_url)
        refused = aus.post(f"/orders/{oid}/disputes", data=form)
        assert refused.status_code == 422
        assert "DISPUTE_EXCEEDS_WORTH" in refused.text
        assert _dump(db_url) == before
        sent = aus.post(f"/orders/{oid}/disputes", data={**form, "amount": "80020"})
        assert sent.status_code == 303, sent.text
        page = aus.get(f"/orders/{oid}")
        assert 'data-status="open"' in page.text
        assert "Withdraw dispute DSP-AUS-" in page.text
        number = page.text.split('data-dispute="', 1)[1].split('"', 1)[0]
        settlement = aus.get(f"/orders/{oid}/settlement")
        assert settlement.status_code == 200
        assert 'id="disputed"' in settlement.text

        theirs = jpn.get(f"/orders/{oid}")
        assert f"Answer dispute {number}" in theirs.text
        answered = jpn.post(
            f"/orders/{oid}/disputes/{number}/answer",
            data={
                "csrf": csrf_of(theirs.text),
                "resolution": "credit_note",
                "agreed": "80020",
                "note": "agreed",
            },
        )
        assert answered.status_code == 303, answered.text
        assert 'data-status="resolved"' in jpn.get(f"/orders/{oid}").text

        listing = jpn.get("/disputes")
        assert listing.status_code == 200
        assert 'href="/disputes"' in jpn.get("/ledger").text
        assert f'data-dispute="{number}"' in listing.text
        assert 'data-partner="AUS"' in listing.text
        assert f'data-dispute="{number}"' not in jpn.get("/disputes?status=open").text
        switched = jpn.post(
            "/language", data={"language": "ja", "csrf": csrf_of(listing.text), "next": "/"}
        )
        assert switched.status_code == 303
        japanese = jpn.get("/disputes")
        assert "異議" in japanese.text
        assert "解決済み" in japanese.text
    finally:
        aus.close()
        jpn.close()
    fra = sign_in(server.base, "FRA-all")
    try:
        assert f'href="/orders/{oid}#disputes"' not in fra.get("/disputes").text
        assert fra.get(f"/orders/{oid}").status_code == 404
    finally:
        fra.close()
