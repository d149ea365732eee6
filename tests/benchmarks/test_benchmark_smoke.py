"""The benchmark suite runs end to end, briefly: real servers, real load, real files.

Not a measurement (a second of load says little on a shared machine): this keeps
``labweb bench`` and ``benchmarks/memory_peak.py`` working. The load comes from wrk
where it is installed (CI installs it) and from labweb's own generator for the idle
and slow scenarios.
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


def test_a_checkout_is_measured_beside_the_installed_labweb(tmp_path: Path) -> None:
    """``MODEL@TREE`` serves from another checkout, here this one, in the same run."""
    done = bench(
        *("--scenarios", "hello", "--models", f"reactor,reactor@{ROOT}"),
        *("--concurrency", "4", "--duration", "1", "--rounds", "1", "--warmup", "0"),
        *("--out", "run", "--plain"),
        cwd=tmp_path,
    )
    assert done.returncode == 0, done.stderr
    document = json.loads((tmp_path / "run" / "results.json").read_text())
    rates = {row["model"]: row["requests_per_second"] for row in document["summary"]}
    assert set(rates) == {"reactor", f"reactor@{ROOT}"}
    assert all(rate > 0 for rate in rates.values()), rates


def test_the_seam_cost_models_serve_the_same_app_side_by_side(tmp_path: Path) -> None:
    done = bench(
        *("--scenarios", "hello", "--models", "engine,engine-observed,reactor-access-log"),
        *("--concurrency", "4", "--duration", "0.5", "--rounds", "1", "--warmup", "0"),
        *("--out", "seam", "--plain"),
        cwd=tmp_path,
    )
    assert done.returncode == 0, done.stderr
    document = json.loads((tmp_path / "seam" / "results.json").read_text())
    served = {row["model"] for row in document["summary"] if row["requests_per_second"] > 0}
    assert served == {"engine", "engine-observed", "reactor-access-log"}


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
