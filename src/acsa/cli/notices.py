"""acsa alerts run: make the notices due on a day (for cron; the server's scheduler does the
same every ACSA_ALERTS_INTERVAL seconds). acsa notices list|read: your inbox (through a server:
the user of your token; on a local database: the user named by --actor, ACSA_ACTOR or your
login name)."""

from __future__ import annotations

from typing import TYPE_CHECKING, Annotated

import typer

from acsa.cli import language
from acsa.cli.common import (
    ActorOption,
    DbOption,
    JsonOption,
    engine_for,
    print_json,
    refusals,
    remote,
    uow_for,
)
from acsa.cli.options import ID_MAX, ID_MIN, parse_day
from acsa.cli.render import Said, say_now, show_result
from acsa.config import actor as acting

if TYPE_CHECKING:
    from acsa.schemas.notices import AlertsOut, NoticeOut

alerts_app = typer.Typer(
    no_args_is_help=True,
    help="Notices of what waits for people and of deadlines: make those due (for cron).",
)
notices_app = typer.Typer(
    no_args_is_help=True, help="Your notices: what waits for you, deadlines, refusals."
)


@alerts_app.command()
def run(
    as_of: Annotated[
        str | None,
        typer.Option("--as-of", help="The day the notices are due on (default: today, UTC)."),
    ] = None,
    sweep: Annotated[
        bool,
        typer.Option(
            "--sweep", help="Run the settlement deadline sweep of that day first (audited)."
        ),
    ] = False,
    db: DbOption = None,
    actor: ActorOption = None,
    as_json: JsonOption = False,
) -> None:
    """Make every notice due on the day not made yet (each once: a re-run makes nothing
    twice) and put it in the inbox of the users of its nation and roles; with --sweep, convert
    in-kind debt past its deadline to cash first."""
    with refusals(as_json):
        day = parse_day(as_of, "--as-of")
        api = remote(db, actor)
        if api is not None:
            from acsa.schemas.notices import AlertsOut

            body = {"as_of": None if day is None else day.isoformat(), "sweep": sweep}
            result = api.one(AlertsOut, "POST", "/alerts/run", body=body)
        else:
            from acsa.services.notices import run_alerts

            result = run_alerts(uow_for(engine_for(db)), day, acting(actor), sweep=sweep)
    if as_json:
        print_json(result)
        return
    _show_run(result)


def _kind(kind: str) -> Said:
    """A notice's kind in the reader's words; its code in CSV."""
    from acsa.i18n.notice_words import kind_label

    def words(lang: str) -> str:
        return kind_label(kind, lang)

    return Said(kind, words)


def _show_run(result: AlertsOut) -> None:
    from rich.console import Group
    from rich.table import Table

    parts: list[Table] = []
    if result.sweep is not None:
        swept = Table("as of", "converted", title="deadline sweep")
        swept.add_row(
            result.sweep.as_of.isoformat(), ", ".join(str(o) for o in result.sweep.converted)
        )
        parts.append(swept)
    table = Table("notice", "kind", "nation", "roles", "order", "due", "recipients")
    table.title = "notices made"
    for c in result.created:
        table.add_row(
            str(c.id),
            _kind(c.kind),
            c.nation,
            ", ".join(c.roles),
            "" if c.order is None else str(c.order),
            "" if c.due is None else c.due.isoformat(),
            str(c.recipients),
        )
    parts.append(table)
    show_result(Group(*parts))


def _show(items: list[NoticeOut], unread: int) -> None:
    from rich.table import Table

    table = Table("notice", "date", "order", "title", "read", title="notices")
    table.caption = say_now("%(unread)s unread", unread=unread)
    for n in items:
        table.add_row(
            str(n.id),
            n.as_of.isoformat(),
            "" if n.order is None else str(n.order),
            n.title,
            "" if n.read_at is None else n.read_at.date().isoformat(),
        )
    show_result(table)


@notices_app.command("list")
def list_(
    unread: Annotated[bool, typer.Option("--unread", help="Only those not read yet.")] = False,
    db: DbOption = None,
    actor: ActorOption = None,
    as_json: JsonOption = False,
) -> None:
    """Your notices, newest first, in your language, with how many are unread."""
    with refusals(as_json):
        api = remote(db, actor)
        if api is not None:
            from acsa.schemas.notices import InboxOut

            found = api.one(InboxOut, "GET", "/notices", {"unread": "true"} if unread else None)
        else:
            from acsa.services.notices import inbox, reader_named

            engine = engine_for(db)
            reader = reader_named(uow_for(engine, read_only=True), acting(actor))
            found = inbox(
                uow_for(engine, read_only=True), reader, language.current(), unread_only=unread
            )
    if as_json:
        print_json(found)
        return
    _show(found.items, found.unread)


@notices_app.command()
def read(
    notice: Annotated[
        int | None,
        typer.Argument(metavar="ID", min=ID_MIN, max=ID_MAX, help="The notice's number."),
    ] = None,
    every: Annotated[bool, typer.Option("--all", help="Mark every notice read.")] = False,
    db: DbOption = None,
    actor: ActorOption = None,
    as_json: JsonOption = False,
) -> None:
    """Mark a notice read (again: it stays read since the first time), or --all of them."""
    from acsa.domain.errors import AcsaError, Code

    with refusals(as_json):
        if (notice is None) == (not every):
            raise AcsaError.single(
                Code.INVALID_INPUT, "ID", "give a notice's number or --all (one of the two)"
            )
        api = remote(db, actor)
        if api is not None:
            from acsa.schemas.notices import NoticeOut, ReadAllOut

            if every:
                done = api.one(ReadAllOut, "POST", "/notices/read-all")
                result: object = done
            else:
                result = api.one(NoticeOut, "POST", f"/notices/{notice}/read")
        else:
            from acsa.services.notices import mark_all_read, mark_read, reader_named

            engine = engine_for(db)
            reader = reader_named(uow_for(engine, read_only=True), acting(actor))
            if every:
                result = mark_all_read(uow_for(engine), reader)
            else:
                assert notice is not None
                result = mark_read(uow_for(engine), reader, notice, language.current())
    from acsa.schemas.notices import NoticeOut, ReadAllOut

    if as_json:
        assert isinstance(result, NoticeOut | ReadAllOut)
        print_json(result)
        return
    if isinstance(result, NoticeOut):
        _show([result], 0)
        return
    assert isinstance(result, ReadAllOut)
    from rich.table import Table

    table = Table("marked", "unread", title="notices")
    table.add_row(str(result.marked), str(result.unread))
    show_result(table)


def _deliver_command() -> None:
    """``acsa alerts deliver``: one delivery pass of the notices by e-mail and webhook
    (acsa.cli.webhooks)."""
    from acsa.cli.webhooks import deliver

    alerts_app.command("deliver")(deliver)


_deliver_command()
