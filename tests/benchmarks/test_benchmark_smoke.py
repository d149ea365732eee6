"""The benchmark scripts run end to end, briefly: real servers, wrk, and 32 MiB transfers.

Not a measurement (one second of wrk says little): this only keeps the scripts working.
wrk is required, not optional: a missing wrk fails here, it does not skip.
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
SCRIPT_TIMEOUT_SECONDS = 60


def run_script(name: str, *args: str) -> subprocess.CompletedProcess[str]:
    """Run ``benchmarks/<name>`` with this interpreter from the repository root."""
    return subprocess.run(
        [sys.executable, str(BENCHMARKS / name), *args],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=SCRIPT_TIMEOUT_SECONDS,
    )


def test_compare_servers_measures_labweb_and_the_canned_ceiling(tmp_path: Path) -> None:
    results = tmp_path / "results.json"
    done = run_script(
        "compare_servers.py",
        *("--seconds", "1", "--rounds", "1", "--warmup-seconds", "0"),
        *("--only", "labweb,canned", "--json", str(results)),
    )
    assert done.returncode == 0, done.stderr
    document = json.loads(results.read_text())
    assert document["settings"]["scenario"] == "hello"
    assert document["settings"]["threads"] == 8
    rates = {item["name"]: item["median_requests_per_second"] for item in document["servers"]}
    assert set(rates) == {"labweb", "canned"}
    assert all(rate > 0 for rate in rates.values()), rates


def test_compare_servers_serves_another_checkout_beside_this_one(tmp_path: Path) -> None:
    """--before DIR: the other tree's code is what labweb-before serves (here: this one)."""
    results = tmp_path / "results.json"
    done = run_script(
        "compare_servers.py",
        *("--seconds", "1", "--rounds", "1", "--warmup-seconds", "0"),
        *("--only", "labweb", "--before", str(ROOT), "--json", str(results)),
    )
    assert done.returncode == 0, done.stderr
    names = [item["name"] for item in json.loads(results.read_text())["servers"]]
    assert names == ["labweb-before", "labweb"]


def test_compare_servers_gives_the_thread_mode_row_a_before_twin_too(tmp_path: Path) -> None:
    results = tmp_path / "results.json"
    done = run_script(
        "compare_servers.py",
        *("--seconds", "1", "--rounds", "1", "--warmup-seconds", "0"),
        *("--only", "labweb,labweb-threads", "--before", str(ROOT), "--json", str(results)),
    )
    assert done.returncode == 0, done.stderr
    names = [item["name"] for item in json.loads(results.read_text())["servers"]]
    assert names == ["labweb-before", "labweb-threads-before", "labweb", "labweb-threads"]


def test_observer_cost_loads_plain_noop_and_access_log_side_by_side() -> None:
    done = run_script(
        "observer_cost.py",
        *("--seconds", "1", "--rounds", "1", "--warmup-seconds", "0", "--connections", "4"),
    )
    assert done.returncode == 0, done.stderr
    assert "noop-observer / plain = " in done.stdout
    assert "access-log / plain = " in done.stdout


def test_compare_servers_refuses_a_before_tree_without_labweb(tmp_path: Path) -> None:
    done = run_script("compare_servers.py", "--before", str(tmp_path))
    assert done.returncode == 2
    assert "--before" in done.stderr and "no twisted_wsgi_lab package" in done.stderr


def test_memory_peak_passes_for_a_small_upload_and_download() -> None:
    done = run_script(
        "memory_peak.py", "--size", "32M", "--only", "reactor-upload,threads-download"
    )
    assert done.returncode == 0, done.stdout + done.stderr
    rows = [line for line in done.stdout.splitlines() if line.startswith(("reactor-", "threads-"))]
    assert [row.split()[0] for row in rows] == ["reactor-upload", "threads-download"]
    assert all(row.endswith("PASS") for row in rows), done.stdout
