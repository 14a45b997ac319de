"""The order / receipt / invoice form as a PDF, in the reader's language: every field of the
standard form (ACSA.md, "The order form"), the signatures from the order's history (each with
the signer's name, rank, position and unit, and a block for a handwritten signature and date),
the invoices and payments, the settlements in kind, the attached documents, the conditions of
use the governing text sets and what the order attests (a reason for cash, a determination,
hostilities, warnings confirmed). In Japanese the form embeds IPAexGothic."""

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

from acsa.adapters.exports.formats import nation_name, term_text
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
from acsa.domain.messages import t
from acsa.domain.money import Money, amount_text, money_text, quantity_text
from acsa.domain.vocabulary import ACTIVITIES, CATEGORIES
from acsa.i18n import gettext, say
from acsa.schemas.arrangements import ContactOut, OfficeOut
from acsa.schemas.reports import FormLine, OrderForm, Said, Signature

TITLE = t("ACSA order, receipt and invoice")
NONE = "-"
#: The font size of the lines table's cells.
LINE_SIZE = 7.0
#: The most characters of one text given in full in the last section (a text longer than
#: any the domain allows, stored before the bounds or behind acsa's back, is cut there too).
FULL_TEXT_CHARS_MAX = NOTE_CHARS_MAX
#: The height of a signature row: room to sign by hand.
SIGNATURE_ROW_HEIGHT = 16 * mm


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


@dataclass
class _Form:
    """One form being written: its data, its reader's language, its texts to give in full."""

    form: OrderForm
    lang: str
    width: float
    full: _Full = field(default_factory=_Full)

    def w(self, text: str) -> str:
        """A fixed word or label (an English message id) in the reader's language."""
        return gettext(self.lang, text) if text else ""

    def say(self, template: str, **params: object) -> str:
        return say(template, self.lang, params)

    def term(self, key: str) -> str:
        """A word of the vocabulary (a status, a kind, a settlement method)."""
        return term_text(key, self.lang)

    def nation(self, code: str) -> str:
        return nation_name(code, self.lang)

    def para(self, text: str, style: str = "body") -> Flowable:
        return para(text, style, self.lang)

    def table(
        self,
        headings: Sequence[str],
        rows: Sequence[Sequence[str]],
        numeric: Sequence[int] = (),
        widths: Sequence[float] | None = None,
        header_size: float = 7.5,
        size: float = 7.5,
    ) -> Flowable:
        return data_table(
            [self.w(h) for h in headings],
            rows,
            numeric=numeric,
            widths=widths,
            header_size=header_size,
            size=size,
            lang=self.lang,
        )

    def section(self, title: str, body: list[Flowable]) -> list[Flowable]:
        return [KeepTogether([self.para(self.w(title), "heading"), *body[:1]]), *body[1:]]


def write_order_form(form: OrderForm, path: Path, lang: str = "en") -> Path:
    """Write the form of ``form.order`` as an A4 PDF to ``path``, in ``lang``."""
    order = form.order
    title = say(
        t("{title}: order {order}"), lang, {"title": gettext(lang, TITLE), "order": order.id}
    )
    doc = SimpleDocTemplate(
        str(path),
        pagesize=A4,
        leftMargin=MARGIN,
        rightMargin=MARGIN,
        topMargin=MARGIN,
        bottomMargin=MARGIN + 3 * mm,
        title=title,
        author="acsa",
        lang=lang,
    )
    f = _Form(form, lang, doc.width)
    story: list[Flowable] = [
        f.para(title, "title"),
        f.para(
            f.say(
                t("Under {agreement} ({label}). Status: {status}. Form generated {at}."),
                agreement=order.agreement,
                label=form.agreement_label,
                status=f.term(order.status),
                at=_when(form.generated_at),
            ),
            "small",
        ),
        *f.section(t("1. Order"), [*_order_fields(f), *_attested(f)]),
        *f.section(t("2. Requesting and supplying nations"), _parties(f)),
        *f.section(t("3. Lines"), _lines(f)),
        *f.section(t("4. Signatures"), [*_signatures(f, form.signatures), *_approved(f)]),
        *f.section(t("5. Invoices and payments"), _invoices(f)),
        *f.section(t("6. Settlement in kind"), _settlements(f)),
        *f.section(t("7. Account"), _account(f)),
        *f.section(t("8. Attached documents"), _documents(f)),
        *f.section(t("9. Conditions of use"), _use(f)),
        *f.section(t("10. Record of events"), _events(f)),
    ]
    if f.full.texts:
        story.extend(f.section(t("11. Texts in full"), _texts_in_full(f)))
    mark = say(
        t("{title}, order {order} (acsa)"), lang, {"title": gettext(lang, TITLE), "order": order.id}
    )
    draw = footer(mark, lang)
    doc.build(story, onFirstPage=draw, onLaterPages=draw)
    return path


def _when(moment: datetime | None) -> str:
    return moment.strftime("%Y-%m-%d %H:%M UTC") if moment else NONE


def _day(day: date | None) -> str:
    return day.isoformat() if day else NONE


def _text(value: str | None) -> str:
    return value if value else NONE


# --- 1. the order -----------------------------------------------------------------------------


def _order_fields(f: _Form) -> list[Flowable]:
    form, o = f.form, f.form.order
    activity = ACTIVITIES.get(o.activity, o.activity) if f.lang == "en" else f.term(o.activity)
    fields: list[tuple[str, str]] = [
        (t("Order number"), str(o.id)),
        (t("Partner's reference"), _text(o.partner_reference)),
        (t("Order date"), o.order_date.isoformat()),
        (t("Status"), f.term(o.status)),
        (t("Agreement"), f"{o.agreement}: {form.agreement_title}"),
        (
            t("Implementing text"),
            f.say(
                t("version {version}, {label} (governing on {day})"),
                version=form.agreement_version,
                label=form.agreement_label,
                day=o.order_date,
            ),
        ),
        (t("Settlement method"), f.term(o.settlement)),
        (t("Activity"), f"{o.activity}: {activity}"),
        (t("Operation or exercise"), _text(o.operation)),
        (t("Delivery place"), o.location),
        (t("Needed by"), o.needed_by.isoformat()),
        (t("Delivered on"), _day(form.delivered_on)),
        (t("Billing office / fund citation"), _text(o.fund_citation)),
        *_arrangement_field(f),
        (t("Currency"), o.currency),
        (t("Exchange rate"), _said(f, form.rate_said, form.rate)),
        (t("Rate date"), _day(form.rate_date) if form.rate_date else f.w(t("none"))),
        (t("Rate source"), _said(f, form.rate_source_said, form.rate_source)),
    ]
    if o.remarks:
        fields.append((t("Remarks"), o.remarks))
    wide = {
        t("Agreement"),
        t("Implementing text"),
        t("Implementing arrangement"),
        t("Remarks"),
        t("Exchange rate"),
        t("Rate source"),
    }
    return [_field_grid(f, fields, wide=wide, full=True)]


def _said(f: _Form, said: Said | None, english: str) -> str:
    """A text of the form kept as its message id and parameters, in the reader's language
    (``english`` where the form keeps none)."""
    if said is None:
        return f.w(english)
    params = {k: v if isinstance(v, str) else _said(f, v, "") for k, v in said.params.items()}
    return say(said.message_id, f.lang, params)


def _field_grid(
    f: _Form, fields: Sequence[tuple[str, str]], wide: set[str], full: bool = False
) -> Flowable:
    """Label and value pairs two to a row; a ``wide`` field takes a row of its own. A value
    too long for its cell is cut there, with a mark, and given in full at the end. Labels are
    English message ids, written in the reader's language."""
    style = styles(f.lang)
    width = f.width
    label_width = 34 * mm
    value_width = width / 2 - label_width
    rows: list[list[Flowable | str]] = []
    spans: list[int] = []
    pending: list[Flowable | str] = []
    size = style["cell"].fontSize
    for label, value in fields:
        shown = f.w(label)
        room = width - label_width if label in wide else value_width
        if full:
            f.full.check(shown, value, room, size)
        cells = [
            text_cell(shown, label_width, style["cell_bold"]),
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


def _parties(f: _Form) -> list[Flowable]:
    form, o = f.form, f.form.order
    rows = [
        [f.w(t("Nation")), f.nation(o.requester), f.nation(o.supplier)],
        [
            f.w(t("Force")),
            _text(form.forces.get(o.requester)),
            _text(form.forces.get(o.supplier)),
        ],
        [f.w(t("Unit / formation")), _text(o.requester_unit), _text(o.supplier_unit)],
        [
            f.w(t("Authorised official")),
            _text(_signer_of(form, form.requesting_official)),
            _text(_signer_of(form, form.supplying_official)),
        ],
    ]
    rows += _arrangement_rows(f)
    third = f.width / 3
    headings = ["", t("Requesting nation"), t("Supplying nation")]
    return [f.table(headings, rows, widths=[third] * 3)]


def _arrangement_field(f: _Form) -> list[tuple[str, str]]:
    """The implementing arrangement the order names: its reference and title."""
    named = f.form.arrangement
    if named is None:
        return []
    shown = f"{named.reference}: {named.title}" if named.title else named.reference
    return [(t("Implementing arrangement"), shown)]


def _office_text(office: OfficeOut | None) -> str:
    """An office as one text: name, address lines, e-mail."""
    if office is None:
        return "-"
    return "; ".join(x for x in (office.name, *office.address, office.email) if x)


def _contacts_text(contacts: Sequence[ContactOut]) -> str:
    found = [", ".join(x for x in (c.name, c.position, c.email, c.phone) if x) for c in contacts]
    return "; ".join(found) or "-"


def _arrangement_rows(f: _Form) -> list[list[str]]:
    """The arrangement's offices and points of contact, per side: the supplier's billing
    office (that bills the order), the requester's paying office (that pays it)."""
    named = f.form.arrangement
    if named is None or named.title is None:
        return []
    return [
        [f.w(t("Billing office")), "-", _office_text(named.supplier_billing_office)],
        [f.w(t("Paying office")), _office_text(named.requester_paying_office), "-"],
        [
            f.w(t("Points of contact")),
            _contacts_text(named.requester_contacts),
            _contacts_text(named.supplier_contacts),
        ],
    ]


def _signer_of(form: OrderForm, login: str | None) -> str | None:
    """An official as the form names them: their full name (and rank) where their profile
    gives it, else their sign-in name."""
    if login is None:
        return None
    for s in form.signatures:
        if s.name == login:
            return " ".join(part for part in (s.rank, s.full_name or login) if part)
    return login


# --- 3. the lines -----------------------------------------------------------------------------

LINE_HEADINGS = (
    "#",
    t("category"),
    t("description"),
    t("NSN"),
    t("unit of issue"),
    t("requested"),
    t("accepted"),
    t("provided"),
    t("received"),
    t("returned"),
    t("unit price"),
    t("line total"),
)


def _lines(f: _Form) -> list[Flowable]:
    form = f.form
    currency = form.order.currency
    fixed = [6, 17, 0, 26, 10, 14, 14, 14, 14, 14, 15, 18]
    widths = [w * mm for w in fixed]
    widths[2] = f.width - sum(widths)
    label = t("Line {line}, description")
    for line in form.lines:
        f.full.check(f.say(label, line=line.number), line.description, widths[2], LINE_SIZE)
    rows = [_line_row(f, line) for line in form.lines]
    table = f.table(
        LINE_HEADINGS, rows, numeric=range(5, 12), widths=widths, header_size=5.5, size=LINE_SIZE
    )
    accepted = Money.zero(currency)
    for line in form.lines:
        quantity = line.requested if line.accepted is None else line.accepted
        accepted = accepted + Money.of_product(quantity, line.unit_price, currency)
    totals = [
        [f.w(t("Order total (quantities requested)")), money_text(form.order.total, currency)],
        [f.w(t("Value accepted")), money_text(accepted.amount, currency)],
        [f.w(t("Value received")), money_text(form.order.value_received, currency)],
    ]
    story: list[Flowable] = [table, Spacer(1, 2 * mm), _totals(f, totals)]
    short = [line for line in form.lines if line.short > 0]
    story.extend(
        f.para(
            f.say(
                t(
                    "Line {line}: {quantity} {unit} {category} provided but not received "
                    "(discrepancy noted on receipt)."
                ),
                line=line.number,
                quantity=line.short,
                unit=line.unit,
                category=_category(f, line.category),
            ),
            "small",
        )
        for line in short
    )
    return story


def _category(f: _Form, key: str) -> str:
    if f.lang != "en":
        return f.term(key)
    return CATEGORIES.get(key, (key, None))[0]


def _line_row(f: _Form, line: FormLine) -> list[str]:
    return [
        str(line.number),
        _category(f, line.category),
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


def _totals(f: _Form, rows: list[list[str]]) -> Flowable:
    style = styles(f.lang)
    body = [
        [
            text_cell(label, 60 * mm, style["cell_bold"]),
            number_cell(v, 45 * mm, style["cell_right"]),
        ]
        for label, v in rows
    ]
    table = Table(body, colWidths=[60 * mm, 45 * mm], hAlign="RIGHT")
    table.setStyle([("LINEBELOW", (0, 0), (-1, -1), 0.25, colors.HexColor("#9AA8B5"))])
    return table


# --- 4. signatures ----------------------------------------------------------------------------

SIGNATURE_HEADINGS = (
    t("capacity"),
    t("official"),
    t("recorded in acsa"),
    t("signature"),
    t("date"),
)


def _signatures(f: _Form, signatures: Sequence[Signature]) -> list[Flowable]:
    """Per signature: the capacity and nation; the official's name, rank or grade, position
    and unit (from their profile; the sign-in name where none is given); the signature acsa
    recorded (who and when); and empty blocks to sign and date by hand."""
    style = styles(f.lang)
    widths = [44 * mm, 0, 36 * mm, 32 * mm, 20 * mm]
    widths[1] = f.width - sum(widths)
    rows: list[list[object]] = []
    for s in signatures:
        role = [
            text_cell(f.w(s.role), widths[0], style["cell_bold"]),
            text_cell(f.nation(s.nation), widths[0], style["cell"]),
        ]
        # The block to sign in holds a spacer: the row is at least that tall, taller when
        # the official's details need it.
        block = Spacer(1, SIGNATURE_ROW_HEIGHT)
        rows.append([role, _official(f, s, widths[1]), _recorded(f, s, widths[2]), block, ""])
    header = [text_cell(f.w(h), None, style["cell_header"]) for h in SIGNATURE_HEADINGS]
    table = Table([header, *rows], colWidths=widths, repeatRows=1, hAlign="LEFT")
    table.setStyle(
        [
            ("BACKGROUND", (0, 0), (-1, 0), colors.HexColor("#1F4E78")),
            ("GRID", (0, 0), (-1, -1), 0.25, colors.HexColor("#9AA8B5")),
            ("VALIGN", (0, 0), (-1, -1), "TOP"),
        ]
    )
    note = f.w(
        t(
            "Sign and date by hand in the blocks on the right; acsa records who signed each "
            "step and when."
        )
    )
    return [table, f.para(note, "small")]


def _approved(f: _Form) -> list[Flowable]:
    """Who authorised the order before its submission (approval before commitment): per
    tier its threshold, the approver's name, rank and position, and when; nothing when no
    approval was needed."""
    if not f.form.approvals:
        return []
    style = styles(f.lang)
    widths = [14 * mm, 36 * mm, 0, 40 * mm]
    widths[2] = f.width - sum(widths)
    rows = [
        [
            a.tier,
            money_text(Decimal(a.threshold), a.currency) if a.threshold else NONE,
            text_cell(
                ", ".join(x for x in (a.name or a.approver, a.rank, a.position) if x),
                widths[2],
                style["cell"],
            ),
            a.at[:16].replace("T", " ") + " UTC" if a.at else NONE,
        ]
        for a in f.form.approvals
    ]
    headings = [t("approval tier"), t("above"), t("authorised by"), t("authorised on")]
    header = [text_cell(f.w(h), None, style["cell_header"]) for h in headings]
    table = Table([header, *rows], colWidths=widths, repeatRows=1, hAlign="LEFT")
    table.setStyle(
        [
            ("BACKGROUND", (0, 0), (-1, 0), colors.HexColor("#1F4E78")),
            ("GRID", (0, 0), (-1, -1), 0.25, colors.HexColor("#9AA8B5")),
            ("VALIGN", (0, 0), (-1, -1), "TOP"),
        ]
    )
    title = f.para(f.w(t("Authorised before submission")), "cell_bold")
    return [Spacer(1, 2 * mm), title, table]


def _official(f: _Form, s: Signature, width: float) -> list[Flowable]:
    style = styles(f.lang)
    if s.name is None:
        return [text_cell(f.w(t("not signed")), width, style["cell"])]
    facts = [
        (t("Name"), s.full_name or s.name),
        (t("Rank or grade"), s.rank),
        (t("Position"), s.position),
        (t("Unit / formation"), s.unit),
    ]
    cells = [
        text_cell(f"{f.w(label)}: {value or NONE}", width, style["cell"]) for label, value in facts
    ]
    if s.designation_role is not None:
        # The designation the official acted under (issue 19): role, letter and its date.
        day = s.designation_date.isoformat() if s.designation_date else NONE
        said = f"{f.w(s.designation_role)}, {s.designation_reference or NONE} ({day})"
        cells.append(text_cell(f"{f.w(t('Designation'))}: {said}", width, style["cell"]))
    return cells


def _recorded(f: _Form, s: Signature, width: float) -> list[Flowable]:
    style = styles(f.lang)
    if s.name is None:
        return []
    return [
        text_cell(s.name, width, style["cell"]),
        text_cell(_when(s.at), width, style["cell"]),
    ]


# --- 5 to 8. invoices, settlements, account, documents ----------------------------------------


def _invoices(f: _Form) -> list[Flowable]:
    form = f.form
    if not form.invoices:
        return [f.para(f.w(t("No invoice issued.")))]
    rows = [
        [
            i.number,
            f.term(i.kind),
            f.say(t("{issuer} to {debtor}"), issuer=i.issuer, debtor=i.debtor),
            i.issued.isoformat(),
            i.due.isoformat(),
            money_text(i.amount, i.currency),
            amount_text(i.paid, i.currency),
            amount_text(i.unpaid, i.currency),
            f.term(i.status),
        ]
        for i in form.invoices
    ]
    headings = [
        t("invoice"),
        t("kind"),
        t("from / to"),
        t("issued"),
        t("due"),
        t("amount"),
        t("paid"),
        t("unpaid"),
        t("status"),
    ]
    fixed = [30, 14, 20, 18, 18, 28, 0, 22, 14]
    widths = [w * mm for w in fixed]
    widths[6] = f.width - sum(widths)
    story = [f.table(headings, rows, numeric=range(5, 8), widths=widths)]
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
        rest = f.width - 78 * mm
        story.extend(
            [
                Spacer(1, 2 * mm),
                f.table(
                    [
                        t("payment of invoice"),
                        t("paid on"),
                        t("reference"),
                        t("amount"),
                        t("recorded by"),
                    ],
                    payments,
                    numeric=[3],
                    widths=[30 * mm, 20 * mm, rest * 0.4, 28 * mm, rest * 0.6],
                ),
            ]
        )
    else:
        story.append(f.para(f.w(t("No payment recorded.")), "small"))
    return story


def _settlements(f: _Form) -> list[Flowable]:
    form = f.form
    if not form.settlements:
        return [f.para(f.w(t("None recorded.")))]
    units = {line.number: line.unit for line in form.lines}
    rows = [
        [
            str(s.id),
            f.term(s.kind),
            s.effective.isoformat(),
            money_text(s.value, s.currency),
            "; ".join(_settled_line(f, line, units) for line in s.lines) or NONE,
            _text(s.agreed_by),
            _text(s.note),
        ]
        for s in form.settlements
    ]
    widths = [10 * mm, 22 * mm, 20 * mm, 28 * mm, 0, 28 * mm, 30 * mm]
    widths[4] = f.width - sum(widths)
    size = styles(f.lang)["cell"].fontSize
    for s, row in zip(form.settlements, rows, strict=True):
        for label, text, width in (
            (t("Settlement {settlement}, what was returned"), row[4], widths[4]),
            (t("Settlement {settlement}, agreed by"), row[5], widths[5]),
            (t("Settlement {settlement}, note"), row[6], widths[6]),
        ):
            f.full.check(f.say(label, settlement=s.id), text, width, size)
    headings = [
        "#",
        t("kind"),
        t("date"),
        t("value"),
        t("what was returned"),
        t("agreed by"),
        t("note"),
    ]
    return [f.table(headings, rows, numeric=[3], widths=widths)]


def _settled_line(f: _Form, line: dict[str, object], units: dict[int, str]) -> str:
    """``line 1: 6,000 L fuel`` for a replacement (with the line's unit of issue);
    ``2 EA training (value 10,000)`` for an exchange."""
    try:
        quantity = quantity_text(Decimal(str(line.get("quantity", "0"))))
    except (InvalidOperation, ValueError):  # a stored line no longer as acsa writes them
        quantity = str(line.get("quantity", ""))
    if "line" in line:
        number = line["line"]
        unit = units.get(number, "") if isinstance(number, int) else ""
        category = str(line.get("category", ""))
        shown = f.say(
            t("line {line}: {quantity} {unit} {category}"),
            line=str(number),
            quantity=quantity,
            unit=unit,
            category=f.term(category) if category else "",
        )
        return " ".join(shown.split())
    value = line.get("value", "")
    return f.say(
        t("{quantity} {unit} {description} (value {value})"),
        quantity=quantity,
        unit=str(line.get("unit", "")),
        description=str(line.get("description", "")),
        value=str(value),
    )


def _account(f: _Form) -> list[Flowable]:
    a = f.form.account
    if a is None:
        return [f.para(f.w(t("No account.")))]
    c = a.currency
    fields = [
        (t("Received"), money_text(a.received, c)),
        (t("Invoiced"), money_text(a.invoiced, c)),
        (t("Paid"), money_text(a.paid, c)),
        (t("Settled in kind"), money_text(a.settled_in_kind, c)),
        (t("Converted to cash"), money_text(a.converted, c)),
        (t("Not yet invoiced"), money_text(a.uninvoiced, c)),
        (t("Owed in cash"), money_text(a.owed_in_cash, c)),
        (t("Awaiting replacement"), money_text(a.awaiting_replacement, c)),
        (t("Replacement deadline"), _day(a.replacement_deadline)),
        (t("Settled"), f.w(t("yes")) if a.settled else f.w(t("no"))),
    ]
    return [_field_grid(f, fields, wide=set())]


def _documents(f: _Form) -> list[Flowable]:
    form = f.form
    if not form.documents:
        return [f.para(f.w(t("No documents attached: no invoice, payment or settlement yet.")))]
    rows = [
        [
            _document_kind(f, d.kind),
            d.reference,
            d.day.isoformat(),
            money_text(d.amount, d.currency),
            _said(f, d.said, d.detail),
        ]
        for d in form.documents
    ]
    widths = [30 * mm, 40 * mm, 22 * mm, 32 * mm, 0]
    widths[4] = f.width - sum(widths)
    headings = [t("document"), t("reference"), t("date"), t("amount"), t("detail")]
    return [f.table(headings, rows, [3], widths)]


def _document_kind(f: _Form, kind: str) -> str:
    """``invoice``, ``invoice (replacement)``, ``payment``, a settlement's kind, in words."""
    if kind.startswith("invoice (") and kind.endswith(")"):
        return f.say(t("invoice ({kind})"), kind=f.term(kind[len("invoice (") : -1]))
    return f.term(kind)


def _use(f: _Form) -> list[Flowable]:
    """The conditions of use the governing text sets, as the registry records them."""
    form = f.form
    supplier = f.nation(form.order.supplier)
    if not form.use_conditions:
        return [
            f.para(
                f.say(
                    t("The registry records no conditions of use for {agreement} ({label})."),
                    agreement=form.order.agreement,
                    label=form.agreement_label,
                )
            )
        ]
    return [
        *(f.para(f.w(condition)) for condition in form.use_conditions),
        f.para(
            f.say(
                t(
                    "Supplying government: {supplier}. Consent to transfer to a third party "
                    "for this order: none recorded."
                ),
                supplier=supplier,
            ),
            "small",
        ),
    ]


def _attested(f: _Form) -> list[Flowable]:
    """What the order attests beyond its terms (nothing when it attests nothing)."""
    if not f.form.attestations:
        return []
    facts = [(fact.label, _said(f, fact.said, fact.value)) for fact in f.form.attestations]
    return [
        Spacer(1, 2 * mm),
        f.para(f.w(t("What the order attests")), "cell_bold"),
        _field_grid(f, facts, wide={label for label, _ in facts}, full=True),
    ]


def _texts_in_full(f: _Form) -> list[Flowable]:
    """The texts cut in the tables above, each under its label (a text longer than
    FULL_TEXT_CHARS_MAX characters is cut here too, with the same mark)."""
    story: list[Flowable] = [
        f.para(f.w(t("These texts are too long for their place in the form above.")), "small")
    ]
    for label, text in f.full.texts:
        story.append(f.para(label, "cell_bold"))
        story.append(f.para(clean(text, FULL_TEXT_CHARS_MAX), "body"))
    return story


def _events(f: _Form) -> list[Flowable]:
    rows = [
        [str(e.seq), _when(e.at), e.actor, f.term(e.action), f.term(e.to_status)]
        for e in f.form.order.history
    ]
    widths = [8 * mm, 34 * mm, 0, 22 * mm, 30 * mm]
    widths[2] = f.width - sum(widths)
    headings = ["#", t("time"), t("by"), t("action"), t("status after")]
    return [f.table(headings, rows, widths=widths)]
