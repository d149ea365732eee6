"""Exchange.respond: a whole response in one step, failing as start_response, write and
finish would, and sending nothing when it fails."""

from __future__ import annotations

import pytest
from protocol_support import HeldHandler

from twisted_wsgi_lab.engine import ResponseStateError
from twisted_wsgi_lab.http11 import ResponseHeaderError, ResponseLengthError
from twisted_wsgi_lab.testing import parse_responses

GET = b"GET / HTTP/1.1\r\nHost: a\r\n\r\n"
HEAD = b"HEAD / HTTP/1.1\r\nHost: a\r\n\r\n"
TEXT = ((b"Content-Type", b"text/plain"),)


def test_the_head_and_body_leave_in_one_write_with_their_length(make):
    handler = HeldHandler()
    protocol, transport = make(handler)
    writes: list[bytes] = []
    write = transport.write
    transport.write = lambda data: (writes.append(data), write(data))  # type: ignore[method-assign]
    protocol.dataReceived(GET + GET)
    handler.exchanges[0].respond(200, b"OK", TEXT, b"hello")
    assert len(writes) == 1 and writes[0].endswith(b"\r\n\r\nhello")
    handler.exchanges[1].respond(404, b"Not Found", TEXT, b"")
    first, second = parse_responses(transport.value())
    assert (first.status, first.header(b"content-length"), first.body) == (200, b"5", b"hello")
    assert (second.status, second.header(b"content-length"), second.body) == (404, b"0", b"")
    assert not transport.disconnecting  # kept alive


def test_a_head_request_gets_the_length_and_no_body(make):
    handler = HeldHandler()
    protocol, transport = make(handler)
    protocol.dataReceived(HEAD + GET)
    handler.exchanges[0].respond(200, b"OK", TEXT, b"hello")
    handler.exchanges[1].respond(200, b"OK", TEXT, b"next")
    first, second = parse_responses(transport.value(), head_methods=(0,))
    assert first.header(b"content-length") == b"5" and first.body == b""
    assert second.body == b"next"


def test_a_body_longer_than_its_content_length_is_refused_before_a_byte_leaves(make):
    handler = HeldHandler()
    protocol, transport = make(handler)
    protocol.dataReceived(GET)
    exchange = handler.exchanges[0]
    with pytest.raises(ResponseLengthError):
        exchange.respond(200, b"OK", ((b"Content-Length", b"2"),), b"too long")
    assert transport.value() == b""
    exchange.respond(500, b"Internal Server Error", TEXT, b"sorry")  # still possible
    assert [r.status for r in parse_responses(transport.value())] == [500]


def test_a_bad_header_is_refused_and_nothing_is_sent(make):
    handler = HeldHandler()
    protocol, transport = make(handler)
    protocol.dataReceived(GET)
    with pytest.raises(ResponseHeaderError):
        handler.exchanges[0].respond(200, b"OK", ((b"X-Bad", b"a\r\nb"),), b"x")
    assert transport.value() == b""


def test_responding_twice_is_a_state_error(make):
    handler = HeldHandler()
    protocol, transport = make(handler)
    protocol.dataReceived(GET)
    exchange = handler.exchanges[0]
    exchange.respond(200, b"OK", TEXT, b"once")
    with pytest.raises(ResponseStateError):
        exchange.respond(200, b"OK", TEXT, b"twice")
    assert [r.body for r in parse_responses(transport.value())] == [b"once"]
