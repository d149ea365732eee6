"""SIGTERM under load: stop accepting, finish what is in flight, close idle, exit 0."""

from __future__ import annotations

import os
import re
import signal
import socket
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest

from twisted_wsgi_lab.testing import parse_responses

pytestmark = pytest.mark.subprocess

ROOT = Path(__file__).resolve().parents[2]
SLOW_APP = """
import time

def app(environ, start_response):
    time.sleep(float(environ["QUERY_STRING"] or 0))
    start_response("200 OK", [("Content-Type", "text/plain")])
    return [b"finished " + environ["PATH_INFO"].encode()]
"""


def start_labweb(tmp_path: Path, *args: str) -> tuple[subprocess.Popen[str], int]:
    (tmp_path / "slow_app.py").write_text(SLOW_APP)
    command = [sys.executable, "-m", "twisted_wsgi_lab", "--app", "slow_app:app",
               "--listen", "tcp:0:interface=127.0.0.1", *args]  # fmt: skip
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    process = subprocess.Popen(
        command, cwd=tmp_path, env=env, stderr=subprocess.PIPE, stdout=subprocess.DEVNULL,
        text=True,
    )  # fmt: skip
    deadline = time.monotonic() + 20
    assert process.stderr is not None
    while time.monotonic() < deadline:
        line = process.stderr.readline()
        found = re.search(r"on http://127\.0\.0\.1:(\d+)/", line)
        if found:
            threading.Thread(target=drain, args=(process.stderr,), daemon=True).start()
            return process, int(found.group(1))
    stop(process)
    raise AssertionError("labweb did not start")


def drain(stream) -> None:
    """Keep reading the log so the child never blocks on a full pipe; close at EOF."""
    stream.read()
    stream.close()


def stop(process: subprocess.Popen[str]) -> None:
    process.kill()
    process.wait()
    if process.stderr is not None and not process.stderr.closed:
        process.stderr.close()


def request(port: int, path: str, results: dict[str, bytes]) -> None:
    """GET ``path``; what came back is stored, b"cut" if the connection was reset."""
    data = b""
    with socket.create_connection(("127.0.0.1", port), timeout=20) as sock:
        sock.sendall(f"GET {path} HTTP/1.1\r\nHost: t\r\nConnection: close\r\n\r\n".encode())
        try:
            while chunk := sock.recv(65536):
                data += chunk
        except ConnectionResetError:
            data = b"cut"
    results[path] = data


# In reactor mode a sleeping app holds the reactor, so one request is in flight at a
# time (the others wait unaccepted in the backlog); in thread mode all four are.
@pytest.mark.parametrize(
    ("mode", "in_flight"),
    [(["--mode", "threads", "--threads", "4"], 4), (["--mode", "reactor"], 1)],
    ids=["threads", "reactor"],
)
def test_sigterm_finishes_in_flight_requests_and_exits_0(tmp_path, mode, in_flight):
    process, port = start_labweb(tmp_path, *mode)
    try:
        idle = socket.create_connection(("127.0.0.1", port), timeout=20)
        results: dict[str, bytes] = {}
        clients = [
            threading.Thread(target=request, args=(port, f"/r{n}?0.8", results))
            for n in range(in_flight)
        ]
        for client in clients:
            client.start()
        time.sleep(0.4)  # the requests are in the app now
        process.send_signal(signal.SIGTERM)
        for client in clients:
            client.join(20)
        assert process.wait(timeout=20) == 0
        for n in range(in_flight):
            assert parse_responses(results[f"/r{n}?0.8"])[0].body == b"finished /r%d" % n
        assert idle.recv(10) == b""  # the idle keep-alive connection was closed
        idle.close()
        with pytest.raises(ConnectionRefusedError):
            socket.create_connection(("127.0.0.1", port), timeout=5)
    finally:
        stop(process)


def test_shutdown_timeout_bounds_the_wait_for_a_stuck_app(tmp_path):
    process, port = start_labweb(
        tmp_path, "--mode", "threads", "--threads", "2", "--shutdown-timeout", "1"
    )
    try:
        results: dict[str, bytes] = {}
        stuck = threading.Thread(target=request, args=(port, "/stuck?60", results), daemon=True)
        stuck.start()
        time.sleep(0.4)
        started = time.monotonic()
        process.send_signal(signal.SIGTERM)
        assert process.wait(timeout=20) == 0
        assert time.monotonic() - started < 15  # not the app's 60 s
        stuck.join(10)
        assert results["/stuck?60"] in (b"cut", b"")  # dropped at the timeout, no response
    finally:
        stop(process)
