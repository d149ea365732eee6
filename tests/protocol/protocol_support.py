"""Handlers that let protocol tests script each answer."""

from __future__ import annotations

from zope.interface import implementer

from twisted_wsgi_lab.engine import Exchange, IRequestHandler


@implementer(IRequestHandler)
class HeldHandler:
    """Keeps every exchange so the test decides when and how each is answered."""

    def __init__(self) -> None:
        self.exchanges: list[Exchange] = []

    def handle(self, exchange: Exchange) -> None:
        self.exchanges.append(exchange)


def answer(exchange: Exchange, body: bytes = b"ok", status: int = 200) -> None:
    """Send a complete response with a Content-Length."""
    headers = [(b"Content-Length", b"%d" % len(body))]
    exchange.start_response(status, b"OK", headers)
    exchange.write(body)
    exchange.finish()


@implementer(IRequestHandler)
class EchoPathHandler:
    """Answers at once with the request path as the body."""

    def handle(self, exchange: Exchange) -> None:
        answer(exchange, exchange.head.path)


class IgnoredBody:
    """A body receiver that takes every byte and keeps none."""

    def body_data(self, data: bytes) -> None:
        pass

    def body_end(self, trailers: object) -> None:
        pass


class BodyCollector:
    """A body receiver that keeps every piece and notes the end."""

    def __init__(self) -> None:
        self.data: list[bytes] = []
        self.ended = False

    def body_data(self, data: bytes) -> None:
        self.data.append(data)

    def body_end(self, trailers: object) -> None:
        self.ended = True
