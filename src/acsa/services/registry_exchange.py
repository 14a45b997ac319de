"""One registry between two nodes: a node sends its partner, as signed documents, every version
of each agreement between the two nations (when one is added or amended, a day in force or a
termination recorded) and each official rate of either nation it records; the partner keeps
them as this node's registry (``partner_registry``), apart from its own. Each node shows where
the two differ, and a partner's order document its rules refuse while the two registries
differ on what the order rests on is refused as REGISTRY_DIFFERS, naming both versions."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from pydantic import BaseModel
from sqlalchemy import Engine

from acsa.adapters.db import unit_of_work as db
from acsa.adapters.db.partner_registry_repository import PartnerRegistryRepository
from acsa.clock import utc_now
from acsa.domain.documents import Document, Draft, Kind, chain_violation
from acsa.domain.errors import AcsaError, Code, NotFoundError, Violation
from acsa.domain.rate_rules import OfficialRate
from acsa.domain.registry_exchange import (
    AGREEMENT,
    RATE,
    RegistryDifference,
    agreement_body,
    agreement_entries,
    compare,
    entry_key,
    rate_differs,
    rate_entry,
    rate_key,
    registry_chain,
    version_differs,
)
from acsa.services.ports import UnitOfWork

#: Codes of a refusal that says nothing of the registries (the document itself is at fault).
_NOT_OF_THE_REGISTRY = frozenset(
    {
        Code.DOCUMENT_INVALID,
        Code.DOCUMENT_REPLAYED,
        Code.DOCUMENT_OUT_OF_ORDER,
        Code.DOCUMENT_CHAIN_BROKEN,
        Code.DOCUMENT_UNKNOWN_KEY,
        Code.DOCUMENT_BAD_SIGNATURE,
        Code.DOCUMENT_WRONG_SIDE,
        Code.DOCUMENT_FROM_THE_FUTURE,
    }
)


class RegistryDifferenceOut(BaseModel):
    kind: str
    key: str
    field: str | None
    ours: str
    theirs: str
    only: str | None


class RegistryComparisonOut(BaseModel):
    partner: str
    nation: str
    received: int
    differences: list[RegistryDifferenceOut]


# --- sending ours -----------------------------------------------------------------------------


def _queue(
    uow: db.UnitOfWork, kind: Kind, partner: str, body: dict[str, Any], actor: str, at: datetime
) -> None:
    node = uow.node
    assert node is not None
    chain = registry_chain(node.nation, partner)
    uow.queue(Draft(kind, chain, node.nation, partner, actor, at, body))


def _registered_partner(uow: UnitOfWork, nations: tuple[str, ...]) -> list[str]:
    """The nations among ``nations`` (but this node's) whose node is registered here."""
    if not isinstance(uow, db.UnitOfWork) or uow.incoming is not None:
        return []
    node = uow.node
    if node is None or node.nation not in nations:
        return []
    return [n for n in dict.fromkeys(nations) if n != node.nation and uow.partners.get(n)]


def publish_agreement(uow: UnitOfWork, agreement_id: str, actor: str, at: datetime) -> None:
    """Queue, for the partner party to ``agreement_id`` (when its node is registered here),
    the document of every version of the agreement as it now stands in this transaction."""
    agreement = uow.agreements.get(agreement_id)
    if agreement is None:
        return
    for partner in _registered_partner(uow, agreement.parties):
        assert isinstance(uow, db.UnitOfWork)
        _queue(uow, Kind.AGREEMENT, partner, agreement_body(agreement), actor, at)


def publish_rate(uow: UnitOfWork, rate: OfficialRate, actor: str, at: datetime) -> None:
    """Queue ``rate`` for each registered partner it concerns: the rate of this node's own
    nation goes to every partner, a partner's rate to that partner."""
    if not isinstance(uow, db.UnitOfWork) or uow.node is None:
        return
    nations = tuple(p.nation for p in uow.partners.all())
    if rate.nation != uow.node.nation:
        nations = (rate.nation,) if rate.nation in nations else ()
    for partner in _registered_partner(uow, (uow.node.nation, *nations)):
        _queue(uow, Kind.RATE, partner, rate_entry(rate), actor, at)


def send_registry(engine: Engine, partner: str, actor: str) -> int:
    """Queue for ``partner`` this node's whole registry that concerns it (every agreement
    between the two, every official rate of either nation), as a node does when it was
    registered after its registry was recorded; audited (``registry.send``). The number of
    documents queued."""
    code = partner.strip().upper()
    with db.UnitOfWork(engine) as uow:
        node = uow.node
        if node is None:
            raise _not_a_node()
        if uow.partners.get(code) is None or code == node.nation:
            raise NotFoundError.single(
                Code.PARTNER_NOT_FOUND, "nation", "no partner node {nation} registered", nation=code
            )
        at = utc_now()
        sent = 0
        for agreement in uow.agreements.find(node.nation):
            if set(agreement.parties) == {node.nation, code}:
                _queue(uow, Kind.AGREEMENT, code, agreement_body(agreement), actor, at)
                sent += 1
        for nation in (node.nation, code):
            for stored in uow.rates.officials(nation):
                _queue(uow, Kind.RATE, code, rate_entry(stored.rate), actor, at)
                sent += 1
        uow.record("registry.send", f"partner:{code}", actor, None, {"documents": sent})
        uow.commit()
    return sent


def _not_a_node() -> AcsaError:
    return AcsaError.single(
        Code.NODE_NOT_INITIALISED,
        "node",
        "this installation is not a node yet: `acsa node init --nation XXX` makes its key",
    )


# --- receiving theirs -------------------------------------------------------------------------


def _not_party(doc: Document, what: str) -> AcsaError:
    return AcsaError.single(
        Code.DOCUMENT_NOT_PARTY,
        "body",
        "document {document}: {what} is not between {issuer} and {recipient}; nothing was recorded",
        document=doc.id,
        what=what,
        issuer=doc.issuer,
        recipient=doc.recipient,
    )


def record_partner_document(uow: db.UnitOfWork, doc: Document, now: datetime) -> None:
    """Record a partner's registry document (an agreement's versions, an official rate) as
    the partner's registry, once it is the next link of the partner's registry chain and
    about the two nations only; committed with the document."""
    if doc.order != registry_chain(doc.issuer, doc.recipient):
        raise AcsaError.single(
            Code.DOCUMENT_INVALID,
            "order",
            "document {document}: a {kind} document is chained under {chain}, not {order}",
            document=doc.id,
            kind=doc.kind.value,
            chain=registry_chain(doc.issuer, doc.recipient),
            order=doc.order,
        )
    broken = chain_violation(doc, uow.documents.head(doc.order))
    if broken is not None:
        raise AcsaError([broken])
    repo = PartnerRegistryRepository(uow.connection)
    body = doc.body
    if doc.kind is Kind.AGREEMENT:
        subject = str(body["agreement"])
        parties = sorted((doc.issuer, doc.recipient))
        versions = list(body["versions"])
        if any(v["agreement"] != subject or sorted(v["parties"]) != parties for v in versions):
            raise _not_party(doc, repr(subject))
        entries = {entry_key(AGREEMENT, v): v for v in versions}
        repo.replace(doc.issuer, AGREEMENT, subject, entries, doc.id, now)
    else:
        if body["nation"] not in (doc.issuer, doc.recipient):
            raise _not_party(doc, str(body["nation"]))
        subject = entry_key(RATE, body)
        repo.replace(doc.issuer, RATE, subject, {subject: dict(body)}, doc.id, now)
    uow.documents.add(doc, "remote", now)
    after = {"document": doc.id, "kind": doc.kind.value, "subject": subject}
    uow.record("registry.receive", f"partner:{doc.issuer}", doc.actor, None, after)
    uow.commit()


# --- comparing ----------------------------------------------------------------------------


def _our_entries(
    uow: db.UnitOfWork, nation: str, partner: str
) -> tuple[dict[str, dict[str, Any]], dict[str, dict[str, Any]]]:
    agreements: dict[str, dict[str, Any]] = {}
    for agreement in uow.agreements.find(nation):
        if set(agreement.parties) == {nation, partner}:
            agreements.update(agreement_entries(agreement))
    rates = {
        rate_key(s.rate.nation, s.rate.fiscal_year, s.rate.currency): rate_entry(s.rate)
        for n in (nation, partner)
        for s in uow.rates.officials(n)
    }
    return agreements, rates


def differences(uow: db.UnitOfWork, partner: str) -> list[RegistryDifference]:
    """Where this node's registry differs from what ``partner``'s node sent of its own."""
    node = uow.node
    if node is None:
        return []
    agreements, rates = _our_entries(uow, node.nation, partner)
    repo = PartnerRegistryRepository(uow.connection)
    return [
        *compare(AGREEMENT, agreements, repo.entries(partner, AGREEMENT)),
        *compare(RATE, rates, repo.entries(partner, RATE)),
    ]


def registry_comparison(engine: Engine, partner: str) -> RegistryComparisonOut:
    """``acsa partners registry NATION``: every agreement version and official rate on which
    this node's registry and ``partner``'s differ, or that one side holds alone."""
    code = partner.strip().upper()
    with db.UnitOfWork(engine, read_only=True) as uow:
        node = uow.node
        if node is None:
            raise _not_a_node()
        if uow.partners.get(code) is None:
            raise NotFoundError.single(
                Code.PARTNER_NOT_FOUND, "nation", "no partner node {nation} registered", nation=code
            )
        repo = PartnerRegistryRepository(uow.connection)
        received = len(repo.entries(code, AGREEMENT)) + len(repo.entries(code, RATE))
        found = differences(uow, code)
        nation = node.nation
    return RegistryComparisonOut(
        partner=code,
        nation=nation,
        received=received,
        differences=[
            RegistryDifferenceOut(
                kind=d.kind, key=d.key, field=d.field, ours=d.ours, theirs=d.theirs, only=d.only
            )
            for d in found
        ],
    )


# --- a refusal because the registries differ ----------------------------------------------------


def _in_force(entries: dict[str, dict[str, Any]], agreement_id: str, on: date) -> str:
    """The key of the newest version of ``agreement_id`` among ``entries`` in force on ``on``
    by its dates ("" when none is)."""
    best = ""
    for key, entry in entries.items():
        if entry.get("agreement") != agreement_id:
            continue
        started = str(entry.get("in_force") or "")
        ended = str(entry.get("ended") or entry.get("terminated") or "")
        today = on.isoformat()
        live = bool(started) and started[:10] <= today and not (ended and ended <= today)
        if live and (not best or _number_of(key) > _number_of(best)):
            best = key
    return best


def _number_of(key: str) -> int:
    return int(key.rsplit("#", 1)[1])


def _named(entries: dict[str, dict[str, Any]], key: str) -> str:
    if not key:
        return ""
    return f"{key} ({entries[key].get('label', '')})"


def registry_refusal(engine: Engine, doc: Document, refused: AcsaError) -> AcsaError:
    """``refused`` (a partner's order document its rules refused here) as REGISTRY_DIFFERS,
    then the rules' own violations, when this node's and the partner's registries differ on
    what the document rests on: the version of the order's agreement in force on its day
    (naming each side's), else an official rate of either nation (naming each side's);
    ``refused`` as it is otherwise (or when nothing was received from the partner)."""
    codes = {v.code for v in refused.violations}
    if codes & _NOT_OF_THE_REGISTRY or Code.REGISTRY_DIFFERS in codes:
        return refused
    with db.UnitOfWork(engine, read_only=True) as uow:
        return _refusal(uow, doc, refused)


def _rests_on(uow: db.UnitOfWork, doc: Document) -> tuple[str, date] | None:
    """The agreement and day an order document rests on: its own (an order, an edit) or its
    order's."""
    if "agreement" in doc.body and "order_date" in doc.body:
        return str(doc.body["agreement"]), date.fromisoformat(str(doc.body["order_date"]))
    order_id = uow.orders.id_of(doc.order)
    order = uow.orders.get(order_id, with_history=False) if order_id is not None else None
    return None if order is None else (order.agreement_id, order.order_date)


def _refusal(uow: db.UnitOfWork, doc: Document, refused: AcsaError) -> AcsaError:
    node = uow.node
    rests = _rests_on(uow, doc)
    if node is None or rests is None:
        return refused
    agreement_id, day = rests
    partner = doc.issuer
    repo = PartnerRegistryRepository(uow.connection)
    theirs_agreements = repo.entries(partner, AGREEMENT)
    theirs_rates = repo.entries(partner, RATE)
    if not theirs_agreements and not theirs_rates:
        return refused  # nothing received from the partner: nothing to compare
    ours_agreements, ours_rates = _our_entries(uow, node.nation, partner)
    found: Violation | None = None
    mine = {k: e for k, e in ours_agreements.items() if e.get("agreement") == agreement_id}
    other = {k: e for k, e in theirs_agreements.items() if e.get("agreement") == agreement_id}
    if other and compare(AGREEMENT, mine, other):
        ours_key, theirs_key = (
            _in_force(mine, agreement_id, day),
            _in_force(other, agreement_id, day),
        )
        if ours_key != theirs_key or mine.get(ours_key) != other.get(theirs_key):
            found = version_differs(
                doc.id,
                agreement_id,
                day,
                _named(mine, ours_key),
                _named(other, theirs_key),
                partner,
            )
    if found is None:
        rate_differences = compare(RATE, ours_rates, theirs_rates)
        if rate_differences:
            first = rate_differences[0]
            found = rate_differs(doc.id, first.key, first.ours, first.theirs, partner)
    if found is None:
        return refused
    return AcsaError([found, *refused.violations])
