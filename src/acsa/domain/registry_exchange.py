"""One registry between two nodes, as pure values: what of a node's registry it sends its
partner (each agreement version between the two, each official rate of either), keyed the same
on both nodes, and where two such registries differ.

An entry is a JSON object of strings and lists of strings (the form a signed document
carries), so the entry a node sends and the entry its partner computes from its own registry
compare field by field without converting anything.
"""

from __future__ import annotations

import uuid
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date
from typing import Any

from acsa.domain.agreement import Agreement, AgreementVersion
from acsa.domain.errors import Code, Violation
from acsa.domain.rate_rules import OfficialRate

#: The namespace of the chains of registry documents (one chain per issuer and recipient).
_NAMESPACE = uuid.UUID("6f1d3c2e-9a57-4b8e-8d0c-0c9e4f7a2b61")

AGREEMENT = "agreement"
RATE = "rate"

#: The fields of an agreement version that are compared, in the order they are shown.
VERSION_FIELDS = (
    "label",
    "signed",
    "in_force",
    "ended",
    "activities",
    "categories",
    "excluded",
    "settlement_methods",
    "settlement_by_kind",
    "ceilings",
    "terminated",
)
RATE_FIELDS = ("rate", "source")


def registry_chain(issuer: str, recipient: str) -> str:
    """The uid of the chain the registry documents ``issuer`` sends ``recipient`` form (in
    the place of an order's uid): the same on both nodes."""
    return str(uuid.uuid5(_NAMESPACE, f"registry:{issuer}:{recipient}"))


def _number(value: Any) -> str:
    text = format(value.normalize(), "f")
    return "0" if text in ("-0", "") else text


def version_key(agreement_id: str, version: int) -> str:
    return f"{agreement_id}#{version}"


def version_entry(agreement: Agreement, version: AgreementVersion) -> dict[str, Any]:
    """What of ``version`` of ``agreement`` is compared between two registries."""
    return {
        "agreement": agreement.id,
        "parties": sorted(agreement.parties),
        "version": str(version.version),
        "label": version.label,
        "signed": version.signed.isoformat(),
        "in_force": version.in_force.isoformat() if version.in_force else "",
        "ended": version.ended.isoformat() if version.ended else "",
        "activities": sorted(version.activities),
        "categories": sorted(version.categories),
        "excluded": sorted(version.excluded),
        "settlement_methods": sorted(version.settlement_methods),
        "settlement_by_kind": sorted(
            f"{k}: {', '.join(sorted(v))}" for k, v in version.settlement_by_kind.items()
        ),
        "ceilings": sorted(
            f"{c.party or 'each'} {c.applies_to} {_number(c.amount)} {c.currency}"
            for c in version.annual_ceilings
        ),
        "terminated": agreement.termination.effective.isoformat()
        if agreement.termination is not None
        else "",
    }


def agreement_entries(agreement: Agreement) -> dict[str, dict[str, Any]]:
    """Every version of ``agreement`` as entries, by key (``ID#N``)."""
    return {
        version_key(agreement.id, v.version): version_entry(agreement, v)
        for v in agreement.versions
    }


def agreement_body(agreement: Agreement) -> dict[str, Any]:
    """The body of the registry document that sends every version of ``agreement``."""
    return {
        "agreement": agreement.id,
        "versions": [version_entry(agreement, v) for v in agreement.versions],
    }


def rate_key(nation: str, fiscal_year: int, currency: str) -> str:
    return f"{nation}/{fiscal_year}/{currency}"


def rate_entry(rate: OfficialRate) -> dict[str, Any]:
    return {
        "nation": rate.nation,
        "fiscal_year": str(rate.fiscal_year),
        "currency": rate.currency,
        "rate": _number(rate.rate),
        "source": rate.source,
    }


def entry_key(kind: str, entry: Mapping[str, Any]) -> str:
    """The key of an entry as a document carries it (the same both sides compute)."""
    if kind == AGREEMENT:
        return version_key(str(entry["agreement"]), int(entry["version"]))
    return rate_key(str(entry["nation"]), int(entry["fiscal_year"]), str(entry["currency"]))


@dataclass(frozen=True, slots=True)
class RegistryDifference:
    """One place where two registries differ: an entry only one side holds (``field`` None)
    or a field of it each side records differently (``ours``/``theirs`` as recorded; "" for
    an entry a side does not hold)."""

    kind: str
    key: str
    field: str | None
    ours: str
    theirs: str

    @property
    def only(self) -> str | None:
        """``ours`` or ``theirs`` when the entry is held by one side only."""
        if self.field is not None:
            return None
        return "ours" if self.ours else "theirs"


def _shown(value: Any) -> str:
    if isinstance(value, list):
        return ", ".join(str(v) for v in value) or "-"
    return str(value) if value not in (None, "") else "-"


def compare(
    kind: str,
    ours: Mapping[str, Mapping[str, Any]],
    theirs: Mapping[str, Mapping[str, Any]],
) -> list[RegistryDifference]:
    """Where the entries of ``kind`` of two registries differ, by key then field: an entry
    one side holds alone, or each field (VERSION_FIELDS, RATE_FIELDS) recorded otherwise."""
    fields = VERSION_FIELDS if kind == AGREEMENT else RATE_FIELDS
    found: list[RegistryDifference] = []
    for key in sorted(set(ours) | set(theirs)):
        mine, other = ours.get(key), theirs.get(key)
        if mine is None or other is None:
            label = _label(kind, mine if mine is not None else other)
            found.append(
                RegistryDifference(
                    kind, key, None, label if mine is not None else "", label if other else ""
                )
            )
            continue
        for name in fields:
            if mine.get(name) != other.get(name):
                found.append(
                    RegistryDifference(
                        kind, key, name, _shown(mine.get(name)), _shown(other.get(name))
                    )
                )
    return found


def _label(kind: str, entry: Mapping[str, Any] | None) -> str:
    if entry is None:
        return ""
    if kind == AGREEMENT:
        return f"{entry.get('label', '')} (signed {entry.get('signed', '')})"
    return f"{entry.get('rate', '')} ({entry.get('source', '')})"


def versions_of(entries: Mapping[str, Mapping[str, Any]], agreement_id: str) -> list[str]:
    """The keys (``ID#N``) of the versions of ``agreement_id`` among ``entries``, oldest
    first."""
    held = [k for k, e in entries.items() if e.get("agreement") == agreement_id]
    return sorted(held, key=lambda k: int(k.rsplit("#", 1)[1]))


def version_differs(
    document: str, agreement: str, day: date, ours: str, theirs: str, partner: str
) -> Violation:
    """REGISTRY_DIFFERS: ``document`` was refused here, and the two registries differ on the
    version of ``agreement`` in force on ``day``: ``ours`` against ``partner``'s ``theirs``
    ("none" where a side holds none)."""
    return Violation(
        Code.REGISTRY_DIFFERS,
        "agreement",
        "document {document} was refused because this node's registry differs from "
        "{partner}'s on the version of agreement {agreement} in force on {day}: here {ours}, "
        "at {partner} {theirs} (`acsa partners registry {partner}` shows every difference); "
        "nothing was recorded",
        params={
            "document": document,
            "partner": partner,
            "agreement": agreement,
            "day": day,
            "ours": ours or "none",
            "theirs": theirs or "none",
        },
    )


def rate_differs(document: str, rate: str, ours: str, theirs: str, partner: str) -> Violation:
    """REGISTRY_DIFFERS: ``document`` was refused here, and the two registries differ on the
    official rate ``rate`` (``NATION/FY/CURRENCY``): ``ours`` against ``partner``'s
    ``theirs`` ("none" where a side holds none)."""
    return Violation(
        Code.REGISTRY_DIFFERS,
        "rate",
        "document {document} was refused because this node's registry differs from "
        "{partner}'s on the official rate {rate}: here {ours}, at {partner} {theirs} "
        "(`acsa partners registry {partner}` shows every difference); nothing was recorded",
        params={
            "document": document,
            "partner": partner,
            "rate": rate,
            "ours": ours or "none",
            "theirs": theirs or "none",
        },
    )
