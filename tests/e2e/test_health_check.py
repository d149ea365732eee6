"""``--health-path``: 200 while serving, 503 on a kept-alive connection once stopping."""

from __future__ import annotations

import http.client
import signal
from pathlib import Path

import pytest
from server_process import LABWEB, ServerProcess
from twisted.internet.task import Clock

from twisted_wsgi_lab import App, HTTPFactory
from twisted_wsgi_lab.service.health import HealthCheck
from twisted_wsgi_lab.testing import connect, parse_responses

SLOW_APP = """
import time

def app(environ, start_response):
    time.sleep(float(environ["QUERY_STRING"] or 0))
    start_response("200 OK", [("Content-Type", "text/plain")])
    return [b"done"]
"""


def test_the_health_path_is_answered_before_the_app_and_the_rest_reaches_it() -> None:
    app = App()
    app.get("/")(lambda request: "app")
    health = HealthCheck(app, "/healthz")
    protocol, transport = connect(HTTPFactory(health, clock=Clock()))
    protocol.dataReceived(
        b"GET /healthz HTTP/1.1\r\nHost: a\r\n\r\nGET / HTTP/1.1\r\nHost: a\r\n\r\n"
    )
    ready, page = parse_responses(transport.value())
    assert (ready.status, ready.body, page.body) == (200, b"ok\n", b"app")
    health.ready = False
    transport.clear()
    protocol.dataReceived(b"GET /healthz HTTP/1.1\r\nHost: a\r\n\r\n")
    [stopping] = parse_responses(transport.value())
    assert stopping.status == 503 and stopping.header(b"connection") == b"close"


@pytest.mark.subprocess
def test_a_balancer_sees_503_while_the_stopping_server_still_serves(tmp_path: Path) -> None:
    (tmp_path / "slow_app.py").write_text(SLOW_APP)
    server = ServerProcess(
        LABWEB,
        *("--app", "slow_app:app", "--health-path", "/healthz", "--drain-delay", "1.5"),
        cwd=tmp_path,
    )
    try:
        assert _get(server.port, "/healthz") == (200, b"ok\n")
        server.signal(signal.SIGTERM)
        server.wait_for("balancers see 503")
        assert _get(server.port, "/healthz") == (503, b"stopping\n")  # a new connection
        assert _get(server.port, "/?0.1") == (200, b"done")  # still serving the app
        assert server.wait() == 0
        assert "Traceback" not in server.text()
    finally:
        server.kill()


def test_drain_delay_needs_a_health_path() -> None:
    import subprocess

    from server_process import ROOT

    done = subprocess.run(
        [*LABWEB, "--drain-delay", "2"], cwd=ROOT, capture_output=True, text=True, timeout=30
    )
    assert done.returncode == 2 and "--drain-delay" in done.stderr


def _get(port: int, target: str) -> tuple[int, bytes]:
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
    try:
        connection.request("GET", target)
        response = connection.getresponse()
        return response.status, response.read()
    finally:
        connection.close()
