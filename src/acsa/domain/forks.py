"""Two nodes acting on one order at once: the rule that keeps the order's chain one.

Each order's documents form one chain both nodes hold (``acsa.domain.documents``): every
document names the hash of the one before it. Each node takes its own users' steps at once and
sends them on, so two steps taken at the same time on both nodes (both cancelling; one side
cancelling while the other accepts; two notes) both follow the same document: a **fork**.

The rule, which both nodes apply the same way so that they converge without talking it over:

- **The order's supplier is its sequencer.** Where two documents take the same place in the
  chain (the same ``seq`` after the same ``prev``), the supplier's stands.
- The supplier's node sets the requester's document aside (kept, shown, never applied), and
  every later document built on it too.
- The requester's node, on receiving the supplier's document for a place its own took, **rolls
  back** its own documents from that place, takes the supplier's, and issues again, at the end
  of the chain, each rolled-back step that is still allowed after the supplier's (a note always;
  a cancellation only if the order may still be cancelled; otherwise the step is dropped and its
  user told). Nothing the supplier holds is ever rolled back: the supplier only ever takes a
  requester's document that follows its own head.

Per order a node is therefore in one of these states towards its partner: **in step** (both
hold the same chain, up to documents on their way), **ahead** (it holds documents the partner has
not received yet), or, on the requester's side only, **rolling back** for the moment a fork is
resolved. A document arriving is decided by ``arrive``: taken (it follows the head), seen (a
replay), early (an earlier one is still on its way), winning a fork (roll back ``undo``, then take
it), losing one (set aside), or unrelated to anything held (a broken chain, refused).

Pure: no storage, no network. The courier applies the decision.
"""

from __future__ import annotations

from collections.abc import Collection, Sequence
from dataclasses import dataclass
from enum import StrEnum

#: What ``prev`` holds in an order's first document (as ``acsa.domain.documents.GENESIS``).
GENESIS = "0" * 64


class Arrival(StrEnum):
    """What a node does with a partner's document of an order."""

    #: It follows our head: apply it.
    APPEND = "append"
    #: We hold it already: a replay, nothing to do.
    SEEN = "seen"
    #: It comes after a document we have not received: wait for that one.
    EARLY = "early"
    #: It takes a place our own document took, and the rule gives it the place: roll back
    #: ``undo`` (ours, oldest first), apply it, issue again what is still allowed.
    WINS = "wins"
    #: It takes a place the supplier's document holds, or follows a document set aside: set it
    #: aside (kept, never applied).
    LOSES = "loses"
    #: It follows nothing we hold or held: a broken chain.
    UNRELATED = "unrelated"


@dataclass(frozen=True, slots=True)
class Link:
    """What the rule needs of one document: its place, its hash, its ``prev``, its issuer."""

    seq: int
    hash: str
    prev: str
    issuer: str


@dataclass(frozen=True, slots=True)
class Decision:
    arrival: Arrival
    #: Our documents to roll back (from the fork's place to our head), for ``WINS``.
    undo: tuple[Link, ...] = ()


def arrive(
    chain: Sequence[Link], link: Link, sequencer: str, set_aside: Collection[str] = ()
) -> Decision:
    """The decision on ``link`` arriving at a node holding ``chain`` (the order's documents,
    seq 1, 2, ... in order) for an order whose supplier is ``sequencer``; ``set_aside`` are the
    hashes of documents this node set aside (lost forks)."""
    held = len(chain)
    if 1 <= link.seq <= held and chain[link.seq - 1].hash == link.hash:
        return Decision(Arrival.SEEN)
    if link.prev in set_aside:
        return Decision(Arrival.LOSES)
    if link.seq > held + 1:
        return Decision(Arrival.EARLY)
    before = chain[link.seq - 2].hash if link.seq >= 2 else GENESIS
    if link.seq < 1 or link.prev != before:
        return Decision(Arrival.UNRELATED)
    if link.seq == held + 1:
        return Decision(Arrival.APPEND)
    return _fork(chain[link.seq - 1 :], link, sequencer)


def _fork(ours: Sequence[Link], theirs: Link, sequencer: str) -> Decision:
    """Our documents from the fork's place, against theirs for the same place. Two documents
    of one side for one place are no fork (each side issues its own documents one after the
    other, in the order it holds them): the place is taken, and the chain check refuses the
    newcomer (DOCUMENT_CHAIN_BROKEN)."""
    rival = ours[0]
    if (rival.issuer == sequencer) == (theirs.issuer == sequencer):
        return Decision(Arrival.UNRELATED)
    if winner(rival, theirs, sequencer) is theirs:
        return Decision(Arrival.WINS, tuple(ours))
    return Decision(Arrival.LOSES)


def winner(a: Link, b: Link, sequencer: str) -> Link:
    """Of two documents taking the same place, the one that stands: the sequencer's (the
    order's supplier's); between two of the same side (which the protocol never makes), the
    lower hash, so that both nodes still agree."""
    if (a.issuer == sequencer) != (b.issuer == sequencer):
        return a if a.issuer == sequencer else b
    return min(a, b, key=lambda link: link.hash)
