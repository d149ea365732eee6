"""The whole server over 127.0.0.1, with treq and raw sockets as clients."""

from __future__ import annotations

import hashlib
import socket
import threading
import time
from wsgiref.validate import validator

import treq

from twisted_wsgi_lab.testing import parse_responses

TIMEOUT = 10


def hello(environ, start_response):
    body = b"hello " + environ["PATH_INFO"].encode("latin-1")
    start_response("200 OK", [("Content-Type", "text/plain"), ("Content-Length", str(len(body)))])
    return [body]


def digest(environ, start_response):
    length = int(environ.get("CONTENT_LENGTH") or 0)
    hasher = hashlib.sha256()
    stream = environ["wsgi.input"]
    while length:
        block = stream.read(min(length, 65536))
        hasher.update(block)
        length -= len(block)
    start_response("200 OK", [("Content-Type", "text/plain")])
    return [hasher.hexdigest().encode()]


def raw_exchange(port: int, data: bytes, *, until_closed: bool = True) -> bytes:
    """Send ``data`` on a fresh socket and read until the server closes."""
    with socket.create_connection(("127.0.0.1", port), timeout=TIMEOUT) as sock:
        sock.sendall(data)
        received = b""
        while chunk := sock.recv(65536):
            received += chunk
            if not until_closed and received.endswith(b"\r\n\r\n"):
                break
        return received


def test_treq_gets_a_response(serve, in_reactor):
    port = serve(validator(hello))

    async def fetch():
        response = await treq.get(f"http://127.0.0.1:{port}/there", persistent=False)
        return response.code, await response.content()

    from twisted.internet.defer import Deferred

    code, body = in_reactor(lambda: Deferred.fromCoroutine(fetch()))
    assert (code, body) == (200, b"hello /there")


def test_treq_uploads_a_large_body_that_spills_to_disk(serve, in_reactor):
    port = serve(validator(digest))
    payload = bytes(range(256)) * 20000  # 5 MB, past the 1 MiB spool threshold

    async def upload():
        response = await treq.post(f"http://127.0.0.1:{port}/", data=payload, persistent=False)
        return await response.content()

    from twisted.internet.defer import Deferred

    body = in_reactor(lambda: Deferred.fromCoroutine(upload()))
    assert body == hashlib.sha256(payload).hexdigest().encode()


def test_pipelined_requests_are_answered_in_order_on_one_socket(serve):
    port = serve(validator(hello))
    requests = (
        b"".join(b"GET /%d HTTP/1.1\r\nHost: t\r\n\r\n" % n for n in range(5))
        + b"GET /last HTTP/1.1\r\nHost: t\r\nConnection: close\r\n\r\n"
    )
    responses = parse_responses(raw_exchange(port, requests))
    assert [r.body for r in responses] == [b"hello /%d" % n for n in range(5)] + [b"hello /last"]


def test_keep_alive_serves_requests_one_after_another(serve):
    port = serve(validator(hello))
    with socket.create_connection(("127.0.0.1", port), timeout=TIMEOUT) as sock:
        for n in range(3):
            sock.sendall(b"GET /%d HTTP/1.1\r\nHost: t\r\n\r\n" % n)
            data = b""
            while not data.endswith(b"hello /%d" % n):
                data += sock.recv(4096)
            assert data.startswith(b"HTTP/1.1 200 OK\r\n")


def test_framing_error_is_answered_then_the_socket_closes(serve):
    port = serve(validator(hello))
    smuggle = (
        b"POST / HTTP/1.1\r\nHost: t\r\nContent-Length: 5\r\nTransfer-Encoding: chunked\r\n\r\n"
        b"0\r\n\r\nGET /smuggled HTTP/1.1\r\nHost: t\r\n\r\n"
    )
    [response] = parse_responses(raw_exchange(port, smuggle))
    assert response.status == 400
    assert b"smuggled" not in response.body


def test_100_continue_then_the_body(serve):
    port = serve(validator(digest))
    with socket.create_connection(("127.0.0.1", port), timeout=TIMEOUT) as sock:
        sock.sendall(
            b"POST / HTTP/1.1\r\nHost: t\r\nContent-Length: 3\r\nExpect: 100-continue\r\n"
            b"Connection: close\r\n\r\n"
        )
        assert sock.recv(100) == b"HTTP/1.1 100 Continue\r\n\r\n"
        sock.sendall(b"abc")
        data = b""
        while chunk := sock.recv(4096):
            data += chunk
    [response] = parse_responses(data)
    assert response.body == hashlib.sha256(b"abc").hexdigest().encode()


class Counting:
    """A large streamed response that records how far it was iterated and close()."""

    def __init__(self, blocks: int, size: int = 65536) -> None:
        self.blocks, self.size = blocks, size
        self.produced = 0
        self.closed = threading.Event()

    def __iter__(self):
        for _ in range(self.blocks):
            self.produced += 1
            yield b"x" * self.size

    def close(self):
        self.closed.set()


def test_slow_reader_pauses_the_iterable_and_a_gone_one_closes_it(serve):
    body = Counting(blocks=2000)  # 125 MiB if read whole

    def app(environ, start_response):
        start_response("200 OK", [("Content-Type", "application/octet-stream")])
        return body

    port = serve(validator(app))
    sock = socket.create_connection(("127.0.0.1", port), timeout=TIMEOUT)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 65536)
    sock.sendall(b"GET / HTTP/1.1\r\nHost: t\r\n\r\n")
    time.sleep(0.5)
    stalled_at = body.produced
    time.sleep(0.3)
    assert body.produced == stalled_at < body.blocks / 4  # paused, not buffered
    sock.close()
    assert body.closed.wait(TIMEOUT)
    assert body.produced < body.blocks


def test_a_streaming_response_does_not_starve_other_clients(serve):
    body = Counting(blocks=10**9, size=16384)  # endless while read as fast as loopback allows

    def app(environ, start_response):
        if environ["PATH_INFO"] == "/big":
            start_response("200 OK", [("Content-Type", "application/octet-stream")])
            return body
        return hello(environ, start_response)

    port = serve(validator(app))
    big = socket.create_connection(("127.0.0.1", port), timeout=TIMEOUT)
    big.sendall(b"GET /big HTTP/1.1\r\nHost: t\r\n\r\n")
    stop = threading.Event()

    def drain():
        try:
            while not stop.is_set() and big.recv(1 << 20):
                pass
        except ConnectionResetError:
            pass  # after shutdown() the server's bytes still in flight are answered by a reset

    reader = threading.Thread(target=drain, daemon=True)
    reader.start()
    while body.produced < 100:
        time.sleep(0.01)
    reply = raw_exchange(port, b"GET /small HTTP/1.1\r\nHost: t\r\nConnection: close\r\n\r\n")
    # Answered at all: the endless response is served in slices with others between.
    assert parse_responses(reply)[0].body == b"hello /small"
    stop.set()
    big.shutdown(socket.SHUT_RDWR)  # the reader's recv() returns b"" and it ends
    reader.join(TIMEOUT)
    big.close()
    assert body.closed.wait(TIMEOUT)


def test_a_refused_upload_still_being_sent_is_not_reset(serve):
    """RFC 9112 section 9.6: FIN after the 413, then read on, so the client's bytes in
    flight do not make the kernel answer with a reset that could destroy the 413."""
    port = serve(validator(hello), max_body_bytes=1024)
    with socket.create_connection(("127.0.0.1", port), timeout=TIMEOUT) as sock:
        sock.sendall(b"POST / HTTP/1.1\r\nHost: t\r\nContent-Length: 1000000\r\n\r\n")
        received = b""
        while chunk := sock.recv(65536):  # the response, then the server's FIN
            received += chunk
        assert parse_responses(received)[0].status == 413
        for _ in range(5):  # the upload goes on after the FIN: no reset comes back
            sock.sendall(b"x" * 8192)
            time.sleep(0.02)


def half_closed_exchange(port: int, data: bytes) -> bytes:
    """Send ``data``, shut the write side (as ``nc -N`` does), read until the server closes."""
    with socket.create_connection(("127.0.0.1", port), timeout=TIMEOUT) as sock:
        sock.sendall(data)
        sock.shutdown(socket.SHUT_WR)
        received = b""
        while chunk := sock.recv(65536):
            received += chunk
        return received


def test_a_client_that_half_closes_gets_every_answer(serve):
    port = serve(validator(hello), max_body_bytes=1024)
    get = b"GET /%s HTTP/1.1\r\nHost: t\r\n\r\n"
    answered = parse_responses(half_closed_exchange(port, get % b"a" + get % b"b"))
    assert [r.body for r in answered] == [b"hello /a", b"hello /b"]
    refused = b"POST / HTTP/1.1\r\nHost: t\r\nContent-Length: 4096\r\n\r\n" + b"x" * 4096
    assert parse_responses(half_closed_exchange(port, refused))[0].status == 413
    malformed = b"GET / HTTP/1.1\r\nHost: t\r\nBad Header: x\r\n\r\n"
    assert parse_responses(half_closed_exchange(port, malformed))[0].status == 400
