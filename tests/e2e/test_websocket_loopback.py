"""WebSocket routes on a real port, against the ``websockets`` client library.

The client is asyncio-based: each test runs it with ``asyncio.run`` in the test's own
thread while the Twisted reactor serves the App in its thread (``running_reactor``).
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable
from typing import Any

import pytest
from websockets.asyncio.client import connect
from websockets.exceptions import ConnectionClosed

from twisted_wsgi_lab import App, WebSocket, WebSocketDisconnect

TIMEOUT = 10
MIB = 1024 * 1024


@pytest.fixture
def serve_app(serve_handler: Callable[..., int]) -> Callable[..., str]:
    """serve_app(app, **limits) -> the ws:// URL of the App on 127.0.0.1."""

    def start(app: App, **limits: Any) -> str:
        return f"ws://127.0.0.1:{serve_handler(app, **limits)}"

    return start


def run(coroutine: Any) -> Any:
    return asyncio.run(asyncio.wait_for(coroutine, TIMEOUT))


def echo_app() -> App:
    app = App()

    @app.websocket("/echo")
    async def echo(ws: WebSocket) -> None:
        await ws.accept(subprotocol="echo" if "echo" in ws.subprotocols else None)
        async for message in ws:
            await ws.send(message)

    return app


def test_text_and_bytes_echo_through_a_real_client(serve_app) -> None:
    url = serve_app(echo_app())

    async def talk() -> tuple[Any, ...]:
        async with connect(url + "/echo", subprotocols=["echo"]) as ws:  # type: ignore[list-item]
            await ws.send("hello")
            text = await ws.recv()
            await ws.send(b"\x00\x01")
            data = await ws.recv()
            pong = await asyncio.wait_for(await ws.ping(b"p"), TIMEOUT)
            return text, data, ws.subprotocol, pong

    text, data, subprotocol, pong = run(talk())
    assert (text, data, subprotocol) == ("hello", b"\x00\x01", "echo")
    assert pong is not None  # the latency the client measured


def test_a_message_near_the_limit_is_echoed_and_one_past_it_closes_1009(serve_app) -> None:
    url = serve_app(echo_app(), max_websocket_message_bytes=MIB)

    async def talk() -> tuple[int, int]:
        async with connect(url + "/echo", max_size=2 * MIB) as ws:
            await ws.send(b"x" * (MIB - 10))
            echoed = await ws.recv()
            await ws.send(b"y" * (MIB + 1))
            try:
                await ws.recv()
            except ConnectionClosed as closed:
                assert closed.rcvd is not None
                return len(echoed), closed.rcvd.code
        raise AssertionError("the server did not close")

    assert run(talk()) == (MIB - 10, 1009)


def test_close_codes_go_both_ways(serve_app) -> None:
    seen: list[tuple[int, str]] = []
    app = App()

    @app.websocket("/server-closes")
    async def server_closes(ws: WebSocket) -> None:
        await ws.accept()
        await ws.close(4000, "bye")

    @app.websocket("/client-closes")
    async def client_closes(ws: WebSocket) -> None:
        await ws.accept()
        try:
            await ws.receive()
        except WebSocketDisconnect as error:
            seen.append((error.code, error.reason))

    @app.websocket("/fails")
    async def fails(ws: WebSocket) -> None:
        await ws.accept()
        raise ValueError("bug")

    url = serve_app(app)

    async def closed_code(path: str) -> tuple[int, str]:
        async with connect(url + path) as ws:
            try:
                await ws.recv()
            except ConnectionClosed as closed:
                assert closed.rcvd is not None
                return closed.rcvd.code, closed.rcvd.reason
        raise AssertionError("not closed")

    async def client_close() -> None:
        async with connect(url + "/client-closes") as ws:
            await ws.close(4001, "leaving")

    assert run(closed_code("/server-closes")) == (4000, "bye")
    assert run(closed_code("/fails"))[0] == 1011
    run(client_close())
    deadline = time.monotonic() + TIMEOUT
    while not seen and time.monotonic() < deadline:
        time.sleep(0.01)
    assert seen == [(4001, "leaving")]


def test_a_refused_handshake_is_an_http_status_for_the_client(serve_app) -> None:
    app = App()

    @app.websocket("/nope")
    async def nope(ws: WebSocket) -> None:
        return None

    url = serve_app(app)

    async def attempt() -> int:
        from websockets.exceptions import InvalidStatus

        try:
            async with connect(url + "/nope"):
                pass
        except InvalidStatus as error:
            return error.response.status_code
        raise AssertionError("accepted")

    assert run(attempt()) == 403


def test_a_slow_reader_makes_send_wait_instead_of_buffering(serve_app) -> None:
    """The server sends 64 messages of 512 KiB to a client that does not read at first:
    the handler's send() must block once the socket and transport buffers are full."""
    count, size = 64, 512 * 1024
    sent: list[float] = []  # when each send() returned
    app = App()

    @app.websocket("/flood")
    async def flood(ws: WebSocket) -> None:
        await ws.accept()
        for _ in range(count):
            await ws.send(b"z" * size)
            sent.append(time.monotonic())

    url = serve_app(app)

    async def slow_reader() -> tuple[int, int, int]:
        async with connect(url + "/flood", max_size=MIB, max_queue=1) as ws:
            await asyncio.sleep(0.5)
            stalled_at = len(sent)
            await asyncio.sleep(0.5)
            still = len(sent)
            received = 0
            for _ in range(count):
                received += len(await ws.recv())
            return stalled_at, still, received

    stalled_at, still, received = run(slow_reader())
    assert received == count * size
    assert stalled_at == still < count  # send() waited while the client read nothing
    assert still * size < 24 * MIB  # bounded by socket buffers, not by the 32 MiB sent
