"""--max-connections: beyond the limit a new connection gets 503 and is closed."""

from __future__ import annotations

from protocol_support import EchoPathHandler
from twisted.internet.task import Clock

from twisted_wsgi_lab.engine import HTTPFactory
from twisted_wsgi_lab.http11 import Limits
from twisted_wsgi_lab.testing import connect, parse_responses


def test_connection_beyond_the_limit_gets_503():
    factory = HTTPFactory(EchoPathHandler(), limits=Limits(max_connections=2), clock=Clock())
    connect(factory)
    connect(factory)
    _, refused = connect(factory)
    [response] = parse_responses(refused.value())
    assert response.status == 503
    assert refused.disconnecting
    assert len(factory.connections) == 2


def test_a_closed_connection_makes_room_again():
    factory = HTTPFactory(EchoPathHandler(), limits=Limits(max_connections=1), clock=Clock())
    first, _ = connect(factory)
    first.connectionLost()
    protocol, transport = connect(factory)
    protocol.dataReceived(b"GET /ok HTTP/1.1\r\nHost: a\r\n\r\n")
    assert parse_responses(transport.value())[0].body == b"/ok"


def test_a_refused_client_that_never_reads_is_dropped_after_the_send_timeout():
    clock = Clock()
    factory = HTTPFactory(EchoPathHandler(), limits=Limits(max_connections=1), clock=clock)
    connect(factory)
    _, transport = connect(factory)
    clock.advance(Limits().send_timeout_seconds + 1)
    assert transport.disconnected


def test_a_refused_connection_gone_at_once_leaves_no_timer_behind():
    clock = Clock()
    factory = HTTPFactory(EchoPathHandler(), limits=Limits(max_connections=1), clock=clock)
    accepted, _ = connect(factory)
    refused, _ = connect(factory)
    refused.connectionLost()
    accepted.connectionLost()
    assert clock.getDelayedCalls() == []
