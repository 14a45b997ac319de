"""Exports: the annual report as CSV, XLSX and PDF with PNG charts, and the order form as PDF.

Money stays ``Decimal`` all the way into the files (and as numbers with the currency's decimals
in the workbook); only the charts turn it into floats, because plotting needs them.
"""

from __future__ import annotations

from pathlib import Path

from acsa.domain.errors import AcsaError, Code


def cannot_write(path: Path, exc: OSError, option: str = "--out") -> AcsaError:
    """The refusal for an output file that cannot be written (a missing or read-only place)."""
    reason = exc.strerror or str(exc)
    return AcsaError.single(
        Code.INVALID_INPUT, option, "cannot write {path}: {reason}", path=str(path), reason=reason
    )


def check_output(path: Path, option: str = "--out") -> None:
    """Refuse, before any work, an output file whose directory does not exist (acsa does not
    create it) or that names a directory."""
    if path.is_dir():
        raise AcsaError.single(
            Code.INVALID_INPUT,
            option,
            "{path} is a directory; give the file to write",
            path=str(path),
        )
    if not path.parent.is_dir():
        raise AcsaError.single(
            Code.INVALID_INPUT,
            option,
            "cannot write {path}: no directory {directory}",
            path=str(path),
            directory=str(path.parent),
        )
