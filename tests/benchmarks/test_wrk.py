"""wrk's report read into a LoadResult, from captured output; and the choice of tool.

The texts in ``wrk_output/`` are real: ``wrk --latency -t1 -c16 -d2s`` against
``benchmarks/canned_server.py``, ``-c8 -d2s --timeout 1s`` against a server that cut
every 50th connection and answered every third request with 404, and ``-c4 -d1s`` at a
closed port (wrk 4.1.0). As in test_benchmark_smoke.py, the one test that runs wrk
needs it installed: a missing wrk fails there.
"""

from __future__ import annotations

import shutil
from pathlib import Path
from typing import Any

import pytest
from load_server import Seen

from twisted_wsgi_lab.bench.load_spec import LoadSpec
from twisted_wsgi_lab.bench.load_tool import LoadProcess, choose_tool, run_load_process
from twisted_wsgi_lab.bench.wrk import WrkError, lua_script, parse_wrk_output, wrk_command

OUTPUT = Path(__file__).parent / "wrk_output"


def parse(name: str) -> Any:
    text = (OUTPUT / name).read_text()
    return parse_wrk_output(text, url="http://127.0.0.1:1/", connections=16, cpu_seconds=0.5)


def test_a_clean_report_gives_requests_duration_bytes_and_latencies() -> None:
    result = parse("canned_hello.txt")
    assert (result.tool, result.requests, result.duration_seconds) == ("wrk", 42673, 2.02)
    assert result.bytes_received == round(3.83 * 1024 * 1024)
    assert result.latency_ms == pytest.approx(
        {"p50": 0.565, "p75": 0.95, "p90": 2.91, "p99": 6.19, "mean": 1.08, "max": 12.66}
    )
    assert (result.errors, result.error_counts, result.http_errors) == (0, {}, 0)
    assert result.requests_per_second == pytest.approx(42673 / 2.02)
    assert result.generator_cpu_seconds == 0.5


def test_socket_errors_and_error_statuses_are_counted_apart() -> None:
    result = parse("errors_and_404.txt")
    assert result.requests == 17532
    assert result.error_counts == {"read": 357} and result.errors == 357
    assert result.http_errors == 5844
    assert result.bytes_received == round(724.79 * 1024)
    assert result.latency_ms["p99"] == pytest.approx(69.13)


def test_a_report_without_a_requests_line_is_an_error() -> None:
    with pytest.raises(WrkError, match="unable to connect"):
        parse("refused.txt")


def test_the_command_rounds_seconds_up_and_passes_headers_and_the_script() -> None:
    spec = LoadSpec(
        "http://127.0.0.1:8000/x",
        connections=8,
        duration_seconds=2.5,
        timeout_seconds=0.5,
        headers=(("Accept", "text/plain"),),
    )
    command = wrk_command(spec, script=Path("/tmp/r.lua"))
    assert command == [
        *("wrk", "--latency", "-t", "1", "-c", "8", "-d", "3s", "--timeout", "1s"),
        *("-H", "Accept: text/plain", "-s", "/tmp/r.lua", "http://127.0.0.1:8000/x"),
    ]


def test_a_get_needs_no_script_and_a_post_body_does() -> None:
    assert lua_script(LoadSpec("http://127.0.0.1:1/")) is None
    script = lua_script(LoadSpec("http://127.0.0.1:1/", method="POST", body_bytes=10))
    assert script == 'wrk.method = "POST"\nwrk.body = string.rep("x", 10)\n'


@pytest.mark.parametrize(
    "options",
    [{"max_requests": 5}, {"idle_connections": 2}, {"slow_readers": 1}, {"pipeline": 4}],
    ids=["requests", "idle", "slow", "pipeline"],
)
def test_what_wrk_cannot_do_falls_back_to_the_loadgen(options: dict[str, Any]) -> None:
    assert choose_tool(LoadSpec("http://127.0.0.1:1/", **options)) == "loadgen"


def test_wrk_is_chosen_when_installed_and_the_loadgen_when_not(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    spec = LoadSpec("http://127.0.0.1:1/", method="POST", body_bytes=100)
    assert choose_tool(spec) == ("wrk" if shutil.which("wrk") else "loadgen")
    monkeypatch.setattr(shutil, "which", lambda name: None)
    assert choose_tool(spec) == "loadgen"
    assert choose_tool(spec, prefer_wrk=False) == "loadgen"


@pytest.mark.subprocess
def test_wrk_sends_a_post_body_through_its_lua_script(server: tuple[str, Seen]) -> None:
    base, seen = server
    spec = LoadSpec(base + "/", connections=2, duration_seconds=1, method="POST", body_bytes=500)
    result = run_load_process(spec, tool="wrk")
    assert result.tool == "wrk" and result.requests > 0
    assert result.generator_cpu_seconds is not None and result.generator_cpu_seconds > 0
    assert set(seen.requests) == {("POST", "/", 500, "500")}


def test_wrk_is_refused_for_a_spec_only_the_loadgen_can_run() -> None:
    spec = LoadSpec("http://127.0.0.1:1/", connections=0, idle_connections=3)
    with pytest.raises(ValueError, match="cannot run this spec"):
        LoadProcess(spec, tool="wrk")
