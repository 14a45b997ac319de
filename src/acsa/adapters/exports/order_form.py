"""The order / receipt / invoice form as a PDF: every field of the standard form (ACSA.md,
"The order form"), the signatures from the order's history, the invoices and payments, the
settlements in kind, the attached documents, the conditions of use the governing text sets and
what the order attests (a reason for cash, a determination, hostilities, warnings confirmed)."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date, datetime
from decimal import Decimal, InvalidOperation
from pathlib import Path

from reportlab.lib import colors
from reportlab.lib.pagesizes import A4
from reportlab.lib.units import mm
from reportlab.platypus import KeepTogether, SimpleDocTemplate, Spacer, Table

from acsa.adapters.exports.formats import nation_name
from acsa.adapters.exports.pdf import (
    MARGIN,
    Flowable,
    data_table,
    fits,
    footer,
    number_cell,
    para,
    styles,
    text_cell,
)
from acsa.adapters.exports.text import clean
from acsa.domain.limits import NOTE_CHARS_MAX
from acsa.domain.money import Money, amount_text, money_text, quantity_text
from acsa.domain.vocabulary import ACTIVITIES, CATEGORIES
from acsa.schemas.reports import FormLine, OrderForm, Signature

TITLE = "ACSA order, receipt and invoice"
NONE = "-"
#: The font size of the lines table's cells.
LINE_SIZE = 7.0
#: The most characters of one text given in full in the last section (a text longer than
#: any the domain allows, stored before the bounds or behind acsa's back, is cut there too).
FULL_TEXT_CHARS_MAX = NOTE_CHARS_MAX


@dataclass
class _Full:
    """Texts too long for their cell: the cell shows them cut, with a mark, and the form's
    last section gives them in full (up to FULL_TEXT_CHARS_MAX characters)."""

    texts: list[tuple[str, str]] = field(default_factory=list)

    def check(self, label: str, text: str, width: float | None, size: float) -> str:
        """``text`` itself; noted to be given in full when its cell cannot show it whole."""
        if not fits(text, width, size):
            self.texts.append((label, text))
        return text


def write_order_form(form: OrderForm, path: Path) -> Path:
    """Write the form of ``form.order`` as an A4 PDF to ``path``."""
    order = form.order
    doc = SimpleDocTemplate(
        str(path),
        pagesize=A4,
        leftMargin=MARGIN,
        rightMargin=MARGIN,
        topMargin=MARGIN,
        bottomMargin=MARGIN + 3 * mm,
        title=f"{TITLE}: order {order.id}",
        author="acsa",
    )
    width = doc.width
    full = _Full()
    story: list[Flowable] = [
        para(f"{TITLE}: order {order.id}", "title"),
        para(
            f"Under {order.agreement} ({form.agreement_label}). Status: "
            f"{order.status.replace('_', ' ')}. Form generated "
            f"{_when(form.generated_at)}.",
            "small",
        ),
        *_section("1. Order", [*_order_fields(form, width, full), *_attested(form, width, full)]),
        *_section("2. Requesting and supplying nations", _parties(form, width)),
        *_section("3. Lines", _lines(form, width, full)),
        *_section("4. Signatures", _signatures(form.signatures, width)),
        *_section("5. Invoices and payments", _invoices(form, width)),
        *_section("6. Settlement in kind", _settlements(form, width, full)),
        *_section("7. Account", _account(form, width)),
        *_section("8. Attached documents", _documents(form, width)),
        *_section("9. Conditions of use", _use(form)),
        *_section("10. Record of events", _events(form, width)),
    ]
    if full.texts:
        story.extend(_section("11. Texts in full", _texts_in_full(full)))
    draw = footer(f"{TITLE}, order {order.id} (acsa)")
    doc.build(story, onFirstPage=draw, onLaterPages=draw)
    return path


def _section(title: str, body: list[Flowable]) -> list[Flowable]:
    return [KeepTogether([para(title, "heading"), *body[:1]]), *body[1:]]


def _when(moment: datetime | None) -> str:
    return moment.strftime("%Y-%m-%d %H:%M UTC") if moment else NONE


def _day(day: date | None) -> str:
    return day.isoformat() if day else NONE


def _text(value: str | None) -> str:
    return value if value else NONE


# --- 1. the order -----------------------------------------------------------------------------


def _order_fields(form: OrderForm, width: float, full: _Full) -> list[Flowable]:
    o = form.order
    activity = ACTIVITIES.get(o.activity, o.activity)
    fields: list[tuple[str, str]] = [
        ("Order number", str(o.id)),
        ("Partner's reference", _text(o.partner_reference)),
        ("Order date", o.order_date.isoformat()),
        ("Status", o.status.replace("_", " ")),
        ("Agreement", f"{o.agreement}: {form.agreement_title}"),
        (
            "Implementing text",
            f"version {form.agreement_version}, {form.agreement_label} "
            f"(governing on {o.order_date.isoformat()})",
        ),
        ("Settlement method", o.settlement.replace("_", " ")),
        ("Activity", f"{o.activity}: {activity}"),
        ("Operation or exercise", _text(o.operation)),
        ("Delivery place", o.location),
        ("Needed by", o.needed_by.isoformat()),
        ("Delivered on", _day(form.delivered_on)),
        ("Billing office / fund citation", _text(o.fund_citation)),
        ("Currency", o.currency),
        ("Exchange rate", form.rate),
        ("Rate date", _day(form.rate_date) if form.rate_date else "none"),
        ("Rate source", form.rate_source),
    ]
    if o.remarks:
        fields.append(("Remarks", o.remarks))
    return [
        _field_grid(
            fields,
            width,
            wide={"Agreement", "Implementing text", "Remarks", "Exchange rate", "Rate source"},
            full=full,
        )
    ]


def _field_grid(
    fields: Sequence[tuple[str, str]], width: float, wide: set[str], full: _Full | None = None
) -> Flowable:
    """Label and value pairs two to a row; a ``wide`` field takes a row of its own. A value
    too long for its cell is cut there, with a mark, and given in full at the end."""
    style = styles()
    label_width = 34 * mm
    value_width = width / 2 - label_width
    rows: list[list[Flowable | str]] = []
    spans: list[int] = []
    pending: list[Flowable | str] = []
    size = style["cell"].fontSize
    for label, value in fields:
        room = width - label_width if label in wide else value_width
        if full is not None:
            full.check(label, value, room, size)
        cells = [
            text_cell(label, label_width, style["cell_bold"]),
            text_cell(value, room, style["cell"]),
        ]
        if label in wide:
            if pending:
                rows.append([*pending, "", ""])
                pending = []
            spans.append(len(rows))
            rows.append([*cells, "", ""])
        elif pending:
            rows.append([*pending, *cells])
            pending = []
        else:
            pending = cells
    if pending:
        rows.append([*pending, "", ""])
    table = Table(rows, colWidths=[label_width, value_width, label_width, value_width])
    shade = colors.HexColor("#EEF3F8")
    commands: list[tuple[object, ...]] = [
        ("GRID", (0, 0), (-1, -1), 0.25, colors.HexColor("#9AA8B5")),
        ("BACKGROUND", (0, 0), (0, -1), shade),
        ("VALIGN", (0, 0), (-1, -1), "TOP"),
    ]
    for row, cells in enumerate(rows):
        if row in spans:
            commands.append(("SPAN", (1, row), (3, row)))
        elif cells[2] != "":
            commands.append(("BACKGROUND", (2, row), (2, row), shade))
    table.setStyle(commands)
    return table


# --- 2. the parties ---------------------------------------------------------------------------


def _parties(form: OrderForm, width: float) -> list[Flowable]:
    o = form.order
    rows = [
        ["Nation", nation_name(o.requester), nation_name(o.supplier)],
        ["Force", _text(form.forces.get(o.requester)), _text(form.forces.get(o.supplier))],
        ["Unit", _text(o.requester_unit), _text(o.supplier_unit)],
        [
            "Authorised official",
            _text(form.requesting_official),
            _text(form.supplying_official),
        ],
    ]
    third = width / 3
    return [data_table(["", "Requesting nation", "Supplying nation"], rows, widths=[third] * 3)]


# --- 3. the lines -----------------------------------------------------------------------------

LINE_HEADINGS = (
    "#",
    "category",
    "description",
    "NSN",
    "unit of issue",
    "requested",
    "accepted",
    "provided",
    "received",
    "returned",
    "unit price",
    "line total",
)


def _lines(form: OrderForm, width: float, full: _Full) -> list[Flowable]:
    currency = form.order.currency
    fixed = [6, 17, 0, 26, 10, 14, 14, 14, 14, 14, 15, 18]
    widths = [w * mm for w in fixed]
    widths[2] = width - sum(widths)
    for line in form.lines:
        full.check(f"Line {line.number}, description", line.description, widths[2], LINE_SIZE)
    rows = [_line_row(line) for line in form.lines]
    table = data_table(
        LINE_HEADINGS, rows, numeric=range(5, 12), widths=widths, header_size=5.5, size=LINE_SIZE
    )
    accepted = Money.zero(currency)
    for line in form.lines:
        quantity = line.requested if line.accepted is None else line.accepted
        accepted = accepted + Money.of_product(quantity, line.unit_price, currency)
    totals = [
        ["Order total (quantities requested)", money_text(form.order.total, currency)],
        ["Value accepted", money_text(accepted.amount, currency)],
        ["Value received", money_text(form.order.value_received, currency)],
    ]
    story: list[Flowable] = [table, Spacer(1, 2 * mm), _totals(totals)]
    short = [line for line in form.lines if line.short > 0]
    story.extend(
        para(
            f"Line {line.number}: {quantity_text(line.short)} {line.unit} provided but not "
            "received (discrepancy noted on receipt).",
            "small",
        )
        for line in short
    )
    return story


def _line_row(line: FormLine) -> list[str]:
    category = CATEGORIES.get(line.category, (line.category, None))[0]
    return [
        str(line.number),
        category,
        line.description,
        line.nsn or NONE,
        line.unit,
        quantity_text(line.requested),
        quantity_text(line.accepted) or NONE,
        quantity_text(line.provided),
        quantity_text(line.received),
        quantity_text(line.returned),
        amount_text(line.unit_price, line.currency),
        amount_text(line.total, line.currency),
    ]


def _totals(rows: list[list[str]]) -> Flowable:
    style = styles()
    body = [
        [
            text_cell(label, 60 * mm, style["cell_bold"]),
            number_cell(v, 40 * mm, style["cell_right"]),
        ]
        for label, v in rows
    ]
    table = Table(body, colWidths=[60 * mm, 40 * mm], hAlign="RIGHT")
    table.setStyle([("LINEBELOW", (0, 0), (-1, -1), 0.25, colors.HexColor("#9AA8B5"))])
    return table


# --- 4. signatures ----------------------------------------------------------------------------


def _signatures(signatures: Sequence[Signature], width: float) -> list[Flowable]:
    rows = [
        [
            s.role,
            nation_name(s.nation),
            s.name or "not signed",
            _when(s.at),
            "recorded in acsa" if s.name else "",
        ]
        for s in signatures
    ]
    widths = [38 * mm, 28 * mm, 0, 34 * mm, 26 * mm]
    widths[2] = width - sum(widths)
    return [data_table(["role", "nation", "name", "time", "signature"], rows, widths=widths)]


# --- 5 to 8. invoices, settlements, account, documents ----------------------------------------


def _invoices(form: OrderForm, width: float) -> list[Flowable]:
    if not form.invoices:
        return [para("No invoice issued.")]
    rows = [
        [
            i.number,
            i.kind,
            f"{i.issuer} to {i.debtor}",
            i.issued.isoformat(),
            i.due.isoformat(),
            money_text(i.amount, i.currency),
            amount_text(i.paid, i.currency),
            amount_text(i.unpaid, i.currency),
            i.status,
        ]
        for i in form.invoices
    ]
    headings = [
        "invoice",
        "kind",
        "from / to",
        "issued",
        "due",
        "amount",
        "paid",
        "unpaid",
        "status",
    ]
    fixed = [30, 14, 20, 18, 18, 28, 0, 22, 14]
    widths = [w * mm for w in fixed]
    widths[6] = width - sum(widths)
    story = [data_table(headings, rows, numeric=range(5, 8), widths=widths)]
    payments = [
        [
            i.number,
            p.paid.isoformat(),
            _text(p.reference),
            money_text(p.amount, p.currency),
            p.actor,
        ]
        for i in form.invoices
        for p in i.payments
    ]
    if payments:
        rest = width - 78 * mm
        story.extend(
            [
                Spacer(1, 2 * mm),
                data_table(
                    ["payment of invoice", "paid on", "reference", "amount", "recorded by"],
                    payments,
                    numeric=[3],
                    widths=[30 * mm, 20 * mm, rest * 0.4, 28 * mm, rest * 0.6],
                ),
            ]
        )
    else:
        story.append(para("No payment recorded.", "small"))
    return story


def _settlements(form: OrderForm, width: float, full: _Full) -> list[Flowable]:
    if not form.settlements:
        return [para("None recorded.")]
    rows = [
        [
            str(s.id),
            s.kind,
            s.effective.isoformat(),
            money_text(s.value, s.currency),
            "; ".join(_settled_line(line) for line in s.lines) or NONE,
            _text(s.agreed_by),
            _text(s.note),
        ]
        for s in form.settlements
    ]
    widths = [10 * mm, 22 * mm, 20 * mm, 28 * mm, 0, 28 * mm, 30 * mm]
    widths[4] = width - sum(widths)
    size = styles()["cell"].fontSize
    for s, row in zip(form.settlements, rows, strict=True):
        full.check(f"Settlement {s.id}, what was returned", row[4], widths[4], size)
        full.check(f"Settlement {s.id}, agreed by", row[5], widths[5], size)
        full.check(f"Settlement {s.id}, note", row[6], widths[6], size)
    return [
        data_table(
            ["#", "kind", "date", "value", "what was returned", "agreed by", "note"],
            rows,
            numeric=[3],
            widths=widths,
        )
    ]


def _settled_line(line: dict[str, object]) -> str:
    """``line 1: 6,000 fuel`` for a replacement; ``2 EA training (value 10,000)`` for an
    exchange."""
    try:
        quantity = quantity_text(Decimal(str(line.get("quantity", "0"))))
    except (InvalidOperation, ValueError):  # a stored line no longer as acsa writes them
        quantity = str(line.get("quantity", ""))
    if "line" in line:
        return f"line {line['line']}: {quantity} {line.get('category', '')}".strip()
    value = line.get("value", "")
    return f"{quantity} {line.get('unit', '')} {line.get('description', '')} (value {value})"


def _account(form: OrderForm, width: float) -> list[Flowable]:
    a = form.account
    if a is None:
        return [para("No account.")]
    c = a.currency
    fields = [
        ("Received", money_text(a.received, c)),
        ("Invoiced", money_text(a.invoiced, c)),
        ("Paid", money_text(a.paid, c)),
        ("Settled in kind", money_text(a.settled_in_kind, c)),
        ("Converted to cash", money_text(a.converted, c)),
        ("Not yet invoiced", money_text(a.uninvoiced, c)),
        ("Owed in cash", money_text(a.owed_in_cash, c)),
        ("Awaiting replacement", money_text(a.awaiting_replacement, c)),
        ("Replacement deadline", _day(a.replacement_deadline)),
        ("Settled", "yes" if a.settled else "no"),
    ]
    return [_field_grid(fields, width, wide=set())]


def _documents(form: OrderForm, width: float) -> list[Flowable]:
    if not form.documents:
        return [para("No documents attached: no invoice, payment or settlement yet.")]
    rows = [
        [d.kind, d.reference, d.day.isoformat(), money_text(d.amount, d.currency), d.detail]
        for d in form.documents
    ]
    widths = [30 * mm, 40 * mm, 22 * mm, 32 * mm, 0]
    widths[4] = width - sum(widths)
    return [data_table(["document", "reference", "date", "amount", "detail"], rows, [3], widths)]


def _use(form: OrderForm) -> list[Flowable]:
    """The conditions of use the governing text sets, as the registry records them."""
    supplier = nation_name(form.order.supplier)
    if not form.use_conditions:
        return [
            para(
                f"The registry records no conditions of use for {form.order.agreement} "
                f"({form.agreement_label}).",
            )
        ]
    return [
        *(para(condition) for condition in form.use_conditions),
        para(
            f"Supplying government: {supplier}. Consent to transfer to a third party for "
            "this order: none recorded.",
            "small",
        ),
    ]


def _attested(form: OrderForm, width: float, full: _Full) -> list[Flowable]:
    """What the order attests beyond its terms (nothing when it attests nothing)."""
    if not form.attestations:
        return []
    facts = [(fact.label, fact.value) for fact in form.attestations]
    return [
        Spacer(1, 2 * mm),
        para("What the order attests", "cell_bold"),
        _field_grid(facts, width, wide={label for label, _ in facts}, full=full),
    ]


def _texts_in_full(full: _Full) -> list[Flowable]:
    """The texts cut in the tables above, each under its label (a text longer than
    FULL_TEXT_CHARS_MAX characters is cut here too, with the same mark)."""
    story: list[Flowable] = [
        para("These texts are too long for their place in the form above.", "small")
    ]
    for label, text in full.texts:
        story.append(para(label, "cell_bold"))
        story.append(para(clean(text, FULL_TEXT_CHARS_MAX), "body"))
    return story


def _events(form: OrderForm, width: float) -> list[Flowable]:
    rows = [
        [
            str(e.seq),
            _when(e.at),
            e.actor,
            e.action,
            e.to_status.replace("_", " "),
        ]
        for e in form.order.history
    ]
    widths = [8 * mm, 34 * mm, 0, 22 * mm, 30 * mm]
    widths[2] = width - sum(widths)
    return [data_table(["#", "time", "by", "action", "status after"], rows, widths=widths)]
