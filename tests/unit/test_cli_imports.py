"""The command line starts without the heavy libraries: importing ``acsa.cli``, building the
whole command tree and rendering every group's and command's ``--help`` load no database layer,
web framework, migrations, PDF, chart, spreadsheet or HTTP client library. Checked by module
names in a fresh interpreter, never by timing."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

HEAVY = (
    "sqlalchemy",
    "fastapi",
    "starlette",
    "uvicorn",
    "alembic",
    "reportlab",
    "matplotlib",
    "openpyxl",
    "httpx",
    "jinja2",
)

PROBE = """
import json, sys
HEAVY = set(sys.argv[1].split(","))
def heavy():
    return sorted(m for m in sys.modules if m.split(".")[0] in HEAVY)
import acsa.cli
after_import = heavy()
import typer
from acsa.cli import main
root = typer.main.get_command(acsa.cli.app)
after_tree = heavy()
paths = []
from typer._click import Context
def walk(command, path):
    paths.append(path)
    if hasattr(command, "list_commands"):
        ctx = Context(command)
        for name in command.list_commands(ctx):
            walk(command.get_command(ctx, name), [*path, name])
walk(root, [])
for path in paths:
    try:
        main([*path, "--help"])
    except SystemExit as exc:
        assert exc.code in (0, None), (path, exc.code)
print(json.dumps({"import": after_import, "tree": after_tree, "help": heavy(),
                  "helps": len(paths)}), file=sys.stderr)
"""


def probe(source: str, *args: str) -> tuple[Any, str]:
    """Run ``source`` with ``args`` in a fresh interpreter (English, 100 columns, no ACSA_
    setting of the caller's); the JSON it printed last on stderr, and its stdout."""
    done = subprocess.run(
        [sys.executable, "-c", source, *args],
        capture_output=True,
        text=True,
        check=False,
        env={
            **{k: v for k, v in os.environ.items() if not k.startswith("ACSA_")},
            "COLUMNS": "100",
            "ACSA_LANG": "en",
        },
        timeout=300,
    )
    assert done.returncode == 0, done.stderr[-3000:]
    return json.loads(done.stderr.strip().splitlines()[-1]), done.stdout


def test_cli_builds_and_renders_help_without_heavy_libraries() -> None:
    found, shown = probe(PROBE, ",".join(HEAVY))
    assert found["import"] == []
    assert found["tree"] == []
    assert found["help"] == []
    assert found["helps"] > 60  # every group and command of the tree was rendered
    assert "orders" in shown


LAZY_PROBE = """
import json, sys
import typer
from typer._click import Context
import acsa.cli
from acsa.cli import main
from acsa.cli.lazy import LazyRoot
def built(root):
    return sorted(n for n, c in root.commands.items() if n in LazyRoot.deferred and c.commands)
seen = {}
for argv in (["--help"], ["orders", "list", "--help"]):
    root = typer.main.get_command(acsa.cli.app)
    original = typer.main.get_command
    typer.main.get_command = lambda app: root  # the root main() runs: the one looked at here
    try:
        main(argv)
    except SystemExit as exc:
        assert exc.code in (0, None), (argv, exc.code)
    finally:
        typer.main.get_command = original
    seen[" ".join(argv)] = built(root)
root = typer.main.get_command(acsa.cli.app)
ctx = Context(root)
same = []
for name in LazyRoot.deferred:
    shown = root.commands[name]
    real = root.get_command(ctx, name)
    same.append([name, [shown.name, shown.help, shown.short_help, shown.hidden, shown.deprecated,
                        shown.get_short_help_str(), getattr(shown, "rich_help_panel", None)]
                 == [real.name, real.help, real.short_help, real.hidden, real.deprecated,
                     real.get_short_help_str(), getattr(real, "rich_help_panel", None)],
                 bool(real.commands)])
print(json.dumps({"seen": seen, "same": same}), file=sys.stderr)
"""


def test_groups_are_built_when_used_and_listed_as_built() -> None:
    """``acsa --help`` builds no group's commands (it lists each group by a stand-in with the
    real group's name and help line); ``acsa orders list --help`` builds the orders group
    only; the stand-ins say what the real groups say."""
    found, _shown = probe(LAZY_PROBE)
    assert found["seen"] == {"--help": [], "orders list --help": ["orders"]}
    assert len(found["same"]) > 15
    for name, same, has_commands in found["same"]:
        assert same, name
        assert has_commands, name


#: What no command needs until it is used: every command group's own module, Typer's Pydantic
#: adapters (``acsa.cli.coercion``), the Rich modules of Markdown help and tracebacks
#: (``acsa.cli.light_help``), the HTTP client of ``--server``, the API and the pages.
NOT_ON_START = (
    "acsa.cli.agreements",
    "acsa.cli.audit",
    "acsa.cli.books",
    "acsa.cli.client",
    "acsa.cli.courier",
    "acsa.cli.history_import",
    "acsa.cli.ledger",
    "acsa.cli.partner_registry",
    "acsa.cli.rates",
    "acsa.cli.report",
    "acsa.cli.report_annual",
    "acsa.cli.report_exceptions",
    "acsa.cli.settle",
    "acsa.cli.users",
    "acsa.api",
    "acsa.web",
    "typer._adapters",
    "rich.markdown",
    "rich.traceback",
    "rich.syntax",
    "markdown_it",
    "pygments",
)
#: ... and what ``acsa --help`` does not need either: the orders group, Babel, Pydantic.
NOT_FOR_HELP = (*NOT_ON_START, "acsa.cli.orders", "acsa.cli.order_forms", "babel", "pydantic")

COMMAND_PROBE = """
import json, sys
from acsa.cli import main
try:
    main(sys.argv[2:])
except SystemExit as exc:
    assert exc.code in (0, None), exc.code
unwanted = sys.argv[1].split(",")
found = sorted(m for m in sys.modules if any(m == u or m.startswith(u + ".") for u in unwanted))
print(json.dumps(found), file=sys.stderr)
"""


def loaded_by(unwanted: tuple[str, ...], *argv: str) -> tuple[list[str], str]:
    """The modules of ``unwanted`` that the command line ``argv`` loaded, in a fresh
    interpreter, and what it printed."""
    found, shown = probe(COMMAND_PROBE, ",".join(unwanted), *argv)
    return list(found), shown


def test_root_help_loads_no_group_nor_markdown_babel_or_pydantic() -> None:
    """``acsa --help`` lists every group from its stand-in: no group's module is imported."""
    found, shown = loaded_by((*HEAVY, *NOT_FOR_HELP), "--help")
    assert found == []
    assert "orders" in shown
    assert "Orders for supplies and services under an agreement." in shown


def test_orders_list_loads_only_the_orders_group(tmp_path: Path) -> None:
    """``acsa orders list`` on a database holding orders imports the orders commands and what
    they use, not the other groups, Typer's Pydantic adapters, the Markdown and traceback
    modules of Rich, the web framework, alembic, the PDF, chart or workbook libraries,
    Pydantic, or PostgreSQL's dialect."""
    db = f"sqlite:///{tmp_path / 'demo.db'}"
    loaded = subprocess.run(
        [sys.executable, "-c", "from acsa.cli import main; main()", "demo", "--db", db],
        capture_output=True,
        text=True,
        check=False,
        env={k: v for k, v in os.environ.items() if not k.startswith("ACSA_")},
        timeout=300,
    )
    assert loaded.returncode == 0, loaded.stderr[-3000:]
    light = tuple(m for m in HEAVY if m != "sqlalchemy")  # the database layer is used here
    # The table needs no Pydantic model (only --json does), nor PostgreSQL's dialect.
    unused = ("pydantic", "acsa.schemas.orders", "sqlalchemy.dialects.postgresql")
    found, shown = loaded_by(
        (*light, *NOT_ON_START, *unused),
        "orders",
        "list",
        "--db",
        db,
        "--limit",
        "5",
        "--format",
        "table",
    )
    assert found == []
    assert "Orders" in shown
    assert shown.count("JPN") >= 5  # five orders listed, each with Japan a party


SUBGROUP_PROBE = """
import json, sys
import typer
import acsa.cli
from acsa.cli import main
root = typer.main.get_command(acsa.cli.app)
typer.main.get_command = lambda app: root  # the root main() runs: the one looked at here
for argv in (["orders", "list", "--help"], ["orders", "--help"]):
    try:
        main(argv)
    except SystemExit as exc:
        assert exc.code in (0, None), (argv, exc.code)
    if argv[1] == "list":
        after_list = root.commands["orders"].commands.built()
orders = root.commands["orders"].commands
print(json.dumps({"list": after_list, "help": orders.built(), "names": list(orders)}),
      file=sys.stderr)
"""


def test_a_group_builds_the_command_used_and_all_of_them_for_its_help() -> None:
    """``acsa orders list`` builds the parameters of ``list`` alone; ``acsa orders --help``
    lists every command of the group, in Typer's order (the commands of ``orders.py``, then
    ``form`` from ``order_forms.py``)."""
    found, shown = probe(SUBGROUP_PROBE)
    assert found["list"] == ["list"]
    assert found["help"] == found["names"]
    assert len(found["names"]) > 10
    assert found["names"][-1] == "form"
    assert "list" in shown
