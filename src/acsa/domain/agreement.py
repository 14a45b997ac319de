"""Agreements between two nations' forces, kept as dated versions (the text and amendments)."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal
from enum import StrEnum

from acsa.domain.agreement_records import InForceDay
from acsa.domain.dates import PartialDate
from acsa.domain.term import Term, Termination


class AgreementStatus(StrEnum):
    SIGNED = "signed"
    IN_FORCE = "in_force"
    ENDED = "ended"


@dataclass(frozen=True, slots=True)
class Source:
    """Where a fact about an agreement comes from."""

    title: str
    publisher: str = ""
    date: str = ""
    url: str = ""
    note: str = ""
    #: The release's own reference (a MOFA press release id such as ``press4_004993``).
    reference: str = ""


@dataclass(frozen=True, slots=True)
class Ceiling:
    """An annual ceiling on what one party may acquire under the agreement."""

    currency: str
    amount: Decimal
    applies_to: str = "all"  # "all", "supplies" or "services"
    party: str | None = None  # None: each party
    note: str = ""
    #: Not counted while the acquiring party declares a period of active hostilities
    #: (10 U.S.C. 2347: the caps do not apply then); an order says so explicitly.
    hostilities_exempt: bool = False


@dataclass(frozen=True, slots=True)
class AgreementVersion:
    """One text of an agreement: the original or an amendment, with its own dates and scope.

    ``category_conditions`` limits a category to some activities (the 2004 Japan-US
    amendment allowed ammunition only in armed-attack situations). ``clauses`` maps a rule
    name (``in_force``, ``activities``, ``categories``, ``excluded``, ``settlement``,
    ``determination``, ``use``, ``ceilings``) to the clause of the text that sets it, for
    error messages.

    Settlement is set per kind of support: ``settlement_by_kind`` maps ``supplies`` and
    ``services`` to the methods the text offers for them (empty: ``settlement_methods`` for
    both). ``supplies_return_preferred`` says the text settles supplies by return and only
    where return is difficult in currency, so an order settling supplies in cash gives the
    reason. ``determination_activities`` need a mutual determination of the two governments,
    which the order cites; ``unverified_activities`` are reported covered by some sources but
    not verified: an order under one is a warning a person confirms, not a refusal.
    ``use_conditions`` are the codes of the use clauses the text carries
    (``acsa.domain.vocabulary.USE_CONDITIONS``).
    """

    version: int
    label: str
    signed: PartialDate
    in_force: PartialDate | None
    activities: frozenset[str]
    categories: frozenset[str]
    excluded: frozenset[str]
    settlement_methods: frozenset[str]
    ended: PartialDate | None = None
    category_conditions: Mapping[str, frozenset[str]] = field(default_factory=dict)
    replacement_deadline_days: int = 365
    payment_term_days: int = 30
    annual_ceilings: tuple[Ceiling, ...] = ()
    clauses: Mapping[str, str] = field(default_factory=dict)
    sources: tuple[Source, ...] = ()
    notes: str = ""
    settlement_by_kind: Mapping[str, frozenset[str]] = field(default_factory=dict)
    supplies_return_preferred: bool = False
    determination_activities: frozenset[str] = frozenset()
    unverified_activities: frozenset[str] = frozenset()
    use_conditions: tuple[str, ...] = ()
    #: ``text`` (a text with a term of its own) or ``amendment`` (keeps the term of the text
    #: it amends); ``term`` None: not known from the sources (domain/term.py).
    kind: str = "text"
    term: Term | None = None

    def methods_for(self, kind: str) -> frozenset[str]:
        """The settlement methods the text offers for ``supplies`` or ``services``."""
        return self.settlement_by_kind.get(kind, self.settlement_methods)

    @property
    def in_force_uncertain(self) -> bool:
        """True when the day the version entered into force is not known."""
        return self.in_force is not None and not self.in_force.is_exact

    def in_force_window(self) -> tuple[date, date] | None:
        """The first and last day the version may have entered into force on, when the
        sources give only its month or year; None when the day is known (or it is not in
        force at all)."""
        if self.in_force is None or self.in_force.is_exact:
            return None
        return max(self.in_force.earliest, self.signed.earliest), self.in_force.latest

    def clause(self, rule: str, agreement_id: str) -> str:
        """The clause that sets ``rule``; the version itself when no clause is recorded."""
        where = self.clauses.get(rule)
        base = f"{agreement_id} {self.label}"
        return f"{base}, {where}" if where else base


@dataclass(frozen=True, slots=True)
class Agreement:
    """An ACSA between two parties (ISO 3166-1 alpha-3), with its versions oldest first."""

    id: str
    title: str
    parties: tuple[str, str]
    versions: tuple[AgreementVersion, ...]
    forces: Mapping[str, str] = field(default_factory=dict)
    #: Facts recorded after the agreement was added (domain/agreement_records.py): the days
    #: versions entered into force, once learnt (already applied to ``versions``), and a
    #: notice of termination, after whose effective day the agreement has ended.
    in_force_days: tuple[InForceDay, ...] = ()
    termination: Termination | None = None

    def __post_init__(self) -> None:
        if not self.versions:
            raise ValueError(f"agreement {self.id} has no version")
        numbers = [v.version for v in self.versions]
        if numbers != sorted(numbers) or len(set(numbers)) != len(numbers):
            raise ValueError(f"agreement {self.id}: versions must be numbered in order")

    def has_party(self, party: str) -> bool:
        return party in self.parties

    def partner_of(self, party: str) -> str:
        return self.parties[1] if self.parties[0] == party else self.parties[0]

    @property
    def first_signed(self) -> PartialDate:
        return self.versions[0].signed

    @property
    def latest(self) -> AgreementVersion:
        return self.versions[-1]

    def signed_by(self, on: date) -> bool:
        return self.first_signed.reached_on(on)

    def versions_signed_by(self, on: date) -> list[AgreementVersion]:
        return [v for v in self.versions if v.signed.reached_on(on)]

    def version_in_force_on(self, on: date) -> AgreementVersion | None:
        """The version in force on ``on``: the newest to have entered into force and not ended
        (by its own end or a notice of termination effective by ``on``)."""
        if self.termination is not None and self.termination.effective <= on:
            return None
        in_force = [
            v for v in self.versions if v.in_force is not None and v.in_force.reached_on(on)
        ]
        if not in_force:
            return None
        current = max(in_force, key=lambda v: (v.in_force.latest if v.in_force else on, v.version))
        if current.ended is not None and current.ended.reached_on(on):
            return None
        return current

    def version_maybe_in_force_on(self, on: date) -> AgreementVersion | None:
        """The newest version that may have entered into force by ``on`` without the sources
        proving it (``on`` lies in its uncertain window), if it is newer than the one surely
        in force then."""
        surely = self.version_in_force_on(on)
        newest = surely.version if surely is not None else 0
        maybe = [
            v
            for v in self.versions
            if v.version > newest
            and (window := v.in_force_window()) is not None
            and window[0] <= on < window[1]
        ]
        return maybe[-1] if maybe else None

    def version_on(self, on: date) -> AgreementVersion:
        """The version that governs ``on``: the one in force, else the newest signed, else the
        first. Checks use it to report scope problems even when the agreement is not in force."""
        in_force = self.version_in_force_on(on)
        if in_force is not None:
            return in_force
        signed = self.versions_signed_by(on)
        return signed[-1] if signed else self.versions[0]

    def status_on(self, on: date) -> AgreementStatus | None:
        """Signed, in force or ended on ``on``; None when not yet signed then."""
        if not self.signed_by(on):
            return None
        if self.version_in_force_on(on) is not None:
            return AgreementStatus.IN_FORCE
        was_in_force = any(
            v.in_force is not None and v.in_force.reached_on(on) for v in self.versions
        )
        return AgreementStatus.ENDED if was_in_force else AgreementStatus.SIGNED

    def in_force_since(self, on: date) -> PartialDate | None:
        """When the agreement first entered into force, as known on ``on``."""
        dates = [v.in_force for v in self.versions if v.in_force and v.in_force.reached_on(on)]
        return dates[0] if dates else None
