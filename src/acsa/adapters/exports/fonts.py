"""The Japanese font every export and chart writes with: IPAexGothic, shipped by the
``matplotlib-fontja`` package (IPA Font License), so a PDF or a chart carries its Japanese on a
machine with no Japanese font installed. The PDFs embed it (a subset of the glyphs used)."""

from __future__ import annotations

from functools import cache
from pathlib import Path

import matplotlib_fontja

#: The name the PDFs register the font under.
JAPANESE = "IPAexGothic"


@cache
def japanese_font_path() -> Path:
    """The TrueType file of the Japanese font (it covers Latin letters and digits too)."""
    path = Path(str(matplotlib_fontja.get_font_ttf_path()))
    if not path.is_file():
        raise FileNotFoundError(f"the Japanese font is missing: {path}")
    return path
