"""Alembic builds exactly the tables acsa uses; init and the registry load are idempotent."""

import pytest
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext

from acsa.adapters.db.migrate import head_revision
from acsa.adapters.db.tables import metadata
from acsa.commands import AddAgreement, AmendAgreement
from acsa.domain.errors import AcsaError
from acsa.services import agreements
from acsa.services.handlers import handle
from acsa.services.setup import init_database
from tests.integration.dump import content


def test_migrations_create_exactly_the_declared_schema(engine):
    with engine.connect() as conn:
        diff = compare_metadata(MigrationContext.configure(conn), metadata)
    assert diff == []


def test_init_twice_changes_nothing(engine):
    before = content(engine)
    report = init_database(engine)
    assert (report.agreements_added, report.versions_added) == (0, 0)
    assert report.revision_before == report.revision == head_revision()
    assert content(engine) == before


def test_registry_reload_keeps_users_amendments(uow):
    current = agreements.get_agreement(uow, "JPN-NZL").latest
    amendment = {
        "label": "entry into force",
        "signed": "2025-12-19",
        "in_force": "2026-12-01",
        "activities": sorted(current.activities),
        "categories": sorted(current.categories),
        "settlement_methods": sorted(current.settlement_methods),
    }
    handle(uow, AmendAgreement.from_wire(amendment, agreement_id="JPN-NZL"), "operator")
    assert agreements.load_registry(uow) == (0, 0, 0, ())
    versions = agreements.get_agreement(uow, "JPN-NZL").versions
    assert [v.label for v in versions] == ["2025 text", "entry into force"]


def test_users_can_add_an_agreement_between_any_two_nations(uow):
    doc = {
        "id": "AUS-NZL",
        "title": "Australia-New Zealand mutual logistics support arrangement (example)",
        "parties": ["AUS", "NZL"],
        "versions": [
            {
                "label": "2024 text",
                "signed": "2024-03",
                "in_force": "2024-06-01",
                "activities": ["exercise"],
                "categories": ["fuel", "food"],
                "settlement_methods": ["cash"],
            }
        ],
    }
    added = handle(uow, AddAgreement.from_wire(doc), "operator")
    assert added.latest.excluded == frozenset({"weapons"})
    assert [a.id for a in agreements.list_agreements(uow, party="NZL")] == ["AUS-NZL", "JPN-NZL"]
    with pytest.raises(AcsaError) as again:
        handle(uow, AddAgreement.from_wire(doc), "operator")
    assert again.value.codes == ["AGREEMENT_EXISTS"]


@pytest.mark.parametrize(
    ("change", "code"),
    [
        ({"parties": ["AUS", "AUS"]}, "SAME_PARTY"),
        ({"parties": ["AUS", "QQQ"]}, "UNKNOWN_PARTY"),
        ({"versions": []}, "INVALID_FIELD"),
        ({"id": "bad id"}, "INVALID_FIELD"),
    ],
)
def test_bad_agreement_documents_are_refused_and_write_nothing(engine, uow, change, code):
    doc = {
        "id": "AUS-NZL",
        "title": "t",
        "parties": ["AUS", "NZL"],
        "versions": [
            {
                "label": "v",
                "signed": "2024",
                "activities": ["exercise"],
                "categories": ["fuel"],
                "settlement_methods": ["cash"],
            }
        ],
        **change,
    }
    before = content(engine)
    with pytest.raises(AcsaError) as refused:
        handle(uow, AddAgreement.from_wire(doc), "operator")
    assert code in refused.value.codes
    assert content(engine) == before


def test_amendment_signed_before_the_text_it_amends_is_refused(uow):
    amendment = {
        "label": "x",
        "signed": "2020-01-01",
        "activities": ["exercise"],
        "categories": ["fuel"],
        "settlement_methods": ["cash"],
    }
    with pytest.raises(AcsaError) as refused:
        handle(uow, AmendAgreement.from_wire(amendment, agreement_id="JPN-ITA"), "operator")
    assert refused.value.codes == ["INVALID_AGREEMENT"]
