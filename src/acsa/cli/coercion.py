"""Typer's conversion of a typed option without Pydantic when the value needs none.

Typer converts every option's value with a Pydantic ``TypeAdapter`` built for it, even an
option left at ``None`` or a plain string: importing Pydantic and building the adapters is a
good part of a command's start. ``install()`` lets an option whose value is plainly right take
it as the adapter would (a string for a ``str`` option, a whole number within the bounds for an
``int`` one, one of the choices of an ``Enum`` one, nothing at all); any other value, and every
refusal, goes to Typer's own adapter, built then: values and messages stay Typer's.
"""

from __future__ import annotations

import re
from enum import Enum
from typing import Any

#: A whole number as Python and Pydantic read it alike (no sign, spaces, underscores or zeros).
_WHOLE = re.compile(r"0|[1-9][0-9]{0,17}")


def plain_value(annotation: Any, info: Any, value: Any, ctx: Any) -> tuple[bool, Any]:
    """``(True, converted)`` when ``value`` converts to ``annotation`` without Pydantic exactly
    as Typer's adapter converts it, else ``(False, None)``."""
    if getattr(info, "parser", None) is not None:
        return False, None
    if annotation is str:
        return (True, value) if type(value) is str else (False, None)
    if annotation is int and not getattr(info, "clamp", False):
        if type(value) is str and _WHOLE.fullmatch(value):
            value = int(value)
        if type(value) is not int:
            return False, None
        low, high = getattr(info, "min", None), getattr(info, "max", None)
        if (low is not None and value < low) or (high is not None and value > high):
            return False, None  # refused by the adapter, in its words
        return True, value
    if isinstance(annotation, type) and issubclass(annotation, Enum):
        from typer._param_types import coerce_cli_choice

        try:
            choice = coerce_cli_choice(
                value,
                choices=list(annotation),
                case_sensitive=info.case_sensitive,
                ctx=ctx,
            )
        except ValueError:
            return False, None  # refused by the adapter, in its words
        return True, choice
    return False, None


def install() -> None:
    """Give Typer's options the conversion above (nothing if this Typer has no such hook)."""
    try:
        from typer import core
        from typer._coercion import RuntimeParam, build_runtime_param
    except ImportError:  # pragma: no cover - another Typer: its own conversion, unchanged
        return
    parameter = getattr(core, "_TyperParameter", None)
    if parameter is None or not hasattr(parameter, "get_runtime_param"):
        return  # pragma: no cover - another Typer

    class Deferred(RuntimeParam):
        """Converts a plain value itself; anything else through Typer's own (built once)."""

        descriptor: Any
        real: Any

        def __init__(self, descriptor: Any) -> None:
            object.__setattr__(self, "parameter_info", descriptor.parameter_info)
            object.__setattr__(self, "annotation", descriptor.annotation)
            object.__setattr__(self, "descriptor", descriptor)
            object.__setattr__(self, "real", None)

        def _coerce_value(self, value: Any, param: Any, ctx: Any) -> Any:
            if self.descriptor.file_annotation is None:
                plain, converted = plain_value(self.annotation, self.parameter_info, value, ctx)
                if plain:
                    return converted
            if self.real is None:
                object.__setattr__(self, "real", build_runtime_param(self.descriptor))
            return self.real._coerce_value(value, param=param, ctx=ctx)

    def get_runtime_param(self: Any) -> Any:
        if self._runtime_param is None:
            self._runtime_param = Deferred(self.type_descriptor)
        return self._runtime_param

    parameter.get_runtime_param = get_runtime_param
