"""Observers: see every event of every connection, at no cost when there are none.

``HTTPFactory.add_observer`` makes the factory build ``ObservedHTTPProtocol`` for new
connections; without an observer it builds the plain ``HTTPProtocol``, whose path has
no check for observers at all. The access log, the wire trace and the dashboard are
observers. Each method gets the connection; ``connection.clock.seconds()`` times it.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from twisted.internet.interfaces import IProtocol
from twisted.internet.protocol import connectionDone
from twisted.python.failure import Failure

from ..http11 import Headers, ProtocolError, RequestHead
from .protocol import HTTPProtocol

if TYPE_CHECKING:
    from .exchange import Exchange
    from .factory import HTTPFactory
    from .timers import TimerKind


class ConnectionObserver:
    """Override the events you want; each one here does nothing.

    Observers run in the reactor thread, inside the connection's own calls: keep them
    short, and never raise (an exception would break the connection it observes).
    """

    def connection_opened(self, connection: HTTPProtocol) -> None:
        """A client connected."""

    def bytes_received(self, connection: HTTPProtocol, data: bytes) -> None:
        """Bytes arrived from the client, before parsing."""

    def request_head(self, connection: HTTPProtocol, head: RequestHead) -> None:
        """The parser produced a request head."""

    def body_data(self, connection: HTTPProtocol, data: bytes) -> None:
        """The parser produced a piece of a request body (de-chunked)."""

    def end_of_message(self, connection: HTTPProtocol, trailers: Headers) -> None:
        """The parser reached the end of a request."""

    def protocol_error(self, connection: HTTPProtocol, error: ProtocolError) -> None:
        """The client broke HTTP/1.1; ``error.status`` is the answer."""

    def error_sent(self, connection: HTTPProtocol, error: ProtocolError) -> None:
        """The engine answered ``error.status`` itself (a framing error, a timeout, 503)."""

    def bytes_sent(self, connection: HTTPProtocol, data: bytes) -> None:
        """Bytes went to the transport (heads, bodies, 100 Continue, error answers)."""

    def response_finished(self, connection: HTTPProtocol, exchange: Exchange) -> None:
        """A response is complete (``exchange.status`` says which)."""

    def timed_out(self, connection: HTTPProtocol, kind: TimerKind) -> None:
        """A timeout fired."""

    def protocol_switched(self, connection: HTTPProtocol, protocol: IProtocol) -> None:
        """After a 101 the connection now belongs to ``protocol``."""

    def connection_closed(self, connection: HTTPProtocol, reason: Failure) -> None:
        """The connection is gone."""


_EVENTS = tuple(name for name in vars(ConnectionObserver) if not name.startswith("_"))


def _listeners(observers: tuple[ConnectionObserver, ...], event: str) -> tuple[Any, ...]:
    base = getattr(ConnectionObserver, event)
    return tuple(
        getattr(observer, event)
        for observer in observers
        if getattr(type(observer), event, base) is not base
    )


# The events that happen on every request, and the HTTPProtocol method each one hooks.
_PER_REQUEST_HOOKS = {
    "bytes_received": "dataReceived",
    "request_head": "_request_head",
    "body_data": "_body_data",
    "end_of_message": "_request_complete",
    "bytes_sent": "write",
    "response_finished": "exchange_finished",
}


class ObservedHTTPProtocol(HTTPProtocol):
    """``HTTPProtocol`` that tells the factory's observers about each event.

    The observers are those registered when the connection was made: an observer sees
    a connection from its opening to its close, or not at all.
    """

    def __init__(self, factory: HTTPFactory) -> None:
        super().__init__(factory)
        self.observers = factory.observers
        # Per event, the bound methods of the observers that override it: an event no
        # observer wants costs an empty loop, not a call per observer. The events of
        # every request then call HTTPProtocol's method by name: a zero-argument
        # super() builds a proxy object per call, which was most of what an observer
        # that wants none of them cost.
        self._listeners = {name: _listeners(self.observers, name) for name in _EVENTS}
        # An event of every request that no observer wants skips its hook altogether:
        # the plain method, bound on the instance, is found before the class's
        # override, so an observer that wants none of them costs nothing per request.
        for event, method in _PER_REQUEST_HOOKS.items():
            if not self._listeners[event]:
                setattr(self, method, getattr(HTTPProtocol, method).__get__(self))

    def connectionMade(self) -> None:
        for listener in self._listeners["connection_opened"]:
            listener(self)
        super().connectionMade()

    def dataReceived(self, data: bytes) -> None:
        for listener in self._listeners["bytes_received"]:
            listener(self, data)
        HTTPProtocol.dataReceived(self, data)

    def _request_head(self, head: RequestHead) -> None:
        for listener in self._listeners["request_head"]:
            listener(self, head)
        HTTPProtocol._request_head(self, head)

    def _body_data(self, data: bytes) -> None:
        for listener in self._listeners["body_data"]:
            listener(self, data)
        HTTPProtocol._body_data(self, data)

    def _request_complete(self, exchange: Exchange, trailers: Headers) -> None:
        for listener in self._listeners["end_of_message"]:
            listener(self, trailers)
        HTTPProtocol._request_complete(self, exchange, trailers)

    def _protocol_error(self, error: ProtocolError) -> None:
        for listener in self._listeners["protocol_error"]:
            listener(self, error)
        super()._protocol_error(error)

    def _send_error(self, error: ProtocolError) -> None:
        super()._send_error(error)
        for listener in self._listeners["error_sent"]:
            listener(self, error)

    def write(self, data: bytes) -> None:
        for listener in self._listeners["bytes_sent"]:
            listener(self, data)
        HTTPProtocol.write(self, data)

    def exchange_finished(self, exchange: Exchange) -> None:
        listeners = self._listeners["response_finished"]
        if listeners and exchange is self._pipeline.front:
            for listener in listeners:
                listener(self, exchange)
        HTTPProtocol.exchange_finished(self, exchange)

    def _timed_out(self, kind: TimerKind) -> None:
        for listener in self._listeners["timed_out"]:
            listener(self, kind)
        super()._timed_out(kind)

    def switch_protocol(self, exchange: Exchange, protocol: IProtocol, head: bytes) -> None:
        super().switch_protocol(exchange, protocol, head)
        forward = self.connectionLost  # the new protocol's, set by the switch

        def lost(reason: Failure = connectionDone) -> None:
            forward(reason)
            for listener in self._listeners["connection_closed"]:
                listener(self, reason)

        self.connectionLost = lost  # type: ignore[method-assign]
        for listener in self._listeners["protocol_switched"]:
            listener(self, protocol)

    def connectionLost(self, reason: Failure = connectionDone) -> None:
        super().connectionLost(reason)
        for listener in self._listeners["connection_closed"]:
            listener(self, reason)
