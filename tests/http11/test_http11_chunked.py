"""Chunked transfer coding (RFC 9112 section 7.1): sizes, extensions, data, trailers."""

from __future__ import annotations

import pytest
from http11_support import parse, refusal

from twisted_wsgi_lab.http11 import (
    BodyData,
    EndOfMessage,
    Limits,
    ProtocolError,
    RequestHead,
    RequestParser,
)

HEAD = b"POST /upload HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\n\r\n"
NEXT = b"GET /next HTTP/1.1\r\nHost: a\r\n\r\n"


def body_events(body: bytes, limits: Limits | None = None) -> list[object]:
    events = parse(HEAD + body, limits)
    assert isinstance(events[0], RequestHead)
    return list(events[1:])


def test_chunks_are_decoded_into_body_data() -> None:
    body = b"5\r\nhello\r\n1\r\n \r\nA\r\n0123456789\r\n0\r\n\r\n"
    assert body_events(body) == [BodyData(b"hello 0123456789"), EndOfMessage()]


@pytest.mark.parametrize("size", [b"a", b"A", b"00a", b"0000000000000000000a"])
def test_chunk_sizes_are_hex_in_either_case_with_leading_zeros(size: bytes) -> None:
    body = size + b"\r\n" + b"x" * 10 + b"\r\n0\r\n\r\n"
    assert body_events(body) == [BodyData(b"x" * 10), EndOfMessage()]


def test_a_last_chunk_with_leading_zeros_ends_the_body() -> None:
    assert body_events(b"000\r\n\r\n") == [EndOfMessage()]


@pytest.mark.parametrize(
    "size",
    [b"", b" 5", b"5 ", b"5\t", b"0x5", b"+5", b"-5", b"1_0", b"5.0", b"g", b"\xef\xbc\x95"],
)
def test_a_chunk_size_that_is_not_bare_hex_is_refused_with_400(size: bytes) -> None:
    assert refusal(HEAD + size + b"\r\n") == 400  # at the size line, before any data


@pytest.mark.parametrize(
    "extensions",
    [
        b";name",
        b";name=value",
        b';name="quoted value"',
        b';q="escaped \\" quote; and semicolon"',
        b";a=1;b;c=2",
        b"; a = b ;c",
        b";\ta\t=\tb",
        b" ;name",  # BWS before the first ';' too (RFC 9110 section 5.6.3: remove it)
        b"\t; name = value",
        b';a=""',
    ],
)
def test_valid_chunk_extensions_are_skipped(extensions: bytes) -> None:
    body = b"5" + extensions + b"\r\nhello\r\n0" + extensions + b"\r\n\r\n"
    assert body_events(body) == [BodyData(b"hello"), EndOfMessage()]


@pytest.mark.parametrize(
    "extensions",
    [
        b";",
        b";=value",
        b";name=",
        b';name="unterminated',
        b";name=two words",
        b";name ",  # no BWS after the last extension
        b";name=value\t",
        b" ",
        b";na me",
        b";name=a,b",
        b';name="\x01"',
        b";name=\x80",
        b"junk",
        b";name;",
    ],
)
def test_an_invalid_chunk_extension_is_refused_with_400(extensions: bytes) -> None:
    assert refusal(HEAD + b"5" + extensions + b"\r\n") == 400


def test_a_chunk_line_at_the_limit_is_accepted() -> None:
    line = b"5;name=" + b"v" * 25
    assert len(line) == 32
    body = line + b"\r\nhello\r\n0\r\n\r\n"
    limits = Limits(max_chunk_line_bytes=32)
    assert body_events(body, limits) == [BodyData(b"hello"), EndOfMessage()]


def test_a_chunk_line_over_the_limit_is_refused_with_400() -> None:
    body = b"5;name=" + b"v" * 26 + b"\r\nhello\r\n0\r\n\r\n"
    assert refusal(HEAD + body, Limits(max_chunk_line_bytes=32)) == 400


def test_a_long_chunk_line_is_refused_before_it_ends() -> None:
    parser = RequestParser(Limits(max_chunk_line_bytes=32))
    assert len(parser.feed(HEAD + b"5;name=")) == 1
    with pytest.raises(ProtocolError) as info:
        parser.feed(b"v" * 100)
    assert info.value.status == 400


@pytest.mark.parametrize(
    "body", [b"5\nhello\r\n0\r\n\r\n", b"5;a=b\nhello\r\n0\r\n\r\n", b"5\r\nhello\r\n0\n\r\n"]
)
def test_a_bare_lf_after_a_chunk_size_is_refused_with_400(body: bytes) -> None:
    assert refusal(HEAD + body) == 400


@pytest.mark.parametrize(
    "body",
    [
        pytest.param(b"5\r\nhelloX\r\n0\r\n\r\n", id="extra-data"),
        pytest.param(b"5\r\nhello0\r\n\r\n", id="no-crlf"),
        pytest.param(b"5\r\nhello\n0\r\n\r\n", id="bare-lf"),
        pytest.param(b"5\r\nhello\r0\r\n\r\n", id="bare-cr"),
        pytest.param(b"5\r\nhello\n\r0\r\n\r\n", id="lf-cr"),
        pytest.param(b"6\r\nhello\r\n0\r\n\r\n", id="short-data"),
    ],
)
def test_chunk_data_not_followed_by_crlf_is_refused_with_400(body: bytes) -> None:
    assert refusal(HEAD + body) == 400


def test_trailers_are_parsed_into_end_of_message() -> None:
    body = b"5\r\nhello\r\n0\r\nX-Checksum: abc\r\nServer-Timing:  db;dur=5 \r\n\r\n"
    assert body_events(body) == [
        BodyData(b"hello"),
        EndOfMessage(trailers=((b"x-checksum", b"abc"), (b"server-timing", b"db;dur=5"))),
    ]


@pytest.mark.parametrize(
    "trailer", [b"Content-Length: 3", b"Transfer-Encoding: chunked", b"Content-Length: 99999"]
)
def test_a_framing_field_in_the_trailers_changes_nothing(trailer: bytes) -> None:
    events = parse(HEAD + b"5\r\nhello\r\n0\r\n" + trailer + b"\r\n\r\n" + NEXT)
    name, _, value = trailer.partition(b": ")
    assert events[1:3] == [BodyData(b"hello"), EndOfMessage(trailers=((name.lower(), value),))]
    assert isinstance(events[3], RequestHead)
    assert events[3].path == b"/next"
    assert events[4:] == [EndOfMessage()]


@pytest.mark.parametrize(
    "trailers",
    [
        pytest.param(b"X : v\r\n", id="space-before-colon"),
        pytest.param(b"X: v\r\n folded\r\n", id="obs-fold"),
        pytest.param(b"no colon\r\n", id="missing-colon"),
        pytest.param(b"X: a\x00b\r\n", id="nul"),
        pytest.param(b"X: a\nY: b\r\n", id="bare-lf"),
    ],
)
def test_a_malformed_trailer_is_refused_with_400(trailers: bytes) -> None:
    assert refusal(HEAD + b"0\r\n" + trailers + b"\r\n") == 400


def test_a_bare_cr_after_the_last_chunk_is_refused_with_400() -> None:
    assert refusal(HEAD + b"0\r\n\rX" + b"\r\n" * 10) == 400


def test_a_trailer_section_at_the_limit_is_accepted() -> None:
    trailers = b"X: " + b"v" * 27 + b"\r\nY: z"
    assert len(trailers) == 36
    events = body_events(b"0\r\n" + trailers + b"\r\n\r\n", Limits(max_trailer_bytes=36))
    assert events == [EndOfMessage(trailers=((b"x", b"v" * 27), (b"y", b"z")))]


def test_a_trailer_section_over_the_limit_is_refused_with_431() -> None:
    trailers = b"X: " + b"v" * 28 + b"\r\nY: z"
    assert refusal(HEAD + b"0\r\n" + trailers + b"\r\n\r\n", Limits(max_trailer_bytes=36)) == 431


def test_a_chunked_body_at_max_body_bytes_is_accepted() -> None:
    body = b"5\r\nhello\r\n5\r\nworld\r\n0\r\n\r\n"
    events = body_events(body, Limits(max_body_bytes=10))
    assert events == [BodyData(b"helloworld"), EndOfMessage()]


def test_a_chunk_crossing_max_body_bytes_is_refused_with_413_as_soon_as_its_size_arrives() -> None:
    parser = RequestParser(Limits(max_body_bytes=10))
    assert parser.feed(HEAD + b"5\r\nhello\r\n")[1:] == [BodyData(b"hello")]
    with pytest.raises(ProtocolError) as info:
        parser.feed(b"6\r\n")
    assert info.value.status == 413


@pytest.mark.parametrize("size", [b"b", b"ffffffffffffffff", b"1" + b"0" * 40])
def test_a_chunk_size_over_max_body_bytes_is_refused_with_413(size: bytes) -> None:
    assert refusal(HEAD + size + b"\r\n", Limits(max_body_bytes=10)) == 413
