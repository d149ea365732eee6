"""One regression test per published advisory of another Python HTTP/1.1 server.

Each test replays the attack of one advisory (twisted.web, waitress, gunicorn, tornado)
as raw bytes written for labweb. Unlike some proofs of concept, every HTTP/1.1 request
here carries the Host field RFC 9112 section 3.2 requires, so a refusal is always for
the reason the advisory is about. Each test checks what a user would see through the
protocol and a WSGI app (the status, the close, which requests reached the app, the
order of responses) and, for the parsing advisories, the parser's verdict as well, fed
whole and byte by byte.
"""

from __future__ import annotations

from collections import deque
from collections.abc import Callable, Iterable
from functools import partial
from itertools import pairwise
from typing import Any
from wsgiref.validate import validator

import pytest
from twisted.internet.task import Clock
from twisted.internet.testing import StringTransport

from twisted_wsgi_lab.engine import HTTPFactory, HTTPProtocol
from twisted_wsgi_lab.http11 import (
    BodyData,
    EndOfMessage,
    Event,
    ProtocolError,
    RequestHead,
    RequestParser,
)
from twisted_wsgi_lab.testing import connect, parse_responses
from twisted_wsgi_lab.wsgi import WSGIBridge

HOST = b"Host: example.test"
SMUGGLED = b"GET /smuggled HTTP/1.1\r\n" + HOST + b"\r\n\r\n"


# -- building requests --------------------------------------------------------------


def post(*fields: bytes, body: bytes = b"", target: bytes = b"/") -> bytes:
    """A POST with a Host field, then ``fields`` (each without its CRLF), then ``body``."""
    lines = [b"POST " + target + b" HTTP/1.1", HOST, *fields]
    return b"".join(line + b"\r\n" for line in lines) + b"\r\n" + body


def get(target: bytes) -> bytes:
    return b"GET " + target + b" HTTP/1.1\r\n" + HOST + b"\r\n\r\n"


def chunk(data: bytes) -> bytes:
    return b"%x\r\n%s\r\n" % (len(data), data)


LAST_CHUNK = b"0\r\n\r\n"
# TE.CL: a reader honouring Content-Length takes the chunk-size line as the whole body
# and reads SMUGGLED as the next request; a reader honouring chunked sees one request.
SIZE_LINE = b"%x\r\n" % len(SMUGGLED)
TE_CL_BODY = SIZE_LINE + SMUGGLED + b"\r\n" + LAST_CHUNK
TE_CL_LENGTH = b"Content-Length: %d" % len(SIZE_LINE)
# CL.TE: a reader honouring chunked stops at the last chunk and reads SMUGGLED next; a
# reader honouring Content-Length sees one request whose body holds both.
CL_TE_BODY = LAST_CHUNK + SMUGGLED
CL_TE_LENGTH = b"Content-Length: %d" % len(CL_TE_BODY)


def byte_by_byte(data: bytes) -> list[bytes]:
    return [data[index : index + 1] for index in range(len(data))]


def cut(data: bytes, *offsets: int) -> list[bytes]:
    """``data`` in pieces, as several TCP segments would bring it."""
    bounds = [0, *offsets, len(data)]
    return [data[start:end] for start, end in pairwise(bounds)]


# -- the parser alone ---------------------------------------------------------------


def refusal_status(data: bytes) -> int:
    """The status the parser refuses ``data`` with, the same fed whole or byte by byte."""
    statuses = []
    for pieces in ([data], byte_by_byte(data)):
        parser = RequestParser()
        with pytest.raises(ProtocolError) as info:
            for piece in pieces:
                parser.feed(piece)
        statuses.append(info.value.status)
    assert statuses[0] == statuses[1], f"whole gave {statuses[0]}, bytewise {statuses[1]}"
    return statuses[0]


def parsed(data: bytes) -> list[Event]:
    """The events of an accepted stream (body pieces joined), the same fed either way."""
    readings = []
    for pieces in ([data], byte_by_byte(data)):
        parser = RequestParser()
        events: list[Event] = []
        for event in (event for piece in pieces for event in parser.feed(piece)):
            if type(event) is BodyData and events and type(events[-1]) is BodyData:
                events[-1] = BodyData(events[-1].data + event.data)  # type: ignore[union-attr]
            else:
                events.append(event)
        readings.append(events)
    assert readings[0] == readings[1]
    return readings[0]


# -- the protocol with a WSGI app ---------------------------------------------------


class Recorder:
    """A WSGI app answering "METHOD /path" that records every request it is given."""

    def __init__(self, *, read_body: bool = True) -> None:
        self.read_body = read_body  # not in thread mode: the test thread would block
        self.seen: list[tuple[str, str, bytes]] = []

    @property
    def paths(self) -> list[str]:
        return [path for _, path, _ in self.seen]

    def __call__(
        self, environ: dict[str, Any], start_response: Callable[..., Any]
    ) -> Iterable[bytes]:
        length = int(environ.get("CONTENT_LENGTH") or 0)
        body = environ["wsgi.input"].read(length) if self.read_body and length else b""
        method, path = environ["REQUEST_METHOD"], environ["PATH_INFO"]
        self.seen.append((method, path, body))
        answer = f"{method} {path}".encode("latin-1")
        start_response(
            "200 OK", [("Content-Type", "text/plain"), ("Content-Length", str(len(answer)))]
        )
        return [answer]


class HeldPool:
    """A thread pool stand-in that runs an app call only when the test says so.

    It plays the slow backend of the pipelining advisories: the response to a request
    is produced late, while the requests behind it have already arrived.
    """

    def __init__(self) -> None:
        self.pending: deque[Callable[[], object]] = deque()

    def callInThread(self, function: Callable[..., object], *args: Any, **kwargs: Any) -> None:
        self.pending.append(partial(function, *args, **kwargs))

    def answer_next(self) -> None:
        self.pending.popleft()()

    def answer_all(self) -> None:
        while self.pending:
            self.answer_next()


class InlineReactor:
    """What a pool thread hands back to the reactor runs at once: one thread here."""

    def callFromThread(self, function: Callable[..., object], *args: Any, **kwargs: Any) -> None:
        function(*args, **kwargs)


def serve(app: Recorder, *, pool: HeldPool | None = None) -> tuple[HTTPProtocol, StringTransport]:
    """``app`` behind the WSGI bridge (threads mode when a pool is given), on a Clock."""
    reactor = InlineReactor() if pool is not None else None
    bridge = WSGIBridge(validator(app), threadpool=pool, reactor=reactor)
    return connect(HTTPFactory(bridge, clock=Clock()))


def assert_refused(transport: StringTransport, app: Recorder, status: int) -> None:
    """One error response with ``status`` that closes, and no request reached the app."""
    [response] = parse_responses(transport.value())
    assert response.status == status
    assert response.header(b"connection") == b"close"
    assert transport.disconnecting
    assert app.seen == []


def assert_refused_everywhere(data: bytes, status: int) -> None:
    """The parser refuses ``data`` with ``status``; so does the server, app untouched."""
    assert refusal_status(data) == status
    app = Recorder()
    protocol, transport = serve(app)
    protocol.dataReceived(data)
    assert_refused(transport, app, status)


def assert_served_once(data: bytes, body: bytes) -> None:
    """``data`` is one POST whose body is ``body``, for the parser and for the app."""
    head, *rest = parsed(data)
    assert type(head) is RequestHead
    assert rest == [BodyData(body), EndOfMessage()]
    app = Recorder()
    protocol, transport = serve(app)
    protocol.dataReceived(data)
    [response] = parse_responses(transport.value())
    assert (response.status, response.body) == (200, b"POST /")
    assert app.seen == [("POST", "/", body)]
    assert not transport.disconnecting


# -- twisted.web --------------------------------------------------------------------


@pytest.mark.parametrize(
    "data",
    [
        pytest.param(
            post(b"Content-Length: %d" % len(SMUGGLED), b"Content-Length: 0", body=SMUGGLED),
            id="second-is-zero",
        ),
        pytest.param(
            post(b"Content-Length: 0", b"Content-Length: %d" % len(SMUGGLED), body=SMUGGLED),
            id="first-is-zero",
        ),
        pytest.param(
            post(b"Content-Length: %d, 0" % len(SMUGGLED), body=SMUGGLED), id="one-line-list"
        ),
    ],
)
def test_cve_2020_10108_conflicting_content_lengths_are_refused(data: bytes) -> None:
    """twisted.web kept only the last of two Content-Length fields, so a body behind a
    ``Content-Length: 0`` was read as a second, smuggled request. labweb must answer 400
    and close without choosing a length (RFC 9112 section 6.3).
    """
    assert_refused_everywhere(data, 400)


@pytest.mark.parametrize(
    "fields",
    [
        pytest.param((TE_CL_LENGTH, b"Transfer-Encoding: chunked"), id="length-first"),
        pytest.param((b"Transfer-Encoding: chunked", TE_CL_LENGTH), id="chunked-first"),
    ],
)
def test_cve_2020_10109_content_length_with_chunked_is_refused(fields: tuple[bytes, ...]) -> None:
    """twisted.web let Content-Length win over ``Transfer-Encoding: chunked``, so the
    chunk data was parsed as a pipelined request. labweb must refuse a request carrying
    both with 400 and close (RFC 9112 section 6.3 allows rejecting it, and then closing).
    """
    assert_refused_everywhere(post(*fields, body=TE_CL_BODY), 400)


@pytest.mark.parametrize(
    "data",
    [
        pytest.param(
            post(b"Content-Length: +%d" % len(SMUGGLED), body=SMUGGLED), id="length-plus-sign"
        ),
        pytest.param(post(b"Content-Length: -0", body=SMUGGLED), id="length-minus-sign"),
        pytest.param(
            post(b"Content-Length: \x0c%d" % len(SMUGGLED), body=SMUGGLED),
            id="length-form-feed",
        ),
        pytest.param(
            post(b"Transfer-Encoding: chunked", body=b"5;\n\r\nhello\r\n" + LAST_CHUNK),
            id="lf-in-chunk-extension",
        ),
        pytest.param(
            post(b"Transfer-Encoding: chunked", body=b"0x5\r\nhello\r\n" + LAST_CHUNK),
            id="0x-chunk-size",
        ),
    ],
)
def test_cve_2022_24801_lenient_lengths_and_whitespace_are_refused(data: bytes) -> None:
    """twisted.web accepted a signed Content-Length, a ``0x`` chunk size, a LF inside a
    chunk extension and any ASCII whitespace around field values, all readings another
    parser may not share. labweb must refuse each with 400 and close, the app untouched.
    """
    assert_refused_everywhere(data, 400)


FIRST_THEN_SECOND = get(b"/first") + get(b"/second")


@pytest.mark.parametrize(
    "pieces",
    [
        pytest.param([FIRST_THEN_SECOND], id="one-segment"),
        pytest.param(cut(FIRST_THEN_SECOND, len(get(b"/first"))), id="two-segments"),
        pytest.param(byte_by_byte(FIRST_THEN_SECOND), id="byte-by-byte"),
    ],
)
def test_cve_2023_46137_a_slow_first_response_is_not_overtaken(pieces: list[bytes]) -> None:
    """twisted.web answered pipelined requests as they completed, so a fast second
    response could overtake a slow first one. labweb must send responses in request
    order (RFC 9112 section 9.3.2), whatever the app's speed or how the bytes arrive.
    """
    app, pool = Recorder(read_body=False), HeldPool()
    protocol, transport = serve(app, pool=pool)
    for piece in pieces:
        protocol.dataReceived(piece)
    assert len(pool.pending) == 1  # only the first request is with the app
    assert transport.value() == b""
    pool.answer_next()
    assert [r.body for r in parse_responses(transport.value())] == [b"GET /first"]
    pool.answer_all()
    responses = parse_responses(transport.value())
    assert [r.body for r in responses] == [b"GET /first", b"GET /second"]
    assert app.paths == ["/first", "/second"]
    assert not transport.disconnecting


# The advisory's proof of concept, with the Host field HTTP/1.1 requires: a chunked
# POST and a second POST in one segment, then a GET a second later.
POC_41671 = (
    post(b"Transfer-Encoding: chunked", body=LAST_CHUNK, target=b"/1")
    + post(b"Content-Length: 0", target=b"/2"),
    get(b"/3"),
)


@pytest.mark.parametrize("slow_app", [False, True], ids=["prompt-app", "slow-app"])
@pytest.mark.parametrize(
    "pieces",
    [
        pytest.param(list(POC_41671), id="as-in-the-advisory"),
        pytest.param(
            cut(b"".join(POC_41671), POC_41671[0].index(LAST_CHUNK) + 2), id="cut-in-the-body"
        ),
        pytest.param(byte_by_byte(b"".join(POC_41671)), id="byte-by-byte"),
    ],
)
def test_cve_2024_41671_pipelined_requests_are_answered_in_order(
    pieces: list[bytes], slow_app: bool
) -> None:
    """twisted.web could answer a later pipelined request before an earlier one when a
    chunked request was followed by more requests arriving in separate segments. labweb
    must answer each request once, in request order, however the bytes are cut.
    """
    app = Recorder(read_body=not slow_app)
    pool = HeldPool() if slow_app else None
    protocol, transport = serve(app, pool=pool)
    for piece in pieces:
        protocol.dataReceived(piece)
        if pool is not None and pool.pending:
            pool.answer_next()  # the backend answers one request per segment received
    if pool is not None:
        pool.answer_all()
    responses = parse_responses(transport.value())
    assert [(r.status, r.body) for r in responses] == [
        (200, b"POST /1"),
        (200, b"POST /2"),
        (200, b"GET /3"),
    ]
    assert app.paths == ["/1", "/2", "/3"]
    assert not transport.disconnecting


# -- waitress -----------------------------------------------------------------------


@pytest.mark.parametrize(
    "data",
    [
        pytest.param(
            b"POST / HTTP/1.1\r\n"
            + HOST
            + b"\r\nContent-Length: %d\r\n" % len(SMUGGLED)
            # the advisory's example: a bare LF hides a second Content-Length
            + b"X-Header: x\nContent-Length: 0\r\n\r\n"
            + SMUGGLED,
            id="lf-inside-a-field-line",
        ),
        pytest.param(
            b"POST / HTTP/1.1\n" + HOST + b"\nContent-Length: 0\n\n" + SMUGGLED,
            id="lf-only-head",
        ),
        pytest.param(
            b"POST / HTTP/1.1\r\n" + HOST + b"\r\nX-Header: x\rContent-Length: 0\r\n\r\n",
            id="bare-cr-in-a-field-line",
        ),
        pytest.param(
            post(b"Transfer-Encoding: chunked", body=b"5\nhello\n0\n\n"), id="lf-in-chunked"
        ),
        pytest.param(
            post(b"Transfer-Encoding: chunked", body=b"5\r\nhello\n" + LAST_CHUNK),
            id="lf-after-chunk-data",
        ),
    ],
)
def test_cve_2019_16785_bare_lf_is_not_a_line_ending(data: bytes) -> None:
    """waitress accepted a bare LF as a line ending, so a field hidden behind one was
    seen by waitress and not by a front end. labweb must accept only CRLF and refuse a
    bare LF or CR in the head or the chunked framing with 400 and close.
    """
    assert_refused_everywhere(data, 400)


@pytest.mark.parametrize(
    ("fields", "status"),
    [
        pytest.param((b"Transfer-Encoding: gzip, chunked",), 501, id="gzip-chunked"),
        pytest.param((b"Transfer-Encoding: identity, chunked",), 501, id="identity-chunked"),
        pytest.param(
            (b"Transfer-Encoding: gzip", b"Transfer-Encoding: chunked"), 501, id="two-lines"
        ),
        pytest.param((b"Transfer-Encoding: gzip,", b" chunked"), 400, id="folded"),
        pytest.param((b"Transfer-Encoding: gzip",), 400, id="no-final-chunked"),
    ],
)
def test_cve_2019_16786_a_transfer_coding_list_never_falls_back_to_length(
    fields: tuple[bytes, ...], status: int
) -> None:
    """waitress read Transfer-Encoding only as the single value ``chunked`` and otherwise
    framed the body by Content-Length, splitting one request into two. labweb must never
    fall back to Content-Length: unknown codings get 501, a list without a final chunked
    or a folded line 400, and the connection closes.
    """
    assert_refused_everywhere(post(CL_TE_LENGTH, *fields, body=CL_TE_BODY), status)


@pytest.mark.parametrize(
    "value",
    [
        pytest.param(b"\x0bchunked", id="vertical-tab"),
        pytest.param(b"\x0cchunked", id="form-feed"),
        pytest.param(b"chunked\x0b", id="trailing-vertical-tab"),
        pytest.param(b"\x00chunked", id="nul"),
    ],
)
def test_cve_2019_16789_control_whitespace_in_transfer_encoding_is_refused(value: bytes) -> None:
    """waitress stripped a vertical tab from ``Transfer-Encoding: \\x0bchunked`` and
    framed by chunked, while a front end saw an invalid field and used Content-Length.
    labweb must refuse control characters in a field value with 400 and close.
    """
    data = post(TE_CL_LENGTH, b"Transfer-Encoding: " + value, body=TE_CL_BODY)
    assert_refused_everywhere(data, 400)


def test_cve_2019_16792_a_repeated_content_length_still_frames_the_body() -> None:
    """waitress folded two ``Content-Length`` fields into "N, N", failed to read it and
    took the body for a new request. labweb must read identical repeats as one length
    (RFC 9110 section 8.6) so the body stays a body, and refuse differing ones with 400.
    """
    length = b"Content-Length: %d" % len(SMUGGLED)
    assert_served_once(post(length, length, body=SMUGGLED), body=SMUGGLED)
    assert_refused_everywhere(post(length, b"Content-Length: 0", body=SMUGGLED), 400)


@pytest.mark.parametrize(
    "data",
    [
        pytest.param(
            post(b"Content-Length: +%d" % len(SMUGGLED), body=SMUGGLED), id="length-plus-sign"
        ),
        pytest.param(
            post(b"Transfer-Encoding: chunked", body=b"0x01\r\nA\r\n" + LAST_CHUNK),
            id="0x-chunk-size",
        ),
        pytest.param(
            post(b"Transfer-Encoding: chunked", body=b"+01\r\nA\r\n" + LAST_CHUNK),
            id="signed-chunk-size",
        ),
        pytest.param(
            post(b"Transfer-Encoding: chunked", body=b"1;\x00\r\nA\r\n" + LAST_CHUNK),
            id="nul-in-chunk-extension",
        ),
        pytest.param(
            post(b"Transfer-Encoding: chunked", body=b"1;ext=a b\r\nA\r\n" + LAST_CHUNK),
            id="space-in-extension-value",
        ),
    ],
)
def test_cve_2022_24761_lengths_are_digits_and_extensions_are_checked(data: bytes) -> None:
    """waitress parsed lengths with ``int()``, taking "+10" and "0x01", and skipped chunk
    extensions without checking them. labweb must accept only digits (hex digits for a
    chunk size) and extensions that match the grammar, and refuse the rest with 400.
    """
    assert_refused_everywhere(data, 400)


# Waitress reads 8192 bytes per recv(): the advisory's invalid first request fills one
# read exactly and the request to smuggle comes in the next.
_PAD = b"X-Pad: "
_BAD_TAIL = b"\r\nBad Header: x\r\n\r\n"
_BAD_START = b"GET /bad HTTP/1.1\r\n" + HOST + b"\r\n"
INVALID_8192 = _BAD_START + _PAD + b"a" * (8192 - len(_BAD_START + _PAD + _BAD_TAIL)) + _BAD_TAIL


@pytest.mark.parametrize("slow_first", [False, True], ids=["invalid-first", "slow-valid-first"])
@pytest.mark.parametrize("cutting", ["one-segment", "at-8192", "byte-by-byte"])
def test_cve_2024_49768_nothing_after_an_invalid_request_is_served(
    cutting: str, slow_first: bool
) -> None:
    """waitress could still hand a pipelined request to the app after the request before
    it had failed to parse and the connection was closing. labweb must answer the
    requests before the invalid one, in order, then 400 and close, serving nothing after.
    """
    before = get(b"/first") if slow_first else b""
    stream = before + INVALID_8192 + SMUGGLED
    pieces = {
        "one-segment": [stream],
        "at-8192": cut(stream, len(before + INVALID_8192)),
        "byte-by-byte": byte_by_byte(stream),
    }[cutting]
    assert len(INVALID_8192) == 8192
    assert refusal_status(INVALID_8192 + SMUGGLED) == 400
    app, pool = Recorder(read_body=False), HeldPool()
    protocol, transport = serve(app, pool=pool)
    for piece in pieces:
        protocol.dataReceived(piece)
    if slow_first:
        assert transport.value() == b""  # the error waits behind the pending response
        pool.answer_all()
    responses = parse_responses(transport.value())
    expected = [(200, b"GET /first")] if slow_first else []
    assert [(r.status, r.body) for r in responses[:-1]] == expected
    assert responses[-1].status == 400
    assert responses[-1].header(b"connection") == b"close"
    assert transport.disconnecting
    assert app.paths == (["/first"] if slow_first else [])
    assert not pool.pending


# -- gunicorn -----------------------------------------------------------------------


@pytest.mark.parametrize(
    "fields",
    [
        pytest.param(
            (b"Transfer-Encoding: chunked", b"Transfer-Encoding: identity"), id="identity"
        ),
        pytest.param((b"Transfer-Encoding: chunked", b"Transfer-Encoding: gzip"), id="gzip"),
        pytest.param((b"Transfer-Encoding: chunked, identity",), id="one-line"),
    ],
)
@pytest.mark.parametrize("with_length", [True, False], ids=["with-length", "without-length"])
def test_cve_2024_1135_chunked_must_be_the_final_coding(
    fields: tuple[bytes, ...], with_length: bool
) -> None:
    """gunicorn took a request as chunked when any Transfer-Encoding line said chunked,
    whatever coding came last, while a front end framed it otherwise. labweb must refuse
    a request whose final coding is not chunked with 400 and close (RFC 9112 section 6.3).
    """
    length = (CL_TE_LENGTH,) if with_length else ()
    assert_refused_everywhere(post(*length, *fields, body=CL_TE_BODY), 400)


@pytest.mark.parametrize(
    "value",
    [
        pytest.param(b"Chunked", id="upper-case"),
        pytest.param(b",chunked", id="empty-list-element"),
        pytest.param(b"chunked ", id="trailing-space"),
    ],
)
def test_cve_2024_6827_transfer_encoding_is_never_ignored_for_content_length(
    value: bytes,
) -> None:
    """gunicorn took only the exact string ``chunked`` as chunked and framed any other
    Transfer-Encoding value by Content-Length (TE.CL smuggling). labweb must read the
    value as a case-insensitive list, refuse it beside Content-Length (400, then close)
    and, alone, frame the body as chunked so the chunk data stays a body.
    """
    field = b"Transfer-Encoding: " + value
    assert_refused_everywhere(post(TE_CL_LENGTH, field, body=TE_CL_BODY), 400)
    assert_served_once(post(field, body=TE_CL_BODY), body=SMUGGLED)


# -- tornado ------------------------------------------------------------------------


@pytest.mark.parametrize(
    "fields",
    [
        pytest.param(
            (b"Transfer-Encoding: chunked", b"Transfer-Encoding: chunked"), id="two-lines"
        ),
        pytest.param((b"Transfer-Encoding: chunked, chunked",), id="one-line"),
    ],
)
def test_ghsa_753j_mpmx_qq6g_chunked_twice_is_refused(fields: tuple[bytes, ...]) -> None:
    """tornado ignored two ``Transfer-Encoding: chunked`` fields and read the request as
    bodiless, so its chunks were parsed as the next request. labweb must refuse chunked
    applied twice (RFC 9112 section 7) with 400 and close, never serving the chunks.
    """
    body = chunk(SMUGGLED) + LAST_CHUNK
    assert_refused_everywhere(post(*fields, body=body), 400)
