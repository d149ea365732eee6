"""``WebSocket``: what a WebSocket handler holds, from the handshake to the close.

The handler decides the HTTP answer: ``await ws.accept()`` sends the 101 (as an
``AcceptResponse``, so middleware and after-request hooks see it and may add fields
such as cookies), ``await ws.close()`` before accepting answers 403, and so does
returning without accepting. After the 101, messages flow through the
``WebSocketProtocol``; this object queues what arrives until the handler asks for it,
and stops reading the socket while ``MAX_QUEUED_MESSAGES`` wait (so a slow handler
slows the peer instead of growing memory). Its life walks ``WebSocketState``.
"""

from __future__ import annotations

import enum
from collections import deque
from typing import TYPE_CHECKING

from twisted.internet.defer import CancelledError, Deferred
from twisted.logger import Logger
from twisted.python.failure import Failure

from .errors import HTTPError
from .response import Response
from .ws_handshake import Handshake, accept_fields
from .ws_protocol import INTERNAL_ERROR, WebSocketProtocol

if TYPE_CHECKING:
    from ..engine import Exchange
    from .request import Request

log = Logger()

# Messages held for a handler that does not read them; past this, reading pauses.
MAX_QUEUED_MESSAGES = 16
# Close codes that end ``async for message in ws`` quietly (1005: a close with no code).
NORMAL_CLOSE_CODES = frozenset({1000, 1001, 1005})
# RFC 6455 section 7.4: codes an endpoint may send; 1004-1006 and 1015 never go out.
_SENDABLE_CODES = frozenset({1000, 1001, 1002, 1003, *range(1007, 1015), *range(3000, 5000)})
ABNORMAL_CLOSURE = 1006


class WebSocketDisconnect(Exception):  # noqa: N818 (the name users know from Starlette)
    """The peer closed the WebSocket (or it was closed): ``code`` and ``reason`` say how.

    ``code`` is 1006 when the connection ended without a close frame.
    """

    def __init__(self, code: int = 1000, reason: str = "") -> None:
        super().__init__(f"WebSocket closed with code {code}" + (f": {reason}" if reason else ""))
        self.code = code
        self.reason = reason


class WebSocketState(enum.Enum):
    """Where a WebSocket is, as its handler sees it."""

    CONNECTING = enum.auto()  # the handshake arrived; the handler has not decided
    ACCEPTING = enum.auto()  # accept() was called; the 101 is on its way
    OPEN = enum.auto()  # the 101 went out: messages flow both ways
    CLOSING = enum.auto()  # a close frame went one way: queued messages may still be read
    CLOSED = enum.auto()  # the connection is gone
    REFUSED = enum.auto()  # answered with an HTTP error instead of a 101


_S = WebSocketState

# (state, action) -> next state; a step not listed is a bug in the caller, raised loudly.
TRANSITIONS: dict[tuple[WebSocketState, str], WebSocketState] = {
    (_S.CONNECTING, "accept"): _S.ACCEPTING,
    (_S.CONNECTING, "refuse"): _S.REFUSED,
    (_S.ACCEPTING, "refuse"): _S.REFUSED,  # the 101 could not be sent
    (_S.ACCEPTING, "open"): _S.OPEN,
    (_S.OPEN, "close"): _S.CLOSING,
    (_S.CLOSING, "close"): _S.CLOSING,
    (_S.CLOSED, "close"): _S.CLOSED,
    (_S.CONNECTING, "lost"): _S.CLOSED,
    (_S.ACCEPTING, "lost"): _S.CLOSED,
    (_S.OPEN, "lost"): _S.CLOSED,
    (_S.CLOSING, "lost"): _S.CLOSED,
    (_S.CLOSED, "lost"): _S.CLOSED,
    (_S.REFUSED, "lost"): _S.REFUSED,
}


def advance(state: WebSocketState, action: str) -> WebSocketState:
    """The state after ``action``.

    Raises:
        RuntimeError: the table has no such step (accept twice, send before accept...).
    """
    try:
        return TRANSITIONS[state, action]
    except KeyError:
        raise RuntimeError(f"cannot {action} a WebSocket that is {state.name}") from None


class WebSocket:
    """One WebSocket, as its handler sees it: ``accept``, ``receive``, ``send``, ``close``."""

    def __init__(self, request: Request, handshake: Handshake, answer: Deferred[Response]) -> None:
        self.request = request
        self.subprotocols = handshake.subprotocols  # what the client offered, in its order
        self.subprotocol: str | None = None  # what accept() chose
        self.state = _S.CONNECTING
        self._handshake = handshake
        self._answer = answer  # fires with the HTTP answer: the 101, or an error
        self._handler: Deferred[object] | None = None  # the running handler, to cancel
        self._opened: Deferred[None] | None = None
        self._protocol: WebSocketProtocol | None = None
        self._messages: deque[str | bytes] = deque()
        self._receiver: Deferred[None] | None = None
        self._disconnect: WebSocketDisconnect | None = None

    def __repr__(self) -> str:
        return f"<WebSocket {self.request.path} {self.state.name}>"

    # -- the handshake --------------------------------------------------------------

    async def accept(self, subprotocol: str | None = None) -> None:
        """Send the 101; from its return on, messages flow.

        Raises:
            ValueError: ``subprotocol`` is not one the client offered.
            RuntimeError: accepted twice, or after closing.
            WebSocketDisconnect: the 101 could not be sent (1006).
        """
        if subprotocol is not None and subprotocol not in self.subprotocols:
            raise ValueError(f"subprotocol {subprotocol!r} was not offered: {self.subprotocols}")
        self.state = advance(self.state, "accept")
        self.subprotocol = subprotocol
        opened: Deferred[None] = Deferred()
        self._opened = opened
        self._answer.callback(AcceptResponse(self, accept_fields(self._handshake, subprotocol)))
        if not opened.called and self.request.exchange.finished:
            self.refused()  # a middleware or hook answered with another response
        await opened

    def refuse(self, failure: Failure) -> None:
        """Answer the handshake with the error page for ``failure`` instead of a 101."""
        if not self._answer.called:
            self.state = advance(self.state, "refuse")
            self._answer.errback(failure)

    def refused(self) -> None:
        """From the sender: the 101 did not go out."""
        self.state = advance(self.state, "refuse")
        opened, self._opened = self._opened, None
        if opened is not None and not opened.called:
            opened.errback(WebSocketDisconnect(ABNORMAL_CLOSURE, "the 101 was not sent"))

    def switched(self) -> None:
        """From the sender: the 101 is out; the handler's ``accept()`` returns."""
        opened, self._opened = self._opened, None
        if opened is not None and not opened.called:
            opened.callback(None)

    # -- messages -------------------------------------------------------------------

    async def receive(self) -> str | bytes:
        """The next message: ``str`` for a text message, ``bytes`` for a binary one.

        Raises:
            WebSocketDisconnect: the peer closed (its code and reason), or the
                connection closed (1006 if without a close frame).
            RuntimeError: before ``accept()``, or while another ``receive()`` waits.
        """
        if self.state in (_S.CONNECTING, _S.ACCEPTING, _S.REFUSED):
            raise RuntimeError(f"accept() the WebSocket before receiving ({self.state.name})")
        while not self._messages:
            if self._disconnect is not None:
                raise WebSocketDisconnect(self._disconnect.code, self._disconnect.reason)
            if self._receiver is not None:
                raise RuntimeError("another receive() is already waiting on this WebSocket")
            self._receiver = Deferred()
            try:
                await self._receiver
            finally:
                self._receiver = None
        message = self._messages.popleft()
        protocol = self._protocol
        if protocol is not None and len(self._messages) <= MAX_QUEUED_MESSAGES // 2:
            protocol.resume_reading()
        return message

    async def send(self, data: str | bytes) -> None:
        """Send a text (``str``) or binary (``bytes``) message.

        Waits while the peer is not reading (the transport's buffer is full).

        Raises:
            TypeError: ``data`` is neither str nor bytes.
            WebSocketDisconnect: the WebSocket is closing or closed.
            RuntimeError: before ``accept()``.
        """
        if not isinstance(data, str | bytes):
            raise TypeError(f"send() takes str or bytes, not {type(data).__name__}")
        if self.state in (_S.CONNECTING, _S.ACCEPTING, _S.REFUSED):
            raise RuntimeError(f"accept() the WebSocket before sending ({self.state.name})")
        protocol = self._protocol
        if self.state is not _S.OPEN or protocol is None or not await protocol.send_message(data):
            raise self._closed_error()

    async def close(self, code: int = 1000, reason: str = "") -> None:
        """Close: waits for the peer's close frame, or the close timeout.

        Before ``accept()``, the handshake is answered with 403 instead.

        Raises:
            ValueError: a code that may not be sent, or a reason over 123 bytes.
        """
        if code not in _SENDABLE_CODES or len(reason.encode("utf-8")) > 123:
            raise ValueError(f"close code {code} or reason {reason!r} cannot be sent")
        if self.state is _S.CONNECTING:
            self.refuse(Failure(HTTPError(403, "the WebSocket was closed before accept()")))
            return
        if self.state is _S.REFUSED:
            return
        self.state = advance(self.state, "close")
        if self._protocol is not None:
            await self._protocol.close(code, reason)

    def __aiter__(self) -> WebSocket:
        return self

    async def __anext__(self) -> str | bytes:
        """``async for message in ws``: ends on a normal close (1000, 1001, no code)."""
        try:
            return await self.receive()
        except WebSocketDisconnect as error:
            if error.code in NORMAL_CLOSE_CODES:
                raise StopAsyncIteration from None
            raise

    def _closed_error(self) -> WebSocketDisconnect:
        gone = self._disconnect
        if gone is None:
            return WebSocketDisconnect(ABNORMAL_CLOSURE, "the WebSocket is closing")
        return WebSocketDisconnect(gone.code, gone.reason)

    # -- the MessageSink, for the protocol ------------------------------------------

    def opened(self, protocol: WebSocketProtocol) -> None:
        self._protocol = protocol
        self.state = advance(self.state, "open")

    def message_received(self, message: str | bytes) -> None:
        self._messages.append(message)
        if len(self._messages) >= MAX_QUEUED_MESSAGES and self._protocol is not None:
            self._protocol.pause_reading()
        self._wake()

    def closing(self, code: int, reason: str) -> None:
        if self._disconnect is None:
            self._disconnect = WebSocketDisconnect(code, reason)
        if self.state is _S.OPEN:
            self.state = advance(self.state, "close")
        self._wake()

    def connection_lost(self, dropped: bool) -> None:
        if self._disconnect is None:
            self._disconnect = WebSocketDisconnect(ABNORMAL_CLOSURE, "")
        self.state = advance(self.state, "lost")
        if dropped:
            self.cancel_handler()  # CancelledError at the handler's current await
        self._wake()

    def _wake(self) -> None:
        receiver = self._receiver
        if receiver is not None and not receiver.called:
            receiver.callback(None)

    # -- the handler's life, for the route ------------------------------------------

    def run(self, handler: Deferred[object]) -> None:
        """Remember the running handler, so a dropped connection can cancel it."""
        self._handler = handler

    def cancel_handler(self) -> None:
        """Cancel the handler, if it is still running."""
        handler = self._handler
        if handler is not None and not handler.called:
            handler.cancel()

    def handler_ended(self, result: object) -> None:
        """After the 101: close 1000 when the handler returns, 1011 when it raises."""
        failed = isinstance(result, Failure) and not result.check(
            CancelledError, WebSocketDisconnect
        )
        if failed:
            log.failure(
                "WebSocket handler failed on {path}",
                failure=result,  # type: ignore[arg-type]
                path=self.request.path,
            )
        if self.state is _S.OPEN and self._protocol is not None:
            self.state = advance(self.state, "close")
            self._protocol.close(INTERNAL_ERROR if failed else 1000, "")


class AcceptResponse(Response):
    """The 101 that opens a WebSocket; sending it hands the connection over."""

    def __init__(self, websocket: WebSocket, fields: dict[str, str]) -> None:
        super().__init__(b"", 101, fields)
        self.content_type = None
        self.websocket = websocket

    def switch(self, exchange: Exchange) -> None:
        """Answer 101 with this response's fields and start the WebSocket protocol.

        Raises:
            ResponseHeaderError: a field cannot be sent; the WebSocket is refused.
        """
        websocket = self.websocket
        protocol = WebSocketProtocol(websocket, exchange.limits, exchange.clock)
        try:
            exchange.switch_protocols(self.headers.to_wire(), protocol)
        except Exception:
            websocket.refused()
            raise
        websocket.switched()
