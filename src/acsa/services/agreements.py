"""The registry of agreements: list, show, add, amend, load the shipped registry."""

from __future__ import annotations

from dataclasses import replace
from datetime import date, datetime
from typing import Any

from acsa.adapters.db.unit_of_work import UnitOfWork
from acsa.adapters.registry_file import shipped_registry
from acsa.clock import utc_now
from acsa.domain.agreement import Agreement
from acsa.domain.errors import AcsaError, Code, NotFoundError
from acsa.schemas import (
    AgreementDoc,
    AgreementVersionDoc,
    agreement_from_doc,
    parse_model,
    version_from_doc,
)


def list_agreements(
    uow: UnitOfWork,
    party: str | None = None,
    as_of: date | None = None,
) -> list[Agreement]:
    """Agreements (of ``party``), and with ``as_of`` only those signed by that date."""
    with uow:
        found = uow.agreements.find(party.upper() if party else None)
    if as_of is not None:
        found = [a for a in found if a.signed_by(as_of)]
    return sorted(found, key=lambda a: (a.first_signed.latest, a.id))


def get_agreement(uow: UnitOfWork, agreement_id: str) -> Agreement:
    with uow:
        agreement = uow.agreements.get(agreement_id)
    if agreement is None:
        raise NotFoundError.single(
            Code.AGREEMENT_NOT_FOUND,
            "agreement",
            f"no agreement {agreement_id!r}",
        )
    return agreement


def _valid_agreement(doc: AgreementDoc) -> Agreement:
    if doc.parties[0] == doc.parties[1]:
        raise AcsaError.single(Code.SAME_PARTY, "parties", "an agreement is between two parties")
    try:
        return agreement_from_doc(doc)
    except ValueError as exc:
        raise AcsaError.single(Code.INVALID_AGREEMENT, "versions", str(exc)) from None


def add_agreement(
    uow: UnitOfWork, data: Any, now: datetime | None = None, actor: str = "operator"
) -> Agreement:
    """Add a new agreement from its document; refused if the id is taken."""
    agreement = _valid_agreement(parse_model(AgreementDoc, data))
    with uow:
        if uow.agreements.get(agreement.id) is not None:
            raise AcsaError.single(
                Code.AGREEMENT_EXISTS,
                "id",
                f"agreement {agreement.id} exists; amend it with `acsa agreements amend`",
            )
        uow.agreements.add(agreement, now or utc_now())
        uow.record("agreement.add", f"agreement:{agreement.id}", actor, None, data)
        uow.commit()
    return agreement


def amend_agreement(
    uow: UnitOfWork,
    agreement_id: str,
    data: Any,
    now: datetime | None = None,
    actor: str = "operator",
) -> Agreement:
    """Append a new version (a new text or an amendment) to an agreement."""
    doc = parse_model(AgreementVersionDoc, data)
    with uow:
        current = uow.agreements.get(agreement_id)
        if current is None:
            raise NotFoundError.single(
                Code.AGREEMENT_NOT_FOUND,
                "agreement",
                f"no agreement {agreement_id!r}",
            )
        number = current.latest.version + 1
        if doc.version is not None and doc.version != number:
            raise AcsaError.single(
                Code.INVALID_AGREEMENT,
                "version",
                f"the next version of {agreement_id} is {number}, not {doc.version}",
            )
        version = version_from_doc(doc, number)
        if version.signed.latest < current.latest.signed.earliest:
            raise AcsaError.single(
                Code.INVALID_AGREEMENT,
                "signed",
                f"an amendment cannot be signed ({version.signed}) before the version it "
                f"amends ({current.latest.signed})",
            )
        uow.agreements.add_version(agreement_id, version, now or utc_now())
        before = {"version": current.latest.version}
        uow.record("agreement.amend", f"agreement:{agreement_id}", actor, before, data)
        uow.commit()
    return replace(current, versions=(*current.versions, version))


def load_registry(uow: UnitOfWork, now: datetime | None = None) -> tuple[int, int]:
    """Add the shipped agreements and versions not yet in the database; returns (agreements,
    versions) added. Running it again adds nothing; users' own amendments are kept."""
    added_agreements = added_versions = 0
    stamp = now or utc_now()
    with uow:
        for data in shipped_registry():
            agreement = _valid_agreement(parse_model(AgreementDoc, data))
            stored = uow.agreements.get(agreement.id)
            if stored is None:
                uow.agreements.add(agreement, stamp)
                added_agreements += 1
                added_versions += len(agreement.versions)
                continue
            known = {v.version for v in stored.versions}
            for version in agreement.versions:
                if version.version not in known and version.version > stored.latest.version:
                    uow.agreements.add_version(agreement.id, version, stamp)
                    added_versions += 1
        if added_agreements or added_versions:
            after = {"agreements_added": added_agreements, "versions_added": added_versions}
            uow.record("registry.load", "registry", "acsa init", None, after)
        uow.commit()
    return added_agreements, added_versions
