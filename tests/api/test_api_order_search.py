"""GET /api/v1/orders searches (``q``), sorts and pages in the database, through a real server
on SQLite and PostgreSQL: the total in ``X-Total-Count``, the next page in ``Link``, and every
parameter out of bounds refused naming it."""

from __future__ import annotations

import httpx

from acsa.domain import limits
from tests.api.conftest import Api
from tests.orders_data import order_doc, with_line


def place(api: Api, doc: dict[str, object]) -> int:
    placed = api.client.post("/orders", json=doc, headers=api.as_("AUS-requester"))
    assert placed.status_code == 201, placed.text
    return int(placed.json()["id"])


def ids(answer: httpx.Response) -> list[int]:
    assert answer.status_code == 200, answer.text
    return [int(o["id"]) for o in answer.json()]


def test_q_searches_an_orders_words_and_number_and_sort_and_pages_follow(api: Api) -> None:
    c, viewer = api.client, api.as_("JPN-viewer")
    strasse = place(api, order_doc(location="Hauptstraße 1, Wilhelmshaven"))
    cheap = place(api, with_line(order_doc(remarks="ready at 100%"), 0, quantity="1"))
    darwin = place(api, order_doc(location="RAAF Base Darwin, pad 7"))

    found = c.get("/orders", params={"q": " STRASSE "}, headers=viewer)
    assert ids(found) == [strasse]
    assert found.headers["X-Total-Count"] == "1"
    assert found.json()[0]["history"][0]["action"] == "create"
    assert ids(c.get("/orders", params={"q": "100%"}, headers=viewer)) == [cheap]
    assert ids(c.get("/orders", params={"q": "pad 7"}, headers=viewer)) == [darwin]
    assert ids(c.get("/orders", params={"q": f"#{darwin}"}, headers=viewer)) == [darwin]
    assert ids(c.get("/orders", params={"q": "jp-8 aviation"}, headers=viewer)) == [
        strasse,
        cheap,
        darwin,
    ]
    # Another nation's search finds nothing of these.
    assert ids(c.get("/orders", params={"q": "strasse"}, headers=api.as_("FRA-all"))) == []

    by_total = c.get("/orders", params={"sort": "total", "dir": "asc"}, headers=viewer)
    assert ids(by_total)[0] == cheap
    newest = c.get("/orders", params={"dir": "desc"}, headers=viewer)
    assert ids(newest) == [darwin, cheap, strasse]

    first = c.get("/orders", params={"q": "aviation", "limit": 2}, headers=viewer)
    assert ids(first) == [strasse, cheap]
    assert first.headers["X-Total-Count"] == "3"
    link = first.headers["Link"]
    assert link.endswith('>; rel="next"')
    assert "offset=2" in link
    assert "q=aviation" in link
    target = link[1 : link.index(">")]
    last = httpx.get(api.server.base + target, headers=viewer, timeout=30)
    assert ids(last) == [darwin]
    assert "Link" not in last.headers
    assert last.headers["X-Total-Count"] == "3"


def test_a_search_sort_or_direction_out_of_bounds_is_refused_naming_it(api: Api) -> None:
    c, viewer = api.client, api.as_("JPN-viewer")
    for params, field in (
        ({"q": "x" * (limits.SEARCH_CHARS_MAX + 1)}, "q"),
        ({"q": "fuel\x07"}, "q"),
        ({"sort": "price"}, "sort"),
        ({"dir": "up"}, "dir"),
    ):
        refused = c.get("/orders", params=params, headers=viewer)
        assert refused.status_code == 400, (params, refused.text)
        assert refused.headers["content-type"] == "application/problem+json"
        assert [e["field"] for e in refused.json()["errors"]] == [field], refused.text
    longest = {"q": "x" * limits.SEARCH_CHARS_MAX}
    assert c.get("/orders", params=longest, headers=viewer).json() == []


def test_the_search_parameters_are_documented(api: Api) -> None:
    document = httpx.get(api.url("/openapi.json"), timeout=30).json()
    listed = document["paths"]["/api/v1/orders"]["get"]["parameters"]
    by_name = {p["name"]: p for p in listed}
    assert by_name["q"]["schema"]["anyOf"][0]["maxLength"] == limits.SEARCH_CHARS_MAX
    assert "description" in by_name["q"]
    assert "total" in by_name["sort"]["schema"]["anyOf"][0]["pattern"]
    assert "dir" in by_name
