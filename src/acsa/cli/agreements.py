"""acsa agreements list|show|add|amend.

Run on the installation's own database, the command acts as its operator (the one who holds
the database): it sees and changes every agreement. With a server it goes through the API
with the token's rights: the agreements its nation is party to, changed by their admins (a
registry keeper: all)."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from acsa.adapters.registry_file import read_document
from acsa.cli.common import (
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
from acsa.cli.render import agreement_panel, agreements_table
from acsa.clock import today
from acsa.schemas import agreement_out
from acsa.services import agreements as service

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
    as_json: JsonOption = False,
) -> None:
    """List agreements, with their status today or on --as-of (through a server: those your
    nation is party to; a registry keeper's, all)."""
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
    who = f" of {party.upper()}" if party else ""
    out.print(agreements_table(items, f"agreements{who} as of {when}"))
    out.print(f"{len(items)} signed by {when}, {in_force} in force then")


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
    out.print(agreement_panel(item))


@app.command()
def add(file: FileOption, db: DbOption = None, as_json: JsonOption = False) -> None:
    """Add an agreement from a document (id, title, parties, versions); through a server, as
    an admin of one of its parties or a registry keeper."""
    with refusals(as_json):
        api = remote(db)
        if api is not None:
            item = api.add_agreement(read_document(file))
        else:
            agreement = service.add_agreement(uow_for(engine_for(db)), read_document(file))
            item = agreement_out(agreement, today())
    if as_json:
        print_json(item)
        return
    out.print(f"agreement {item.id} added")


@app.command()
def amend(
    agreement_id: Annotated[str, typer.Argument(metavar="ID")],
    file: FileOption,
    db: DbOption = None,
    as_json: JsonOption = False,
) -> None:
    """Add a new version (a new text or an amendment) to an agreement; through a server, as
    an admin of one of its parties or a registry keeper."""
    with refusals(as_json):
        api = remote(db)
        if api is not None:
            item = api.amend_agreement(agreement_id, read_document(file))
        else:
            agreement = service.amend_agreement(
                uow_for(engine_for(db)), agreement_id, read_document(file)
            )
            item = agreement_out(agreement, today())
    if as_json:
        print_json(item)
        return
    latest = item.versions[-1]
    out.print(f"agreement {item.id} amended: version {latest.version} ({latest.label})")
