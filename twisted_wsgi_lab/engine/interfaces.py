"""The engine's two seams: hosted code behind ``IRequestHandler``, the connection behind
``Connection``.

The protocol never knows whether it talks to the WSGI bridge or the native router:
both implement ``IRequestHandler`` and talk back through the ``Exchange`` they get. The
exchange never knows whether its connection is a socket, TLS, or an in-memory test
client: it uses only the few members of ``Connection``.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Protocol

from zope.interface import Interface

if TYPE_CHECKING:
    from twisted.internet.interfaces import IAddress, IProtocol, IReactorTime

    from ..http11 import Headers, Limits
    from .exchange import Exchange


class IRequestHandler(Interface):
    """Hosted code, as the protocol sees it."""

    def handle(exchange: Exchange) -> None:  # noqa: N805 (zope.interface style)
        """Take charge of one request.

        Called in request order, once the previous response on the connection is done.
        The handler reads the body through ``exchange.receive_body()`` if it wants it,
        answers with ``start_response()``, ``write()`` and ``finish()``, and may
        register a push producer on the exchange so a slow client pauses it. An
        exception raised here is answered with a 500 (or a cut connection, if bytes of
        the response already left) by the engine.
        """


class BodyReceiver(Protocol):
    """Where an exchange delivers the request body, in order, de-chunked."""

    def body_data(self, data: bytes) -> None:
        """A piece of the body arrived."""

    def body_end(self, trailers: Headers) -> None:
        """The body is complete."""


class Connection(Protocol):
    """What an exchange needs from the connection it arrived on, and nothing more."""

    limits: Limits
    clock: IReactorTime
    server_header: bytes

    @property
    def peer(self) -> IAddress:
        """The client's address."""

    @property
    def host(self) -> IAddress:
        """The address the connection arrived on."""

    @property
    def secure(self) -> bool:
        """True on TLS."""

    @property
    def writes_paused(self) -> bool:
        """True while the client is not reading what was sent."""

    @property
    def answering(self) -> bool:
        """False once the connection is closing or gone: what is written now is lost."""

    def date(self) -> bytes:
        """The Date value for a response sent now."""

    def write(self, data: bytes) -> None:
        """Send bytes of the response in front."""

    def body_wanted(self, exchange: Exchange) -> None:
        """``exchange``'s handler takes body data again: read from the client."""

    def exchange_finished(self, exchange: Exchange) -> None:
        """``exchange``'s response is complete: answer the next request."""

    def abort(self) -> None:
        """A response under way cannot be completed: cut the connection."""

    def reset(self) -> None:
        """Drop the connection at once: unsent bytes are lost, TCP answers with a reset."""

    def switch_protocol(self, exchange: Exchange, protocol: IProtocol, head: bytes) -> None:
        """Send the 101 ``head``, then hand the transport and what follows to ``protocol``."""
