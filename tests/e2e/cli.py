"""Run the real ``acsa`` console script in a subprocess."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import Any

ACSA = Path(sys.executable).parent / "acsa"


@dataclass
class Result:
    code: int
    stdout: str
    stderr: str

    @property
    def json(self) -> Any:
        return json.loads(self.stdout)


def run(*args: str, env: dict[str, str] | None = None) -> Result:
    full_env = {**os.environ, "COLUMNS": "200", **(env or {})}
    done = subprocess.run(
        [str(ACSA), *args], capture_output=True, text=True, env=full_env, timeout=120, check=False
    )
    return Result(done.returncode, done.stdout, done.stderr)
