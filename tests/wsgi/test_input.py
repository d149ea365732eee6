"""wsgi.input in reactor mode: the whole body, in memory or spilled to a file."""

from __future__ import annotations

import json
from wsgiref.validate import validator

import pytest

from twisted_wsgi_lab.testing import parse_responses

BODY = b"line one\nline two\nline three\n"


def post(body: bytes) -> bytes:
    return b"POST / HTTP/1.1\r\nHost: h\r\nContent-Length: %d\r\n\r\n%s" % (len(body), body)


def reader(read):
    def app(environ, start_response):
        result = read(environ["wsgi.input"])
        start_response("200 OK", [("Content-Type", "application/json")])
        return [json.dumps(result).encode()]

    return app


@pytest.mark.parametrize("spool", [1 << 20, 8], ids=["in-memory", "spilled-to-file"])
@pytest.mark.parametrize(
    ("read", "expected"),
    [
        (lambda f: f.read(4).decode() + "|" + f.read(5).decode(), "line| one\n"),
        (lambda f: [f.readline().decode(), f.readline().decode()], ["line one\n", "line two\n"]),
        (lambda f: [line.decode() for line in f], ["line one\n", "line two\n", "line three\n"]),
        (lambda f: len(f.readlines()), 3),
        (lambda f: [f.read(1000).decode(), f.read(10).decode()], [BODY.decode(), ""]),
    ],
    ids=["read(n)", "readline", "iteration", "readlines", "read-past-end"],
)
def test_body_reads_behave_as_pep3333_says(serve, spool, read, expected):
    protocol, transport = serve(validator(reader(read)), body_spool_bytes=spool)
    protocol.dataReceived(post(BODY))
    [response] = parse_responses(transport.value())
    assert json.loads(response.body) == expected


def test_read_without_size_returns_the_rest(serve):
    # wsgiref.validate predates PEP 3333 and refuses read() with no size, so not here.
    protocol, transport = serve(reader(lambda f: f.read().decode()))
    protocol.dataReceived(post(BODY))
    assert json.loads(parse_responses(transport.value())[0].body) == BODY.decode()


def test_the_app_is_called_only_once_the_whole_body_is_in(serve):
    calls = []

    def app(environ, start_response):
        calls.append(environ["wsgi.input"].read(100))
        start_response("204 No Content", [])
        return []

    protocol, transport = serve(validator(app))
    request = post(BODY)
    protocol.dataReceived(request[:-5])
    assert calls == []
    protocol.dataReceived(request[-5:])
    assert calls == [BODY]
    assert parse_responses(transport.value())[0].status == 204
