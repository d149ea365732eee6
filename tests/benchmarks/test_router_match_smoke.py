"""benchmarks/router_match.py runs end to end, briefly, and prints its three rows.

Not a measurement: no figure is checked, since timing on a shared machine says little.
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

pytestmark = pytest.mark.subprocess

ROOT = Path(__file__).resolve().parents[2]


def test_router_match_benchmark_prints_a_row_per_size_and_the_ratio() -> None:
    done = subprocess.run(
        [
            sys.executable,
            str(ROOT / "benchmarks" / "router_match.py"),
            "--number",
            "5",
            "--repeat",
            "2",
        ],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert done.returncode == 0, done.stderr
    lines = done.stdout.splitlines()
    rows = [line.split() for line in lines[1:4]]
    assert [row[0] for row in rows] == ["10", "100", "1000"], done.stdout
    assert all(float(row[1]) > 0 for row in rows), done.stdout
    assert lines[4].startswith("ratio 1000/10: "), done.stdout
