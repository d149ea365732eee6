"""Flask, Django, Pyramid and Bottle, served unchanged by labweb, in both serving modes.

The example apps in examples/ answer the same routes, so every test here runs once per
framework and serving mode, over 127.0.0.1, with raw sockets or treq as the client.
Apps are loaded with ``load_app``, as ``labweb --app`` loads them.
"""

from __future__ import annotations

import hashlib
import io
import json
import os
import queue
import re
import socket
import subprocess
import sys
import threading
from collections.abc import Callable, Iterator
from http.cookiejar import CookieJar
from pathlib import Path
from typing import IO, Any
from wsgiref.validate import validator

import pytest
import treq
from treq.client import HTTPClient
from twisted.internet import reactor
from twisted.internet.defer import Deferred
from twisted.web.client import Agent, HTTPConnectionPool

from twisted_wsgi_lab.engine.failure import ERROR_BODY
from twisted_wsgi_lab.service.app_loader import load_app
from twisted_wsgi_lab.testing import ParsedResponse, parse_responses

# WebOb 1.8, under Pyramid, imports the cgi module, deprecated since Python 3.11.
pytestmark = pytest.mark.filterwarnings("ignore:'cgi' is deprecated:DeprecationWarning")

ROOT = Path(__file__).resolve().parents[2]
TIMEOUT = 10
START_SECONDS = 20
SERVING = re.compile(r"labweb serving .+ on http://127\.0\.0\.1:(\d+)/")
APPS = {
    "flask": "examples.flask_app:app",
    "django": "examples.django_project.wsgi:application",
    "pyramid": "examples.pyramid_app:app",
    "bottle": "examples.bottle_app:app",
}
# Apps run inside wsgiref.validate.validator, except Flask: when the server sets
# wsgi.input_terminated, Werkzeug reads the body with wsgi.input.read() and no size, as
# PEP 3333 allows, but the validator's InputWrapper asserts read() gets exactly one argument.
VALIDATED = {"django", "pyramid", "bottle"}


def chunked_body_cases() -> list[Any]:
    """(mode, framework) pairs: every framework, in both modes, takes a chunked body.

    A list, not a generator: pytest 9 refuses an iterator given to ``parametrize``.
    """
    return [
        pytest.param(mode, framework, id=f"{mode}-{framework}")
        for mode in ["reactor", "threads"]
        for framework in APPS
    ]


@pytest.fixture(params=list(APPS))
def framework(request: pytest.FixtureRequest) -> str:
    """Each test runs once per framework (and, through ``serve``, per serving mode)."""
    return str(request.param)


@pytest.fixture
def port(serve: Callable[..., int], framework: str) -> int:
    """Where this framework's example app is served, in this test's mode."""
    app = load_app(APPS[framework])
    return serve(validator(app) if framework in VALIDATED else app)


def exchange(port: int, data: bytes) -> list[ParsedResponse]:
    """Send ``data`` on a fresh socket and parse every response until the server closes."""
    with socket.create_connection(("127.0.0.1", port), timeout=TIMEOUT) as sock:
        sock.sendall(data)
        received = b""
        while chunk := sock.recv(65536):
            received += chunk
    return parse_responses(received)


def request(port: int, method: str, path: str, *fields: str, body: bytes = b"") -> bytes:
    """One request as bytes, with header ``fields`` given as "Name: value"."""
    head = [f"{method} {path} HTTP/1.1", f"Host: 127.0.0.1:{port}", *fields, "", ""]
    return "\r\n".join(head).encode("latin-1") + body


def closing(port: int, method: str, path: str, *fields: str, body: bytes = b"") -> bytes:
    """The same request, asking the server to close the connection after answering."""
    return request(port, method, path, *fields, "Connection: close", body=body)


def one_response(port: int, method: str, path: str, *fields: str) -> ParsedResponse:
    [response] = exchange(port, closing(port, method, path, *fields))
    return response


def fetch(in_reactor: Callable[..., Any], method: str, url: str, **kwargs: Any) -> Any:
    """(code, body) of one treq request, made in the reactor thread."""

    async def go() -> tuple[int, bytes]:
        response = await treq.request(method, url, persistent=False, **kwargs)
        return response.code, await response.content()

    return in_reactor(lambda: Deferred.fromCoroutine(go()))


def test_the_home_page_says_hello_from_the_framework(port, framework):
    response = one_response(port, "GET", "/")
    assert response.status == 200
    assert response.body == f"hello from {framework}".encode()
    assert response.header(b"content-type").startswith(b"text/plain")


def test_a_route_parameter_reaches_the_view_as_a_number(port):
    response = one_response(port, "GET", "/items/42")
    assert response.status == 200
    assert response.header(b"content-type").startswith(b"application/json")
    assert json.loads(response.body) == {"id": 42}


def test_form_fields_posted_by_treq_are_parsed(port, in_reactor):
    fields = {"name": "Zoë Lovelace", "age": "36"}
    code, body = fetch(in_reactor, "POST", f"http://127.0.0.1:{port}/form", data=fields)
    assert (code, body.decode()) == (200, "name=Zoë Lovelace age=36")


@pytest.mark.parametrize(("mode", "framework"), chunked_body_cases())
def test_a_chunked_json_body_without_content_length_is_echoed_back(port):
    document = json.dumps({"greeting": "hello", "numbers": list(range(50))}).encode()
    pieces = [document[:7], document[7:40], document[40:]]
    body = b"".join(b"%x\r\n%s\r\n" % (len(piece), piece) for piece in pieces) + b"0\r\n\r\n"
    [response] = exchange(
        port,
        closing(
            port,
            "POST",
            "/json",
            "Content-Type: application/json",
            "Transfer-Encoding: chunked",
            body=body,
        ),
    )
    assert response.status == 200
    assert json.loads(response.body) == {**json.loads(document), "ok": True}


def test_an_uploaded_file_arrives_whole(port, in_reactor):
    payload = bytes(range(256)) * 1200  # 300 KiB: more than thread mode buffers unread
    upload = {"file": ("notes.bin", "application/octet-stream", io.BytesIO(payload))}
    code, body = fetch(in_reactor, "POST", f"http://127.0.0.1:{port}/upload", files=upload)
    assert code == 200
    assert json.loads(body) == {
        "filename": "notes.bin",
        "size": len(payload),
        "sha256": hashlib.sha256(payload).hexdigest(),
    }


def test_a_cookie_set_by_one_response_is_sent_back_by_the_client(port, in_reactor):
    async def visit_twice() -> bytes:
        pool = HTTPConnectionPool(reactor, persistent=False)
        client = HTTPClient(Agent(reactor, pool=pool), cookiejar=CookieJar())
        await (await client.get(f"http://127.0.0.1:{port}/cookie/set")).content()
        response = await client.get(f"http://127.0.0.1:{port}/cookie/get")
        content: bytes = await response.content()
        return content

    assert in_reactor(lambda: Deferred.fromCoroutine(visit_twice())) == b"oatmeal"


def test_a_streamed_response_arrives_chunked_line_by_line(port):
    response = one_response(port, "GET", "/stream")
    assert response.status == 200
    assert response.chunked  # no length known up front: sent as it is produced
    assert response.body == b"".join(b"line %d\n" % n for n in range(5))


def test_an_exception_in_a_view_gets_the_framework_s_own_500_page(port):
    response = one_response(port, "GET", "/boom", "Accept: text/html")
    assert response.status == 500
    assert response.header(b"content-type").startswith(b"text/html")
    assert response.body != ERROR_BODY  # not labweb's answer for an app that failed


@pytest.mark.parametrize("path", ["/no/such/page", "/items/forty-two"])
def test_an_unknown_path_is_not_found(port, path):
    assert one_response(port, "GET", path).status == 404


def test_pipelined_requests_get_every_kind_of_answer_in_order_on_one_connection(port, framework):
    paths = ["/", "/stream", "/boom", "/missing", "/items/7"]
    data = b"".join(request(port, "GET", path, "Accept: text/html") for path in paths[:-1])
    responses = exchange(port, data + closing(port, "GET", paths[-1]))
    assert [response.status for response in responses] == [200, 200, 500, 404, 200]
    assert responses[0].body == f"hello from {framework}".encode()
    assert json.loads(responses[-1].body) == {"id": 7}


# -- the labweb command -----------------------------------------------------------------


@pytest.fixture
def labweb_serving() -> Iterator[Callable[..., int]]:
    """labweb_serving(*args) -> port of ``python -m twisted_wsgi_lab *args``, a child.

    The child does not inherit DJANGO_SETTINGS_MODULE, which importing the Django
    example set in this process: the example's wsgi.py must set it by itself.
    """
    children: list[tuple[subprocess.Popen[str], threading.Thread]] = []
    env = {name: value for name, value in os.environ.items() if name != "DJANGO_SETTINGS_MODULE"}

    def start(*args: str) -> int:
        argv = [sys.executable, "-m", "twisted_wsgi_lab", "--app-dir", str(ROOT), *args]
        argv += ["--listen", "tcp:0:interface=127.0.0.1"]
        child = subprocess.Popen(argv, stderr=subprocess.PIPE, text=True, env=env)
        lines: queue.Queue[str] = queue.Queue()
        reader = threading.Thread(target=forward_lines, args=(child.stderr, lines), daemon=True)
        reader.start()
        children.append((child, reader))
        while (serving := SERVING.search(lines.get(timeout=START_SECONDS))) is None:
            pass
        return int(serving.group(1))

    yield start
    for child, reader in children:
        child.kill()
        child.wait(TIMEOUT)
        reader.join(TIMEOUT)
        child.stderr.close()


def forward_lines(stream: IO[str], lines: queue.Queue[str]) -> None:
    for line in stream:
        lines.put(line)


@pytest.mark.subprocess
@pytest.mark.parametrize("command_mode", ["reactor", "threads"])
def test_the_labweb_command_serves_each_example_app(labweb_serving, framework, command_mode):
    port = labweb_serving("--app", APPS[framework], "--mode", command_mode)
    response = one_response(port, "GET", "/items/3")
    assert (response.status, json.loads(response.body)) == (200, {"id": 3})
