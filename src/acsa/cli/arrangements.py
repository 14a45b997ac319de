"""acsa arrangements list|show|add|amend|end: the implementing arrangements under an agreement
(who bills whom and how): their offices, points of contact, fund citations, payment term and
ceilings.

On the installation's own database the command acts as its operator; through a server (``--server``)
with the token's rights: the arrangements of agreements its nation is party to, changed by
their admins (a registry keeper: all)."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any
from urllib.parse import quote

import typer

from acsa.cli.common import (
    ActorOption,
    DbOption,
    JsonOption,
    engine_for,
    out,
    print_json,
    refusals,
    remote,
    uow_for,
)
from acsa.cli.options import parse_day
from acsa.cli.render import Said, said, say_now, show_result, term
from acsa.config import actor as acting
from acsa.domain.errors import AcsaError, Code

if TYPE_CHECKING:
    from acsa.schemas.arrangements import ArrangementOut, SideOut

HELP = "Implementing arrangements under an agreement: who bills whom and how."
app = typer.Typer(no_args_is_help=True, help=HELP)

AgreementArgument = Annotated[str, typer.Argument(metavar="AGREEMENT", help="The agreement's id.")]
ReferenceArgument = Annotated[
    str,
    typer.Argument(
        metavar="REFERENCE", help='The arrangement\'s reference ("JPN-AUS IA 2025-01").'
    ),
]
FileOption = Annotated[
    Path | None, typer.Option("--file", help="The arrangement's document, JSON or YAML.")
]
AsOfOption = Annotated[
    str | None, typer.Option("--as-of", help="Status on this day (default: today).")
]


def _path(agreement_id: str, reference: str | None = None, tail: str = "") -> str:
    path = f"/api/v1/agreements/{quote(agreement_id, safe='')}/arrangements"
    if reference is not None:
        path += f"/{quote(reference, safe='')}"
    return path + tail


def _status(status: str) -> Said:
    """signed, in force or ended, in the reader's words."""
    return term(status)


def _table(agreement_id: str, items: list[ArrangementOut]) -> None:
    from rich.table import Table

    table = Table(
        "reference",
        "title",
        "signed",
        "in force",
        "ended",
        "status",
        "payment term (days)",
        title=said("arrangements under %(agreement)s", agreement=agreement_id),
    )
    for a in items:
        table.add_row(
            a.reference,
            a.title,
            a.signed.isoformat(),
            a.in_force.isoformat(),
            a.ended.isoformat() if a.ended else "",
            _status(a.status),
            str(a.payment_term_days),
        )
    show_result(table)


def _office_text(office: Any) -> str:
    if office is None:
        return ""
    lines = [office.name, *office.address]
    if office.email:
        lines.append(office.email)
    return "\n".join(lines)


def _sides(a: ArrangementOut) -> None:
    from rich.table import Table

    table = Table("party", "billing office", "paying office", "fund citation", title="offices")
    contacts = Table("party", "name", "position", "e-mail", "phone", title="points of contact")
    for s in a.sides:
        table.add_row(
            s.party,
            _office_text(s.billing_office),
            _office_text(s.paying_office),
            s.fund_citation or "",
        )
        for c in s.contacts:
            contacts.add_row(s.party, c.name, c.position, c.email, c.phone)
    show_result(table)
    show_result(contacts)


def _ceilings(a: ArrangementOut) -> None:
    if not a.ceilings:
        return
    from rich.table import Table

    from acsa.domain.money import money_text

    table = Table("party", "ceiling", "period", "applies to", "note", title="ceilings")
    for c in a.ceilings:
        table.add_row(
            c.party or "",
            money_text(c.amount, c.currency),
            _period(c.period),
            c.applies_to,
            c.note,
        )
    show_result(table)


def _period(period: str) -> Said:
    """fiscal year (of the acquiring party) or total, in the reader's words."""
    return term(period)


def _show_one(a: ArrangementOut, as_json: bool) -> None:
    if as_json:
        print_json(a)
        return
    _table(a.agreement, [a])
    _sides(a)
    _ceilings(a)
    if a.notes:
        out.print(a.notes)


@app.command("list")
def list_(
    agreement_id: AgreementArgument,
    as_of: AsOfOption = None,
    db: DbOption = None,
    as_json: JsonOption = False,
) -> None:
    """The agreement's implementing arrangements, with their status today or on --as-of."""
    from acsa.clock import today
    from acsa.schemas.arrangements import ArrangementOut, arrangement_out
    from acsa.services import arrangements as service

    with refusals(as_json):
        api = remote(db)
        on = parse_day(as_of, "--as-of") or today()
        if api is not None:
            items = api.many(ArrangementOut, _path(agreement_id), {"as_of": on})
        else:
            uow = uow_for(engine_for(db), read_only=True)
            _agreement, found = service.list_arrangements(uow, agreement_id)
            items = [arrangement_out(a, on) for a in found]
    if as_json:
        print_json(items)
        return
    _table(agreement_id, items)
    out.print(say_now("%(n)s arrangement(s)", n=len(items)))


@app.command()
def show(
    agreement_id: AgreementArgument,
    reference: ReferenceArgument,
    as_of: AsOfOption = None,
    db: DbOption = None,
    as_json: JsonOption = False,
) -> None:
    """One arrangement: dates, payment term, each side's billing and paying offices, fund
    citation and points of contact, and its ceilings."""
    from acsa.clock import today
    from acsa.schemas.arrangements import ArrangementOut, arrangement_out
    from acsa.services import arrangements as service

    with refusals(as_json):
        api = remote(db)
        on = parse_day(as_of, "--as-of") or today()
        if api is not None:
            item = api.one(ArrangementOut, "GET", _path(agreement_id, reference), {"as_of": on})
        else:
            uow = uow_for(engine_for(db), read_only=True)
            item = arrangement_out(service.get_arrangement(uow, agreement_id, reference), on)
    _show_one(item, as_json)


def _document(
    file: Path | None,
    options: dict[str, Any],
) -> dict[str, Any]:
    """The document of ``--file`` (an object) with the options given over its fields."""
    from acsa.adapters.registry_file import read_document

    data: Any = read_document(file) if file is not None else {}
    if not isinstance(data, dict):
        raise AcsaError.single(
            Code.INVALID_INPUT, "--file", "expected a JSON object at the top level"
        )
    given = {k: v for k, v in options.items() if v is not None}
    return {**data, **given}


TitleOption = Annotated[str | None, typer.Option("--title", help="The arrangement's title.")]
SignedOption = Annotated[str | None, typer.Option("--signed", help="Day signed (YYYY-MM-DD).")]
InForceOption = Annotated[
    str | None, typer.Option("--in-force", help="Day it enters into force (YYYY-MM-DD).")
]
TermOption = Annotated[
    int | None,
    typer.Option(
        "--payment-term",
        min=1,
        max=365,
        help="Days from an invoice to its due date (default 30).",
    ),
]


@app.command()
def add(
    agreement_id: AgreementArgument,
    file: FileOption = None,
    reference: Annotated[
        str | None, typer.Option("--reference", help="Its reference, unique in the agreement.")
    ] = None,
    title: TitleOption = None,
    signed: SignedOption = None,
    in_force: InForceOption = None,
    payment_term: TermOption = None,
    db: DbOption = None,
    actor: ActorOption = None,
    as_json: JsonOption = False,
) -> None:
    """Add an arrangement from a document (--file: reference, title, signed, in_force,
    payment_term_days, sides per party with billing_office, paying_office, contacts,
    fund_citation; ceilings) and/or options, which replace the file's fields."""
    from acsa.clock import today, utc_now
    from acsa.schemas.arrangements import ArrangementOut, arrangement_out
    from acsa.services import arrangements as service

    with refusals(as_json):
        api = remote(db, actor)
        doc = _document(
            file,
            {
                "reference": reference,
                "title": title,
                "signed": signed,
                "in_force": in_force,
                "payment_term_days": payment_term,
            },
        )
        if api is not None:
            item = api.one(ArrangementOut, "POST", _path(agreement_id), body=doc)
        else:
            uow = uow_for(engine_for(db))
            added = service.add_arrangement(uow, agreement_id, doc, acting(actor), utc_now())
            item = arrangement_out(added, today())
    if as_json:
        print_json(item)
        return
    out.print(
        say_now(
            "arrangement %(reference)s added under %(agreement)s",
            reference=item.reference,
            agreement=item.agreement,
        )
    )


@app.command()
def amend(
    agreement_id: AgreementArgument,
    reference: ReferenceArgument,
    file: FileOption = None,
    title: TitleOption = None,
    signed: SignedOption = None,
    in_force: InForceOption = None,
    payment_term: TermOption = None,
    db: DbOption = None,
    actor: ActorOption = None,
    as_json: JsonOption = False,
) -> None:
    """Change an arrangement: the fields of --file and the options replace its own; the rest
    stay (its reference too)."""
    from acsa.clock import today, utc_now
    from acsa.schemas.arrangements import ArrangementOut, arrangement_out
    from acsa.services import arrangements as service

    with refusals(as_json):
        api = remote(db, actor)
        doc = _document(
            file,
            {
                "title": title,
                "signed": signed,
                "in_force": in_force,
                "payment_term_days": payment_term,
            },
        )
        if api is not None:
            item = api.one(ArrangementOut, "PUT", _path(agreement_id, reference), body=doc)
        else:
            uow = uow_for(engine_for(db))
            after = service.amend_arrangement(
                uow, agreement_id, reference, doc, acting(actor), utc_now()
            )
            item = arrangement_out(after, today())
    if as_json:
        print_json(item)
        return
    out.print(say_now("arrangement %(reference)s amended", reference=item.reference))


@app.command()
def end(
    agreement_id: AgreementArgument,
    reference: ReferenceArgument,
    ended: Annotated[
        str, typer.Option("--ended", help="The first day it is no longer in force (YYYY-MM-DD).")
    ],
    db: DbOption = None,
    actor: ActorOption = None,
    as_json: JsonOption = False,
) -> None:
    """End an arrangement: orders dated from --ended on are refused under it."""
    from acsa.clock import today, utc_now
    from acsa.schemas.arrangements import ArrangementOut, arrangement_out
    from acsa.services import arrangements as service

    with refusals(as_json):
        api = remote(db, actor)
        day = parse_day(ended, "--ended")
        assert day is not None
        if api is not None:
            path = _path(agreement_id, reference, "/end")
            item = api.one(ArrangementOut, "POST", path, body={"ended": day.isoformat()})
        else:
            uow = uow_for(engine_for(db))
            after = service.end_arrangement(
                uow, agreement_id, reference, day, acting(actor), utc_now()
            )
            item = arrangement_out(after, today())
    if as_json:
        print_json(item)
        return
    out.print(
        say_now("arrangement %(reference)s ends on %(day)s", reference=item.reference, day=day)
    )


def side_lines(side: SideOut) -> list[str]:
    """A side's billing office and points of contact as lines (for panels)."""
    found = [_office_text(side.billing_office)] if side.billing_office else []
    found += [f"{c.name} ({c.position}) {c.email} {c.phone}".strip() for c in side.contacts]
    return found
