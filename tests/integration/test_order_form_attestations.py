"""The order form prints the conditions of use of the governing text, as the registry records
them (never a hard-coded "written consent"), and what the order attests: the reason for cash,
the determination it cites, a declared period of hostilities, the warnings confirmed. Through
the real services on SQLite and PostgreSQL, and the PDF the CLI writes."""

from __future__ import annotations

import json
from copy import deepcopy
from datetime import UTC, datetime
from pathlib import Path

from pypdf import PdfReader

from acsa.adapters.db.unit_of_work import UnitOfWork
from acsa.adapters.exports.order_form import write_order_form
from acsa.commands import AddAgreement, PlaceOrder
from acsa.services.handlers import handle
from acsa.services.order_forms import order_form
from tests.attestations_data import AGREEMENT, CASH_REASON, add_test_agreement, attest_order

GENERATED = datetime(2019, 9, 30, 12, 0, tzinfo=UTC)
UN_CHARTER = "Use consistent with the Charter of the United Nations."
THIRD_PARTY = "No transfer to a third party without the supplying government's prior consent."


def pdf_text(path: Path) -> str:
    return "\n".join(page.extract_text() for page in PdfReader(path).pages)


def test_the_form_prints_the_texts_use_conditions_and_all_the_order_attests(
    db_url: str, uow: UnitOfWork, tmp_path: Path
) -> None:
    add_test_agreement(db_url)
    doc = attest_order(
        activity="other_activities",
        order_date="2019-07-10",
        needed_by="2019-07-12",
        determination="JPN-AUS determination 2019-03",
        determination_date="2019-06-28",
        hostilities=True,
        confirm=["IN_FORCE_DATE_UNCERTAIN"],
    )
    order, warnings = handle(uow, PlaceOrder.from_wire(doc), "Maj. A. Brown")
    assert warnings == []
    assert order.id is not None
    form = order_form(UnitOfWork(uow.engine, read_only=True), order.id, now=GENERATED)
    assert form.use_conditions == [UN_CHARTER, THIRD_PARTY]
    assert [(f.label, f.value) for f in form.attestations] == [
        ("Reason for cash", CASH_REASON),
        ("Determination", "JPN-AUS determination 2019-03 of 2019-06-28"),
        (
            "Hostilities",
            "declared by AUS: annual ceilings that do not apply then (10 U.S.C. 2347) are "
            "not counted",
        ),
        (
            "Warning confirmed",
            "IN_FORCE_DATE_UNCERTAIN: the agreement was in force on the order date, though the "
            "day its text entered into force is not known",
        ),
    ]
    # the JSON form carries them as it prints them
    dumped = json.loads(form.model_dump_json())
    assert dumped["use_conditions"] == [UN_CHARTER, THIRD_PARTY]
    assert "third_party_transfer" not in dumped

    text = " ".join(pdf_text(write_order_form(form, tmp_path / "form.pdf")).split())
    for words in (
        "9. Conditions of use",
        UN_CHARTER,
        THIRD_PARTY,
        "What the order attests",
        CASH_REASON,
        "JPN-AUS determination 2019-03 of 2019-06-28",
        "declared by AUS",
        "IN_FORCE_DATE_UNCERTAIN",
    ):
        assert words in text, words
    assert "written consent" not in text


def test_a_text_recording_no_use_conditions_says_so_and_a_plain_order_attests_nothing(
    uow: UnitOfWork, tmp_path: Path
) -> None:
    bare = deepcopy(AGREEMENT)
    bare["id"] = "JPN-AUS-BARE"
    bare["versions"][0].update(use_conditions=[], supplies_return_preferred=False)
    handle(uow, AddAgreement.from_wire(bare), "operator")
    order, _ = handle(
        uow,
        PlaceOrder.from_wire(attest_order(agreement="JPN-AUS-BARE", cash_reason=None)),
        "Maj. A. Brown",
    )
    assert order.id is not None
    form = order_form(UnitOfWork(uow.engine, read_only=True), order.id, now=GENERATED)
    assert (form.use_conditions, form.attestations) == ([], [])
    text = " ".join(pdf_text(write_order_form(form, tmp_path / "bare.pdf")).split())
    assert "The registry records no conditions of use for JPN-AUS-BARE (2019 text)." in text
    assert "What the order attests" not in text
    assert "third party" not in text
