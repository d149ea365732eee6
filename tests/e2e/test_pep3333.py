"""PEP 3333, the rules it sets for servers: one test each, in both serving modes.

Apps are wrapped in ``wsgiref.validate.validator`` except where a rule can only be
shown by breaking what the validator enforces (said at each such test).
"""

from __future__ import annotations

import socket
import sys
import threading
from typing import Any
from wsgiref.validate import validator

import pytest

from twisted_wsgi_lab.testing import parse_responses

REQUIRED_CGI = [
    "REQUEST_METHOD", "SCRIPT_NAME", "PATH_INFO", "QUERY_STRING",
    "SERVER_NAME", "SERVER_PORT", "SERVER_PROTOCOL",
]  # fmt: skip
REQUIRED_WSGI = [
    "wsgi.version", "wsgi.url_scheme", "wsgi.input", "wsgi.errors",
    "wsgi.multithread", "wsgi.multiprocess", "wsgi.run_once",
]  # fmt: skip


def exchange(port: int, request: bytes) -> bytes:
    with socket.create_connection(("127.0.0.1", port), timeout=10) as sock:
        sock.sendall(request)
        data = b""
        while chunk := sock.recv(65536):
            data += chunk
    return data


def get(port: int, path: bytes = b"/", method: bytes = b"GET") -> bytes:
    return exchange(
        port, b"%s %s HTTP/1.1\r\nHost: t\r\nConnection: close\r\n\r\n" % (method, path)
    )


def probe(check):
    """An app that answers 200 "yes" if ``check(environ)`` holds, else 500 with why."""

    def app(environ, start_response):
        problem = check(environ)
        status = "500 Internal Server Error" if problem else "200 OK"
        start_response(status, [("Content-Type", "text/plain")])
        return [(problem or "yes").encode()]

    return app


def answer_of(port: int, path: bytes = b"/") -> bytes:
    [response] = parse_responses(get(port, path))
    return response.body


def test_environ_is_a_builtin_dict(serve):
    port = serve(validator(probe(lambda env: None if type(env) is dict else "not a dict")))
    assert answer_of(port) == b"yes"


@pytest.mark.parametrize("key", REQUIRED_CGI + REQUIRED_WSGI)
def test_required_keys_are_present(serve, key):
    port = serve(validator(probe(lambda env: None if key in env else f"missing {key}")))
    assert answer_of(port) == b"yes"


def test_environ_strings_are_native_latin1_str(serve):
    def check(env):
        for key, value in env.items():
            if type(value) is str:
                value.encode("latin-1")
            elif key.isupper():
                return f"{key} is {type(value).__name__}"
        return None

    port = serve(validator(probe(check)))
    assert answer_of(port, b"/caf%C3%A9") == b"yes"


def test_script_name_and_path_info_rebuild_the_path(serve):
    port = serve(validator(probe(lambda env: env["SCRIPT_NAME"] + env["PATH_INFO"])))
    [response] = parse_responses(get(port, b"/a/b"))
    assert response.body == b"/a/b"  # (answered 500 by the probe, with the text)


def test_wsgi_errors_accepts_write_writelines_and_flush(serve):
    def check(env):
        errors = env["wsgi.errors"]
        errors.write("one line\n")
        errors.writelines(["two\n", "three\n"])
        errors.flush()

    port = serve(validator(probe(check)))
    assert answer_of(port) == b"yes"


def test_start_response_returns_the_write_callable(serve):
    def app(environ, start_response):
        write = start_response("200 OK", [("Content-Type", "text/plain")])
        write(b"written")
        return []

    port = serve(validator(app))
    assert answer_of(port) == b"written"


def test_headers_are_not_sent_before_the_first_non_empty_body_string(serve):
    def app(environ, start_response):
        start_response("200 OK", [("Content-Type", "text/plain")])

        def body():
            yield b""
            try:
                raise ValueError("changed my mind")
            except ValueError:
                start_response(
                    "503 Service Unavailable", [("Content-Type", "text/plain")], sys.exc_info()
                )
            yield b"later"

        return body()

    port = serve(validator(app))
    [response] = parse_responses(get(port))
    assert (response.status, response.body) == (503, b"later")


def test_close_is_called_on_the_iterable(serve):
    closed = threading.Event()

    class Body:
        def __iter__(self):
            yield b"x"

        def close(self):
            closed.set()

    def app(environ, start_response):
        start_response("200 OK", [("Content-Type", "text/plain")])
        return Body()

    port = serve(validator(app))
    assert answer_of(port) == b"x"
    assert closed.wait(10)


def test_any_iterable_is_accepted(serve):
    def app(environ, start_response):
        start_response("200 OK", [("Content-Type", "text/plain")])
        return iter((b"a", b"b", b"c"))

    port = serve(validator(app))
    assert answer_of(port) == b"abc"


def test_exc_info_after_headers_were_sent_reraises(serve):
    outcome = []

    def app(environ, start_response):
        write = start_response("200 OK", [("Content-Type", "text/plain")])
        write(b"sent")
        try:
            raise KeyError("boom")
        except KeyError:
            try:
                start_response("500 Oops", [("Content-Type", "text/plain")], sys.exc_info())
            except KeyError:
                outcome.append("re-raised")
                raise
        return []

    port = serve(app)  # the validator itself refuses to let start_response raise
    data = get(port)
    assert data.startswith(b"HTTP/1.1 200 OK") and b"sent" in data
    assert outcome == ["re-raised"]


def test_a_second_start_response_without_exc_info_is_an_error(serve):
    def app(environ, start_response):
        start_response("200 OK", [("Content-Type", "text/plain")])
        start_response("200 OK", [("Content-Type", "text/plain")])
        return [b"never"]

    port = serve(app)  # the validator would catch this before the server could
    [response] = parse_responses(get(port))
    assert response.status == 500


def test_str_instead_of_bytes_in_the_body_is_refused(serve):
    def app(environ, start_response):
        start_response("200 OK", [("Content-Type", "text/plain")])
        return ["text is not bytes"]

    port = serve(app)  # the validator would catch this before the server could
    [response] = parse_responses(get(port))
    assert response.status == 500


def test_no_more_bytes_than_content_length_are_sent(serve):
    def app(environ, start_response):
        start_response("200 OK", [("Content-Type", "text/plain"), ("Content-Length", "5")])
        return [b"12345", b"6789"]

    port = serve(validator(app))
    data = get(port)
    assert data.endswith(b"\r\n\r\n12345")


def test_one_large_item_longer_than_content_length_is_a_500_not_a_cut_200(serve):
    def app(environ, start_response):
        start_response("200 OK", [("Content-Type", "text/plain"), ("Content-Length", "100000")])
        return [b"x" * 200_000]  # sent in slices: checked whole before the first

    port = serve(validator(app))
    [response] = parse_responses(get(port))
    assert response.status == 500
    assert response.body == b"500 Internal Server Error\n"


def test_head_calls_the_app_but_sends_no_body(serve):
    called = []

    def app(environ, start_response):
        called.append(environ["REQUEST_METHOD"])
        start_response("200 OK", [("Content-Type", "text/plain"), ("Content-Length", "4")])
        return [b"body"]

    port = serve(validator(app))
    data = get(port, method=b"HEAD")
    assert called == ["HEAD"]
    assert data.endswith(b"\r\n\r\n")


def test_file_wrapper_takes_a_file_and_a_block_size(serve, tmp_path):
    path = tmp_path / "f.txt"
    path.write_bytes(b"from a file")

    def app(environ, start_response):
        start_response("200 OK", [("Content-Type", "text/plain")])
        return environ["wsgi.file_wrapper"](path.open("rb"), 4)

    port = serve(validator(app))
    assert answer_of(port) == b"from a file"


def test_input_supports_read_readline_readlines_and_iteration(serve):
    def app(environ, start_response):
        stream = environ["wsgi.input"]
        parts = [stream.read(2), stream.readline(), *stream.readlines(1), *list(stream)]
        start_response("200 OK", [("Content-Type", "text/plain")])
        return [b"|".join(parts)]

    port = serve(validator(app))
    body = b"abcd\nline2\nline3\nline4\n"
    data = exchange(
        port,
        b"POST / HTTP/1.1\r\nHost: t\r\nContent-Length: %d\r\nConnection: close\r\n\r\n%s"
        % (len(body), body),
    )
    assert parse_responses(data)[0].body == b"ab|cd\n|line2\n|line3\n|line4\n"


@pytest.mark.parametrize("mode", ["reactor", "threads"])
def test_wsgi_input_is_closed_when_the_app_raises(serve):
    """Thread mode left wsgi.input (a spooled file for a large body) open on an exception."""
    inputs: list[Any] = []

    def app(environ: dict[str, Any], start_response: Any) -> list[bytes]:
        inputs.append(environ["wsgi.input"])
        raise RuntimeError("app bug")

    port = serve(app)
    for request in (
        b"GET / HTTP/1.1\r\nHost: a\r\nConnection: close\r\n\r\n",
        b"POST / HTTP/1.1\r\nHost: a\r\nContent-Length: 3\r\nConnection: close\r\n\r\nabc",
    ):
        [response] = parse_responses(exchange(port, request))
        assert response.status == 500
    assert len(inputs) == 2
    assert all(body.closed for body in inputs)
