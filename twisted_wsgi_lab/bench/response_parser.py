"""Where one HTTP/1.1 response ends in a byte stream: the load generator's only parsing.

A load generator must know where each response ends to send the next request on a
keep-alive connection, and whether the server asked to close; it needs nothing else.
So this reads the status line and the framing fields (Content-Length,
Transfer-Encoding, Connection) and counts body bytes without keeping them, following
RFC 9112 section 6.3: no body after HEAD or for 1xx, 204 and 304; chunked when
Transfer-Encoding ends with chunked; else Content-Length; else until the close.
Interim 1xx responses are skipped. Sans-IO: bytes in, finished responses out.
"""

from __future__ import annotations

import enum
from collections import deque
from dataclasses import dataclass

HEAD_END = b"\r\n\r\n"
CRLF = b"\r\n"
HEX_DIGITS = frozenset(b"0123456789abcdefABCDEF")


class ResponseParseError(ValueError):
    """The server's bytes are not an HTTP/1.1 response we can frame."""


@dataclass(frozen=True, slots=True)
class ResponseDone:
    """One complete response: its status, and whether the connection may carry another."""

    status: int
    keep_alive: bool
    body_bytes: int


class _State(enum.Enum):
    HEAD = enum.auto()  # waiting for the status line and fields
    LENGTH = enum.auto()  # a Content-Length body, ``_remaining`` bytes to go
    CHUNK_SIZE = enum.auto()  # waiting for a chunk-size line
    CHUNK_DATA = enum.auto()  # inside a chunk (``_remaining`` bytes, then CRLF)
    TRAILERS = enum.auto()  # after the last chunk, until an empty line
    UNTIL_CLOSE = enum.auto()  # neither length nor chunked: the close ends the body


@dataclass(frozen=True, slots=True)
class _Head:
    status: int
    keep_alive: bool
    chunked: bool
    content_length: int | None


class ResponseParser:
    """Feed bytes, get ``ResponseDone`` for each response that ended.

    ``expect(head=...)`` is called once per request sent, in order, since only the
    request says whether a response has a body (HEAD).
    """

    def __init__(self, *, max_head_bytes: int = 65_536) -> None:
        self._max_head_bytes = max_head_bytes
        self._buffer = bytearray()
        self._state = _State.HEAD
        self._expected: deque[bool] = deque()  # per request sent: was it HEAD?
        self._head = _Head(0, False, False, None)  # the response being read
        self._remaining = 0
        self._body_bytes = 0

    @property
    def in_progress(self) -> bool:
        """True once any byte of an unfinished response has arrived."""
        return bool(self._buffer) or self._state is not _State.HEAD

    def expect(self, *, head: bool = False) -> None:
        self._expected.append(head)

    def feed(self, data: bytes) -> list[ResponseDone]:
        """Consume ``data``; return the responses it completed, in order.

        Raises:
            ResponseParseError: not a response, a bad field, or a response nobody asked for.
        """
        self._buffer += data
        done: list[ResponseDone] = []
        while True:
            before = (len(self._buffer), self._state)
            finished = self._step()
            if finished is not None:
                done.append(finished)
            elif (len(self._buffer), self._state) == before:
                return done

    def connection_closed(self) -> ResponseDone | None:
        """The peer closed: a body read until the close ends here.

        Raises:
            ResponseParseError: the close cut a response short.
        """
        if self._state is _State.UNTIL_CLOSE:
            return self._finish()
        if self.in_progress:
            raise ResponseParseError(
                f"connection closed in the middle of a response ({self._state.name})"
            )
        return None

    def _step(self) -> ResponseDone | None:
        """Advance one state on the buffer; None when more bytes are needed."""
        if self._state is _State.HEAD:
            return self._read_head()
        if self._state in (_State.LENGTH, _State.UNTIL_CLOSE):
            return self._skip_body()
        if self._state is _State.CHUNK_DATA:
            return self._skip_chunk()
        return self._read_line()

    def _read_head(self) -> ResponseDone | None:
        end = self._buffer.find(HEAD_END)
        if end < 0:
            if len(self._buffer) > self._max_head_bytes:
                raise ResponseParseError("response head too long")
            return None
        head = parse_head(bytes(self._buffer[:end]))
        del self._buffer[: end + len(HEAD_END)]
        if 100 <= head.status < 200:
            if head.status == 101:
                raise ResponseParseError("101 Switching Protocols: not an HTTP response stream")
            return None  # interim; the final response follows
        if not self._expected:
            raise ResponseParseError(f"a {head.status} response that no request asked for")
        self._head = head
        self._body_bytes = 0
        was_head_request = self._expected.popleft()
        if was_head_request or head.status in (204, 304):
            return self._finish()
        if head.chunked:
            self._state = _State.CHUNK_SIZE
        elif head.content_length is not None:
            self._state, self._remaining = _State.LENGTH, head.content_length
            return self._finish() if head.content_length == 0 else None
        else:
            self._state = _State.UNTIL_CLOSE
        return None

    def _skip_body(self) -> ResponseDone | None:
        if self._state is _State.UNTIL_CLOSE:
            self._body_bytes += len(self._buffer)
            self._buffer.clear()
            return None
        taken = min(self._remaining, len(self._buffer))
        del self._buffer[:taken]
        self._remaining -= taken
        self._body_bytes += taken
        return self._finish() if self._remaining == 0 else None

    def _skip_chunk(self) -> ResponseDone | None:
        if self._remaining > 0:
            taken = min(self._remaining, len(self._buffer))
            del self._buffer[:taken]
            self._remaining -= taken
            self._body_bytes += taken
            return None
        if len(self._buffer) < len(CRLF):
            return None
        if self._buffer[:2] != CRLF:
            raise ResponseParseError("chunk data not followed by CRLF")
        del self._buffer[:2]
        self._state = _State.CHUNK_SIZE
        return None

    def _read_line(self) -> ResponseDone | None:
        """A chunk-size line or a trailer line."""
        end = self._buffer.find(CRLF)
        if end < 0:
            if len(self._buffer) > self._max_head_bytes:
                raise ResponseParseError("chunk-size or trailer line too long")
            return None
        line = bytes(self._buffer[:end])
        del self._buffer[: end + len(CRLF)]
        if self._state is _State.TRAILERS:
            return self._finish() if not line else None
        size = chunk_size(line)
        if size == 0:
            self._state = _State.TRAILERS
        else:
            self._state, self._remaining = _State.CHUNK_DATA, size
        return None

    def _finish(self) -> ResponseDone:
        keep_alive = self._head.keep_alive and self._state is not _State.UNTIL_CLOSE
        done = ResponseDone(self._head.status, keep_alive, self._body_bytes)
        self._state, self._remaining = _State.HEAD, 0
        return done


def parse_head(head: bytes) -> _Head:
    """Status and framing from a response head (without its final empty line).

    Raises:
        ResponseParseError: a bad status line, a field without a colon, or Content-Length
            values that are not digits or disagree (a framing ambiguity).
    """
    lines = head.split(CRLF)
    parts = lines[0].split(b" ", 2)
    if len(parts) < 2 or not parts[0].startswith(b"HTTP/1.") or len(parts[1]) != 3:
        raise ResponseParseError(f"bad status line: {lines[0][:80]!r}")
    if not parts[1].isdigit():
        raise ResponseParseError(f"bad status code: {parts[1]!r}")
    keep_alive = parts[0] == b"HTTP/1.1"
    chunked = False
    lengths: set[bytes] = set()
    for line in lines[1:]:
        name, colon, value = line.partition(b":")
        if not colon:
            raise ResponseParseError(f"header line without a colon: {line[:80]!r}")
        name, value = name.strip().lower(), value.strip()
        if name == b"content-length":
            lengths.update(item.strip() for item in value.split(b","))
        elif name == b"transfer-encoding":
            chunked = value.lower().rsplit(b",", 1)[-1].strip() == b"chunked"
        elif name == b"connection":
            tokens = {token.strip().lower() for token in value.split(b",")}
            keep_alive = b"close" not in tokens and (keep_alive or b"keep-alive" in tokens)
    return _Head(int(parts[1]), keep_alive, chunked, _content_length(lengths, chunked))


def _content_length(values: set[bytes], chunked: bool) -> int | None:
    if chunked or not values:
        return None
    if len(values) > 1 or not all(value.isdigit() for value in values):
        raise ResponseParseError(f"bad Content-Length: {sorted(values)!r}")
    return int(next(iter(values)))


def chunk_size(line: bytes) -> int:
    """The size on a chunk-size line; extensions after ';' are skipped.

    Raises:
        ResponseParseError: anything but hex digits before the extensions.
    """
    digits = line.split(b";", 1)[0].strip()
    if not digits or not HEX_DIGITS.issuperset(digits):
        raise ResponseParseError(f"bad chunk size: {line[:40]!r}")
    return int(digits, 16)
