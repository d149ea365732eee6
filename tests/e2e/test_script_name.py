"""--script-name mounts the app under a prefix (SCRIPT_NAME / PATH_INFO split)."""

from __future__ import annotations

import socket
from wsgiref.validate import validator

import pytest

from twisted_wsgi_lab.testing import parse_responses


def where(environ, start_response):
    start_response("200 OK", [("Content-Type", "text/plain")])
    return [f"{environ['SCRIPT_NAME']}|{environ['PATH_INFO']}".encode()]


def get(port: int, path: bytes):
    with socket.create_connection(("127.0.0.1", port), timeout=10) as sock:
        sock.sendall(b"GET %s HTTP/1.1\r\nHost: t\r\nConnection: close\r\n\r\n" % path)
        data = b""
        while chunk := sock.recv(65536):
            data += chunk
    [response] = parse_responses(data)
    return response


@pytest.mark.parametrize(
    ("path", "expected"),
    [
        (b"/app", b"/app|"),
        (b"/app/", b"/app|/"),
        (b"/app/x/y?q=1", b"/app|/x/y"),
        (b"/ap%70/z", b"/app|/z"),
    ],
)
def test_paths_under_the_prefix_are_split(serve, path, expected):
    port = serve(validator(where), script_name="/app")
    assert get(port, path).body == expected


@pytest.mark.parametrize("path", [b"/", b"/application", b"/other/app"])
def test_paths_outside_the_prefix_get_404_without_calling_the_app(serve, path):
    port = serve(validator(where), script_name="/app")
    assert get(port, path).status == 404
