"""The node and its partners: make the node's key, register partners, receive a partner's
signed documents (bounded and shape-checked before anything else, then applied through the same
services as a local action, in one transaction), deliver ours from the outbox in order with
retries and backoff (a refused document, or one set aside after its bounded attempts, holds
only the later documents of its own order), send again what was refused, and report what is
where."""

from __future__ import annotations

import logging
import os
from collections.abc import Callable
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

from pydantic import BaseModel
from sqlalchemy import Engine

from acsa.adapters.db import unit_of_work
from acsa.adapters.db.courier_repository import (
    NODE_KEY_FILE,
    NODE_NATION,
    NODE_PUBLIC_KEY,
    NodeRecord,
)
from acsa.adapters.db.locks import outbox_delivery
from acsa.adapters.signing import NodeKey, fingerprint, parse_public, public_text, verify
from acsa.adapters.transport import Answer, Probe, Send, http_probe
from acsa.clock import utc_now
from acsa.commands import BY_KIND, PlaceOrder
from acsa.domain.access import ForbiddenError, Permission, Principal, require_permission
from acsa.domain.documents import (
    KEY_KINDS,
    REGISTRY_KINDS,
    Document,
    Kind,
    chain_violation,
    issuing_nation,
    parse_wire,
    time_violation,
)
from acsa.domain.errors import AcsaError, Code, NotFoundError, Violation
from acsa.domain.forks import Arrival, Link
from acsa.domain.keys import find_key, key_violation
from acsa.domain.messages import Term, t
from acsa.schemas.orders import Party, parse_model
from acsa.services import forks
from acsa.services.forks import ForkOut
from acsa.services.handlers import handle
from acsa.services.keys import (
    KeyOut,
    apply_key_document,
    keys_out,
    own_keys,
    partner_keys,
    register_partner_key,
)
from acsa.services.ports import UnitOfWork
from acsa.services.registry_exchange import record_partner_document, registry_refusal

log = logging.getLogger("acsa.courier")

#: Longest wait between two attempts to reach a partner (seconds; ACSA_COURIER_MAX_BACKOFF).
ENV_MAX_BACKOFF = "ACSA_COURIER_MAX_BACKOFF"
DEFAULT_MAX_BACKOFF = 60.0
FIRST_BACKOFF = 0.5
#: How many times a document is sent before it is set aside (ACSA_COURIER_MAX_ATTEMPTS).
ENV_MAX_ATTEMPTS = "ACSA_COURIER_MAX_ATTEMPTS"
DEFAULT_MAX_ATTEMPTS = 20
#: How far ahead of this node's clock a partner's document may be dated (seconds;
#: ACSA_COURIER_MAX_SKEW).
ENV_MAX_SKEW = "ACSA_COURIER_MAX_SKEW"
DEFAULT_MAX_SKEW = 300.0
INBOX_PATH = "/api/v1/courier/documents"
#: What a partner's node answers when it is up (the deliverer asks before setting aside a
#: document that got no answer).
HEALTH_PATH = "/healthz"
#: Answers that say "not now" rather than "no": the document is sent again later.
TRANSIENT_STATUSES = frozenset({408, 425, 429})
TRANSIENT_CODES = frozenset({Code.DOCUMENT_FROM_THE_FUTURE.value})


def _setting(name: str, default: float, low: float, high: float) -> float:
    """A number from the environment within [low, high]; the default when unset or unreadable."""
    # The previous release named these ACSA_EXCHANGE_*: still read for one release.
    raw = (
        os.environ.get(name) or os.environ.get(name.replace("_COURIER_", "_EXCHANGE_"), "")
    ).strip()
    if not raw:
        return default
    try:
        value = float(raw)
    except ValueError:
        log.warning("%s=%r is not a number; using %s", name, raw, default)
        return default
    if not low <= value <= high:
        log.warning("%s=%s is outside %s..%s; using %s", name, raw, low, high, default)
        return default
    return value


def max_attempts() -> int:
    return int(_setting(ENV_MAX_ATTEMPTS, DEFAULT_MAX_ATTEMPTS, 1, 1_000_000))


def max_skew() -> timedelta:
    return timedelta(seconds=_setting(ENV_MAX_SKEW, DEFAULT_MAX_SKEW, 0, 7 * 24 * 3600))


class NodeOut(BaseModel):
    nation: str
    public_key: str
    fingerprint: str
    #: Every key this node signed with, and its state (``node show``).
    keys: list[KeyOut] = []


class PartnerOut(BaseModel):
    nation: str
    url: str
    public_key: str
    fingerprint: str
    added_at: datetime
    updated_at: datetime
    #: Every key the partner signed with, and its state (``acsa.domain.keys``).
    keys: list[KeyOut] = []


#: What became of a partner's document here: applied, or set aside (it lost a fork).
RECORDED = "recorded"
SET_ASIDE = "set_aside"


class ReceiptOut(BaseModel):
    status: str
    id: str
    kind: str
    order: str
    seq: int
    issuer: str
    #: Our documents this one took the place of (rolled back; see ``acsa.services.forks``).
    rolled_back: list[str] = []


class PartnerStatusOut(BaseModel):
    partner: str
    registered: bool
    url: str | None
    pending: int
    delivered: int
    refused: int
    received: int
    held: int = 0
    next_attempt_at: datetime | None
    attempts: int
    last_error: str | None


class OutboxEntryOut(BaseModel):
    partner: str
    status: str
    set_aside: bool = False
    document: str
    kind: str
    order: str
    seq: int
    attempts: int
    code: str | None
    error: str | None
    created_at: datetime
    delivered_at: datetime | None


class CourierStatusOut(BaseModel):
    node: NodeOut | None
    partners: list[PartnerStatusOut]
    refused: list[OutboxEntryOut]
    #: The latest forks met here (``acsa.services.forks``), and how many of each fate.
    forks: list[ForkOut] = []
    fork_counts: dict[str, int] = {}


class DeliveryOut(BaseModel):
    delivered: int
    refused: int
    waiting: dict[str, str]
    set_aside: int = 0


class _PartnerIn(BaseModel):
    nation: Party


# --- the node and its partners ----------------------------------------------------------------


def node_info(engine: Engine) -> NodeOut:
    with unit_of_work.UnitOfWork(engine, read_only=True) as uow:
        node = uow.node
        keys = keys_out(own_keys(uow))
    if node is None:
        raise _not_a_node()
    return _node_out(node).model_copy(update={"keys": keys})


def _node_out(node: NodeRecord) -> NodeOut:
    return NodeOut(nation=node.nation, public_key=node.public_key, fingerprint=node.fingerprint)


def _not_a_node() -> AcsaError:
    return AcsaError.single(
        Code.NODE_NOT_INITIALISED,
        "node",
        "this installation is not a node yet: `acsa node init --nation XXX` makes its key",
    )


def require_node(status: CourierStatusOut) -> CourierStatusOut:
    """``status`` of a node; of an installation that is not one, NODE_NOT_INITIALISED (as
    ``node_info`` refuses), not an empty report."""
    if status.node is None:
        raise _not_a_node()
    return status


def init_node(engine: Engine, nation: str, key_file: Path, actor: str) -> NodeOut:
    """Make this installation the node of ``nation``: a new Ed25519 key pair, the private key
    written to ``key_file`` (owner-only), the nation and public key into the database."""
    code = parse_model(_PartnerIn, {"nation": nation}).nation
    path = key_file.expanduser().resolve()
    with unit_of_work.UnitOfWork(engine) as uow:
        if uow.node is not None:
            raise AcsaError.single(
                Code.NODE_EXISTS,
                "nation",
                "this installation is already the node of {nation} (key {fingerprint})",
                nation=uow.node.nation,
                fingerprint=uow.node.fingerprint,
            )
        if path.exists():
            raise AcsaError.single(
                Code.NODE_EXISTS,
                "key_file",
                "{path} exists already; give another --key-file",
                path=str(path),
            )
        key = NodeKey.generate()
        key.save(path)
        uow.settings.set(NODE_NATION, code)
        uow.settings.set(NODE_PUBLIC_KEY, key.public_text)
        uow.settings.set(NODE_KEY_FILE, str(path))
        after = {"nation": code, "fingerprint": key.fingerprint, "key_file": str(path)}
        uow.record("node.init", f"node:{code}", actor, None, after)
        try:
            uow.commit()
        except BaseException:
            path.unlink(missing_ok=True)
            raise
    return NodeOut(nation=code, public_key=key.public_text, fingerprint=key.fingerprint)


def add_partner(engine: Engine, nation: str, url: str, key: str, actor: str) -> PartnerOut:
    """Register (or update) a partner nation's node: its address and public key."""
    code = parse_model(_PartnerIn, {"nation": nation}).nation
    if not url.startswith(("http://", "https://")):
        raise AcsaError.single(
            Code.INVALID_FIELD,
            "url",
            "url must start with http:// or https://, not {url}",
            url=repr(url),
        )
    public = parse_public(key)
    with unit_of_work.UnitOfWork(engine) as uow:
        node = uow.node
        if node is not None and node.nation == code:
            raise AcsaError.single(
                Code.INVALID_FIELD,
                "nation",
                "{nation} is this node's own nation, not a partner",
                nation=code,
            )
        before = uow.partners.get(code)
        now = utc_now()
        uow.partners.put(code, url.rstrip("/"), public_text(public), fingerprint(public), now)
        register_partner_key(uow, code, before, public_text(public), now)
        uow.record(
            "partner.add",
            f"partner:{code}",
            actor,
            None if before is None else {"url": before.url, "fingerprint": before.fingerprint},
            {"url": url.rstrip("/"), "fingerprint": fingerprint(public)},
        )
        uow.commit()
        return _partner_out(uow, code)


def _partner_out(uow: unit_of_work.UnitOfWork, nation: str) -> PartnerOut:
    partner = uow.partners.get(nation)
    if partner is None:
        raise NotFoundError.single(
            Code.PARTNER_NOT_FOUND, "nation", "no partner node {nation} registered", nation=nation
        )
    return PartnerOut(
        nation=partner.nation,
        url=partner.url,
        public_key=partner.public_key,
        fingerprint=partner.fingerprint,
        added_at=partner.added_at,
        updated_at=partner.updated_at,
        keys=keys_out(partner_keys(uow, partner)),
    )


def list_partners(engine: Engine) -> list[PartnerOut]:
    with unit_of_work.UnitOfWork(engine, read_only=True) as uow:
        return [_partner_out(uow, p.nation) for p in uow.partners.all()]


# --- receiving a partner's document -----------------------------------------------------------


def _refuse(code: Code, field: str, template: str, **params: object) -> AcsaError:
    """A refusal of a partner's document; its ``template`` says that nothing was recorded."""
    return AcsaError([Violation(code, field, template, params=params)])


def _check_parties(uow: UnitOfWork, doc: Document) -> int | None:
    """The local id of the document's order (None for a new order), once the issuer is shown to
    be the party that issues such a document under an agreement between the two nations."""
    if doc.kind is Kind.ORDER:
        requester, supplier = str(doc.body.get("requester")), str(doc.body.get("supplier"))
        agreement_id = str(doc.body.get("agreement"))
        order_id = None
    else:
        order_id = uow.orders.id_of(doc.order)
        order = uow.orders.get(order_id, with_history=False) if order_id is not None else None
        if order is None:
            return None  # the chain check names what is missing
        requester, supplier, agreement_id = order.requester, order.supplier, order.agreement_id
    parties = {requester, supplier}
    if {doc.issuer, doc.recipient} != parties:
        raise _refuse(
            Code.DOCUMENT_NOT_PARTY,
            "issuer",
            t(
                "document {document} is from {issuer} to {recipient}, but the order is between "
                "{requester} (requester) and {supplier} (supplier); nothing was recorded"
            ),
            document=doc.id,
            issuer=doc.issuer,
            recipient=doc.recipient,
            requester=requester,
            supplier=supplier,
        )
    agreement = uow.agreements.get(agreement_id)
    if agreement is None or set(agreement.parties) != parties:
        refused = _refuse(
            Code.DOCUMENT_NOT_PARTY,
            "agreement",
            t(
                "document {document}: {issuer} is not party to an agreement {agreement} with "
                "{recipient} in this node's registry; nothing was recorded"
            ),
            document=doc.id,
            issuer=doc.issuer,
            agreement=repr(agreement_id),
            recipient=doc.recipient,
        )
        # An agreement the partner holds and this node does not: REGISTRY_DIFFERS.
        engine = getattr(uow, "engine", None)
        raise refused if engine is None else registry_refusal(engine, doc, refused)
    expected = issuing_nation(doc.kind, requester, supplier)
    if expected not in (None, doc.issuer):
        raise _refuse(
            Code.DOCUMENT_WRONG_SIDE,
            "kind",
            t(
                "document {document}: a {kind} is issued by {expected}, not {issuer}; nothing "
                "was recorded"
            ),
            document=doc.id,
            kind=doc.kind.value,
            expected=expected,
            issuer=doc.issuer,
        )
    return order_id


def _verify(uow: unit_of_work.UnitOfWork, doc: Document) -> None:
    """The document is signed by a key of its issuer that may sign a document of its time
    (``acsa.domain.keys``: a replaced key within its grace period, a revoked one before its
    revocation)."""
    partner = uow.partners.get(doc.issuer)
    if partner is None:
        raise _refuse(
            Code.DOCUMENT_UNKNOWN_KEY,
            "issuer",
            t(
                "document {document} is from {issuer}, whose node is not registered here "
                "(`acsa partners add {issuer} --url ... --key ...`); nothing was recorded"
            ),
            document=doc.id,
            issuer=doc.issuer,
        )
    signer = find_key(partner_keys(uow, partner), doc.key)
    if signer is None:
        raise _refuse(
            Code.DOCUMENT_UNKNOWN_KEY,
            "key",
            t(
                "document {document} is signed with key {key}; the key registered for {issuer} "
                "is {registered}; nothing was recorded"
            ),
            document=doc.id,
            key=doc.key,
            issuer=doc.issuer,
            registered=partner.fingerprint,
        )
    if not verify(parse_public(signer.public_key), doc.signed_bytes(), doc.signature):
        raise _refuse(
            Code.DOCUMENT_BAD_SIGNATURE,
            "signature",
            t(
                "document {document}: the signature does not match its content and {issuer}'s "
                "key (changed on the way, or signed by another key); nothing was recorded"
            ),
            document=doc.id,
            issuer=doc.issuer,
        )
    outside = key_violation(doc.id, doc.key, doc.at, signer)
    if outside is not None:
        raise AcsaError([outside])


def _apply(uow: UnitOfWork, doc: Document, order_id: int | None) -> None:
    """Do what the document records: the command its kind asks for, through the handler a
    local user's command meets."""
    kind = BY_KIND[doc.kind]
    ids: dict[str, Any] = {"uid": doc.order} if kind is PlaceOrder else {"order_id": order_id}
    try:
        handle(uow, kind.from_document(doc.body, **ids), doc.actor, doc.at)
    except AcsaError as refused:
        # Refused by the rules here: said as REGISTRY_DIFFERS when the two registries differ
        # on what the document rests on (its agreement's version, an official rate).
        engine = getattr(uow, "engine", None)
        if engine is None:
            raise
        raise registry_refusal(engine, doc, refused) from None


def receive_document(engine: Engine, wire: bytes, now: datetime | None = None) -> ReceiptOut:
    """Record a partner's signed document, or refuse it with its code and record nothing: too
    large, too deep or malformed in any field (DOCUMENT_INVALID naming it, checked before the
    signature), dated more than ACSA_COURIER_MAX_SKEW ahead of this node's clock
    (DOCUMENT_FROM_THE_FUTURE), an unknown issuer or key, a bad signature, a nation not party
    to the order, the wrong side, a document seen before (DOCUMENT_REPLAYED), a gap or a fork
    in the order's chain, or what the order's rules refuse when the document is applied
    here."""
    doc = parse_wire(wire)
    status = RECORDED
    rolled_back: list[str] = []
    ahead = time_violation(doc, now or utc_now(), max_skew())
    if ahead is not None:
        raise AcsaError([ahead])
    uow = unit_of_work.UnitOfWork(engine, hold=True, principal=Principal(doc.actor, doc.issuer))
    try:
        with uow:
            node = uow.node
            if node is None:
                raise _not_a_node()
            _verify(uow, doc)
            if doc.recipient != node.nation:
                raise _refuse(
                    Code.DOCUMENT_NOT_PARTY,
                    "recipient",
                    t(
                        "document {document} is addressed to {recipient}; this is {nation}'s "
                        "node; nothing was recorded"
                    ),
                    document=doc.id,
                    recipient=doc.recipient,
                    nation=node.nation,
                )
            seen = uow.documents.get(doc.id)
            if seen is not None:
                raise AcsaError.single(
                    Code.DOCUMENT_REPLAYED,
                    "id",
                    "document {document} was recorded here at {recorded_at} with hash {hash}; "
                    "a replay records nothing",
                    document=doc.id,
                    recorded_at=seen.recorded_at.isoformat(),
                    hash=seen.hash,
                )
            if doc.kind in KEY_KINDS:
                apply_key_document(uow, doc, utc_now())
            elif doc.kind in REGISTRY_KINDS:
                record_partner_document(uow, doc, utc_now())
            elif uow.forks.get(doc.id) is not None:
                status = SET_ASIDE  # sent again: it was set aside here already
            else:
                status, rolled_back = _receive_order_document(uow, doc)
        uow.finish()
    finally:
        uow.close()
    if rolled_back:
        forks.reissue_pending(engine)
    return _receipt(doc, status, rolled_back)


def _receive_order_document(uow: unit_of_work.UnitOfWork, doc: Document) -> tuple[str, list[str]]:
    """Apply a partner's document of an order (after the fork rule: set it aside, or roll
    back ours first); what became of it and the ids of ours it took the place of."""
    order_id = _check_parties(uow, doc)
    decision = _fork_decision(uow, doc, order_id)
    if decision is Arrival.LOSES:
        forks.set_aside(uow, doc, utc_now())
        return SET_ASIDE, []
    rolled_back: list[str] = []
    if isinstance(decision, tuple):
        assert order_id is not None
        rolled_back = forks.roll_back(uow, order_id, decision, doc, utc_now())
    broken = chain_violation(doc, uow.documents.head(doc.order))
    if broken is not None:
        raise AcsaError([broken])
    uow.incoming = doc
    _apply(uow, doc, order_id)
    if not uow.published:
        raise _refuse(
            Code.DOCUMENT_MISMATCH,
            "body",
            t(
                "document {document}: applying its {kind} here changes nothing; "
                "nothing was recorded"
            ),
            document=doc.id,
            kind=doc.kind.value,
        )
    return RECORDED, rolled_back


def _receipt(doc: Document, status: str, rolled_back: list[str] | None = None) -> ReceiptOut:
    return ReceiptOut(
        status=status,
        id=doc.id,
        kind=doc.kind.value,
        order=doc.order,
        seq=doc.seq,
        issuer=doc.issuer,
        rolled_back=rolled_back or [],
    )


def _fork_decision(
    uow: unit_of_work.UnitOfWork, doc: Document, order_id: int | None
) -> Arrival | tuple[Link, ...] | None:
    """LOSES when ``doc`` is to be set aside here, our documents to roll back when it wins a
    fork, None otherwise (it follows the chain, or the chain check says what is wrong)."""
    if order_id is None:
        return None
    order = uow.orders.get(order_id, with_history=False)
    assert order is not None
    decision = forks.decide(uow, doc, order.supplier)
    if decision.arrival is Arrival.LOSES:
        return Arrival.LOSES
    if decision.arrival is Arrival.WINS:
        return decision.undo
    return None


# --- delivering ours --------------------------------------------------------------------------


def _backoff(attempts: int) -> timedelta:
    ceiling = _setting(ENV_MAX_BACKOFF, DEFAULT_MAX_BACKOFF, 0, 24 * 3600)
    return timedelta(seconds=min(ceiling, FIRST_BACKOFF * 2 ** max(0, min(attempts, 64) - 1)))


def _outcome(answer: Answer, our_hash: str) -> tuple[str, str | None, str]:
    """(status, code, detail) of one attempt: delivered, refused (the partner said no: any
    4xx but those that mean "not now"), or retry (no answer, 5xx, 408, 425, 429, or a document
    dated ahead of the partner's clock)."""
    code = answer.body.get("code") if isinstance(answer.body.get("code"), str) else None
    code = code[:64] if code else None
    detail = str(answer.body.get("detail", answer.error))[:2000]
    if answer.status is not None and 200 <= answer.status < 300:
        return "delivered", None, ""
    if code == Code.DOCUMENT_REPLAYED.value and our_hash in detail:
        return "delivered", None, ""  # an earlier attempt got there; its answer was lost
    status = answer.status
    if (
        status is not None
        and 400 <= status < 500
        and status not in TRANSIENT_STATUSES
        and code not in TRANSIENT_CODES
    ):
        return "refused", code, detail or f"{status}: the partner refused the document"
    shown = status if status is not None else "no answer"
    return "retry", code, f"{shown}: {detail or answer.error}"


def _attempt(
    engine: Engine,
    row: Any,
    url: str,
    send: Send,
    reachable: Probe,
    bound: int,
    now: Callable[[], datetime],
) -> tuple[str, str]:
    """Send one outbox row and record what came of it: (delivered, refused, set_aside or
    retry; the detail)."""
    answer = send(url + INBOX_PATH, row.wire.encode())
    status, code, detail = _outcome(answer, row.hash)
    attempts = row.attempts + 1
    if status == "retry" and attempts >= bound:
        if answer.status is None and not reachable(url + HEALTH_PATH):
            code = Code.PARTNER_UNREACHABLE.value
            detail = f"{detail} (the partner's node does not answer at all)"
        elif answer.status is None and row.code == Code.PARTNER_UNREACHABLE.value:
            # Down at the last attempt and answering now: it is coming back, and this attempt
            # may have met it on its way up. The document is not to blame yet.
            detail = f"{detail} (the partner's node is answering again)"
        else:
            status, code = "set_aside", Code.DOCUMENT_SET_ASIDE.value
            detail = (
                f"set aside after {attempts} attempts; the partner's node took none of them "
                f"(the last: {detail})"
            )[:2000]
    at = now()
    with unit_of_work.UnitOfWork(engine) as uow:
        if status == "retry":
            uow.outbox.mark(
                row.id,
                attempts=attempts,
                next_attempt_at=at + _backoff(attempts),
                last_error=detail,
                code=code,
            )
        else:
            uow.outbox.mark(
                row.id,
                status="refused" if status == "set_aside" else status,
                attempts=attempts,
                delivered_at=at if status == "delivered" else None,
                code=code,
                last_error=detail or None,
            )
        uow.commit()
    if status not in ("delivered", "retry"):
        log.warning("outbox: document %s %s: %s", row.document_id, status, detail)
    return status, detail


def deliver_pending(
    engine: Engine,
    send: Send,
    now: Callable[[], datetime] = utc_now,
    probe: Probe | None = None,
) -> DeliveryOut:
    """Send every due document to its partner, oldest first, one partner after another.

    A document that cannot be delivered now (no answer, a 5xx, "not now") waits with backoff,
    and the partner's later documents wait behind it: they arrive in order. After
    ACSA_COURIER_MAX_ATTEMPTS attempts it is set aside (refused, DOCUMENT_SET_ASIDE, with the
    last error), unless it got no answer and the partner does not answer ``probe`` either (the
    partner is down: the document is not to blame, and everything waits for the partner). A
    document the partner refuses (4xx) is refused at once. A refused or set-aside document
    holds the later documents of its own order (the partner would take them out of order);
    other orders' documents flow on. ``acsa courier resend`` sends it again."""
    # Steps a fork rolled back and a crash kept from being issued again go first.
    forks.reissue_pending(engine)
    delivered = refused = set_aside = 0
    waiting: dict[str, str] = {}
    bound = max_attempts()
    reachable = probe or http_probe()
    with unit_of_work.UnitOfWork(engine, read_only=True) as uow:
        partners = {p.nation: p for p in uow.partners.all()}
        pending = uow.outbox.partners_with_pending()
    if not pending:
        return DeliveryOut(delivered=0, refused=0, waiting={})
    with outbox_delivery(engine) as deliverer:
        if not deliverer:  # another server process delivers
            return DeliveryOut(delivered=0, refused=0, waiting={})
        for nation in pending:
            partner = partners.get(nation)
            if partner is None:
                waiting[nation] = "no node registered for this partner"
                continue
            while True:
                with unit_of_work.UnitOfWork(engine, read_only=True) as uow:
                    row = uow.outbox.next_pending(nation)
                if row is None:
                    break
                if row.next_attempt_at > now():
                    waiting[nation] = f"next attempt at {row.next_attempt_at.isoformat()}"
                    break
                status, detail = _attempt(engine, row, partner.url, send, reachable, bound, now)
                if status == "retry":
                    waiting[nation] = detail
                    break
                delivered += status == "delivered"
                refused += status == "refused"
                set_aside += status == "set_aside"
    return DeliveryOut(delivered=delivered, refused=refused, waiting=waiting, set_aside=set_aside)


# --- sending a refused document again --------------------------------------------------------


def _entry_out(r: Any) -> OutboxEntryOut:
    return OutboxEntryOut(
        partner=r.partner,
        status=r.status,
        set_aside=r.code == Code.DOCUMENT_SET_ASIDE.value,
        document=r.document_id,
        kind=r.kind,
        order=r.order_uid,
        seq=r.seq,
        attempts=r.attempts,
        code=r.code,
        error=r.last_error,
        created_at=r.created_at,
        delivered_at=r.delivered_at,
    )


def resend(
    engine: Engine, document_id: str, actor: str, principal: Principal | None = None
) -> OutboxEntryOut:
    """Queue again a document the partner refused or the outbox set aside: pending, its
    attempts from zero, due now; audited (``document.resend``). ``document_id`` is the
    document's id or a unique prefix of it (8 characters at least). A ``principal`` (through
    the API or the pages) must be an admin of this node's nation."""
    wanted = document_id.strip().lower()
    if not 8 <= len(wanted) <= 36 or any(c not in "0123456789abcdef-" for c in wanted):
        raise AcsaError.single(
            Code.INVALID_FIELD,
            "document",
            "give the document's id (a UUID, or its first 8 characters at least)",
        )
    with unit_of_work.UnitOfWork(engine, principal=principal) as uow:
        node = uow.node
        if node is None:
            raise _not_a_node()
        if principal is not None:
            require_permission(principal, Permission.MANAGE_REGISTRY)
            if principal.nation != node.nation:
                raise ForbiddenError.single(
                    Code.FORBIDDEN,
                    "nation",
                    "this node is {nation}'s; as a user of {user_nation} you may not send its "
                    "documents",
                    nation=node.nation,
                    user_nation=principal.nation,
                )
        found = uow.outbox.find(wanted)
        if len(found) != 1:
            if not found:
                raise NotFoundError.single(
                    Code.DOCUMENT_NOT_FOUND,
                    "document",
                    "no document in the outbox matches {document}",
                    document=repr(document_id[:40]),
                )
            raise NotFoundError.single(
                Code.DOCUMENT_NOT_FOUND,
                "document",
                "{count} documents in the outbox match {document}",
                count=len(found),
                document=repr(document_id[:40]),
            )
        row = found[0]
        if row.status != "refused":
            raise AcsaError.single(
                Code.INVALID_TRANSITION,
                "document",
                "document {document} is {status}; only a document refused by the partner or "
                "set aside is sent again",
                document=row.document_id,
                status=Term(row.status),
            )
        at = utc_now()
        uow.outbox.mark(
            row.id,
            status="pending",
            attempts=0,
            next_attempt_at=at,
            code=None,
            last_error=None,
            delivered_at=None,
        )
        before = {
            "status": row.status,
            "code": row.code,
            "error": row.last_error,
            "attempts": row.attempts,
        }
        after = {"status": "pending", "partner": row.partner, "order": row.order_uid}
        uow.record("document.resend", f"document:{row.document_id}", actor, before, after)
        uow.commit()
        [again] = uow.outbox.find(row.document_id)
        result = _entry_out(again)
    for wake in unit_of_work.on_documents_queued:
        wake()
    return result


# --- what is where ----------------------------------------------------------------------------


def courier_status(engine: Engine, limit: int = 20) -> CourierStatusOut:
    """Per partner: documents pending, delivered and refused, those received from it, and why
    the oldest pending one waits; then the latest refusals."""
    with unit_of_work.UnitOfWork(engine, read_only=True) as uow:
        node = uow.node
        counts = uow.outbox.counts()
        partners = {p.nation: p for p in uow.partners.all()}
        oldest = uow.outbox.oldest_pending()
        held = uow.outbox.held_counts()
        received: dict[str, int] = {}
        if node is not None:
            received = {
                r.issuer: int(r._mapping["count"])
                for r in uow.documents.received_counts(node.nation)
            }
        nations = sorted({p for p, _ in counts} | set(partners) | set(received))
        rows = []
        for nation in nations:
            first = oldest.get(nation)
            rows.append(
                PartnerStatusOut(
                    partner=nation,
                    registered=nation in partners,
                    url=partners[nation].url if nation in partners else None,
                    pending=counts.get((nation, "pending"), 0),
                    delivered=counts.get((nation, "delivered"), 0),
                    refused=counts.get((nation, "refused"), 0),
                    received=received.get(nation, 0),
                    held=held.get(nation, 0),
                    next_attempt_at=first.next_attempt_at if first is not None else None,
                    attempts=first.attempts if first is not None else 0,
                    last_error=first.last_error if first is not None else None,
                )
            )
        refused = [_entry_out(r) for r in uow.outbox.entries(statuses=("refused",), limit=limit)]
        met = [forks.fork_out(r) for r in uow.forks.latest(limit)]
        fates: dict[str, int] = {}
        for (_issuer, fate), n in uow.forks.counts().items():
            fates[fate] = fates.get(fate, 0) + n
    info = None if node is None else _node_out(node)
    return CourierStatusOut(node=info, partners=rows, refused=refused, forks=met, fork_counts=fates)
