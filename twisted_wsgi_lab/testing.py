"""In-memory testing: a connection with no socket, and a strict reader for responses.

Tests of labweb use these, and so can tests of an application served by labweb::

    protocol, transport = connect(HTTPFactory(WSGIBridge(app), clock=Clock()))
    protocol.dataReceived(b"GET / HTTP/1.1\\r\\nHost: x\\r\\n\\r\\n")
    [response] = parse_responses(transport.value())

One level lower, ``exchange_for`` hands a handler one request on a
``MemoryConnection``: no protocol, no transport, only the engine's ``Connection``
interface, which is all an exchange ever uses::

    exchange = exchange_for(b"GET / HTTP/1.1\\r\\nHost: x\\r\\n\\r\\n")
    handler.handle(exchange)
    [response] = parse_responses(bytes(exchange.connection.written))
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from twisted.internet.address import IPv4Address
from twisted.internet.interfaces import IAddress, IProtocol, IReactorTime
from twisted.internet.task import Clock
from twisted.internet.testing import StringTransport

from .engine import Exchange, HTTPFactory, HTTPProtocol
from .http11 import BodyData, Limits, RequestHead, RequestParser
from .http11.dates import http_date

if TYPE_CHECKING:
    from .engine import Connection


def connect(
    factory: HTTPFactory, *, peer: tuple[str, int] = ("127.0.0.1", 40000)
) -> tuple[HTTPProtocol, StringTransport]:
    """A protocol from ``factory`` connected to a StringTransport, as if accepted."""
    transport = StringTransport(
        hostAddress=IPv4Address("TCP", "127.0.0.1", 8080),
        peerAddress=IPv4Address("TCP", *peer),
    )
    protocol = factory.buildProtocol(transport.getPeer())
    protocol.makeConnection(transport)
    return protocol, transport


class MemoryConnection:
    """The engine's ``Connection`` interface with nothing behind it, for one exchange.

    What the exchange writes collects in ``written``; ``finished`` lists the exchanges
    that completed, ``aborted`` says whether one gave up (``was_reset``: with a RST),
    and ``switched_to`` holds the protocol a 101 handed the connection to.
    """

    def __init__(
        self,
        *,
        limits: Limits | None = None,
        clock: IReactorTime | None = None,
        peer: tuple[str, int] = ("127.0.0.1", 40000),
        secure: bool = False,
        server_header: bytes = b"labweb-test",
    ) -> None:
        self.limits = limits or Limits()
        self.clock: IReactorTime = clock or Clock()
        self.server_header = server_header
        self._peer = IPv4Address("TCP", *peer)
        self._secure = secure
        self.writes_paused = False
        self.written = bytearray()
        self.finished: list[Exchange] = []
        self.aborted = False
        self.was_reset = False
        self.switched_to: IProtocol | None = None

    @property
    def peer(self) -> IAddress:
        return self._peer

    @property
    def host(self) -> IAddress:
        return IPv4Address("TCP", "127.0.0.1", 8080)

    @property
    def secure(self) -> bool:
        return self._secure

    @property
    def answering(self) -> bool:
        return not self.aborted and not self.was_reset

    def date(self) -> bytes:
        return http_date(self.clock.seconds())

    def write(self, data: bytes) -> None:
        self.written += data

    def body_wanted(self, exchange: Exchange) -> None:
        """The whole body is delivered up front: nothing to resume."""

    def exchange_finished(self, exchange: Exchange) -> None:
        self.finished.append(exchange)

    def abort(self) -> None:
        self.aborted = True

    def reset(self) -> None:
        self.was_reset = True

    def switch_protocol(self, exchange: Exchange, protocol: IProtocol, head: bytes) -> None:
        self.written += head
        self.switched_to = protocol


def exchange_for(request: bytes, connection: MemoryConnection | None = None) -> Exchange:
    """Parse one complete request into an ``Exchange`` on ``connection``, body included.

    Raises:
        ProtocolError: ``request`` is not valid HTTP/1.1.
        ValueError: ``request`` is not one whole request.
    """
    connection = connection or MemoryConnection()
    events = RequestParser(connection.limits).feed(request)
    head = events[0] if events else None
    if type(head) is not RequestHead:
        raise ValueError("exchange_for needs a complete request head")
    exchange = Exchange(connection, head)
    for event in events[1:]:
        if type(event) is BodyData:
            exchange.deliver_body(event.data)
        elif type(event) is RequestHead:
            raise ValueError("exchange_for takes one request, not several")
        else:
            exchange.end_body(event.trailers)  # type: ignore[union-attr]
    if not exchange.body_complete:
        raise ValueError("exchange_for needs the whole request body")
    return exchange


if TYPE_CHECKING:

    def _both_are_connections(connection: MemoryConnection | HTTPProtocol) -> Connection:
        return connection  # mypy checks that each one has every member of Connection


@dataclass
class ParsedResponse:
    """One response read back from the wire."""

    status: int
    reason: bytes
    headers: list[tuple[bytes, bytes]] = field(default_factory=list)
    body: bytes = b""
    chunked: bool = False

    def header(self, name: bytes) -> bytes | None:
        """The value of ``name`` (any case), the values joined if repeated."""
        values = [v for k, v in self.headers if k.lower() == name.lower()]
        return b", ".join(values) if values else None


def parse_responses(
    data: bytes, *, head_methods: tuple[int, ...] = (), complete: bool = True
) -> list[ParsedResponse]:
    """Split ``data`` into responses, framed by Content-Length, chunked or the end.

    ``head_methods`` lists the positions (0-based) of responses to HEAD requests, which
    have no body whatever their fields say. With ``complete`` a truncated response
    raises ValueError; without it, the incomplete tail is left out.
    """
    responses: list[ParsedResponse] = []
    while data:
        head, separator, rest = data.partition(b"\r\n\r\n")
        if not separator:
            if complete:
                raise ValueError(f"incomplete response head: {data[:80]!r}")
            break
        lines = head.split(b"\r\n")
        _, status, reason = [*lines[0].split(b" ", 2), b""][:3]
        response = ParsedResponse(int(status), reason)
        for line in lines[1:]:
            name, _, value = line.partition(b": ")
            response.headers.append((name, value))
        bodiless = len(responses) in head_methods or response.status in (204, 304)
        if 100 <= response.status < 200 or bodiless:
            data = rest
        elif response.header(b"transfer-encoding") == b"chunked":
            response.chunked = True
            try:
                response.body, data = _dechunk(rest)
            except ValueError:
                if complete:
                    raise
                break
        elif (length := response.header(b"content-length")) is not None:
            if len(rest) < int(length) and complete:
                raise ValueError("response body shorter than its Content-Length")
            response.body, data = rest[: int(length)], rest[int(length) :]
        else:
            response.body, data = rest, b""
        responses.append(response)
    return responses


def _dechunk(data: bytes) -> tuple[bytes, bytes]:
    body: list[bytes] = []
    while True:
        line, separator, data = data.partition(b"\r\n")
        if not separator:
            raise ValueError("incomplete chunked body")
        size = int(line.split(b";")[0], 16)
        if size == 0:
            _, _, data = data.partition(b"\r\n")  # no trailers are ever sent
            return b"".join(body), data
        body.append(data[:size])
        data = data[size + 2 :]
