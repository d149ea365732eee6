"""Real nginx in front of labweb, on 127.0.0.1, with deploy/nginx.conf: the app sees the
client's address, scheme and host from X-Forwarded-* (--proxy-headers), and a client
that forges them directly to labweb changes nothing."""

from __future__ import annotations

import http.client
import json
import os
import re
import shutil
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

pytestmark = [
    pytest.mark.subprocess,
    pytest.mark.skipif(shutil.which("nginx") is None, reason="nginx is not installed"),
]

ROOT = Path(__file__).resolve().parents[2]
WAIT_SECONDS = 20
ECHO_APP = """
import json

def app(environ, start_response):
    seen = {key: environ.get(key) for key in
            ("REMOTE_ADDR", "wsgi.url_scheme", "HTTP_HOST", "SERVER_PORT")}
    body = json.dumps(seen).encode()
    start_response("200 OK", [("Content-Type", "application/json"),
                              ("Content-Length", str(len(body)))])
    return [body]
"""


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def wait_listening(port: int) -> None:
    deadline = time.monotonic() + WAIT_SECONDS
    while time.monotonic() < deadline:
        with socket.socket() as sock:
            if sock.connect_ex(("127.0.0.1", port)) == 0:
                return
        time.sleep(0.05)
    raise AssertionError(f"nothing listens on {port}")


def fill(template: Path, **values: object) -> str:
    lines = [line for line in template.read_text().splitlines() if not line.startswith("#")]
    text = "\n".join(lines) + "\n"
    for name, value in values.items():
        text = text.replace(f"@{name.upper()}@", str(value))
    assert re.search(r"@[A-Z_]+@", text) is None
    return text


@pytest.fixture
def ports(tmp_path: Path) -> Iterator[tuple[int, int]]:
    """(nginx's port, labweb's port), both serving until the test ends."""
    (tmp_path / "echo_app.py").write_text(ECHO_APP)
    labweb_port, nginx_port = free_port(), free_port()
    labweb = subprocess.Popen(
        [sys.executable, "-m", "twisted_wsgi_lab", "--app", "echo_app:app", "--proxy-headers",
         "--trusted-proxies", "127.0.0.1/32",
         "--listen", f"tcp:{labweb_port}:interface=127.0.0.1"],
        cwd=tmp_path, env={**os.environ, "PYTHONPATH": str(ROOT)}, stdin=subprocess.DEVNULL,
        stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
    )  # fmt: skip
    prefix = tmp_path / "nginx"
    prefix.mkdir()
    config = prefix / "nginx.conf"
    config.write_text(
        fill(
            ROOT / "deploy" / "nginx.conf",
            prefix=prefix,
            labweb_port=labweb_port,
            frontend_port=nginx_port,
        )
    )
    nginx = subprocess.Popen(
        ["nginx", "-p", str(prefix), "-c", str(config), "-g", "daemon off;"],
        stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
    )  # fmt: skip
    try:
        wait_listening(labweb_port)
        wait_listening(nginx_port)
        yield nginx_port, labweb_port
    finally:
        nginx.send_signal(signal.SIGQUIT)  # nginx's graceful stop
        labweb.send_signal(signal.SIGTERM)
        for process in (nginx, labweb):
            try:
                process.wait(WAIT_SECONDS)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait(WAIT_SECONDS)


def seen_by_app(port: int, headers: dict[str, str], source: str = "127.0.0.1") -> dict[str, str]:
    connection = http.client.HTTPConnection(
        "127.0.0.1", port, timeout=10, source_address=(source, 0)
    )
    try:
        connection.request("GET", "/", headers=headers)
        response = connection.getresponse()
        assert response.status == 200
        return dict(json.loads(response.read()))
    finally:
        connection.close()


def test_through_nginx_the_app_sees_the_client_and_the_public_host(
    ports: tuple[int, int],
) -> None:
    nginx_port, _ = ports
    seen = seen_by_app(nginx_port, {"Host": "shop.example"}, source="127.0.0.2")
    assert seen["REMOTE_ADDR"] == "127.0.0.2"  # the client, not nginx's 127.0.0.1
    # X-Forwarded-Port is nginx's port: the public address is nginx's, not labweb's.
    assert seen["HTTP_HOST"] == f"shop.example:{nginx_port}"
    assert seen["SERVER_PORT"] == str(nginx_port)
    assert seen["wsgi.url_scheme"] == "http"


def test_a_forged_x_forwarded_for_through_nginx_stops_at_the_real_client(
    ports: tuple[int, int],
) -> None:
    nginx_port, _ = ports
    seen = seen_by_app(
        nginx_port, {"Host": "shop.example", "X-Forwarded-For": "203.0.113.66"}, "127.0.0.2"
    )
    # nginx sends "203.0.113.66, 127.0.0.2": walking from the right, the first address
    # that is not a trusted proxy (only nginx's 127.0.0.1 is) is the real client.
    assert seen["REMOTE_ADDR"] == "127.0.0.2"


def test_headers_forged_straight_to_labweb_by_an_untrusted_peer_are_ignored(
    ports: tuple[int, int],
) -> None:
    _, labweb_port = ports
    seen = seen_by_app(
        labweb_port,
        {"X-Forwarded-For": "203.0.113.66", "X-Forwarded-Proto": "https", "Host": "a.example"},
        source="127.0.0.2",  # not a trusted proxy
    )
    assert seen["REMOTE_ADDR"] == "127.0.0.2"
    assert seen["wsgi.url_scheme"] == "http"
