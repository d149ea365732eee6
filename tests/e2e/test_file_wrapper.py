"""wsgi.file_wrapper: files go out in blocks, with a Content-Length, and get closed."""

from __future__ import annotations

import hashlib
import socket
from wsgiref.validate import validator

from twisted_wsgi_lab.testing import parse_responses


def fetch(port: int, request: bytes) -> bytes:
    with socket.create_connection(("127.0.0.1", port), timeout=10) as sock:
        sock.sendall(request)
        data = b""
        while chunk := sock.recv(1 << 20):
            data += chunk
    return data


class TrackedFile:
    """A real file that remembers being closed and how much was read at once."""

    def __init__(self, path):
        self.file = open(path, "rb")  # noqa: SIM115 (closed through the wrapper)
        self.closed = False
        self.largest_read = 0

    def read(self, size=-1):
        data = self.file.read(size)
        self.largest_read = max(self.largest_read, len(data))
        return data

    def fileno(self):
        return self.file.fileno()

    def tell(self):
        return self.file.tell()

    def close(self):
        self.closed = True
        self.file.close()


def test_file_is_sent_whole_with_its_length_and_closed(serve, tmp_path):
    payload = bytes(range(256)) * 40000  # 10 MB
    path = tmp_path / "data.bin"
    path.write_bytes(payload)
    opened: list[TrackedFile] = []

    def app(environ, start_response):
        tracked = TrackedFile(path)
        opened.append(tracked)
        start_response("200 OK", [("Content-Type", "application/octet-stream")])
        return environ["wsgi.file_wrapper"](tracked, 8192)

    port = serve(validator(app))
    [response] = parse_responses(
        fetch(port, b"GET / HTTP/1.1\r\nHost: t\r\nConnection: close\r\n\r\n")
    )
    assert hashlib.sha256(response.body).digest() == hashlib.sha256(payload).digest()
    assert opened[0].closed
    assert opened[0].largest_read < len(payload) // 10  # sent in blocks, never read whole


def test_file_after_a_seek_sends_the_rest_with_its_length(serve, tmp_path):
    path = tmp_path / "text.txt"
    path.write_bytes(b"0123456789")

    def app(environ, start_response):
        handle = open(path, "rb")  # noqa: SIM115 (closed through the wrapper)
        handle.seek(4)
        start_response("200 OK", [("Content-Type", "text/plain")])
        return environ["wsgi.file_wrapper"](handle)

    # Not wrapped in wsgiref.validate: like any middleware, it wraps the returned
    # iterable and so hides the file wrapper whose size gives the Content-Length.
    port = serve(app)
    [response] = parse_responses(fetch(port, b"GET / HTTP/1.0\r\n\r\n"))
    assert (response.header(b"content-length"), response.body) == (b"6", b"456789")
