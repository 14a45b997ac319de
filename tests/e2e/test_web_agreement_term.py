"""An agreement's page shows its term, a recorded notice of termination and the days of entry
into force users learnt, in English and Japanese, through a real ``acsa serve`` (SQLite and
PostgreSQL). The agreement is this test's own; every date is fixed."""

from __future__ import annotations

from datetime import date
from pathlib import Path

from acsa.adapters.db.engine import make_engine
from acsa.adapters.db.unit_of_work import UnitOfWork
from acsa.commands import AddAgreement, RecordInForceDay, RecordTermination
from acsa.domain.errors import Code
from acsa.i18n import Formats, catalog
from acsa.services.handlers import handle
from tests.api.server import Server, add_people
from tests.e2e.test_agreement_term_cli import AGREEMENT
from tests.e2e.test_web_pages import csrf_of, sign_in, text_of

EN, JA = Formats("en"), Formats("ja")


def test_the_agreement_page_shows_the_term_and_its_end_in_both_languages(
    db_url: str, tmp_path: Path
) -> None:
    add_people(db_url, nations=("JPN",))
    engine = make_engine(db_url)
    try:
        handle(UnitOfWork(engine), AddAgreement.from_wire(AGREEMENT), "operator")
        no_term = AGREEMENT | {
            "id": "TST-NOTERM",
            "versions": [AGREEMENT["versions"][0] | {"term": None}],  # type: ignore[index]
        }
        handle(UnitOfWork(engine), AddAgreement.from_wire(no_term), "operator")
        day = {"version": 1, "in_force": "2017-08-18", "source": "MOFA press release"}
        learnt = RecordInForceDay.from_wire(day, agreement_id="TST-GBR")
        handle(UnitOfWork(engine), learnt, "operator")
        notice = {
            "notice_date": "2030-01-15",
            "effective": "2031-01-15",
            "by": "GBR",
            "source": "Note verbale",
            "reference": "NV 1/2030",
        }
        ended = RecordTermination.from_wire(notice, agreement_id="TST-GBR")
        handle(UnitOfWork(engine), ended, "operator")
    finally:
        engine.dispose()
    with Server(db_url, log=tmp_path / "serve.log") as server:
        jpn = sign_in(server.base, "JPN-viewer")
        page = jpn.get("/agreements/TST-GBR", params={"as_of": "2028-03-01"})
        assert page.status_code == 200
        words = text_of(page.text)
        start, end = EN.day(date(2027, 8, 18)), EN.day(date(2037, 8, 18))
        assert f"Term 2: from {start} until {end}" in words
        assert f"Notice of non-renewal by {EN.day(date(2037, 2, 18))}" in words
        assert "10 years from entry into force of version 1, renewed automatically" in words
        ends = EN.day(date(2031, 1, 15))
        assert f"Ends on {ends}: notice given by GBR on {EN.day(date(2030, 1, 15))}" in words
        assert "NV 1/2030" in words
        assert f"version 1: {EN.day(date(2017, 8, 18))} (the registry gave 2017)" in words
        after = text_of(jpn.get("/agreements/TST-GBR", params={"as_of": "2031-02-01"}).text)
        assert "Not in force on" in after
        unknown = text_of(jpn.get("/agreements/TST-NOTERM").text)
        assert "not known from the sources" in unknown

        csrf = csrf_of(page.text)
        jpn.post("/language", data={"language": "ja", "csrf": csrf, "next": "/"})
        japanese = text_of(jpn.get("/agreements/TST-GBR", params={"as_of": "2028-03-01"}).text)
        assert f"第2期：{JA.day(date(2027, 8, 18))}から{JA.day(date(2037, 8, 18))}まで" in (
            japanese
        )
        assert f"更新しない旨の通告期限：{JA.day(date(2037, 2, 18))}" in japanese
        assert f"{JA.day(date(2031, 1, 15))}に終了：GBRが{JA.day(date(2030, 1, 15))}に通告" in (
            japanese
        )
        jpn.close()


def test_the_codes_of_agreement_records_have_japanese_words() -> None:
    words = catalog("ja")
    for code in (
        Code.TERMINATION_NOTICE_TOO_SHORT,
        Code.AGREEMENT_TERMINATED,
        Code.IN_FORCE_DAY_KNOWN,
    ):
        assert getattr(words.get(f"error.{code.value}"), "string", None), code
