"""Sealing the documents a unit of work's changes publish: each is checked as it is published
(is it this node's to issue? does it match the partner's document being applied?), then, when
the unit of work commits, chained after the order's last document, signed with the node's key
and queued in the outbox for the partner's node, in the same transaction as the change.
"""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from dataclasses import replace
from datetime import datetime

from acsa.adapters.db.courier_repository import DocumentRepository, NodeRecord, OutboxRepository
from acsa.domain.documents import (
    GENESIS,
    Document,
    Draft,
    chain_violation,
)
from acsa.domain.errors import AcsaError


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
