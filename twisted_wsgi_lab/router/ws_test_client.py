"""``client.websocket_connect(path)``: a WebSocket session with an App, in memory.

The handshake goes through the real parser, protocol and App over the test client's
in-memory connection (a StringTransport and a Clock); after the 101 a wsproto CLIENT
connection makes and reads the frames. As in the HTTP test client, time is
simulated: while a call waits for the server, the Clock jumps to the next timer, so a
handler that sleeps on ``ws.request.clock`` answers at once. The server's pings are
answered; what the server reads is held back while it has paused reading, as a real
socket would hold it.
"""

from __future__ import annotations

import base64
import json
import os
from collections import deque
from collections.abc import Callable, Mapping, Sequence
from types import TracebackType
from typing import TYPE_CHECKING, Any
from urllib.parse import urlencode

from twisted.internet.protocol import connectionDone
from wsproto.connection import Connection, ConnectionState, ConnectionType
from wsproto.events import BytesMessage, CloseConnection, Event, Ping, Pong, TextMessage

from ..testing import parse_responses
from .headers import Headers
from .websocket import WebSocketDisconnect
from .ws_handshake import accept_token

if TYPE_CHECKING:
    from twisted.internet.testing import StringTransport

    from ..engine import HTTPProtocol
    from .test_client import TestClient, TestResponse

MAX_CLOCK_STEPS = 10_000


class WebSocketRefusedError(Exception):
    """The App answered the handshake with an HTTP response instead of a 101."""

    def __init__(self, response: TestResponse) -> None:
        super().__init__(f"WebSocket handshake refused with {response.status_code}")
        self.response = response


def open_websocket(
    client: TestClient,
    path: str,
    *,
    subprotocols: Sequence[str] = (),
    headers: Mapping[str, str] | None = None,
    query: Mapping[str, Any] | None = None,
) -> TestWebSocket:
    """Send the handshake for ``path`` and return the open session.

    Raises:
        WebSocketRefusedError: the App answered with another status (``.response``).
        RuntimeError: the handler never answered, or answered with a wrong accept token.
    """
    key = base64.b64encode(os.urandom(16)).decode("ascii")
    fields = Headers({"Host": "testserver", "Upgrade": "websocket", "Connection": "Upgrade"})
    fields["Sec-WebSocket-Key"] = key
    fields["Sec-WebSocket-Version"] = "13"
    if subprotocols:
        fields["Sec-WebSocket-Protocol"] = ", ".join(subprotocols)
    if client.cookies:
        fields["Cookie"] = "; ".join(f"{k}={v}" for k, v in client.cookies.items())
    fields.update(headers or {})
    target = path + ("?" + urlencode(query, doseq=True) if query else "")
    head = f"GET {target} HTTP/1.1\r\n"
    head += "".join(f"{name}: {value}\r\n" for name, value in fields.items())
    protocol, transport = client.connect()
    protocol.dataReceived(head.encode("latin-1") + b"\r\n")
    session = TestWebSocket(client, protocol, transport)
    session.handshake(fields.get("Sec-WebSocket-Key") or "")
    return session


class TestWebSocket:
    """One WebSocket session of the test client; use it as a context manager."""

    __test__ = False  # not a pytest test class, whatever its name

    def __init__(self, client: TestClient, protocol: HTTPProtocol, transport: StringTransport):
        self._client = client
        self._protocol = protocol
        self._transport = transport
        self._connection = Connection(ConnectionType.CLIENT)
        self._outgoing = bytearray()  # held while the server has paused reading
        self._messages: deque[str | bytes] = deque()
        self._parts: list[Any] = []
        self._pongs: list[bytes] = []
        self._lost = False
        self._open = False  # the 101 came: what the server writes now is frames
        self.headers = Headers()  # the 101's fields
        self.subprotocol: str | None = None
        self.close_code: int | None = None  # the server's close frame, once it came
        self.close_reason = ""

    # -- the handshake --------------------------------------------------------------

    def handshake(self, key: str) -> None:
        """Wait for the answer to the handshake; a 101 opens the session.

        Raises:
            WebSocketRefusedError: another status came.
        """
        self._run_until(lambda: b"\r\n\r\n" in self._transport.value(), "the handshake")
        raw = self._transport.value()
        head, found, rest = raw.partition(b"\r\n\r\n")
        if not found:
            raise RuntimeError("the server closed the connection without answering")
        status_line, *lines = head.decode("latin-1").split("\r\n")
        headers = Headers([tuple(line.split(": ", 1)) for line in lines])
        self._client._keep_cookies(headers)
        if status_line.split(" ")[1] != "101":
            raise WebSocketRefusedError(self._refusal(raw))
        if headers.get("sec-websocket-accept") != accept_token(key.encode("latin-1")):
            raise RuntimeError("the 101 carries a wrong Sec-WebSocket-Accept")
        self.headers = headers
        self.subprotocol = headers.get("sec-websocket-protocol")
        self._transport.clear()
        self._open = True
        self._receive(rest)

    def _refusal(self, raw: bytes) -> TestResponse:
        from .test_client import TestResponse

        self._disconnect()
        [response] = parse_responses(raw)
        fields = [(n.decode("latin-1"), v.decode("latin-1")) for n, v in response.headers]
        return TestResponse(response.status, Headers(fields), response.body)

    # -- sending --------------------------------------------------------------------

    def send(self, data: str | bytes) -> None:
        """Send a text (``str``) or binary (``bytes``) message."""
        message = TextMessage(data) if isinstance(data, str) else BytesMessage(data)
        self._send(message)

    def send_text(self, text: str) -> None:
        """Send a text message."""
        self._send(TextMessage(text))

    def send_bytes(self, data: bytes) -> None:
        """Send a binary message."""
        self._send(BytesMessage(data))

    def send_json(self, value: Any) -> None:
        """Send ``value`` as JSON in a text message."""
        self.send_text(json.dumps(value))

    def send_fragments(self, parts: Sequence[str] | Sequence[bytes]) -> None:
        """Send one message split into a frame per part (a fragmented message)."""
        pieces: Sequence[str | bytes] = parts
        for index, part in enumerate(pieces):
            last = index == len(parts) - 1
            if isinstance(part, str):
                self._send(TextMessage(part, message_finished=last))
            else:
                self._send(BytesMessage(part, message_finished=last))

    def ping(self, payload: bytes = b"") -> bytes:
        """Send a ping and wait for its pong; return the pong's payload."""
        self._send(Ping(payload))
        self._run_until(lambda: bool(self._pongs) or self._lost, "a pong")
        if not self._pongs:
            raise WebSocketDisconnect(self.close_code or 1006, self.close_reason)
        return self._pongs.pop(0)

    def _send(self, event: Event) -> None:
        state = self._connection.state
        closing = isinstance(event, CloseConnection) and state is ConnectionState.REMOTE_CLOSING
        if state is not ConnectionState.OPEN and not closing:
            raise WebSocketDisconnect(self.close_code or 1006, self.close_reason)
        self._outgoing += self._connection.send(event)
        self._flush()

    def _flush(self) -> None:
        if self._outgoing and not self._lost and self._transport.producerState != "paused":
            data, self._outgoing = bytes(self._outgoing), bytearray()
            self._protocol.dataReceived(data)

    # -- receiving ------------------------------------------------------------------

    def receive(self) -> str | bytes:
        """The next message from the server.

        Raises:
            WebSocketDisconnect: the server closed (its code and reason; 1006 if it cut
                the connection without a close frame).
        """
        self._run_until(lambda: bool(self._messages) or self._lost, "a message")
        if self._messages:
            return self._messages.popleft()
        raise WebSocketDisconnect(self.close_code or 1006, self.close_reason)

    def receive_text(self) -> str:
        """The next message, which must be text."""
        message = self.receive()
        if not isinstance(message, str):
            raise TypeError(f"expected a text message, got {len(message)} bytes")
        return message

    def receive_bytes(self) -> bytes:
        """The next message, which must be binary."""
        message = self.receive()
        if not isinstance(message, bytes):
            raise TypeError(f"expected a binary message, got text {message[:40]!r}")
        return message

    def receive_json(self) -> Any:
        """The next text message, parsed as JSON."""
        return json.loads(self.receive_text())

    def _receive(self, data: bytes) -> None:
        if data:
            self._connection.receive_data(data)
        for event in self._connection.events():
            if isinstance(event, TextMessage | BytesMessage):
                self._parts.append(event.data)
                if event.message_finished:
                    joiner: Any = "" if isinstance(event, TextMessage) else b""
                    self._messages.append(joiner.join(self._parts))
                    self._parts = []
            elif isinstance(event, Ping):
                if self._connection.state is ConnectionState.OPEN:
                    self._send(event.response())
            elif isinstance(event, Pong):
                self._pongs.append(bytes(event.payload))
            elif isinstance(event, CloseConnection):
                self._close_frame(event)

    def _close_frame(self, event: CloseConnection) -> None:
        if self.close_code is None:
            self.close_code, self.close_reason = int(event.code), event.reason or ""
        if self._connection.state is ConnectionState.REMOTE_CLOSING:
            self._send(event.response())  # answer the server's close

    # -- closing --------------------------------------------------------------------

    def close(self, code: int = 1000, reason: str = "") -> None:
        """Close the session and wait for the server's answer (or its connection end)."""
        if self._connection.state is ConnectionState.OPEN:
            self._send(CloseConnection(code, reason))
        if not self._lost:
            self._run_until(lambda: self._lost, "the server's close")

    def __enter__(self) -> TestWebSocket:
        return self

    def __exit__(
        self,
        kind: type[BaseException] | None,
        error: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        if self._lost:
            return
        if kind is None:
            self.close()
        else:
            self._disconnect()  # the test failed: cut, do not wait for anything

    # -- driving the in-memory connection -------------------------------------------

    def _pump(self) -> None:
        """Deliver what each side wrote; notice the server closing the connection."""
        if self._open:
            self._flush()
            data = self._transport.value()
            if data and self._connection.state is not ConnectionState.CLOSED:
                self._transport.clear()
                self._receive(data)
        if self._transport.disconnecting and not self._lost:
            self._disconnect()

    def _disconnect(self) -> None:
        if not self._lost:
            self._lost = True
            self._protocol.connectionLost(connectionDone)

    def _run_until(self, done: Callable[[], bool], what: str) -> None:
        """Deliver bytes and advance the Clock until ``done()``.

        Raises:
            RuntimeError: nothing is left to happen and ``done()`` is still false.
        """
        clock = self._client.clock
        for _ in range(MAX_CLOCK_STEPS):
            self._pump()
            if done() or self._lost:
                return
            calls = clock.getDelayedCalls()
            if not calls:
                break
            clock.advance(max(0.0, min(c.getTime() for c in calls) - clock.seconds()))
        raise RuntimeError(
            f"the WebSocket test client waited in vain for {what}: the handler waits for"
            " something the test client cannot run (a real network call or another reactor)"
        )
