"""acsa users add|list|update and acsa tokens new|list|revoke: the local operator's, or
through a server an admin's for the users of their nation, and everyone's for their own
tokens."""

from __future__ import annotations

from typing import TYPE_CHECKING, Annotated, Any

import typer
from rich.table import Table
from rich.text import Text

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
from acsa.domain.errors import AcsaError, Code
from acsa.domain.messages import words
from acsa.domain.sign_in import CountedBy
from acsa.i18n import gettext

if TYPE_CHECKING:
    from acsa.schemas.accounts import SignInLockOut, TokenOut, UnlockOut, UserOut


users_app = typer.Typer(no_args_is_help=True, help="People who use acsa: nation, roles, password.")
tokens_app = typer.Typer(
    no_args_is_help=True, help="Personal API tokens for scripts and `--server`."
)

RoleOption = Annotated[
    list[str] | None,
    typer.Option(
        "--role",
        help="viewer, requester, approver, logistics, finance, auditor, admin or "
        "registry_keeper (every agreement; granted only by an installation admin); repeat for "
        "several (or give them comma-separated).",
        show_default=False,
    ),
]


def _roles(values: list[str] | None) -> list[str] | None:
    if values is None:
        return None
    return [r for value in values for r in value.split(",") if r.strip()]


def _role_words(roles: list[str]) -> Said:
    """A user's roles: their codes in CSV (as --role takes them), their words for people."""
    return Said(", ".join(roles), lambda lang: "、".join(gettext(lang, words(r)) for r in roles))


def _users_table(rows: list[UserOut]) -> Table:
    table = Table(title="Users")
    for column in ("name", "nation", "roles", "language", "active", "password"):
        table.add_column(column)
    for u in rows:
        table.add_row(
            u.name,
            u.nation,
            _role_words(u.roles),
            u.language,
            term("yes" if u.active else "no"),
            said("set") if u.has_password else said("none (tokens only)"),
        )
    return table


@users_app.command("add")
def add(
    name: Annotated[str, typer.Argument(help="The user's sign-in name.")],
    nation: Annotated[str, typer.Option("--nation", help="ISO 3166-1 alpha-3 code (JPN).")],
    role: RoleOption = None,
    password: Annotated[
        str | None,
        typer.Option(
            "--password",
            help="Password for signing in to the web UI (at least 8 characters); without it "
            "the user signs in with tokens only. ACSA_PASSWORD is read when this is absent.",
            envvar="ACSA_PASSWORD",
            show_default=False,
        ),
    ] = None,
    language: Annotated[str, typer.Option(help="en or ja.")] = "en",
    db: DbOption = None,
    actor: ActorOption = None,
    as_json: JsonOption = False,
) -> None:
    """Add a user of one nation with one or more roles (through a server: an admin adds
    users of their own nation)."""
    from acsa.services import users as service

    doc = {
        "name": name,
        "nation": nation,
        "roles": _roles(role) or [],
        "password": password,
        "language": language,
    }
    with refusals(as_json):
        api = remote(db, actor)
        if api is not None:
            user = api.add_user(doc)
        else:
            user = service.add_user(uow_for(engine_for(db)), doc, acting(actor))
    if as_json:
        print_json(user)
    else:
        out.print(f"user {user.name} ({user.nation}: {', '.join(user.roles)}) added")


@users_app.command("list")
def list_(
    nation: Annotated[str | None, typer.Option(help="Only users of this nation.")] = None,
    db: DbOption = None,
    output_format: FormatOption = OutputFormat.TABLE,
    as_json: JsonOption = False,
) -> None:
    """Every user, by name (through a server: an admin lists the users of their nation)."""
    from acsa.services import users as service

    with refusals(as_json):
        api = remote(db)
        if api is not None:
            api.own_nation(nation, "nation", "you manage the users")
            rows = api.list_users()
        else:
            rows = service.list_users(
                uow_for(engine_for(db), True), nation.upper() if nation else None
            )
    if as_json:
        print_json(rows)
    else:
        show_result(_users_table(rows), output_format)


@users_app.command("update")
def update(
    name: Annotated[str, typer.Argument(help="The user's sign-in name.")],
    role: RoleOption = None,
    password: Annotated[
        str | None, typer.Option(help="A new password.", show_default=False)
    ] = None,
    language: Annotated[str | None, typer.Option(help="en or ja.", show_default=False)] = None,
    active: Annotated[
        bool | None,
        typer.Option("--active/--inactive", help="Switch the user on or off.", show_default=False),
    ] = None,
    db: DbOption = None,
    actor: ActorOption = None,
    as_json: JsonOption = False,
) -> None:
    """Change a user's roles, password, language, or switch them off (users are never deleted:
    the audit log names them)."""
    from acsa.services import users as service

    with refusals(as_json):
        api = remote(db, actor)
        if api is not None:
            user = api.update_user(name, password, _roles(role), active, language)
        else:
            user = service.update_user(
                uow_for(engine_for(db)),
                name,
                acting(actor),
                password,
                _roles(role),
                active,
                language,
            )
    if as_json:
        print_json(user)
    else:
        show_result(_users_table([user]))


def _profile_option(flag: str, help_: str) -> Any:
    return typer.Option(flag, help=help_, show_default=False)


@users_app.command("profile")
def profile(
    name: Annotated[
        str | None,
        typer.Argument(
            help="The user's sign-in name (an admin, for a user of their nation); yourself "
            "when left out.",
            show_default=False,
        ),
    ] = None,
    full_name: Annotated[
        str | None, _profile_option("--name", "Your full name, as printed on signed forms.")
    ] = None,
    rank: Annotated[str | None, _profile_option("--rank", "Your rank or grade.")] = None,
    position: Annotated[
        str | None, _profile_option("--position", "Your position (e.g. fuel officer).")
    ] = None,
    unit: Annotated[str | None, _profile_option("--unit", "Your unit.")] = None,
    db: DbOption = None,
    actor: ActorOption = None,
    as_json: JsonOption = False,
) -> None:
    """Show or change who a user is on a signed form: full name, rank or grade, position and
    unit (the order form prints them beside each signature). Only what is given changes; an
    empty text ("") clears a field."""
    from acsa.services import users as service

    given = {
        key: value
        for key, value in (
            ("full_name", full_name),
            ("rank", rank),
            ("position", position),
            ("unit", unit),
        )
        if value is not None
    }
    with refusals(as_json):
        api = remote(db, actor)
        if api is not None:
            user = api.update_profile(name, given)
        else:
            who = name or acting(actor)
            user = service.update_profile(uow_for(engine_for(db)), who, given, acting(actor))
    if as_json:
        print_json(user)
        return
    for label, value in (
        ("user", user.name),
        ("name", user.full_name),
        ("rank", user.rank),
        ("position", user.position),
        ("unit", user.unit),
    ):
        out.print(f"{label}: {value or '-'}", markup=False)


@users_app.command("unlock")
def unlock(
    name: Annotated[
        str | None, typer.Argument(help="The user name to unlock.", show_default=False)
    ] = None,
    address: Annotated[
        str | None,
        typer.Option("--address", help="A client address to unlock instead.", show_default=False),
    ] = None,
    db: DbOption = None,
    actor: ActorOption = None,
    as_json: JsonOption = False,
) -> None:
    """Lift the sign-in lock of a user name (or of a client address) that too many failed
    sign-ins set, and forget its failures (through a server: an admin, for the users of their
    nation)."""
    from acsa.services import users as service

    with refusals(as_json):
        if (name is None) == (address is None):
            raise AcsaError.single(
                Code.INVALID_INPUT, "name", "give a user name or --address, one of the two"
            )
        api = remote(db, actor)
        done: UnlockOut
        if api is not None:
            done = api.unlock_user(name) if name is not None else api.unlock_address(address or "")
        else:
            kind, key = (
                (CountedBy.ACCOUNT, name) if name is not None else (CountedBy.ADDRESS, address)
            )
            done = service.unlock(uow_for(engine_for(db)), kind, key or "", acting(actor))
    if as_json:
        print_json(done)
    else:
        what = "user name" if done.kind == CountedBy.ACCOUNT.value else "address"
        state = "unlocked" if done.was_locked else "was not locked"
        out.print(
            f"{what} {done.key}: {state} ({done.failures} failed sign-ins forgotten)",
            markup=False,
        )


def _locks_table(rows: list[SignInLockOut]) -> Table:
    table = Table(title="Sign-in locks")
    for column in ("kind", "name or address", "failures", "last failure", "locked"):
        table.add_column(column)
    for lock in rows:
        table.add_row(
            lock.kind,
            Text(lock.key),
            str(lock.failures),
            lock.last_failure_at.isoformat(timespec="seconds"),
            lock.locked_at.isoformat(timespec="seconds") if lock.locked_at else "",
        )
    return table


@users_app.command("locks")
def locks(
    db: DbOption = None,
    output_format: FormatOption = OutputFormat.TABLE,
    as_json: JsonOption = False,
) -> None:
    """User names and client addresses locked by too many failed sign-ins (through a server:
    addresses, and your nation's users)."""
    from acsa.services import users as service

    with refusals(as_json):
        api = remote(db)
        if api is not None:
            rows = api.sign_in_locks()
        else:
            rows = service.sign_in_locks(uow_for(engine_for(db), True))
    if as_json:
        print_json(rows)
    else:
        show_result(_locks_table(rows), output_format)


def _tokens_table(rows: list[TokenOut]) -> Table:
    table = Table(title="API tokens")
    for column in ("id", "user", "name", "starts with", "created", "expires", "state"):
        table.add_column(column)
    for t in rows:
        state = "revoked" if t.revoked_at else ("active" if t.active else "expired")
        table.add_row(
            str(t.id),
            t.user,
            t.name,
            t.prefix + "…",
            t.created_at.date().isoformat(),
            t.expires_at.date().isoformat() if t.expires_at else "never",
            state,
        )
    return table


@tokens_app.command("new")
def new_token(
    user: Annotated[str, typer.Argument(help="Whose token.")],
    name: Annotated[str, typer.Option(help="What the token is for.")] = "api",
    expires_days: Annotated[
        int | None,
        typer.Option(
            "--expires-days",
            help="Days until it expires: 1 to ACSA_TOKEN_MAX_DAYS (default 90, or that maximum "
            "when smaller).",
            show_default=False,
        ),
    ] = None,
    never_expires: Annotated[
        bool,
        typer.Option(
            "--never-expires",
            help="A token that never expires: the operator's, or through a server an admin's only.",
        ),
    ] = False,
    db: DbOption = None,
    actor: ActorOption = None,
    as_json: JsonOption = False,
) -> None:
    """Make a personal API token; its secret is printed this once and kept only as a hash
    (through a server: a token for yourself)."""
    from acsa.services import users as service

    with refusals(as_json):
        api = remote(db, actor)
        if api is not None:
            api.own_name(user, "user", "you make tokens")
            token = api.new_token(name, expires_days, never_expires)
        else:
            token = service.issue_token(
                uow_for(engine_for(db)),
                user,
                name,
                expires_days,
                acting(actor),
                never_expires=never_expires,
            )
    if as_json:
        print_json(token)
    else:
        out.print(token.token, markup=False)


@tokens_app.command("list")
def list_tokens(
    user: Annotated[str | None, typer.Option(help="Only this user's tokens.")] = None,
    db: DbOption = None,
    output_format: FormatOption = OutputFormat.TABLE,
    as_json: JsonOption = False,
) -> None:
    """Tokens with their state (never their secrets); through a server, your own."""
    from acsa.services import users as service

    with refusals(as_json):
        api = remote(db)
        if api is not None:
            api.own_name(user, "user", "you list tokens")
            rows = api.my_tokens()
        else:
            rows = service.list_tokens(uow_for(engine_for(db), True), user)
    if as_json:
        print_json(rows)
    else:
        show_result(_tokens_table(rows), output_format)


@tokens_app.command("revoke")
def revoke(
    token_id: Annotated[
        int,
        typer.Argument(
            metavar="ID", min=ID_MIN, max=ID_MAX, help="The token's id (`tokens list`)."
        ),
    ],
    db: DbOption = None,
    actor: ActorOption = None,
    as_json: JsonOption = False,
) -> None:
    """Revoke a token at once (through a server: one of yours)."""
    from acsa.services import users as service

    with refusals(as_json):
        api = remote(db, actor)
        if api is not None:
            token = api.revoke_token(token_id)
        else:
            token = service.revoke_token(uow_for(engine_for(db)), token_id, acting(actor))
    if as_json:
        print_json(token)
    else:
        show_result(_tokens_table([token]))


def _notify_command() -> None:
    """``acsa users notify``: a person's e-mail address and how notices reach it
    (acsa.cli.webhooks)."""
    from acsa.cli.webhooks import notify

    users_app.command("notify")(notify)


_notify_command()
