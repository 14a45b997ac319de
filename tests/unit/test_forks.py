"""The fork rule (acsa.domain.forks): its decisions one by one, and a model of two nodes and the
network between them, driven through random interleavings of both nodes' users and deliveries
(hypothesis): once every document is delivered, both nodes hold the same chain, in the same
state, and no step was lost that was still allowed."""

from __future__ import annotations

import hashlib
from collections import deque
from dataclasses import dataclass, field

from hypothesis import given, settings
from hypothesis import strategies as st

from acsa.domain.forks import GENESIS, Arrival, Link, arrive, winner

REQUESTER, SUPPLIER = "AUS", "JPN"


def link(seq: int, prev: str, issuer: str, what: str) -> Link:
    return Link(
        seq, hashlib.sha256(f"{seq}|{prev}|{issuer}|{what}".encode()).hexdigest(), prev, issuer
    )


def chain(*steps: tuple[str, str]) -> list[Link]:
    links: list[Link] = []
    for issuer, what in steps:
        links.append(link(len(links) + 1, links[-1].hash if links else GENESIS, issuer, what))
    return links


# --- one decision at a time ---------------------------------------------------------------------


def test_a_document_after_our_head_is_appended_and_a_replay_is_seen() -> None:
    held = chain((REQUESTER, "order"), (REQUESTER, "submit"))
    nxt = link(3, held[-1].hash, SUPPLIER, "accept")
    assert arrive(held, nxt, SUPPLIER).arrival is Arrival.APPEND
    assert arrive([*held, nxt], nxt, SUPPLIER).arrival is Arrival.SEEN
    assert arrive(held, held[0], SUPPLIER).arrival is Arrival.SEEN


def test_a_gap_waits_and_a_stranger_is_unrelated() -> None:
    held = chain((REQUESTER, "order"))
    later = link(3, "f" * 64, SUPPLIER, "deliver")
    assert arrive(held, later, SUPPLIER).arrival is Arrival.EARLY
    stranger = link(2, "e" * 64, SUPPLIER, "accept")
    assert arrive(held, stranger, SUPPLIER).arrival is Arrival.UNRELATED
    assert arrive(held, link(0, GENESIS, SUPPLIER, "x"), SUPPLIER).arrival is Arrival.UNRELATED


def test_on_a_fork_the_suppliers_document_stands_on_both_nodes() -> None:
    common = chain((REQUESTER, "order"), (REQUESTER, "submit"))
    cancel = link(3, common[-1].hash, REQUESTER, "cancel")
    accept = link(3, common[-1].hash, SUPPLIER, "accept")
    note = link(4, cancel.hash, REQUESTER, "note")
    # The requester's node, holding its cancel and a note after it, gets the supplier's accept:
    # it rolls both back (oldest first) and takes the accept.
    at_requester = arrive([*common, cancel, note], accept, SUPPLIER)
    assert at_requester.arrival is Arrival.WINS
    assert at_requester.undo == (cancel, note)
    # The supplier's node, holding its accept, sets the cancel aside, and the note built on it.
    at_supplier = arrive([*common, accept], cancel, SUPPLIER)
    assert at_supplier.arrival is Arrival.LOSES
    assert arrive([*common, accept], note, SUPPLIER, {cancel.hash}).arrival is Arrival.LOSES
    assert winner(cancel, accept, SUPPLIER) is accept
    assert winner(accept, cancel, SUPPLIER) is accept
    # Two of one side (never made by the protocol) still have one winner, the same both ways.
    other = link(3, common[-1].hash, REQUESTER, "note")
    assert winner(cancel, other, SUPPLIER) is winner(other, cancel, SUPPLIER)
    # ... but arriving, such a one is no fork: the place is taken, the chain check refuses it
    # (whichever hash is lower).
    assert arrive([*common, cancel], other, SUPPLIER).arrival is Arrival.UNRELATED
    assert arrive([*common, other], cancel, SUPPLIER).arrival is Arrival.UNRELATED
    deliver = link(3, common[-1].hash, SUPPLIER, "deliver")
    assert arrive([*common, accept], deliver, SUPPLIER).arrival is Arrival.UNRELATED
    assert arrive([*common, deliver], accept, SUPPLIER).arrival is Arrival.UNRELATED


# --- two nodes and the network -----------------------------------------------------------------

#: A small order's states and who may take which step from where ("*": any state).
STEPS: dict[str, tuple[str, frozenset[str], str | None]] = {
    # step: (who, from states, to state or None for no change)
    "accept": (SUPPLIER, frozenset({"submitted"}), "accepted"),
    "reject": (SUPPLIER, frozenset({"submitted"}), "rejected"),
    "deliver": (SUPPLIER, frozenset({"accepted"}), "delivered"),
    "cancel": (REQUESTER, frozenset({"submitted", "accepted"}), "cancelled"),
    "receive": (REQUESTER, frozenset({"delivered"}), "received"),
    "note": ("*", frozenset({"*"}), None),
}


@dataclass(frozen=True)
class Doc:
    link: Link
    step: str
    nonce: int


def state_of(docs: list[Doc]) -> str:
    state = "submitted"
    for doc in docs:
        _who, _from, to = STEPS[doc.step]
        state = to or state
    return state


def allowed(state: str, step: str, nation: str) -> bool:
    who, states, _to = STEPS[step]
    return who in ("*", nation) and ("*" in states or state in states)


@dataclass
class Node:
    nation: str
    chain: list[Doc] = field(default_factory=list)
    outbox: deque[Doc] = field(default_factory=deque)
    set_aside: set[str] = field(default_factory=set)
    dropped: list[str] = field(default_factory=list)
    nonce: int = 0

    def act(self, step: str) -> bool:
        if not allowed(state_of(self.chain), step, self.nation):
            return False
        self.nonce += 1
        prev = self.chain[-1].link.hash if self.chain else GENESIS
        doc = Doc(link(len(self.chain) + 1, prev, self.nation, f"{step}#{self.nonce}"), step, 0)
        self.chain.append(doc)
        self.outbox.append(doc)
        return True

    def receive(self, doc: Doc) -> None:
        decision = arrive([d.link for d in self.chain], doc.link, SUPPLIER, self.set_aside)
        if decision.arrival is Arrival.APPEND:
            assert allowed(state_of(self.chain), doc.step, doc.link.issuer), (doc, self.chain)
            self.chain.append(doc)
        elif decision.arrival is Arrival.LOSES:
            self.set_aside.add(doc.link.hash)
        elif decision.arrival is Arrival.WINS:
            assert self.nation == REQUESTER, "the supplier never rolls back"
            assert all(u.issuer == self.nation for u in decision.undo), "only our own roll back"
            undone = self.chain[doc.link.seq - 1 :]
            del self.chain[doc.link.seq - 1 :]
            self.chain.append(doc)
            for old in undone:  # issue again what is still allowed after theirs
                if not self.act(old.step):
                    self.dropped.append(old.step)
        else:
            raise AssertionError(f"{decision.arrival} for {doc} at {self.nation}")


def base() -> tuple[Node, Node]:
    """An order placed and submitted by the requester, held by both nodes."""
    requester, supplier = Node(REQUESTER), Node(SUPPLIER)
    placed = Doc(link(1, GENESIS, REQUESTER, "order"), "note", 0)
    requester.chain.append(placed)
    supplier.chain.append(placed)
    return requester, supplier


MOVES = st.lists(
    st.one_of(
        st.tuples(
            st.just("act"), st.sampled_from([REQUESTER, SUPPLIER]), st.sampled_from(list(STEPS))
        ),
        st.tuples(st.just("deliver"), st.sampled_from([REQUESTER, SUPPLIER]), st.just("")),
    ),
    max_size=60,
)


@settings(max_examples=400, deadline=None)
@given(MOVES)
def test_both_nodes_converge_to_one_chain_whatever_the_interleaving(
    moves: list[tuple[str, str, str]],
) -> None:
    requester, supplier = base()
    nodes = {REQUESTER: requester, SUPPLIER: supplier}
    other = {REQUESTER: supplier, SUPPLIER: requester}
    forks = 0
    for move, nation, step in moves:
        node = nodes[nation]
        if move == "act":
            node.act(step)
        elif node.outbox:
            before = len(other[nation].set_aside) + len(requester.dropped)
            other[nation].receive(node.outbox.popleft())
            forks += len(other[nation].set_aside) + len(requester.dropped) > before
    # The link comes back and stays: every document on its way is delivered, in order.
    while requester.outbox or supplier.outbox:
        for nation in (SUPPLIER, REQUESTER):
            if nodes[nation].outbox:
                other[nation].receive(nodes[nation].outbox.popleft())
    assert [d.link for d in requester.chain] == [d.link for d in supplier.chain]
    assert state_of(requester.chain) == state_of(supplier.chain)
    # What was set aside is never in a chain; what the requester dropped was no longer allowed.
    held = {d.link.hash for d in supplier.chain}
    assert not (held & supplier.set_aside)
    for step in requester.dropped:
        assert step != "note", "a note is always issued again"


def test_a_cancel_that_crossed_an_accept_is_issued_again_after_it() -> None:
    requester, supplier = base()
    assert requester.act("cancel")
    assert supplier.act("accept")
    supplier.receive(requester.outbox.popleft())  # the cancel loses at the supplier
    requester.receive(supplier.outbox.popleft())  # the accept wins at the requester
    assert [d.step for d in requester.chain] == ["note", "accept", "cancel"]
    supplier.receive(requester.outbox.popleft())  # the cancel, again, after the accept
    assert [d.link for d in requester.chain] == [d.link for d in supplier.chain]
    assert state_of(supplier.chain) == "cancelled"


def test_a_cancel_that_crossed_a_delivery_is_dropped() -> None:
    requester, supplier = base()
    assert supplier.act("accept")
    requester.receive(supplier.outbox.popleft())
    assert requester.act("cancel")
    assert supplier.act("deliver")
    supplier.receive(requester.outbox.popleft())
    requester.receive(supplier.outbox.popleft())
    assert requester.dropped == ["cancel"]  # delivered goods cannot be cancelled
    assert [d.link for d in requester.chain] == [d.link for d in supplier.chain]
    assert state_of(requester.chain) == "delivered"
