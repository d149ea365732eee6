"""The App on an in-memory connection: what the test client cannot show (a client that
leaves, limits checked before the handler runs)."""

from __future__ import annotations

from typing import Any

from twisted.internet.defer import CancelledError, Deferred
from twisted.internet.task import Clock

from twisted_wsgi_lab import App, HTTPFactory, Limits, Request
from twisted_wsgi_lab.testing import connect, parse_responses


def serve(app: App, **limits: Any) -> Any:
    return connect(HTTPFactory(app, limits=Limits(**limits), clock=Clock()))


def test_a_deferred_handler_is_cancelled_when_the_client_leaves() -> None:
    cancelled: list[Deferred[Any]] = []
    app = App()
    app.get("/wait")(lambda request: Deferred(cancelled.append))
    protocol, _ = serve(app)
    protocol.dataReceived(b"GET /wait HTTP/1.1\r\nHost: a\r\n\r\n")
    assert cancelled == []
    protocol.connectionLost(None)
    assert len(cancelled) == 1


def test_an_async_generator_sees_cancellation_at_its_await_when_the_client_leaves() -> None:
    seen: list[str] = []
    app = App()

    @app.get("/feed")
    async def feed(request: Request) -> Any:
        async def gen() -> Any:
            yield "first\n"
            try:
                await Deferred()  # waits for news that never comes
            except CancelledError:
                seen.append("cancelled")
                raise
            finally:
                seen.append("closed")

        return gen()

    protocol, transport = serve(app)
    protocol.dataReceived(b"GET /feed HTTP/1.1\r\nHost: a\r\n\r\n")
    assert b"first\n" in transport.value()
    protocol.connectionLost(None)
    assert seen == ["cancelled", "closed"]


def test_a_body_over_the_limit_is_413_before_the_handler_runs() -> None:
    called: list[bool] = []
    app = App()
    app.route("/upload", methods=["POST"])(lambda request: called.append(True) or "ok")
    protocol, transport = serve(app, max_body_bytes=1000)
    protocol.dataReceived(b"POST /upload HTTP/1.1\r\nHost: a\r\nContent-Length: 5000\r\n\r\n")
    [response] = parse_responses(transport.value())
    assert response.status == 413
    assert called == []


def test_405_goes_out_before_the_upload_is_read() -> None:
    app = App()
    app.get("/only-get")(lambda request: "ok")
    protocol, transport = serve(app)
    protocol.dataReceived(b"PUT /only-get HTTP/1.1\r\nHost: a\r\nContent-Length: 100000000\r\n\r\n")
    [response] = parse_responses(transport.value())
    assert response.status == 405
    assert response.header(b"allow") == b"GET, HEAD, OPTIONS"
