"""The shipped registry reproduces the facts of ACSA.md and each seed article's count."""

from datetime import date

import pytest

from acsa.domain.agreement import AgreementStatus
from tests.unit.registry import registry

JAPAN_PARTNERS = {"USA", "AUS", "GBR", "CAN", "FRA", "IND", "DEU", "ITA", "NLD", "NZL", "PHL"}


def signed_by(on: date) -> list[str]:
    return [a.id for a in registry().values() if a.signed_by(on) and a.has_party("JPN")]


def test_japan_has_eleven_agreements_one_per_partner():
    partners = {a.partner_of("JPN") for a in registry().values()}
    assert partners == JAPAN_PARTNERS


@pytest.mark.parametrize(
    ("on", "count", "article"),
    [
        (date(2024, 1, 29), 7, "seed 004: Germany the seventh country"),
        (date(2025, 12, 1), 8, "seed 000: New Zealand would be the ninth"),
        (date(2025, 12, 19), 10, "seed 001: New Zealand the 10th"),
        (date(2026, 1, 15), 11, "Philippines reported as the 11th"),
    ],
)
def test_partner_count_matches_each_article_at_its_date(on, count, article):
    assert len(signed_by(on)) == count, article


def test_netherlands_signed_a_day_before_new_zealand():
    assert "JPN-NLD" in signed_by(date(2025, 12, 18))
    assert "JPN-NZL" not in signed_by(date(2025, 12, 18))


@pytest.mark.parametrize(
    ("agreement", "on", "status"),
    [
        ("JPN-ITA", date(2025, 9, 4), AgreementStatus.SIGNED),
        ("JPN-ITA", date(2025, 9, 5), AgreementStatus.IN_FORCE),
        ("JPN-NZL", date(2026, 11, 23), AgreementStatus.SIGNED),
        ("JPN-NLD", date(2026, 11, 23), AgreementStatus.SIGNED),
        ("JPN-PHL", date(2026, 11, 23), AgreementStatus.SIGNED),
        ("JPN-DEU", date(2024, 7, 12), AgreementStatus.IN_FORCE),
        ("JPN-IND", date(2021, 7, 10), AgreementStatus.SIGNED),
        ("JPN-AUS", date(2013, 1, 31), AgreementStatus.IN_FORCE),
        ("JPN-CAN", date(2019, 7, 1), AgreementStatus.SIGNED),
        ("JPN-CAN", date(2019, 8, 1), AgreementStatus.IN_FORCE),
    ],
)
def test_status_on_a_date(agreement, on, status):
    assert registry()[agreement].status_on(on) is status


def test_not_yet_signed_has_no_status():
    assert registry()["JPN-NZL"].status_on(date(2025, 12, 18)) is None


def test_unknown_dates_are_null_not_invented():
    for agreement_id in ("JPN-NLD", "JPN-NZL", "JPN-PHL"):
        assert registry()[agreement_id].latest.in_force is None
    # Known only to the month or year (ACSA.md): the UK and Canada entered into force in 2017
    # and July 2019, the 1998 US amendment was signed in 1998.
    for agreement_id in ("JPN-GBR", "JPN-CAN"):
        in_force = registry()[agreement_id].latest.in_force
        assert in_force is not None
        assert not in_force.is_exact
    assert not registry()["JPN-USA"].versions[1].signed.is_exact


def test_australia_2010_text_governs_until_the_2017_text_is_surely_in_force():
    australia = registry()["JPN-AUS"]
    assert australia.version_on(date(2017, 6, 1)).label == "2010 text"
    assert australia.version_on(date(2018, 1, 1)).label == "2017 text"
    assert "ammunition" in australia.version_on(date(2018, 1, 1)).categories
    assert "ammunition" not in australia.version_on(date(2016, 1, 1)).categories


def test_every_agreement_excludes_weapons_and_cites_sources():
    for agreement in registry().values():
        for version in agreement.versions:
            assert "weapons" in version.excluded
            assert version.sources, f"{agreement.id} {version.label} has no source"
