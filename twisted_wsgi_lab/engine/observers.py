"""Observers: see every event of every connection, at no cost when there are none.

``HTTPFactory.add_observer`` makes the factory build ``ObservedHTTPProtocol`` for new
connections; without an observer it builds the plain ``HTTPProtocol``, whose path has
no check for observers at all. The access log, the wire trace and the dashboard are
observers. Each method gets the connection; ``connection.clock.seconds()`` times it.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

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


class ObservedHTTPProtocol(HTTPProtocol):
    """``HTTPProtocol`` that tells the factory's observers about each event.

    The observers are those registered when the connection was made: an observer sees
    a connection from its opening to its close, or not at all.
    """

    def __init__(self, factory: HTTPFactory) -> None:
        super().__init__(factory)
        self.observers = factory.observers

    def connectionMade(self) -> None:
        for observer in self.observers:
            observer.connection_opened(self)
        super().connectionMade()

    def dataReceived(self, data: bytes) -> None:
        for observer in self.observers:
            observer.bytes_received(self, data)
        super().dataReceived(data)

    def _request_head(self, head: RequestHead) -> None:
        for observer in self.observers:
            observer.request_head(self, head)
        super()._request_head(head)

    def _body_data(self, data: bytes) -> None:
        for observer in self.observers:
            observer.body_data(self, data)
        super()._body_data(data)

    def _end_of_message(self, trailers: Headers) -> None:
        for observer in self.observers:
            observer.end_of_message(self, trailers)
        super()._end_of_message(trailers)

    def _protocol_error(self, error: ProtocolError) -> None:
        for observer in self.observers:
            observer.protocol_error(self, error)
        super()._protocol_error(error)

    def write(self, data: bytes) -> None:
        for observer in self.observers:
            observer.bytes_sent(self, data)
        super().write(data)

    def exchange_finished(self, exchange: Exchange) -> None:
        if exchange is self._pipeline.front:
            for observer in self.observers:
                observer.response_finished(self, exchange)
        super().exchange_finished(exchange)

    def _timed_out(self, kind: TimerKind) -> None:
        for observer in self.observers:
            observer.timed_out(self, kind)
        super()._timed_out(kind)

    def switch_protocol(self, exchange: Exchange, protocol: IProtocol, head: bytes) -> None:
        super().switch_protocol(exchange, protocol, head)
        forward = self.connectionLost  # the new protocol's, set by the switch

        def lost(reason: Failure = connectionDone) -> None:
            forward(reason)
            for observer in self.observers:
                observer.connection_closed(self, reason)

        self.connectionLost = lost  # type: ignore[method-assign]
        for observer in self.observers:
            observer.protocol_switched(self, protocol)

    def connectionLost(self, reason: Failure = connectionDone) -> None:
        super().connectionLost(reason)
        for observer in self.observers:
            observer.connection_closed(self, reason)
