"""Lists of orders on the in-memory unit of work: filters, the search, sort and page the
database does in SQL (tests/integration/test_order_search.py), answered alike by the fake."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from acsa.commands import PlaceOrder, SubmitOrder
from acsa.domain.errors import AcsaError
from acsa.domain.order_search import OrderPage, order_query
from acsa.services import orders
from acsa.services.handlers import handle
from tests.fakes import FakeUnitOfWork
from tests.orders_data import order_doc, with_line

T0 = datetime(2026, 10, 1, 8, 30, tzinfo=UTC)


@pytest.fixture
def three(uow: FakeUnitOfWork) -> list[int]:
    """Fuel at Darwin (AUS, 1 Oct), water at Townsville (AUS, 2 Oct), fuel for Italy."""
    docs = [
        order_doc(),
        with_line(order_doc(location="Townsville", order_date="2026-10-02"), 0, quantity="1"),
        order_doc(agreement="JPN-ITA", requester="ITA", location="Naples"),
    ]
    ids = [int(handle(uow, PlaceOrder.from_wire(d), actor="x", at=T0)[0].id) for d in docs]
    handle(uow, SubmitOrder(order_id=ids[1]), actor="x", at=T0)
    return ids


def ids(page: OrderPage) -> list[int]:
    return [o.id or 0 for o in page.orders]


def test_a_search_finds_an_order_by_number_or_by_part_of_its_words(
    uow: FakeUnitOfWork, three: list[int]
) -> None:
    assert ids(orders.search_orders(uow, order_query(q=f"#{three[1]}"))) == [three[1]]
    assert ids(orders.search_orders(uow, order_query(q="townsVILLE"))) == [three[1]]
    assert ids(orders.search_orders(uow, order_query(q="jp-8"))) == three  # a line's description
    assert orders.search_orders(uow, order_query(q="Kabul")).total == 0


def test_filters_combine_and_the_total_counts_every_page(
    uow: FakeUnitOfWork, three: list[int]
) -> None:
    page = orders.search_orders(uow, order_query(party="AUS", limit=1, offset=1))
    assert (ids(page), page.total) == ([three[1]], 2)
    assert ids(orders.search_orders(uow, order_query(status="submitted"))) == [three[1]]
    assert ids(orders.search_orders(uow, order_query(agreement="JPN-ITA"))) == [three[2]]


def test_sorts_by_value_and_date_either_way(uow: FakeUnitOfWork, three: list[int]) -> None:
    by_value = orders.search_orders(uow, order_query(sort="total", direction="desc"))
    assert ids(by_value)[-1] == three[1]  # one litre of fuel instead of 12,000
    assert ids(orders.search_orders(uow, order_query(sort="date", direction="desc")))[0] == three[1]


def test_a_bad_list_parameter_is_refused_naming_it(uow: FakeUnitOfWork) -> None:
    with pytest.raises(AcsaError) as refused:
        orders.search_orders(uow, order_query(sort="colour"))
    assert [(v.code.value, v.field) for v in refused.value.violations] == [
        ("INVALID_FIELD", "sort")
    ]
