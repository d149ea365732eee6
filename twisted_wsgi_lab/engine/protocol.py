"""HTTPProtocol and HTTPFactory: the connection, keep-alive, pipelining and timeouts.

Bytes go into the sans-IO parser; each ``RequestHead`` becomes an ``Exchange`` queued
behind the response in flight, and each queued exchange is handed to the hosted code
only when the one before it is finished, so responses leave in request order. Reading
from the socket pauses when the queue is full, when hosted code is not taking the body
it is being sent, or after a framing error, after which nothing more is processed.
"""

from __future__ import annotations

from collections import deque
from typing import TYPE_CHECKING, Any

from twisted.internet.interfaces import (
    IDelayedCall,
    IHalfCloseableProtocol,
    IProtocolNegotiationFactory,
    IPushProducer,
    IReactorTime,
    ISSLTransport,
    ITCPTransport,
)
from twisted.internet.protocol import Factory, Protocol, connectionDone
from twisted.logger import Logger
from twisted.python.failure import Failure
from zope.interface import implementer

from .. import __version__
from ..http11 import (
    BodyData,
    EndOfMessage,
    Headers,
    Limits,
    ProtocolError,
    RequestHead,
    RequestParser,
)
from ..http11.dates import http_date
from ..http11.writer import error_response
from .exchange import Exchange

if TYPE_CHECKING:
    from twisted.internet.interfaces import IAddress

    from .interfaces import IRequestHandler

log = Logger()

# After labweb half-closed a connection, how long the client may stay silent before it
# is closed fully; data still arriving (an upload going on) restarts the wait.
LINGER_SECONDS = 2.0


class _Discard:
    """Body receiver for a request answered without reading its body."""

    def body_data(self, data: bytes) -> None:
        pass

    def body_end(self, trailers: Headers) -> None:
        pass


_DISCARD = _Discard()


@implementer(IPushProducer, IHalfCloseableProtocol)
class HTTPProtocol(Protocol):
    """One HTTP/1.1 connection: requests in, responses out, in order."""

    factory: HTTPFactory

    def __init__(self, factory: HTTPFactory) -> None:
        self.factory = factory
        self._limits = factory.limits
        self._parser = RequestParser(factory.limits)
        self._queue: deque[Exchange] = deque()  # [0] is being answered, the rest wait
        self._receiving: Exchange | None = None  # whose body the parser is reading
        self._blocks: set[str] = set()  # reasons not to parse now; reading pauses too
        self._processing = False
        self._failed: ProtocolError | None = None
        self._closing = False
        self.writes_paused = False
        self._timer: IDelayedCall | None = None
        self._send_timer: IDelayedCall | None = None  # runs while the client is not reading
        self._linger: IDelayedCall | None = None  # a half-closed connection's full close
        self._timer_kind: str | None = None
        self._deadline = 0.0
        self._request_started = 0.0
        self._timeouts = {
            "keepalive": self._limits.keepalive_timeout_seconds,
            "header": self._limits.header_timeout_seconds,
            "body": self._limits.body_timeout_seconds,
        }
        self._last_response = False  # set when shutting down: close after this response
        self._input_ended = False  # the client half-closed: no more bytes will come

    # -- connection life ------------------------------------------------------------

    def connectionMade(self) -> None:
        self.factory.connections.add(self)
        self.transport.registerProducer(self, True)  # type: ignore[union-attr]
        self._update_timer()

    def dataReceived(self, data: bytes) -> None:
        if self._closing or self._failed is not None:
            if self._linger is not None:
                self._linger.reset(LINGER_SECONDS)  # still sending: keep draining
            return
        if (
            self._limits.request_timeout_seconds is not None
            and self._receiving is None
            and not self._parser.buffered_bytes
        ):
            self._request_started = self.factory.clock.seconds()  # a new request begins
        self._parser.receive_data(data)
        if self._timer_kind == "body":
            self._arm("body")  # the body timeout counts silence, so data restarts it
        self._process()

    def readConnectionLost(self) -> None:
        """From TCP: the client sent EOF. Answer the requests that are complete, then close.

        Without this Twisted would take the EOF for a lost connection and drop a
        response still buffered (a client that does ``shutdown(SHUT_WR)``, ``nc -N``).
        """
        self._input_ended = True
        if self._closing:
            self._close_fully()
            return
        self._process()  # whatever waits for more input now closes (_update_timer)
        if self._queue and not self._closing and self._linger is None:
            # TCP cannot tell a half-close from a client that is gone. A response that
            # has not begun after LINGER_SECONDS is taken for one nobody will read (as
            # nginx's 499), so a vanished long-poll client frees its slot.
            self._linger = self.factory.clock.callLater(LINGER_SECONDS, self._eof_overdue)

    def _eof_overdue(self) -> None:
        self._linger = None
        if self._queue and not self._queue[0].response_started:
            log.info(
                "client closed its side before the response to {request} began; closing",
                request=self._queue[0].request_line,
            )
            self.close()  # connectionLost tells the hosted code

    def writeConnectionLost(self) -> None:
        """From TCP: the FIN after the response has gone; drain the client a while."""
        if not self._input_ended and self._linger is None:
            self._linger = self.factory.clock.callLater(LINGER_SECONDS, self._close_fully)

    def _close_fully(self) -> None:
        if self._linger is not None and self._linger.active():
            self._linger.cancel()
        self._linger = None
        self.transport.loseConnection()  # type: ignore[union-attr]

    def connectionLost(self, reason: Failure = connectionDone) -> None:
        self._closing = True
        self._cancel_all_timers()
        self.factory.connections.discard(self)
        exchanges = list(self._queue)
        if self._receiving is not None and self._receiving not in exchanges:
            exchanges.append(self._receiving)
        self._queue.clear()
        self._receiving = None
        for exchange in exchanges:
            exchange._connection_lost()

    def write(self, data: bytes) -> None:
        """Send bytes of the response being answered."""
        self.transport.write(data)  # type: ignore[union-attr]

    def date(self) -> bytes:
        """The Date value for a response sent now."""
        return http_date(self.factory.clock.seconds())

    def close(self) -> None:
        """Close after what was written has been sent."""
        if not self._closing:
            self._closing = True
            self._cancel_timer()
            # A producer still registered when the buffer drains would be resumed
            # instead of the connection closed (FileDescriptor.doWrite): unregister.
            self.transport.unregisterProducer()  # type: ignore[union-attr]
            if self._blocks and not self._input_ended:
                # Read again (dataReceived drops it all now): a TLS shutdown must read
                # the peer's close_notify, and an EOF must be noticed.
                self._blocks.clear()
                self.transport.resumeProducing()  # type: ignore[union-attr]
            if self._client_may_be_sending() and _can_half_close(self.transport, self):
                # RFC 9112 section 9.6: closing outright with the client still sending
                # makes the kernel answer its next bytes with a reset, which can destroy
                # the response before it is read. Send FIN after the response, read and
                # drop until the client closes too or falls silent (writeConnectionLost).
                self.transport.loseWriteConnection()  # type: ignore[union-attr]
            else:
                self.transport.loseConnection()  # type: ignore[union-attr]
            self._arm_send_timer()  # unsent bytes (and the drain) wait this long at most

    def _client_may_be_sending(self) -> bool:
        """True if part of a request (a refused head, an unread body) may still come."""
        if self._input_ended:
            return False
        return self._failed is not None or not self._parser.between_requests

    def close_when_idle(self) -> None:
        """Close now if no request is being answered, else right after the response.

        Reading goes on so a request body in flight still arrives; parsing stops at
        the next request head, which will not be answered.
        """
        if self._queue:
            self._last_response = True
        else:
            self.close()

    def abort_connection(self) -> None:
        """Give up on the connection: a response under way cannot be completed.

        What was written still goes out (the client sees a truncated response, not a
        reset); the linger timer set by ``close`` drops a client that stops reading.
        """
        self.close()

    # -- parsing --------------------------------------------------------------------

    def _process(self) -> None:
        if self._processing:
            return  # the loop below is already running further up the stack
        self._processing = True
        try:
            while not self._blocks and not self._closing:
                try:
                    event = self._parser.next_event()
                    if event is None:
                        break
                    if type(event) is RequestHead:
                        self._request_head(event)
                    elif type(event) is BodyData:
                        self._body_data(event.data)
                    else:
                        self._end_of_message(event.trailers)  # type: ignore[union-attr]
                except ProtocolError as error:
                    self._protocol_error(error)
        finally:
            self._processing = False
        self._update_timer()

    def _request_head(self, head: RequestHead) -> None:
        if self._last_response:
            self._block("shutdown")  # the connection closes after the response under way
            return
        if head.method == b"CONNECT":
            raise ProtocolError("CONNECT is not supported", status=501)
        exchange = Exchange(self, head)
        self._queue.append(exchange)
        self._receiving = exchange
        if not head.has_body:  # its EndOfMessage is due at once: the handler sees it done
            end = self._parser.next_event()
            assert type(end) is EndOfMessage
            self._end_of_message(end.trailers)
        if len(self._queue) == 1:
            self._start(exchange)
        elif len(self._queue) > self._limits.max_pipelined_requests:
            self._block("pipeline")

    def _body_data(self, data: bytes) -> None:
        exchange = self._receiving
        assert exchange is not None
        exchange._body_data(data)
        if not exchange.wants_body:
            self._block("body")

    def _end_of_message(self, trailers: Headers) -> None:
        exchange = self._receiving
        assert exchange is not None
        self._receiving = None
        if not exchange.head.keep_alive:
            self._block("last request")  # nothing after a request that asked to close
        exchange._body_end(trailers)

    def body_wanted(self, exchange: Exchange) -> None:
        """From an exchange: its hosted code takes body data again."""
        if exchange is self._receiving or exchange.body_complete:
            self._unblock("body")
            if not exchange.body_complete:
                self._update_timer()  # a body now awaited is timed even if no byte comes

    def _protocol_error(self, error: ProtocolError) -> None:
        """Answer ``error`` after the complete requests before it, then close."""
        self._failed = error
        self._block("failed")
        broken = self._receiving
        self._receiving = None
        if broken is not None and broken in self._queue:
            if broken is self._queue[0] and broken.response_started:
                self.abort_connection()
                return
            self._queue.remove(broken)
            broken._connection_lost()
        if not self._queue:
            self._send_error(error)

    def _send_error(self, error: ProtocolError) -> None:
        log.debug("refused request: {status} {error}", status=error.status, error=str(error))
        self.write(
            error_response(
                error.status, str(error), server=self.factory.server_header, date=self.date()
            )
        )
        self.close()

    # -- answering ------------------------------------------------------------------

    def _start(self, exchange: Exchange) -> None:
        try:
            self.factory.handler.handle(exchange)
        except Exception:
            log.failure("request handler failed for {request}", request=exchange.request_line)
            self.abort_connection()

    def exchange_finished(self, exchange: Exchange) -> None:
        """From an exchange: its response is complete; answer the next request."""
        queue = self._queue
        if not queue or queue[0] is not exchange:
            return
        queue.popleft()
        if self._closing:
            return  # closed or dropped meanwhile (a send timeout): start nothing more
        if not exchange.keep_alive or self._last_response:
            self.close()
        elif not exchange.body_complete:
            # The parser is still inside this body, so nothing is queued behind it.
            if exchange.head.expects_continue and not exchange.continue_sent:
                self.close()  # the client may or may not send the body now: close
                return
            # Read and drop the rest; parsing resumes from here, and the next head it
            # finds starts at once because the queue is empty.
            exchange.receive_body(_DISCARD)
            self._update_timer()
        elif queue:
            # Start the next exchange before reading further: parsing may run (and even
            # fail) inside _unblock, and must find the queue as it is.
            self._start(queue[0])
            if len(queue) <= self._limits.max_pipelined_requests:
                self._unblock("pipeline")
        elif self._failed is not None:
            self._send_error(self._failed)
        else:
            self._unblock("pipeline")
            self._update_timer()

    # -- flow control ---------------------------------------------------------------

    def _block(self, reason: str) -> None:
        if not self._blocks:
            self.transport.pauseProducing()  # type: ignore[union-attr]
        self._blocks.add(reason)

    def _unblock(self, reason: str) -> None:
        if reason not in self._blocks:
            return
        self._blocks.discard(reason)
        if not self._blocks and not self._closing:
            self.transport.resumeProducing()  # type: ignore[union-attr]
            self._process()

    def pauseProducing(self) -> None:
        """From the transport: its write buffer is full; pause the response source."""
        self.writes_paused = True
        if not self._closing:
            self._arm_send_timer()
        producer = self._queue[0].producer if self._queue else None
        if producer is not None:
            producer.pauseProducing()

    def resumeProducing(self) -> None:
        """From the transport: the write buffer drained."""
        self.writes_paused = False
        self._cancel_send_timer()
        producer = self._queue[0].producer if self._queue else None
        if producer is not None:
            producer.resumeProducing()

    def stopProducing(self) -> None:
        """From the transport: the connection is going; connectionLost does the work."""

    # -- timeouts -------------------------------------------------------------------

    def _update_timer(self) -> None:
        """Arm the one timeout that applies to what the connection is waiting for."""
        receiving = self._receiving
        if self._closing or self._failed is not None:
            kind = None
        elif receiving is not None:  # a body is awaited (or dropped after its response)
            kind = "body" if receiving.wants_body else None
        elif self._queue:  # hosted code is answering; it is not timed here
            kind = None
        elif self._parser.between_requests:
            kind = "keepalive"
        else:
            kind = "header"
        if kind is not None and self._input_ended:
            self.close()  # waiting for bytes from a client that has sent its last
        elif kind != self._timer_kind:
            self._arm(kind)

    def _arm(self, kind: str | None) -> None:
        """Set the deadline for ``kind``; the timer itself is moved only when it must.

        Rescheduling a reactor timer on every request costs; instead a timer that
        fires before the current deadline re-arms itself for the time left.
        """
        self._timer_kind = kind
        if kind is None:
            return  # a pending call finds kind None and does nothing
        seconds = self._timeouts[kind]
        clock = self.factory.clock
        now = clock.seconds()
        self._deadline = now + seconds
        whole = self._limits.request_timeout_seconds
        if whole is not None and kind != "keepalive":  # the whole-request deadline
            self._deadline = min(self._deadline, self._request_started + whole)
        timer = self._timer
        if timer is None:
            self._timer = clock.callLater(seconds, self._timed_out)
        elif timer.getTime() > self._deadline:
            timer.reset(self._deadline - now)

    def _cancel_timer(self) -> None:
        self._timer_kind = None
        if self._timer is not None:
            self._timer.cancel()
        self._timer = None

    def _arm_send_timer(self) -> None:
        if self._send_timer is None:
            seconds = self._limits.send_timeout_seconds
            self._send_timer = self.factory.clock.callLater(seconds, self._send_timed_out)

    def _cancel_send_timer(self) -> None:
        if self._send_timer is not None and self._send_timer.active():
            self._send_timer.cancel()
        self._send_timer = None

    def _cancel_all_timers(self) -> None:
        """The connection is gone: nothing of it may fire later."""
        self._cancel_timer()
        self._cancel_send_timer()
        if self._linger is not None and self._linger.active():
            self._linger.cancel()
        self._linger = None

    def _send_timed_out(self) -> None:
        self._send_timer = None
        request = self._queue[0].request_line if self._queue else "(no request)"
        log.info(
            "dropping a client that stopped reading the response to {request}", request=request
        )
        self._closing = True
        self._cancel_timer()
        self.transport.abortConnection()  # type: ignore[union-attr]

    def _timed_out(self) -> None:
        self._timer = None
        kind = self._timer_kind
        if kind is None:
            return
        left = self._deadline - self.factory.clock.seconds()
        if left > 0:
            self._timer = self.factory.clock.callLater(left, self._timed_out)
            return
        self._timer_kind = None
        answering = self._queue[0] if self._queue else None
        if kind == "keepalive" or (kind == "body" and answering is None):
            self.close()  # idle, or dropping a body whose response is complete
        elif kind == "header" or not answering.response_started:  # type: ignore[union-attr]
            error = ProtocolError(f"no complete request {kind} in time", status=408)
            self._failed = error
            waiting, self._queue = list(self._queue), deque()
            for exchange in waiting:  # hosted code stops writing and reading now
                exchange._connection_lost()
            self._send_error(error)
        else:
            self.abort_connection()  # a response under way cannot carry the 408


@implementer(IProtocolNegotiationFactory)
class HTTPFactory(Factory[HTTPProtocol]):
    """Builds an ``HTTPProtocol`` per connection, all serving one hosted handler."""

    noisy = False  # the service logs where it listens; no "Starting factory" lines

    def __init__(
        self,
        handler: IRequestHandler,
        *,
        limits: Limits | None = None,
        clock: IReactorTime | None = None,
        server_header: bytes = b"labweb/" + __version__.encode("ascii"),
    ) -> None:
        if clock is None:
            from twisted.internet import reactor as default_reactor

            clock = default_reactor
        self.handler = handler
        self.limits = limits or Limits()
        self.clock: IReactorTime = clock
        self.server_header = server_header
        self.connections: set[HTTPProtocol] = set()

    def buildProtocol(self, addr: IAddress | None) -> HTTPProtocol:
        limit = self.limits.max_connections
        if limit is not None and len(self.connections) >= limit:
            return _OverloadedProtocol(self)
        return HTTPProtocol(self)

    def acceptableProtocols(self) -> list[bytes]:
        """ALPN: http/1.1 only; with no answer, Twisted's TLS fails every ALPN client."""
        return [b"http/1.1"]


def _can_half_close(transport: Any, protocol: HTTPProtocol) -> bool:
    """TCP can send FIN and go on reading; TLS cannot (its close_notify would be lost).

    Only a transport that talks to this protocol directly: behind a wrapper (TLS,
    ``haproxy:``) the FIN would pass the wrapper by and ``writeConnectionLost``, which
    times the drain, would never come.
    """
    return (
        ITCPTransport.providedBy(transport)
        and not ISSLTransport.providedBy(transport)
        and getattr(transport, "protocol", None) is protocol
    )


class _OverloadedProtocol(HTTPProtocol):
    """Answers 503 at once and closes: the server holds ``max_connections`` already."""

    def _client_may_be_sending(self) -> bool:
        return False  # closed at once: a flood must not hold descriptors past the limit

    def connectionMade(self) -> None:
        log.info("refusing a connection: {n} open already", n=len(self.factory.connections))
        self.transport.registerProducer(self, True)  # type: ignore[union-attr]
        error = ProtocolError("too many connections, try again later", status=503)
        self._failed = error
        self._send_error(error)

    def connectionLost(self, reason: Failure = connectionDone) -> None:
        self._cancel_all_timers()
