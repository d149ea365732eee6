"""What only thread mode does: a streaming wsgi.input, and blocking apps side by side."""

from __future__ import annotations

import socket
import struct
import threading
import time
from wsgiref.validate import validator

import pytest

from twisted_wsgi_lab.testing import parse_responses

TIMEOUT = 10


@pytest.fixture
def mode() -> str:
    return "threads"


def read_all(sock: socket.socket) -> bytes:
    data = b""
    while chunk := sock.recv(65536):
        data += chunk
    return data


def test_the_app_reads_the_first_bytes_before_the_last_have_arrived(serve):
    first_part_read = threading.Event()

    def app(environ, start_response):
        stream = environ["wsgi.input"]
        head = stream.read(5)
        first_part_read.set()
        rest = stream.read(5)
        start_response("200 OK", [("Content-Type", "text/plain")])
        return [head + b"|" + rest]

    port = serve(validator(app))
    with socket.create_connection(("127.0.0.1", port), timeout=TIMEOUT) as sock:
        sock.sendall(
            b"POST / HTTP/1.1\r\nHost: t\r\nContent-Length: 10\r\nConnection: close\r\n\r\nhello"
        )
        assert first_part_read.wait(TIMEOUT)
        sock.sendall(b"world")
        [response] = parse_responses(read_all(sock))
    assert response.body == b"hello|world"


def test_a_chunked_upload_arrives_whole_with_its_decoded_length(serve):
    # Django and Bottle read nothing without CONTENT_LENGTH, so thread mode receives a
    # chunked body before calling the app; Content-Length bodies still stream.
    def app(environ, start_response):
        assert environ["CONTENT_LENGTH"] == "12"
        assert "HTTP_TRANSFER_ENCODING" not in environ  # wsgi.input is already decoded
        lines = list(environ["wsgi.input"])
        start_response("200 OK", [("Content-Type", "text/plain")])
        return [b"%d lines" % len(lines)]

    port = serve(validator(app))
    with socket.create_connection(("127.0.0.1", port), timeout=TIMEOUT) as sock:
        sock.sendall(
            b"POST / HTTP/1.1\r\nHost: t\r\nTransfer-Encoding: chunked\r\nConnection: close\r\n"
            b"\r\n6\r\none\ntw\r\n5\r\no\nthr\r\n1\r\ne\r\n0\r\n\r\n"
        )
        [response] = parse_responses(read_all(sock))
    assert response.body == b"3 lines"


def test_a_blocked_app_thread_does_not_hold_other_connections(serve):
    release = threading.Event()

    def app(environ, start_response):
        if environ["PATH_INFO"] == "/block":
            release.wait(TIMEOUT)
        start_response("200 OK", [("Content-Type", "text/plain")])
        return [environ["PATH_INFO"].encode()]

    port = serve(validator(app))
    blocked = socket.create_connection(("127.0.0.1", port), timeout=TIMEOUT)
    blocked.sendall(b"GET /block HTTP/1.1\r\nHost: t\r\nConnection: close\r\n\r\n")
    with socket.create_connection(("127.0.0.1", port), timeout=TIMEOUT) as other:
        other.sendall(b"GET /free HTTP/1.1\r\nHost: t\r\nConnection: close\r\n\r\n")
        assert parse_responses(read_all(other))[0].body == b"/free"
    release.set()
    assert parse_responses(read_all(blocked))[0].body == b"/block"
    blocked.close()


def test_client_gone_during_a_read_raises_in_the_app_and_closes(serve):
    outcome: list[str] = []
    done = threading.Event()

    class Body:
        def __init__(self, stream):
            self.stream = stream

        def __iter__(self):
            try:
                self.stream.read(100)
            except OSError:
                outcome.append("read raised")
                raise
            yield b"never"

        def close(self):
            outcome.append("closed")
            done.set()

    def app(environ, start_response):
        start_response("200 OK", [("Content-Type", "text/plain")])
        return Body(environ["wsgi.input"])

    port = serve(validator(app))
    sock = socket.create_connection(("127.0.0.1", port), timeout=TIMEOUT)
    sock.sendall(b"POST / HTTP/1.1\r\nHost: t\r\nContent-Length: 100\r\n\r\nonly some")
    sock.close()
    assert done.wait(TIMEOUT)
    assert outcome == ["read raised", "closed"]


def test_a_chunked_upload_stays_readable_after_the_client_left(serve):
    """The spooled body is the app thread's until it returns, gone client or not."""
    client_gone = threading.Event()
    done = threading.Event()
    outcome: list[object] = []

    def app(environ, start_response):
        assert client_gone.wait(TIMEOUT)
        try:
            outcome.append(environ["wsgi.input"].read(5))
        except Exception as error:  # a closed file raises ValueError here
            outcome.append(error)
        done.set()
        start_response("200 OK", [("Content-Type", "text/plain")])
        return [b"late"]

    port = serve(validator(app))
    sock = socket.create_connection(("127.0.0.1", port), timeout=TIMEOUT)
    sock.sendall(
        b"POST / HTTP/1.1\r\nHost: t\r\nTransfer-Encoding: chunked\r\n\r\n5\r\nhello\r\n0\r\n\r\n"
    )
    time.sleep(0.2)  # the upload is in and the app is running
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
    sock.close()  # a reset: the client is gone, not just done sending
    time.sleep(0.2)  # let the reactor run connectionLost before the app reads
    client_gone.set()
    assert done.wait(TIMEOUT)
    assert outcome == [b"hello"]


def test_environ_says_multithread(serve):
    def app(environ, start_response):
        start_response("200 OK", [("Content-Type", "text/plain")])
        return [repr(environ["wsgi.multithread"]).encode()]

    port = serve(validator(app))
    with socket.create_connection(("127.0.0.1", port), timeout=TIMEOUT) as sock:
        sock.sendall(b"GET / HTTP/1.1\r\nHost: t\r\nConnection: close\r\n\r\n")
        assert parse_responses(read_all(sock))[0].body == b"True"


@pytest.mark.parametrize(
    "items",
    [[b"a", b"", b"bc"], (b"x" * 40_000, b"y" * 40_000), [b"z"] * 3000],
    ids=["small list", "large tuple", "many items"],
)
def test_a_list_of_bytes_arrives_whole_with_its_content_length(serve, items):
    # A small list goes to the reactor in one hand-off, a large one item by item.
    def app(environ, start_response):
        start_response("200 OK", [("Content-Type", "text/plain")])
        return items

    port = serve(app)
    with socket.create_connection(("127.0.0.1", port), timeout=TIMEOUT) as sock:
        sock.sendall(b"GET / HTTP/1.1\r\nHost: t\r\nConnection: close\r\n\r\n")
        [response] = parse_responses(read_all(sock))
    body = b"".join(items)
    assert response.status == 200 and response.body == body
    assert response.header(b"content-length") == b"%d" % len(body)


def test_a_small_list_longer_than_its_content_length_is_a_500_not_a_cut_200(serve):
    # Checked whole before a byte is sent, as reactor mode does with a small list.
    def app(environ, start_response):
        start_response("200 OK", [("Content-Type", "text/plain"), ("Content-Length", "5")])
        return [b"12345", b"6789"]

    port = serve(app)
    with socket.create_connection(("127.0.0.1", port), timeout=TIMEOUT) as sock:
        sock.sendall(b"GET / HTTP/1.1\r\nHost: t\r\nConnection: close\r\n\r\n")
        [response] = parse_responses(read_all(sock))
    assert response.status == 500


@pytest.mark.parametrize(
    "read",
    [
        lambda stream, length: stream.read(),
        lambda stream, length: stream.read(length),
        lambda stream, length: stream.readline(),  # one 2 MB "line": no newline in it
    ],
    ids=["read()", "read(CONTENT_LENGTH)", "readline()"],
)
def test_one_read_larger_than_the_buffer_high_water_mark_completes(serve, read):
    def app(environ, start_response):
        data = read(environ["wsgi.input"], int(environ["CONTENT_LENGTH"]))
        start_response("200 OK", [("Content-Type", "text/plain")])
        return [b"%d" % len(data)]

    port = serve(app)  # not validated: the validator forbids read() without a size
    body = b"x" * 2_000_000
    with socket.create_connection(("127.0.0.1", port), timeout=TIMEOUT) as sock:
        sock.sendall(
            b"POST / HTTP/1.1\r\nHost: t\r\nContent-Length: %d\r\nConnection: close\r\n\r\n"
            % len(body)
        )
        sock.sendall(body)
        [response] = parse_responses(read_all(sock))
    assert response.body == b"2000000"


def test_a_vanished_long_poll_client_frees_its_connection_slot(serve):
    release = threading.Event()

    def app(environ, start_response):
        if environ["PATH_INFO"] == "/poll":
            release.wait(TIMEOUT)  # a long poll: nothing to say for a while
        start_response("200 OK", [("Content-Type", "text/plain")])
        return [b"ok"]

    port = serve(validator(app), max_connections=1)
    try:
        with socket.create_connection(("127.0.0.1", port), timeout=TIMEOUT) as poller:
            poller.sendall(b"GET /poll HTTP/1.1\r\nHost: t\r\n\r\n")
            time.sleep(0.2)
        time.sleep(3)  # the EOF, then LINGER_SECONDS without a response begun
        with socket.create_connection(("127.0.0.1", port), timeout=TIMEOUT) as sock:
            sock.sendall(b"GET / HTTP/1.1\r\nHost: t\r\nConnection: close\r\n\r\n")
            [response] = parse_responses(read_all(sock))
        assert response.status == 200  # not 503: the vanished client's slot is free
    finally:
        release.set()
