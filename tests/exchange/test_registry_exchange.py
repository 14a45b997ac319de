"""One registry between two nodes: an agreement's amendment and an official rate recorded on one
node reach the other as signed documents and show as differences until the other records the
same; a partner's order under a version only the partner holds is refused as REGISTRY_DIFFERS,
naming both versions, and taken once both registries hold it."""

from __future__ import annotations

import json
from typing import Any

from sqlalchemy import select

from acsa.adapters.db import tables as t
from acsa.adapters.db.engine import make_engine
from acsa.adapters.signing import parse_public, verify
from acsa.domain.documents import parse_wire
from tests.exchange.nodes import Node, acsa, wait_for
from tests.orders_data import order_doc

#: An amendment of JPN-AUS that adds calibration services to the 2017 text's categories.
AMENDMENT: dict[str, Any] = {
    "label": "2026 amendment",
    "kind": "amendment",
    "signed": "2026-06-01",
    "in_force": "2026-07-01",
    "activities": [
        "exercise",
        "un_peacekeeping",
        "humanitarian_relief",
        "disaster_response",
        "evacuation_of_nationals",
        "routine",
    ],
    "categories": ["food", "water", "fuel", "billeting", "transportation", "calibration"],
    "excluded": ["weapons"],
    "settlement_methods": ["cash", "replacement_in_kind", "equal_value_exchange"],
}

CALIBRATION = {
    "category": "calibration",
    "description": "Calibration of test equipment",
    "quantity": "4",
    "unit": "EA",
    "unit_price": "25000",
    "currency": "JPY",
}


def _differences(node: Node, partner: str) -> list[dict[str, Any]]:
    found: list[dict[str, Any]] = node.call("auditor", "GET", f"/partners/{partner}/registry")[
        "differences"
    ]
    return found


def _agreement_differences(node: Node, partner: str) -> list[dict[str, Any]]:
    return [d for d in _differences(node, partner) if d["key"].startswith("JPN-AUS#")]


def _signed_documents(receiver: Node, sender: Node, kind: str) -> list[dict[str, Any]]:
    """The registry documents of ``kind`` ``receiver`` holds from ``sender``, each verified
    against ``sender``'s public key."""
    engine = make_engine(receiver.db_url)
    d = t.documents.c
    with engine.connect() as conn:
        wires = conn.execute(
            select(d.wire).where(d.kind == kind, d.issuer == sender.nation).order_by(d.seq)
        ).scalars()
        found = [str(w) for w in wires]
    engine.dispose()
    key = parse_public(sender.public_key)
    for wire in found:
        doc = parse_wire(wire.encode())
        assert verify(key, doc.signed_bytes(), doc.signature)
        assert doc.key == sender.fingerprint
    return [json.loads(w) for w in found]


def test_an_amendment_reaches_the_partner_and_differs_until_it_records_the_same(
    nodes: tuple[Node, Node],
) -> None:
    aus, jpn = nodes
    # Nothing received from AUS yet: JPN's versions are held here only, as far as JPN knows.
    before = _agreement_differences(jpn, "AUS")
    assert [(d["key"], d["only"]) for d in before] == [("JPN-AUS#1", "ours"), ("JPN-AUS#2", "ours")]
    aus.call("admin", "POST", "/agreements/JPN-AUS/versions", json=AMENDMENT)

    # JPN's node holds AUS's signed document of every version of JPN-AUS, and shows the
    # amendment as held by AUS only.
    def theirs_only() -> list[dict[str, Any]]:
        return [d for d in _agreement_differences(jpn, "AUS") if d["only"] != "ours"]

    wait_for(theirs_only, what="the amendment at JPN")
    [only] = _agreement_differences(jpn, "AUS")
    assert (only["key"], only["field"], only["only"]) == ("JPN-AUS#3", None, "theirs")
    assert only["theirs"] == "2026 amendment (signed 2026-06-01)"
    [document] = _signed_documents(jpn, aus, "agreement")
    assert [v["label"] for v in document["body"]["versions"]] == [
        "2010 text",
        "2017 text",
        "2026 amendment",
    ]
    shown = acsa("partners", "registry", "AUS", "--db", jpn.db_url)
    assert [(d["key"], d["only"]) for d in shown["differences"]] == [("JPN-AUS#3", "theirs")]

    # JPN records the same amendment: no difference left on either node.
    jpn.call("admin", "POST", "/agreements/JPN-AUS/versions", json=AMENDMENT)
    wait_for(lambda: _signed_documents(aus, jpn, "agreement"), what="JPN's versions on AUS's node")
    assert _agreement_differences(jpn, "AUS") == []
    assert _agreement_differences(aus, "JPN") == []


def test_an_order_under_a_version_only_one_side_holds_is_refused_as_registry_differs(
    nodes: tuple[Node, Node],
) -> None:
    aus, jpn = nodes
    aus.call("admin", "POST", "/agreements/JPN-AUS/versions", json=AMENDMENT)
    wait_for(
        lambda: [d for d in _agreement_differences(jpn, "AUS") if d["only"] == "theirs"],
        what="the amendment at JPN",
    )

    # Calibration is covered by AUS's amendment only: JPN's rules refuse the order once it is
    # submitted, and say it is because the two registries differ, naming both versions.
    placed = aus.call("requester", "POST", "/orders", json=order_doc(lines=[CALIBRATION]))

    def refused() -> list[dict[str, Any]]:
        status = aus.call("auditor", "GET", "/courier/status")
        return [r for r in status["refused"] if r["order"] == placed["uid"]]

    aus.call("requester", "POST", f"/orders/{placed['id']}/submit")
    [entry] = wait_for(refused, what="the submission's refusal")
    assert entry["code"] == "REGISTRY_DIFFERS", entry
    assert "JPN-AUS#2 (2017 text)" in entry["error"]
    assert "JPN-AUS#3 (2026 amendment)" in entry["error"]
    assert "in force on 2026-10-01" in entry["error"]
    assert entry["kind"] == "submit"
    draft = jpn.order_by_uid(placed["uid"])
    assert draft is not None
    assert draft["status"] == "draft"

    # Once JPN records the same amendment, the submission sent again is taken.
    jpn.call("admin", "POST", "/agreements/JPN-AUS/versions", json=AMENDMENT)
    aus.call("admin", "POST", f"/courier/documents/{entry['document']}/resend")
    wait_for(
        lambda: (jpn.order_by_uid(placed["uid"]) or {}).get("status") == "submitted",
        what="the submitted order on JPN's node",
    )


def _set_rate(node: Node, rate: dict[str, Any], value: str) -> None:
    """``node``'s operator records ``rate`` at ``value`` (a partner's rate: not its admin's)."""
    nation, year, currency = rate["nation"], str(rate["fiscal_year"]), rate["currency"]
    args = ("rates", "official", "set", nation, year, currency, value)
    acsa(*args, "--source", rate["source"], "--db", node.db_url)


def test_an_official_rate_reaches_the_partner_and_differs_until_it_records_the_same(
    nodes: tuple[Node, Node],
) -> None:
    aus, jpn = nodes
    rate = {
        "nation": "AUS",
        "fiscal_year": 2026,
        "currency": "JPY",
        "rate": "0.0105",
        "source": "Department of Finance, FY2026 budget rates",
    }
    aus.call("admin", "POST", "/rates/official", json=rate)

    def rate_differences() -> list[dict[str, Any]]:
        return [d for d in _differences(jpn, "AUS") if d["kind"] == "rate"]

    [only] = wait_for(rate_differences, what="AUS's rate at JPN")
    assert (only["key"], only["only"]) == ("AUS/2026/JPY", "theirs")
    [document] = _signed_documents(jpn, aus, "rate")
    assert document["body"]["rate"] == "0.0105"

    # JPN's operator records another rate for the same year: a difference of that field.
    _set_rate(jpn, rate, "0.0106")
    [changed] = wait_for(
        lambda: [d for d in rate_differences() if d["field"] == "rate"], what="the rate's field"
    )
    assert (changed["ours"], changed["theirs"]) == ("0.0106", "0.0105")

    # The same rate on both: no difference on either node.
    _set_rate(jpn, rate, "0.0105")
    wait_for(lambda: not rate_differences(), what="no rate difference at JPN")
    wait_for(
        lambda: not [d for d in _differences(aus, "JPN") if d["kind"] == "rate"],
        what="no rate difference at AUS",
    )
