from acsa.commands import AcceptOrder, DeliverOrder, PlaceOrder, ReceiveOrder, SubmitOrder
from acsa.services import orders
from acsa.services.handlers import handle
from tests.orders_data import order_doc


def test_an_order_goes_from_draft_to_received(uow):
    order, warnings = handle(uow, PlaceOrder.from_wire(order_doc()), "officer")
    assert warnings == []
    for step in (SubmitOrder, AcceptOrder, DeliverOrder, ReceiveOrder):
        order = handle(uow, step(order_id=order.id), "officer")
    assert order.status.value == "received"
    stored = orders.get_order(uow, order.id)
    assert [e.action.value for e in stored.history] == [
        "create",
        "submit",
        "accept",
        "deliver",
        "receive",
    ]
