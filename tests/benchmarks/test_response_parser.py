"""The load generator's response framing: where each response ends, fed whole and byte by byte."""

from __future__ import annotations

import pytest

from twisted_wsgi_lab.bench.response_parser import (
    ResponseDone,
    ResponseParseError,
    ResponseParser,
)

LENGTH = b"HTTP/1.1 200 OK\r\nContent-Length: 5\r\n\r\nhello"
CHUNKED = (
    b"HTTP/1.1 201 Created\r\nTransfer-Encoding: chunked\r\n\r\n"
    b"5;ext=1\r\nhello\r\n6\r\n world\r\n0\r\nX-Trailer: y\r\n\r\n"
)
CLOSE = b"HTTP/1.1 404 Not Found\r\nConnection: close\r\nContent-Length: 0\r\n\r\n"


def feed(stream: bytes, *, requests: int, byte_by_byte: bool, head: bool = False) -> list:
    parser = ResponseParser()
    for _ in range(requests):
        parser.expect(head=head)
    if not byte_by_byte:
        return parser.feed(stream)
    return [done for index in range(len(stream)) for done in parser.feed(stream[index : index + 1])]


@pytest.mark.parametrize("byte_by_byte", [False, True])
def test_pipelined_responses_of_every_framing_end_where_they_should(byte_by_byte: bool) -> None:
    done = feed(LENGTH + CHUNKED + CLOSE, requests=3, byte_by_byte=byte_by_byte)
    assert done == [
        ResponseDone(200, keep_alive=True, body_bytes=5),
        ResponseDone(201, keep_alive=True, body_bytes=11),
        ResponseDone(404, keep_alive=False, body_bytes=0),
    ]


def test_a_body_without_length_ends_at_the_close_and_closes() -> None:
    parser = ResponseParser()
    parser.expect()
    assert parser.feed(b"HTTP/1.1 200 OK\r\n\r\nsome bytes") == []
    assert parser.connection_closed() == ResponseDone(200, keep_alive=False, body_bytes=10)


def test_a_response_to_head_has_no_body_whatever_its_length_says() -> None:
    done = feed(
        b"HTTP/1.1 200 OK\r\nContent-Length: 99\r\n\r\n", requests=1, byte_by_byte=False, head=True
    )
    assert done == [ResponseDone(200, keep_alive=True, body_bytes=0)]


def test_an_interim_100_continue_is_skipped() -> None:
    done = feed(b"HTTP/1.1 100 Continue\r\n\r\n" + LENGTH, requests=1, byte_by_byte=False)
    assert [item.status for item in done] == [200]


def test_http_1_0_closes_unless_it_asks_for_keep_alive() -> None:
    plain = b"HTTP/1.0 200 OK\r\nContent-Length: 0\r\n\r\n"
    kept = b"HTTP/1.0 200 OK\r\nConnection: keep-alive\r\nContent-Length: 0\r\n\r\n"
    assert feed(plain, requests=1, byte_by_byte=False)[0].keep_alive is False
    assert feed(kept, requests=1, byte_by_byte=False)[0].keep_alive is True


def test_a_close_in_the_middle_of_a_body_is_an_error() -> None:
    parser = ResponseParser()
    parser.expect()
    parser.feed(LENGTH[:-2])
    with pytest.raises(ResponseParseError, match="middle"):
        parser.connection_closed()


@pytest.mark.parametrize(
    "stream",
    [
        b"HTTP/2 200 OK\r\n\r\n",
        b"HTTP/1.1 2x0 OK\r\n\r\n",
        b"HTTP/1.1 200 OK\r\nno colon\r\n\r\n",
        b"HTTP/1.1 200 OK\r\nContent-Length: 1\r\nContent-Length: 2\r\n\r\n",
        b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\n",
        b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n1\r\naXX",
    ],
)
def test_bytes_that_are_not_a_framable_response_are_refused(stream: bytes) -> None:
    parser = ResponseParser()
    parser.expect()
    with pytest.raises(ResponseParseError):
        parser.feed(stream)


def test_a_response_that_no_request_asked_for_is_refused() -> None:
    with pytest.raises(ResponseParseError, match="no request"):
        ResponseParser().feed(LENGTH)
