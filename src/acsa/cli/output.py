"""How the running command prints its result: a table for people (the default), every row as
CSV or TSV, or JSON; chosen by ``--format``, and ``--json`` (before or after the subcommand).

The root command resets the choice on each run (``start``); a subcommand's ``--format`` is
eager, so its ``--json`` (see ``acsa.cli.common.JsonOption``) already knows whether
``--format json`` asked for JSON too.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum


class OutputFormat(StrEnum):
    TABLE = "table"
    CSV = "csv"
    TSV = "tsv"
    JSON = "json"


@dataclass
class _Output:
    """The run's choice: JSON asked for before the subcommand, and the --format given."""

    json: bool = False
    format: OutputFormat = OutputFormat.TABLE


_output = _Output()


def start(as_json: bool) -> None:
    """A new run of the command: ``acsa --json ...`` or not, tables until --format says."""
    _output.json = as_json
    _output.format = OutputFormat.TABLE


def choose(value: OutputFormat) -> None:
    """The subcommand's --format."""
    _output.format = value


def chosen() -> OutputFormat:
    return _output.format


def json_wanted(value: bool) -> bool:
    """The subcommand's --json: set there, before the subcommand, or by --format json."""
    return value or _output.json or _output.format is OutputFormat.JSON
