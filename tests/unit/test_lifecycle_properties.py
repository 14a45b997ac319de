"""Property: no sequence of actions reaches a state the machine does not allow, quantities stay
consistent, and an order's agreed terms never change after acceptance."""

from datetime import UTC, datetime
from decimal import Decimal

from hypothesis import given, settings
from hypothesis import strategies as st

from acsa.domain.errors import AcsaError
from acsa.domain.order import ALLOWED, RESULTS, Action, OrderStatus
from tests.unit.helpers import order_from

AT = datetime(2026, 10, 1, tzinfo=UTC)

quantities = st.dictionaries(
    st.integers(min_value=1, max_value=4),
    st.decimals(min_value=-5, max_value=15000, places=1, allow_nan=False, allow_infinity=False),
    max_size=3,
)
USER_ACTIONS = [a for a in Action if a not in (Action.CREATE, Action.UNDO)]
steps = st.lists(st.tuples(st.sampled_from(USER_ACTIONS), quantities), max_size=25)


def apply(order, action, qty):
    if action is Action.SUBMIT:
        order.submit([], AT, "p")
    elif action is Action.ACCEPT:
        order.accept([], AT, "p", qty or None)
    elif action is Action.REJECT:
        order.reject(AT, "p")
    elif action is Action.CANCEL:
        order.cancel(AT, "p")
    elif action is Action.CLOSE:
        order.close(AT, "p")
    elif action is Action.DELIVER:
        order.deliver(AT, "p", qty or None)
    else:
        order.receive(AT, "p", qty or None)


@settings(max_examples=300, deadline=None)
@given(steps)
def test_random_action_sequences_keep_the_order_consistent(sequence):
    order = order_from()
    agreed_terms = None
    for action, qty in sequence:
        before_status = order.status
        before_lines = [line.terms() for line in order.lines]
        before_quantities = [
            (ln.quantity_delivered, ln.quantity_received, ln.quantity_short) for ln in order.lines
        ]
        try:
            apply(order, action, qty)
        except AcsaError:
            # A refusal changes nothing at all.
            assert order.status is before_status
            assert [line.terms() for line in order.lines] == before_lines
            assert [
                (ln.quantity_delivered, ln.quantity_received, ln.quantity_short)
                for ln in order.lines
            ] == before_quantities
            continue
        assert action in ALLOWED[before_status], f"{action} ran in {before_status}"
        assert order.status in RESULTS[action]
        if order.status is OrderStatus.ACCEPTED and agreed_terms is None:
            agreed_terms = [line.terms() for line in order.lines]
        if agreed_terms is not None:
            assert [line.terms() for line in order.lines] == agreed_terms
        for line in order.lines:
            accepted = line.quantity if line.quantity_accepted is None else line.quantity_accepted
            assert Decimal(0) <= line.quantity_delivered <= accepted <= line.quantity
            assert line.quantity_received + line.quantity_short <= line.quantity_delivered
            assert line.quantity_received >= 0
            assert line.quantity_short >= 0
    seqs = [e.seq for e in order.new_events]
    assert seqs == list(range(1, len(seqs) + 1))
