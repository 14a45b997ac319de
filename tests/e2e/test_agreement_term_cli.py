"""``acsa agreements show``, ``amend --version --in-force`` and ``end`` end to end: the real
command on a real SQLite file, and the same commands through a real server (the REST routes
``POST /agreements/{id}/in-force-days`` and ``/termination``, the client's methods).

The agreement is this test's own, written from the UK's 2017 entry into force (the day not
given by the registry) and Japan-Australia Art. 7's term; every date is fixed."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from tests.e2e.cli import Result
from tests.e2e.cli import forked_run as run
from tests.e2e.test_remote_cli import Served, _serve

TERM = {"years": 10, "renewal_years": 10, "renewal_notice_months": 6}
AGREEMENT = {
    "id": "TST-GBR",
    "title": "test agreement in force on a day of 2017",
    "parties": ["JPN", "GBR"],
    "versions": [
        {
            "label": "2017 text",
            "signed": "2017-01-26",
            "in_force": "2017",
            "activities": ["exercise"],
            "categories": ["food"],
            "settlement_methods": ["cash"],
            "clauses": {"term": "Art. 9(2)"},
            "term": TERM,
        }
    ],
}
DAY = ("--version", "1", "--in-force", "2017-08-18", "--source", "MOFA press release")
NOTICE = ("--notice-date", "2030-01-15", "--by", "GBR", "--source", "Note verbale NV 1/2030")


def food_order(day: str) -> dict[str, Any]:
    return {
        "agreement": "TST-GBR",
        "requester": "GBR",
        "supplier": "JPN",
        "activity": "exercise",
        "settlement": "cash",
        "order_date": day,
        "needed_by": day,
        "location": "Camp Fuji",
        "lines": [
            {
                "category": "food",
                "description": "Rations",
                "quantity": "10",
                "unit": "EA",
                "unit_price": "1000",
                "currency": "JPY",
            }
        ],
    }


@pytest.fixture
def db(tmp_path: Path) -> str:
    url = f"sqlite:///{tmp_path / 'cli.db'}"
    assert run("init", "--db", url).code == 0
    path = tmp_path / "agreement.json"
    path.write_text(json.dumps(AGREEMENT))
    assert run("agreements", "add", "--file", str(path), "--db", url).code == 0
    return url


def refusal(result: Result) -> tuple[str, str, str]:
    assert result.code == 2, result.stdout + result.stderr
    [error] = result.json["errors"]
    return error["code"], error["field"], error["message"]


def test_show_prints_the_term_approximate_on_a_year_and_not_known_without_one(db: str) -> None:
    shown = run("agreements", "show", "TST-GBR", "--as-of", "2020-01-01", "--db", db)
    assert shown.code == 0, shown.stderr
    text = " ".join(shown.stdout.split())
    assert "first term (term 1) from 2017-12-31, ends 2027-12-31" in text
    assert "notice of non-renewal by 2027-06-30" in text
    assert "(approximate: entry into force known only to the month or year)" in text
    as_json = run("agreements", "show", "TST-GBR", "--as-of", "2028-01-01", "--db", db, "--json")
    term = as_json.json["term"]
    assert (term["period"], term["start"], term["end"], term["approximate"]) == (
        2,
        "2027-12-31",
        "2037-12-31",
        True,
    )
    assert as_json.json["termination"] is None
    unknown = AGREEMENT | {"id": "TST-NOTERM"}
    unknown["versions"] = [AGREEMENT["versions"][0] | {"term": None}]  # type: ignore[index]
    path = Path(db.removeprefix("sqlite:///")).parent / "noterm.json"
    path.write_text(json.dumps(unknown))
    assert run("agreements", "add", "--file", str(path), "--db", db).code == 0
    plain = run("agreements", "show", "TST-NOTERM", "--as-of", "2020-01-01", "--db", db)
    assert "not known from the sources" in plain.stdout
    assert run("agreements", "show", "TST-NOTERM", "--db", db, "--json").json["term"] is None


def test_amend_records_a_learnt_day_inside_the_window_and_refuses_one_outside(
    db: str, tmp_path: Path
) -> None:
    outside = run("agreements", "amend", "TST-GBR", *DAY[:2], "--in-force", "2018-01-01",
                  "--source", "x", "--db", db, "--json")  # fmt: skip
    code, field, message = refusal(outside)
    assert (code, field) == ("INVALID_DATE", "in_force")
    assert "from 2017-01-26 to 2017-12-31" in message
    missing = run("agreements", "amend", "TST-GBR", *DAY[:4], "--db", db, "--json")
    assert refusal(missing)[:2] == ("MISSING_FIELD", "--source")
    bad_day = run("agreements", "amend", "TST-GBR", *DAY[:2], "--in-force", "2017-02-30",
                  "--source", "x", "--db", db, "--json")  # fmt: skip
    assert refusal(bad_day)[:2] == ("INVALID_DATE", "--in-force")
    path = tmp_path / "v.json"
    path.write_text("{}")
    both = run("agreements", "amend", "TST-GBR", "--file", str(path), *DAY, "--db", db, "--json")
    assert refusal(both)[:2] == ("INVALID_INPUT", "--file")
    neither = run("agreements", "amend", "TST-GBR", "--db", db, "--json")
    assert refusal(neither)[:2] == ("MISSING_FIELD", "--file")

    done = run("agreements", "amend", "TST-GBR", *DAY, "--db", db)
    assert done.code == 0, done.stderr
    assert done.stdout.strip() == (
        "agreement TST-GBR: version 1 entered into force on 2017-08-18 (recorded; the "
        "registry gave 2017)"
    )
    again = run("agreements", "amend", "TST-GBR", *DAY, "--db", db, "--json")
    assert refusal(again)[0] == "IN_FORCE_DAY_KNOWN"
    shown = run("agreements", "show", "TST-GBR", "--as-of", "2020-01-01", "--db", db, "--json")
    assert shown.json["in_force"] == "2017-08-18"
    assert shown.json["term"]["approximate"] is False
    assert shown.json["in_force_days"] == [
        {"version": 1, "day": "2017-08-18", "source": "MOFA press release", "was": "2017"}
    ]
    assert run("audit", "verify", "--db", db).code == 0


def test_end_records_a_notice_after_which_orders_are_refused(db: str, tmp_path: Path) -> None:
    short = run("agreements", "end", "TST-GBR", *NOTICE, "--effective", "2030-12-31",
                "--db", db, "--json")  # fmt: skip
    code, field, message = refusal(short)
    assert (code, field) == ("TERMINATION_NOTICE_TOO_SHORT", "effective")
    assert "no sooner than 2031-01-15" in message
    no_by = run("agreements", "end", "TST-GBR", "--notice-date", "2030-01-15",
                "--effective", "2031-01-15", "--source", "x", "--db", db, "--json")  # fmt: skip
    assert refusal(no_by)[:2] == ("INVALID_INPUT", "--by")
    done = run("agreements", "end", "TST-GBR", *NOTICE, "--effective", "2031-01-15", "--db", db)
    assert done.code == 0, done.stderr
    assert done.stdout.strip() == (
        "agreement TST-GBR ends on 2031-01-15: notice given by GBR on 2030-01-15"
    )
    shown = run("agreements", "show", "TST-GBR", "--as-of", "2031-02-01", "--db", db)
    text = " ".join(shown.stdout.split())
    assert "ends on 2031-01-15: notice given by GBR on 2030-01-15" in text
    assert "ended" in text
    order = tmp_path / "order.json"
    order.write_text(json.dumps(food_order("2031-01-15")))
    checked = run("orders", "check", "--file", str(order), "--db", db, "--json")
    codes = [e["code"] for e in checked.json["errors"]]
    assert codes == ["AGREEMENT_NOT_IN_FORCE"], checked.stdout
    assert "by the notice of termination GBR gave on 2030-01-15" in checked.stdout
    again = run("agreements", "end", "TST-GBR", *NOTICE, "--effective", "2032-01-15",
                "--db", db, "--json")  # fmt: skip
    assert refusal(again)[0] == "AGREEMENT_TERMINATED"
    assert run("audit", "verify", "--db", db).code == 0


# --- through a server --------------------------------------------------------------------------


@pytest.fixture
def served(sqlite_url: str, tmp_path: Path) -> Iterator[Served]:
    yield from _serve(sqlite_url, tmp_path)


def test_the_remote_commands_and_the_rest_routes_record_alike(served: Served) -> None:
    s = served
    assert (
        s.remote("JPN-admin", "agreements", "add", "--file", s.file("a.json", AGREEMENT)).code == 0
    )
    viewer = s.remote("JPN-viewer", "agreements", "amend", "TST-GBR", *DAY, "--json")
    assert refusal(viewer)[0] == "FORBIDDEN"
    stranger = s.remote("FRA-admin", "agreements", "end", "TST-GBR", *NOTICE,
                        "--effective", "2031-01-15", "--json")  # fmt: skip
    assert refusal(stranger)[0] == "AGREEMENT_NOT_FOUND"
    outside = s.remote("JPN-admin", "agreements", "amend", "TST-GBR", *DAY[:2],
                       "--in-force", "2018-01-01", "--source", "x", "--json")  # fmt: skip
    assert refusal(outside)[:2] == ("INVALID_DATE", "in_force")
    day = s.remote("JPN-admin", "agreements", "amend", "TST-GBR", *DAY)
    assert day.code == 0, day.stderr
    assert "entered into force on 2017-08-18" in day.stdout
    ended = s.remote("JPN-admin", "agreements", "end", "TST-GBR", *NOTICE,
                     "--effective", "2031-01-15", "--json")  # fmt: skip
    assert ended.code == 0, ended.stderr
    assert ended.json["termination"]["effective"] == "2031-01-15"
    s.same("JPN-viewer", ("agreements", "show", "TST-GBR", "--as-of", "2030-06-01", "--json"))
    s.same("JPN-viewer", ("agreements", "show", "TST-GBR", "--as-of", "2031-06-01"))

    headers = s.people["JPN-admin"].headers
    with httpx.Client(base_url=s.server.base + "/api/v1", headers=headers, timeout=30) as api:
        known = api.post(
            "/agreements/TST-GBR/in-force-days",
            json={"version": 1, "in_force": "2017-08-20", "source": "again"},
        )
        assert known.status_code == 409  # the day is recorded already: a conflict
        assert known.json()["errors"][0]["code"] == "IN_FORCE_DAY_KNOWN"
        long = api.post(
            "/agreements/TST-GBR/termination",
            json={
                "notice_date": "2030-01-15",
                "effective": "2031-01-15",
                "by": "JPN",
                "source": "x" * 2001,
            },
        )
        assert long.status_code == 422
        assert long.json()["errors"][0]["field"] == "source"
    spec = httpx.get(s.server.base + "/openapi.json", timeout=30)
    paths = spec.json()["paths"]
    for path in ("/api/v1/agreements/{agreement_id}/in-force-days",
                 "/api/v1/agreements/{agreement_id}/termination"):  # fmt: skip
        post = paths[path]["post"]
        assert "201" in post["responses"]
        assert "422" in post["responses"]
    schemas = spec.json()["components"]["schemas"]
    # The notice's body is the command's (RecordTermination), described where the route reads it.
    notice = paths["/api/v1/agreements/{agreement_id}/termination"]["post"]["requestBody"]
    assert notice["required"] is True
    assert notice["content"]["application/json"]["schema"]["properties"]["source"]["maxLength"] == (
        2000
    )
    assert "term" in schemas["AgreementOut"]["properties"]
