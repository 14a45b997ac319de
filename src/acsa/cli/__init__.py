"""The ``acsa`` command: thin. Parse, build a command and ``take`` it (on the local database
through ``handle``, or with ``--server`` through the REST API), or call one read service; print."""

from __future__ import annotations

import os
import sys
from typing import Annotated

import typer
from typer._click.exceptions import NoArgsIsHelpError, UsageError
from typer.exceptions import Abort

from acsa.cli import coercion, light_help, system
from acsa.cli.common import (
    EXIT_REFUSED,
    ServerOption,
    TokenOption,
    close_server,
    err,
    print_errors,
    use_server,
)
from acsa.cli.language import LangOption, asked_in, current, use_language
from acsa.cli.lazy import LazyRoot, defer
from acsa.cli.render import start_output
from acsa.domain.errors import AcsaError, Code, Violation
from acsa.domain.messages import t
from acsa.i18n import say

light_help.install()  # Typer imports its help formatter when it shows a help: lighter then
coercion.install()  # an option's plain value is taken without building a Pydantic adapter

app = typer.Typer(
    name="acsa",
    cls=LazyRoot,
    no_args_is_help=True,
    rich_markup_mode="rich",
    help=system.HELP,
)


@app.callback()
def _options(
    ctx: typer.Context,
    server: ServerOption = None,
    token: TokenOption = None,
    as_json: Annotated[
        bool,
        typer.Option(
            "--json",
            help="Print the result as JSON on stdout, as the subcommand's --json does.",
        ),
    ] = False,
    lang: LangOption = None,
) -> None:
    start_output(as_json)
    use_language(lang)
    use_server(server, token)
    ctx.call_on_close(close_server)


system.register(app)
defer(app)  # each group is imported and built when it is used (see acsa.cli.lazy.GROUPS)


#: Exit code of a command stopped by an unexpected failure (a refusal is EXIT_REFUSED, 2).
EXIT_INTERNAL = 3
#: Set (to anything) to let an unexpected failure show its Python traceback.
ENV_DEBUG = "ACSA_DEBUG"


def main(args: list[str] | None = None) -> None:
    """The ``acsa`` console script. A command's refusals are coded where they arise
    (``refusals``); here, what the command line itself cannot take (an unknown option, a number
    outside its bounds, a missing argument) becomes the same coded refusal, exit code 2; and,
    as a last resort, any unexpected failure is INTERNAL_ERROR with exit code 3 and no
    traceback (unless ACSA_DEBUG is set)."""
    argv = sys.argv[1:] if args is None else args
    as_json = "--json" in argv
    try:
        # Read before the command line is parsed, so that one that cannot be is refused in it.
        use_language(asked_in(argv))
        code = app(args=argv, prog_name="acsa", standalone_mode=False)
    except NoArgsIsHelpError as exc:  # `acsa orders`: the group's help, as Typer shows it
        from typer.rich_utils import rich_format_error  # rich's Markdown: only for help

        rich_format_error(exc)
        sys.exit(exc.exit_code)
    except UsageError as exc:
        print_errors([usage_violation(exc)], as_json)
        sys.exit(EXIT_REFUSED)
    except AcsaError as exc:  # a refusal of the root command's options (--lang fr)
        print_errors(exc.violations, as_json)
        sys.exit(EXIT_REFUSED)
    except Abort:
        err.print(say(t("aborted"), current()))
        sys.exit(1)
    except Exception as exc:  # the last resort: a defect of acsa's own
        if os.environ.get(ENV_DEBUG):
            raise
        print_errors([internal_violation(exc)], as_json)
        sys.exit(EXIT_INTERNAL)
    sys.exit(code if isinstance(code, int) else 0)


def usage_violation(exc: UsageError) -> Violation:
    """A command line the command cannot take, as a coded refusal naming the option."""
    param = getattr(exc, "param", None)
    if param is None:
        field = "command"
    elif getattr(param, "param_type_name", "") == "option" and param.opts:
        field = str(param.opts[0])
    else:
        field = str(getattr(param, "metavar", None) or getattr(param, "name", "") or "").upper()
    command = exc.ctx.command_path if exc.ctx is not None else "acsa"
    return Violation(
        Code.INVALID_INPUT,
        field,
        "{problem} (see `{command} --help`)",
        params={"problem": exc.format_message(), "command": command},
    )


def internal_violation(exc: BaseException) -> Violation:
    """An unexpected failure as a coded message: what failed, never the traceback."""
    return Violation(
        Code.INTERNAL_ERROR,
        "acsa",
        "acsa stopped on an unexpected {failure}: this is a defect of acsa; what was committed "
        "before it stays, nothing else was saved. Run the command again with {variable}=1 to "
        "see the details, and report them",
        params={"failure": type(exc).__name__, "variable": ENV_DEBUG},
    )
