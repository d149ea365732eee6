"""Slowloris: hundreds of slow sockets must not stop a normal client being served."""

from __future__ import annotations

import socket
import threading
import time
from wsgiref.validate import validator

from twisted_wsgi_lab.testing import parse_responses

SLOW_SOCKETS = 200


def hello(environ, start_response):
    start_response("200 OK", [("Content-Type", "text/plain")])
    return [b"still here"]


def test_slow_head_senders_do_not_block_a_normal_client_and_get_408(serve):
    port = serve(validator(hello), header_timeout_seconds=1.0)
    slow = []
    try:
        for n in range(SLOW_SOCKETS):
            sock = socket.create_connection(("127.0.0.1", port), timeout=10)
            sock.sendall(b"GET /%d HTTP/1.1\r\nHost: t\r\nX-Drip: " % n)  # never finished
            slow.append(sock)
        for sock in slow[::10]:
            sock.sendall(b"a")  # dripping does not extend the header deadline
        with socket.create_connection(("127.0.0.1", port), timeout=10) as normal:
            normal.sendall(b"GET / HTTP/1.1\r\nHost: t\r\nConnection: close\r\n\r\n")
            data = b""
            while chunk := normal.recv(65536):
                data += chunk
        assert parse_responses(data)[0].body == b"still here"
        deadline = time.monotonic() + 10
        answered = 0
        for sock in slow:
            sock.settimeout(max(deadline - time.monotonic(), 0.1))
            reply = b""
            while chunk := sock.recv(4096):
                reply += chunk
            answered += reply.startswith(b"HTTP/1.1 408 ")
        assert answered == SLOW_SOCKETS  # every slow one was cut off with 408
    finally:
        for sock in slow:
            sock.close()


def test_a_client_that_never_reads_is_dropped_and_the_app_closed(serve):
    closed = threading.Event()
    chunk = b"x" * 65536

    class Endless:
        """A response far larger than any socket buffer; close() says it was let go."""

        def __iter__(self):
            for _ in range(20_000):  # 1.25 GiB: never reached in this test
                yield chunk

        def close(self):
            closed.set()

    def endless(environ, start_response):
        start_response("200 OK", [("Content-Type", "application/octet-stream")])
        return Endless()

    port = serve(validator(endless), send_timeout_seconds=1.0)
    with socket.socket() as sock:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4096)
        sock.connect(("127.0.0.1", port))
        sock.sendall(b"GET / HTTP/1.1\r\nHost: t\r\n\r\n")  # and never read a byte
        assert closed.wait(15), "the stalled response still holds the app"


def test_a_client_reading_steadily_is_not_dropped_however_large_the_item(serve):
    """Django and Flask answer with one item; the send timeout must see progress in it."""
    size = 8 * 1024 * 1024
    body = b"x" * size

    def one_item(environ, start_response):
        start_response("200 OK", [("Content-Type", "application/octet-stream")])
        return [body]

    port = serve(validator(one_item), send_timeout_seconds=0.5)
    received = 0
    with socket.socket() as sock:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 64 * 1024)
        sock.settimeout(10)
        sock.connect(("127.0.0.1", port))
        sock.sendall(b"GET / HTTP/1.1\r\nHost: t\r\nConnection: close\r\n\r\n")
        started = time.monotonic()
        while data := sock.recv(256 * 1024):  # about 10 MB/s: longer than the timeout
            received += len(data)
            time.sleep(0.02)
        elapsed = time.monotonic() - started
    assert elapsed > 0.5  # the transfer outlasted the send timeout...
    assert received > size  # ...and the whole body (and head) arrived
