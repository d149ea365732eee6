"""HTTPProtocol: one connection's life, its parse loop and its flow control.

Bytes go into the sans-IO parser; each ``RequestHead`` becomes an ``Exchange`` in the
``Pipeline``, handed to the hosted code when the one before it is finished, so
responses leave in request order. Reading from the socket pauses when the pipeline
is full, when hosted code is not taking the body it is being sent, or after a framing
error, after which nothing more is parsed. The connection walks ``ConnectionState``;
its timeouts live in ``ConnectionTimers``.
"""

from __future__ import annotations

import enum
from typing import TYPE_CHECKING, Any

from twisted.internet.interfaces import (
    IHalfCloseableProtocol,
    IProtocol,
    IPushProducer,
    ISSLTransport,
    ITCPTransport,
)
from twisted.internet.protocol import Protocol, connectionDone
from twisted.logger import Logger
from twisted.python.failure import Failure
from zope.interface import implementer

from ..http11 import BodyData, EndOfMessage, Headers, ProtocolError, RequestHead, RequestParser
from ..http11.dates import http_date
from ..http11.writer import error_response
from .exchange import Exchange
from .failure import answer_failure
from .pipeline import Pipeline
from .states import (
    ANSWERING,
    CONNECTION_TRANSITIONS,
    ConnectionState,
    ResponseStateError,
    advance,
)
from .switching import forward_to
from .timers import LINGER_SECONDS, ConnectionTimers, TimerKind

if TYPE_CHECKING:
    from twisted.internet.interfaces import IAddress

    from .factory import HTTPFactory

__all__ = ["LINGER_SECONDS", "HTTPProtocol"]

log = Logger()

_OPEN, _LAST, _FAILED = ConnectionState.OPEN, ConnectionState.LAST_RESPONSE, ConnectionState.FAILED
_KEEPALIVE, _HEADER, _BODY, _RESPONSE = (
    TimerKind.KEEPALIVE,
    TimerKind.HEADER,
    TimerKind.BODY,
    TimerKind.RESPONSE,
)


class ReadPause(enum.Flag):
    """Why the connection reads and parses nothing now; reading resumes when none is left."""

    PIPELINE_FULL = enum.auto()  # max_pipelined_requests wait for their answers
    BODY_UNWANTED = enum.auto()  # the handler is not taking the body it is being sent
    UPGRADE_PENDING = enum.auto()  # bytes after an Upgrade request may not be HTTP
    LAST_REQUEST = enum.auto()  # the request asked to close: nothing after it is read
    STOPPED = enum.auto()  # a framing error, or a shutdown: no new request is parsed


_NO_PAUSE = ReadPause(0)
_PIPELINE_OR_UPGRADE = ReadPause.PIPELINE_FULL | ReadPause.UPGRADE_PENDING


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
        self.limits = factory.limits
        self.clock = factory.clock
        self.server_header = factory.server_header
        self.handler = factory.handler
        self.state = _OPEN
        self._parser = RequestParser(factory.limits)
        self._pipeline = Pipeline(self._start, self._answering)
        self._timers = ConnectionTimers(factory.limits, factory.clock, self._timed_out)
        self._pauses = _NO_PAUSE
        self._processing = False  # the parse loop is running further up the stack
        self._error: ProtocolError | None = None  # the error to answer, once FAILED
        self._input_ended = False  # the client half-closed: no more bytes will come
        self._writes_paused = False  # the client is not reading what we sent
        self._secure: bool | None = None  # TLS or not, found out once per connection
        self._peer: IAddress | None = None  # the addresses, kept from the first request
        self._host: IAddress | None = None
        self._request_seen = False  # a request head arrived: the addresses are final

    # -- the Connection interface, for exchanges -------------------------------------

    @property
    def peer(self) -> IAddress:
        """The client's address."""
        # Asked for every request (the WSGI environ), and Twisted's getPeer() builds a
        # new address object each time: it is kept once a request has arrived. Not
        # before: behind a PROXY-protocol listener the transport names the proxy
        # until the PROXY header, which comes before any request, has been read.
        peer = self._peer
        if peer is None:
            peer = self.transport.getPeer()  # type: ignore[union-attr]
            if self._request_seen:
                self._peer = peer
        return peer

    @property
    def host(self) -> IAddress:
        """The address the connection arrived on."""
        host = self._host
        if host is None:
            host = self.transport.getHost()  # type: ignore[union-attr]
            if self._request_seen:  # as for peer
                self._host = host
        return host

    @property
    def secure(self) -> bool:
        """True on TLS."""
        # Asked for every request (the WSGI environ's scheme); a zope providedBy() call
        # costs more than the rest of that lookup, and the transport never changes.
        secure = self._secure
        if secure is None:
            secure = self._secure = ISSLTransport.providedBy(self.transport)
        return secure

    @property
    def writes_paused(self) -> bool:
        """True while the client is not reading what was sent."""
        return self._writes_paused

    @property
    def answering(self) -> bool:
        """False once the connection is closing or gone: what is written now is lost."""
        return self.state in ANSWERING

    @property
    def requests_in_flight(self) -> int:
        """Requests parsed and not yet answered completely (the one in front included)."""
        return len(self._pipeline)

    @property
    def bytes_unparsed(self) -> int:
        """Bytes received and not yet parsed: observers use it to split a read that
        holds the end of one pipelined request and the start of the next."""
        return self._parser.buffered_bytes

    def date(self) -> bytes:
        """The Date value for a response sent now."""
        return http_date(self.clock.seconds())

    def write(self, data: bytes) -> None:
        """Send bytes of the response being answered."""
        self.transport.write(data)  # type: ignore[union-attr]

    def abort(self) -> None:
        """Give up on the connection: a response under way cannot be completed.

        What was written still goes out (the client sees a truncated response, not a
        reset); the send timer armed by ``close`` drops a client that stops reading.
        """
        self.close()

    def reset(self) -> None:
        """Drop the connection at once: unsent bytes are lost and the client gets a RST."""
        if self.state in ANSWERING:
            self.state = advance(CONNECTION_TRANSITIONS, self.state, "close")
        self._timers.cancel_wait()
        self.transport.abortConnection()  # type: ignore[union-attr]

    # -- connection life ------------------------------------------------------------

    def connectionMade(self) -> None:
        self.factory.connections.add(self)
        self.transport.registerProducer(self, True)  # type: ignore[union-attr]
        self._update_timer()

    def dataReceived(self, data: bytes) -> None:
        state = self.state
        if state is not _OPEN and state is not _LAST:
            if self._timers.armed(TimerKind.LINGER):
                self._timers.arm(TimerKind.LINGER)  # still sending: keep draining
            return
        parser = self._parser
        if self._pipeline.receiving is None:
            if self.limits.request_timeout_seconds is not None and not parser.buffered_bytes:
                self._timers.request_began_at = self.clock.seconds()  # a new request begins
        elif self._timers.waiting_for() is _BODY:  # only ever armed while a body is read
            self._timers.arm(_BODY)  # the body timeout counts silence, so data restarts it
        parser.receive_data(data)
        self._process()

    def readConnectionLost(self) -> None:
        """From TCP: the client sent EOF. Answer the requests that are complete, then close.

        Without this Twisted would take the EOF for a lost connection and drop a
        response still buffered (a client that does ``shutdown(SHUT_WR)``, ``nc -N``).
        """
        self._input_ended = True
        if self.state is ConnectionState.CLOSING or self.state is ConnectionState.LINGERING:
            self._close_fully()
            return
        self._process()  # whatever waits for more input now closes (_update_timer)
        if self._pipeline and self.state in ANSWERING:
            # TCP cannot tell a half-close from a client that is gone. A response that
            # has not begun after LINGER_SECONDS is taken for one nobody will read (as
            # nginx's 499), so a vanished long-poll client frees its slot.
            self._timers.arm(TimerKind.EOF_GRACE)

    def writeConnectionLost(self) -> None:
        """From TCP: the FIN after the response has gone; drain the client a while."""
        if self.state is ConnectionState.CLOSING:
            self.state = advance(CONNECTION_TRANSITIONS, self.state, "half_closed")
        if not self._input_ended:
            self._timers.arm(TimerKind.LINGER)

    def _close_fully(self) -> None:
        self._timers.cancel(TimerKind.LINGER)
        self.transport.loseConnection()  # type: ignore[union-attr]

    def connectionLost(self, reason: Failure = connectionDone) -> None:
        self.state = advance(CONNECTION_TRANSITIONS, self.state, "lost")
        self._timers.cancel_all()
        self.factory.connections.discard(self)
        for exchange in self._pipeline.drain():
            exchange.connection_lost()

    def close(self) -> None:
        """Close after what was written has been sent."""
        if self.state not in ANSWERING:
            return
        self.state = advance(CONNECTION_TRANSITIONS, self.state, "close")
        self._timers.cancel_wait()
        transport: Any = self.transport
        # A producer still registered when the buffer drains would be resumed
        # instead of the connection closed (FileDescriptor.doWrite): unregister.
        transport.unregisterProducer()
        if self._pauses and not self._input_ended:
            # Read again (dataReceived drops it all now): a TLS shutdown must read
            # the peer's close_notify, and an EOF must be noticed.
            self._pauses = _NO_PAUSE
            transport.resumeProducing()
        if self._client_may_be_sending() and _can_half_close(transport, self):
            # RFC 9112 section 9.6: closing outright with the client still sending
            # makes the kernel answer its next bytes with a reset, which can destroy
            # the response before it is read. Send FIN after the response, read and
            # drop until the client closes too or falls silent (writeConnectionLost).
            transport.loseWriteConnection()
        else:
            transport.loseConnection()
        if not self._timers.armed(TimerKind.SEND):  # a client already not reading: no more
            self._timers.arm(TimerKind.SEND)  # unsent bytes (and the drain) wait this long

    def _client_may_be_sending(self) -> bool:
        """True if part of a request (a refused head, an unread body) may still come."""
        if self._input_ended:
            return False
        return self._error is not None or not self._parser.between_requests

    def close_when_idle(self) -> None:
        """Close now if no request is being answered, else right after the response.

        Reading goes on so a request body in flight still arrives; parsing stops at
        the next request head, which will not be answered.
        """
        if not self._pipeline:
            self.close()
        elif self.state is _OPEN:
            self.state = advance(CONNECTION_TRANSITIONS, self.state, "last_response")

    # -- parsing --------------------------------------------------------------------

    def _process(self) -> None:
        if self._processing:
            return  # the loop below is already running further up the stack
        self._processing = True
        parser = self._parser
        try:
            # _pauses is _NO_PAUSE exactly when empty (see _resume): an identity test
            # instead of Flag.__bool__, a Python call, on every turn of the loop.
            while self._pauses is _NO_PAUSE and (self.state is _OPEN or self.state is _LAST):
                try:
                    event = parser.next_event()
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
        if self.state is _LAST:
            self._pause(ReadPause.STOPPED)  # the connection closes after the response
            return
        if head.method == b"CONNECT":
            raise ProtocolError("CONNECT is not supported", status=501)
        self._request_seen = True
        exchange = Exchange(self, head)
        pipeline = self._pipeline
        queued = pipeline.append(exchange)
        if head.has_body:
            pipeline.receiving = exchange
        else:  # its EndOfMessage is due at once: the handler sees the request complete
            end = self._parser.next_event()
            assert type(end) is EndOfMessage
            self._request_complete(exchange, end.trailers)
        if queued == 1:
            pipeline.start_front()
        elif queued > self.limits.max_pipelined_requests:
            self._pause(ReadPause.PIPELINE_FULL)

    def _body_data(self, data: bytes) -> None:
        exchange = self._pipeline.receiving
        assert exchange is not None
        exchange.deliver_body(data)
        if not exchange.wants_body:
            self._pause(ReadPause.BODY_UNWANTED)

    def _end_of_message(self, trailers: Headers) -> None:
        """The body of the request being received is complete."""
        exchange = self._pipeline.receiving
        assert exchange is not None
        self._pipeline.receiving = None
        if exchange is self._pipeline.front:
            self._timers.answer_began_at = self.clock.seconds()  # its answer is due from now
        self._request_complete(exchange, trailers)

    def _request_complete(self, exchange: Exchange, trailers: Headers) -> None:
        """Nothing more of ``exchange``'s request will come: tell it, pause if it says so."""
        head = exchange.head
        if not head.keep_alive:
            self._pause(ReadPause.LAST_REQUEST)  # nothing after a request that asked to close
        elif head.upgrade:
            self._pause(ReadPause.UPGRADE_PENDING)  # HTTP or not: its answer decides
        exchange.end_body(trailers)

    def body_wanted(self, exchange: Exchange) -> None:
        """From an exchange: its hosted code takes body data again."""
        if exchange is self._pipeline.receiving or exchange.body_complete:
            self._resume(ReadPause.BODY_UNWANTED)
            if not exchange.body_complete:
                self._update_timer()  # a body now awaited is timed even if no byte comes

    def _protocol_error(self, error: ProtocolError) -> None:
        """Answer ``error`` after the complete requests before it, then close."""
        self.state = advance(CONNECTION_TRANSITIONS, self.state, "fail")
        self._error = error
        self._pause(ReadPause.STOPPED)
        pipeline = self._pipeline
        broken = pipeline.receiving
        pipeline.receiving = None
        if broken is not None and broken in pipeline:
            if broken is pipeline.front and broken.response_started:
                self.abort()
                return
            pipeline.remove(broken)
            broken.connection_lost()
        if not pipeline:
            self._send_error(error)

    def _send_error(self, error: ProtocolError) -> None:
        log.debug("refused request: {status} {error}", status=error.status, error=str(error))
        self.write(
            error_response(error.status, str(error), server=self.server_header, date=self.date())
        )
        self.close()

    # -- answering ------------------------------------------------------------------

    def _answering(self) -> bool:
        return self.state in ANSWERING

    def _start(self, exchange: Exchange) -> None:
        """Hand ``exchange`` to the hosted code; a handler that raises gets the 500 rule."""
        timers = self._timers
        timers.answer_began_at = self.clock.seconds()
        timers.cancel_wait()  # re-armed for this answer (and keep-alive restarts after it)
        try:
            self.handler.handle(exchange)
        except Exception:
            log.failure(
                "request handler {handler} failed on {request}",
                handler=self.handler,
                request=exchange.request_line,
            )
            answer_failure(exchange)

    def exchange_finished(self, exchange: Exchange) -> None:
        """From an exchange: its response is complete; answer the next request."""
        pipeline = self._pipeline
        if not pipeline.pop_finished(exchange) or self.state not in ANSWERING:
            return  # closed or dropped meanwhile (a send timeout): start nothing more
        if not exchange.keep_alive or self.state is _LAST:
            self.close()
        elif not exchange.body_complete:
            # The parser is still inside this body, so nothing is queued behind it.
            if exchange.head.expects_continue and not exchange.continue_sent:
                self.close()  # the client may or may not send the body now: close
                return
            # Read and drop the rest; parsing resumes from here, and the next head it
            # finds starts at once because the pipeline is empty.
            exchange.receive_body(_DISCARD)
            self._update_timer()
        elif pipeline:
            # Start the next exchange before reading further: parsing may run (and even
            # fail) inside _resume, and must find the pipeline as it is.
            pipeline.start_front()
            if len(pipeline) <= self.limits.max_pipelined_requests:
                self._resume(ReadPause.PIPELINE_FULL)
            self._update_timer()  # the next answer is timed from its own start
        elif self.state is _FAILED:
            self._send_error(self._error)  # type: ignore[arg-type]
        else:
            if self._pauses is not _NO_PAUSE:  # nearly always: nothing to resume
                self._resume(_PIPELINE_OR_UPGRADE)
            if not self._processing:  # else the parse loop up the stack does it as it ends
                self._update_timer()

    def switch_protocol(self, exchange: Exchange, protocol: IProtocol, head: bytes) -> None:
        """Send the 101 ``head`` and give the transport to ``protocol``.

        The bytes after the request's head go to ``protocol`` first. Reading resumes
        before ``protocol.makeConnection``, so a pause the new protocol makes there holds.

        Raises:
            ResponseStateError: ``exchange`` cannot switch now (see ``check_switch``).
        """
        self.check_switch(exchange)
        self.write(head)
        self.state = advance(CONNECTION_TRANSITIONS, self.state, "switch")
        self._timers.cancel_all()
        self._pipeline.drain()
        self.factory.connections.discard(self)
        rest = self._parser.detach()
        transport: Any = self.transport
        transport.unregisterProducer()
        if self._pauses:
            self._pauses = _NO_PAUSE
            transport.resumeProducing()
        forward_to(self, protocol, transport)
        protocol.makeConnection(transport)
        if rest:
            protocol.dataReceived(rest)

    def check_switch(self, exchange: Exchange) -> None:
        """Raise unless ``exchange`` may switch protocols now.

        Raises:
            ResponseStateError: it is not the request in front, its body has not all
                arrived, or the connection is failing or closing.
        """
        if exchange is not self._pipeline.front or not exchange.body_complete:
            raise ResponseStateError("only the request in front, with its body read, can switch")
        if self.state is not _OPEN:
            raise ResponseStateError(f"cannot switch protocols in state {self.state.name}")

    # -- flow control ---------------------------------------------------------------

    def _pause(self, reason: ReadPause) -> None:
        if not self._pauses:
            self.transport.pauseProducing()  # type: ignore[union-attr]
        self._pauses |= reason

    def _resume(self, reasons: ReadPause) -> None:
        if self._pauses is _NO_PAUSE or not self._pauses & reasons:
            return
        self._pauses &= ~reasons
        if not self._pauses:
            self._pauses = _NO_PAUSE  # the one empty value, compared by identity
            if self.state in ANSWERING:
                self.transport.resumeProducing()  # type: ignore[union-attr]
                self._process()

    def pauseProducing(self) -> None:
        """From the transport: its write buffer is full; pause the response source."""
        self._writes_paused = True
        if self.state in ANSWERING and not self._timers.armed(TimerKind.SEND):
            self._timers.arm(TimerKind.SEND)
        front = self._pipeline.front
        producer = front.producer if front is not None else None
        if producer is not None:
            producer.pauseProducing()

    def resumeProducing(self) -> None:
        """From the transport: the write buffer drained."""
        self._writes_paused = False
        self._timers.cancel(TimerKind.SEND)
        front = self._pipeline.front
        producer = front.producer if front is not None else None
        if producer is not None:
            producer.resumeProducing()

    def stopProducing(self) -> None:
        """From the transport: the connection is going; connectionLost does the work."""

    # -- timeouts -------------------------------------------------------------------

    def _update_timer(self) -> None:
        """Arm the one wait that applies to what the connection is waiting for now."""
        kind = self._waiting_for()
        if kind is not None and kind is not _RESPONSE and self._input_ended:
            self.close()  # waiting for bytes from a client that has sent its last
        elif kind is None:
            self._timers.cancel_wait()
        elif kind is not self._timers.waiting_for():
            self._timers.arm(kind)

    def _waiting_for(self) -> TimerKind | None:
        state = self.state
        if state not in ANSWERING:
            return None
        pipeline = self._pipeline
        receiving = pipeline.receiving
        front = pipeline.front
        if receiving is not None and receiving.wants_body and state is not _FAILED:
            return _BODY  # a body is awaited (or dropped after its response)
        if front is not None:  # hosted code is answering: timed until its answer begins
            return None if front.response_started else _RESPONSE
        if state is _FAILED or receiving is not None:
            return None
        return _KEEPALIVE if self._parser.between_requests else _HEADER

    def _timed_out(self, kind: TimerKind) -> None:
        if kind is TimerKind.SEND:
            self._send_timed_out()
        elif kind is TimerKind.LINGER:
            self._close_fully()
        elif kind is TimerKind.EOF_GRACE:
            self._eof_overdue()
        elif kind is _KEEPALIVE:
            self.close()
        else:
            self._wait_timed_out(kind)

    def _wait_timed_out(self, kind: TimerKind) -> None:
        """No head, body or answer in time: 408 (or 503), or a cut if the answer began."""
        front = self._pipeline.front
        if front is None:
            if kind is _BODY:
                self.close()  # dropping a body whose response is complete
            elif kind is _HEADER:
                self._fail_waiting(ProtocolError("no complete request head in time", status=408))
        elif front.response_started:
            if kind is not _RESPONSE:
                self.abort()  # a response under way cannot carry the 408
        elif kind is _RESPONSE:
            log.warn(
                "{handler} did not begin a response to {request} within"
                " {seconds} s (--response-timeout): answering 503",
                handler=self.handler,
                request=front.request_line,
                seconds=self.limits.response_timeout_seconds,
            )
            self._fail_waiting(ProtocolError("the application did not answer in time", status=503))
        else:
            what = "head" if kind is _HEADER else "body"
            self._fail_waiting(ProtocolError(f"no complete request {what} in time", status=408))

    def _fail_waiting(self, error: ProtocolError) -> None:
        """Answer ``error`` now: every request waiting is told the connection is gone."""
        if self.state is not _FAILED:
            self.state = advance(CONNECTION_TRANSITIONS, self.state, "fail")
        self._error = error
        for exchange in self._pipeline.drain():  # hosted code stops writing and reading
            exchange.connection_lost()
        self._send_error(error)

    def _eof_overdue(self) -> None:
        front = self._pipeline.front
        if front is not None and not front.response_started:
            log.info(
                "client closed its side before the response to {request} began; closing",
                request=front.request_line,
            )
            self.close()  # connectionLost tells the hosted code

    def _send_timed_out(self) -> None:
        front = self._pipeline.front
        log.info(
            "dropping a client that stopped reading the response to {request}",
            request=front.request_line if front is not None else "(no request)",
        )
        self.reset()


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
