"""Rich tables for people at a terminal, printed whole (``show_result``); with ``--format csv|tsv``
the same tables as rows for a spreadsheet, and ``--json`` for scripts."""

from __future__ import annotations

import csv
import sys
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, date
from decimal import Decimal
from typing import TYPE_CHECKING, Annotated

import typer
from rich.cells import cell_len
from rich.console import Group, RenderableType
from rich.errors import MarkupError
from rich.measure import Measurement
from rich.panel import Panel
from rich.segment import Segments
from rich.table import Table
from rich.text import Text

from acsa.cli import language
from acsa.cli.common import UNBOUNDED_WIDTH, out
from acsa.cli.output import OutputFormat, choose, start
from acsa.domain.messages import words
from acsa.domain.money import money_text
from acsa.domain.vocabulary import USE_CONDITIONS
from acsa.i18n import DEFAULT, gettext, say
from acsa.i18n.event_words import event_details, units
from acsa.i18n.speech import Speech

if TYPE_CHECKING:
    from acsa.domain.order import Order
    from acsa.schemas.orders import AgreementOut, OrderOut


def use_format(value: OutputFormat) -> OutputFormat:
    """--format: remembered for ``show_result`` and --json; with csv or tsv, stdout holds the rows
    alone and whatever else the command says goes to stderr."""
    choose(value)
    if value in (OutputFormat.CSV, OutputFormat.TSV):
        out.stderr = True  # the console, not a stream: it follows sys.stderr
    return value


FormatOption = Annotated[
    OutputFormat,
    typer.Option(
        "--format",
        help="table (for people), csv or tsv (a header row, then every row whole), or json "
        "(as --json).",
        case_sensitive=False,
        is_eager=True,
        callback=use_format,
    ),
]


def start_output(as_json: bool) -> None:
    """A new run of the command (``acsa --json``, or not): tables on stdout until --format."""
    start(as_json)
    out.stderr = False


#: Headers of columns of free text, which wrap; every other column holds an id, an amount, a
#: date or a code and is printed whole on one line.
TEXT_HEADERS = frozenset(
    {
        "description",
        "details",
        "detail",
        "message",
        "note",
        "notes",
        "reason",
        "title",
        "why",
        "waiting",
        "finding",
        "categories",
        "activities",
        "reference",
        "url",
    }
)
#: A cell longer than this, or of more words, is free text, whatever its header.
KEY_LENGTH_MAX = 40
KEY_WORDS_MAX = 3
#: Free text keeps this width at least (or its own, if narrower) when a table is squeezed.
TEXT_WIDTH_MIN = 20


def show_result(renderable: RenderableType, fmt: OutputFormat = OutputFormat.TABLE) -> None:
    """Print a command's result: its tables as ``fmt`` asks (csv, tsv), else for people,
    never cutting an id, an amount or a date (on a terminal too narrow for them, the table is
    wider than the terminal rather than cut; in a pipe or a file, as wide as it needs)."""
    tables = list(_tables(renderable))
    if fmt in (OutputFormat.CSV, OutputFormat.TSV):
        _write_rows(tables, fmt)
        return
    lang = language.current()
    for panel in _panels(renderable):
        if isinstance(panel.title, Said):
            panel.title.plain = panel.title.words(lang)
    for table in tables:
        _say_cells(table, lang)
        _keep_whole(table, lang)
        _in_language(table, lang)
    if out.width >= UNBOUNDED_WIDTH:
        for panel in _panels(renderable):
            panel.expand = False
    if _surely_fits(renderable, out.width):  # as below when least <= out.width, unmeasured
        out.print(renderable, crop=False)
        return
    least = Measurement.get(out, out.options.update_width(UNBOUNDED_WIDTH), renderable).minimum
    if least <= out.width:  # crop=False: a column squeezed below its least still shows whole
        out.print(renderable, crop=False)
        return
    segments = out.render(renderable, out.options.update_width(least))
    out.print(Segments(segments), crop=False)


def _surely_fits(renderable: RenderableType, width: int) -> bool:
    """True when ``renderable`` is a table of text that fits ``width`` with every column at its
    widest line: its least width fits then too, and measuring it (a pass over every cell, as
    long as printing it) can be skipped. Anything else is measured."""
    if not isinstance(renderable, Table) or renderable.width is not None:
        return False
    _top, right, _bottom, left = renderable.padding
    total = 2 + len(renderable.columns)  # the edges and the lines between columns
    for column in renderable.columns:
        widest = max(column.min_width or 0, column.width or 0)
        for cell in (column.header, column.footer, *column.cells):
            text = _plain(cell)
            if text is None or "\t" in text:
                return False
            widest = max([widest, *(cell_len(line) for line in text.splitlines())])
        total += widest + left + right
    return max(total, renderable.min_width or 0) <= width


def _in_language(table: Table, lang: str) -> None:
    """A table for people in the command line's language: its title, caption and column
    headings (CSV, TSV and JSON keep their English column names, which scripts read)."""
    for part in (table.title, table.caption):
        if isinstance(part, Said):
            part.plain = part.words(lang)
    if lang == DEFAULT:
        return
    if isinstance(table.title, str):
        table.title = gettext(lang, table.title)
    if isinstance(table.caption, str):
        table.caption = gettext(lang, table.caption)
    for column in table.columns:
        if isinstance(column.header, str):
            column.header = heading(lang, column.header)


def heading(lang: str, text: str) -> str:
    """A column's heading or a row's label in ``lang``: ``label.<text>`` where the catalogue
    has it (``signed`` heads a date, 署名日, not the status 署名済み), else ``text``'s words."""
    key = f"label.{text}"
    said = gettext(lang, key)
    return said if said != key else gettext(lang, text)


class Said(Text):
    """A cell (or a panel's title) that a person reads in their language: ``plain`` is what
    CSV and TSV write (a code, or English that scripts read), ``words(lang)`` what a table for
    people shows (a status's, a category's, an action's words; an event's details)."""

    def __init__(self, plain: str, words: Callable[[str], str], style: str = "") -> None:
        super().__init__(plain, style=style)
        self.words = words


def term(code: str, style: str = "") -> Said:
    """A word of acsa's vocabulary (``partially_delivered``, ``fuel``, ``cash``): its English
    words in CSV, its words in the reader's language for people."""
    english = words(code)
    return Said(english, lambda lang: gettext(lang, english), style)


def said(msgid: str, **params: object) -> Said:
    """A message (``%(name)s`` placeholders) for people in their language; in CSV, English."""
    return Said(msgid % params if params else msgid, lambda lang: Speech(lang)(msgid, **params))


def message(english: str, message_id: str, params: Mapping[str, str]) -> Said:
    """A finding's message (its English, its id and parameters) in the reader's language."""
    if not message_id:
        return Said(english, lambda _lang: english)
    return Said(english, lambda lang: say(message_id, lang, params))


def action_words(action: str) -> Said:
    """An audit record's action (``order.accept``): the code in CSV, words for people."""
    return Said(action, lambda lang: Speech(lang).action(action))


def say_now(msgid: str, **params: object) -> str:
    """A message in the command line's language (``--lang``), now."""
    return Speech(language.current())(msgid, **params)


def label(text: str) -> Said:
    """A label (a panel's row heading) in the reader's language."""
    return Said(text, lambda lang: heading(lang, text))


def _say_cells(table: Table, lang: str) -> None:
    """Each cell that is :class:`Said` in the reader's language."""
    for column in table.columns:
        for cell in column.cells:
            if isinstance(cell, Said):
                cell.plain = cell.words(lang)


def _tables(renderable: RenderableType) -> Iterator[Table]:
    """The tables a result is made of (in a group, in a panel)."""
    if isinstance(renderable, Table):
        yield renderable
    elif isinstance(renderable, Group):
        for part in renderable.renderables:
            yield from _tables(part)
    elif isinstance(renderable, Panel):
        yield from _tables(renderable.renderable)


def _panels(renderable: RenderableType) -> Iterator[Panel]:
    if isinstance(renderable, Panel):
        yield renderable
    elif isinstance(renderable, Group):
        for part in renderable.renderables:
            yield from _panels(part)


def _plain(cell: RenderableType) -> str | None:
    """A cell's text as a reader sees it (markup taken out); None if it is not text."""
    if isinstance(cell, Text):
        return cell.plain
    if isinstance(cell, str):
        try:
            return Text.from_markup(cell).plain
        except MarkupError:
            return cell
    return None


def _keep_whole(table: Table, lang: str = DEFAULT) -> None:
    """Columns of ids, amounts, dates and codes on one line, as wide as their widest value
    (folded, never cut with an ellipsis); free text wraps instead. Which is which is read from
    the English heading; the widths from what is shown (the heading in ``lang``)."""
    for column in table.columns:
        texts = [_plain(cell) for cell in (column.header, *column.cells)]
        free = _is_free_text(texts)
        if isinstance(column.header, str) and lang != DEFAULT:
            texts[0] = heading(lang, column.header)
        if free:
            widest = max((cell_len(text) for text in texts if text), default=0)
            column.overflow = "fold"
            column.min_width = max(min(widest, TEXT_WIDTH_MIN), column.min_width or 0)
            continue
        lines = [line for text in texts if text for line in text.splitlines()]
        column.no_wrap = True
        column.overflow = "fold"
        column.min_width = max([cell_len(line) for line in lines] + [column.min_width or 0])


def _is_free_text(texts: list[str | None]) -> bool:
    """A column of prose: a header of TEXT_HEADERS, or a cell too long or of too many words."""
    if (texts[0] or "").strip().lower() in TEXT_HEADERS:
        return True
    return any(
        text is None or len(text) > KEY_LENGTH_MAX or len(text.split()) > KEY_WORDS_MAX
        for text in texts[1:]
    )


def _write_rows(tables: list[Table], fmt: OutputFormat) -> None:
    """Each table as a header row and every row, values whole (RFC 4180 quoting for csv);
    several tables one after the other, a blank line between."""
    if fmt is OutputFormat.CSV:
        writer = csv.writer(sys.stdout, lineterminator="\r\n")
    else:
        writer = csv.writer(
            sys.stdout, delimiter="\t", quoting=csv.QUOTE_MINIMAL, lineterminator="\n"
        )
    for number, table in enumerate(tables):
        if number:
            sys.stdout.write("\n")
        columns = table.columns
        writer.writerow([_plain(c.header) or "" for c in columns])
        for row in zip(*(list(c.cells) for c in columns), strict=True):
            writer.writerow([_plain(cell) or "" for cell in row])
    sys.stdout.flush()


STATUS_STYLE = {
    "draft": "dim",
    "submitted": "cyan",
    "accepted": "blue",
    "rejected": "red",
    "partially_delivered": "yellow",
    "delivered": "yellow",
    "partially_received": "magenta",
    "received": "green",
    "closed": "bold green",
    "cancelled": "dim red",
    "in_force": "green",
    "signed": "yellow",
    "ended": "dim",
}


def status_text(status: str | None) -> Text:
    word = status or "not_signed"
    return term(word, STATUS_STYLE.get(word, ""))


def agreements_table(items: list[AgreementOut], title: str | Said) -> Table:
    table = Table(title=title)
    for column in ("id", "parties", "signed", "in force", "status", "version", "categories"):
        table.add_column(column)
    for a in items:
        in_force: str | Said = a.in_force or "-"
        if a.in_force and not a.in_force_exact:
            in_force = said("%(day)s (approx.)", day=a.in_force)
        table.add_row(
            a.id,
            "-".join(a.parties),
            a.signed,
            in_force,
            status_text(a.status),
            f"{a.version} ({a.version_label})",
            str(len(a.categories)),
        )
    return table


def agreement_panel(a: AgreementOut) -> Group:
    head = _grid([*_standing_rows(a), *_scope_rows(a), *_settling_rows(a)])
    return Group(Panel(head, title=a.id), _versions_table(a), _sources_table(a))


Row = tuple[str, str | Text]


def _grid(rows: list[Row]) -> Table:
    """Labelled rows, the labels in bold and in the reader's language."""
    head = Table.grid(padding=(0, 2))
    head.add_column(style="bold")
    head.add_column()
    for name, value in rows:
        head.add_row(label(name), value)
    return head


def _other_language(english: str, render: Callable[[Speech], str]) -> Said:
    """Text as acsa has always written it in English, and in another language as ``render``
    writes it with that language's words (the agreement page's)."""
    return Said(english, lambda lang: english if lang == DEFAULT else render(Speech(lang)))


def _words_of(values: Sequence[str]) -> Said:
    """Codes of the vocabulary (activities, categories), listed in words."""
    english = ", ".join(values)
    return _other_language(
        english, lambda say: "、".join(say(words(v)) for v in values) or say("none")
    )


def _condition(category: str, activities: Sequence[str]) -> Said:
    """A category the text allows only for some activities."""
    only = _words_of(activities)
    return _other_language(
        f"{category} only for: {only.plain}",
        lambda say: f"{say(words(category))} {say('only for:')} {only.words(say.lang)}",
    )


def _standing_rows(a: AgreementOut) -> list[Row]:
    """What the agreement is and where it stands: parties, status, dates, term, termination."""
    approximate = not a.in_force_exact and bool(a.in_force)
    in_force = (a.in_force or "not in force") + (" (approximate)" if approximate else "")
    rows: list[Row] = [
        ("title", a.title),
        ("parties", ", ".join(f"{p} ({a.forces.get(p, '')})" for p in a.parties)),
        ("status", status_text(a.status)),
        ("as of", a.as_of.isoformat()),
        ("signed", a.signed),
        (
            "in force",
            _other_language(
                in_force,
                lambda say: (
                    (a.in_force or "—") + (f" ({say('approx.')})" if approximate else "")
                    if a.in_force
                    else say(words("not_in_force"))
                ),
            ),
        ),
        (
            "governing text",
            _other_language(
                f"version {a.version}: {a.version_label}",
                lambda say: f"{say('Version')} {a.version}: {a.version_label}",
            ),
        ),
        ("term", term_text(a)),
    ]
    if a.termination is not None:
        t = a.termination
        ref = f", {t.reference}" if t.reference else ""
        english = (
            f"ends on {t.effective}: notice given by {t.by} on {t.notice_date} ({t.source}{ref})"
        )
        rows.append(
            (
                "termination",
                _other_language(
                    english,
                    lambda say: (
                        say(
                            "Ends on %(effective)s: notice given by %(party)s on %(day)s",
                            effective=say.day(t.effective),
                            party=t.by,
                            day=say.day(t.notice_date),
                        )
                        + f" ({t.source}{ref})"
                    ),
                ),
            )
        )
    return rows


def _scope_rows(a: AgreementOut) -> list[Row]:
    """What the agreement covers: activities, categories and their conditions, exclusions,
    and what an order inside it must confirm or cite."""
    rows: list[Row] = [
        ("activities", _words_of(a.activities)),
        ("categories", _words_of(a.categories)),
    ]
    rows += [
        ("", _condition(category, activities))
        for category, activities in a.category_conditions.items()
    ]
    rows.append(("excluded", _words_of(a.excluded)))
    if a.in_force_window is not None:
        first, last = a.in_force_window
        rows.append(
            (
                "day unknown",
                _other_language(
                    f"the governing text entered into force between {first} and {last}: an "
                    "order dated inside that window is a warning to confirm "
                    "(IN_FORCE_DATE_UNCERTAIN)",
                    lambda say: (
                        say(
                            "not known: between %(first)s and %(last)s; an order dated inside is a "
                            "warning to confirm",
                            first=say.day(first),
                            last=say.day(last),
                        )
                        + " (IN_FORCE_DATE_UNCERTAIN)"
                    ),
                ),
            )
        )
    if a.unverified_activities:
        listed = _words_of(a.unverified_activities)
        rows.append(
            (
                "not verified",
                _other_language(
                    f"{listed.plain} (reported covered: a warning to confirm)",
                    lambda say: (
                        f"{listed.words(say.lang)} "
                        f"({say('an order under one is a warning to confirm')})"
                    ),
                ),
            )
        )
    if a.determination_activities:
        listed = _words_of(a.determination_activities)
        rows.append(
            (
                "by determination",
                _other_language(
                    f"{listed.plain} (the order cites the governments' mutual determination)",
                    lambda say: (
                        f"{listed.words(say.lang)} ("
                        + say("the order cites the mutual determination: its reference and date")
                        + ")"
                    ),
                ),
            )
        )
    return rows


def _settling_rows(a: AgreementOut) -> list[Row]:
    """How orders under the agreement settle: methods, conditions of use, deadlines, notes."""
    rows: list[Row] = [("settlement", settlement_text(a))]
    if a.use_conditions:
        english = " ".join(USE_CONDITIONS[c] for c in a.use_conditions)
        rows.append(
            (
                "use",
                _other_language(
                    english, lambda say: "".join(say(USE_CONDITIONS[c]) for c in a.use_conditions)
                ),
            )
        )
    days = a.replacement_deadline_days
    rows.append(
        (
            "replacement deadline",
            _other_language(
                f"{days} days from receipt",
                lambda say: say("%(days)s days from receipt", days=days),
            ),
        )
    )
    term = a.payment_term_days
    rows.append(
        (
            "payment term",
            _other_language(
                f"{term} days from invoice",
                lambda say: say("%(days)s days from invoice", days=term),
            ),
        )
    )
    if a.notes:
        rows.append(("notes", a.notes))
    return rows


def _versions_table(a: AgreementOut) -> Table:
    """The agreement's versions, with the day of entry into force recorded where there is one."""
    versions = Table(title="versions")
    for column in ("#", "label", "kind", "signed", "in force", "ended"):
        versions.add_column(column)
    learnt = {d.version: d for d in a.in_force_days}
    for v in a.versions:
        in_force = v.in_force or "-"
        if v.version in learnt:
            in_force += (
                f" (recorded; was {learnt[v.version].was or '-'}: {learnt[v.version].source})"
            )
        versions.add_row(str(v.version), v.label, term(v.kind), v.signed, in_force, v.ended or "-")
    return versions


def _sources_table(a: AgreementOut) -> Table:
    sources = Table(title="sources")
    for column in ("title", "publisher", "date", "reference", "note"):
        sources.add_column(column, overflow="fold")
    for s in a.sources:
        sources.add_row(s.title, s.publisher, s.date, s.reference, s.note or s.url)
    return sources


def settlement_text(a: AgreementOut) -> Said:
    """The methods the governing text offers, per kind of support when it says so."""
    if not a.settlement_by_kind:
        return _words_of(a.settlement_methods)
    by_kind = {kind: _words_of(methods) for kind, methods in a.settlement_by_kind.items()}
    parts = [f"{kind}: {methods.plain}" for kind, methods in by_kind.items()]
    preferred = "supplies in cash only where return is difficult (the order says why)"
    if a.supplies_return_preferred:
        parts.append(preferred)

    def said(say: Speech) -> str:
        found = [f"{say(words(kind))}: {m.words(say.lang)}" for kind, m in by_kind.items()]
        if a.supplies_return_preferred:
            found.append(
                say(
                    "Supplies are settled by return of the same or equivalent items; in "
                    "currency only where return is difficult, and the order says why."
                )
            )
        return "; ".join(found)

    return _other_language("; ".join(parts), said)


def term_text(a: AgreementOut) -> Said:
    """The governing text's term on the agreement's day: its period, start, end and the last
    day for notice of non-renewal; "not known" when the sources do not give it."""
    t = a.term
    if t is None:
        unknown = "not known from the sources"
        return _other_language(unknown, lambda say: say(unknown))
    rule = (
        f"{t.years} years from entry into force of version {t.text_version}, renewed for "
        f"{t.renewal_years} years unless notice {t.renewal_notice_months} months before "
        f"expiry; {t.termination_notice_months} months' written notice ends it"
    )

    def rule_said(say: Speech) -> str:
        return say(
            "%(years)s years from entry into force of version %(n)s, renewed automatically for "
            "%(renewal)s years unless notice is given %(months)s months before expiry; either "
            "party may end it on %(notice)s months' written notice",
            years=t.years,
            n=t.text_version,
            renewal=t.renewal_years,
            months=t.renewal_notice_months,
            notice=t.termination_notice_months,
        )

    if t.period is None:
        return _other_language(
            f"{rule} (not in force on {a.as_of})",
            lambda say: (
                say("Not in force on %(day)s: no term runs", day=say.day(a.as_of))
                + "\n"
                + rule_said(say)
            ),
        )
    name = "first term" if t.period == 1 else f"renewal {t.period - 1}"
    approx = " (approximate: entry into force known only to the month or year)"
    english = (
        f"{name} (term {t.period}) from {t.start}, ends {t.end}; notice of non-renewal by "
        f"{t.renewal_notice_by}{approx if t.approximate else ''}\n{rule}"
    )

    def said(say: Speech) -> str:
        period = say(
            "Term %(n)s: from %(start)s until %(end)s",
            n=t.period,
            start=say.day(t.start),
            end=say.day(t.end),
        )
        if t.approximate:
            period += f" ({say('approx.')})"
        notice = say("Notice of non-renewal by %(day)s", day=say.day(t.renewal_notice_by))
        return f"{period}; {notice}\n{rule_said(say)}"

    return _other_language(english, said)


@dataclass(frozen=True)
class ListedOrder:
    """What a list of orders shows of one: ``OrderOut``'s fields of the same names, read from
    the domain's order itself (a table needs no JSON model, hence no Pydantic)."""

    id: int
    status: str
    agreement: str
    requester: str
    supplier: str
    activity: str
    order_date: date
    lines: tuple[object, ...]
    total: Decimal
    currency: str


def listed_order(order: Order) -> ListedOrder:
    """The order as ``order_out`` gives these fields."""
    assert order.id is not None, "only a stored order is listed"
    return ListedOrder(
        id=order.id,
        status=order.status.value,
        agreement=order.agreement_id,
        requester=order.requester,
        supplier=order.supplier,
        activity=order.activity,
        order_date=order.order_date,
        lines=tuple(order.lines),
        total=order.total.amount,
        currency=order.currency,
    )


def orders_table(items: Sequence[OrderOut | ListedOrder], title: str = "Orders") -> Table:
    table = Table(title=title)
    for column in (
        "id",
        "status",
        "agreement",
        "requester",
        "supplier",
        "activity",
        "order date",
        "lines",
        "total",
    ):
        table.add_column(column)
    for o in items:
        table.add_row(
            str(o.id),
            status_text(o.status),
            o.agreement,
            o.requester,
            o.supplier,
            term(o.activity),
            o.order_date.isoformat(),
            str(len(o.lines)),
            money_text(o.total, o.currency),
        )
    return table


def order_panel(o: OrderOut) -> Group:
    head = _grid(
        [
            ("status", status_text(o.status)),
            ("agreement", o.agreement),
            ("requester", f"{o.requester} {o.requester_unit or ''}".strip()),
            ("supplier", f"{o.supplier} {o.supplier_unit or ''}".strip()),
            ("activity", _activity(o.activity, o.operation)),
            ("settlement", term(o.settlement)),
            ("order date", o.order_date.isoformat()),
            ("needed by", o.needed_by.isoformat()),
            ("location", o.location),
            ("total", money_text(o.total, o.currency)),
            ("received value", money_text(o.value_received, o.currency)),
            *attested_rows(o),
        ]
    )
    title = Said(f"order {o.id}", lambda lang: Speech(lang)("Order #%(id)s", id=o.id))
    parts: list[Table | Panel] = [
        Panel(head, title=title),
        _lines_table(o),
        _history_table(o),
    ]
    if o.notes:
        parts.append(_notes_table(o))
    if o.violations:
        parts.append(_problems_table(o))
    return Group(*parts)


def _activity(activity: str, operation: str | None) -> Said:
    """The activity in words, and the operation's name as written."""
    shown = term(activity)
    if not operation:
        return shown
    return Said(f"{shown.plain} ({operation})", lambda lang: f"{shown.words(lang)} ({operation})")


def _lines_table(o: OrderOut) -> Table:
    """The order's lines and where each stands."""
    lines = Table(title="lines")
    for column in (
        "#",
        "category",
        "description",
        "NSN",
        "unit",
        "requested",
        "accepted",
        "delivered",
        "received",
        "short",
        "unit price",
        "total",
    ):
        lines.add_column(column)
    for ln in o.lines:
        lines.add_row(
            str(ln.number),
            term(ln.category),
            ln.description,
            ln.nsn or "",
            ln.unit,
            str(ln.quantity),
            "" if ln.quantity_accepted is None else str(ln.quantity_accepted),
            str(ln.quantity_delivered),
            str(ln.quantity_received),
            Text(str(ln.quantity_short), style="red" if ln.quantity_short else ""),
            money_text(ln.unit_price, ln.currency),
            money_text(ln.total, ln.currency),
        )
    return lines


def _history_table(o: OrderOut) -> Table:
    """The order's events, oldest first."""
    history = Table(title="history")
    for column in ("#", "when (UTC)", "who", "action", "from status", "to status", "details"):
        history.add_column(column, overflow="fold")
    unit_of = units(o.lines)
    for e in o.history:
        history.add_row(
            str(e.seq),
            e.at.strftime("%Y-%m-%d %H:%M:%S"),
            e.actor,
            term(e.action),
            status_text(e.from_status) if e.from_status else "",
            status_text(e.to_status),
            _event_text(e.action, e.details, unit_of),
        )
    return history


def _event_text(action: str, details: dict[str, object], unit_of: dict[str, str]) -> Said:
    """An event's details: as ``_details`` writes them in CSV, in the reader's words for
    people (as the pages' timeline: ``Line 2: 400 EA received, 10 EA short``)."""

    def said(lang: str) -> str:
        found = event_details(Speech(lang), unit_of, action, details)
        return "; ".join(f"{d.label}: {d.text}" for d in found)

    return Said(_details(details), said)


def _notes_table(o: OrderOut) -> Table:
    """The notes on the order (who, when, what)."""
    notes = Table(title="notes")
    for column in ("when (UTC)", "who", "note"):
        notes.add_column(column, overflow="fold")
    for n in o.notes:
        who = f"{n.actor} ({n.nation})" if n.nation else n.actor
        notes.add_row(n.at.astimezone(UTC).strftime("%Y-%m-%d %H:%M:%S"), who, n.note)
    return notes


def _problems_table(o: OrderOut) -> Table:
    """What the agreement's checks would refuse in the order."""
    problems = Table(title="the agreement checks would refuse this order", title_style="red")
    for column in ("code", "field", "message", "clause"):
        problems.add_column(column, overflow="fold")
    for v in o.violations:
        problems.add_row(v.code, v.field, v.message, v.clause or "")
    return problems


def attested_rows(o: OrderOut) -> list[Row]:
    """What the order attests beyond its terms, as labelled rows (none when nothing)."""
    rows: list[Row] = []
    if o.cash_reason:
        rows.append(("cash reason", o.cash_reason))
    if o.determination or o.determination_date:
        day = o.determination_date.isoformat() if o.determination_date else None
        reference = o.determination

        def determination(lang: str) -> str:
            say = Speech(lang)
            return say(
                "%(reference)s of %(day)s",
                reference=reference or say("no reference"),
                day=day or say("no date"),
            )

        rows.append(("determination", Said(determination(DEFAULT), determination)))
    if o.hostilities:
        declared = "declared: a period of active hostilities"
        rows.append(("hostilities", Said(declared, lambda lang: gettext(lang, declared))))
    if o.confirmed:
        rows.append(("confirmed", ", ".join(o.confirmed)))
    return rows


def _details(details: dict[str, object]) -> str:
    """Event details as a person reads them: ``line 1: received 490, short 10; note: ...``."""
    parts: list[str] = []
    for key, value in details.items():
        if key == "lines" and isinstance(value, dict):
            parts.extend(f"line {n}: {_quantity_text(q)}" for n, q in value.items())
        elif value:
            parts.append(f"{key}: {value}")
    return "; ".join(parts)


def _quantity_text(value: object) -> str:
    if isinstance(value, dict):
        return ", ".join(f"{k} {v}" for k, v in value.items())
    return str(value)
