"""The environ a WSGI application receives (PEP 3333, 'environ Variables')."""

from __future__ import annotations

import json
from wsgiref.validate import validator

import pytest

from twisted_wsgi_lab.testing import parse_responses


def environ_of(serve, request: bytes) -> dict:
    """Send ``request`` to an app that answers with its environ as JSON."""

    def app(environ, start_response):
        length = int(environ.get("CONTENT_LENGTH") or 0)
        seen = {k: v for k, v in environ.items() if isinstance(v, (str, bool, tuple))}
        seen["body"] = environ["wsgi.input"].read(length).decode("latin-1")
        body = json.dumps(seen).encode()
        start_response("200 OK", [("Content-Type", "application/json")])
        return [body]

    protocol, transport = serve(validator(app))
    protocol.dataReceived(request)
    [response] = parse_responses(transport.value())
    assert response.status == 200
    return json.loads(response.body)


def test_request_line_becomes_method_path_and_query(serve):
    env = environ_of(serve, b"GET /caf%C3%A9/a%2Fb?x=1&y=%20 HTTP/1.1\r\nHost: h\r\n\r\n")
    assert env["REQUEST_METHOD"] == "GET"
    assert env["SCRIPT_NAME"] == ""
    assert env["PATH_INFO"] == "/caf\u00c3\u00a9/a/b"  # percent-decoded, carried as latin-1
    assert env["QUERY_STRING"] == "x=1&y=%20"  # the query stays encoded
    assert env["SERVER_PROTOCOL"] == "HTTP/1.1"


def test_server_name_and_port_come_from_the_host_header(serve):
    env = environ_of(serve, b"GET / HTTP/1.1\r\nHost: example.test:8081\r\n\r\n")
    assert (env["SERVER_NAME"], env["SERVER_PORT"]) == ("example.test", "8081")
    env = environ_of(serve, b"GET / HTTP/1.1\r\nHost: example.test\r\n\r\n")
    assert (env["SERVER_NAME"], env["SERVER_PORT"]) == ("example.test", "80")


def test_server_name_falls_back_to_the_listening_address_without_host(serve):
    env = environ_of(serve, b"GET / HTTP/1.0\r\n\r\n")
    assert (env["SERVER_NAME"], env["SERVER_PORT"]) == ("127.0.0.1", "8080")


def test_absolute_form_authority_wins_over_host(serve):
    env = environ_of(serve, b"GET http://real.test:81/p?q HTTP/1.1\r\nHost: other.test\r\n\r\n")
    assert env["HTTP_HOST"] == "real.test:81"
    assert (env["PATH_INFO"], env["QUERY_STRING"]) == ("/p", "q")
    assert env["SERVER_NAME"] == "real.test"


def test_client_address_is_given(serve):
    env = environ_of(serve, b"GET / HTTP/1.1\r\nHost: h\r\n\r\n")
    assert (env["REMOTE_ADDR"], env["REMOTE_PORT"]) == ("127.0.0.1", "40000")


def test_repeated_headers_are_joined_with_comma(serve):
    env = environ_of(serve, b"GET / HTTP/1.1\r\nHost: h\r\nX-A: 1\r\nX-A: 2\r\n\r\n")
    assert env["HTTP_X_A"] == "1, 2"


def test_repeated_cookie_headers_are_joined_with_semicolon(serve):
    env = environ_of(serve, b"GET / HTTP/1.1\r\nHost: h\r\nCookie: a=1\r\nCookie: b=2\r\n\r\n")
    assert env["HTTP_COOKIE"] == "a=1; b=2"


def test_header_names_with_underscores_cannot_pose_as_dashed_ones(serve):
    env = environ_of(serve, b"GET / HTTP/1.1\r\nHost: h\r\nX_Forwarded_For: 6.6.6.6\r\n\r\n")
    assert "HTTP_X_FORWARDED_FOR" not in env


def test_content_type_and_length_have_no_http_prefix(serve):
    request = (
        b"POST / HTTP/1.1\r\nHost: h\r\nContent-Type: text/plain\r\nContent-Length: 5\r\n\r\nhello"
    )
    env = environ_of(serve, request)
    assert (env["CONTENT_TYPE"], env["CONTENT_LENGTH"], env["body"]) == ("text/plain", "5", "hello")
    assert "HTTP_CONTENT_TYPE" not in env and "HTTP_CONTENT_LENGTH" not in env


def test_chunked_body_arrives_with_its_decoded_length(serve):
    request = (
        b"POST / HTTP/1.1\r\nHost: h\r\nTransfer-Encoding: chunked\r\n\r\n"
        b"3\r\nabc\r\n4;ext=1\r\ndefg\r\n0\r\n\r\n"
    )
    env = environ_of(serve, request)
    assert (env["CONTENT_LENGTH"], env["body"]) == ("7", "abcdefg")
    assert "HTTP_TRANSFER_ENCODING" not in env  # the app gets the decoded body


@pytest.mark.parametrize(
    ("key", "value"),
    [
        ("wsgi.version", [1, 0]),
        ("wsgi.url_scheme", "http"),
        ("wsgi.input_terminated", True),
        ("wsgi.multithread", False),
        ("wsgi.multiprocess", False),
        ("wsgi.run_once", False),
    ],
)
def test_wsgi_keys_tell_the_truth_in_reactor_mode(serve, key, value):
    env = environ_of(serve, b"GET / HTTP/1.1\r\nHost: h\r\n\r\n")
    assert env[key] == value
