"""WebSocket routes of the native App, through the test client and a raw in-memory
connection: the handshake's HTTP answers, messages, the close handshake, limits,
keep-alive and backpressure."""

from __future__ import annotations

import base64
from typing import Any

import pytest
from twisted.internet.defer import CancelledError, Deferred
from twisted.internet.task import Clock
from wsproto.connection import Connection, ConnectionType
from wsproto.events import BytesMessage, CloseConnection, Ping, TextMessage

from twisted_wsgi_lab import App, HTTPFactory, Limits, WebSocket, WebSocketDisconnect
from twisted_wsgi_lab.router.websocket import (
    MAX_QUEUED_MESSAGES,
    TRANSITIONS,
    WebSocketState,
    advance,
)
from twisted_wsgi_lab.router.ws_handshake import accept_token
from twisted_wsgi_lab.router.ws_test_client import WebSocketRefusedError
from twisted_wsgi_lab.testing import connect


def echo_app() -> App:
    app = App()

    @app.websocket("/echo")
    async def echo(ws: WebSocket) -> None:
        await ws.accept()
        async for message in ws:
            await ws.send(message)

    return app


def refused(client: Any, path: str, **kwargs: Any) -> Any:
    with pytest.raises(WebSocketRefusedError) as info:
        client.websocket_connect(path, **kwargs)
    return info.value.response


# -- messages ------------------------------------------------------------------------


def test_text_and_bytes_are_echoed_with_their_type() -> None:
    with echo_app().test_client().websocket_connect("/echo") as ws:
        ws.send_text("héllo")
        assert ws.receive_text() == "héllo"
        ws.send_bytes(b"\x00\xff")
        assert ws.receive_bytes() == b"\x00\xff"
        ws.send_json({"n": 1})
        assert ws.receive_json() == {"n": 1}


def test_a_fragmented_message_arrives_whole() -> None:
    with echo_app().test_client().websocket_connect("/echo") as ws:
        ws.send_fragments(["frag", "men", "ted"])
        assert ws.receive() == "fragmented"
        ws.send_fragments([b"\x01", b"\x02"])
        assert ws.receive() == b"\x01\x02"


def test_a_ping_is_answered_with_a_pong_of_the_same_payload() -> None:
    with echo_app().test_client().websocket_connect("/echo") as ws:
        assert ws.ping(b"are you there") == b"are you there"


def test_route_parameters_and_the_request_reach_the_handler() -> None:
    app = App()

    @app.websocket("/rooms/<int:room>")
    async def room(ws: WebSocket, room: int) -> None:
        await ws.accept()
        await ws.send(f"{room} {ws.request.args.get('who')} {ws.request.path}")

    with app.test_client().websocket_connect("/rooms/7", query={"who": "ada"}) as ws:
        assert ws.receive_text() == "7 ada /rooms/7"


# -- subprotocols ----------------------------------------------------------------------


def test_the_handler_chooses_one_of_the_offered_subprotocols() -> None:
    app = App()

    @app.websocket("/ws")
    async def handler(ws: WebSocket) -> None:
        await ws.accept(subprotocol="chat.v2" if "chat.v2" in ws.subprotocols else None)
        await ws.send(repr(ws.subprotocols))

    client = app.test_client()
    with client.websocket_connect("/ws", subprotocols=["chat.v1", "chat.v2"]) as ws:
        assert ws.subprotocol == "chat.v2"
        assert ws.headers["Sec-WebSocket-Protocol"] == "chat.v2"
        assert ws.receive_text() == "('chat.v1', 'chat.v2')"
    with client.websocket_connect("/ws") as ws:
        assert ws.subprotocol is None
        assert "Sec-WebSocket-Protocol" not in ws.headers


def test_accepting_a_subprotocol_the_client_did_not_offer_is_a_500() -> None:
    app = App()

    @app.websocket("/ws")
    async def handler(ws: WebSocket) -> None:
        await ws.accept(subprotocol="mqtt")

    assert refused(app.test_client(), "/ws", subprotocols=["chat"]).status_code == 500


# -- closing ---------------------------------------------------------------------------


def test_receive_after_the_client_closes_raises_with_its_code_and_reason() -> None:
    seen: list[tuple[int, str]] = []
    app = App()

    @app.websocket("/ws")
    async def handler(ws: WebSocket) -> None:
        await ws.accept()
        try:
            await ws.receive()
        except WebSocketDisconnect as error:
            seen.append((error.code, error.reason))
            raise

    with app.test_client().websocket_connect("/ws") as ws:
        ws.close(4001, "done here")
    assert seen == [(4001, "done here")]


def test_the_server_closes_with_its_code_and_reason() -> None:
    app = App()

    @app.websocket("/ws")
    async def handler(ws: WebSocket) -> None:
        await ws.accept()
        await ws.send("bye soon")
        await ws.close(4000, "go away")

    with app.test_client().websocket_connect("/ws") as ws:
        assert ws.receive_text() == "bye soon"
        with pytest.raises(WebSocketDisconnect) as info:
            ws.receive()
    assert (info.value.code, info.value.reason) == (4000, "go away")


def test_async_for_ends_on_a_normal_close_and_the_handler_returns() -> None:
    done: list[list[str | bytes]] = []
    app = App()

    @app.websocket("/ws")
    async def handler(ws: WebSocket) -> None:
        await ws.accept()
        done.append([message async for message in ws])

    with app.test_client().websocket_connect("/ws") as ws:
        ws.send_text("a")
        ws.send_bytes(b"b")
    assert done == [["a", b"b"]]


def test_a_handler_that_returns_closes_with_1000() -> None:
    app = App()

    @app.websocket("/ws")
    async def handler(ws: WebSocket) -> None:
        await ws.accept()

    with app.test_client().websocket_connect("/ws") as ws, pytest.raises(WebSocketDisconnect):
        ws.receive()
    assert ws.close_code == 1000


def test_a_handler_that_raises_after_accepting_closes_with_1011() -> None:
    app = App()

    @app.websocket("/ws")
    async def handler(ws: WebSocket) -> None:
        await ws.accept()
        raise ZeroDivisionError("oops")

    with app.test_client().websocket_connect("/ws") as ws:
        with pytest.raises(WebSocketDisconnect) as info:
            ws.receive()
        assert info.value.code == 1011


def test_a_message_over_the_limit_closes_with_1009() -> None:
    app = echo_app()
    client = app.test_client()
    client.factory = HTTPFactory(
        app, clock=client.clock, limits=Limits(max_websocket_message_bytes=1000)
    )
    with client.websocket_connect("/echo") as ws:
        ws.send_bytes(b"x" * 1000)  # at the limit: fine
        assert len(ws.receive_bytes()) == 1000
        ws.send_fragments(["é" * 300, "é" * 300])  # 1200 bytes of UTF-8 in 600 characters
        with pytest.raises(WebSocketDisconnect) as info:
            ws.receive()
    assert info.value.code == 1009


def test_the_default_message_limit_is_one_mebibyte() -> None:
    assert Limits().max_websocket_message_bytes == 1024 * 1024
    with echo_app().test_client().websocket_connect("/echo") as ws:
        ws.send_bytes(b"x" * (1024 * 1024))
        assert len(ws.receive_bytes()) == 1024 * 1024
        ws.send_bytes(b"x" * (1024 * 1024 + 1))
        with pytest.raises(WebSocketDisconnect) as info:
            ws.receive()
    assert info.value.code == 1009


# -- the HTTP answers of the handshake --------------------------------------------------


def test_a_plain_get_gets_426_naming_websocket() -> None:
    response = echo_app().test_client().get("/echo")
    assert response.status_code == 426
    assert response.headers["Upgrade"] == "websocket"


def test_other_methods_get_405() -> None:
    assert echo_app().test_client().post("/echo").status_code == 405


@pytest.mark.parametrize(
    "key", ["", "not base64!", base64.b64encode(b"short").decode(), "AAAA" * 8]
)
def test_a_bad_key_gets_400(key: str) -> None:
    response = refused(echo_app().test_client(), "/echo", headers={"Sec-WebSocket-Key": key})
    assert response.status_code == 400


def test_a_missing_connection_upgrade_gets_400() -> None:
    client = echo_app().test_client()
    assert refused(client, "/echo", headers={"Connection": "keep-alive"}).status_code == 400


@pytest.mark.parametrize("version", ["8", "14", "13, 8"])
def test_another_version_gets_426_naming_13(version: str) -> None:
    client = echo_app().test_client()
    response = refused(client, "/echo", headers={"Sec-WebSocket-Version": version})
    assert response.status_code == 426
    assert response.headers["Sec-WebSocket-Version"] == "13"


def test_a_handler_that_returns_without_accepting_gets_403() -> None:
    app = App()

    @app.websocket("/ws")
    async def handler(ws: WebSocket) -> None:
        return None

    @app.websocket("/closed")
    async def closed(ws: WebSocket) -> None:
        await ws.close()

    assert refused(app.test_client(), "/ws").status_code == 403
    assert refused(app.test_client(), "/closed").status_code == 403


def test_a_handler_that_raises_before_accepting_gets_500_or_its_http_error() -> None:
    app = App()

    @app.websocket("/boom")
    async def boom(ws: WebSocket) -> None:
        raise RuntimeError("before accept")

    @app.websocket("/private")
    async def private(ws: WebSocket) -> None:
        from twisted_wsgi_lab import abort

        abort(401)

    assert refused(app.test_client(), "/boom").status_code == 500
    assert refused(app.test_client(), "/private").status_code == 401


def test_the_101_passes_through_after_request_hooks() -> None:
    app = echo_app()

    @app.after_request
    def stamp(request: Any, response: Any) -> Any:
        response.headers["X-Seen"] = str(response.status)
        response.set_cookie("session", "abc")
        return response

    client = app.test_client()
    with client.websocket_connect("/echo") as ws:
        assert ws.headers["X-Seen"] == "101"
    assert client.cookies["session"] == "abc"


def test_a_websocket_handler_must_be_async() -> None:
    app = App()
    with pytest.raises(TypeError):
        app.websocket("/ws")(lambda ws: None)


# -- a raw connection: timers, backpressure, a dropped peer -----------------------------


class Raw:
    """A handshake over StringTransport, then a wsproto client reading the frames."""

    def __init__(self, app: App, wrap: Any = None, **limits: Any) -> None:
        self.clock = Clock()
        factory = HTTPFactory(app, clock=self.clock, limits=Limits(**limits))
        self.protocol, self.transport = connect(factory)
        if wrap is not None:
            wrap(self.transport)
        key = base64.b64encode(b"0123456789abcdef")
        self.protocol.dataReceived(
            b"GET /ws HTTP/1.1\r\nHost: x\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
            b"Sec-WebSocket-Version: 13\r\nSec-WebSocket-Key: " + key + b"\r\n\r\n"
        )
        head, _, rest = self.transport.value().partition(b"\r\n\r\n")
        assert head.startswith(b"HTTP/1.1 101 ")
        assert b"Sec-WebSocket-Accept: " + accept_token(key).encode() in head
        self.transport.clear()
        self.client = Connection(ConnectionType.CLIENT, trailing_data=rest)

    def send(self, event: Any) -> None:
        self.protocol.dataReceived(self.client.send(event))

    def events(self) -> list[Any]:
        self.client.receive_data(self.transport.value())
        self.transport.clear()
        return list(self.client.events())


def test_a_keepalive_ping_goes_out_and_a_silent_peer_is_closed_with_1011() -> None:
    app = App()
    app.websocket("/ws")(_idle)
    raw = Raw(app, websocket_ping_interval_seconds=5, websocket_ping_timeout_seconds=3)
    raw.clock.advance(5)
    [ping] = raw.events()
    assert isinstance(ping, Ping)
    raw.send(ping.response())  # answered: the next ping comes 5 s later
    raw.clock.advance(4.9)
    assert raw.events() == []
    raw.clock.advance(0.1)
    assert isinstance(raw.events()[0], Ping)
    raw.clock.advance(3)  # no pong this time
    [close] = raw.events()
    assert isinstance(close, CloseConnection) and close.code == 1011
    assert raw.transport.disconnecting


async def _idle(ws: WebSocket) -> None:
    await ws.accept()
    await Deferred()  # never returns by itself


def test_our_close_waits_for_the_reply_then_cuts_after_the_timeout() -> None:
    closed: list[str] = []
    app = App()

    @app.websocket("/ws")
    async def handler(ws: WebSocket) -> None:
        await ws.accept()
        await ws.close(1001, "restarting")
        closed.append("close returned")

    raw = Raw(app, websocket_close_timeout_seconds=4)
    [close] = raw.events()
    assert (close.code, close.reason) == (1001, "restarting")
    raw.clock.advance(3.9)
    assert closed == [] and not raw.transport.disconnecting
    raw.clock.advance(0.1)
    assert raw.transport.disconnecting  # abortConnection: the reply never came
    raw.protocol.connectionLost(None)  # type: ignore[arg-type]
    assert closed == ["close returned"]


def test_a_peer_that_drops_cancels_the_handler_at_its_await() -> None:
    seen: list[str] = []
    app = App()

    @app.websocket("/ws")
    async def handler(ws: WebSocket) -> None:
        await ws.accept()
        try:
            await ws.receive()
        except CancelledError:
            seen.append("cancelled")
            raise

    raw = Raw(app)
    raw.protocol.connectionLost(None)  # type: ignore[arg-type]
    assert seen == ["cancelled"]


def test_send_waits_while_the_transport_buffer_is_full() -> None:
    sent: list[int] = []
    app = App()

    @app.websocket("/ws")
    async def handler(ws: WebSocket) -> None:
        await ws.accept()
        for n in range(3):
            await ws.send(b"x" * 10)
            sent.append(n)

    wrapped: list[_PausingTransport] = []
    Raw(app, wrap=lambda transport: wrapped.append(_PausingTransport(transport)))
    [pauses] = wrapped
    assert sent == [0]  # the first write filled the buffer: the second send waits
    pauses.drain()
    assert sent == [0, 1]
    pauses.drain()
    assert sent == [0, 1, 2]


class _PausingTransport:
    """Pause the registered producer after each WebSocket frame, as a full buffer would."""

    def __init__(self, transport: Any) -> None:
        self.transport = transport
        write = transport.write

        def paused_write(data: bytes) -> None:
            write(data)
            if not data.startswith(b"HTTP/1.1") and transport.producer is not None:
                transport.producer.pauseProducing()

        transport.write = paused_write

    def drain(self) -> None:
        self.transport.producer.resumeProducing()


def test_a_peer_not_reading_for_the_send_timeout_is_dropped() -> None:
    app = App()
    app.websocket("/ws")(_idle)
    raw = Raw(app, send_timeout_seconds=7)
    raw.transport.producer.pauseProducing()
    raw.clock.advance(7)
    assert raw.transport.disconnecting


def test_reading_pauses_while_too_many_messages_wait_for_the_handler() -> None:
    go: Deferred[None] = Deferred()
    got: list[str | bytes] = []
    app = App()

    @app.websocket("/ws")
    async def handler(ws: WebSocket) -> None:
        await ws.accept()
        await go
        async for message in ws:
            got.append(message)

    raw = Raw(app)
    for n in range(MAX_QUEUED_MESSAGES - 1):
        raw.send(TextMessage(str(n)))
    assert raw.transport.producerState == "producing"
    raw.send(TextMessage("last"))
    assert raw.transport.producerState == "paused"
    go.callback(None)
    assert raw.transport.producerState == "producing"
    assert len(got) == MAX_QUEUED_MESSAGES


def test_a_broken_frame_fails_the_connection_with_1002() -> None:
    app = App()
    app.websocket("/ws")(_idle)
    raw = Raw(app)
    raw.protocol.dataReceived(b"\x8f\x80\x00\x00\x00\x00")  # opcode 0xF is reserved
    [close] = raw.events()
    assert close.code == 1002
    assert raw.transport.disconnecting


def test_messages_before_the_peer_close_are_still_read() -> None:
    got: list[Any] = []
    app = App()

    @app.websocket("/ws")
    async def handler(ws: WebSocket) -> None:
        await ws.accept()
        got.extend([await ws.receive(), await ws.receive()])
        try:
            await ws.receive()
        except WebSocketDisconnect as error:
            got.append(error.code)

    raw = Raw(app)
    raw.protocol.dataReceived(
        raw.client.send(TextMessage("one"))
        + raw.client.send(BytesMessage(b"two"))
        + raw.client.send(CloseConnection(1000))
    )
    assert got == ["one", b"two", 1000]


# -- the state table -------------------------------------------------------------------


@pytest.mark.parametrize("state", list(WebSocketState))
@pytest.mark.parametrize("action", ["accept", "refuse", "open", "close", "lost"])
def test_the_state_table_moves_as_written_and_refuses_the_rest(
    state: WebSocketState, action: str
) -> None:
    if (state, action) in TRANSITIONS:
        assert advance(state, action) is TRANSITIONS[state, action]
    else:
        with pytest.raises(RuntimeError):
            advance(state, action)


def test_send_and_receive_before_accept_are_errors() -> None:
    errors: list[str] = []
    app = App()

    @app.websocket("/ws")
    async def handler(ws: WebSocket) -> None:
        for call in (ws.receive(), ws.send("x")):
            try:
                await call
            except RuntimeError as error:
                errors.append(str(error))
        await ws.accept()

    with app.test_client().websocket_connect("/ws"):
        pass
    assert len(errors) == 2 and all("accept()" in error for error in errors)
