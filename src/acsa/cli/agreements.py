"""acsa agreements list|show|add|amend|end.

Run on the installation's own database, the command acts as its operator (the one who holds
the database): it sees and changes every agreement. With a server it goes through the API
with the token's rights: the agreements its nation is party to, changed by their admins (a
registry keeper: all). A change is a command (AddAgreement, AmendAgreement, RecordInForceDay,
RecordTermination) taken the same way either way (``take``)."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer

from acsa.cli.common import (
    DbOption,
    JsonOption,
    engine_for,
    out,
    print_json,
    refusals,
    remote,
    take,
    uow_for,
)
from acsa.cli.options import parse_day
from acsa.cli.output import OutputFormat
from acsa.cli.render import (
    FormatOption,
    agreement_panel,
    agreements_table,
    said,
    say_now,
    show_result,
)
from acsa.domain.errors import AcsaError, Code

if TYPE_CHECKING:
    from acsa.schemas.orders import AgreementOut


app = typer.Typer(no_args_is_help=True, help="The registry of agreements.")

FileOption = Annotated[
    Path, typer.Option("--file", help="Agreement document, JSON or YAML.", exists=False)
]


@app.command("list")
def list_(
    party: Annotated[
        str | None, typer.Option(help="Only agreements of this party (ISO alpha-3).")
    ] = None,
    as_of: Annotated[
        str | None,
        typer.Option(
            "--as-of", help="Agreements signed by this date, with their status then (YYYY-MM-DD)."
        ),
    ] = None,
    db: DbOption = None,
    output_format: FormatOption = OutputFormat.TABLE,
    as_json: JsonOption = False,
) -> None:
    """List agreements, with their status today or on --as-of (through a server: those your
    nation is party to; a registry keeper's, all)."""
    from acsa.clock import today
    from acsa.schemas.orders import agreement_out
    from acsa.services import agreements as service

    with refusals(as_json):
        api = remote(db)
        on = parse_day(as_of, "--as-of")
        if api is not None:
            items = api.list_agreements(party, on)
        else:
            found = service.list_agreements(uow_for(engine_for(db), read_only=True), party, on)
            items = [agreement_out(a, on or today()) for a in found]
    if as_json:
        print_json(items)
        return
    when = on or today()
    in_force = sum(1 for a in items if a.status == "in_force")
    title = (
        said("agreements of %(party)s as of %(day)s", party=party.upper(), day=when)
        if party
        else said("agreements as of %(day)s", day=when)
    )
    show_result(agreements_table(items, title), output_format)
    out.print(
        say_now(
            "%(n)s signed by %(day)s, %(in_force)s in force then",
            n=len(items),
            day=when,
            in_force=in_force,
        )
    )


@app.command()
def show(
    agreement_id: Annotated[str, typer.Argument(metavar="ID")],
    as_of: Annotated[
        str | None, typer.Option("--as-of", help="Show the text governing this date.")
    ] = None,
    db: DbOption = None,
    as_json: JsonOption = False,
) -> None:
    """One agreement: dates, status, scope, settlement terms, versions and sources."""
    from acsa.clock import today
    from acsa.schemas.orders import agreement_out
    from acsa.services import agreements as service

    with refusals(as_json):
        api = remote(db)
        on = parse_day(as_of, "--as-of") or today()
        if api is not None:
            item = api.get_agreement(agreement_id, on)
        else:
            item = agreement_out(
                service.get_agreement(uow_for(engine_for(db), read_only=True), agreement_id), on
            )
    if as_json:
        print_json(item)
        return
    show_result(agreement_panel(item))


@app.command()
def add(file: FileOption, db: DbOption = None, as_json: JsonOption = False) -> None:
    """Add an agreement from a document (id, title, parties, versions); through a server, as
    an admin of one of its parties or a registry keeper."""
    from acsa.adapters.registry_file import read_document
    from acsa.commands import AddAgreement

    with refusals(as_json):
        remote(db)  # --db with a server set is refused before the document is read
        item: AgreementOut = take(AddAgreement.from_wire(read_document(file)), db)
    if as_json:
        print_json(item)
        return
    out.print(f"agreement {item.id} added")


SourceOption = Annotated[
    str | None, typer.Option("--source", help="Where the fact is stated (a press release).")
]


@app.command()
def amend(
    agreement_id: Annotated[str, typer.Argument(metavar="ID")],
    file: Annotated[
        Path | None,
        typer.Option("--file", help="A new version (text or amendment), JSON or YAML."),
    ] = None,
    version: Annotated[
        int | None,
        typer.Option(
            "--version",
            min=1,
            max=2**31 - 1,
            help="With --in-force: the version whose day of entry into force you learnt.",
        ),
    ] = None,
    in_force: Annotated[
        str | None,
        typer.Option(
            "--in-force",
            help="The day the version entered into force (YYYY-MM-DD), inside the month or "
            "year the registry gives.",
        ),
    ] = None,
    source: SourceOption = None,
    db: DbOption = None,
    as_json: JsonOption = False,
) -> None:
    """Add a new version (a new text or an amendment) to an agreement from --file; or record
    the day a version entered into force, once learnt (--version N --in-force DAY --source
    ...). Through a server, as an admin of one of its parties or a registry keeper."""
    with refusals(as_json):
        if file is None:
            day = _learnt_day(version, in_force, source)
            item = _record_day(agreement_id, day, db)
        else:
            if version is not None or in_force is not None or source is not None:
                raise AcsaError.single(
                    Code.INVALID_INPUT,
                    "--file",
                    "--file adds a version; --version, --in-force and --source record a day "
                    "of entry into force: give one or the other",
                )
            item = _amend_from_file(agreement_id, file, db)
    if as_json:
        print_json(item)
        return
    if file is None:
        learnt = item.in_force_days[-1]
        out.print(
            f"agreement {item.id}: version {learnt.version} entered into force on "
            f"{learnt.day} (recorded; the registry gave {learnt.was or 'no date'})"
        )
        return
    latest = item.versions[-1]
    out.print(f"agreement {item.id} amended: version {latest.version} ({latest.label})")


def _amend_from_file(agreement_id: str, file: Path, db: str | None) -> AgreementOut:
    from acsa.adapters.registry_file import read_document
    from acsa.commands import AmendAgreement

    remote(db)
    amendment = AmendAgreement.from_wire(read_document(file), agreement_id=agreement_id)
    item: AgreementOut = take(amendment, db)
    return item


def _learnt_day(version: int | None, in_force: str | None, source: str | None) -> dict[str, object]:
    """The learnt day's document from the options; MISSING_FIELD naming what is not given."""
    missing = [
        name
        for name, value in (("--version", version), ("--in-force", in_force), ("--source", source))
        if value is None
    ]
    if len(missing) == 3:
        raise AcsaError.single(
            Code.MISSING_FIELD,
            "--file",
            "give --file (a new version) or --version, --in-force and --source (the day a "
            "version entered into force)",
        )
    if missing:
        raise AcsaError.single(
            Code.MISSING_FIELD,
            missing[0],
            "{option} is needed to record a day of entry into force (--version, --in-force "
            "and --source)",
            option=missing[0],
        )
    assert version is not None
    return {"version": version, "in_force": _day(in_force, "--in-force"), "source": source}


def _day(value: str | None, field: str) -> str:
    """A day typed for ``field`` (YYYY-MM-DD), as ISO text; blank is MISSING_FIELD."""
    day = parse_day(value, field)
    if day is None:
        raise AcsaError.single(
            Code.MISSING_FIELD, field, "{option} needs a day (YYYY-MM-DD)", option=field
        )
    return day.isoformat()


def _record_day(agreement_id: str, data: dict[str, object], db: str | None) -> AgreementOut:
    from acsa.commands import RecordInForceDay

    remote(db)
    item: AgreementOut = take(RecordInForceDay.from_wire(data, agreement_id=agreement_id), db)
    return item


@app.command()
def end(
    agreement_id: Annotated[str, typer.Argument(metavar="ID")],
    notice_date: Annotated[
        str, typer.Option("--notice-date", help="The day written notice was given (YYYY-MM-DD).")
    ],
    effective: Annotated[
        str,
        typer.Option(
            "--effective",
            help="The day the agreement ends: not in force from then (YYYY-MM-DD).",
        ),
    ],
    by: Annotated[str, typer.Option("--by", help="The party that gave notice (ISO alpha-3).")],
    source: Annotated[str, typer.Option("--source", help="Where the notice is recorded.")],
    reference: Annotated[
        str, typer.Option("--reference", help="The notice's own reference, if any.")
    ] = "",
    db: DbOption = None,
    as_json: JsonOption = False,
) -> None:
    """Record a notice of termination: from --effective the agreement has ended and orders
    dated then are refused. --effective is at least the text's notice (one year) after
    --notice-date, or the end of the current term when notice came by its renewal-notice
    deadline. Through a server, as an admin of one of its parties or a registry keeper."""
    from acsa.commands import RecordTermination

    with refusals(as_json):
        given = _day(notice_date, "--notice-date")
        ends = _day(effective, "--effective")
        data = {
            "notice_date": given,
            "effective": ends,
            "by": by,
            "source": source,
            "reference": reference,
        }
        remote(db)
        notice = RecordTermination.from_wire(data, agreement_id=agreement_id)
        item: AgreementOut = take(notice, db)
    if as_json:
        print_json(item)
        return
    out.print(f"agreement {item.id} ends on {ends}: notice given by {by.upper()} on {given}")
