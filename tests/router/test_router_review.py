"""Bugs an independent review of the native App reproduced; each failed before its fix."""

from __future__ import annotations

import io
import threading
from typing import Any

from twisted.internet.defer import succeed
from twisted.internet.task import Clock

from twisted_wsgi_lab import App, HTTPFactory, Request, abort
from twisted_wsgi_lab.testing import connect, parse_responses


def _environ(path: str, method: str = "GET", body: bytes = b"", **extra: Any) -> dict[str, Any]:
    environ = {
        "REQUEST_METHOD": method,
        "SCRIPT_NAME": "",
        "PATH_INFO": path,
        "QUERY_STRING": "",
        "SERVER_NAME": "localhost",
        "SERVER_PORT": "80",
        "SERVER_PROTOCOL": "HTTP/1.1",
        "HTTP_HOST": "example",
        "wsgi.input": io.BytesIO(body),
        "wsgi.errors": io.StringIO(),
        "wsgi.url_scheme": "http",
        "wsgi.version": (1, 0),
        "wsgi.multithread": True,
        "wsgi.multiprocess": False,
        "wsgi.run_once": False,
    }
    environ.update(extra)
    return environ


def _call_wsgi(app: App, environ: dict[str, Any]) -> tuple[str, bytes]:
    status: list[str] = []
    body = b"".join(app.wsgi(environ, lambda s, h, e=None: status.append(s)))
    return status[0], body


# 1. Error handlers for routing errors (404, 405, 400) get request=None.
def test_a_404_error_handler_gets_the_request() -> None:
    app = App()

    @app.errorhandler(404)
    def not_found(request: Request, error: Exception) -> Any:
        return {"missing": request.path}, 404

    response = app.test_client().get("/nowhere")
    assert response.status_code == 404  # is 500: AttributeError on None.path
    assert response.json() == {"missing": "/nowhere"}


def test_a_405_error_handler_gets_the_request() -> None:
    app = App()
    app.get("/only-get")(lambda request: "x")

    @app.errorhandler(405)
    def not_allowed(request: Request, error: Exception) -> Any:
        return f"{request.method} refused", 405

    response = app.test_client().post("/only-get")
    assert (response.status_code, response.text) == (405, "POST refused")


# 2. app.wsgi drops a request body sent without CONTENT_LENGTH (chunked upload).
def test_wsgi_reads_a_body_without_content_length(running_reactor: Any) -> None:
    app = App()

    @app.post("/echo")
    async def echo(request: Request) -> bytes:
        return await request.body()

    environ = _environ("/echo", "POST", b"hello", **{"wsgi.input_terminated": True})
    assert _call_wsgi(app, environ) == ("200 OK", b"hello")  # body is b""


# 3. Under WSGI, SCRIPT_NAME is ignored: request.url and url_for miss the mount point.
def test_wsgi_keeps_script_name_in_url_and_url_for(running_reactor: Any) -> None:
    app = App()

    @app.get("/page")
    def page(request: Request) -> Any:
        return {"url": request.url, "self": request.url_for("page")}

    status, body = _call_wsgi(app, _environ("/page", SCRIPT_NAME="/mount"))
    assert status == "200 OK"
    assert body == b'{"url":"http://example/mount/page","self":"/mount/page"}'


# 4. Under WSGI, generator bodies run in the WSGI server's thread, not the reactor's,
#    and an async generator is never aclose()d when the server closes the iterable.
def test_wsgi_runs_streamed_bodies_in_the_reactor_thread_and_closes_them(
    running_reactor: Any,
) -> None:
    threads: list[tuple[str, str]] = []
    app = App()

    @app.get("/sync")
    def sync(request: Request) -> Any:
        threads.append(("handler", threading.current_thread().name))

        def body() -> Any:
            threads.append(("sync body", threading.current_thread().name))
            yield "x"

        return body()

    @app.get("/async")
    def async_(request: Request) -> Any:
        async def body() -> Any:
            try:
                yield "1"
                await succeed(None)
                yield "2"
            finally:
                threads.append(("async finally", threading.current_thread().name))

        return body()

    _call_wsgi(app, _environ("/sync"))
    iterable = app.wsgi(_environ("/async"), lambda *a: None)
    next(iter(iterable))
    iterable.close()  # type: ignore[attr-defined]  # what a WSGI server does on disconnect
    reactor_thread = threads[0][1]
    assert reactor_thread != threading.current_thread().name
    assert threads == [
        ("handler", reactor_thread),
        ("sync body", reactor_thread),  # not the WSGI server's thread
        ("async finally", reactor_thread),  # closed by aclose() at close(), not by GC
    ]


# 5. A static route's cached Found shares one params dict with every request.
def test_request_params_are_not_shared_between_requests() -> None:
    app = App()

    @app.get("/x")
    def x(request: Request) -> str:
        request.params["note"] = "set by this request"
        return "ok"

    client = app.test_client()
    assert client.get("/x").status_code == 200
    assert client.get("/x").status_code == 200  # 500: x() got an unexpected kwarg 'note'


# 6. An error raised by a generator before its first item bypasses the App's error
#    handling: a bare text/plain 500 instead of the 404/403 page or errorhandler.
def test_abort_in_a_generator_before_any_item_answers_with_its_status() -> None:
    app = App()

    @app.get("/g")
    def g(request: Request) -> Any:
        abort(404, "no such feed")
        yield "never"

    protocol, transport = connect(HTTPFactory(app, clock=Clock()))
    protocol.dataReceived(b"GET /g HTTP/1.1\r\nHost: a\r\n\r\n")
    [response] = parse_responses(transport.value())
    assert response.status == 404  # is 500 "500 Internal Server Error\n", text/plain


# 7. test_client: query= is glued on with a second '?' when the path has a query.
def test_test_client_merges_query_with_a_query_in_the_path() -> None:
    app = App()
    app.get("/a")(lambda request: {k: request.args.getlist(k) for k in request.args})
    assert app.test_client().get("/a?x=1", query={"y": "2"}).json() == {"x": ["1"], "y": ["2"]}


# 8. (body, "201 Created"): the message is an unpacking error, not a ReturnValueError.
def test_a_tuple_with_a_string_status_is_a_clear_error() -> None:
    from twisted.logger import globalLogPublisher

    failures: list[Any] = []

    def observe(event: dict[str, Any]) -> None:
        if event.get("log_failure") is not None:
            failures.append(event["log_failure"].value)

    globalLogPublisher.addObserver(observe)
    try:
        app = App()
        app.get("/a")(lambda request: ("x", "201 Created"))
        assert app.test_client().get("/a").status_code == 500
    finally:
        globalLogPublisher.removeObserver(observe)
    assert "handler <lambda>" in str(failures[0])  # is "not enough values to unpack"
