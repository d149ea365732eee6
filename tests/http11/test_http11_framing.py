"""Message framing and connection fields: Content-Length, Transfer-Encoding, Expect,
Connection (RFC 9112 sections 6 and 9, RFC 9110 section 10.1.1)."""

from __future__ import annotations

import pytest
from http11_support import parse, refusal

from twisted_wsgi_lab.http11 import BodyData, EndOfMessage, Limits, RequestHead


def request(*fields: bytes, version: bytes = b"1.1", body: bytes = b"") -> bytes:
    line = b"POST / HTTP/" + version
    return b"\r\n".join([line, b"Host: a", *fields]) + b"\r\n\r\n" + body


def head_of(data: bytes, limits: Limits | None = None) -> RequestHead:
    head = parse(data, limits)[0]
    assert isinstance(head, RequestHead)
    return head


def test_content_length_frames_the_body() -> None:
    events = parse(request(b"Content-Length: 5", body=b"hello"))
    assert events[1:] == [BodyData(b"hello"), EndOfMessage()]
    assert isinstance(events[0], RequestHead)
    assert (events[0].content_length, events[0].chunked, events[0].has_body) == (5, False, True)


def test_a_request_without_length_or_chunked_has_no_body() -> None:
    events = parse(request())
    assert isinstance(events[0], RequestHead)
    assert (events[0].content_length, events[0].has_body) == (None, False)
    assert events[1:] == [EndOfMessage()]


def test_a_zero_content_length_gives_end_of_message_at_once() -> None:
    events = parse(request(b"Content-Length: 0"))
    assert isinstance(events[0], RequestHead)
    assert (events[0].content_length, events[0].has_body) == (0, False)
    assert events[1:] == [EndOfMessage()]


def test_leading_zeros_in_content_length_are_allowed() -> None:
    assert head_of(request(b"Content-Length: 007", body=b"1234567")).content_length == 7


@pytest.mark.parametrize(
    "value", [b"+5", b"-1", b"0x5", b" 5 5", b"5a", b"5.0", b"", b"5,", b"\xd9\xa5", b"\xb2"]
)
def test_a_content_length_that_is_not_digits_is_refused_with_400(value: bytes) -> None:
    assert refusal(request(b"Content-Length: " + value, body=b"hello")) == 400


@pytest.mark.parametrize(
    "fields",
    [(b"Content-Length: 5", b"Content-Length: 5"), (b"Content-Length: 5, 5",)],
    ids=["two-lines", "one-list"],
)
def test_identical_duplicate_content_lengths_are_accepted(fields: tuple[bytes, ...]) -> None:
    assert head_of(request(*fields, body=b"hello")).content_length == 5


@pytest.mark.parametrize(
    "fields",
    [(b"Content-Length: 5", b"Content-Length: 6"), (b"Content-Length: 5, 6",)],
    ids=["two-lines", "one-list"],
)
def test_differing_content_lengths_are_refused_with_400(fields: tuple[bytes, ...]) -> None:
    assert refusal(request(*fields, body=b"hello!")) == 400


def test_a_content_length_at_max_body_bytes_is_accepted() -> None:
    limits = Limits(max_body_bytes=5)
    assert head_of(request(b"Content-Length: 5", body=b"hello"), limits).content_length == 5


@pytest.mark.parametrize("value", [b"6", b"99999999999999999999999999"])
def test_a_content_length_over_max_body_bytes_is_refused_with_413(value: bytes) -> None:
    assert refusal(request(b"Content-Length: " + value), Limits(max_body_bytes=5)) == 413


@pytest.mark.parametrize("value", [b"chunked", b"Chunked", b"CHUNKED", b" chunked "])
def test_chunked_is_recognised_whatever_its_case(value: bytes) -> None:
    events = parse(request(b"Transfer-Encoding: " + value, body=b"5\r\nhello\r\n0\r\n\r\n"))
    assert isinstance(events[0], RequestHead)
    assert (events[0].chunked, events[0].content_length) == (True, None)
    assert events[1:] == [BodyData(b"hello"), EndOfMessage()]


@pytest.mark.parametrize("value", [b"gzip, chunked", b"deflate, chunked", b"x-custom,chunked"])
def test_a_coding_before_chunked_is_refused_with_501(value: bytes) -> None:
    assert refusal(request(b"Transfer-Encoding: " + value, body=b"0\r\n\r\n")) == 501


def test_a_coding_before_chunked_on_its_own_line_is_refused_with_501() -> None:
    fields = (b"Transfer-Encoding: gzip", b"Transfer-Encoding: chunked")
    assert refusal(request(*fields, body=b"0\r\n\r\n")) == 501


@pytest.mark.parametrize("value", [b"chunked, gzip", b"identity", b"gzip", b"", b","])
def test_transfer_encoding_without_a_final_chunked_is_refused_with_400(value: bytes) -> None:
    assert refusal(request(b"Transfer-Encoding: " + value, body=b"0\r\n\r\n")) == 400


@pytest.mark.parametrize(
    "fields",
    [(b"Transfer-Encoding: chunked, chunked",), (b"Transfer-Encoding: chunked",) * 2],
    ids=["one-list", "two-lines"],
)
def test_chunked_applied_twice_is_refused_with_400(fields: tuple[bytes, ...]) -> None:
    assert refusal(request(*fields, body=b"0\r\n\r\n")) == 400


@pytest.mark.parametrize(
    "fields",
    [
        (b"Content-Length: 5", b"Transfer-Encoding: chunked"),
        (b"Transfer-Encoding: chunked", b"Content-Length: 0"),
    ],
)
def test_content_length_together_with_transfer_encoding_is_refused_with_400(
    fields: tuple[bytes, ...],
) -> None:
    assert refusal(request(*fields, body=b"0\r\n\r\nhello")) == 400


def test_chunked_on_http_1_0_is_decoded_but_the_connection_closes_after_it() -> None:
    fields = (b"Transfer-Encoding: chunked", b"Connection: keep-alive")
    events = parse(request(*fields, version=b"1.0", body=b"5\r\nhello\r\n0\r\n\r\n"))
    assert isinstance(events[0], RequestHead)
    assert (events[0].chunked, events[0].keep_alive) == (True, False)
    assert events[1:] == [BodyData(b"hello"), EndOfMessage()]


@pytest.mark.parametrize("value", [b"100-continue", b"100-Continue", b" 100-CONTINUE "])
def test_expect_100_continue_is_flagged_on_http_1_1(value: bytes) -> None:
    head = head_of(request(b"Content-Length: 2", b"Expect: " + value, body=b"hi"))
    assert head.expects_continue


def test_a_request_without_expect_does_not_expect_continue() -> None:
    assert not head_of(request()).expects_continue


@pytest.mark.parametrize("value", [b"100-continue", b"something-else"])
def test_expect_is_ignored_on_http_1_0(value: bytes) -> None:
    fields = (b"Content-Length: 2", b"Expect: " + value)
    assert not head_of(request(*fields, version=b"1.0", body=b"hi")).expects_continue


@pytest.mark.parametrize(
    "fields",
    [
        (b"Expect: something-else",),
        (b"Expect: 100-continue, foo",),
        (b"Expect: 100-continue=1",),
    ],
)
def test_any_other_expectation_is_refused_with_417(fields: tuple[bytes, ...]) -> None:
    assert refusal(request(*fields)) == 417


@pytest.mark.parametrize(
    ("fields", "expects"),
    [
        ((b"Expect: 100-continue", b"Expect: 100-continue"), True),
        ((b"Expect: 100-continue, 100-continue",), True),
        ((b"Expect:",), False),
        ((b"Expect: ,",), False),
    ],
)
def test_empty_or_repeated_100_continue_members_are_not_other_expectations(
    fields: tuple[bytes, ...], expects: bool
) -> None:
    # RFC 9110 section 10.1.1: 417 is for "a member other than 100-continue" only.
    assert head_of(request(*fields)).expects_continue is expects


@pytest.mark.parametrize(
    ("version", "fields", "keep_alive"),
    [
        (b"1.1", (), True),
        (b"1.1", (b"Connection: close",), False),
        (b"1.1", (b"Connection: CLOSE",), False),
        (b"1.1", (b"Connection: Keep-Alive, CLOSE",), False),
        (b"1.1", (b"Connection: x-trace", b"Connection: close"), False),
        (b"1.1", (b"Connection: keep-alive",), True),
        (b"1.1", (b"Connection: closed",), True),
        (b"1.0", (), False),
        (b"1.0", (b"Connection: keep-alive",), True),
        (b"1.0", (b"Connection: Keep-Alive",), True),
        (b"1.0", (b"Connection: keep-alive, close",), False),
        (b"1.0", (b"Keep-Alive: timeout=5",), False),
    ],
)
def test_keep_alive_follows_the_version_and_the_connection_tokens(
    version: bytes, fields: tuple[bytes, ...], keep_alive: bool
) -> None:
    assert head_of(request(*fields, version=version)).keep_alive is keep_alive
