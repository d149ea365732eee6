"""What the parser hands out: frozen values, one per step of a request."""

from __future__ import annotations

from dataclasses import dataclass
from typing import NamedTuple

Headers = tuple[tuple[bytes, bytes], ...]


class RequestHead(NamedTuple):
    """Request line and header fields, complete and validated.

    Header names are lower-cased, wire order is kept. The fields below ``headers`` are
    what the parser derived while validating, so nobody downstream parses them again.

    A named tuple rather than a frozen dataclass, the other events' shape: one is built
    per request, and a frozen dataclass sets each of these twelve fields with a call
    to ``object.__setattr__``, which made it the dearest step of parsing a small head.
    It is as immutable, and reads as fast.
    """

    method: bytes
    target: bytes
    version: tuple[int, int]
    headers: Headers
    path: bytes = b"/"  # still percent-encoded; b"*" for asterisk-form, b"" for authority-form
    query: bytes = b""  # without the '?'
    authority: bytes = b""  # from an absolute-form target, else the Host field
    content_length: int | None = None
    chunked: bool = False
    keep_alive: bool = True  # what the request asks for; the response may still close
    expects_continue: bool = False
    upgrade: bool = False  # Upgrade named in Connection, HTTP/1.1 (RFC 9110 section 7.8)

    @property
    def has_body(self) -> bool:
        """True when body bytes follow the head (chunked, or a non-zero length)."""
        return self.chunked or bool(self.content_length)

    def get(self, name: bytes) -> bytes | None:
        """All values of ``name`` (lower-case) joined by ", ", or None if absent."""
        values = [value for key, value in self.headers if key == name]
        return b", ".join(values) if values else None


@dataclass(frozen=True, slots=True)
class BodyData:
    """A piece of the request body, already de-chunked."""

    data: bytes


@dataclass(frozen=True, slots=True)
class EndOfMessage:
    """The request body is complete; trailers (chunked only) are never used for framing."""

    trailers: Headers = ()


Event = RequestHead | BodyData | EndOfMessage
