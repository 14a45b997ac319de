"""Corrections in the pages, through a real ``acsa serve`` over SQLite and PostgreSQL: the
settlement page's forms to reverse a payment, void an invoice and issue a credit note, each
shown only to those who may use it, each refusal shown with its reason and nothing changed,
each correction listed on the page and its money on both nations' ledgers."""

from __future__ import annotations

from decimal import Decimal

from tests.e2e.test_web_finance import EN, TOTAL, Site, _balance, rows, site, text_of

__all__ = ["site"]


def test_reverse_void_and_credit_in_the_pages(site: Site) -> None:
    oid = site.received_order()
    jpn, aus = site.browser("JPN-finance"), site.browser("AUS-finance")
    page = f"/orders/{oid}/settlement"
    jpn.follow(jpn.post(f"{page}/invoice", {"issued": ""}))
    [invoice] = site.invoices(oid)
    number = invoice["number"]
    # Nothing paid yet: the supplier's finance may void and credit; no payment to reverse.
    mine = jpn.get(page).text
    assert f'action="{page}/void"' in mine
    assert f'action="{page}/credit"' in mine
    assert f'action="{page}/reversal"' not in mine
    # The requester's finance pays; it may not void, credit or reverse: the supplier's may.
    paid = {"invoice": number, "amount": "1000", "paid": invoice["issued"]}
    aus.follow(aus.post(f"{page}/payment", paid))
    theirs = aus.get(page).text
    assert f'action="{page}/void"' not in theirs
    assert f'action="{page}/credit"' not in theirs
    assert f'action="{page}/reversal"' not in theirs
    assert f'action="{page}/reversal"' in jpn.get(page).text

    # A payment stands: the void is refused with its reason, and nothing changes.
    refused = jpn.post(f"{page}/void", {"invoice": number, "reason": "wrong citation"})
    assert refused.status_code == 409
    assert "Payments stand against the invoice: reverse them first, then void it." in refused.text
    assert site.invoices(oid)[0]["status"] == "open"
    # A reason is required.
    [payment] = site.invoices(oid)[0]["payments"]
    blank = jpn.post(f"{page}/reversal", {"payment": str(payment["id"]), "reason": " "})
    assert blank.status_code == 422
    assert site.invoices(oid)[0]["paid"] == "1000"

    done = jpn.follow(
        jpn.post(f"{page}/reversal", {"payment": str(payment["id"]), "reason": "sent twice"})
    )
    assert f"Payment reversed on invoice {number}." in done.text
    [reversal] = rows(done.text, "corrections")
    assert reversal[0] == number
    assert "payment 1 reversed" in reversal[1]
    assert reversal[4] == "sent twice"
    assert "reversed" in text_of(done.text)
    assert _balance(jpn.get("/ledger").text, "AUS")[2] == EN.money(TOTAL, "JPY")

    voided = jpn.follow(jpn.post(f"{page}/void", {"invoice": number, "reason": "wrong citation"}))
    assert f"Invoice {number} voided." in voided.text
    assert site.invoices(oid)[0]["status"] == "void"
    # Invoiced again for what the void left uninvoiced, then a credit note off it.
    jpn.follow(jpn.post(f"{page}/invoice", {"issued": ""}))
    again = next(i for i in site.invoices(oid) if i["status"] != "void")
    assert Decimal(again["amount"]) == TOTAL
    too_much = jpn.post(
        f"{page}/credit", {"invoice": again["number"], "amount": str(TOTAL + 1), "reason": "x"}
    )
    assert too_much.status_code == 409
    assert "A credit note may take off at most what is unpaid on the invoice." in too_much.text
    credited = jpn.follow(
        jpn.post(
            f"{page}/credit",
            {"invoice": again["number"], "amount": "80,020", "reason": "water price agreed"},
        )
    )
    assert f"Credit note issued against invoice {again['number']}." in credited.text
    left = EN.money(TOTAL - 80_020, "JPY")
    assert _balance(jpn.get("/ledger").text, "AUS")[2] == left
    assert _balance(aus.get("/ledger").text, "JPN")[3] == left
    kinds = [r[1] for r in rows(credited.text, "corrections")]
    assert kinds[0].startswith("payment 1 reversed")
    assert kinds[1] == "invoice voided"
    assert kinds[2].startswith("credit note JPN-CN-")
    for browser in (jpn, aus):
        browser.close()
