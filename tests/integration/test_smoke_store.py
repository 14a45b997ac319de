from acsa.services import orders
from tests.orders_data import order_doc


def test_an_order_goes_from_draft_to_received(uow):
    order, warnings = orders.place_order(uow, order_doc(), "officer")
    assert warnings == []
    for step in (orders.submit, orders.accept, orders.deliver, orders.receive):
        order = step(uow, order.id, "officer")
    assert order.status.value == "received"
    stored = orders.get_order(uow, order.id)
    assert [e.action.value for e in stored.history] == [
        "create",
        "submit",
        "accept",
        "deliver",
        "receive",
    ]
