"""``acsa.cli.coercion`` takes a plain value exactly as Typer's own Pydantic adapter converts it,
and leaves every other value (and every refusal) to that adapter."""

from __future__ import annotations

from typing import Any

import pytest
from typer._adapters import try_build_adapter
from typer.models import OptionInfo

from acsa.cli.coercion import plain_value
from acsa.cli.output import OutputFormat

CASES: list[tuple[Any, OptionInfo, Any]] = [
    (str, OptionInfo(), "sqlite:///x.db"),
    (str, OptionInfo(), ""),
    (str, OptionInfo(), "日本語"),
    (str, OptionInfo(), b"bytes"),
    (str, OptionInfo(), 12),
    (int, OptionInfo(min=1, max=1000), "1"),
    (int, OptionInfo(min=1, max=1000), "1000"),
    (int, OptionInfo(min=1, max=1000), "0"),
    (int, OptionInfo(min=1, max=1000), "1001"),
    (int, OptionInfo(min=1, max=1000), 7),
    (int, OptionInfo(min=0), 0),
    (int, OptionInfo(), "007"),
    (int, OptionInfo(), "+3"),
    (int, OptionInfo(), "-3"),
    (int, OptionInfo(), " 4"),
    (int, OptionInfo(), "1_000"),
    (int, OptionInfo(), "99999999999999999999999"),
    (int, OptionInfo(), "3.0"),
    (int, OptionInfo(), "x"),
    (int, OptionInfo(), True),
    (int, OptionInfo(min=1, max=5, clamp=True), "9"),
    (OutputFormat, OptionInfo(case_sensitive=False), "TABLE"),
    (OutputFormat, OptionInfo(case_sensitive=False), "csv"),
    (OutputFormat, OptionInfo(case_sensitive=False), OutputFormat.TSV),
    (OutputFormat, OptionInfo(case_sensitive=False), "xml"),
    (OutputFormat, OptionInfo(), "Json"),
    (OutputFormat, OptionInfo(), "json"),
    (float, OptionInfo(), "1.5"),
    (bool, OptionInfo(), "true"),
]


@pytest.mark.parametrize(("annotation", "info", "value"), CASES)
def test_a_plain_value_converts_as_typers_adapter_converts_it(
    annotation: Any, info: OptionInfo, value: Any
) -> None:
    adapter = try_build_adapter(annotation, info)
    assert adapter is not None
    try:
        expected: Any = ("value", adapter.validate_python(value))
    except Exception as exc:  # the adapter's refusal, whatever it is
        expected = ("refused", type(exc).__name__)
    plain, converted = plain_value(annotation, info, value, None)
    if plain:
        assert expected == ("value", converted)
        assert type(converted) is type(expected[1])
    else:
        assert converted is None  # left to the adapter: its value or its refusal


def test_values_the_commands_give_most_are_plain() -> None:
    """The values of ``acsa orders list --db URL --limit 20`` and the defaults need no adapter."""
    assert plain_value(str, OptionInfo(), "sqlite:///x.db", None) == (True, "sqlite:///x.db")
    assert plain_value(int, OptionInfo(min=1, max=1000), "20", None) == (True, 20)
    assert plain_value(int, OptionInfo(min=0), 0, None) == (True, 0)
    table = OptionInfo(case_sensitive=False)
    assert plain_value(OutputFormat, table, "table", None) == (True, OutputFormat.TABLE)


def test_a_refused_value_is_left_to_the_adapter() -> None:
    assert plain_value(int, OptionInfo(min=1, max=1000), "0", None) == (False, None)
    assert plain_value(OutputFormat, OptionInfo(case_sensitive=False), "xml", None) == (
        False,
        None,
    )
