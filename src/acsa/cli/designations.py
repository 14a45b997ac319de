"""acsa designations add|list|end|policy: a nation's designated officials (the local
operator's, or through a server an admin's for their own nation; everyone of the nation
lists them)."""

from __future__ import annotations

from datetime import date
from typing import TYPE_CHECKING, Annotated, Any

import typer
from rich.table import Table

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
from acsa.cli.options import ID_MAX, ID_MIN
from acsa.cli.output import OutputFormat
from acsa.cli.render import FormatOption, Said, said, show_result, term
from acsa.config import actor as acting
from acsa.domain.money import money_text
from acsa.i18n import gettext

if TYPE_CHECKING:
    from acsa.schemas.designations import DesignationOut, PolicyOut

app = typer.Typer(
    no_args_is_help=True,
    help="Designated officials: who may submit, accept, receive and certify for a nation, up "
    "to what value.",
)

DayOption = Annotated[date, typer.Option(formats=["%Y-%m-%d"], show_default=False)]


def _role(words: str) -> Said:
    """A role's English words (as the API gives them), in the reader's language."""
    return Said(words, lambda lang: gettext(lang, words))


def _table(rows: list[DesignationOut]) -> Table:
    table = Table(title="Designations")
    for column in ("id", "user", "role", "limit", "valid", "reference", "state"):
        table.add_column(column)
    for d in rows:
        start = d.valid_from.isoformat()
        until = d.valid_until.isoformat() if d.valid_until else None
        valid = (
            said("%(start)s .. %(until)s", start=start, until=until)
            if until
            else said("%(start)s .. open", start=start)
        )
        state = term("current" if d.current else "not_current")
        if d.ended_on is not None:
            state = said("ended %(day)s", day=d.ended_on.isoformat())
        table.add_row(
            str(d.id),
            d.user,
            _role(d.role_words),
            money_text(d.limit, d.currency),
            valid,
            f"{d.reference} ({d.reference_date.isoformat()})",
            state,
        )
    return table


@app.command("add")
def add(
    user: Annotated[str, typer.Argument(help="The official's user name (of your nation).")],
    role: Annotated[
        str,
        typer.Option(
            "--role", help="ordering, accepting, receiving or certifying.", show_default=False
        ),
    ],
    limit: Annotated[
        str, typer.Option("--limit", help="Authority limit (e.g. 5000000).", show_default=False)
    ],
    currency: Annotated[
        str, typer.Option("--currency", help="ISO 4217 code of the limit.", show_default=False)
    ],
    valid_from: Annotated[
        date,
        typer.Option("--from", formats=["%Y-%m-%d"], help="First day it is valid."),
    ],
    reference: Annotated[
        str,
        typer.Option(
            "--reference", help="Number of the designating letter or order.", show_default=False
        ),
    ],
    reference_date: Annotated[
        date,
        typer.Option("--reference-date", formats=["%Y-%m-%d"], help="Date of that letter."),
    ],
    valid_until: Annotated[
        date | None,
        typer.Option("--until", formats=["%Y-%m-%d"], help="Last day it is valid (open)."),
    ] = None,
    db: DbOption = None,
    actor: ActorOption = None,
    as_json: JsonOption = False,
) -> None:
    """Designate a user for a role with an authority limit (converted under the nation's rate
    rule for values in another currency), a validity period and its reference. The nation's
    first designation turns its enforcement on."""
    from acsa.schemas.designations import DesignationOut
    from acsa.services import designations as service

    doc: dict[str, Any] = {
        "user": user,
        "role": role,
        "limit": limit,
        "currency": currency,
        "valid_from": valid_from.isoformat(),
        "valid_until": valid_until.isoformat() if valid_until else None,
        "reference": reference,
        "reference_date": reference_date.isoformat(),
    }
    with refusals(as_json):
        api = remote(db, actor)
        if api is not None:
            made = api.one(DesignationOut, "POST", "/designations", body=doc)
        else:
            made = service.add_designation(uow_for(engine_for(db)), doc, acting(actor))
    if as_json:
        print_json(made)
    else:
        out.print(
            f"designation {made.id}: {made.user} ({made.nation}) {made.role_words} up to "
            f"{money_text(made.limit, made.currency)}, {made.reference}"
        )


@app.command("list")
def list_(
    nation: Annotated[
        str | None, typer.Option(help="The nation (through a server: your own).")
    ] = None,
    user: Annotated[str | None, typer.Option(help="Only this official's.")] = None,
    on: Annotated[
        date | None,
        typer.Option(formats=["%Y-%m-%d"], help="Say which are current on this day (today)."),
    ] = None,
    db: DbOption = None,
    output_format: FormatOption = OutputFormat.TABLE,
    as_json: JsonOption = False,
) -> None:
    """A nation's designations, oldest first, and whether each is current."""
    from acsa.schemas.designations import DesignationOut
    from acsa.services import designations as service

    with refusals(as_json):
        api = remote(db)
        if api is not None:
            api.own_nation(nation, "nation", "you read the designations")
            params: dict[str, Any] = {}
            if user is not None:
                params["user"] = user
            if on is not None:
                params["on"] = on.isoformat()
            rows = api.many(DesignationOut, "/designations", params)
        else:
            rows = service.list_designations(uow_for(engine_for(db), True), nation, user, on)
    if as_json:
        print_json(rows)
    else:
        show_result(_table(rows), output_format)


@app.command("end")
def end(
    designation_id: Annotated[
        int, typer.Argument(min=ID_MIN, max=ID_MAX, help="The designation's id.")
    ],
    on: Annotated[
        date | None,
        typer.Option(formats=["%Y-%m-%d"], help="First day it no longer holds (today)."),
    ] = None,
    reason: Annotated[str, typer.Option(help="Why, for the record.")] = "",
    db: DbOption = None,
    actor: ActorOption = None,
    as_json: JsonOption = False,
) -> None:
    """End (revoke) a designation: from ``--on`` its official may not act by it. Kept."""
    from acsa.schemas.designations import DesignationOut
    from acsa.services import designations as service

    with refusals(as_json):
        api = remote(db, actor)
        if api is not None:
            body = {"on": on.isoformat() if on else None, "reason": reason}
            ended = api.one(
                DesignationOut, "POST", f"/designations/{designation_id}/end", body=body
            )
        else:
            ended = service.end_designation(
                uow_for(engine_for(db)), designation_id, on, reason, acting(actor)
            )
    if as_json:
        print_json(ended)
    else:
        assert ended.ended_on is not None
        out.print(f"designation {ended.id} of {ended.user} ended on {ended.ended_on.isoformat()}")


@app.command("policy")
def policy(
    nation: Annotated[
        str | None, typer.Argument(help="The nation (through a server: yours).")
    ] = None,
    required: Annotated[
        bool | None,
        typer.Option(
            "--required/--not-required",
            help="Whether its guarded steps need a designation.",
            show_default=False,
        ),
    ] = None,
    separation: Annotated[
        bool | None,
        typer.Option(
            "--separation/--no-separation",
            help="Whether who authorised an order may not also receive or certify it.",
            show_default=False,
        ),
    ] = None,
    db: DbOption = None,
    actor: ActorOption = None,
    as_json: JsonOption = False,
) -> None:
    """Show a nation's designation policy, or change it (an admin of that nation)."""
    from acsa.schemas.designations import PolicyOut
    from acsa.services import designations as service

    change = required is not None or separation is not None
    found: PolicyOut
    with refusals(as_json):
        api = remote(db, actor)
        if api is not None:
            api.own_nation(nation, "nation", "you read the designations")
            if change:
                body = {"required": required, "separation": separation}
                found = api.one(PolicyOut, "POST", "/designations/policy", body=body)
            else:
                found = api.one(PolicyOut, "GET", "/designations/policy")
        else:
            code = nation or ""
            if change:
                uow = uow_for(engine_for(db))
                found = service.set_policy(uow, code, required, separation, acting(actor))
            else:
                found = service.get_policy(uow_for(engine_for(db), True), code)
    if as_json:
        print_json(found)
    else:
        out.print(
            f"{found.nation}: designations {'required' if found.required else 'not required'}, "
            f"separation of duties {'on' if found.separation else 'off'}"
        )
