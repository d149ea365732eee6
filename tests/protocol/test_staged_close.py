"""Closing in stages (RFC 9112 section 9.6) when the client may still be sending."""

from __future__ import annotations

from protocol_support import EchoPathHandler
from twisted.internet.testing import StringTransport

from twisted_wsgi_lab.http11 import Limits
from twisted_wsgi_lab.protocol import LINGER_SECONDS, HTTPFactory
from twisted_wsgi_lab.testing import parse_responses


class HalfClosingTransport(StringTransport):
    """A StringTransport that, like TCP, can close its write side alone."""

    write_closed = False

    def loseWriteConnection(self) -> None:
        self.write_closed = True


def connect_tcp_like(clock, **limits):
    factory = HTTPFactory(EchoPathHandler(), limits=Limits(**limits), clock=clock)
    transport = HalfClosingTransport()
    protocol = factory.buildProtocol(None)
    protocol.makeConnection(transport)
    return protocol, transport


def test_a_refused_upload_is_answered_then_half_closed_while_the_body_drains(clock):
    protocol, transport = connect_tcp_like(clock, max_body_bytes=10)
    protocol.dataReceived(b"POST / HTTP/1.1\r\nHost: a\r\nContent-Length: 5000\r\n\r\n")
    [response] = parse_responses(transport.value())
    assert response.status == 413
    assert transport.write_closed and not transport.disconnecting  # FIN, reading on
    answered = transport.value()
    protocol.dataReceived(b"x" * 4000)  # the client is still uploading: dropped
    assert transport.value() == answered
    clock.advance(LINGER_SECONDS)
    assert transport.disconnecting  # closed fully after the wait
    protocol.connectionLost()
    assert clock.getDelayedCalls() == []


def test_an_idle_connection_is_closed_at_once(clock):
    protocol, transport = connect_tcp_like(clock, keepalive_timeout_seconds=5)
    protocol.dataReceived(b"GET / HTTP/1.1\r\nHost: a\r\n\r\n")
    clock.advance(6)
    assert transport.disconnecting and not transport.write_closed


def test_a_request_that_asked_to_close_is_closed_at_once(clock):
    protocol, transport = connect_tcp_like(clock)
    protocol.dataReceived(b"GET /x HTTP/1.1\r\nHost: a\r\nConnection: close\r\n\r\n")
    assert parse_responses(transport.value())[0].body == b"/x"
    assert transport.disconnecting and not transport.write_closed
