"""The command line starts without the heavy libraries: importing ``acsa.cli``, building the
whole command tree and rendering every group's and command's ``--help`` load no database layer,
web framework, migrations, PDF, chart, spreadsheet or HTTP client library. Checked by module
names in a fresh interpreter, never by timing."""

from __future__ import annotations

import json
import os
import subprocess
import sys

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
def walk(command, path):
    paths.append(path)
    for name in getattr(command, "commands", {}):
        walk(command.commands[name], [*path, name])
walk(root, [])
for path in paths:
    try:
        main([*path, "--help"])
    except SystemExit as exc:
        assert exc.code in (0, None), (path, exc.code)
print(json.dumps({"import": after_import, "tree": after_tree, "help": heavy(),
                  "helps": len(paths)}), file=sys.stderr)
"""


def test_cli_builds_and_renders_help_without_heavy_libraries() -> None:
    done = subprocess.run(
        [sys.executable, "-c", PROBE, ",".join(HEAVY)],
        capture_output=True,
        text=True,
        check=False,
        env={
            **{k: v for k, v in os.environ.items() if not k.startswith("ACSA_")},
            "COLUMNS": "100",
            "ACSA_LANG": "en",
        },
    )
    assert done.returncode == 0, done.stderr[-3000:]
    found = json.loads(done.stderr.strip().splitlines()[-1])
    assert found["import"] == []
    assert found["tree"] == []
    assert found["help"] == []
    assert found["helps"] > 60  # every group and command of the tree was rendered
    assert "orders" in done.stdout
