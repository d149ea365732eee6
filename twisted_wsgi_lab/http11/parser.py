"""The request parser: bytes in, events out, no I/O and no Twisted.

States, in the order a request walks them::

    HEAD --(no body)------------------------------------------------> HEAD (next request)
    HEAD --(Content-Length)--> LENGTH --------------------------------> HEAD
    HEAD --(chunked)--> CHUNK_SIZE -> CHUNK_DATA -> CHUNK_CRLF -> CHUNK_SIZE
                        CHUNK_SIZE --(size 0)--> TRAILERS ------------> HEAD
    any state --(ProtocolError)--> ERROR (every later call raises the same error)
    HEAD --(detach(), after a 101 response)--> DETACHED (the bytes belong to another protocol)

The caller pulls one event at a time with ``next_event()``, so it can stop pulling (to
pause a body, or hold pipelined requests) and the unread bytes simply wait here.
"""

from __future__ import annotations

import enum

from .errors import ProtocolError
from .events import BodyData, EndOfMessage, Event
from .grammar import chunk_size
from .head import parse_fields, parse_head
from .limits import Limits


class _State(enum.Enum):
    HEAD = enum.auto()
    LENGTH = enum.auto()
    CHUNK_SIZE = enum.auto()
    CHUNK_DATA = enum.auto()
    CHUNK_CRLF = enum.auto()
    TRAILERS = enum.auto()
    ERROR = enum.auto()
    DETACHED = enum.auto()


# Each state as a module global: on Python 3.11 reading a member off its Enum class
# (``_State.HEAD``) goes through the metaclass and costs as much as a method call, and
# the parser tests its state several times for every request.
_HEAD, _LENGTH, _ERROR, _DETACHED = _State.HEAD, _State.LENGTH, _State.ERROR, _State.DETACHED
_CHUNK_SIZE, _CHUNK_DATA, _CHUNK_CRLF = _State.CHUNK_SIZE, _State.CHUNK_DATA, _State.CHUNK_CRLF
_TRAILERS = _State.TRAILERS

_CR = ord("\r")

# Events are immutable, so the end of a message without trailers (nearly every one)
# is one shared value instead of a new object per request.
_END_OF_MESSAGE = EndOfMessage()


class RequestParser:
    """Parse a stream of HTTP/1.1 requests from one connection."""

    def __init__(self, limits: Limits | None = None) -> None:
        self._limits = limits or Limits()
        self._buffer = bytearray()
        self._state = _HEAD
        self._scanned = 0  # bytes of the buffer already searched for the end of a head
        self._remaining = 0  # body bytes left in the Content-Length body or current chunk
        self._body_total = 0  # de-chunked bytes of the current body so far
        self._error: ProtocolError | None = None

    @property
    def between_requests(self) -> bool:
        """True when no byte of the next request has arrived yet."""
        buffer = self._buffer  # asked twice per request: an empty one needs no strip() copy
        return self._state is _HEAD and (not buffer or not buffer.strip(b"\r\n"))

    @property
    def buffered_bytes(self) -> int:
        """How many received bytes wait to be parsed."""
        return len(self._buffer)

    def receive_data(self, data: bytes) -> None:
        """Append bytes from the peer; nothing is parsed until ``next_event()``."""
        self._buffer += data

    def detach(self) -> bytes:
        """Stop parsing and return the bytes received but not parsed.

        After ``101 Switching Protocols`` the bytes that followed the request's head
        belong to the new protocol (RFC 9110 section 15.2.2). Only between requests.

        Raises:
            RuntimeError: a request is still being parsed.
        """
        if self._state is not _HEAD:
            raise RuntimeError(f"cannot detach the parser in state {self._state.name}")
        rest = bytes(self._buffer)
        self._buffer.clear()
        self._state = _DETACHED
        self._error = ProtocolError("the connection switched protocols")
        return rest

    def feed(self, data: bytes) -> list[Event]:
        """Receive ``data`` and return every event it completes."""
        self.receive_data(data)
        events = []
        while (event := self.next_event()) is not None:
            events.append(event)
        return events

    def next_event(self) -> Event | None:
        """Return the next event, or None when more bytes are needed.

        Raises:
            ProtocolError: the bytes break HTTP/1.1; the parser stays broken after it.
        """
        if self._error is not None:
            raise self._error
        try:
            # Most events are heads: tested here, they cost no second method call.
            if self._state is _HEAD:
                return self._head()
            return self._step()
        except ProtocolError as error:
            self._state = _ERROR
            self._error = error
            raise

    def _step(self) -> Event | None:
        state = self._state
        if state is _HEAD:
            return self._head()
        if state is _LENGTH or state is _CHUNK_DATA:
            return self._body_bytes()
        if state is _CHUNK_SIZE:
            return self._chunk_size()
        if state is _CHUNK_CRLF:
            return self._chunk_crlf()
        return self._trailers()

    def _head(self) -> Event | None:
        buffer = self._buffer
        if not buffer:
            return None  # between requests: the common case after every response
        if buffer[0] == _CR:  # an int test first: it is nearly never a CR
            while buffer[:2] == b"\r\n":  # RFC 9112 section 2.2: ignore empty lines first
                del buffer[:2]
                self._scanned = 0  # offsets moved: a bare LF after the CRLF is not yet seen
        scanned = self._scanned
        end = buffer.find(b"\r\n\r\n", scanned - 3 if scanned > 3 else 0)
        limits = self._limits
        if end < 0:
            self._raise_head_error(len(buffer))
            self._scanned = len(buffer)
            return None
        line_limit = limits.max_request_line_bytes
        if end + 4 > limits.max_head_bytes or (
            end > line_limit  # else the request line, part of the head, is within its limit
            and buffer.find(b"\r\n", 0, end + 2) > line_limit
        ):
            self._raise_head_error(end + 4)
        block = bytes(buffer[:end])
        del buffer[: end + 4]
        self._scanned = 0
        head = parse_head(block, limits)
        self._body_total = 0
        if head.chunked:
            self._state = _CHUNK_SIZE
        else:  # a body of Content-Length bytes, possibly none: EndOfMessage comes next
            self._state = _LENGTH
            self._remaining = head.content_length or 0
        return head

    def _raise_head_error(self, upto: int) -> None:
        """Raise the error that reading ``buffer[:upto]`` byte by byte would meet first.

        However TCP cut the bytes, the answer must be the same, so each check knows the
        byte count at which it becomes certain (a bare LF when it arrives, 414 once the
        line cannot end within its limit, 431 once the head cannot) and the earliest
        wins; on a tie, in that order.
        """
        buffer = self._buffer
        limits = self._limits
        found: list[tuple[int, int, ProtocolError]] = []
        newline = buffer.find(b"\n", self._scanned, upto)
        while newline >= 0:
            if newline == 0 or buffer[newline - 1] != 0x0D:
                bare = ProtocolError("bare LF in request head: lines must end with CRLF")
                found.append((newline + 1, 0, bare))
                break
            newline = buffer.find(b"\n", newline + 1, upto)
        line_limit = limits.max_request_line_bytes
        if buffer.find(b"\r\n", 0, min(upto, line_limit + 2)) < 0:
            certain_at = line_limit + 1 + (buffer[line_limit : line_limit + 1] == b"\r")
            if certain_at <= upto:
                found.append((certain_at, 1, ProtocolError("request line too long", status=414)))
        if upto > limits.max_head_bytes:
            too_large = ProtocolError("request head too large", status=431)
            found.append((limits.max_head_bytes + 1, 2, too_large))
        if found:
            raise min(found, key=lambda item: item[:2])[2]

    def _body_bytes(self) -> Event | None:
        if self._state is _LENGTH and self._remaining == 0:
            self._state = _HEAD
            return _END_OF_MESSAGE
        buffer = self._buffer
        if not buffer:
            return None
        take = min(len(buffer), self._remaining)
        data = bytes(buffer[:take])
        del buffer[:take]
        self._remaining -= take
        if self._remaining == 0 and self._state is _CHUNK_DATA:
            self._state = _CHUNK_CRLF
        return BodyData(data)

    def _chunk_size(self) -> Event | None:
        buffer = self._buffer
        limit = self._limits.max_chunk_line_bytes
        end = buffer.find(b"\r\n", 0, limit + 2)
        if end < 0:
            if b"\n" in buffer[: limit + 2]:
                raise ProtocolError("bare LF in chunk-size line")
            if len(buffer) >= limit + 2:  # the window searched for CRLF is full
                raise ProtocolError("chunk-size line too long")
            return None
        room = self._limits.max_body_bytes - self._body_total
        size = chunk_size(bytes(buffer[:end]), limit=room)
        del buffer[: end + 2]
        self._body_total += size
        if size == 0:
            self._state = _TRAILERS
        else:
            self._state = _CHUNK_DATA
            self._remaining = size
        return self._step()

    def _chunk_crlf(self) -> Event | None:
        buffer = self._buffer
        if len(buffer) < 2:
            if bytes(buffer[:1]) not in (b"", b"\r"):
                raise ProtocolError("chunk data not followed by CRLF")
            return None
        if buffer[:2] != b"\r\n":
            raise ProtocolError("chunk data not followed by CRLF")
        del buffer[:2]
        self._state = _CHUNK_SIZE
        return self._step()

    def _trailers(self) -> Event | None:
        buffer = self._buffer
        if buffer[:2] == b"\r\n":
            del buffer[:2]
            self._state = _HEAD
            return _END_OF_MESSAGE
        limit = self._limits.max_trailer_bytes
        end = buffer.find(b"\r\n\r\n", 0, limit + 4)
        if end < 0:
            if buffer[:1] == b"\r" and len(buffer) >= 2:
                raise ProtocolError("bare CR after last chunk")
            if len(buffer) >= limit + 4:  # the window searched for CRLFCRLF is full
                raise ProtocolError("trailer section too large", status=431)
            return None
        block = bytes(buffer[:end])
        if b"\n" in block.replace(b"\r\n", b""):
            raise ProtocolError("bare LF in trailer section")
        del buffer[: end + 4]
        self._state = _HEAD
        return EndOfMessage(trailers=parse_fields(block.split(b"\r\n")))
