"""The reference servers serve a real WSGI app over a real socket, and stop completely."""

from __future__ import annotations

import io
import os
import socket
import sys
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from twisted_wsgi_lab.bench.memory import children
from twisted_wsgi_lab.bench.processes import (
    Server,
    free_ports,
    start_server,
    stop_server,
    wait_until_ready,
)
from twisted_wsgi_lab.bench.progress import LineProgress
from twisted_wsgi_lab.bench.runner import Outcome, started
from twisted_wsgi_lab.bench.scenarios import SCENARIOS

pytestmark = pytest.mark.subprocess

REFERENCES = "twisted_wsgi_lab.bench.references"


Serve = Callable[[str, str], Server]


@pytest.fixture
def serve(tmp_path: Path) -> Iterator[Serve]:
    started: list[Server] = []

    def start(module: str, app: str) -> Server:
        (port,) = free_ports(1)
        argv = [sys.executable, "-m", f"{REFERENCES}.{module}", str(port), app]
        server = start_server(module, port, argv, tmp_path, dict(os.environ))
        started.append(server)
        wait_until_ready(server)
        return server

    yield start
    for server in started:
        stop_server(server)


def exchange(sock: socket.socket, request: bytes) -> bytes:
    """Send one request and read one response with a Content-Length body."""
    sock.sendall(request)
    reader = sock.makefile("rb")
    head = b""
    while not head.endswith(b"\r\n\r\n"):
        head += reader.readline()
    length = int(head.lower().split(b"content-length:")[1].split(b"\r\n")[0])
    return head + reader.read(length)


UPLOAD = b"POST / HTTP/1.1\r\nHost: a\r\nContent-Length: 5\r\n\r\nhello"
GET = b"GET / HTTP/1.1\r\nHost: a\r\n\r\n"


def test_fork_per_connection_answers_several_requests_on_one_connection(serve: Serve) -> None:
    server = serve("fork_per_connection", "twisted_wsgi_lab.bench.apps:upload")
    with socket.create_connection(("127.0.0.1", server.port), timeout=10) as sock:
        first = exchange(sock, UPLOAD)
        second = exchange(sock, UPLOAD)
    assert first.startswith(b"HTTP/1.1 200 OK\r\n") and first.endswith(b"\r\n\r\n5\n")
    assert second.endswith(b"\r\n\r\n5\n")


def test_fork_per_connection_leaves_no_child_behind_when_stopped(serve: Serve) -> None:
    server = serve("fork_per_connection", "twisted_wsgi_lab.bench.apps:hello")
    with socket.create_connection(("127.0.0.1", server.port), timeout=10) as sock:
        exchange(sock, GET)
        kids = children(server.process.pid)
        assert kids  # this connection's child at least
        stop_server(server)
        time.sleep(0.2)
    assert [kid for kid in kids if alive(kid)] == []


def alive(pid: int) -> bool:
    """True for a process that runs; a zombie (state Z) waits only to be collected."""
    try:
        state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except OSError:
        return False
    return state != "Z"


def test_the_threading_server_answers_and_closes_as_http_1_0_servers_do(serve: Serve) -> None:
    server = serve("threading_wsgiref", "twisted_wsgi_lab.bench.apps:hello")
    with socket.create_connection(("127.0.0.1", server.port), timeout=10) as sock:
        answer = exchange(sock, GET)
        assert sock.recv(1) == b""  # closed after one response
    assert answer.startswith(b"HTTP/1.0 200 OK\r\n") and answer.endswith(b"Hello, world!\n")


def test_a_server_that_does_not_start_is_skipped_with_its_reason_and_output(
    tmp_path: Path,
) -> None:
    argv = [sys.executable, "-c", "import sys; print('no such app'); sys.exit(3)"]
    server = start_server("broken", free_ports(1)[0], argv, tmp_path, dict(os.environ))
    outcome = Outcome()
    progress = LineProgress(1, io.StringIO())
    assert not started(server, SCENARIOS["hello"], progress, outcome)
    ((scenario, model, reason),) = outcome.skipped
    assert (scenario, model) == ("hello", "broken")
    assert reason.endswith("exited with code 3")
    assert "no such app" in progress._stream.getvalue()  # type: ignore[attr-defined]
