"""A real socket upgrades to a toy echo protocol after 101 (what WebSocket builds on)."""

from __future__ import annotations

import socket
from typing import Any

from twisted.internet.protocol import Protocol
from zope.interface import implementer

from twisted_wsgi_lab.engine import Exchange, HTTPFactory, IRequestHandler


class Echo(Protocol):
    def dataReceived(self, data: bytes) -> None:
        self.transport.write(data.upper())  # type: ignore[union-attr]


@implementer(IRequestHandler)
class EchoUpgrade:
    def handle(self, exchange: Exchange) -> None:
        exchange.switch_protocols([(b"Upgrade", b"echo")], Echo())


def test_a_client_upgrades_over_loopback_and_talks_echo(in_reactor: Any) -> None:
    def listen() -> Any:
        from twisted.internet import reactor

        return reactor.listenTCP(0, HTTPFactory(EchoUpgrade()), interface="127.0.0.1")

    port = in_reactor(listen)
    try:
        with socket.create_connection(("127.0.0.1", port.getHost().port), timeout=10) as sock:
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
    finally:
        in_reactor(port.stopListening)
