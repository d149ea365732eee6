"""A real socket upgrades to the toy echo protocol of examples/echo_upgrade.py after 101."""

from __future__ import annotations

import socket
from collections.abc import Callable

import pytest

from examples.echo_upgrade import EchoUpgrade


@pytest.fixture
def echo_port(serve_handler: Callable[..., int]) -> int:
    return serve_handler(EchoUpgrade())


def test_a_client_upgrades_over_loopback_and_talks_echo(echo_port: int) -> None:
    with socket.create_connection(("127.0.0.1", echo_port), timeout=10) as sock:
        sock.sendall(
            b"GET / HTTP/1.1\r\nHost: a\r\nUpgrade: echo\r\nConnection: upgrade\r\n\r\nping"
        )
        received = b""
        while not received.endswith(b"PING"):
            chunk = sock.recv(4096)
            assert chunk, f"closed early: {received!r}"
            received += chunk
        assert received.startswith(b"HTTP/1.1 101 ")
        sock.sendall(b"pong")
        assert sock.recv(4096) == b"PONG"


def test_without_upgrade_the_example_answers_plain_http(echo_port: int) -> None:
    with socket.create_connection(("127.0.0.1", echo_port), timeout=10) as sock:
        sock.sendall(b"GET / HTTP/1.1\r\nHost: a\r\nConnection: close\r\n\r\n")
        received = b""
        while chunk := sock.recv(4096):
            received += chunk
    assert received.startswith(b"HTTP/1.1 200 OK")
    assert received.endswith(b"Upgrade: echo and Connection: upgrade to switch\n")
