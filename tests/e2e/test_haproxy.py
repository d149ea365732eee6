"""Real HAProxy in front of labweb, on 127.0.0.1: PROXY protocol v1 and v2 into a
``haproxy:`` endpoint, and two instances balanced with health checks, one restarted
under load with no failed request. The configurations are the files in deploy/."""

from __future__ import annotations

import http.client
import os
import re
import shutil
import signal
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

pytestmark = [
    pytest.mark.subprocess,
    pytest.mark.skipif(shutil.which("haproxy") is None, reason="haproxy is not installed"),
]

ROOT = Path(__file__).resolve().parents[2]
WAIT_SECONDS = 20
WHOAMI_APP = """
def app(environ, start_response):
    body = (environ["REMOTE_ADDR"] + " " + environ.get("HTTP_X_INSTANCE", "")).encode()
    start_response("200 OK", [("Content-Type", "text/plain"), ("Content-Length", str(len(body)))])
    return [body]
"""


def fill(template: Path, **values: object) -> str:
    """The file with each ``@NAME@`` replaced by ``values["name"]``."""
    lines = [line for line in template.read_text().splitlines() if not line.startswith("#")]
    text = "\n".join(lines) + "\n"
    for name, value in values.items():
        text = text.replace(f"@{name.upper()}@", str(value))
    assert re.search(r"@[A-Z_]+@", text) is None, f"unfilled placeholder in {template.name}"
    return text


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def wait_until(condition: object, what: str) -> None:
    deadline = time.monotonic() + WAIT_SECONDS
    while time.monotonic() < deadline:
        if condition():  # type: ignore[operator]
            return
        time.sleep(0.05)
    raise AssertionError(f"timed out waiting for {what}")


def answers(port: int, path: str = "/healthz") -> bool:
    try:
        connection = http.client.HTTPConnection("127.0.0.1", port, timeout=2)
        connection.request("GET", path)
        ok = connection.getresponse().status == 200
        connection.close()
        return ok
    except OSError:
        return False


class Labweb:
    """One labweb instance serving the whoami app on a chosen port."""

    def __init__(self, app_dir: Path, listen: str, port: int, *extra: str) -> None:
        self.port = port
        env = {**os.environ, "PYTHONPATH": str(ROOT)}
        self.process = subprocess.Popen(
            [sys.executable, "-m", "twisted_wsgi_lab", "--app", "whoami:app",
             "--listen", listen, "--health-path", "/healthz", *extra],
            cwd=app_dir, env=env, stdin=subprocess.DEVNULL,
            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
        )  # fmt: skip

    def stop(self) -> int:
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
        try:
            return self.process.wait(WAIT_SECONDS)
        except subprocess.TimeoutExpired:
            self.process.kill()
            return self.process.wait(WAIT_SECONDS)


@pytest.fixture
def app_dir(tmp_path: Path) -> Path:
    (tmp_path / "whoami.py").write_text(WHOAMI_APP)
    return tmp_path


@pytest.fixture
def start_haproxy(tmp_path: Path) -> Iterator[object]:
    processes: list[subprocess.Popen[bytes]] = []

    def start(template: str, **values: object) -> int:
        frontend = free_port()
        text = fill(ROOT / "deploy" / template, frontend_port=frontend, **values)
        config = tmp_path / f"haproxy-{frontend}.cfg"
        config.write_text(text)
        process = subprocess.Popen(
            ["haproxy", "-db", "-f", str(config)],
            stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
        )  # fmt: skip
        processes.append(process)
        wait_until(lambda: _listening(frontend), "haproxy to listen")
        return frontend

    yield start
    for process in processes:
        process.terminate()
        process.wait(WAIT_SECONDS)


def _listening(port: int) -> bool:
    with socket.socket() as sock:
        return sock.connect_ex(("127.0.0.1", port)) == 0


@pytest.mark.parametrize("send_proxy", ["send-proxy", "send-proxy-v2"], ids=["v1", "v2"])
def test_the_app_sees_the_client_address_sent_by_the_proxy_protocol(
    app_dir: Path, start_haproxy: object, send_proxy: str
) -> None:
    port = free_port()
    labweb = Labweb(app_dir, f"haproxy:tcp:{port}:interface=127.0.0.1", port)
    try:
        frontend = start_haproxy(  # type: ignore[operator]
            "haproxy-proxy-protocol.cfg", labweb_port=port, send_proxy=send_proxy
        )
        wait_until(lambda: labweb.process.poll() is not None or _listening(port), "labweb")
        with socket.create_connection(
            ("127.0.0.1", frontend), timeout=10, source_address=("127.0.0.2", 0)
        ) as sock:
            sock.sendall(b"GET / HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n")
            reply = b""
            while chunk := sock.recv(4096):
                reply += chunk
        assert reply.startswith(b"HTTP/1.1 200 ")
        assert reply.split(b"\r\n\r\n", 1)[1].startswith(b"127.0.0.2 ")  # not HAProxy's .1
    finally:
        labweb.stop()


def test_an_instance_restarted_under_load_loses_no_request(
    app_dir: Path, start_haproxy: object
) -> None:
    ports = free_port(), free_port()
    drain = ("--drain-delay", "1")
    one = Labweb(app_dir, f"tcp:{ports[0]}:interface=127.0.0.1", ports[0], *drain)
    two = Labweb(app_dir, f"tcp:{ports[1]}:interface=127.0.0.1", ports[1], *drain)
    try:
        wait_until(lambda: answers(ports[0]) and answers(ports[1]), "both instances")
        frontend = start_haproxy("haproxy.cfg", port_one=ports[0], port_two=ports[1])  # type: ignore[operator]
        wait_until(lambda: answers(frontend, "/"), "haproxy to route")
        results: list[bool] = []
        stop = threading.Event()
        hammers = [
            threading.Thread(target=_hammer, args=(frontend, stop, results), daemon=True)
            for _ in range(4)
        ]
        for hammer in hammers:
            hammer.start()
        time.sleep(1.0)
        assert one.stop() == 0  # graceful: 503 to the checks, drain, then stop
        one = Labweb(app_dir, f"tcp:{ports[0]}:interface=127.0.0.1", ports[0], *drain)
        wait_until(lambda: answers(ports[0]), "the restarted instance")
        time.sleep(1.0)  # back in rotation, under load
        stop.set()
        for hammer in hammers:
            hammer.join(WAIT_SECONDS)
        assert len(results) > 100
        assert results.count(False) == 0, f"{results.count(False)} of {len(results)} failed"
    finally:
        one.stop()
        two.stop()


def _hammer(port: int, stop: threading.Event, results: list[bool]) -> None:
    while not stop.is_set():
        try:
            connection = http.client.HTTPConnection("127.0.0.1", port, timeout=5)
            connection.request("GET", "/")
            results.append(connection.getresponse().status == 200)
            connection.close()
        except OSError:
            results.append(False)
