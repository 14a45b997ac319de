"""Who may see and change agreements, through a real server (SQLite and PostgreSQL).

Every role of JPN, AUS and FRA (and a registry keeper of NOR) against add, amend, show, the
order check and the audit log of agreements: each cell's status and code, and that what was
refused changed nothing (agreements, versions, audit records, orders). An agreement a nation is
not party to answers exactly as one that does not exist, whatever is asked of it; only an admin
of one of its parties, or a registry keeper, changes it; its audit records are read by its two
parties' auditors and by no one else."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from sqlalchemy import func, select

from acsa.adapters.db import tables as t
from acsa.adapters.db.engine import make_engine
from acsa.adapters.db.unit_of_work import UnitOfWork
from acsa.services import users
from tests.api.conftest import Api
from tests.api.server import ROLES, Person
from tests.api.team import add_team
from tests.e2e.cli import run
from tests.e2e.test_web_pages import sign_in
from tests.orders_data import order_doc

NATIONS = ("JPN", "AUS", "FRA")
EVERY_ROLE = (*ROLES, "all")
#: Roles that hold admin: they may change their nation's agreements and read the audit log.
ADMINS = ("admin", "all")
READS_AUDIT = ("auditor", "admin", "all")
#: An agreement each nation is party to, and those it is not party to (AUS-FRA is added by
#: Australia's admin first; JPN is party to every shipped one).
OWN = {"JPN": "JPN-AUS", "AUS": "JPN-AUS", "FRA": "JPN-FRA"}
HIDDEN = {"JPN": ("AUS-FRA",), "AUS": ("JPN-FRA", "JPN-ITA"), "FRA": ("JPN-AUS", "JPN-ITA")}
#: An id no agreement holds: what a hidden one must be answered like.
NONE_SUCH = "ZZZ-QQQ"


def version(label: str, signed: str = "2027-01-01", **changes: Any) -> dict[str, Any]:
    return {
        "label": label,
        "signed": signed,
        "activities": ["exercise"],
        "categories": ["food"],
        "settlement_methods": ["cash"],
        **changes,
    }


def agreement(agreement_id: str, parties: list[str]) -> dict[str, Any]:
    return {
        "id": agreement_id,
        "title": "for the agreement access matrix",
        "parties": parties,
        "versions": [version("text", "2026-01-01")],
    }


def keeper(api: Api) -> Api:
    """``api`` with a registry keeper of NOR, an installation admin (NOR admin and keeper)
    and NOR's auditor."""
    api.people.update(add_team(api.db_url, ["NOR-registry_keeper", "NOR-auditor"]))
    engine = make_engine(api.db_url)
    try:
        name, roles = "NOR-installation", ("admin", "registry_keeper")
        doc = {"name": name, "nation": "NOR", "roles": list(roles)}
        users.add_user(UnitOfWork(engine), doc, actor="test")
        token = users.issue_token(UnitOfWork(engine), name, actor="test").token
        api.people[name] = Person(name, "NOR", roles, token)
    finally:
        engine.dispose()
    return api


@pytest.fixture
def counts(api: Api) -> Iterator[Any]:
    """What a refused request must leave as it was: agreements, versions, audit records and
    orders, counted in the server's database."""
    engine = make_engine(api.db_url)

    def count() -> tuple[int, int, int, int]:
        with engine.connect() as conn:
            return tuple(  # type: ignore[return-value]
                int(conn.execute(select(func.count()).select_from(table)).scalar_one())
                for table in (t.agreements, t.agreement_versions, t.audit_log, t.orders)
            )

    yield count
    engine.dispose()


def versions_of(api: Api, agreement_id: str) -> int:
    """How many versions ``agreement_id`` has (read in the database, whoever may see it)."""
    engine = make_engine(api.db_url)
    try:
        with engine.connect() as conn:
            v = t.agreement_versions
            query = select(func.count()).where(v.c.agreement_id == agreement_id)
            return int(conn.execute(query).scalar_one())
    finally:
        engine.dispose()


def problem(got: httpx.Response) -> tuple[int, str]:
    return got.status_code, got.json()["code"]


def same_but_id(hidden: httpx.Response, none: httpx.Response, hidden_id: str) -> None:
    """``hidden`` is answered exactly as ``none`` (about NONE_SUCH): status, headers that
    matter and body, but for the id the caller gave."""
    assert hidden.status_code == none.status_code
    assert hidden.headers["content-type"] == none.headers["content-type"]
    assert hidden.text.replace(hidden_id, NONE_SUCH) == none.text, (hidden.text, none.text)


def test_every_role_of_three_nations_against_add_amend_show_check_and_the_audit(
    api: Api, counts: Any
) -> None:
    c = api.client
    changed: dict[str, set[str]] = {n: set() for n in NATIONS}  # agreement subjects per nation
    first = c.post(
        "/agreements", json=agreement("AUS-FRA", ["AUS", "FRA"]), headers=api.as_("AUS-admin")
    )
    assert first.status_code == 201, first.text
    changed["AUS"].add("agreement:AUS-FRA")
    changed["FRA"].add("agreement:AUS-FRA")
    for nation in NATIONS:
        own, hidden = OWN[nation], HIDDEN[nation]
        partner = "AUS" if nation == "JPN" else "JPN"
        for role in EVERY_ROLE:
            who, cell = api.as_(f"{nation}-{role}"), (nation, role)
            admin = role in ADMINS

            # add: between their nation and another, or between two others
            before = counts()
            theirs = f"{nation}-NOR-{role.upper()}"
            added = c.post("/agreements", json=agreement(theirs, [nation, "NOR"]), headers=who)
            if admin:
                assert added.status_code == 201, (cell, added.text)
                changed[nation].add(f"agreement:{theirs}")
                assert counts()[:3] == (before[0] + 1, before[1] + 1, before[2] + 1)
            else:
                assert problem(added) == (403, "FORBIDDEN"), (cell, added.text)
                assert counts() == before
            before = counts()
            others = agreement(f"ITA-DEU-{nation}-{role.upper()}", ["ITA", "DEU"])
            refused = c.post("/agreements", json=others, headers=who)
            assert problem(refused) == (403, "FORBIDDEN"), (cell, refused.text)
            assert counts() == before

            # amend: their own agreement; one they may not see, as one that does not exist
            before, own_versions = counts(), versions_of(api, own)
            amended = c.post(f"/agreements/{own}/versions", json=version(role), headers=who)
            if admin:
                assert amended.status_code == 201, (cell, amended.text)
                assert versions_of(api, own) == own_versions + 1
                assert counts()[2] == before[2] + 1
                for party in (nation, partner):
                    changed[party].add(f"agreement:{own}")
            else:
                assert problem(amended) == (403, "FORBIDDEN"), (cell, amended.text)
                assert counts() == before
            for target in hidden:
                before, hidden_versions = counts(), versions_of(api, target)
                body = version("early", "1990-01-01")  # would be refused as "before" it
                tried = c.post(f"/agreements/{target}/versions", json=body, headers=who)
                none = c.post(f"/agreements/{NONE_SUCH}/versions", json=body, headers=who)
                expected = (404, "AGREEMENT_NOT_FOUND") if admin else (403, "FORBIDDEN")
                assert problem(tried) == expected, (cell, target, tried.text)
                same_but_id(tried, none, target)
                assert (counts(), versions_of(api, target)) == (before, hidden_versions)

            # show
            assert c.get(f"/agreements/{own}", headers=who).status_code == 200, cell
            for target in hidden:
                shown = c.get(f"/agreements/{target}", headers=who)
                assert problem(shown) == (404, "AGREEMENT_NOT_FOUND"), (cell, shown.text)
                same_but_id(shown, c.get(f"/agreements/{NONE_SUCH}", headers=who), target)
            listed = {a["id"] for a in c.get("/agreements", headers=who).json()}
            assert own in listed, cell
            assert not listed & set(hidden), cell

            # check: under their own agreement it answers; under a hidden one, as none
            mine = order_doc(agreement=own, requester=nation, supplier=partner)
            checked = c.post("/orders/check", json=mine, headers=who)
            assert checked.status_code == 200, (cell, checked.text)
            for target in hidden:
                parties = target.split("-")
                doc = order_doc(agreement=target, requester=parties[1], supplier=parties[0])
                before = counts()
                check = c.post("/orders/check", json=doc, headers=who)
                place = c.post("/orders", json=doc, headers=who)
                none = c.post("/orders/check", json={**doc, "agreement": NONE_SUCH}, headers=who)
                assert problem(check) == (404, "AGREEMENT_NOT_FOUND"), (cell, check.text)
                assert (place.status_code, place.text) == (check.status_code, check.text), cell
                same_but_id(check, none, target)
                assert counts() == before

    # The audit of agreements: read by their parties' auditors and admins, by no one else.
    for nation in NATIONS:
        for role in EVERY_ROLE:
            who, cell = api.as_(f"{nation}-{role}"), (nation, role)
            got = c.get("/audit", params={"limit": 1000}, headers=who)
            if role not in READS_AUDIT:
                assert problem(got) == (403, "FORBIDDEN"), cell
                continue
            assert got.status_code == 200, (cell, got.text)
            records = got.json()
            seen = {r["subject"] for r in records if r["subject"].startswith("agreement:")}
            assert seen == changed[nation], (cell, seen ^ changed[nation])
            checked = c.get("/audit/verify", headers=who).json()
            assert (checked["ok"], checked["records"]) == (True, len(records))
    assert changed["JPN"] & changed["AUS"] == {"agreement:JPN-AUS"}
    assert "agreement:JPN-FRA" in changed["FRA"] - changed["AUS"]


def test_australias_admin_cannot_add_or_amend_japan_italy_nor_learn_anything_of_it(
    api: Api, counts: Any
) -> None:
    c, aus = api.client, api.as_("AUS-admin")
    jpn_ita = c.get("/agreements/JPN-ITA", headers=api.as_("JPN-viewer")).json()
    before, versions = counts(), versions_of(api, "JPN-ITA")

    # The attack of the report: a JPN-ITA version covering only food.
    food_only = version("food only", jpn_ita["versions"][-1]["signed"])
    amended = c.post("/agreements/JPN-ITA/versions", json=food_only, headers=aus)
    assert problem(amended) == (404, "AGREEMENT_NOT_FOUND")
    # The refusals that told of it: a date before its last version's, a wrong number.
    for body in (version("early", "1990-01-01"), version("numbered", version=99)):
        tried = c.post("/agreements/JPN-ITA/versions", json=body, headers=aus)
        none = c.post(f"/agreements/{NONE_SUCH}/versions", json=body, headers=aus)
        same_but_id(tried, none, "JPN-ITA")
        for fact in (jpn_ita["signed"], jpn_ita["versions"][-1]["signed"], "ITA", "version"):
            assert fact not in tried.text.replace("JPN-ITA", ""), (fact, tried.text)
    # A new agreement between two other nations: forbidden, naming only what was sent.
    added = c.post("/agreements", json=agreement("JPN-ITA-2", ["JPN", "ITA"]), headers=aus)
    assert problem(added) == (403, "FORBIDDEN")
    # Its id, taken: the same answer as for an id AUS is party to, and no fact of it.
    taken = c.post("/agreements", json=agreement("JPN-ITA", ["AUS", "NOR"]), headers=aus)
    visible = c.post("/agreements", json=agreement("JPN-AUS", ["AUS", "NOR"]), headers=aus)
    assert problem(taken) == problem(visible) == (409, "AGREEMENT_EXISTS")
    assert taken.text.replace("JPN-ITA", "JPN-AUS") == visible.text
    for fact in (jpn_ita["signed"], jpn_ita["title"], "ITA'", "2024"):
        assert fact not in taken.text.replace("'JPN-ITA'", ""), (fact, taken.text)
    assert (counts(), versions_of(api, "JPN-ITA")) == (before, versions)

    # Japan's fuel orders under it are checked against the text as it was.
    fuel = order_doc(agreement="JPN-ITA", requester="ITA", supplier="JPN")
    checked = c.post("/orders/check", json=fuel, headers=api.as_("JPN-requester"))
    assert checked.status_code == 200
    assert "CATEGORY_NOT_COVERED" not in {e["code"] for e in checked.json()["errors"]}
    # Japan's admin may amend it; Japan's auditors see that, Australia's and France's do not.
    mine = c.post("/agreements/JPN-ITA/versions", json=version("jpn"), headers=api.as_("JPN-admin"))
    assert mine.status_code == 201, mine.text
    for nation, sees in (("JPN", True), ("AUS", False), ("FRA", False)):
        records = c.get("/audit", params={"limit": 1000}, headers=api.as_(f"{nation}-auditor"))
        subjects = {r["subject"] for r in records.json()}
        assert ("agreement:JPN-ITA" in subjects) is sees, nation


def test_a_registry_keeper_changes_any_agreement_and_only_an_installation_admin_grants_it(
    api: Api, counts: Any
) -> None:
    c = keeper(api).client
    kept = api.as_("NOR-registry_keeper")
    listed = {a["id"] for a in c.get("/agreements", headers=kept).json()}
    assert {"JPN-AUS", "JPN-FRA", "JPN-ITA"} <= listed
    assert c.get("/agreements/JPN-AUS", headers=kept).status_code == 200
    added = c.post("/agreements", json=agreement("ITA-DEU", ["ITA", "DEU"]), headers=kept)
    assert added.status_code == 201, added.text
    amended = c.post("/agreements/JPN-AUS/versions", json=version("kept"), headers=kept)
    assert amended.status_code == 201, amended.text

    # The keeper's change of JPN-AUS is read by Japan's and Australia's auditors; not by
    # France's, nor by the keeper's own nation's (NOR is no party to it).
    for nation, sees in (("JPN", True), ("AUS", True), ("FRA", False), ("NOR", False)):
        records = c.get("/audit", params={"limit": 1000}, headers=api.as_(f"{nation}-auditor"))
        assert records.status_code == 200, records.text
        mine = [r for r in records.json() if r["subject"] == "agreement:JPN-AUS"]
        assert bool(mine) is sees, nation
        assert all(r["actor"] == "NOR-registry_keeper" for r in mine)
        itadeu = [r for r in records.json() if r["subject"] == "agreement:ITA-DEU"]
        assert itadeu == [], nation

    # A nation's admin may not make anyone a keeper, take the role or change a keeper.
    jpn_admin = api.as_("JPN-admin")
    before = counts()
    new_keeper = {"name": "JPN-keeper", "nation": "JPN", "roles": ["registry_keeper"]}
    made = c.post("/users", json=new_keeper, headers=jpn_admin)
    assert problem(made) == (403, "FORBIDDEN"), made.text
    granted = c.post(
        "/users/JPN-viewer", json={"roles": ["viewer", "registry_keeper"]}, headers=jpn_admin
    )
    assert problem(granted) == (403, "FORBIDDEN"), granted.text
    assert counts() == before
    assert c.get("/agreements/JPN-FRA", headers=api.as_("JPN-viewer")).status_code == 200
    assert c.get("/agreements/JPN-ITA", headers=api.as_("AUS-viewer")).status_code == 404
    nor = api.as_("NOR-installation")
    made = c.post(
        "/users", json={**new_keeper, "name": "NOR-keeper-2", "nation": "NOR"}, headers=nor
    )
    assert made.status_code == 201, made.text
    assert made.json()["roles"] == ["registry_keeper"]
    reset = c.post("/users/NOR-keeper-2", json={"password": "a-new-password-1"}, headers=nor)
    assert reset.status_code == 200, reset.text
    # NOR's plain admin (not an installation admin) may not take over the keeper's account.
    api.people.update(add_team(api.db_url, ["NOR-admin"]))
    takeover = c.post(
        "/users/NOR-registry_keeper",
        json={"password": "taken-over-1"},
        headers=api.as_("NOR-admin"),
    )
    assert problem(takeover) == (403, "FORBIDDEN"), takeover.text


def test_check_and_place_answer_the_same_for_a_hidden_agreement_and_the_remote_cli_too(
    api: Api, counts: Any, tmp_path: Path
) -> None:
    c = api.client
    cases = [
        ("FRA-requester", order_doc(requester="FRA", supplier="JPN")),  # JPN-AUS
        ("FRA-all", order_doc()),  # AUS requests from JPN: FRA party to neither
        ("AUS-all", order_doc(agreement="JPN-FRA", requester="FRA", supplier="JPN")),
        ("AUS-requester", order_doc(agreement="JPN-ITA", requester="AUS", supplier="JPN")),
    ]
    for name, doc in cases:
        who = api.as_(name)
        before = counts()
        check = c.post("/orders/check", json=doc, headers=who)
        place = c.post("/orders", json=doc, headers=who)
        assert problem(check) == (404, "AGREEMENT_NOT_FOUND"), (name, check.text)
        assert (place.status_code, place.headers["content-type"], place.json()) == (
            check.status_code,
            check.headers["content-type"],
            check.json(),
        ), name
        none = c.post("/orders", json={**doc, "agreement": NONE_SUCH}, headers=who)
        same_but_id(place, none, doc["agreement"])
        for fact in ("exercise", "fuel", '"clause":"', "2017", "in force"):
            assert fact not in check.text, (name, fact, check.text)
        assert counts() == before

        # The command through the server: the same refusal, exit 2, nothing of the agreement.
        path = tmp_path / "order.json"
        path.write_text(json.dumps(doc))
        env = {"ACSA_SERVER": api.server.base, "ACSA_TOKEN": api.people[name].token}
        for command in (("orders", "check"), ("orders", "new")):
            done = run(*command, "--file", str(path), "--json", env=env)
            assert done.code == 2, (name, command, done.stdout, done.stderr)
            assert "AGREEMENT_NOT_FOUND" in done.stdout + done.stderr, (name, done.stderr)
            assert "exercise" not in done.stdout + done.stderr
        assert counts() == before


@pytest.mark.parametrize(
    ("name", "changes", "codes"),
    [
        # The caller's nation is neither side: "no order None" (404) before.
        ("JPN-requester", {"requester": "FRA", "supplier": "AUS"}, ["PARTY_NOT_IN_AGREEMENT"]),
        ("AUS-requester", {"requester": "JPN", "supplier": "JPN"}, ["SAME_PARTY"]),
        ("JPN-all", {"requester": "JPN", "supplier": "JPN"}, ["SAME_PARTY"]),
        ("AUS-all", {"requester": "AUS", "supplier": "AUS"}, ["SAME_PARTY"]),
        ("JPN-requester", {"requester": "JPN", "supplier": "FRA"}, ["PARTY_NOT_IN_AGREEMENT"]),
        ("AUS-viewer", {"requester": "ITA", "supplier": "AUS"}, ["PARTY_NOT_IN_AGREEMENT"]),
    ],
)
def test_an_order_between_the_wrong_parties_is_refused_with_the_code_check_gives(
    api: Api, counts: Any, name: str, changes: dict[str, str], codes: list[str]
) -> None:
    c, who = api.client, api.as_(name)
    doc = order_doc(**changes)
    before = counts()
    checked = c.post("/orders/check", json=doc, headers=who)
    assert checked.status_code == 200, checked.text
    party_codes = {"PARTY_NOT_IN_AGREEMENT", "SAME_PARTY"}
    told = [e for e in checked.json()["errors"] if e["code"] in party_codes]
    placed = c.post("/orders", json=doc, headers=who)
    assert problem(placed) == (422, codes[0]), placed.text
    assert [e["code"] for e in placed.json()["errors"]] == codes
    assert placed.json()["errors"] == told
    assert "no order" not in placed.text
    assert counts() == before


def test_the_web_pages_show_a_hidden_agreement_as_none_and_its_audit_to_its_parties_only(
    api: Api,
) -> None:
    keeper(api)
    names = ("AUS-admin", "FRA-auditor", "AUS-auditor", "NOR-registry_keeper")
    engine = make_engine(api.db_url)
    try:
        for name in names:
            users.update_user(UnitOfWork(engine), name, "test", password=f"password-{name}")
    finally:
        engine.dispose()
    amended = api.client.post(
        "/agreements/JPN-AUS/versions", json=version("web"), headers=api.as_("JPN-admin")
    )
    assert amended.status_code == 201, amended.text
    base = api.server.base
    aus, kept = sign_in(base, "AUS-admin"), sign_in(base, "NOR-registry_keeper")
    registry = aus.get("/agreements")
    assert registry.status_code == 200
    assert "JPN-AUS" in registry.text
    assert "JPN-ITA" not in registry.text
    assert "JPN-FRA" not in registry.text
    hidden, none = aus.get("/agreements/JPN-ITA"), aus.get(f"/agreements/{NONE_SUCH}")
    assert hidden.status_code == none.status_code == 404
    assert "2024-11-25" not in hidden.text  # JPN-ITA's signing date
    assert hidden.text.replace("JPN-ITA", NONE_SUCH) == none.text
    assert "JPN-ITA" in kept.get("/agreements").text
    assert kept.get("/agreements/JPN-ITA").status_code == 200
    for nation, sees in (("AUS", True), ("FRA", False)):
        page = sign_in(base, f"{nation}-auditor").get("/audit")
        assert page.status_code == 200
        assert ("JPN-AUS" in page.text) is sees, nation
