"""The connection after ``101``: WebSocket frames over the transport the engine handed over.

wsproto parses and makes frames (sans-IO, the server side of RFC 6455 without its HTTP
part, which is ours); this protocol owns everything that needs a transport or a clock:

- messages are reassembled from their fragments and bounded by
  ``max_websocket_message_bytes`` (a larger one fails the connection with 1009, as the
  ``websockets`` library does, before it is held whole);
- pings are answered at once; a keep-alive ping goes out every
  ``websocket_ping_interval_seconds`` and a peer that does not answer in
  ``websocket_ping_timeout_seconds`` is closed with 1011;
- the close handshake: a peer's close is answered and the server closes TCP first
  (RFC 6455 section 7.1.1); our close waits ``websocket_close_timeout_seconds`` for
  the reply, then cuts;
- backpressure both ways: the protocol is the transport's push producer, so a full
  write buffer makes ``send_message`` wait (and ``send_timeout_seconds`` of it drops
  the peer); the reader above calls ``pause_reading`` when it holds too many messages.

What it learns it tells a ``MessageSink`` (the ``WebSocket`` a handler holds).
"""

from __future__ import annotations

import os
from collections.abc import Callable
from typing import TYPE_CHECKING, Protocol

from twisted.internet.defer import Deferred, succeed
from twisted.internet.interfaces import IDelayedCall, IPushProducer, IReactorTime
from twisted.internet.protocol import Protocol as TwistedProtocol
from twisted.internet.protocol import connectionDone
from twisted.logger import Logger
from twisted.python.failure import Failure
from wsproto.connection import Connection, ConnectionState, ConnectionType
from wsproto.events import BytesMessage, CloseConnection, Event, Ping, Pong, TextMessage
from zope.interface import implementer

if TYPE_CHECKING:
    from ..http11 import Limits

log = Logger()

_OPEN = ConnectionState.OPEN
MESSAGE_TOO_BIG = 1009
INTERNAL_ERROR = 1011


class MessageSink(Protocol):
    """Who hears what arrives: the ``WebSocket`` object a handler holds."""

    def opened(self, protocol: WebSocketProtocol) -> None:
        """The 101 went out; frames may be sent through ``protocol`` from now on."""

    def message_received(self, message: str | bytes) -> None:
        """A whole message arrived (fragments already joined)."""

    def closing(self, code: int, reason: str) -> None:
        """No more messages will come, and none may be sent; ``code`` says why."""

    def connection_lost(self, dropped: bool) -> None:
        """The transport is gone; ``dropped`` if no close frame went either way first."""


@implementer(IPushProducer)
class WebSocketProtocol(TwistedProtocol):
    """One WebSocket connection, server side, driven by a wsproto ``Connection``."""

    def __init__(self, sink: MessageSink, limits: Limits, clock: IReactorTime) -> None:
        self._sink = sink
        self._limits = limits
        self._clock = clock
        self._connection = Connection(ConnectionType.SERVER)
        self._parts: list[str | bytes | bytearray] = []  # fragments of the message being received
        self._size = 0  # their size in bytes (text counted as UTF-8)
        self._timers: dict[str, IDelayedCall] = {}  # "ping", "pong", "close", "send"
        self._ping_payload = b""
        self._drained: list[Deferred[None]] = []  # senders waiting for the buffer to drain
        self._close_waiters: list[Deferred[None]] = []
        self._writes_paused = False
        self._lost = False
        self.reading_paused = False

    # -- connection life ------------------------------------------------------------

    def connectionMade(self) -> None:
        self.transport.registerProducer(self, True)  # type: ignore[union-attr]
        self._sink.opened(self)
        self._schedule_ping()

    def dataReceived(self, data: bytes) -> None:
        connection = self._connection
        if self._lost or connection.state is ConnectionState.CLOSED:
            return  # after the close handshake: nothing more is read
        connection.receive_data(data)
        for event in connection.events():
            self._event(event)

    def connectionLost(self, reason: Failure = connectionDone) -> None:
        self._lost = True
        for name in list(self._timers):
            self._cancel(name)
        self._sink.connection_lost(dropped=self._connection.state is _OPEN)
        waiters, self._drained = self._drained + self._close_waiters, []
        self._close_waiters = []
        for waiter in waiters:
            if not waiter.called:  # a sender cancelled with its handler is left alone
                waiter.callback(None)

    # -- what the peer sent ---------------------------------------------------------

    def _event(self, event: Event) -> None:
        if isinstance(event, TextMessage | BytesMessage):
            self._message_part(event)
        elif isinstance(event, Ping):
            if self._connection.state is _OPEN:
                self._write(self._connection.send(event.response()))
        elif isinstance(event, Pong):
            self._pong(event.payload)
        elif isinstance(event, CloseConnection):
            self._close_frame(int(event.code), event.reason or "")

    def _message_part(self, event: TextMessage | BytesMessage) -> None:
        """Add one fragment; a whole message goes to the sink, an oversized one fails."""
        if self._connection.state is not _OPEN:
            return  # our close frame went out: messages after it are dropped
        data = event.data
        self._size += len(data.encode("utf-8")) if isinstance(data, str) else len(data)
        limit = self._limits.max_websocket_message_bytes
        if self._size > limit:
            self._fail(MESSAGE_TOO_BIG, f"message larger than {limit} bytes")
            return
        self._parts.append(data)
        if event.message_finished:
            parts, self._parts, self._size = self._parts, [], 0
            if isinstance(event, TextMessage):
                self._sink.message_received("".join(parts))  # type: ignore[arg-type]
            else:
                self._sink.message_received(b"".join(parts))  # type: ignore[arg-type]

    def _close_frame(self, code: int, reason: str) -> None:
        """A close frame came, or wsproto found the peer's frames broken."""
        state = self._connection.state
        if state is ConnectionState.REMOTE_CLOSING:  # the peer began: answer, close TCP
            self._write(self._connection.send(CloseConnection(code, reason).response()))
            self._sink.closing(code, reason)
            self._end()
        elif state is ConnectionState.CLOSED:  # the answer to our close
            self._sink.closing(code, reason)
            self._end()
        else:  # still OPEN: a protocol error (1002, 1007...), reported as a close
            self._fail(code, reason)

    def _fail(self, code: int, reason: str) -> None:
        """Fail the connection (RFC 6455 section 7.1.7): a close frame, then TCP closes."""
        if self._connection.state in (_OPEN, ConnectionState.REMOTE_CLOSING):
            self._write(self._connection.send(CloseConnection(code, reason)))
        self._parts, self._size = [], 0
        self._sink.closing(code, reason)
        self._end()

    def _end(self) -> None:
        """Close TCP once what was written is sent; close waiters are done."""
        for name in ("ping", "pong", "close"):
            self._cancel(name)
        waiters, self._close_waiters = self._close_waiters, []
        for waiter in waiters:
            waiter.callback(None)
        if not self._lost:
            self.transport.loseConnection()  # type: ignore[union-attr]

    # -- what the handler sends -----------------------------------------------------

    async def send_message(self, data: str | bytes) -> bool:
        """Send one message, after waiting while the peer is not reading.

        Returns False, without sending, if the connection is closing or gone.
        """
        while self._writes_paused and not self._lost:
            waiter: Deferred[None] = Deferred()
            self._drained.append(waiter)
            await waiter
        if self._lost or self._connection.state is not _OPEN:
            return False
        message = TextMessage(data) if isinstance(data, str) else BytesMessage(data)
        self._write(self._connection.send(message))
        return True

    def close(self, code: int, reason: str) -> Deferred[None]:
        """Send a close frame; the result fires on the peer's reply, or after the timeout."""
        if self._lost:
            return succeed(None)
        if self._connection.state is _OPEN:
            self._write(self._connection.send(CloseConnection(code, reason)))
            self._cancel("ping")
            self._cancel("pong")
            self.resume_reading()  # the reply must be read, whatever is still queued
            seconds = self._limits.websocket_close_timeout_seconds
            self._arm("close", seconds, self._close_timed_out)
        if self._connection.state is not ConnectionState.LOCAL_CLOSING:
            return succeed(None)  # the handshake is already complete
        waiter: Deferred[None] = Deferred()
        self._close_waiters.append(waiter)
        return waiter

    def _close_timed_out(self) -> None:
        log.info("no answer to a WebSocket close frame in time: cutting the connection")
        self.transport.abortConnection()  # type: ignore[union-attr]

    def _write(self, data: bytes) -> None:
        if data and not self._lost:
            self.transport.write(data)  # type: ignore[union-attr]

    # -- reading: paused by the reader above ----------------------------------------

    def pause_reading(self) -> None:
        """Stop reading the socket: too many messages wait for the handler."""
        if not self.reading_paused and not self._lost:
            self.reading_paused = True
            self.transport.pauseProducing()  # type: ignore[union-attr]

    def resume_reading(self) -> None:
        """Read the socket again."""
        if self.reading_paused and not self._lost:
            self.reading_paused = False
            self.transport.resumeProducing()  # type: ignore[union-attr]

    # -- IPushProducer: the transport pauses us while the peer is not reading -------

    def pauseProducing(self) -> None:
        self._writes_paused = True
        self._arm("send", self._limits.send_timeout_seconds, self._send_timed_out)

    def resumeProducing(self) -> None:
        self._writes_paused = False
        self._cancel("send")
        waiters, self._drained = self._drained, []
        for waiter in waiters:
            if not waiter.called:
                waiter.callback(None)

    def stopProducing(self) -> None:
        """The transport is going; ``connectionLost`` does the work."""

    def _send_timed_out(self) -> None:
        log.info("dropping a WebSocket peer that stopped reading (--send-timeout)")
        self.transport.abortConnection()  # type: ignore[union-attr]

    # -- keep-alive -----------------------------------------------------------------

    def _schedule_ping(self) -> None:
        interval = self._limits.websocket_ping_interval_seconds
        if interval is not None and self._connection.state is _OPEN:
            self._arm("ping", interval, self._send_ping)

    def _send_ping(self) -> None:
        self._ping_payload = os.urandom(4)
        self._write(self._connection.send(Ping(self._ping_payload)))
        self._arm("pong", self._limits.websocket_ping_timeout_seconds, self._pong_overdue)

    def _pong(self, payload: bytes) -> None:
        if "pong" in self._timers and payload == self._ping_payload:
            self._cancel("pong")
            self._schedule_ping()

    def _pong_overdue(self) -> None:
        if self.reading_paused:  # the pong may be waiting in the socket we stopped reading
            self._arm("pong", self._limits.websocket_ping_timeout_seconds, self._pong_overdue)
            return
        log.info("a WebSocket peer did not answer a keep-alive ping in time: closing")
        self._fail(INTERNAL_ERROR, "keep-alive ping timed out")

    # -- timers ---------------------------------------------------------------------

    def _arm(self, name: str, seconds: float, function: Callable[[], None]) -> None:
        self._cancel(name)
        self._timers[name] = self._clock.callLater(seconds, self._fire, name, function)

    def _fire(self, name: str, function: Callable[[], None]) -> None:
        self._timers.pop(name, None)
        function()

    def _cancel(self, name: str) -> None:
        call = self._timers.pop(name, None)
        if call is not None and call.active():
            call.cancel()
