"""The pure comparison of two nodes' registries (domain/registry_exchange.py)."""

from __future__ import annotations

from dataclasses import replace
from datetime import date
from decimal import Decimal

from acsa.domain.agreement import Agreement, AgreementVersion, Ceiling
from acsa.domain.dates import PartialDate
from acsa.domain.errors import Code
from acsa.domain.rate_rules import OfficialRate
from acsa.domain.registry_exchange import (
    AGREEMENT,
    RATE,
    agreement_entries,
    compare,
    entry_key,
    rate_differs,
    rate_entry,
    registry_chain,
    version_differs,
    versions_of,
)


def _version(number: int, label: str, **changes: object) -> AgreementVersion:
    made = AgreementVersion(
        version=number,
        label=label,
        signed=PartialDate.parse("2017-01-14"),
        in_force=PartialDate.parse("2017-09-01"),
        activities=frozenset({"exercise", "transport"}),
        categories=frozenset({"fuel", "food"}),
        excluded=frozenset({"weapons"}),
        settlement_methods=frozenset({"cash", "replacement"}),
        annual_ceilings=(Ceiling("JPY", Decimal("1000000")),),
    )
    return replace(made, **changes)  # type: ignore[arg-type]


def _agreement(*versions: AgreementVersion) -> Agreement:
    return Agreement("JPN-AUS", "Japan-Australia ACSA", ("JPN", "AUS"), versions)


def test_the_same_registry_has_no_difference() -> None:
    one = agreement_entries(_agreement(_version(1, "original")))
    assert compare(AGREEMENT, one, dict(one)) == []


def test_a_version_one_side_holds_alone_is_a_difference_naming_it() -> None:
    ours = agreement_entries(_agreement(_version(1, "original")))
    theirs = agreement_entries(_agreement(_version(1, "original"), _version(2, "amendment 1")))
    [only] = compare(AGREEMENT, ours, theirs)
    assert (only.key, only.field, only.ours, only.only) == ("JPN-AUS#2", None, "", "theirs")
    assert only.theirs == "amendment 1 (signed 2017-01-14)"
    [mine] = compare(AGREEMENT, theirs, ours)
    assert mine.only == "ours"


def test_each_field_recorded_otherwise_is_a_difference() -> None:
    ours = agreement_entries(_agreement(_version(1, "original")))
    changed = _version(
        1,
        "original",
        in_force=PartialDate.parse("2017-10-01"),
        categories=frozenset({"fuel"}),
        annual_ceilings=(Ceiling("JPY", Decimal("2000000")),),
    )
    theirs = agreement_entries(_agreement(changed))
    found = {d.field: (d.ours, d.theirs) for d in compare(AGREEMENT, ours, theirs)}
    assert found == {
        "in_force": ("2017-09-01", "2017-10-01"),
        "categories": ("food, fuel", "fuel"),
        "ceilings": ("each all 1000000 JPY", "each all 2000000 JPY"),
    }


def test_official_rates_compare_by_nation_year_and_currency() -> None:
    rate = OfficialRate("JPN", 2026, "USD", Decimal("145.50"), "MOF notice")
    ours = {entry_key(RATE, rate_entry(rate)): rate_entry(rate)}
    other = replace(rate, rate=Decimal("146"))
    theirs = {entry_key(RATE, rate_entry(other)): rate_entry(other)}
    [diff] = compare(RATE, ours, theirs)
    assert (diff.key, diff.field, diff.ours, diff.theirs) == (
        "JPN/2026/USD",
        "rate",
        "145.5",
        "146",
    )
    assert compare(RATE, ours, {})[0].only == "ours"


def test_versions_of_an_agreement_oldest_first() -> None:
    entries = agreement_entries(_agreement(*(_version(n, f"v{n}") for n in range(1, 12))))
    assert versions_of(entries, "JPN-AUS")[-2:] == ["JPN-AUS#10", "JPN-AUS#11"]
    assert versions_of(entries, "other") == []


def test_the_registry_chain_is_the_same_on_both_nodes_and_differs_by_direction() -> None:
    assert registry_chain("JPN", "AUS") == registry_chain("JPN", "AUS")
    assert registry_chain("JPN", "AUS") != registry_chain("AUS", "JPN")


def test_registry_differs_names_both_versions() -> None:
    found = version_differs(
        "d1", "JPN-AUS", date(2026, 10, 1), "JPN-AUS#2 (2017 text)", "JPN-AUS#3 (x)", "AUS"
    )
    assert (found.code, found.field) == (Code.REGISTRY_DIFFERS, "agreement")
    assert "here JPN-AUS#2 (2017 text), at AUS JPN-AUS#3 (x)" in found.message
    assert "in force on 2026-10-01" in found.message
    assert version_differs("d1", "A", date(2026, 1, 1), "", "b", "AUS").params["ours"] == "none"
    rate = rate_differs("d1", "JPN/2026/USD", "145.5 (MOF)", "", "AUS")
    assert (rate.code, rate.field, rate.params["theirs"]) == (Code.REGISTRY_DIFFERS, "rate", "none")
