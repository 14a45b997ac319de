"""GET /api/v1/ledger/statement a page at a time, through a real server (SQLite file and
PostgreSQL): ``limit`` and ``after`` walk the statement with the balances carried on, the
default page is 200 entries, and a bad ``limit`` or ``after`` is a problem naming the field."""

from __future__ import annotations

from sqlalchemy import Engine

from acsa.adapters.db.engine import make_engine
from acsa.adapters.db.unit_of_work import UnitOfWork
from tests.api.conftest import Api
from tests.integration.test_ledger_views import scenario

PERIOD = {"partner": "AUS", "since": "2026-01-01", "until": "2026-12-31"}


def settled(api: Api) -> None:
    engine: Engine = make_engine(api.db_url)
    try:
        scenario(UnitOfWork(engine))
    finally:
        engine.dispose()


def test_pages_of_the_statement_add_up_to_the_whole(api: Api) -> None:
    settled(api)
    c, jpn = api.client, api.as_("JPN-finance")
    [whole] = c.get("/ledger/statement", params=PERIOD, headers=jpn).json()
    assert (whole["limit"], whole["after"], whole["next"]) == (200, None, None)
    assert len(whole["lines"]) >= 3
    lines, after = [], None
    while True:
        params: dict[str, str | int] = {**PERIOD, "limit": 2}
        if after:
            params["after"] = after
        got = c.get("/ledger/statement", params=params, headers=jpn)
        assert got.status_code == 200, got.text
        [page] = got.json()
        assert (page["opening"], page["closing"]) == (whole["opening"], whole["closing"])
        assert (page["debits"], page["credits"]) == (whole["debits"], whole["credits"])
        lines.extend(page["lines"])
        after = page["next"]
        if after is None:
            break
    assert lines == whole["lines"]


def test_a_bad_limit_or_after_is_a_problem_naming_it(api: Api) -> None:
    settled(api)
    c, jpn = api.client, api.as_("JPN-finance")
    for params, status, code in (
        ({"limit": 0}, 400, "INVALID_INPUT"),
        ({"limit": 1001}, 400, "INVALID_INPUT"),
        ({"limit": "many"}, 400, "INVALID_INPUT"),
        ({"after": "2026-01-05"}, 422, "INVALID_FIELD"),
        ({"after": "2027-01-05:3"}, 422, "INVALID_FIELD"),
    ):
        got = c.get("/ledger/statement", params={**PERIOD, **params}, headers=jpn)
        assert got.headers["content-type"] == "application/problem+json"
        problem = got.json()
        assert (got.status_code, problem["code"]) == (status, code), (params, got.text)
        [error] = problem["errors"]
        field = next(iter(params))
        assert field in (error.get("field"), error.get("params", {}).get("name")), error
