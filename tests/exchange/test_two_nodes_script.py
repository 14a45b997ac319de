"""The README's two-node recipe is a script that runs: examples/two-nodes.sh sets up Japan's and
Australia's nodes on this machine, pairs them, takes one order across from placing to payment
and reconciles both books with 0 differences."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
SCRIPT = ROOT / "examples" / "two-nodes.sh"


def test_the_two_node_script_pairs_orders_and_reconciles(tmp_path: Path) -> None:
    work = tmp_path / "two nodes"  # a space in the path: every path in the script is quoted
    env = {
        key: value
        for key, value in os.environ.items()
        if not key.startswith("ACSA_") or key == "ACSA_CHROMIUM"
    }
    env["ACSA"] = str(Path(sys.executable).parent / "acsa")
    done = subprocess.run(
        [shutil.which("bash") or "/bin/bash", str(SCRIPT), str(work)],
        cwd=tmp_path,
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    out = done.stdout + done.stderr
    assert done.returncode == 0, out
    # Each node reconciled the other's book: both reports say 1 matched, 0 differences.
    assert out.count("1 matched, 0 differences") == 2, out
    assert "the same order is JPN's order 1" in out
    for name in ("jpn.db", "aus.db", "book-JPN-AUS.json", "book-AUS-JPN.json", "book-JPN-AUS.csv"):
        assert (work / name).is_file(), name
    # Nothing was written where the script was run from (no ./tmp/jpn.db, no stray books).
    assert sorted(p.name for p in tmp_path.iterdir()) == ["two nodes"]
