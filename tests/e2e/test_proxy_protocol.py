"""``--listen haproxy:...`` over loopback: PROXY v1 and v2 set the client; garbage is
closed and logged. Then the labweb command, with the access log, and --proxy-headers."""

from __future__ import annotations

import json
import signal
import socket
import struct
import time
from collections.abc import Callable, Iterator
from typing import Any

import pytest
from server_process import LABWEB, ROOT, ServerProcess
from twisted.internet import reactor
from twisted.logger import LogEvent, formatEvent, globalLogPublisher

from twisted_wsgi_lab.engine import HTTPFactory
from twisted_wsgi_lab.service.proxy_protocol import server_endpoint
from twisted_wsgi_lab.testing import parse_responses
from twisted_wsgi_lab.wsgi import WSGIBridge

REQUEST = b"GET /who HTTP/1.1\r\nHost: t\r\nConnection: close\r\n\r\n"
V2_SIGNATURE = b"\r\n\r\n\x00\r\nQUIT\n"


def v2_header(source: str, destination: str, ports: tuple[int, int]) -> bytes:
    """A PROXY v2 header (version 2, command PROXY) for TCP over IPv4 or IPv6."""
    family = socket.AF_INET6 if ":" in source else socket.AF_INET
    addresses = socket.inet_pton(family, source) + socket.inet_pton(family, destination)
    payload = addresses + struct.pack("!HH", *ports)
    kind = 0x21 if family == socket.AF_INET6 else 0x11  # (AF_INET6|AF_INET) << 4 | STREAM
    return V2_SIGNATURE + bytes([0x21, kind]) + struct.pack("!H", len(payload)) + payload


def who(environ: dict[str, Any], start_response: Any) -> list[bytes]:
    start_response("200 OK", [("Content-Type", "application/json")])
    return [json.dumps([environ["REMOTE_ADDR"], environ["REMOTE_PORT"]]).encode()]


def exchange(port: int, *pieces: bytes) -> bytes:
    """Send ``pieces`` (a short pause between them), then read until the server closes."""
    data = b""
    with socket.create_connection(("127.0.0.1", port), timeout=10) as sock:
        for index, piece in enumerate(pieces):
            if index:
                time.sleep(0.05)
            sock.sendall(piece)
        try:
            while chunk := sock.recv(65536):
                data += chunk
        except ConnectionResetError:
            pass
    return data


@pytest.fixture
def proxied(in_reactor: Callable[..., Any]) -> Iterator[int]:
    """labweb's engine on ``haproxy:tcp:0:interface=127.0.0.1``, serving ``who``."""

    def listen() -> Any:
        endpoint = server_endpoint(reactor, "haproxy:tcp:0:interface=127.0.0.1")
        return endpoint.listen(HTTPFactory(WSGIBridge(who)))

    port = in_reactor(listen)
    yield int(port.getHost().port)
    in_reactor(port.stopListening)


@pytest.fixture
def log_lines() -> Iterator[list[str]]:
    lines: list[str] = []

    def observe(event: LogEvent) -> None:
        lines.append(formatEvent(event))

    globalLogPublisher.addObserver(observe)
    yield lines
    globalLogPublisher.removeObserver(observe)


def client_seen(data: bytes) -> list[Any]:
    [response] = parse_responses(data)
    assert response.status == 200
    return json.loads(response.body)  # type: ignore[no-any-return]


def test_a_v1_header_sets_the_client_address(proxied: int) -> None:
    data = exchange(proxied, b"PROXY TCP4 203.0.113.7 127.0.0.1 5555 8080\r\n" + REQUEST)
    assert client_seen(data) == ["203.0.113.7", "5555"]


def test_a_v1_header_split_across_segments_is_still_read(proxied: int) -> None:
    data = exchange(proxied, b"PRO", b"XY TCP6 2001:db8::7 ::1 5555 8080\r\n", REQUEST)
    assert client_seen(data) == ["2001:db8::7", "5555"]


@pytest.mark.parametrize(
    ("source", "destination"), [("203.0.113.9", "127.0.0.1"), ("2001:db8::9", "::1")]
)
def test_a_v2_header_sets_the_client_address(proxied: int, source: str, destination: str) -> None:
    data = exchange(proxied, v2_header(source, destination, (6666, 8080)) + REQUEST)
    assert client_seen(data) == [source, "6666"]


def wait_for_line(lines: list[str], text: str) -> str:
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline:
        found = [line for line in lines if text in line]
        if found:
            return found[0]
        time.sleep(0.02)
    raise AssertionError(f"no log line with {text!r}: {lines}")


@pytest.mark.parametrize(
    ("first_bytes", "why"),
    [
        (b"PROXY TCP4 not-an-address 127.0.0.1 5555 8080\r\n", "malformed PROXY protocol header"),
        (V2_SIGNATURE + b"\x21\x11\x00\x02xx", "malformed PROXY protocol header"),
        (b"PROXY " + b"x" * 200, "malformed PROXY protocol header"),
        (b"", "no PROXY protocol header"),  # the request alone
    ],
    ids=["v1-bad-address", "v2-short-address", "v1-too-long", "plain-http"],
)
def test_a_malformed_header_closes_the_connection_with_a_log_line(
    proxied: int, log_lines: list[str], first_bytes: bytes, why: str
) -> None:
    assert exchange(proxied, first_bytes + REQUEST) == b""
    line = wait_for_line(log_lines, why)
    assert line.startswith("closing the connection from 127.0.0.1:")


@pytest.mark.subprocess
def test_the_labweb_command_logs_the_proxied_client_and_believes_trusted_headers() -> None:
    server = ServerProcess(
        LABWEB,
        "--app",
        "examples.hello:app",
        "--access-log",
        "-",
        "--proxy-headers",
        "--listen",
        "haproxy:tcp:0:interface=127.0.0.1",
        cwd=ROOT,
    )
    try:
        v1 = b"PROXY TCP4 203.0.113.7 127.0.0.1 5555 8080\r\n"
        assert parse_responses(exchange(server.port, v1 + REQUEST))[0].status == 200
        assert server.wait_for(r'"GET /who HTTP/1\.1" 200').string.startswith("203.0.113.7 ")
        # The PROXY client is not a trusted proxy: its X-Forwarded-For is not believed.
        spoof = REQUEST.replace(b"\r\n\r\n", b"\r\nX-Forwarded-For: 192.0.2.66\r\n\r\n")
        exchange(server.port, v1 + spoof)
        assert server.wait_for(r'"GET /who HTTP/1\.1" 200').string.startswith("203.0.113.7 ")
        # From loopback (trusted by default), it is.
        trusted = b"PROXY TCP4 127.0.0.5 127.0.0.1 5555 8080\r\n"
        exchange(server.port, trusted + spoof)
        assert server.wait_for(r'"GET /who HTTP/1\.1" 200').string.startswith("192.0.2.66 ")
        exchange(server.port, b"GET / HTTP/1.1\r\nHost: t\r\n\r\n")
        server.wait_for(r"closing the connection from 127\.0\.0\.1:\d+: no PROXY protocol")
    finally:
        server.signal(signal.SIGTERM)
        server.kill()
