"""Which keys a nation's node signs with, and when each may sign (pure rules).

A node rotates its key with a ``key_rollover`` document signed by the old key that names the
new one and the end of a grace period. Every key a nation ever had is kept with its window:

- the current key signs documents of any time;
- a replaced key signs documents dated up to the end of its grace period (``until``); later
  ones are DOCUMENT_KEY_RETIRED;
- a revoked key signs documents dated up to its revocation (``revoked``); later ones are
  DOCUMENT_KEY_REVOKED, earlier ones still verify.

A document is judged by its own time (``at``), so documents signed before a rotation keep
verifying with the key that signed them, whenever they arrive.
"""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from dataclasses import dataclass, replace
from datetime import datetime
from enum import StrEnum

from acsa.domain.errors import Code, Violation
from acsa.domain.messages import t

#: How long a rolled-over key still signs, unless the rotation says (acsa node rotate-key).
DEFAULT_GRACE_DAYS = 7
#: The namespace of the uids of the key documents' chains (one chain per issuer and recipient).
KEY_CHAINS = uuid.UUID("6b0c1f2e-3d4a-5b6c-8d7e-9f0a1b2c3d4e")


def key_chain(issuer: str, recipient: str) -> str:
    """The uid the key documents ``issuer`` sends ``recipient`` are chained under."""
    return str(uuid.uuid5(KEY_CHAINS, f"keys:{issuer}:{recipient}"))


class KeyState(StrEnum):
    CURRENT = "current"
    GRACE = "grace"
    RETIRED = "retired"
    REVOKED = "revoked"


@dataclass(frozen=True, slots=True)
class KeyWindow:
    """One key of a nation: its public key, from when it signs, until when (a replaced key:
    the end of its grace period; None: no end) and since when it is revoked (None: not)."""

    nation: str
    fingerprint: str
    public_key: str
    since: datetime
    until: datetime | None = None
    revoked: datetime | None = None


def key_state(key: KeyWindow, now: datetime) -> KeyState:
    """What ``key`` is at ``now``: revoked (from its revocation on), retired (its grace period
    over), in grace (replaced, its grace period running), or current."""
    if key.revoked is not None and key.revoked <= now:
        return KeyState.REVOKED
    if key.until is None:
        return KeyState.CURRENT
    return KeyState.GRACE if now <= key.until else KeyState.RETIRED


def key_violation(
    document: str, fingerprint: str, at: datetime, key: KeyWindow
) -> Violation | None:
    """Whether ``key`` may sign a document dated ``at``: DOCUMENT_KEY_REVOKED when it is dated
    after the key's revocation, DOCUMENT_KEY_RETIRED when after the end of its grace period."""
    if key.revoked is not None and at > key.revoked:
        return Violation(
            Code.DOCUMENT_KEY_REVOKED,
            "key",
            t(
                "document {document} is signed with {nation}'s key {key}, revoked since "
                "{revoked}, and dated {at}, after the revocation; nothing was recorded"
            ),
            params={
                "document": document,
                "key": fingerprint,
                "nation": key.nation,
                "revoked": key.revoked.isoformat(),
                "at": at.isoformat(),
            },
        )
    if key.until is not None and at > key.until:
        return Violation(
            Code.DOCUMENT_KEY_RETIRED,
            "key",
            t(
                "document {document} is signed with {nation}'s retired key {key}, whose grace "
                "period ended at {until}, and dated {at}; {nation} signs with its new key now; "
                "nothing was recorded"
            ),
            params={
                "document": document,
                "key": fingerprint,
                "nation": key.nation,
                "until": key.until.isoformat(),
                "at": at.isoformat(),
            },
        )
    return None


def find_key(keys: Sequence[KeyWindow], fingerprint: str) -> KeyWindow | None:
    return next((k for k in keys if k.fingerprint == fingerprint), None)


def rolled_over(
    keys: Sequence[KeyWindow],
    nation: str,
    old: str,
    new: str,
    public_key: str,
    at: datetime,
    until: datetime,
) -> list[KeyWindow]:
    """``keys`` after ``nation``'s rollover at ``at`` from key ``old`` to ``new``: the old key
    signs until ``until`` (the end of its grace period; an earlier end it had stays), the new
    one from ``at`` on."""
    out: list[KeyWindow] = []
    for key in keys:
        if key.fingerprint == new:
            continue
        if key.fingerprint == old:
            out.append(replace(key, until=until if key.until is None else min(key.until, until)))
        else:
            out.append(key)
    out.append(KeyWindow(nation, new, public_key, at))
    return out
