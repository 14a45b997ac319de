"""Facts recorded on an agreement after it was added: the day a version entered into force,
once a user learns it, and a notice of termination.

Versions are never edited: a learnt day is a record of its own, applied to the agreement as
it is loaded, so the version's uncertain window (``2017``, ``2019-07``) closes and what the
registry first said stays in its history.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, replace
from datetime import date
from typing import TYPE_CHECKING

from acsa.domain.dates import PartialDate
from acsa.domain.errors import Code, Violation
from acsa.domain.messages import Message, t
from acsa.domain.term import Termination

if TYPE_CHECKING:
    from acsa.domain.agreement import Agreement


@dataclass(frozen=True, slots=True)
class InForceDay:
    """The day version ``version`` entered into force, as a source a user found says.

    Attributes:
        version: the version's number.
        day: the day it entered into force.
        source: where the day is stated (a press release, a gazette).
        was: the partial date the registry gave before (``2017``, ``2019-07``).
    """

    version: int
    day: date
    source: str
    was: str = ""


Record = InForceDay | Termination


def check_in_force_day(agreement: Agreement, fact: InForceDay) -> list[Violation]:
    """What is wrong with recording ``fact`` (nothing: it may be recorded). The day must lie
    in the window the registry leaves open (the year or month it gives, not before signing);
    a version known to the day is not changed."""
    version = next((v for v in agreement.versions if v.version == fact.version), None)
    if version is None:
        return [
            Violation(
                Code.INVALID_FIELD,
                "version",
                "version is {version}: agreement {agreement} has versions 1 to {last}",
                params={
                    "version": fact.version,
                    "agreement": agreement.id,
                    "last": agreement.latest.version,
                },
            )
        ]
    where = {"version": version.version, "label": version.label, "agreement": agreement.id}
    if version.in_force is not None and version.in_force.is_exact:
        return [
            Violation(
                Code.IN_FORCE_DAY_KNOWN,
                "in_force",
                "version {version} ({label}) of {agreement} entered into force on {in_force}, "
                "known to the day; a different day is a correction the registry's next version "
                "makes",
                version.clause("in_force", agreement.id),
                params={**where, "in_force": str(version.in_force)},
            )
        ]
    first = version.signed.earliest
    last = version.in_force.latest if version.in_force is not None else None
    if version.in_force is not None:
        first = max(first, version.in_force.earliest)
    if fact.day < first or (last is not None and fact.day > last):
        window = (
            Message(t("from {first} to {last}"), {"first": first, "last": last})
            if last is not None
            else Message(t("on or after {first}"), {"first": first})
        )
        known = (
            Message(t("entered into force in {in_force}"), {"in_force": str(version.in_force)})
            if version.in_force is not None
            else Message(t("was signed on {signed}"), {"signed": str(version.signed)})
        )
        return [
            Violation(
                Code.INVALID_DATE,
                "in_force",
                "in_force is {day}: version {version} ({label}) of {agreement} {known}, so the "
                "day lies {window}",
                version.clause("in_force", agreement.id),
                params={**where, "day": fact.day, "known": known, "window": window},
            )
        ]
    return []


def with_records(agreement: Agreement, records: Iterable[Record]) -> Agreement:
    """``agreement`` with ``records`` applied in the order they were made: learnt days set
    their version's entry into force; a notice of termination ends it."""
    versions = {v.version: v for v in agreement.versions}
    days: list[InForceDay] = list(agreement.in_force_days)
    termination = agreement.termination
    for record in records:
        if isinstance(record, Termination):
            termination = record
            continue
        version = versions.get(record.version)
        if version is None:
            continue
        was = version.in_force.isoformat() if version.in_force else ""
        versions[record.version] = replace(version, in_force=PartialDate.parse(record.day))
        days.append(replace(record, was=record.was or was))
    return replace(
        agreement,
        versions=tuple(versions[n] for n in sorted(versions)),
        in_force_days=tuple(days),
        termination=termination,
    )
