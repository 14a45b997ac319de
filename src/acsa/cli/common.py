"""What every command shares: options, the database or the server, JSON output and coded
errors.

With a server set (``acsa --server URL --token TOKEN``, or ACSA_SERVER and ACSA_TOKEN), a
command that has an API equivalent asks ``remote()`` for the API client and goes through it,
as the token's user; one that works on a local database only is refused by ``engine_for``,
which never opens a database while a server is set.
"""

from __future__ import annotations

import json
import sys
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from decimal import Decimal
from typing import TYPE_CHECKING, Annotated, Any

import typer
from rich.console import Console
from rich.table import Table

from acsa.cli import language
from acsa.cli.output import json_wanted
from acsa.config import actor as acting
from acsa.domain.errors import AcsaError, Code, Violation
from acsa.domain.limits import QUANTITY_OR_ZERO, line_quantities
from acsa.domain.messages import t
from acsa.i18n import gettext, say, violation_text

if TYPE_CHECKING:
    from pydantic import BaseModel
    from sqlalchemy import Engine

    from acsa.adapters.db.unit_of_work import UnitOfWork
    from acsa.cli.client import Client
    from acsa.commands import Command


EXIT_REFUSED = 2
ENV_SERVER = "ACSA_SERVER"
ENV_TOKEN = "ACSA_TOKEN"  # noqa: S105 - the name of an environment variable, not a secret

#: The width of what goes to a pipe or a file: as wide as the widest line, never cut at the
#: 80 columns Rich assumes when the output is not a terminal.
UNBOUNDED_WIDTH = 10_000


def _console(stderr: bool) -> Console:
    """A terminal's width on a terminal; otherwise UNBOUNDED_WIDTH, whatever COLUMNS says."""
    stream = sys.stderr if stderr else sys.stdout
    width = None if stream is not None and stream.isatty() else UNBOUNDED_WIDTH
    return Console(stderr=stderr, highlight=False, width=width)


out = _console(stderr=False)
err = _console(stderr=True)

DbOption = Annotated[
    str | None,
    typer.Option(
        "--db",
        help="Database URL (default: ACSA_DATABASE_URL, else the SQLite file "
        "in your data directory; see `acsa info`).",
        show_default=False,
    ),
]
JsonOption = Annotated[
    bool,
    typer.Option(
        "--json",
        help="Print the result as JSON on stdout (also `acsa --json COMMAND`).",
        callback=json_wanted,
    ),
]
ActorOption = Annotated[
    str | None,
    typer.Option(
        "--actor",
        help="Who is acting (default: ACSA_ACTOR, else your login name).",
        show_default=False,
    ),
]
LineOption = Annotated[
    list[str] | None,
    typer.Option(
        "--line",
        help="Per-line quantity as N=QTY (line numbers as `orders show` "
        "lists them); repeat for several lines.",
        show_default=False,
    ),
]


ServerOption = Annotated[
    str | None,
    typer.Option(
        "--server",
        envvar=ENV_SERVER,
        help="Work through the acsa server at this URL (its REST API) instead of a local "
        "database, as the user of --token.",
        show_default=False,
    ),
]
TokenOption = Annotated[
    str | None,
    typer.Option(
        "--token",
        envvar=ENV_TOKEN,
        help="Your personal API token for --server (`acsa tokens new`); ACSA_TOKEN keeps it "
        "out of the process list.",
        show_default=False,
    ),
]


@dataclass
class _Server:
    """The server the process works through, if any (set by the root command's options)."""

    url: str | None = None
    token: str | None = None
    client: Client | None = None


_server = _Server()


def use_server(url: str | None, token: str | None) -> None:
    """Work through the server at ``url`` (None: the local database) from now on."""
    close_server()
    _server.url = url.strip() if url and url.strip() else None
    _server.token = token


def close_server() -> None:
    if _server.client is not None:
        _server.client.close()
    _server.client = None


def remote(db: str | None = None, actor: str | None = None) -> Client | None:
    """The API client when a server is set, else None: the one place where a command learns
    whether it works through the server or on a local database. ``db`` and ``actor`` are the
    command's --db and --actor, which only a local database can honour."""
    if _server.url is None:
        return None
    if db:
        raise AcsaError.single(
            Code.INVALID_INPUT,
            "--db",
            "--db names a local database, but a server is set ({server}, from --server or "
            "{variable}): give one or the other",
            server=_server.url,
            variable=ENV_SERVER,
        )
    if actor:
        raise AcsaError.single(
            Code.INVALID_INPUT,
            "--actor",
            "through a server you act as the user of your token; --actor is for a local database",
        )
    if _server.client is None:
        from acsa.cli.client import Client  # httpx: loaded when a server is used

        _server.client = Client(_server.url, _server.token, lang=language.current())
    return _server.client


def local_only() -> AcsaError:
    """The refusal of a command that works on a local database only, while a server is set."""
    command = "this command"
    try:  # Typer's own (vendored) click keeps the running command's context
        from typer._click.globals import get_current_context

        ctx = get_current_context(silent=True)
        command = ctx.command_path if ctx is not None else command
    except ImportError:  # pragma: no cover - another Typer
        pass
    return AcsaError.single(
        Code.INVALID_INPUT,
        "--server",
        "`{command}` works on a local database only, and a server is set ({server}, from "
        "--server or {variable}); run it without one",
        command=command,
        server=_server.url,
        variable=ENV_SERVER,
    )


def engine_for(db: str | None, check_schema: bool = True) -> Engine:
    """The process's one engine for the database ``db`` names (see ``acsa.config``); refused
    while a server is set, so that no command opens a database behind the server's back."""
    if _server.url is not None:
        raise local_only()
    from acsa.bootstrap import open_database  # the database layer: loaded when one is used

    return open_database(db, check_schema)


def uow_for(engine: Engine, read_only: bool = False) -> UnitOfWork:
    from acsa.adapters.db.unit_of_work import UnitOfWork

    return UnitOfWork(engine, read_only=read_only)


def print_json(value: BaseModel | Sequence[BaseModel]) -> None:
    """A model or a list of models as JSON: decimals as strings, dates as ISO 8601."""
    from pydantic import BaseModel

    if not isinstance(value, BaseModel):
        text = json.dumps([item.model_dump(mode="json") for item in value], indent=2)
    else:
        text = value.model_dump_json(indent=2)
    sys.stdout.write(text + "\n")


def print_errors(violations: tuple[Violation, ...] | list[Violation], as_json: bool) -> None:
    """A refusal in the command's language (``--lang``): its table on stderr, or as JSON
    (each violation's message with its ``message_id`` and ``params``, as the API gives it)."""
    from acsa.schemas.orders import violation_out

    lang = language.current()
    if as_json:
        errors = [violation_out(v, lang).model_dump(mode="json") for v in violations]
        sys.stdout.write(json.dumps({"errors": errors}, indent=2, ensure_ascii=False) + "\n")
        return
    table = Table(title=say(t("Refused"), lang), title_style="bold red", show_lines=False)
    for column in ("code", "field", "message", "clause"):
        table.add_column(gettext(lang, column), overflow="fold")
    for v in violations:
        table.add_row(v.code.value, v.field, violation_text(v, lang), v.clause or "")
    err.print(table)


@contextmanager
def refusals(as_json: bool) -> Iterator[None]:
    """Turn a coded refusal into the documented output and exit code 2."""
    try:
        yield
    except AcsaError as exc:
        print_errors(exc.violations, as_json)
        raise typer.Exit(EXIT_REFUSED) from None
    except Exception as exc:
        if not _is_operational_error(exc):
            raise
        violation = Violation(
            Code.INVALID_INPUT,
            "db",
            "the database cannot be used: {problem}",
            params={"problem": str(getattr(exc, "orig", None) or exc)},
        )
        print_errors([violation], as_json)
        raise typer.Exit(EXIT_REFUSED) from None


def _is_operational_error(exc: Exception) -> bool:
    """A database that cannot be used (SQLAlchemy's OperationalError). Only a command that
    opened a database can raise one, and SQLAlchemy is loaded by then: never imported here."""
    sa_exc = sys.modules.get("sqlalchemy.exc")
    return sa_exc is not None and isinstance(exc, sa_exc.OperationalError)


def parse_lines(values: list[str] | None) -> dict[int, Decimal] | None:
    """``["1=50", "3=2.5"]`` as {1: Decimal("50"), 3: Decimal("2.5")}: plain line numbers and
    plain decimals within the quantity bounds (``acsa.domain.limits``), each line once."""
    if not values:
        return None
    pairs: list[tuple[object, object]] = []
    errors: list[Violation] = []
    for value in values:
        number, sep, qty = value.partition("=")
        if not sep:
            errors.append(
                Violation(
                    Code.INVALID_QUANTITY,
                    "--line",
                    "--line {value}: write the line number and the quantity as N=QTY, e.g. 1=50",
                    params={"value": repr(value[:40])},
                )
            )
        pairs.append((number, qty))
    if errors:
        raise AcsaError(errors)
    return line_quantities("--line", pairs, QUANTITY_OR_ZERO)


def take(command: Command, db: str | None = None, actor: str | None = None) -> Any:
    """Carry out ``command`` through the server when one is set (as the token's user), else on
    the local database ``db`` as ``actor``; answered as the API answers it: the order as it
    now stands, an invoice, a settlement in kind or the agreement as it now stands (today)."""
    api = remote(db, actor)
    if api is not None:
        return api.send(command)
    from acsa.clock import today
    from acsa.schemas.orders import agreement_out
    from acsa.services.handlers import handle
    from acsa.services.orders import order_view

    result = handle(uow_for(engine_for(db)), command, acting(actor))
    if command.spec.result == "agreement":
        return agreement_out(result, today())
    if command.spec.result != "order":
        return result
    order = result[0] if isinstance(result, tuple) else result
    return order_view(uow_for(engine_for(db, check_schema=False), read_only=True), order.id)
