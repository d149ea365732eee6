"""One recorded exchange: what the recorder keeps of a request and its response.

The raw bytes of each direction are kept up to ``max_raw_bytes`` (the rest is only
counted), so a large upload or download costs a bounded amount of memory. Times are
the connection clock's seconds (``clock.seconds()``: Unix time on a real reactor).
"""

from __future__ import annotations

import enum
from dataclasses import dataclass, field
from typing import Any

from ..http11 import RequestHead
from .text import escape_bytes

DEFAULT_MAX_RAW_BYTES = 8 * 1024


class Outcome(enum.Enum):
    """How an exchange ended, as the dashboard and the HAR export say it."""

    IN_PROGRESS = "in-progress"  # still being read or answered
    ANSWERED = "answered"  # the hosted code's response is complete
    ENGINE_ERROR = "engine-error"  # the engine answered itself: 400, 408, 431, 503...
    SWITCHED = "switched"  # 101: the connection now speaks another protocol
    NO_RESPONSE = "no-response"  # the connection ended before a complete response


@dataclass(slots=True)
class ResponseHead:
    """The final status line and fields found at the start of the bytes sent."""

    status: int = 0
    reason: str = ""
    headers: list[tuple[str, str]] = field(default_factory=list)
    size: int = -1  # bytes of the head with its blank line; -1 if not all captured


def parse_response_head(raw: bytes) -> ResponseHead:
    """The last head in ``raw`` that is not an interim 1xx (100 Continue goes first)."""
    found = ResponseHead()
    offset = 0
    while True:
        end = raw.find(b"\r\n\r\n", offset)
        if end < 0:
            return found
        lines = raw[offset:end].decode("latin-1").split("\r\n")
        _, _, rest = lines[0].partition(" ")
        code, _, reason = rest.partition(" ")
        headers = []
        for line in lines[1:]:
            name, colon, value = line.partition(":")
            if colon:
                headers.append((name.strip(), value.strip()))
        found = ResponseHead(int(code) if code.isdigit() else 0, reason, headers, end + 4)
        if not 100 <= found.status < 200 or found.status == 101:
            return found
        offset = end + 4


@dataclass(slots=True, eq=False)
class ExchangeRecord:
    """A request and its response as they crossed the wire, with their timings."""

    number: int  # increasing over the recorder's life: the feed sends what is new
    connection_id: int
    peer: str
    scheme: str
    started: float  # the first byte of the request arrived
    max_raw_bytes: int = DEFAULT_MAX_RAW_BYTES
    head: RequestHead | None = None  # None: the engine refused bytes that were no head
    head_at: float | None = None
    request_end_at: float | None = None
    response_start_at: float | None = None
    finished_at: float | None = None
    status: int | None = None
    outcome: Outcome = Outcome.IN_PROGRESS
    error: str = ""  # what the engine said when it answered itself
    raw_in: bytearray = field(default_factory=bytearray)
    raw_out: bytearray = field(default_factory=bytearray)
    bytes_in: int = 0
    bytes_out: int = 0

    def take_in(self, data: bytes | bytearray) -> None:
        """Count bytes of the request; keep them while under the cap."""
        self.bytes_in += len(data)
        room = self.max_raw_bytes - len(self.raw_in)
        if room > 0:
            self.raw_in += data[:room]

    def take_out(self, data: bytes, now: float) -> None:
        """Count bytes of the response; the first ones start its timing."""
        if self.response_start_at is None:
            self.response_start_at = now
        self.bytes_out += len(data)
        room = self.max_raw_bytes - len(self.raw_out)
        if room > 0:
            self.raw_out += data[:room]

    def end(self, outcome: Outcome, now: float, status: int | None = None) -> None:
        """The exchange is over: ``status`` is what went out (None: nothing did)."""
        self.outcome = outcome
        self.finished_at = now
        if status is not None:
            self.status = status

    @property
    def method(self) -> str:
        return self.head.method.decode("latin-1") if self.head else ""

    @property
    def target(self) -> str:
        return self.head.target.decode("latin-1") if self.head else ""

    @property
    def duration(self) -> float | None:
        """Seconds from the first request byte to the last response byte."""
        return None if self.finished_at is None else self.finished_at - self.started

    def summary(self) -> dict[str, Any]:
        """A JSON-ready line for lists: no raw bytes."""
        duration = self.duration
        return {
            "number": self.number,
            "connection": self.connection_id,
            "peer": self.peer,
            "started": self.started,
            "method": self.method,
            "target": self.target,
            "status": self.status,
            "outcome": self.outcome.value,
            "error": self.error,
            "duration_ms": None if duration is None else round(duration * 1000, 3),
            "bytes_in": self.bytes_in,
            "bytes_out": self.bytes_out,
        }

    def details(self) -> dict[str, Any]:
        """The summary, the request fields, and both directions' raw bytes (escaped)."""
        head = self.head
        return {
            **self.summary(),
            "request_headers": [
                [name.decode("latin-1"), value.decode("latin-1")] for name, value in head.headers
            ]
            if head
            else [],
            "raw_in": escape_bytes(bytes(self.raw_in)),
            "raw_out": escape_bytes(bytes(self.raw_out)),
            "raw_in_truncated": self.bytes_in > len(self.raw_in),
            "raw_out_truncated": self.bytes_out > len(self.raw_out),
        }
