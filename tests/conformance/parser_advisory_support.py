"""Helpers for the parser advisory tests: every attack is read twice.

First by the sans-IO parser alone, fed whole and byte by byte: a parser whose answer
depends on how TCP cut the bytes is one that two peers can disagree with. Then through
HTTPProtocol and the WSGI bridge, where what counts is what the application saw and
whether the connection was closed after the error response.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any
from wsgiref.validate import validator

from twisted.internet.task import Clock

from twisted_wsgi_lab.engine import HTTPFactory
from twisted_wsgi_lab.http11 import BodyData, Event, ProtocolError, RequestParser
from twisted_wsgi_lab.testing import ParsedResponse, connect, parse_responses
from twisted_wsgi_lab.wsgi import WSGIBridge

# The request an attacker hides behind a misframed one; it must never reach the app.
SMUGGLED = b"GET /smuggled HTTP/1.1\r\nHost: a\r\n\r\n"


@dataclass(frozen=True)
class Reading:
    """What the parser made of a byte stream."""

    events: list[Event]  # adjacent BodyData joined: how a body is cut is no contract
    status: int | None  # of the ProtocolError that ended the stream; None if none did


def read_stream(data: bytes) -> Reading:
    """Parse ``data`` fed whole and byte by byte; both readings must agree."""
    whole = _read_pieces([data])
    bytewise = _read_pieces(data[index : index + 1] for index in range(len(data)))
    assert bytewise == whole, f"fed whole: {whole}; fed byte by byte: {bytewise}"
    return whole


def refusal(data: bytes) -> int:
    """The status of the ProtocolError that ``data`` must raise."""
    reading = read_stream(data)
    assert reading.status is not None, f"accepted as {reading.events}"
    return reading.status


def events_of(data: bytes) -> list[Event]:
    """The events of a stream that must be accepted in full."""
    reading = read_stream(data)
    assert reading.status is None, f"refused with {reading.status} after {reading.events}"
    return reading.events


def _read_pieces(pieces: Iterable[bytes]) -> Reading:
    parser = RequestParser()
    events: list[Event] = []
    try:
        for piece in pieces:
            parser.receive_data(piece)
            while (event := parser.next_event()) is not None:
                _append(events, event)
    except ProtocolError as error:
        return Reading(events, error.status)
    return Reading(events, None)


def _append(events: list[Event], event: Event) -> None:
    if isinstance(event, BodyData) and events and isinstance(events[-1], BodyData):
        events[-1] = BodyData(events[-1].data + event.data)
    else:
        events.append(event)


@dataclass(frozen=True)
class Seen:
    """One request as the WSGI application received it."""

    method: str
    path: str
    body: bytes
    headers: dict[str, str]  # the HTTP_* keys of the environ


@dataclass(frozen=True)
class Served:
    """What serving a byte stream did: the app's view, the wire, the connection."""

    seen: list[Seen]
    responses: list[ParsedResponse]
    closed: bool

    @property
    def statuses(self) -> list[int]:
        return [response.status for response in self.responses]


def serve(data: bytes) -> Served:
    """Deliver ``data`` in one read to a validated WSGI app behind labweb."""
    seen: list[Seen] = []

    def app(environ: dict[str, Any], start_response: Any) -> list[bytes]:
        body = environ["wsgi.input"].read(int(environ.get("CONTENT_LENGTH") or 0))
        headers = {key: value for key, value in environ.items() if key.startswith("HTTP_")}
        seen.append(Seen(environ["REQUEST_METHOD"], environ["PATH_INFO"], body, headers))
        start_response("200 OK", [("Content-Type", "text/plain"), ("Content-Length", "2")])
        return [b"ok"]

    factory = HTTPFactory(WSGIBridge(validator(app)), clock=Clock())
    protocol, transport = connect(factory)
    protocol.dataReceived(data)
    return Served(seen, parse_responses(transport.value()), transport.disconnecting)


def assert_refused_and_closed(data: bytes, status: int, *, answered: int = 0) -> Served:
    """Serve ``data``: ``answered`` requests get 200, then one error closes the connection.

    The smuggled request must not reach the application, and nothing may follow the
    error response on the wire.
    """
    served = serve(data)
    assert served.statuses == [200] * answered + [status]
    assert len(served.seen) == answered
    assert "/smuggled" not in [request.path for request in served.seen]
    assert served.responses[-1].header(b"connection") == b"close"
    assert served.closed
    return served
