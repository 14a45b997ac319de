"""What a search of the orders asks for, checked in the domain (no database)."""

from __future__ import annotations

from datetime import date

import pytest

from acsa.domain import limits
from acsa.domain.errors import AcsaError
from acsa.domain.order_search import WORD_SEPARATOR, order_query, order_words, search_text
from acsa.schemas.orders import OrderIn, order_from_doc
from tests.orders_data import order_doc


def test_a_blank_query_asks_for_every_order_by_number() -> None:
    query = order_query(q="   ")
    assert (query.q, query.sort, query.direction, query.limit, query.offset) == (
        "",
        "id",
        "asc",
        None,
        0,
    )


def test_a_number_names_that_order_and_a_hash_only_that_order() -> None:
    assert (order_query(q="12").number, order_query(q="12").only_number) == (12, False)
    assert order_query(q="12").words == "12"
    hashed = order_query(q=" #12 ")
    assert (hashed.number, hashed.only_number, hashed.words) == (12, True, "")
    # No number an order can have, or not ASCII digits: words only.
    for text in ("0", "99999999999", "١٢", "12a", "#"):
        assert order_query(q=text).number is None, text
    assert order_query(q="#99999999999").only_number


def test_words_are_folded_in_python_so_every_database_compares_them_alike() -> None:
    assert order_query(q="STRASSE").words == "strasse"
    assert order_query(q="Straße").words == "strasse"
    order = order_from_doc(
        OrderIn.model_validate(
            order_doc(location="Hauptstraße 1", operation=None, remarks="ＡＢＣ Ünit")
        )
    )
    text = search_text(order_words(order))
    assert "hauptstrasse 1" in text.split(WORD_SEPARATOR)
    assert "ａｂｃ ünit" in text.split(WORD_SEPARATOR)
    assert "jp-8 aviation turbine fuel" in text.split(WORD_SEPARATOR)
    assert "9130-01-031-5816" in text.split(WORD_SEPARATOR)


@pytest.mark.parametrize(
    ("changes", "field"),
    [
        ({"q": "x" * (limits.SEARCH_CHARS_MAX + 1)}, "q"),
        ({"q": "fuel\x00"}, "q"),
        ({"q": "fuel\nrations"}, "q"),
        ({"sort": "price"}, "sort"),
        ({"direction": "up"}, "dir"),
        ({"status": "lost"}, "status"),
        ({"limit": 0}, "limit"),
        ({"limit": limits.PAGE_LIMIT_MAX + 1}, "limit"),
        ({"offset": -1}, "offset"),
        ({"offset": limits.PAGE_OFFSET_MAX + 1}, "offset"),
        ({"agreement": "A" * (limits.CODE_CHARS_MAX + 1)}, "agreement"),
        ({"partner": "AUSTRALIA"}, "partner"),
        ({"since": date(1900, 1, 1)}, "since"),
    ],
)
def test_each_parameter_out_of_bounds_is_refused_naming_it(
    changes: dict[str, object], field: str
) -> None:
    with pytest.raises(AcsaError) as refused:
        order_query(**changes)  # type: ignore[arg-type]
    assert [v.field for v in refused.value.violations] == [field]
    assert refused.value.codes[0] in ("INVALID_FIELD", "INVALID_DATE")


def test_the_longest_search_is_taken_and_every_problem_is_named_at_once() -> None:
    assert order_query(q="x" * limits.SEARCH_CHARS_MAX).q == "x" * limits.SEARCH_CHARS_MAX
    with pytest.raises(AcsaError) as refused:
        order_query(q="x" * 300, sort="x", since=date(2026, 5, 2), until=date(2026, 5, 1), limit=0)
    assert sorted(v.field for v in refused.value.violations) == ["limit", "q", "sort", "until"]
    assert "INVALID_DATE" in refused.value.codes
