"""The response writer: framing chosen per RFC 9112 section 6.3, and nothing unsafe sent."""

from __future__ import annotations

import h11
import pytest

from twisted_wsgi_lab.http11 import (
    RequestHead,
    RequestParser,
    ResponseHeaderError,
    ResponseLengthError,
)
from twisted_wsgi_lab.http11.writer import ResponseWriter

DATE = b"Sat, 21 Nov 2026 16:00:00 GMT"


def request_head(method: bytes = b"GET", version: bytes = b"1.1", *fields: bytes) -> RequestHead:
    lines = [method + b" / HTTP/" + version, b"Host: a", *fields]
    head = RequestParser().feed(b"\r\n".join(lines) + b"\r\n\r\n")[0]
    assert isinstance(head, RequestHead)
    return head


def writer_for(method: bytes = b"GET", version: bytes = b"1.1", *fields: bytes) -> ResponseWriter:
    return ResponseWriter(request_head(method, version, *fields), server=b"lab/1")


def start(writer: ResponseWriter, status: int = 200, *headers: tuple[bytes, bytes]) -> bytes:
    return writer.start(status, b"Reason", headers, date=DATE)


def field_lines(head: bytes) -> list[bytes]:
    """The header section without the status line, in order."""
    return head.split(b"\r\n")[1:-2]


def read_with_h11(method: bytes, response: bytes) -> list[object]:
    """What an independent HTTP/1.1 client makes of the bytes, up to the end of the body."""
    client = h11.Connection(h11.CLIENT)
    client.send(h11.Request(method=method, target="/", headers=[("Host", "a")]))
    client.send(h11.EndOfMessage())
    client.receive_data(response)
    client.receive_data(b"")  # then the connection closes, for a close-delimited body
    events: list[object] = []
    while True:
        event = client.next_event()
        assert event is not h11.NEED_DATA
        events.append(event)
        if isinstance(event, h11.EndOfMessage):
            return events


def test_content_length_from_the_app_frames_the_body() -> None:
    writer = writer_for()
    head = start(writer, 200, (b"Content-Type", b"text/plain"), (b"Content-Length", b"5"))
    assert head == (
        b"HTTP/1.1 200 Reason\r\n"
        b"Content-Type: text/plain\r\n"
        b"Content-Length: 5\r\n"
        b"Date: " + DATE + b"\r\n"
        b"Server: lab/1\r\n\r\n"
    )
    assert (writer.body(b"hel"), writer.body(b"lo"), writer.end()) == (b"hel", b"lo", b"")
    assert writer.keep_alive


def test_http_1_1_without_a_length_gets_chunked_framing() -> None:
    writer = writer_for()
    head = start(writer, 200)
    assert b"Transfer-Encoding: chunked" in field_lines(head)
    assert not any(line.lower().startswith(b"content-length") for line in field_lines(head))
    assert writer.body(b"hello") == b"5\r\nhello\r\n"
    assert writer.body(b"x" * 26) == b"1a\r\n" + b"x" * 26 + b"\r\n"
    assert writer.body(b"") == b""  # an empty chunk would end the body early
    assert writer.end() == b"0\r\n\r\n"
    assert writer.keep_alive


def test_http_1_0_without_a_length_is_delimited_by_closing() -> None:
    writer = writer_for(b"GET", b"1.0", b"Connection: keep-alive")
    head = start(writer, 200)
    assert b"Connection: close" in field_lines(head)
    assert not any(b"chunked" in line for line in field_lines(head))
    assert (writer.body(b"hello"), writer.end()) == (b"hello", b"")
    assert not writer.keep_alive


def test_http_1_0_keep_alive_request_with_a_length_gets_connection_keep_alive() -> None:
    writer = writer_for(b"GET", b"1.0", b"Connection: keep-alive")
    head = start(writer, 200, (b"Content-Length", b"2"))
    assert b"Connection: keep-alive" in field_lines(head)
    assert writer.keep_alive


def test_http_1_0_request_without_keep_alive_is_answered_with_connection_close() -> None:
    writer = writer_for(b"GET", b"1.0")
    assert b"Connection: close" in field_lines(start(writer, 200, (b"Content-Length", b"2")))
    assert not writer.keep_alive


def test_http_1_1_request_with_connection_close_is_answered_with_connection_close() -> None:
    writer = writer_for(b"GET", b"1.1", b"Connection: close")
    assert b"Connection: close" in field_lines(start(writer, 200, (b"Content-Length", b"2")))
    assert not writer.keep_alive


@pytest.mark.parametrize(
    ("method", "status"), [(b"HEAD", 200), (b"GET", 204), (b"GET", 304), (b"HEAD", 404)]
)
@pytest.mark.parametrize("length", [None, b"5"])
def test_head_204_and_304_responses_carry_no_body_bytes(
    method: bytes, status: int, length: bytes | None
) -> None:
    writer = writer_for(method)
    headers = [(b"Content-Length", length)] if length else []
    head = start(writer, status, *headers)
    assert not any(b"chunked" in line for line in field_lines(head))
    assert (writer.body(b"hello"), writer.end()) == (b"", b"")
    assert writer.keep_alive


@pytest.mark.parametrize(("method", "status"), [(b"HEAD", 200), (b"GET", 304)])
def test_head_and_304_keep_the_content_length_the_app_gave(method: bytes, status: int) -> None:
    head = start(writer_for(method), status, (b"Content-Length", b"5"))
    assert b"Content-Length: 5" in field_lines(head)


@pytest.mark.parametrize(
    ("method", "status", "known_length"),
    [(b"HEAD", 200, 0), (b"GET", 304, 0), (b"GET", 304, 7), (b"HEAD", 304, 7)],
)
def test_an_empty_or_304_body_is_not_taken_for_the_representation_length(
    method: bytes, status: int, known_length: int
) -> None:
    """A HEAD-aware app sends no body: ``Content-Length: 0`` would be a false claim."""
    head = ResponseWriter(request_head(method), server=b"lab/1").start(
        status, b"Reason", [], date=DATE, known_length=known_length
    )
    assert not any(line.lower().startswith(b"content-length") for line in field_lines(head))


def test_a_body_made_for_head_gives_the_content_length_a_get_would_get() -> None:
    writer = writer_for(b"HEAD")
    head = writer.start(200, b"OK", [], date=DATE, known_length=11)
    assert b"Content-Length: 11" in field_lines(head)
    assert writer.body(b"hello world") == b""


def test_204_never_carries_content_length() -> None:
    head = start(writer_for(), 204, (b"Content-Length", b"5"))
    assert not any(line.lower().startswith(b"content-length") for line in field_lines(head))


@pytest.mark.parametrize("bad", [b"\r", b"\n", b"\x00", b"\r\nSet-Cookie: x=1"])
@pytest.mark.parametrize("where", ["name", "value", "reason"])
def test_cr_lf_or_nul_in_a_name_value_or_reason_raises_response_header_error(
    bad: bytes, where: str
) -> None:
    name, value, reason = b"X-Test", b"ok", b"OK"
    if where == "name":
        name = b"X" + bad
    elif where == "value":
        value = b"a" + bad + b"b"
    else:
        reason = b"OK" + bad
    with pytest.raises(ResponseHeaderError):
        writer_for().start(200, reason, [(name, value)], date=DATE)


@pytest.mark.parametrize("name", [b"", b"X Y", b"X:", b"caf\xc3\xa9"])
def test_a_header_name_that_is_not_a_token_raises_response_header_error(name: bytes) -> None:
    with pytest.raises(ResponseHeaderError):
        start(writer_for(), 200, (name, b"v"))


@pytest.mark.parametrize("status", [99, 100, 101, 199, 600, 1000])
def test_a_status_outside_200_to_599_raises_response_header_error(status: int) -> None:
    with pytest.raises(ResponseHeaderError):
        start(writer_for(), status)


@pytest.mark.parametrize(
    "headers",
    [
        [(b"Content-Length", b"abc")],
        [(b"Content-Length", b"-1")],
        [(b"Content-Length", b"")],
        [(b"Content-Length", b"5"), (b"content-length", b"6")],
    ],
)
def test_an_invalid_or_conflicting_content_length_raises_response_header_error(
    headers: list[tuple[bytes, bytes]],
) -> None:
    with pytest.raises(ResponseHeaderError):
        start(writer_for(), 200, *headers)


def test_a_repeated_identical_content_length_is_sent_once() -> None:
    head = start(writer_for(), 200, (b"Content-Length", b"5"), (b"content-length", b" 5 "))
    assert [line for line in field_lines(head) if b"ength" in line] == [b"Content-Length: 5"]


@pytest.mark.parametrize(
    "name",
    [b"Connection", b"Keep-Alive", b"Transfer-Encoding", b"Proxy-Connection", b"Upgrade", b"TE"],
)
def test_hop_by_hop_headers_from_the_app_are_dropped(name: bytes) -> None:
    writer = writer_for()
    headers = ((name, b"keep-alive"), (name.upper(), b"x"), (b"Content-Length", b"0"))
    lines = field_lines(start(writer, 200, *headers))
    assert [line.partition(b":")[0] for line in lines] == [b"Content-Length", b"Date", b"Server"]
    assert writer.keep_alive


@pytest.mark.parametrize("value", [b"close", b"Close", b"x-trace, CLOSE"])
def test_connection_close_from_the_app_is_honoured(value: bytes) -> None:
    writer = writer_for()
    head = start(writer, 200, (b"Connection", value), (b"Content-Length", b"0"))
    assert field_lines(head).count(b"Connection: close") == 1
    assert not writer.keep_alive


@pytest.mark.parametrize("value", [b"closed", b"x-close", b"keep-alive"])
def test_connection_without_the_close_token_from_the_app_keeps_the_connection(
    value: bytes,
) -> None:
    writer = writer_for()
    start(writer, 200, (b"Content-Length", b"0"), (b"Connection", value))
    assert writer.keep_alive


def test_writing_more_than_content_length_raises_response_length_error() -> None:
    writer = writer_for()
    start(writer, 200, (b"Content-Length", b"5"))
    assert writer.body(b"hell") == b"hell"
    with pytest.raises(ResponseLengthError):
        writer.body(b"o!")
    assert writer.body(b"o") == b"o"


def test_a_body_shorter_than_content_length_makes_the_connection_close_at_the_end() -> None:
    writer = writer_for()
    start(writer, 200, (b"Content-Length", b"5"))
    writer.body(b"hel")
    assert writer.keep_alive
    assert writer.end() == b""
    assert not writer.keep_alive


def test_date_and_server_are_added_when_the_app_gives_neither() -> None:
    lines = field_lines(start(writer_for(), 200, (b"Content-Length", b"0")))
    assert lines[-2:] == [b"Date: " + DATE, b"Server: lab/1"]


def test_date_and_server_from_the_app_are_kept_and_not_repeated() -> None:
    app_date = b"Sun, 06 Nov 1994 08:49:37 GMT"
    headers = ((b"date", app_date), (b"SERVER", b"app/2"), (b"Content-Length", b"0"))
    lines = field_lines(start(writer_for(), 200, *headers))
    assert [line for line in lines if line.lower().startswith((b"date", b"server"))] == [
        b"date: " + app_date,
        b"SERVER: app/2",
    ]


def test_started_is_true_only_after_start() -> None:
    writer = writer_for()
    assert not writer.started
    start(writer, 200)
    assert writer.started


@pytest.mark.parametrize(
    ("method", "status", "headers", "body"),
    [
        (b"GET", 200, [(b"Content-Length", b"11")], [b"hello", b" world"]),
        (b"GET", 200, [], [b"hello", b"", b" world"]),
        (b"HEAD", 200, [(b"Content-Length", b"11")], [b"ignored"]),
        (b"HEAD", 200, [], [b"ignored"]),
        (b"GET", 204, [], [b"ignored"]),
        (b"GET", 304, [(b"Content-Length", b"11")], [b"ignored"]),
    ],
)
def test_an_independent_client_reads_exactly_the_body_that_was_written(
    method: bytes, status: int, headers: list[tuple[bytes, bytes]], body: list[bytes]
) -> None:
    writer = writer_for(method)
    wire = start(writer, status, *headers) + b"".join(map(writer.body, body)) + writer.end()
    events = read_with_h11(method, wire)
    assert isinstance(events[0], h11.Response)
    assert events[0].status_code == status
    received = b"".join(bytes(event.data) for event in events if isinstance(event, h11.Data))
    sent = b"hello world" if method == b"GET" and status == 200 else b""
    assert received == sent


def test_a_body_is_checked_against_content_length_before_any_of_it_is_framed() -> None:
    writer = writer_for()
    start(writer, 200, (b"Content-Length", b"10"))
    writer.check_length(10)  # fits exactly
    with pytest.raises(ResponseLengthError):
        writer.check_length(11)
    assert writer.body(b"12345") == b"12345"  # nothing was used up by the checks
    with pytest.raises(ResponseLengthError):
        writer.check_length(6)
