"""Protocol switching: a handler answers 101 and hands the connection to another protocol."""

from __future__ import annotations

import pytest
from protocol_support import answer
from twisted.internet.protocol import Protocol
from zope.interface import implementer

from twisted_wsgi_lab.engine import Exchange, IRequestHandler, ResponseStateError
from twisted_wsgi_lab.http11 import ResponseHeaderError
from twisted_wsgi_lab.testing import parse_responses

UPGRADE = b"GET /echo HTTP/1.1\r\nHost: a\r\nUpgrade: echo\r\nConnection: Upgrade\r\n\r\n"


class Echo(Protocol):
    """The toy protocol: every byte comes back."""

    def __init__(self) -> None:
        self.lost = False

    def dataReceived(self, data: bytes) -> None:
        self.transport.write(data)  # type: ignore[union-attr]

    def connectionLost(self, reason: object = None) -> None:
        self.lost = True


@implementer(IRequestHandler)
class EchoUpgrade:
    """Switches to Echo when asked with ``Upgrade: echo``; answers 200 otherwise."""

    def __init__(self) -> None:
        self.echo = Echo()

    def handle(self, exchange: Exchange) -> None:
        if exchange.head.get(b"upgrade") == b"echo":
            exchange.switch_protocols([(b"Upgrade", b"echo")], self.echo)
        else:
            answer(exchange, b"plain http")


def test_after_101_the_bytes_that_followed_the_head_and_all_later_ones_are_echoed(make):
    handler = EchoUpgrade()
    protocol, transport = make(handler)
    protocol.dataReceived(UPGRADE + b"hello ")
    head, _, rest = transport.value().partition(b"\r\n\r\n")
    assert head.startswith(b"HTTP/1.1 101 Switching Protocols\r\n")
    assert b"\r\nUpgrade: echo" in head and b"\r\nConnection: Upgrade" in head
    assert rest == b"hello "
    protocol.dataReceived(b"GET / HTTP/1.1\r\n\r\n")  # no longer parsed as HTTP
    assert transport.value().endswith(b"hello GET / HTTP/1.1\r\n\r\n")
    assert protocol not in protocol.factory.connections
    protocol.connectionLost(None)
    assert handler.echo.lost


def test_an_upgrade_answered_normally_keeps_the_connection_http(make):
    @implementer(IRequestHandler)
    class Refuse:
        def handle(self, exchange: Exchange) -> None:
            answer(exchange, exchange.head.path)

    protocol, transport = make(Refuse())
    protocol.dataReceived(UPGRADE + b"GET /next HTTP/1.1\r\nHost: a\r\n\r\n")
    first, second = parse_responses(transport.value())
    assert (first.body, second.body) == (b"/echo", b"/next")


def test_a_101_without_being_asked_is_refused_and_nothing_is_sent(make):
    exchanges: list[Exchange] = []

    @implementer(IRequestHandler)
    class Keep:
        def handle(self, exchange: Exchange) -> None:
            exchanges.append(exchange)

    protocol, transport = make(Keep())
    protocol.dataReceived(b"GET / HTTP/1.1\r\nHost: a\r\n\r\n")
    with pytest.raises(ResponseHeaderError):
        exchanges[0].switch_protocols([(b"Upgrade", b"echo")], Echo())
    assert transport.value() == b""


def test_a_101_after_the_response_began_is_refused(make):
    exchanges: list[Exchange] = []

    @implementer(IRequestHandler)
    class Keep:
        def handle(self, exchange: Exchange) -> None:
            exchanges.append(exchange)

    protocol, _transport = make(Keep())
    protocol.dataReceived(UPGRADE)
    exchanges[0].start_response(200, b"OK", [])
    exchanges[0].write(b"x")
    with pytest.raises(ResponseStateError):
        exchanges[0].switch_protocols([(b"Upgrade", b"echo")], Echo())


def test_a_101_must_name_the_protocol(make):
    exchanges: list[Exchange] = []

    @implementer(IRequestHandler)
    class Keep:
        def handle(self, exchange: Exchange) -> None:
            exchanges.append(exchange)

    protocol, transport = make(Keep())
    protocol.dataReceived(UPGRADE)
    with pytest.raises(ResponseHeaderError, match="Upgrade"):
        exchanges[0].switch_protocols([], Echo())
    assert transport.value() == b""
