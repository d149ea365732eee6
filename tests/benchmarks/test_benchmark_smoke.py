"""The benchmark suite runs end to end, briefly: real servers, real load, real files.

Not a measurement (a second of load says little on a shared machine): this keeps
``labweb bench`` and ``benchmarks/memory_peak.py`` working. wrk is required, not
optional, while it is the only load generator: a missing wrk fails here.
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

pytestmark = pytest.mark.subprocess

ROOT = Path(__file__).resolve().parents[2]
BENCHMARKS = ROOT / "benchmarks"
SCRIPT_TIMEOUT_SECONDS = 90


def run(argv: list[str], cwd: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        argv, cwd=cwd, capture_output=True, text=True, timeout=SCRIPT_TIMEOUT_SECONDS
    )


def bench(*args: str, cwd: Path) -> subprocess.CompletedProcess[str]:
    return run([sys.executable, "-m", "twisted_wsgi_lab", "bench", *args], cwd)


def test_labweb_bench_measures_each_load_shape_and_compares_two_runs(tmp_path: Path) -> None:
    """Plain GETs, uploads, idle connections and slow readers, each against labweb."""
    done = bench(
        *("--scenarios", "hello,upload,idle,slow", "--models", "reactor,threads-4,canned"),
        *("--concurrency", "4", "--duration", "1", "--rounds", "1", "--warmup", "0"),
        *("--out", "run", "--plain"),
        cwd=tmp_path,
    )
    assert done.returncode == 0, done.stderr
    document = json.loads((tmp_path / "run" / "results.json").read_text())
    rows = {(row["scenario"], row["model"]): row for row in document["summary"]}
    assert set(rows) == {
        ("hello", "reactor"),
        ("hello", "threads-4"),
        ("hello", "canned"),
        *((s, m) for s in ("upload", "idle", "slow") for m in ("reactor", "threads-4")),
    }
    rates = {key: row["requests_per_second"] for key, row in rows.items()}
    # eight slow readers hold all four threads of threads-4; the reactor is not held back
    held_back = rates.pop(("slow", "threads-4"))
    assert held_back < rates[("slow", "reactor")], (held_back, rates)
    assert all(rate > 0 for rate in rates.values()), rates
    assert rows[("idle", "reactor")]["kib_per_idle_connection"] is not None
    assert document["machine"]["cores"] >= 1 and document["machine"]["labweb"]
    compared = bench("--compare", "run/results.json", "run/results.json", cwd=tmp_path)
    assert compared.returncode == 0, compared.stderr
    assert "+0.0% ~" in compared.stdout


def test_memory_peak_passes_for_a_small_upload_and_download() -> None:
    done = run(
        [
            *(sys.executable, str(BENCHMARKS / "memory_peak.py"), "--size", "32M"),
            *("--only", "reactor-upload,threads-download"),
        ],
        ROOT,
    )
    assert done.returncode == 0, done.stdout + done.stderr
    rows = [line for line in done.stdout.splitlines() if line.startswith(("reactor-", "threads-"))]
    assert [row.split()[0] for row in rows] == ["reactor-upload", "threads-download"]
    assert all(row.endswith("PASS") for row in rows), done.stdout
