"""The ``acsa`` console script: a help page already shown is printed again from the cache
(``acsa.help_cache``) before anything of Typer is imported; everything else goes to
``acsa.cli.main``."""

from __future__ import annotations

import sys

from acsa import help_cache


def main() -> None:
    argv = sys.argv[1:]
    if not help_cache.wanted(argv):
        from acsa.cli import main as run

        run(argv)
        return
    out = sys.stdout
    name = help_cache.digest(argv, out)
    if help_cache.show(name, out):
        sys.exit(0)
    recorder = help_cache.Recorder(out)
    sys.stdout = recorder  # Rich asks it what it would ask stdout
    try:
        from acsa.cli import main as run

        run(argv)
    except SystemExit as done:
        if done.code in (0, None):
            help_cache.keep(name, recorder.text())
        raise
    finally:
        sys.stdout = out
