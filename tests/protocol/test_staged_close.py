"""Half-closes both ways: labweb closing in stages (RFC 9112 section 9.6) while the
client may still be sending, and a client that half-closes after its requests."""

from __future__ import annotations

from protocol_support import BodyCollector, EchoPathHandler, HeldHandler, answer
from twisted.internet.interfaces import ISSLTransport, ITCPTransport
from twisted.internet.testing import StringTransport
from zope.interface import implementer

from twisted_wsgi_lab.engine import HTTPFactory
from twisted_wsgi_lab.engine.protocol import LINGER_SECONDS
from twisted_wsgi_lab.http11 import Limits
from twisted_wsgi_lab.testing import parse_responses

GET = b"GET /%s HTTP/1.1\r\nHost: a\r\n\r\n"
TOO_LARGE = b"POST / HTTP/1.1\r\nHost: a\r\nContent-Length: 5000\r\n\r\n"


@implementer(ITCPTransport)
class TCPLikeTransport(StringTransport):
    """A StringTransport that, like TCP, can close its write side alone."""

    write_closed = False

    def loseWriteConnection(self) -> None:
        self.write_closed = True


@implementer(ISSLTransport)
class TLSLikeTransport(TCPLikeTransport):
    """TLS over TCP: Twisted offers no half-close there."""


def connect_over(transport, clock, handler=None, **limits):
    factory = HTTPFactory(handler or EchoPathHandler(), limits=Limits(**limits), clock=clock)
    protocol = factory.buildProtocol(None)
    transport.protocol = protocol  # as tcp.Server has it; a wrapper would not
    protocol.makeConnection(transport)
    return protocol, transport


def test_a_refused_upload_gets_fin_then_is_drained_until_the_client_falls_silent(clock):
    protocol, transport = connect_over(TCPLikeTransport(), clock, max_body_bytes=10)
    protocol.dataReceived(TOO_LARGE)
    assert parse_responses(transport.value())[0].status == 413
    assert transport.write_closed and not transport.disconnecting  # FIN, reading on
    protocol.writeConnectionLost()  # the FIN has left
    answered = transport.value()
    for _ in range(3):  # the upload goes on: dropped, and the wait starts again
        clock.advance(LINGER_SECONDS - 0.5)
        protocol.dataReceived(b"x" * 1000)
    assert transport.value() == answered and not transport.disconnecting
    clock.advance(LINGER_SECONDS)  # silent: closed fully
    assert transport.disconnecting
    protocol.connectionLost()
    assert clock.getDelayedCalls() == []


def test_the_clients_own_eof_ends_the_drain_at_once(clock):
    protocol, transport = connect_over(TCPLikeTransport(), clock, max_body_bytes=10)
    protocol.dataReceived(TOO_LARGE)
    protocol.writeConnectionLost()
    protocol.readConnectionLost()
    assert transport.disconnecting


def test_an_idle_connection_or_one_that_asked_to_close_is_closed_at_once(clock):
    protocol, transport = connect_over(TCPLikeTransport(), clock, keepalive_timeout_seconds=5)
    protocol.dataReceived(GET % b"")
    clock.advance(6)
    assert transport.disconnecting and not transport.write_closed
    protocol, transport = connect_over(TCPLikeTransport(), clock)
    protocol.dataReceived(b"GET /x HTTP/1.1\r\nHost: a\r\nConnection: close\r\n\r\n")
    assert transport.disconnecting and not transport.write_closed


def test_tls_is_never_half_closed(clock):
    protocol, transport = connect_over(TLSLikeTransport(), clock, max_body_bytes=10)
    protocol.dataReceived(TOO_LARGE)
    assert transport.disconnecting and not transport.write_closed  # close_notify path


def test_a_connection_over_the_limit_is_closed_at_once(clock):
    factory = HTTPFactory(EchoPathHandler(), limits=Limits(max_connections=1), clock=clock)
    for transport in (TCPLikeTransport(), refused := TCPLikeTransport()):
        protocol = factory.buildProtocol(None)
        transport.protocol = protocol
        protocol.makeConnection(transport)
    assert refused.disconnecting and not refused.write_closed


def test_behind_a_wrapper_such_as_haproxy_there_is_no_half_close(clock):
    protocol, transport = connect_over(TCPLikeTransport(), clock, max_body_bytes=10)
    transport.protocol = object()  # the wrapper, which would swallow writeConnectionLost
    protocol.dataReceived(TOO_LARGE)
    assert transport.disconnecting and not transport.write_closed


def test_requests_sent_before_the_clients_eof_are_all_answered_then_closed(clock):
    handler = HeldHandler()
    protocol, transport = connect_over(TCPLikeTransport(), clock, handler)
    protocol.dataReceived(GET % b"one" + GET % b"two")
    protocol.readConnectionLost()  # like nc -N: the client has said all it will say
    assert not transport.disconnecting
    answer(handler.exchanges[0], b"first")
    assert not transport.disconnecting
    answer(handler.exchanges[1], b"second")
    assert [r.body for r in parse_responses(transport.value())] == [b"first", b"second"]
    assert transport.disconnecting and not transport.write_closed


def test_eof_inside_a_head_or_a_body_closes_and_tells_the_application(clock):
    protocol, transport = connect_over(TCPLikeTransport(), clock)
    protocol.dataReceived(b"GET / HTTP/1.1\r\nHost:")
    protocol.readConnectionLost()
    assert transport.disconnecting and transport.value() == b""

    handler = HeldHandler()
    protocol, transport = connect_over(TCPLikeTransport(), clock, handler)
    protocol.dataReceived(b"POST / HTTP/1.1\r\nHost: a\r\nContent-Length: 10\r\n\r\nabc")
    gone = []
    handler.exchanges[0].on_disconnect(lambda: gone.append(True))
    handler.exchanges[0].receive_body(collector := BodyCollector())
    protocol.readConnectionLost()  # the body can never complete
    assert transport.disconnecting
    protocol.connectionLost()
    assert gone == [True] and collector.data == [b"abc"] and not collector.ended


def test_a_client_gone_before_a_slow_response_began_is_let_go(clock):
    """TCP shows a vanished client as an EOF; a long poll must not hold its slot."""
    handler = HeldHandler()
    protocol, transport = connect_over(TCPLikeTransport(), clock, handler)
    protocol.dataReceived(GET % b"poll")
    gone = []
    handler.exchanges[0].on_disconnect(lambda: gone.append(True))
    protocol.readConnectionLost()
    clock.advance(LINGER_SECONDS - 0.1)
    assert not transport.disconnecting  # a half-closed client may still get its answer
    clock.advance(0.2)
    assert transport.disconnecting
    protocol.connectionLost()
    assert gone == [True]
    assert clock.getDelayedCalls() == []


def test_a_response_under_way_to_a_half_closed_client_goes_on(clock):
    handler = HeldHandler()
    protocol, transport = connect_over(TCPLikeTransport(), clock, handler)
    protocol.dataReceived(GET % b"stream")
    exchange = handler.exchanges[0]
    exchange.start_response(200, b"OK", [])
    exchange.write(b"first part")
    protocol.readConnectionLost()
    clock.advance(LINGER_SECONDS * 5)
    assert not transport.disconnecting
    exchange.write(b", the rest")
    exchange.finish()
    assert parse_responses(transport.value())[0].body == b"first part, the rest"
    assert transport.disconnecting
