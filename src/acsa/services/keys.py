"""Key rotation and revocation: the node's own keys and its partners' (see ``acsa.domain.keys``).

``rotate_key`` makes a new key pair for this node; a ``key_rollover`` document signed by the
old key names the new one and the end of the grace period, and goes to every partner through
the outbox ahead of anything the new key signs. A partner applying it keeps the old key with its
window. ``revoke_partner_key`` (an administrator's word) and ``revoke_own_key`` (this node's
``key_revocation`` document, signed by its current key) refuse documents a key signs after the
revocation time.
"""

from __future__ import annotations

import uuid
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from pathlib import Path

from pydantic import BaseModel
from sqlalchemy import Engine

from acsa.adapters.db import unit_of_work
from acsa.adapters.db.courier_repository import NODE_KEY_FILE, NODE_PUBLIC_KEY, Partner
from acsa.adapters.node_identity import node_key
from acsa.adapters.signing import NodeKey, fingerprint
from acsa.clock import utc_now
from acsa.domain.access import ForbiddenError, Permission, Principal, require_permission
from acsa.domain.documents import GENESIS, Document, Kind, chain_violation
from acsa.domain.errors import AcsaError, Code, NotFoundError, Violation
from acsa.domain.keys import (
    DEFAULT_GRACE_DAYS,
    KeyWindow,
    find_key,
    key_chain,
    key_state,
    rolled_over,
)
from acsa.domain.messages import Message, message, t

UoW = unit_of_work.UnitOfWork

#: Since when a key is shown as signing when nothing records it (a node made before 0011).
UNRECORDED = datetime(1970, 1, 1, tzinfo=UTC)
MAX_GRACE_DAYS = 365


class RotateIn(BaseModel):
    grace_days: int = DEFAULT_GRACE_DAYS


class RevokeIn(BaseModel):
    since: datetime


class KeyOut(BaseModel):
    fingerprint: str
    public_key: str
    state: str
    since: datetime | None
    until: datetime | None
    revoked: datetime | None


class RotationOut(BaseModel):
    nation: str
    public_key: str
    fingerprint: str
    key_file: str
    previous: str
    grace_until: datetime
    partners: list[str]
    keys: list[KeyOut]


def keys_out(keys: list[KeyWindow], now: datetime | None = None) -> list[KeyOut]:
    at = now or utc_now()
    return [
        KeyOut(
            fingerprint=k.fingerprint,
            public_key=k.public_key,
            state=key_state(k, at).value,
            since=None if k.since == UNRECORDED else k.since,
            until=k.until,
            revoked=k.revoked,
        )
        for k in keys
    ]


def key_state_text(key: KeyOut) -> Message:
    """How a key's state reads in a table: current, in grace until ..., retired, revoked since."""
    if key.state == "revoked" and key.revoked is not None:
        return message(t("revoked since {revoked}"), revoked=key.revoked.isoformat())
    if key.state == "grace" and key.until is not None:
        return message(t("in grace until {until}"), until=key.until.isoformat())
    if key.state == "retired":
        return message(t("retired"))
    return message(t("current"))


def known_keys(uow: UoW, nation: str, public_key: str, since: datetime) -> list[KeyWindow]:
    """Every key ``nation`` signed with; its current ``public_key`` among them."""
    keys = uow.keys.of(nation)
    current = fingerprint(public_key)
    if find_key(keys, current) is None:
        keys.append(KeyWindow(nation, current, public_key, since))
    return keys


def partner_keys(uow: UoW, partner: Partner) -> list[KeyWindow]:
    return known_keys(uow, partner.nation, partner.public_key, partner.added_at)


def own_keys(uow: UoW) -> list[KeyWindow]:
    node = uow.node
    if node is None:
        return []
    return known_keys(uow, node.nation, node.public_key, UNRECORDED)


def node_keys(engine: Engine) -> list[KeyOut]:
    with unit_of_work.UnitOfWork(engine, read_only=True) as uow:
        return keys_out(own_keys(uow))


def register_partner_key(
    uow: UoW, nation: str, before: Partner | None, public_key: str, now: datetime
) -> None:
    """``partners add`` with ``public_key``: that key is current from ``now``; a key it replaces
    by hand signs documents dated until ``now``."""
    keys = uow.keys.of(nation) if before is None else partner_keys(uow, before)
    new = fingerprint(public_key)
    out = []
    for key in keys:
        if key.fingerprint == new:
            out.append(replace(key, until=None))
        elif key.until is None:
            out.append(replace(key, until=now))
        else:
            out.append(key)
    if find_key(out, new) is None:
        out.append(KeyWindow(nation, new, public_key, now))
    uow.keys.replace(nation, out)


def _not_a_node() -> AcsaError:
    return AcsaError.single(
        Code.NODE_NOT_INITIALISED,
        "node",
        "this installation is not a node yet: `acsa node init --nation XXX` makes its key",
    )


def _admin_of(principal: Principal | None, nation: str) -> None:
    if principal is None:
        return
    require_permission(principal, Permission.MANAGE_REGISTRY)
    if principal.nation != nation:
        raise ForbiddenError.single(
            Code.FORBIDDEN,
            "nation",
            t("this node is {nation}'s; as a user of {user_nation} you may not change its keys"),
            nation=nation,
            user_nation=principal.nation,
        )


def _send_to_partners(
    uow: UoW, key: NodeKey, nation: str, kind: Kind, body: dict[str, str], actor: str, at: datetime
) -> list[str]:
    """A ``kind`` document signed by ``key`` to every partner, chained and queued."""
    sent = []
    for partner in uow.partners.all():
        chain = key_chain(nation, partner.nation)
        head = uow.documents.head(chain)
        unsigned = Document(
            id=str(uuid.uuid4()),
            kind=kind,
            order=chain,
            seq=1 if head is None else head.seq + 1,
            prev=GENESIS if head is None else head.hash,
            issuer=nation,
            recipient=partner.nation,
            key=key.fingerprint,
            at=at,
            actor=actor,
            body=body,
        )
        document = replace(unsigned, signature=key.sign(unsigned.signed_bytes()))
        uow.documents.add(document, "local", at)
        uow.outbox.add(document.id, partner.nation, at)
        sent.append(partner.nation)
    return sent


def rotate_key(
    engine: Engine,
    actor: str,
    key_file: Path | None = None,
    grace_days: int = DEFAULT_GRACE_DAYS,
    principal: Principal | None = None,
) -> RotationOut:
    """A new key pair for this node, written to ``key_file`` (default: beside the old one);
    the node signs with it from now on. A ``key_rollover`` document signed by the old key goes
    to every partner: the old key signs for ``grace_days`` more, then is retired."""
    if not 0 <= grace_days <= MAX_GRACE_DAYS:
        raise AcsaError.single(
            Code.INVALID_FIELD,
            "grace_days",
            t("the grace period is from 0 to {most} days, not {days}"),
            most=MAX_GRACE_DAYS,
            days=grace_days,
        )
    new = NodeKey.generate()
    with unit_of_work.UnitOfWork(engine, principal=principal) as uow:
        node = uow.node
        if node is None:
            raise _not_a_node()
        _admin_of(principal, node.nation)
        old = node_key(node)
        default = node.key_file.with_name(
            f"{node.key_file.stem}-{new.fingerprint[:4]}{new.fingerprint[5:9]}"
            f"{node.key_file.suffix}"
        )
        path = (key_file or default).expanduser().resolve()
        if path.exists():
            raise AcsaError.single(
                Code.NODE_EXISTS,
                "key_file",
                "{path} exists already; give another --key-file",
                path=str(path),
            )
        at = utc_now()
        until = at + timedelta(days=grace_days)
        keys = rolled_over(
            own_keys(uow), node.nation, old.fingerprint, new.fingerprint, new.public_text, at, until
        )
        body = {
            "public_key": new.public_text,
            "fingerprint": new.fingerprint,
            "grace_until": until.isoformat(),
        }
        sent = _send_to_partners(uow, old, node.nation, Kind.KEY_ROLLOVER, body, actor, at)
        uow.keys.replace(node.nation, keys)
        new.save(path)
        uow.settings.set(NODE_PUBLIC_KEY, new.public_text)
        uow.settings.set(NODE_KEY_FILE, str(path))
        uow.record(
            "node.rotate_key",
            f"node:{node.nation}",
            actor,
            {"fingerprint": old.fingerprint, "key_file": str(node.key_file)},
            {"fingerprint": new.fingerprint, "key_file": str(path), "grace_until": str(until)},
        )
        try:
            uow.commit()
        except BaseException:
            path.unlink(missing_ok=True)
            raise
        result = RotationOut(
            nation=node.nation,
            public_key=new.public_text,
            fingerprint=new.fingerprint,
            key_file=str(path),
            previous=old.fingerprint,
            grace_until=until,
            partners=sent,
            keys=keys_out(keys, at),
        )
    _wake()
    return result


def _wake() -> None:
    for wake in unit_of_work.on_documents_queued:
        wake()


def _revoked(keys: list[KeyWindow], nation: str, key: str, since: datetime) -> list[KeyWindow]:
    found = find_key(keys, key)
    if found is None:
        raise NotFoundError.single(
            Code.DOCUMENT_UNKNOWN_KEY,
            "fingerprint",
            t("{nation} has no key {key} registered here"),
            nation=nation,
            key=key,
        )
    earliest = since if found.revoked is None else min(found.revoked, since)
    return [replace(k, revoked=earliest) if k.fingerprint == key else k for k in keys]


def revoke_partner_key(
    engine: Engine,
    nation: str,
    key: str,
    since: datetime,
    actor: str,
    principal: Principal | None = None,
) -> list[KeyOut]:
    """Revoke partner ``nation``'s key ``key`` from ``since`` on: its documents dated later are
    refused (DOCUMENT_KEY_REVOKED); earlier ones still verify."""
    since = _aware(since)
    with unit_of_work.UnitOfWork(engine, principal=principal) as uow:
        node = uow.node
        if principal is not None:
            require_permission(principal, Permission.MANAGE_REGISTRY)
            if node is not None:
                _admin_of(principal, node.nation)
        partner = uow.partners.get(nation)
        if partner is None:
            raise NotFoundError.single(
                Code.PARTNER_NOT_FOUND,
                "nation",
                "no partner node {nation} registered",
                nation=nation,
            )
        keys = _revoked(partner_keys(uow, partner), nation, key, since)
        uow.keys.replace(nation, keys)
        uow.record(
            "partner.revoke_key",
            f"partner:{nation}",
            actor,
            None,
            {"fingerprint": key, "since": since.isoformat()},
        )
        uow.commit()
        return keys_out(keys)


def revoke_own_key(
    engine: Engine, key: str, since: datetime, actor: str, principal: Principal | None = None
) -> list[KeyOut]:
    """Revoke this node's own (old) key ``key`` from ``since`` on, and tell every partner in a
    ``key_revocation`` document signed by the current key."""
    since = _aware(since)
    with unit_of_work.UnitOfWork(engine, principal=principal) as uow:
        node = uow.node
        if node is None:
            raise _not_a_node()
        _admin_of(principal, node.nation)
        if key == node.fingerprint:
            raise AcsaError.single(
                Code.INVALID_FIELD,
                "fingerprint",
                t(
                    "{key} is the key this node signs with: rotate it first "
                    "(`acsa node rotate-key`), then revoke the old one"
                ),
                key=key,
            )
        keys = _revoked(own_keys(uow), node.nation, key, since)
        body = {"fingerprint": key, "since": since.isoformat()}
        at = utc_now()
        current = node_key(node)
        _send_to_partners(uow, current, node.nation, Kind.KEY_REVOCATION, body, actor, at)
        uow.keys.replace(node.nation, keys)
        uow.record(
            "node.revoke_key", f"node:{node.nation}", actor, None, {"fingerprint": key, **body}
        )
        uow.commit()
        result = keys_out(keys, at)
    _wake()
    return result


def _aware(at: datetime) -> datetime:
    return at if at.tzinfo is not None else at.replace(tzinfo=UTC)


# --- a partner's key documents ----------------------------------------------------------------


def _invalid(doc: Document, field: str, template: str, **params: object) -> AcsaError:
    return AcsaError(
        [Violation(Code.DOCUMENT_INVALID, field, template, params={"document": doc.id, **params})]
    )


def apply_key_document(uow: UoW, doc: Document, now: datetime) -> None:
    """Record a partner's ``key_rollover`` or ``key_revocation`` (already verified against the
    key that signed it): the next link of the issuer's key chain, then the keys it changes."""
    if doc.order != key_chain(doc.issuer, doc.recipient):
        raise _invalid(
            doc,
            "order",
            t("document {document}: a {kind} is chained under {chain}, not {order}"),
            kind=doc.kind.value,
            chain=key_chain(doc.issuer, doc.recipient),
            order=doc.order,
        )
    broken = chain_violation(doc, uow.documents.head(doc.order))
    if broken is not None:
        raise AcsaError([broken])
    partner = uow.partners.get(doc.issuer)
    assert partner is not None  # verified before
    keys = partner_keys(uow, partner)
    if doc.kind is Kind.KEY_ROLLOVER:
        public, new = str(doc.body["public_key"]), str(doc.body["fingerprint"])
        if fingerprint(public) != new:
            raise _invalid(
                doc,
                "body.fingerprint",
                t("document {document}: the new key's fingerprint is {actual}, not {given}"),
                actual=fingerprint(public),
                given=new,
            )
        until = datetime.fromisoformat(str(doc.body["grace_until"]))
        keys = rolled_over(keys, doc.issuer, doc.key, new, public, doc.at, until)
        uow.partners.put(doc.issuer, partner.url, public, new, now)
        action, after = "partner.key_rollover", {"fingerprint": new, "grace_until": str(until)}
    else:
        revoked = str(doc.body["fingerprint"])
        if revoked == doc.key:
            raise _invalid(
                doc,
                "body.fingerprint",
                t("document {document}: a key does not revoke itself ({key})"),
                key=revoked,
            )
        since = datetime.fromisoformat(str(doc.body["since"]))
        keys = _revoked(keys, doc.issuer, revoked, since)
        action, after = "partner.revoke_key", {"fingerprint": revoked, "since": str(since)}
    uow.keys.replace(doc.issuer, keys)
    uow.documents.add(doc, "remote", now)
    uow.record(action, f"partner:{doc.issuer}", doc.actor, {"fingerprint": doc.key}, after)
    uow.commit()
