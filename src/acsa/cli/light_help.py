"""Typer's help formatter without the two Rich modules acsa's help never uses.

``typer.rich_utils`` (imported by Typer when it renders a help or a usage error) imports
``rich.markdown`` (markdown-it, Pygments) for the ``markdown`` markup mode and
``rich.traceback`` for pretty tracebacks: together most of the import time of ``acsa --help``.
acsa's help is in the ``rich`` markup mode and acsa prints no Rich traceback, so
``install()`` lets ``typer.rich_utils`` bind stand-ins for ``Markdown`` and ``Traceback``,
which import the real class when first used: what Typer prints is unchanged.
"""

from __future__ import annotations

import importlib.machinery
import sys
import types
from collections.abc import Sequence
from typing import Any

#: The module whose import is lightened.
TARGET = "typer.rich_utils"


class Markdown:
    """``rich.markdown.Markdown``, imported when one is made."""

    def __new__(cls, *args: Any, **kwargs: Any) -> Any:
        from rich.markdown import Markdown as RealMarkdown

        return RealMarkdown(*args, **kwargs)


class Traceback:
    """``rich.traceback.Traceback``, imported when one is made."""

    def __new__(cls, *args: Any, **kwargs: Any) -> Any:
        from rich.traceback import Traceback as RealTraceback

        return RealTraceback(*args, **kwargs)

    @classmethod
    def from_exception(cls, *args: Any, **kwargs: Any) -> Any:
        from rich.traceback import Traceback as RealTraceback

        return RealTraceback.from_exception(*args, **kwargs)


#: The modules ``typer.rich_utils`` takes a name from, and the stand-in it binds.
STAND_INS: dict[str, tuple[str, type]] = {
    "rich.markdown": ("Markdown", Markdown),
    "rich.traceback": ("Traceback", Traceback),
}


class _Loader:
    """Runs the real loader of ``typer.rich_utils`` with the stand-in modules in place (a
    loader as ``importlib`` calls one; ``importlib.abc`` itself is not worth its import)."""

    def __init__(self, real: Any) -> None:
        self.real = real

    def create_module(self, spec: importlib.machinery.ModuleSpec) -> types.ModuleType | None:
        module: types.ModuleType | None = self.real.create_module(spec)
        return module

    def exec_module(self, module: types.ModuleType) -> None:
        placed: dict[str, types.ModuleType] = {}
        for name, (attribute, stand_in) in STAND_INS.items():
            if name not in sys.modules:  # imported already: the real one costs nothing more
                placed[name] = types.ModuleType(name)
                setattr(placed[name], attribute, stand_in)
                sys.modules[name] = placed[name]
        try:
            self.real.exec_module(module)
        finally:
            for name, stub in placed.items():
                if sys.modules.get(name) is stub:
                    del sys.modules[name]  # a later import of it loads the real module
            module.__loader__ = self.real
            if module.__spec__ is not None:
                module.__spec__.loader = self.real


class _Finder:
    """Finds ``typer.rich_utils`` where Python would, to load it with ``_Loader``."""

    def find_spec(
        self,
        fullname: str,
        path: Sequence[str] | None,
        target: types.ModuleType | None = None,  # noqa: ARG002 (the protocol's)
    ) -> importlib.machinery.ModuleSpec | None:
        if fullname != TARGET:
            return None
        spec = importlib.machinery.PathFinder.find_spec(fullname, path)
        if spec is None or spec.loader is None:
            return None
        spec.loader = _Loader(spec.loader)  # type: ignore[assignment]
        return spec


def install() -> None:
    """Lighten the coming import of ``typer.rich_utils`` (nothing if it is imported already)."""
    if TARGET not in sys.modules and not any(isinstance(f, _Finder) for f in sys.meta_path):
        sys.meta_path.insert(0, _Finder())
