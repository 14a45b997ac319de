"""The JSON of implementing arrangements (``acsa.domain.arrangements``): what the API answers
and `acsa arrangements ... --json` prints; a document to add one is the same shape without
``status`` and ``id`` (``arrangements add --file``)."""

from __future__ import annotations

from datetime import date
from typing import Any

from pydantic import BaseModel, Field

from acsa.domain.arrangements import Arrangement, Office, Side
from acsa.schemas.orders import DecimalStr


class OfficeOut(BaseModel):
    name: str
    address: list[str]
    email: str


class ContactOut(BaseModel):
    name: str
    position: str
    email: str
    phone: str


class SideOut(BaseModel):
    party: str
    billing_office: OfficeOut | None
    paying_office: OfficeOut | None
    contacts: list[ContactOut]
    fund_citation: str | None


class ArrangementCeilingOut(BaseModel):
    currency: str
    amount: DecimalStr
    period: str = Field(description="fiscal_year (of the acquiring party) or total.")
    applies_to: str
    party: str | None = Field(description="The acquiring party it caps; null: each party.")
    note: str


class ArrangementOut(BaseModel):
    """One implementing arrangement, with its status on the day asked."""

    agreement: str
    reference: str
    title: str
    signed: date
    in_force: date
    ended: date | None
    status: str = Field(description="signed (not yet in force), in_force or ended.")
    payment_term_days: int
    sides: list[SideOut]
    ceilings: list[ArrangementCeilingOut]
    notes: str


def _office(office: Office | None) -> OfficeOut | None:
    if office is None:
        return None
    return OfficeOut(name=office.name, address=list(office.address), email=office.email)


def side_out(side: Side) -> SideOut:
    return SideOut(
        party=side.party,
        billing_office=_office(side.billing_office),
        paying_office=_office(side.paying_office),
        contacts=[
            ContactOut(name=c.name, position=c.position, email=c.email, phone=c.phone)
            for c in side.contacts
        ],
        fund_citation=side.fund_citation,
    )


def arrangement_out(a: Arrangement, on: date) -> ArrangementOut:
    return ArrangementOut(
        agreement=a.agreement_id,
        reference=a.reference,
        title=a.title,
        signed=a.signed,
        in_force=a.in_force,
        ended=a.ended,
        status=a.status_on(on),
        payment_term_days=a.payment_term_days,
        sides=[side_out(s) for s in a.sides],
        ceilings=[
            ArrangementCeilingOut(
                currency=c.currency,
                amount=c.amount,
                period=c.period,
                applies_to=c.applies_to,
                party=c.party,
                note=c.note,
            )
            for c in a.ceilings
        ],
        notes=a.notes,
    )


def as_document(out: ArrangementOut) -> dict[str, Any]:
    """An answer back as the document `arrangements add --file` takes (sides by party)."""
    data = out.model_dump(mode="json", exclude={"status", "agreement"})
    data["sides"] = {s.pop("party"): s for s in data["sides"]}
    return data


class FormArrangement(BaseModel):
    """The implementing arrangement an order names, as its form prints it: the reference
    (always), and when this node holds the arrangement its title, the supplier's billing
    office (that bills the order), the requester's paying office (that pays it) and both
    sides' points of contact."""

    reference: str
    title: str | None = None
    payment_term_days: int | None = None
    supplier_billing_office: OfficeOut | None = None
    requester_paying_office: OfficeOut | None = None
    requester_contacts: list[ContactOut] = []
    supplier_contacts: list[ContactOut] = []


def form_arrangement(
    reference: str, found: Arrangement | None, requester: str, supplier: str
) -> FormArrangement:
    if found is None:
        return FormArrangement(reference=reference)
    req, sup = side_out(found.side(requester)), side_out(found.side(supplier))
    return FormArrangement(
        reference=reference,
        title=found.title,
        payment_term_days=found.payment_term_days,
        supplier_billing_office=sup.billing_office,
        requester_paying_office=req.paying_office,
        requester_contacts=req.contacts,
        supplier_contacts=sup.contacts,
    )
