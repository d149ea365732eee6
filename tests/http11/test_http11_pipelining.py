"""Several requests on one connection, pulling events, and what happens after an error."""

from __future__ import annotations

from collections.abc import Sequence

import pytest
from http11_support import parse

from twisted_wsgi_lab.http11 import (
    BodyData,
    EndOfMessage,
    ProtocolError,
    RequestHead,
    RequestParser,
)

GET = b"GET /1 HTTP/1.1\r\nHost: a\r\n\r\n"
POST = b"POST /2 HTTP/1.1\r\nHost: a\r\nContent-Length: 5\r\n\r\nhello"
CHUNKED = b"PUT /3 HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\n\r\n3\r\nabc\r\n0\r\n\r\n"
OLD = b"DELETE /4 HTTP/1.0\r\n\r\n"


def shape(events: Sequence[object]) -> list[object]:
    """Events with each head reduced to (method, path), for comparing sequences."""
    return [(e.method, e.path) if isinstance(e, RequestHead) else e for e in events]


def test_pipelined_requests_in_one_feed_give_their_events_in_order() -> None:
    assert shape(parse(GET + POST + CHUNKED + OLD)) == [
        (b"GET", b"/1"),
        EndOfMessage(),
        (b"POST", b"/2"),
        BodyData(b"hello"),
        EndOfMessage(),
        (b"PUT", b"/3"),
        BodyData(b"abc"),
        EndOfMessage(),
        (b"DELETE", b"/4"),
        EndOfMessage(),
    ]


def test_next_event_returns_none_until_enough_bytes_arrive() -> None:
    parser = RequestParser()
    assert parser.next_event() is None
    parser.receive_data(POST[:-3])
    assert isinstance(parser.next_event(), RequestHead)
    assert parser.next_event() == BodyData(b"he")
    assert parser.next_event() is None
    parser.receive_data(POST[-3:])
    assert parser.next_event() == BodyData(b"llo")
    assert parser.next_event() == EndOfMessage()
    assert parser.next_event() is None


def test_bytes_of_the_next_request_wait_until_the_caller_pulls_them() -> None:
    parser = RequestParser()
    parser.receive_data(GET + GET)
    assert isinstance(parser.next_event(), RequestHead)
    assert parser.next_event() == EndOfMessage()
    assert parser.buffered_bytes == len(GET)
    assert not parser.between_requests
    assert isinstance(parser.next_event(), RequestHead)
    assert parser.next_event() == EndOfMessage()
    assert (parser.buffered_bytes, parser.between_requests) == (0, True)


def test_the_parser_is_between_requests_only_before_a_first_byte_arrives() -> None:
    parser = RequestParser()
    assert parser.between_requests
    assert parser.feed(b"\r\n") == []
    assert parser.between_requests
    assert parser.feed(b"G") == []
    assert not parser.between_requests


def test_after_a_protocol_error_every_later_call_raises_the_same_error() -> None:
    parser = RequestParser()
    parser.receive_data(b"GET / HTTP/1.1\r\nHost: a\r\nContent-Length: 5, 6\r\n\r\n")
    with pytest.raises(ProtocolError) as first:
        parser.next_event()
    parser.receive_data(GET)
    for _ in range(3):
        with pytest.raises(ProtocolError) as later:
            parser.next_event()
        assert later.value is first.value
    with pytest.raises(ProtocolError) as fed:
        parser.feed(GET)
    assert fed.value is first.value


@pytest.mark.parametrize(
    "smuggler",
    [
        pytest.param(b"Content-Length: 4\r\nTransfer-Encoding: chunked\r\n", id="cl-te"),
        pytest.param(b"Transfer-Encoding: chunked, identity\r\n", id="te-not-last"),
        pytest.param(b"Content-Length: 4\r\nContent-Length: 40\r\n", id="cl-cl"),
        pytest.param(b"Transfer-Encoding : chunked\r\n", id="space-before-colon"),
        pytest.param(b"X: y\r\n Transfer-Encoding: chunked\r\n", id="obs-fold"),
    ],
)
def test_nothing_after_a_framing_error_is_processed(smuggler: bytes) -> None:
    """The classic smuggling shapes: the hidden request must never surface as an event."""
    hidden = b"GET /admin HTTP/1.1\r\nHost: a\r\n\r\n"
    body = b"0\r\n\r\n" + hidden
    stream = GET + b"POST / HTTP/1.1\r\nHost: a\r\n" + smuggler + b"\r\n" + body + GET
    parser = RequestParser()
    parser.receive_data(stream)
    events = [parser.next_event(), parser.next_event()]
    assert shape(events) == [(b"GET", b"/1"), EndOfMessage()]
    for _ in range(2):
        with pytest.raises(ProtocolError):
            parser.next_event()


def test_feed_raises_the_error_even_when_earlier_requests_completed() -> None:
    """feed() is all or nothing; a caller that must answer earlier requests pulls events."""
    with pytest.raises(ProtocolError):
        RequestParser().feed(GET + b"BROKEN\r\n\r\n")
