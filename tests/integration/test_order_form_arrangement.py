"""The order form of an order naming an implementing arrangement prints its reference, the
supplier's billing office and the requester's paying office (name and address) and both
sides' points of contact; its invoices say where they go. Through the real services on SQLite
and PostgreSQL and the PDF read back, in English and in Japanese."""

from __future__ import annotations

from datetime import UTC, date, datetime
from pathlib import Path

import pytest
from pypdf import PdfReader

from acsa.adapters.db.unit_of_work import UnitOfWork
from acsa.adapters.exports.order_form import write_order_form
from acsa.commands import IssueInvoice
from acsa.services.handlers import handle
from acsa.services.order_forms import order_form
from tests.integration.test_arrangements import REFERENCE, add
from tests.integration.test_settlement import received_order

GENERATED = datetime(2026, 3, 20, 12, 0, tzinfo=UTC)


def pdf_text(path: Path) -> str:
    text = "\n".join(page.extract_text() for page in PdfReader(path).pages)
    return " ".join(text.split())


@pytest.mark.parametrize("lang", ["en", "ja"])
def test_the_form_prints_the_billing_office_and_points_of_contact(
    uow: UnitOfWork, tmp_path: Path, lang: str
) -> None:
    add(uow)
    order_id = received_order(uow, arrangement=REFERENCE)
    handle(uow, IssueInvoice(order_id=order_id, issued=date(2026, 3, 11)), "Ms Harris")
    form = order_form(UnitOfWork(uow.engine, read_only=True), order_id, now=GENERATED)
    named = form.arrangement
    assert named is not None
    assert named.reference == REFERENCE
    assert named.supplier_billing_office is not None
    assert named.supplier_billing_office.name == "MOD Accounting Division"
    assert [c.name for c in named.requester_contacts] == ["Ms P. Harris"]
    assert [c.name for c in named.supplier_contacts] == ["Maj. T. Ono", "Lt Cdr R. Kondo"]
    [invoice] = form.invoices
    assert invoice.bill_to is not None
    assert invoice.bill_to.name == "Defence Finance Group, Accounts Payable"

    text = pdf_text(write_order_form(form, tmp_path / f"form-{lang}.pdf", lang=lang))
    label = {"en": "Implementing arrangement", "ja": "実施取決め"}[lang]
    for words in (
        label,
        REFERENCE,
        "MOD Accounting Division",
        "5-1 Ichigaya-Honmuracho",
        "Shinjuku-ku, Tokyo 162-8801",
        "billing@mod.example.jp",
        "Defence Finance Group, Accounts Payable",
        "Canberra ACT 2600",
        "Ms P. Harris",
        "p.harris@defence.example.au",
        "Maj. T. Ono",
        "Lt Cdr R. Kondo",
    ):
        assert words in text, words
    billing = {"en": "Billing office", "ja": "請求事務所"}[lang]
    contacts = {"en": "Points of contact", "ja": "連絡担当者"}[lang]
    assert billing in text
    assert contacts in text


def test_an_order_naming_no_arrangement_prints_none(uow: UnitOfWork, tmp_path: Path) -> None:
    add(uow)
    order_id = received_order(uow)
    form = order_form(UnitOfWork(uow.engine, read_only=True), order_id, now=GENERATED)
    assert form.arrangement is None
    text = pdf_text(write_order_form(form, tmp_path / "form.pdf"))
    assert "MOD Accounting Division" not in text
    assert "Implementing arrangement" not in text
