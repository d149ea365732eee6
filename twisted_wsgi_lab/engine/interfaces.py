"""The one interface between the HTTP engine and the code it hosts.

The protocol never knows whether it talks to the WSGI bridge or the native router:
both implement ``IRequestHandler`` and talk back through the ``Exchange`` they get.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Protocol

from zope.interface import Interface

if TYPE_CHECKING:
    from ..http11 import Headers
    from .exchange import Exchange


class IRequestHandler(Interface):
    """Hosted code, as the protocol sees it."""

    def handle(exchange: Exchange) -> None:  # noqa: N805 (zope.interface style)
        """Take charge of one request.

        Called in request order, once the previous response on the connection is done.
        The handler reads the body through ``exchange.receive_body()`` if it wants it,
        answers with ``start_response()``, ``write()`` and ``finish()``, and may
        register a push producer on the exchange so a slow client pauses it.
        """


class BodyReceiver(Protocol):
    """Where an exchange delivers the request body, in order, de-chunked."""

    def body_data(self, data: bytes) -> None:
        """A piece of the body arrived."""

    def body_end(self, trailers: Headers) -> None:
        """The body is complete."""
