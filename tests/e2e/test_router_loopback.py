"""The native App on a real port: treq streams, a client that leaves cancels, a slow
reader pauses the generator, and the same App answers as a WSGI app under wsgiref."""

from __future__ import annotations

import socket
import struct
import threading
import time
from collections.abc import Callable
from typing import Any
from wsgiref.simple_server import WSGIRequestHandler, make_server

import treq
from twisted.internet.defer import CancelledError, Deferred, ensureDeferred
from twisted.internet.task import deferLater

from twisted_wsgi_lab import App, Request

TIMEOUT = 10


def reset(sock: socket.socket) -> None:
    """Close with a reset (SO_LINGER 0): the server sees the client gone at once."""
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
    sock.close()


def wait_for(condition: Callable[[], bool], seconds: float = TIMEOUT) -> None:
    deadline = time.monotonic() + seconds
    while not condition():
        assert time.monotonic() < deadline, "timed out"
        time.sleep(0.02)


def test_an_async_generator_streams_to_treq_chunk_by_chunk(serve_handler, in_reactor) -> None:
    from twisted.internet import reactor

    app = App()

    @app.get("/ticks")
    async def ticks(request: Request) -> Any:
        async def gen() -> Any:
            for n in range(5):
                await deferLater(reactor, 0.05, lambda: None)
                yield f"tick {n}\n"

        return gen()

    port = serve_handler(app)

    async def fetch() -> tuple[int, list[bytes]]:
        response = await treq.get(f"http://127.0.0.1:{port}/ticks", persistent=False)
        pieces: list[bytes] = []
        await treq.collect(response, pieces.append)
        return response.code, pieces

    code, pieces = in_reactor(lambda: ensureDeferred(fetch()))
    assert code == 200
    assert b"".join(pieces) == b"".join(b"tick %d\n" % n for n in range(5))
    assert len(pieces) > 1  # it arrived in pieces, not at the end


def test_a_client_that_leaves_cancels_the_handler(serve_handler) -> None:
    cancelled = threading.Event()
    app = App()

    @app.get("/wait")
    async def wait(request: Request) -> str:
        try:
            await Deferred()  # never fires on its own
        except CancelledError:
            cancelled.set()
            raise
        return "unreachable"

    port = serve_handler(app)
    sock = socket.create_connection(("127.0.0.1", port), timeout=TIMEOUT)
    sock.sendall(b"GET /wait HTTP/1.1\r\nHost: a\r\n\r\n")
    time.sleep(0.1)
    reset(sock)
    assert cancelled.wait(TIMEOUT)


def test_a_slow_reader_pauses_the_generator_and_leaving_closes_it(serve_handler) -> None:
    produced = [0]
    closed = threading.Event()
    app = App()

    @app.get("/endless")
    def endless(request: Request) -> Any:
        def gen() -> Any:
            try:
                while True:
                    produced[0] += 65536
                    yield b"x" * 65536
            finally:
                closed.set()

        return gen()

    port = serve_handler(app)
    sock = socket.create_connection(("127.0.0.1", port), timeout=TIMEOUT)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 65536)
    sock.sendall(b"GET /endless HTTP/1.1\r\nHost: a\r\n\r\n")
    sock.recv(1000)  # the response has begun; now read nothing more
    wait_for(lambda: produced[0] > 0)
    time.sleep(0.5)
    settled = produced[0]
    time.sleep(0.5)
    assert produced[0] == settled  # paused: the generator is not asked for more
    assert settled < 32 * 1024 * 1024  # a few socket buffers, not an unbounded queue
    reset(sock)
    assert closed.wait(TIMEOUT)


def test_the_same_app_answers_under_a_real_wsgi_server(running_reactor) -> None:
    app = App()

    @app.get("/hello/<name>")
    async def hello(request: Request, name: str) -> dict[str, Any]:
        await deferLater(running_reactor, 0.01, lambda: None)  # a Deferred under WSGI
        return {"hello": name, "q": request.args.get("q")}

    @app.post("/echo")
    async def echo(request: Request) -> bytes:
        return await request.body()

    class Quiet(WSGIRequestHandler):
        def log_message(self, *args: Any) -> None:
            pass

    server = make_server("127.0.0.1", 0, app, handler_class=Quiet)  # App is a WSGI callable
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        import urllib.request

        base = f"http://127.0.0.1:{server.server_port}"
        with urllib.request.urlopen(f"{base}/hello/ada?q=1", timeout=TIMEOUT) as response:
            assert response.status == 200
            assert response.read() == b'{"hello":"ada","q":"1"}'
        posted = urllib.request.Request(f"{base}/echo", data=b"payload", method="POST")
        with urllib.request.urlopen(posted, timeout=TIMEOUT) as response:
            assert response.read() == b"payload"
    finally:
        server.shutdown()
        server.server_close()
        thread.join(TIMEOUT)
