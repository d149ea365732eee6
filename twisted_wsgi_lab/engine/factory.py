"""HTTPFactory: one per listening server; builds a protocol per connection."""

from __future__ import annotations

from collections.abc import Iterable
from typing import TYPE_CHECKING

from twisted.internet.interfaces import IProtocolNegotiationFactory, IReactorTime
from twisted.internet.protocol import Factory, connectionDone
from twisted.logger import Logger
from twisted.python.failure import Failure
from zope.interface import implementer

from .. import __version__
from ..http11 import Limits, ProtocolError
from .observers import ConnectionObserver, ObservedHTTPProtocol
from .protocol import HTTPProtocol
from .states import CONNECTION_TRANSITIONS, advance

if TYPE_CHECKING:
    from twisted.internet.interfaces import IAddress

    from .interfaces import IRequestHandler

log = Logger()


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
        observers: Iterable[ConnectionObserver] | None = None,
    ) -> None:
        """Serve ``handler``; ``observers`` see every connection from the first one.

        Without ``observers``, those the handler carries in ``connection_observers``
        (a native App's ``add_observer``) are taken, so an App served by any factory,
        the test client's included, tells its observers without further code.
        """
        if clock is None:
            from twisted.internet import reactor as default_reactor

            clock = default_reactor
        self.handler = handler
        self.limits = limits or Limits()
        self.clock: IReactorTime = clock
        self.server_header = server_header
        self.connections: set[HTTPProtocol] = set()
        if observers is None:
            observers = getattr(handler, "connection_observers", ())
        self.observers: tuple[ConnectionObserver, ...] = tuple(observers)

    def acceptableProtocols(self) -> list[bytes]:
        """ALPN: HTTP/1.1 only; TLS clients (curl, browsers) ask before they send a byte."""
        return [b"http/1.1"]

    def add_observer(self, observer: ConnectionObserver) -> None:
        """See every event of the connections made from now on."""
        self.observers = (*self.observers, observer)

    def remove_observer(self, observer: ConnectionObserver) -> None:
        """Stop telling ``observer``; once none is left, new connections cost nothing."""
        self.observers = tuple(o for o in self.observers if o is not observer)

    @property
    def requests_in_flight(self) -> int:
        """Requests parsed and not yet answered, over every open connection."""
        return sum(connection.requests_in_flight for connection in self.connections)

    def buildProtocol(self, addr: IAddress | None) -> HTTPProtocol:
        limit = self.limits.max_connections
        if limit is not None and len(self.connections) >= limit:
            return _OverloadedProtocol(self)
        if self.observers:
            return ObservedHTTPProtocol(self)
        return HTTPProtocol(self)


class _OverloadedProtocol(HTTPProtocol):
    """Answers 503 at once and closes: the server holds ``max_connections`` already."""

    def _client_may_be_sending(self) -> bool:
        return False  # closed at once: a flood must not hold descriptors past the limit

    def connectionMade(self) -> None:
        log.info("refusing a connection: {n} open already", n=len(self.factory.connections))
        self.transport.registerProducer(self, True)  # type: ignore[union-attr]
        error = ProtocolError("too many connections, try again later", status=503)
        self.state = advance(CONNECTION_TRANSITIONS, self.state, "fail")
        self._error = error
        self._send_error(error)

    def connectionLost(self, reason: Failure = connectionDone) -> None:
        self.state = advance(CONNECTION_TRANSITIONS, self.state, "lost")
        self._timers.cancel_all()
