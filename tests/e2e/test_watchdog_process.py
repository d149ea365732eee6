"""The watchdog names the request that blocks the reactor, once per episode."""

from __future__ import annotations

import re
import signal
import threading
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from server_process import LABWEB, TWISTD, ServerProcess, get

pytestmark = pytest.mark.subprocess

BLOCKING_APP = """
import time

def app(environ, start_response):
    if environ["PATH_INFO"] == "/block":
        time.sleep(1.5)
    start_response("200 OK", [("Content-Type", "text/plain")])
    return [environ["PATH_INFO"].encode()]
"""
BLOCKED = re.compile(r"reactor thread blocked for [0-9.]+ s by GET /block HTTP/1\.1")
FREE = "reactor thread free again after"


@pytest.fixture
def start(tmp_path: Path) -> Iterator[Callable[..., ServerProcess]]:
    """start(command, *arguments) -> a server for blocking_app:app, killed at teardown."""
    (tmp_path / "blocking_app.py").write_text(BLOCKING_APP)
    servers: list[ServerProcess] = []

    def start_server(command: tuple[str, ...], *arguments: str) -> ServerProcess:
        server = ServerProcess(command, "--app", "blocking_app:app", *arguments, cwd=tmp_path)
        servers.append(server)
        return server

    yield start_server
    for server in servers:
        server.kill()


def warnings(server: ServerProcess) -> list[str]:
    return [line for line in server.lines if "reactor thread blocked" in line]


@pytest.mark.parametrize("command", [LABWEB, TWISTD], ids=["labweb", "twistd"])
def test_a_blocking_request_is_named_once_with_advice_to_use_threads(start, command):
    server = start(command, "--mode", "reactor")
    assert get(server.port, "/block").endswith(b"/block")
    server.wait_for(FREE)  # the episode is over: the reactor beat again

    [warning] = warnings(server)
    assert BLOCKED.search(warning), warning
    assert "--mode threads" in warning
    assert "blocking_app.py:6 in app" in warning  # the line holding the reactor


def test_each_episode_is_reported_once(start):
    server = start(LABWEB, "--mode", "reactor")
    for _ in range(2):
        get(server.port, "/block")
        server.wait_for(FREE)
    assert len(warnings(server)) == 2


def test_a_fast_app_never_wakes_the_watchdog(start):
    server = start(LABWEB, "--mode", "reactor", "--watchdog", "0.2")
    for n in range(50):
        assert get(server.port, f"/fast{n}").endswith(b"/fast%d" % n)
    server.signal(signal.SIGTERM)
    assert server.wait() == 0
    assert warnings(server) == []


def test_watchdog_off_says_nothing(start):
    server = start(LABWEB, "--mode", "reactor", "--watchdog", "off")
    get(server.port, "/block")
    get(server.port, "/fast")
    server.signal(signal.SIGTERM)
    assert server.wait() == 0
    assert warnings(server) == []
    assert FREE not in server.text()


def test_in_thread_mode_a_blocking_app_leaves_the_reactor_free(start):
    server = start(LABWEB)
    blocked = threading.Thread(target=get, args=(server.port, "/block"))
    blocked.start()
    assert get(server.port, "/fast").endswith(b"/fast")
    blocked.join(20)
    server.signal(signal.SIGTERM)
    assert server.wait() == 0
    assert warnings(server) == []
