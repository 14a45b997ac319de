"""The Japanese font every export and chart writes with: IPAexGothic, shipped by the
``matplotlib-fontja`` package (IPA Font License), so a PDF or a chart carries its Japanese on a
machine with no Japanese font installed. The PDFs embed it (a subset of the glyphs used).

The file is found where the package is installed without importing the package: importing it
imports matplotlib and makes IPAexGothic every chart's default font, which a PDF needs neither
of (the charts name their font themselves)."""

from __future__ import annotations

from functools import cache
from importlib.util import find_spec
from pathlib import Path

#: The name the PDFs register the font under.
JAPANESE = "IPAexGothic"
#: The package that ships the font, and the font's file in it.
PACKAGE = "matplotlib_fontja"
FONT_FILE = Path("fonts") / "ipaexg.ttf"


@cache
def japanese_font_path() -> Path:
    """The TrueType file of the Japanese font (it covers Latin letters and digits too)."""
    spec = find_spec(PACKAGE)
    places = list(spec.submodule_search_locations or []) if spec is not None else []
    for place in places:
        path = Path(place) / FONT_FILE
        if path.is_file():
            return path
    raise FileNotFoundError(f"the Japanese font is missing: {FONT_FILE} of {PACKAGE}")
