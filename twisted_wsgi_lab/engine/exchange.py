"""One request and its response, seen from the hosted code's side.

The exchange hides the connection: the handler reads the body when it wants it (that
is when ``100 Continue`` goes out), pauses it when it cannot keep up, writes the
response through the HTTP/1.1 writer, and registers a push producer so a slow client
pauses the source of the response. The response walks ``ResponseState``.
"""

from __future__ import annotations

from collections import deque
from collections.abc import Callable, Iterable
from typing import TYPE_CHECKING

from twisted.internet.interfaces import IAddress, IProtocol, IPushProducer, IReactorTime
from twisted.logger import Logger

from ..http11 import Headers, Limits, RequestHead
from ..http11.writer import ResponseWriter, informational
from .states import RESPONSE_TRANSITIONS, ResponseState, ResponseStateError, advance

if TYPE_CHECKING:
    from .interfaces import BodyReceiver, Connection

log = Logger()

_IDLE, _HEAD_SENT, _BODY, _DONE, _ABORTED = (
    ResponseState.IDLE,
    ResponseState.HEAD_SENT,
    ResponseState.BODY,
    ResponseState.DONE,
    ResponseState.ABORTED,
)


class _Origin:
    """What a trusted proxy reported about the request; None fields were not reported."""

    __slots__ = ("authority", "client", "scheme")

    def __init__(self, client: IAddress | None, scheme: str | None, authority: bytes | None):
        self.client = client
        self.scheme = scheme
        self.authority = authority


class Exchange:
    """The request ``head``, its body as a pausable stream, and the response writer."""

    # An exchange is made for every request, and most of what it can hold stays empty:
    # these start as class defaults, set on the instance only when they change, and
    # the containers are made when something goes in.
    _head_bytes = b""  # the head, held until the first body bytes or finish()
    _pending_body: deque[bytes] | None = None  # body data the receiver has not taken
    _trailers: Headers | None = None  # set when the body is complete
    _receiver: BodyReceiver | None = None
    _body_paused = False
    _producer: IPushProducer | None = None
    _disconnect_callbacks: list[Callable[[], None]] | None = None
    _finish_callbacks: list[Callable[[], None]] | None = None
    # What an interposed connection asked to hear of the loss (``on_connection_lost``).
    _lost_callbacks: list[Callable[[], None]] | None = None
    _origin: _Origin | None = None  # what a trusted proxy reported, if anything
    continue_sent = False

    def __init__(self, connection: Connection, head: RequestHead) -> None:
        self.head = head
        self.connection = connection
        self.state = _IDLE
        self._writer = ResponseWriter(head, server=connection.server_header)

    # -- about the connection -------------------------------------------------------

    @property
    def request_line(self) -> str:
        """The request line as text, for logs."""
        head = self.head
        method = head.method.decode("latin-1")
        target = head.target.decode("latin-1")
        return f"{method} {target} HTTP/{head.version[0]}.{head.version[1]}"

    @property
    def client_address(self) -> IAddress:
        """The client's address (``IPv4Address``, ``IPv6Address``, ``UNIXAddress``...).

        The peer of the connection, unless a trusted proxy reported the client it
        forwarded the request for (``set_origin``).
        """
        origin = self._origin
        if origin is None or origin.client is None:
            return self.connection.peer
        return origin.client

    @property
    def peer_address(self) -> IAddress:
        """The peer of the connection itself, whatever a proxy reported."""
        return self.connection.peer

    def set_origin(
        self,
        *,
        client: IAddress | None = None,
        scheme: str | None = None,
        authority: bytes | None = None,
    ) -> None:
        """Override what the client asked for with what a trusted proxy reported.

        Each argument left None keeps the connection's own value: ``client`` replaces
        ``client_address``, ``scheme`` (``"http"`` or ``"https"``) decides ``scheme``
        and ``is_secure``, ``authority`` (the Host the client asked the proxy for)
        replaces ``authority``. Only code that checked the proxy is trusted calls this;
        the request head itself is never changed.

        Raises:
            ValueError: ``scheme`` is neither ``"http"`` nor ``"https"``.
        """
        if scheme is not None and scheme not in ("http", "https"):
            raise ValueError(f"scheme {scheme!r}: expected 'http' or 'https'")
        if client is None and scheme is None and authority is None:
            self._origin = None
        else:
            self._origin = _Origin(client, scheme, authority)

    @property
    def scheme(self) -> str:
        """``"https"`` for a request that reached us (or the trusted proxy) over TLS."""
        return "https" if self.is_secure else "http"

    @property
    def authority(self) -> bytes:
        """The Host the client asked for: the request's, or what a trusted proxy reported."""
        origin = self._origin
        if origin is None or origin.authority is None:
            return self.head.authority
        return origin.authority

    @property
    def server_address(self) -> IAddress:
        """The address the request arrived on."""
        return self.connection.host

    @property
    def limits(self) -> Limits:
        """The limits of the server this request arrived on."""
        return self.connection.limits

    @property
    def clock(self) -> IReactorTime:
        """The reactor (or test Clock) that times this connection."""
        return self.connection.clock

    @property
    def is_secure(self) -> bool:
        """True on a TLS connection, or when a trusted proxy reported ``https``."""
        origin = self._origin
        if origin is None or origin.scheme is None:
            return self.connection.secure
        return origin.scheme == "https"

    @property
    def finished(self) -> bool:
        """True once the response is complete."""
        return self.state is _DONE

    @property
    def disconnected(self) -> bool:
        """True once the connection is gone or was cut before the response completed."""
        return self.state is _ABORTED

    def on_disconnect(self, callback: Callable[[], None]) -> None:
        """Call ``callback`` if the client goes away before ``finish()``."""
        if self.state is _ABORTED:
            callback()
        elif self._disconnect_callbacks is None:
            self._disconnect_callbacks = [callback]
        else:
            self._disconnect_callbacks.append(callback)

    def on_finish(self, callback: Callable[[], None]) -> None:
        """Call ``callback`` once the response is complete (``finish()``).

        With ``on_disconnect`` it covers both ends of an exchange, so what a request
        holds (an uploaded file on disk) is released however the request ends.
        """
        if self.state is _DONE:
            callback()
        elif self._finish_callbacks is None:
            self._finish_callbacks = [callback]
        else:
            self._finish_callbacks.append(callback)

    def on_connection_lost(self, callback: Callable[[], None]) -> None:
        """Call ``callback`` if the connection is lost while it holds this exchange.

        Unlike ``on_disconnect`` (the hosted code's, over at ``finish()``), this holds
        after ``finish()``: a connection put in with ``interpose`` may still hold the
        finished response's last bytes, and its end, when the client leaves.
        """
        if self._lost_callbacks is None:
            self._lost_callbacks = []
        self._lost_callbacks.append(callback)

    def interpose(self, wrap: Callable[[Connection], Connection]) -> None:
        """Talk to the connection through ``wrap(connection)`` from now on.

        The lab's faults bend one response this way, on any protocol, without a check
        on the plain path. Only before the response starts: its bytes all take one road.

        Raises:
            ResponseStateError: the response has already started.
        """
        if self.state is not _IDLE:
            raise ResponseStateError(f"cannot interpose in response state {self.state.name}")
        self.connection = wrap(self.connection)

    # -- the request body -----------------------------------------------------------

    @property
    def body_complete(self) -> bool:
        """True once the whole body has arrived (at once for a request without one)."""
        return self._trailers is not None

    def receive_body(self, receiver: BodyReceiver) -> None:
        """Start delivering the body to ``receiver``; sends 100 Continue if expected."""
        self._receiver = receiver
        self._body_paused = False  # a new receiver starts taking data at once
        waiting = not self.body_complete and not self._pending_body  # no body byte yet
        if self.head.expects_continue and waiting and self.state is _IDLE:
            self.connection.write(informational(100))
            self.continue_sent = True
        self._flush_body()

    def pause_body(self) -> None:
        """Stop delivering body data until ``resume_body()``; reading from the socket stops."""
        self._body_paused = True

    def resume_body(self) -> None:
        """Deliver body data again."""
        self._body_paused = False
        self._flush_body()

    @property
    def wants_body(self) -> bool:
        """True when body data handed over now would be taken at once."""
        return self._receiver is not None and not self._body_paused

    def _flush_body(self) -> None:
        pending = self._pending_body
        receiver = self._receiver
        while pending and receiver is not None and not self._body_paused:
            receiver.body_data(pending.popleft())
        if not pending and receiver is not None and self._trailers is not None:
            self._receiver = None
            receiver.body_end(self._trailers)
        if self.wants_body or self.body_complete:
            self.connection.body_wanted(self)

    # -- from the connection --------------------------------------------------------

    def deliver_body(self, data: bytes) -> None:
        """From the connection: queue or deliver a piece of the body."""
        pending = self._pending_body
        if self.wants_body and not pending:
            self._receiver.body_data(data)  # type: ignore[union-attr]
        elif pending is None:
            self._pending_body = deque([data])
        else:
            pending.append(data)

    def end_body(self, trailers: Headers) -> None:
        """From the connection: the body is complete."""
        self._trailers = trailers
        if self._receiver is None and not self._pending_body:
            # Nobody reads and nothing waits (a request without a body, or an empty
            # chunked one, not yet read): nothing to hand over, and with no byte ever
            # queued here, reading was never paused for this exchange.
            return
        self._flush_body()

    def connection_lost(self) -> None:
        """From the connection: it is gone; stop the producer and tell the handler."""
        lost, self._lost_callbacks = self._lost_callbacks, None
        for callback in lost or ():
            callback()
        if self.state is _ABORTED or self.state is _DONE:
            return
        self.state = advance(RESPONSE_TRANSITIONS, self.state, "abort")
        self._head_bytes = b""
        producer, self._producer = self._producer, None
        callbacks, self._disconnect_callbacks = self._disconnect_callbacks, None
        if producer is not None:
            producer.stopProducing()
        for callback in callbacks or ():
            callback()

    # -- the response ---------------------------------------------------------------

    @property
    def response_started(self) -> bool:
        """True once bytes of the response left: it can no longer become a 500."""
        return self.state is _BODY or (self.state is _DONE and self._writer.started)

    @property
    def keep_alive(self) -> bool:
        """Whether the connection may carry another request after this response."""
        return self._writer.keep_alive

    @property
    def status(self) -> int:
        """The status sent (or held to be sent); 0 before ``start_response``."""
        return self._writer.status

    def start_response(
        self,
        status: int,
        reason: bytes,
        headers: Iterable[tuple[bytes, bytes]],
        *,
        known_length: int | None = None,
    ) -> None:
        """Set the status line and header fields; they leave with the first body bytes.

        ``known_length`` becomes the Content-Length if the headers carry none. Holding
        the head for the body makes one write, so one TCP segment, of a small response.

        Raises:
            ResponseHeaderError: the status or a header cannot be sent; nothing was written.
            ResponseStateError: the response is already under way or finished.
        """
        state = advance(RESPONSE_TRANSITIONS, self.state, "start")
        if state is _ABORTED:
            return
        date = self.connection.date()
        self._head_bytes = self._writer.start(
            status, reason, headers, date=date, known_length=known_length
        )
        self.state = state

    def write(self, data: bytes) -> None:
        """Write body bytes (dropped for HEAD, 204 and 304; dropped once disconnected).

        Raises:
            ResponseLengthError: more bytes than the Content-Length announced.
            ResponseStateError: before ``start_response`` or after ``finish``.
        """
        state = self.state
        if state is not _BODY:
            state = advance(RESPONSE_TRANSITIONS, state, "write")
            if state is _ABORTED:
                return
        framed = self._writer.body(data)
        if self._head_bytes:
            framed, self._head_bytes = self._head_bytes + framed, b""
        self.state = _BODY
        if framed:
            self.connection.write(framed)

    def check_body_size(self, size: int) -> None:
        """Check that ``size`` more body bytes fit the response, before sending any.

        A body handed over in slices is checked whole first, so a body longer than
        its Content-Length is still refused while a 500 can be sent instead.

        Raises:
            ResponseLengthError: more bytes than the Content-Length announced.
        """
        self._writer.check_length(size)

    def respond(
        self,
        status: int,
        reason: bytes,
        headers: Iterable[tuple[bytes, bytes]],
        body: bytes,
    ) -> None:
        """Send a whole response: ``start_response``, ``write(body)`` and ``finish()``.

        The usual answer, its body all in hand, then takes one write and one step of
        the state table instead of three. For a response not yet started: from there
        it fails as those three would, and like them sends nothing when it raises.

        Raises:
            ResponseHeaderError: the status or a header cannot be sent.
            ResponseLengthError: ``body`` is longer than the Content-Length in ``headers``.
            ResponseStateError: the response is already under way or finished.
        """
        self.start_response(status, reason, headers, known_length=len(body))
        if self.state is _ABORTED:
            return
        framed = self._writer.body(body) if body else b""
        self.state = _DONE  # HEAD_SENT --finish--> DONE, the table's step, as finish() takes it
        self._complete(self._head_bytes + framed + self._writer.end())

    def finish(self) -> None:
        """The response is complete; the next pipelined request may be answered.

        Raises:
            ResponseStateError: ``start_response`` was never called.
        """
        before = self.state
        self.state = advance(RESPONSE_TRANSITIONS, before, "finish")
        if before is _DONE or before is _ABORTED:
            return
        self._complete(self._head_bytes + self._writer.end())

    def _complete(self, tail: bytes) -> None:
        """Send ``tail``, the last bytes of the response, and hand the connection on."""
        self._producer = None
        self._disconnect_callbacks = None
        callbacks, self._finish_callbacks = self._finish_callbacks, None
        for callback in callbacks or ():
            callback()
        self._head_bytes = b""
        if self._writer.unsent_length:
            self._log_short_body()
        if tail:
            self.connection.write(tail)
        self.connection.exchange_finished(self)

    def _log_short_body(self) -> None:
        writer = self._writer
        promised = writer.promised_length
        log.warn(
            "{handler} promised Content-Length: {promised} for {request} but sent {sent}"
            " bytes; closing the connection so the client is not left waiting",
            handler=getattr(self.connection, "handler", "the handler"),
            request=self.request_line,
            promised=promised,
            sent=promised - writer.unsent_length,
        )

    def abort(self) -> None:
        """Give up on a response already under way: the connection is cut.

        What was written still goes out (the client sees a truncated response).
        """
        if self.state is _ABORTED or self.state is _DONE:
            return
        self._producer = None  # the caller is the producer, or has stopped it
        self.connection_lost()
        self.connection.abort()

    def switch_protocols(self, headers: Iterable[tuple[bytes, bytes]], protocol: IProtocol) -> None:
        """Answer ``101 Switching Protocols`` and give the connection to ``protocol``.

        ``headers`` must name the new protocol in ``Upgrade``. The bytes the client sent
        after this request's head are delivered to ``protocol`` first; from then on the
        connection is no longer HTTP, and ``protocol.connectionLost`` ends it.

        Raises:
            ResponseHeaderError: the request did not ask to upgrade, or no Upgrade field.
            ResponseStateError: a response was already started.
        """
        state = advance(RESPONSE_TRANSITIONS, self.state, "switch")
        head = self._writer.switching(headers, date=self.connection.date())
        self.connection.switch_protocol(self, protocol, head)  # may refuse: nothing sent
        self._writer.switched()
        self.state = state

    # -- IConsumer ------------------------------------------------------------------

    def registerProducer(self, producer: IPushProducer, streaming: bool) -> None:
        """Let a slow client pause ``producer`` (push producers only)."""
        if not streaming:
            raise TypeError("Exchange takes push producers only (streaming=True)")
        self._producer = producer
        if self.connection.writes_paused:
            producer.pauseProducing()

    def unregisterProducer(self) -> None:
        """The producer is done."""
        self._producer = None

    @property
    def producer(self) -> IPushProducer | None:
        """The push producer feeding this response, if any."""
        return self._producer
