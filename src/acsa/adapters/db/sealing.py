"""Sealing the documents a unit of work's changes publish: each is checked as it is published
(is it this node's to issue? does it match the partner's document being applied?), then, when
the unit of work commits, chained after the order's last document, signed with the node's key
and queued in the outbox for the partner's node, in the same transaction as the change.
"""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from dataclasses import dataclass, replace
from datetime import datetime
from typing import Any

from acsa.adapters.db.courier_repository import DocumentRepository, NodeRecord, OutboxRepository
from acsa.domain.documents import (
    GENESIS,
    Document,
    Kind,
    canonical,
    chain_violation,
    issuing_nation,
)
from acsa.domain.errors import AcsaError, Code
from acsa.domain.order import Order


@dataclass(frozen=True, slots=True)
class Draft:
    """A document a service published, signed and chained when the unit of work commits."""

    kind: Kind
    order_uid: str
    issuer: str
    recipient: str
    actor: str
    at: datetime
    body: dict[str, Any]


def draft(
    node: NodeRecord | None,
    incoming: Document | None,
    order: Order,
    kind: Kind,
    body: dict[str, Any],
    actor: str,
    at: datetime,
) -> Draft | None:
    """The document a change to ``order`` makes, or None on an installation that is not a
    node, or for an order this node's nation is not party to.

    Applying a partner's document (``incoming``), the document must be that one:
    DOCUMENT_MISMATCH otherwise. Acting here on the partner's side of an order (accepting what
    the partner supplies, say) is NOT_THIS_NODE: that document comes from the partner's node."""
    if node is None or node.nation not in (order.requester, order.supplier):
        return None
    assert order.uid is not None
    issuer = incoming.issuer if incoming is not None else node.nation
    expected = issuing_nation(kind, order.requester, order.supplier)
    if incoming is None and expected not in (None, node.nation):
        raise AcsaError.single(
            Code.NOT_THIS_NODE,
            "order",
            f"the {kind.value} of order {order.id} is {expected}'s to record, on "
            f"{expected}'s node; it arrives here as {expected}'s signed document",
        )
    recipient = order.supplier if issuer == order.requester else order.requester
    made = Draft(kind, order.uid, issuer, recipient, actor, at, body)
    if incoming is not None:
        _match(incoming, made)
    return made


def _match(incoming: Document, made: Draft) -> None:
    theirs = {
        "kind": incoming.kind.value,
        "order": incoming.order,
        "recipient": incoming.recipient,
        "actor": incoming.actor,
        "at": incoming.at.isoformat(),
        "body": canonical(dict(incoming.body)),
    }
    ours = {
        "kind": made.kind.value,
        "order": made.order_uid,
        "recipient": made.recipient,
        "actor": made.actor,
        "at": made.at.isoformat(),
        "body": canonical(made.body),
    }
    for name, value in theirs.items():
        if ours[name] != value:
            raise AcsaError.single(
                Code.DOCUMENT_MISMATCH,
                name,
                f"document {incoming.id}: its {name} differs from what applying it here "
                f"records ({value!r} against {ours[name]!r}); nothing was recorded",
            )


def seal(
    drafts: Sequence[Draft],
    incoming: Document | None,
    node: NodeRecord | None,
    documents: DocumentRepository,
    outbox: OutboxRepository,
    now: datetime,
) -> bool:
    """Chain, sign and store ``drafts`` (applying a partner's document: store that one, once
    it is seen to follow the order's chain); True if any was queued to send."""
    queued = False
    for made in drafts:
        head = documents.head(made.order_uid)
        if incoming is not None:
            broken = chain_violation(incoming, head)
            if broken is not None:
                raise AcsaError([broken])
            documents.add(incoming, "remote", now)
            continue
        assert node is not None
        # Imported here: the node's identity reads the settings through the repositories.
        from acsa.adapters.node_identity import node_key

        key = node_key(node)
        unsigned = Document(
            id=str(uuid.uuid4()),
            kind=made.kind,
            order=made.order_uid,
            seq=1 if head is None else head.seq + 1,
            prev=GENESIS if head is None else head.hash,
            issuer=made.issuer,
            recipient=made.recipient,
            key=key.fingerprint,
            at=made.at,
            actor=made.actor,
            body=made.body,
        )
        document = replace(unsigned, signature=key.sign(unsigned.signed_bytes()))
        documents.add(document, "local", now)
        outbox.add(document.id, made.recipient, now)
        queued = True
    return queued
