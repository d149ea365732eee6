"""labweb's load generator against a real server on 127.0.0.1, bounded runs of a second or less.

The server (``load_server.py``) runs in this process's reactor thread and remembers
every request, connection and pause. Most runs use ``run_load`` in that same reactor
(starting Python costs more than a run); those that check what the runner sees (the
JSON, the idle-ready line, the exit status) run ``python -m
twisted_wsgi_lab.bench.loadgen`` as a child process, as the runner does.
"""

from __future__ import annotations

import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from typing import Any

import pytest
from load_server import BIG_BYTES, Seen
from twisted.internet import reactor
from twisted.internet.protocol import Factory

from twisted_wsgi_lab.bench.load_result import LoadResult
from twisted_wsgi_lab.bench.load_spec import LoadSpec, NotLoopbackError
from twisted_wsgi_lab.bench.load_tool import LoadProcess, loadgen_command, run_load_process
from twisted_wsgi_lab.bench.loadgen import run_load

pytestmark = pytest.mark.subprocess


@pytest.fixture
def load(in_reactor: Callable[..., Any]) -> Callable[..., LoadResult]:
    """load(url, **spec) -> the result of run_load in the reactor thread."""

    def run(url: str, **options: Any) -> LoadResult:
        options.setdefault("duration_seconds", 0.5)
        options.setdefault("connections", 2)
        result: LoadResult = in_reactor(run_load, reactor, LoadSpec(url, **options))
        return result

    return run


def test_a_short_run_in_a_child_process_counts_every_answer_and_its_latency(
    server: tuple[str, Seen],
) -> None:
    base, seen = server
    spec = LoadSpec(base + "/", connections=4, duration_seconds=0.5)
    result = run_load_process(spec, tool="loadgen")
    assert result.tool == "loadgen"
    assert result.requests > 0
    assert result.status_counts == {"200": result.requests}
    assert result.requests <= len(seen.requests) <= result.requests + 4  # + one in flight each
    assert result.errors == 0 and result.reconnects == 0
    assert seen.connections_made == 4  # keep-alive: no connection per request
    assert 0 < result.latency_ms["p50"] <= result.latency_ms["p99"] <= result.latency_ms["max"]
    assert 0.4 < result.duration_seconds < 1.0
    assert result.generator_cpu_seconds is not None and result.generator_cpu_seconds > 0


def test_a_request_cap_stops_the_run_after_exactly_that_many(
    server: tuple[str, Seen], load: Callable[..., LoadResult]
) -> None:
    base, seen = server
    result = load(base + "/404", max_requests=25, duration_seconds=5)
    assert result.requests == 25 and len(seen.requests) == 25
    assert result.status_counts == {"404": 25} and result.http_errors == 25
    assert result.duration_seconds < 2


def test_a_body_of_n_bytes_reaches_the_server_with_its_content_length(
    server: tuple[str, Seen], load: Callable[..., LoadResult]
) -> None:
    base, seen = server
    result = load(base + "/", method="POST", body_bytes=3000, max_requests=10)
    assert result.requests == 10
    assert set(seen.requests) == {("POST", "/", 3000, "3000")}


def test_connection_close_answers_are_counted_as_reconnects_not_errors(
    server: tuple[str, Seen], load: Callable[..., LoadResult]
) -> None:
    base, seen = server
    result = load(base + "/close", max_requests=20, duration_seconds=5)
    assert result.requests == 20 and result.reconnects == 20
    assert result.errors == 0
    assert seen.connections_made >= 20


def test_a_server_that_cuts_connections_shows_as_read_errors(
    server: tuple[str, Seen], load: Callable[..., LoadResult]
) -> None:
    base, _ = server
    result = load(base + "/abort")
    assert result.requests == 0
    assert result.error_counts["read"] > 0 and result.errors == result.error_counts["read"]


def test_a_refused_connect_is_counted_and_the_run_still_ends(
    in_reactor: Callable[..., Any], load: Callable[..., LoadResult]
) -> None:
    listening = in_reactor(lambda: reactor.listenTCP(0, Factory(), interface="127.0.0.1"))
    closed_port = listening.getHost().port
    in_reactor(listening.stopListening)
    result = load(f"http://127.0.0.1:{closed_port}/", duration_seconds=0.3)
    assert result.requests == 0 and result.error_counts["connect"] > 0


def test_a_server_that_never_answers_gives_timeouts_and_the_run_ends_on_time(
    server: tuple[str, Seen], load: Callable[..., LoadResult]
) -> None:
    base, _ = server
    started = time.monotonic()
    result = load(base + "/hang", duration_seconds=1.0, timeout_seconds=0.3)
    assert result.requests == 0 and result.error_counts["timeout"] >= 2
    assert time.monotonic() - started < 5


def test_idle_connections_are_all_open_at_the_server_while_held(server: tuple[str, Seen]) -> None:
    base, seen = server
    spec = LoadSpec(base + "/", connections=0, idle_connections=30, idle_seconds=1.0)
    process = LoadProcess(spec, tool="loadgen")
    try:
        assert process.idle_ready(timeout_seconds=10) == 30
        assert seen.open_connections == 30  # read from another thread: a snapshot
        result = process.result()
    finally:
        process.stop()
    assert result.idle_connections_established == 30 and result.idle_connections_dropped == 0
    assert len(seen.requests) == 30 and result.requests == 30
    assert 0.9 < result.duration_seconds < 3.0


def test_slow_readers_read_slowly_so_the_server_is_paused_while_others_are_served(
    server: tuple[str, Seen], load: Callable[..., LoadResult]
) -> None:
    base, seen = server
    result = load(
        base + "/",
        duration_seconds=1.0,
        slow_readers=2,
        slow_path="/big",
        slow_read_bytes=4096,
        slow_read_interval_ms=50,
    )
    assert result.requests > 0 and result.status_counts == {"200": result.requests}
    # 2 readers x 4 KiB x about 20 reads, plus what the kernel buffers hold
    assert 0 < result.slow_reader_bytes < 1_000_000
    assert seen.big_pauses >= 2  # the server's writes were held back by both readers
    assert seen.big_bytes_written < BIG_BYTES  # neither got near the end in a second


@pytest.mark.parametrize("host", ["10.0.0.1", "example.com", "[::2]", "127.0.0.2", "0.0.0.0"])
def test_a_host_that_is_not_loopback_is_refused(host: str) -> None:
    with pytest.raises(NotLoopbackError, match=r"only goes to 127\.0\.0\.1"):
        LoadSpec(f"http://{host}:8000/")


@pytest.mark.parametrize("host", ["127.0.0.1", "[::1]", "localhost"])
def test_loopback_in_each_spelling_is_accepted(host: str) -> None:
    assert LoadSpec(f"http://{host}:8000/").address[0] in ("127.0.0.1", "::1")


def test_the_command_refuses_a_remote_host_with_exit_status_2() -> None:
    spec = LoadSpec("http://127.0.0.1:9/")
    command = loadgen_command(spec)
    command[command.index(spec.url)] = "http://192.0.2.1:80/"
    done = subprocess.run(command, capture_output=True, text=True, timeout=30)
    assert done.returncode == 2 and done.stdout == ""
    assert "refusing to load 192.0.2.1" in done.stderr


def test_the_help_documents_both_special_modes() -> None:
    command = [sys.executable, "-m", "twisted_wsgi_lab.bench.loadgen", "--help"]
    done = subprocess.run(command, capture_output=True, text=True, timeout=30)
    assert done.returncode == 0
    assert "--idle-connections" in done.stdout and "--slow-readers" in done.stdout
    assert "Idle connections:" in done.stdout and "Slow readers:" in done.stdout


def test_pipelining_keeps_several_requests_outstanding_and_answers_all(
    server: tuple[str, Seen], load: Callable[..., LoadResult]
) -> None:
    base, seen = server
    result = load(base + "/", pipeline=4, max_requests=40, connections=1, duration_seconds=5)
    assert result.requests == 40 and len(seen.requests) == 40 and result.errors == 0
    assert seen.most_requests_in_one_read > 1


def test_idle_connections_the_server_closes_are_reported_as_dropped(
    server: tuple[str, Seen], load: Callable[..., LoadResult]
) -> None:
    base, seen = server
    result = load(base + "/close", connections=0, idle_connections=5, idle_seconds=0.3)
    assert result.idle_connections_established == 5
    assert result.idle_connections_dropped == 5
    assert seen.connections_made == 5  # idle connections are never replaced


def chunked_hello(environ: dict[str, Any], start_response: Any) -> Iterator[bytes]:
    """A generator and no Content-Length: labweb frames the answer as chunked."""
    start_response("200 OK", [("Content-Type", "text/plain")])
    yield b"Hello, "
    yield b"chunked "
    yield b"world!\n"


def test_labweb_itself_answers_with_chunked_bodies_that_the_loadgen_frames(
    serve_handler: Callable[..., int], load: Callable[..., LoadResult]
) -> None:
    from twisted_wsgi_lab import WSGIBridge

    port = serve_handler(WSGIBridge(chunked_hello))
    result = load(f"http://127.0.0.1:{port}/", max_requests=30, duration_seconds=5)
    assert result.requests == 30 and result.status_counts == {"200": 30}
    assert result.errors == 0 and result.reconnects == 0
    head_bytes = len(b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n")
    assert result.bytes_received > 30 * (head_bytes + len(b"7\r\nHello, \r\n") * 3)


@pytest.mark.parametrize(
    "options",
    [
        {"connections": 0},
        {"duration_seconds": 0},
        {"max_requests": 0},
        {"method": "GET /x"},
        {"headers": (("X-A", "1\r\nX-Injected: 1"),)},
        {"body_bytes": -1},
    ],
    ids=["nothing-to-do", "no-duration", "no-requests", "method", "header-crlf", "body"],
)
def test_a_spec_that_cannot_make_a_sane_run_is_refused(options: dict[str, Any]) -> None:
    with pytest.raises(ValueError):
        LoadSpec("http://127.0.0.1:8000/", **options)
