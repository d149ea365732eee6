"""A reviewer's reproductions of bugs in the restructured engine; each failed before its fix."""

from __future__ import annotations

from typing import Any

from protocol_support import BodyCollector, HeldHandler, answer
from twisted.internet.protocol import Protocol
from twisted.internet.task import Clock
from zope.interface import implementer

from twisted_wsgi_lab.engine import ConnectionObserver, Exchange, HTTPFactory, IRequestHandler
from twisted_wsgi_lab.testing import connect, parse_responses

UPGRADE = b"GET /echo HTTP/1.1\r\nHost: a\r\nUpgrade: echo\r\nConnection: Upgrade\r\n\r\n"


# 1 -----------------------------------------------------------------------------------
def test_a_slow_upload_is_not_answered_503_the_moment_it_completes(make, clock):
    handler = HeldHandler()
    protocol, transport = make(handler, response_timeout_seconds=30, body_timeout_seconds=20)
    protocol.dataReceived(b"POST /up HTTP/1.1\r\nHost: a\r\nContent-Length: 10\r\n\r\n")
    body = BodyCollector()
    handler.exchanges[0].receive_body(body)
    for _ in range(10):  # a steady upload: a byte every 10 s, never 20 s of silence
        clock.advance(10)
        protocol.dataReceived(b"x")
    assert body.ended
    clock.advance(1)  # the app has had 1 s since the body completed (of its 30)
    assert transport.value() == b"", parse_responses(transport.value())[0].status


# 2 -----------------------------------------------------------------------------------
def test_the_send_timeout_is_not_extended_when_the_response_finishes(make, clock):
    handler = HeldHandler()
    protocol, transport = make(handler, send_timeout_seconds=60)
    protocol.dataReceived(b"GET / HTTP/1.1\r\nHost: a\r\nConnection: close\r\n\r\n")
    exchange = handler.exchanges[0]
    exchange.start_response(200, b"OK", [(b"Content-Length", b"4")])
    exchange.write(b"ab")
    protocol.pauseProducing()  # t=0: the client stops reading
    clock.advance(50)
    exchange.write(b"cd")
    exchange.finish()  # Connection: close -> close() re-arms SEND for another 60 s
    clock.advance(11)  # 61 s of a client that does not read
    assert transport.disconnected


# 3 -----------------------------------------------------------------------------------
class PausedAtStart(Protocol):
    """A new protocol that does not want to read until it is ready."""

    def __init__(self) -> None:
        self.received = b""

    def connectionMade(self) -> None:
        self.transport.pauseProducing()  # type: ignore[union-attr]

    def dataReceived(self, data: bytes) -> None:
        self.received += data


@implementer(IRequestHandler)
class SwitchTo:
    def __init__(self, protocol: Protocol) -> None:
        self.protocol = protocol

    def handle(self, exchange: Exchange) -> None:
        exchange.switch_protocols([(b"Upgrade", b"echo")], self.protocol)


def test_a_pause_made_by_the_new_protocol_in_connection_made_is_kept(make):
    new = PausedAtStart()
    protocol, transport = make(SwitchTo(new))
    protocol.dataReceived(UPGRADE)
    assert transport.producerState == "paused"


# 4 -----------------------------------------------------------------------------------
class Recorder(ConnectionObserver):
    def __init__(self) -> None:
        self.events: list[str] = []

    def connection_opened(self, connection: Any) -> None:
        self.events.append("opened")

    def protocol_switched(self, connection: Any, protocol: Any) -> None:
        self.events.append("switched")

    def connection_closed(self, connection: Any, reason: Any) -> None:
        self.events.append("closed")


def test_an_observer_sees_a_switched_connection_close():
    recorder = Recorder()
    factory = HTTPFactory(SwitchTo(Protocol()), clock=Clock())
    factory.add_observer(recorder)
    protocol, _transport = connect(factory)
    protocol.dataReceived(UPGRADE)
    protocol.connectionLost(None)  # what the transport calls when the socket closes
    assert recorder.events == ["opened", "switched", "closed"]


# 5 -----------------------------------------------------------------------------------
def test_an_observer_added_later_does_not_see_connections_made_before():
    first, late = Recorder(), Recorder()
    factory = HTTPFactory(HeldHandler(), clock=Clock())
    factory.add_observer(first)
    protocol, _ = connect(factory)
    factory.add_observer(late)  # "See every event of the connections made from now on"
    protocol.connectionLost(None)
    assert late.events == []  # it got "closed" for a connection it never saw open


# 6 (minor) ---------------------------------------------------------------------------
def test_a_refused_switch_leaves_the_connection_keep_alive(make):
    from twisted_wsgi_lab.engine import ResponseStateError

    @implementer(IRequestHandler)
    class TryThenAnswer:
        def handle(self, exchange: Exchange) -> None:
            try:  # refused: the body has not arrived yet
                exchange.switch_protocols([(b"Upgrade", b"echo")], Protocol())
            except ResponseStateError:
                answer(exchange, b"no")

    protocol, transport = make(TryThenAnswer())
    protocol.dataReceived(
        b"POST /echo HTTP/1.1\r\nHost: a\r\nUpgrade: echo\r\nConnection: Upgrade\r\n"
        b"Content-Length: 3\r\n\r\n"
    )
    [response] = parse_responses(transport.value())
    assert response.header(b"connection") != b"close"
