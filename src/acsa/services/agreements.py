"""The registry of agreements: list, show, add, amend, record a day of entry into force or a
notice of termination (the handlers of AddAgreement, AmendAgreement, RecordInForceDay and
RecordTermination), load the shipped registry.

Access is decided here for every interface (API, web pages, CLI) from the unit of work's
principal (None: the installation's operator): an agreement the principal may not see is
answered exactly as one that does not exist, before anything of it is read or checked, and
only an admin of one of its parties or a registry keeper changes it (domain/access.py)."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import replace
from datetime import date, datetime
from typing import Any, NamedTuple, TypeVar

from acsa.adapters.registry_file import shipped_registry
from acsa.clock import utc_now
from acsa.commands import AddAgreement, AmendAgreement, By, RecordInForceDay, RecordTermination
from acsa.domain.access import (
    keeps_registry,
    require_registry_change,
    sees_agreement,
)
from acsa.domain.agreement import Agreement
from acsa.domain.agreement_records import InForceDay, check_in_force_day, with_records
from acsa.domain.errors import AcsaError, Code, NotFoundError, Violation
from acsa.domain.term import Termination, check_termination
from acsa.schemas.orders import (
    AgreementDoc,
    agreement_from_doc,
    in_force_day_from_doc,
    parse_model,
    record_body,
    termination_from_doc,
    version_from_doc,
    version_to_doc,
)
from acsa.services import registry_exchange
from acsa.services.ports import UnitOfWork


def list_agreements(
    uow: UnitOfWork,
    party: str | None = None,
    as_of: date | None = None,
) -> list[Agreement]:
    """Agreements (of ``party``) the unit of work's principal may see, and with ``as_of`` only
    those signed by that date."""
    wanted = party.upper() if party else None
    principal = uow.principal
    with uow:
        if keeps_registry(principal):
            found = uow.agreements.find(wanted)
        else:
            assert principal is not None
            found = uow.agreements.find(principal.nation)
    found = [a for a in found if wanted is None or wanted in a.parties]
    if as_of is not None:
        found = [a for a in found if a.signed_by(as_of)]
    return sorted(found, key=lambda a: (a.first_signed.latest, a.id))


def not_found(agreement_id: str, hint: bool = False) -> Violation:
    """The one answer for an agreement that does not exist or may not be seen (with
    ``hint``, pointing to the list of agreements)."""
    if hint:
        return Violation(
            Code.AGREEMENT_NOT_FOUND,
            "agreement",
            "no agreement {agreement}; see `acsa agreements list`",
            params={"agreement": repr(agreement_id)},
        )
    return Violation(
        Code.AGREEMENT_NOT_FOUND,
        "agreement",
        "no agreement {agreement}",
        params={"agreement": repr(agreement_id)},
    )


def visible_agreement(uow: UnitOfWork, agreement_id: str, hint: bool = False) -> Agreement:
    """The agreement ``agreement_id`` inside an open unit of work, if its principal may see
    it; else AGREEMENT_NOT_FOUND (404), the same whether it exists or not."""
    agreement = uow.agreements.get(agreement_id)
    if agreement is None or not sees_agreement(uow.principal, agreement.parties):
        raise NotFoundError([not_found(agreement_id, hint)])
    return agreement


def get_agreement(uow: UnitOfWork, agreement_id: str) -> Agreement:
    with uow:
        return visible_agreement(uow, agreement_id)


def _valid_agreement(doc: AgreementDoc) -> Agreement:
    if doc.parties[0] == doc.parties[1]:
        raise AcsaError.single(Code.SAME_PARTY, "parties", "an agreement is between two parties")
    try:
        return agreement_from_doc(doc)
    except ValueError as exc:
        raise AcsaError.single(Code.INVALID_AGREEMENT, "versions", str(exc)) from None


def add_agreement(uow: UnitOfWork, command: AddAgreement, by: By) -> Agreement:
    """Add a new agreement from its document (an admin of one of its parties, or a registry
    keeper); refused if the id is taken, saying nothing else of the agreement holding it."""
    agreement = _valid_agreement(command.agreement)
    require_registry_change(uow.principal, agreement.parties)
    with uow:
        if uow.agreements.get(agreement.id) is not None:
            # Ids are one space for the whole installation, so a taken id cannot be hidden;
            # the answer is the same whoever holds it and tells nothing of that agreement.
            raise AcsaError.single(
                Code.AGREEMENT_EXISTS,
                "id",
                "the agreement id {agreement} is taken: choose another, or amend that "
                "agreement if your nation is party to it",
                agreement=repr(agreement.id),
            )
        uow.agreements.add(agreement, by.at)
        uow.record("agreement.add", f"agreement:{agreement.id}", by.actor, None, command.wire())
        registry_exchange.publish_agreement(uow, agreement.id, by.actor, by.at)
        uow.commit()
    return agreement


def _changeable(uow: UnitOfWork, agreement_id: str) -> Agreement:
    """The agreement ``agreement_id`` inside an open unit of work, if its principal may change
    it; one it may not see is not found, before anything of it is checked."""
    current = uow.agreements.get(agreement_id)
    if current is None:
        raise NotFoundError([not_found(agreement_id)])
    require_registry_change(uow.principal, current.parties, not_found(agreement_id))
    return current


def amend_agreement(uow: UnitOfWork, command: AmendAgreement, by: By) -> Agreement:
    """Append a new version (a new text or an amendment) to an agreement (an admin of one of
    its parties, or a registry keeper). One the principal may not see is not found before
    anything of it is checked, so no refusal tells of it."""
    doc, agreement_id = command.version, command.agreement_id
    with uow:
        current = _changeable(uow, agreement_id)
        number = current.latest.version + 1
        if doc.version is not None and doc.version != number:
            raise AcsaError.single(
                Code.INVALID_AGREEMENT,
                "version",
                "the next version of {agreement} is {number}, not {given}",
                agreement=agreement_id,
                number=number,
                given=doc.version,
            )
        version = version_from_doc(doc, number)
        if version.signed.latest < current.latest.signed.earliest:
            raise AcsaError.single(
                Code.INVALID_AGREEMENT,
                "signed",
                "an amendment cannot be signed ({signed}) before the version it amends ({amended})",
                signed=str(version.signed),
                amended=str(current.latest.signed),
            )

        uow.agreements.add_version(agreement_id, version, by.at)
        before = {"version": current.latest.version}
        subject = f"agreement:{agreement_id}"
        uow.record("agreement.amend", subject, by.actor, before, command.wire())
        registry_exchange.publish_agreement(uow, agreement_id, by.actor, by.at)
        uow.commit()
    return replace(current, versions=(*current.versions, version))


R = TypeVar("R", InForceDay, Termination)


def record_in_force_day(uow: UnitOfWork, command: RecordInForceDay, by: By) -> Agreement:
    """Record the day a version entered into force, once learnt (an admin of one of its
    parties, or a registry keeper): it must lie in the window the registry leaves open, and
    closes it. The version itself is not edited: the day is a record applied on loading."""
    fact = in_force_day_from_doc(command.day)
    action = "agreement.in_force_day"
    return _record(uow, command.agreement_id, fact, check_in_force_day, action, by)


def record_termination(uow: UnitOfWork, command: RecordTermination, by: By) -> Agreement:
    """Record a notice of termination (an admin of one of its parties, or a registry
    keeper): from its effective day the agreement has ended and orders dated then are
    refused. Refused when it ends the agreement sooner than its text allows."""
    notice = termination_from_doc(command.notice)
    return _record(uow, command.agreement_id, notice, check_termination, "agreement.end", by)


def _record(
    uow: UnitOfWork,
    agreement_id: str,
    record: R,
    check: Callable[[Agreement, R], list[Violation]],
    action: str,
    by: By,
) -> Agreement:
    with uow:
        current = _changeable(uow, agreement_id)
        found = check(current, record)
        if found:
            raise AcsaError(found)
        seq = uow.agreements.add_record(agreement_id, record, by.at, by.actor)
        kind, body = record_body(record)
        subject = f"agreement:{agreement_id}"
        uow.record(action, subject, by.actor, None, {"seq": seq, kind: body})
        registry_exchange.publish_agreement(uow, agreement_id, by.actor, by.at)
        uow.commit()
    return with_records(current, [record])


class RegistryLoad(NamedTuple):
    """What loading the shipped registry did.

    Attributes:
        agreements: agreements added.
        versions: versions added.
        corrected: shipped versions rewritten because this release corrects them.
        kept: agreements the registry corrects but where people added a version of the same
            number, left as they are (ids): compare them with ``acsa agreements show``.
    """

    agreements: int
    versions: int
    corrected: int = 0
    kept: tuple[str, ...] = ()


def load_registry(uow: UnitOfWork, now: datetime | None = None) -> RegistryLoad:
    """Bring the database's registry to the one acsa ships: add the agreements and versions
    not yet there, and rewrite a shipped version this release corrects (each rewrite in the
    audit log with the text before and after). What people added is never touched: their
    agreements, their amendments, the days and notices they recorded (records apply on top of
    a corrected version as they did before). Running it again changes nothing."""
    added_agreements = added_versions = corrected = 0
    kept: list[str] = []
    stamp = now or utc_now()
    with uow:
        owned = uow.audit.agreement_versions_added_by_users()
        for data in shipped_registry():
            agreement = _valid_agreement(parse_model(AgreementDoc, data))
            if uow.agreements.get(agreement.id) is None:
                uow.agreements.add(agreement, stamp)
                added_agreements += 1
                added_versions += len(agreement.versions)
            elif agreement.id in owned and owned[agreement.id] is None:
                continue  # added by a person, under an id the registry now uses too
            elif (owned.get(agreement.id) or frozenset()) & {v.version for v in agreement.versions}:
                kept.append(agreement.id)
            else:
                added, fixed = _bring_up_to_date(uow, agreement, stamp)
                added_versions += added
                corrected += fixed
        if added_agreements or added_versions:
            after_load = {"agreements_added": added_agreements, "versions_added": added_versions}
            uow.record("registry.load", "registry", "acsa init", None, after_load)
        uow.commit()
    return RegistryLoad(added_agreements, added_versions, corrected, tuple(kept))


def _bring_up_to_date(uow: UnitOfWork, agreement: Agreement, stamp: datetime) -> tuple[int, int]:
    """Add the shipped versions of a stored ``agreement`` newer than its last, and rewrite those
    this release corrects (one audit record with the texts before and after): (versions added,
    versions corrected)."""
    bodies = uow.agreements.version_bodies(agreement.id)
    added = 0
    before: dict[str, Any] = {}
    after: dict[str, Any] = {}
    for version in agreement.versions:
        body = version_to_doc(version).model_dump(mode="json")
        if version.version not in bodies:
            if version.version > max(bodies):
                uow.agreements.add_version(agreement.id, version, stamp)
                added += 1
        elif bodies[version.version] != body:
            uow.agreements.replace_version(agreement.id, version, stamp)
            before[str(version.version)] = bodies[version.version]
            after[str(version.version)] = body
    if after:
        subject = f"agreement:{agreement.id}"
        uow.record("registry.correct", subject, "acsa init", before, after)
    return added, len(after)
