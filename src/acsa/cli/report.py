"""acsa report: the reports people answer to parliament and auditors with.

The commands live beside this module (report_annual.py, report_exceptions.py) and attach
themselves to this group.
"""

from __future__ import annotations

import typer

app = typer.Typer(no_args_is_help=True, help="Reports: annual activity, exceptions.")
