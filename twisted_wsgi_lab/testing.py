"""In-memory testing: a connection with no socket, and a strict reader for responses.

Tests of labweb use these, and so can tests of an application served by labweb::

    protocol, transport = connect(HTTPFactory(WSGIBridge(app), clock=Clock()))
    protocol.dataReceived(b"GET / HTTP/1.1\\r\\nHost: x\\r\\n\\r\\n")
    [response] = parse_responses(transport.value())
"""

from __future__ import annotations

from dataclasses import dataclass, field

from twisted.internet.address import IPv4Address
from twisted.internet.testing import StringTransport

from .engine import HTTPFactory, HTTPProtocol


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
