"""Read one request with labweb and with h11, and reduce each reading to a ``Verdict``.

Used by ``test_differential_h11.py``. Normalised away: h11 lower-cases header names (so
does labweb), folds repeated Content-Length lines into one value and lower-cases
Transfer-Encoding, so framing is compared as (content length, chunked) and those two
fields are left out of the field list. The h11 reading also keeps the raw bytes h11
took as head, chunk-size lines and trailers, for the known-difference predicates.
"""

from __future__ import annotations

import enum
from dataclasses import dataclass

import h11

from twisted_wsgi_lab.http11 import BodyData, Event, ProtocolError, RequestHead, RequestParser

Fields = tuple[tuple[bytes, bytes], ...]


class Outcome(enum.Enum):
    ACCEPTED = "accepted"  # a whole message, up to its end
    INCOMPLETE = "incomplete"  # still waiting for bytes
    REJECTED = "rejected"


@dataclass(frozen=True)
class Head:
    method: bytes
    target: bytes
    version: bytes  # b"1.1"
    fields: Fields  # lower-case names, without Content-Length and Transfer-Encoding
    content_length: int | None
    chunked: bool


@dataclass(frozen=True)
class Verdict:
    outcome: Outcome
    head: Head | None = None
    body: bytes = b""
    trailers: Fields = ()
    end: int | None = None  # offset just past the message, when ACCEPTED


def _normal_fields(fields: Fields) -> Fields:
    return tuple(
        (name, value.lower() if name == b"transfer-encoding" else value)
        for name, value in fields
        if name != b"content-length"
    )


# labweb ----------------------------------------------------------------------------


@dataclass(frozen=True)
class LabwebReading:
    verdict: Verdict
    events: tuple[Event, ...]


def read_with_labweb(data: bytes) -> LabwebReading:
    """Pull events from labweb's parser until the first message ends, or it refuses."""
    parser = RequestParser()
    parser.receive_data(data)
    events: list[Event] = []
    head: Head | None = None
    body = b""
    try:
        while (event := parser.next_event()) is not None:
            events.append(event)
            if isinstance(event, RequestHead):
                head = _labweb_head(event)
            elif isinstance(event, BodyData):
                body += event.data
            else:
                trailers = _normal_fields(event.trailers)
                end = len(data) - parser.buffered_bytes
                verdict = Verdict(Outcome.ACCEPTED, head, body, trailers, end)
                return LabwebReading(verdict, tuple(events))
    except ProtocolError:
        return LabwebReading(Verdict(Outcome.REJECTED, head, body), tuple(events))
    return LabwebReading(Verdict(Outcome.INCOMPLETE, head, body), tuple(events))


def _labweb_head(event: RequestHead) -> Head:
    return Head(
        method=event.method,
        target=event.target,
        version=b"%d.%d" % event.version,
        fields=_normal_fields(event.headers),
        content_length=event.content_length,
        chunked=event.chunked,
    )


# h11 -------------------------------------------------------------------------------


@dataclass(frozen=True)
class H11Reading:
    """h11's verdict, and the raw bytes it took as head, chunk-size lines and trailers."""

    verdict: Verdict
    head_bytes: bytes = b""
    chunk_lines: tuple[bytes, ...] = ()  # without their CRLF, the one h11 refused included
    trailer_bytes: bytes = b""
    fields: Fields = ()  # the head's fields as h11 returned them, framing ones included


class _H11Reader:
    def __init__(self, data: bytes) -> None:
        self.data = data
        self.conn = h11.Connection(h11.SERVER)
        if data:  # b"" would tell h11 the peer closed the connection
            self.conn.receive_data(data)
        self.start = 0  # where the bytes of the next event begin
        self.head: Head | None = None
        self.head_bytes = b""
        self.body = b""
        self.chunk_lines: list[bytes] = []
        self.trailer_bytes = b""
        self.fields: Fields = ()

    def read(self) -> H11Reading:
        try:
            while True:
                event = self.conn.next_event()
                end = len(self.data) - len(self.conn.trailing_data[0])
                region, self.start = self.data[self.start : end], end
                if event is h11.NEED_DATA:
                    self._chunk_line_in(region)
                    return self._reading(Verdict(Outcome.INCOMPLETE, self.head, self.body))
                if isinstance(event, h11.Request):
                    self._take_head(event, region)
                elif isinstance(event, h11.Data):
                    if event.chunk_start:
                        self._chunk_line_in(region)
                    self.body += bytes(event.data)
                elif isinstance(event, h11.EndOfMessage):
                    trailers = self._take_end(event, region)
                    verdict = Verdict(Outcome.ACCEPTED, self.head, self.body, trailers, end)
                    return self._reading(verdict)
                else:  # pragma: no cover - PAUSED and friends only come after the end
                    raise AssertionError(f"unexpected h11 event {event!r}")
        except h11.RemoteProtocolError:
            end = len(self.data) - len(self.conn.trailing_data[0])
            self._chunk_line_in(self.data[self.start : end])  # the line h11 refused, if any
            return self._reading(Verdict(Outcome.REJECTED, self.head, self.body))

    def _reading(self, verdict: Verdict) -> H11Reading:
        lines = tuple(self.chunk_lines)
        return H11Reading(verdict, self.head_bytes, lines, self.trailer_bytes, self.fields)

    def _take_head(self, event: h11.Request, region: bytes) -> None:
        fields = tuple((bytes(name), bytes(value)) for name, value in event.headers)
        self.fields = fields
        length = next((int(value) for name, value in fields if name == b"content-length"), None)
        chunked = any(name == b"transfer-encoding" for name, _ in fields)
        self.head = Head(
            method=bytes(event.method),
            target=bytes(event.target),
            version=bytes(event.http_version),
            fields=_normal_fields(fields),
            content_length=None if chunked else length,
            chunked=chunked,
        )
        self.head_bytes = region

    def _chunk_line_in(self, region: bytes) -> None:
        """Note the chunk-size line at the start of ``region``, if h11 took one."""
        if self.head is None or not self.head.chunked:
            return
        if self.chunk_lines:  # the CRLF that ended the previous chunk's data
            region = region.removeprefix(b"\r\n")
        line, crlf, _ = region.partition(b"\r\n")
        if crlf:
            self.chunk_lines.append(line)

    def _take_end(self, event: h11.EndOfMessage, region: bytes) -> Fields:
        if self.head is not None and self.head.chunked and region:
            if self.chunk_lines and region.startswith(b"\r\n"):
                region = region[2:]
            line, _, self.trailer_bytes = region.partition(b"\r\n")
            self.chunk_lines.append(line)
        return _normal_fields(tuple((bytes(n), bytes(v)) for n, v in event.headers))


def read_with_h11(data: bytes) -> H11Reading:
    """Pull events from an h11 server connection until the first message ends."""
    return _H11Reader(data).read()


# Comparing ----------------------------------------------------------------------------


def disagreement(ours: Verdict, theirs: Verdict) -> str | None:
    """Say how two verdicts differ, or None when they agree or one is undecided."""
    undecided = [v for v in (ours, theirs) if v.outcome is Outcome.INCOMPLETE and not v.head]
    if undecided:
        return None  # one side has not seen a whole head yet: it may still go either way
    if ours.head != theirs.head:
        return "the request heads differ"
    if ours.outcome is theirs.outcome is Outcome.REJECTED:
        return None
    if Outcome.REJECTED in (ours.outcome, theirs.outcome):
        other = theirs if ours.outcome is Outcome.REJECTED else ours
        refused = ours if other is theirs else theirs
        if other.outcome is Outcome.INCOMPLETE and len(other.body) <= len(refused.body):
            return None  # the waiting side has not yet read what the other refused
        return "one parser refused the body, the other read it"
    if ours != theirs:
        return "the body, trailers or end of message differ"
    return None
