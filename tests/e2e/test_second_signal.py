"""A second SIGTERM or Ctrl-C during a graceful stop exits at once, as gunicorn does.

The first signal says how many requests the stop waits for; the second ends the process
with status 128 + the signal number (143 for SIGTERM, 130 for SIGINT), the status a
shell shows for a process killed by that signal, without a traceback.
"""

from __future__ import annotations

import contextlib
import signal
import threading
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from server_process import LABWEB, TWISTD, ServerProcess, get

pytestmark = pytest.mark.subprocess

SHUTDOWN_TIMEOUT_SECONDS = 60  # the forced exit must come long before this
PROMPTLY_SECONDS = 10
STUCK_APP = """
import sys, time

def app(environ, start_response):
    if environ["PATH_INFO"] == "/ready":  # answered once the reactor runs
        start_response("200 OK", [("Content-Type", "text/plain")])
        return [b"ready"]
    print("stuck request begun", file=sys.stderr, flush=True)
    time.sleep(60)
    start_response("200 OK", [("Content-Type", "text/plain")])
    return [b"too late"]
"""


@pytest.fixture
def start(tmp_path: Path) -> Iterator[Callable[..., ServerProcess]]:
    """start(command, *arguments) -> a server for stuck_app:app, killed at teardown."""
    (tmp_path / "stuck_app.py").write_text(STUCK_APP)
    servers: list[ServerProcess] = []

    def start_server(command: tuple[str, ...], *arguments: str) -> ServerProcess:
        server = ServerProcess(
            command,
            *("--app", "stuck_app:app", "--shutdown-timeout", str(SHUTDOWN_TIMEOUT_SECONDS)),
            *arguments,
            cwd=tmp_path,
        )
        servers.append(server)
        return server

    yield start_server
    for server in servers:
        server.kill()


def stuck_request(server: ServerProcess) -> None:
    """Start a request the app never answers in time; wait until the app has it."""

    def request() -> None:
        with contextlib.suppress(OSError):  # cut when the server goes: that is the point
            get(server.port, "/stuck", timeout=SHUTDOWN_TIMEOUT_SECONDS)

    threading.Thread(target=request, daemon=True).start()
    server.wait_for("stuck request begun")


@pytest.mark.parametrize("signum", [signal.SIGTERM, signal.SIGINT], ids=["SIGTERM", "SIGINT"])
@pytest.mark.parametrize("command", [LABWEB, TWISTD], ids=["labweb", "twistd"])
def test_a_second_signal_exits_at_once_with_128_plus_the_signal(start, command, signum):
    server = start(command)
    stuck_request(server)
    server.signal(signum)
    server.wait_for(r"graceful stop: waiting for 1 request \(up to 60")
    started = time.monotonic()
    server.signal(signum)

    assert server.wait(PROMPTLY_SECONDS) == 128 + signum
    assert time.monotonic() - started < PROMPTLY_SECONDS
    assert "send the signal again to stop now" in server.text()
    assert "Traceback" not in server.text()
    assert "ReactorNotRunning" not in server.text()


def test_a_second_signal_exits_even_while_the_app_blocks_the_reactor(start):
    server = start(LABWEB, "--mode", "reactor", "--watchdog", "off")
    stuck_request(server)
    server.signal(signal.SIGTERM)
    server.wait_for("graceful stop: waiting for 1 request")
    server.signal(signal.SIGTERM)

    assert server.wait(PROMPTLY_SECONDS) == 128 + signal.SIGTERM
    assert "Traceback" not in server.text()


def test_one_signal_with_nothing_in_flight_still_exits_0(start):
    server = start(LABWEB)
    assert get(server.port, "/ready").endswith(b"ready")
    server.signal(signal.SIGTERM)
    assert server.wait() == 0
    assert "graceful stop: waiting" not in server.text()
