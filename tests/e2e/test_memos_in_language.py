"""A statement's lines read in the reader's language: the document an entry stands on and the
memo acsa wrote on it (``order 5 receipt (event 5)``, ``payment of invoice ...``) in English for
an English reader and in Japanese for a Japanese one, on the page, in its downloads and in the
API (``Accept-Language``), through a real ``acsa serve`` process."""

from __future__ import annotations

import csv
import io
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from acsa.adapters.db.engine import make_engine
from tests.api.server import Server
from tests.e2e.test_web_finance import Site, rows

PERIOD = {"partner": "AUS", "since": "2026-01-01", "until": "2026-12-31"}


@pytest.fixture
def memo_site(db_url: str, tmp_path: Path) -> Iterator[Site]:
    engine = make_engine(db_url)
    try:
        with Server(db_url, log=tmp_path / "serve.log") as server:
            yield Site(server, engine, {})
    finally:
        engine.dispose()


def test_a_statement_reads_in_the_readers_language(memo_site: Site) -> None:
    site = memo_site
    oid = site.received_order()
    issued = site.api("POST", f"/orders/{oid}/invoices", "JPN-finance")
    assert issued.status_code == 201, issued.text
    number = issued.json()["number"]
    paid = site.api(
        "POST",
        f"/invoices/{number}/payments",
        "AUS-finance",
        json={"amount": "1000000", "date": issued.json()["issued"], "reference": "TT-1"},
    )
    assert paid.status_code in (200, 201), paid.text

    # The API: the stored reference as it is, and its words in the asked language.
    english = site.api("GET", "/ledger/statement", "JPN-finance", params=PERIOD)
    assert english.status_code == 200, english.text
    [statement] = english.json()
    receipt, payment = statement["lines"]
    assert receipt["document"].startswith(f"order {oid} receipt (event ")
    assert receipt["document_text"] == receipt["document"]
    assert payment["document_text"] == f"payment of invoice {number}"
    japanese = httpx.get(
        f"{site.base}/api/v1/ledger/statement",
        params=PERIOD,
        headers={**site.person("JPN-finance").headers, "Accept-Language": "ja"},
        timeout=30,
    )
    assert japanese.headers["content-language"] == "ja"
    [ja_statement] = japanese.json()
    ja_receipt, ja_payment = ja_statement["lines"]
    assert ja_receipt["document"] == receipt["document"]
    event = receipt["document"].rsplit(" ", 1)[1].rstrip(")")
    assert ja_receipt["document_text"] == f"注文{oid}の受領（記録{event}）"
    assert ja_payment["document_text"] == f"請求書{number}の支払"
    assert ja_payment["memo_text"] == "TT-1"

    # The page and its download, in English and then in Japanese.
    jpn = site.browser("JPN-finance")
    lines = rows(jpn.get("/ledger/statement", **PERIOD).text, "statement")
    assert lines[1][4] == receipt["document"]
    assert lines[2][4:6] == [f"payment of invoice {number}", "TT-1"]
    switched = jpn.client.post(
        "/language", data={"language": "ja", "csrf": jpn.csrf, "next": "/ledger"}
    )
    assert switched.status_code == 303
    ja_lines = rows(jpn.get("/ledger/statement", **PERIOD).text, "statement")
    assert ja_lines[1][4] == f"注文{oid}の受領（記録{event}）"
    assert ja_lines[2][4:6] == [f"請求書{number}の支払", "TT-1"]
    download = jpn.get("/ledger/statement.csv", **PERIOD).content.decode("utf-8-sig")
    table = list(csv.reader(io.StringIO(download)))
    assert [r[4] for r in table[2:4]] == [
        f"注文{oid}の受領（記録{event}）",
        f"請求書{number}の支払",
    ]
    jpn.close()
