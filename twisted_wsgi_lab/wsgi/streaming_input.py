"""Thread mode's ``wsgi.input``: the body streams in while the application reads it.

The application's thread blocks in ``read()`` until enough bytes arrived; the reactor
never blocks. Past ``HIGH_WATER_BYTES`` unread, the exchange pauses the body (and so
reading from the socket) until the application has caught up, so a slow app never
makes the server buffer an upload without bound. A read that asks for more than the
mark (``read()`` of everything, ``read(CONTENT_LENGTH)``) resumes it: the app asked to
hold that much. The first read asks the exchange for
the body, which is when ``100 Continue`` goes out.
"""

from __future__ import annotations

import threading
from collections.abc import Iterator
from typing import Any

from ..engine import Exchange
from ..http11 import Headers

HIGH_WATER_BYTES = 256 * 1024
_ALL = 1 << 62  # a read of everything, or of a line of any length


class ClientDisconnectedError(OSError):
    """The client went away before the whole request body arrived."""


class StreamingInput:
    """A file-like body for the app thread, and the exchange's ``BodyReceiver``."""

    def __init__(self, exchange: Exchange, reactor: Any) -> None:
        self._exchange = exchange
        self._reactor = reactor
        self._ready = threading.Condition()
        self._buffer = bytearray()
        self._eof = False
        self._aborted = False
        self._requested = False
        self._paused = False
        self._wanted = 0  # bytes a blocked read needs buffered at once (0: none waits)
        self.closed = False

    # -- the reactor side -------------------------------------------------------------

    def body_data(self, data: bytes) -> None:
        with self._ready:
            self._buffer += data
            self._ready.notify_all()
            mark = max(HIGH_WATER_BYTES, self._wanted)  # a big read may fill past the mark
            full = len(self._buffer) >= mark and not self._paused
            if full:
                self._paused = True
        if full:
            self._exchange.pause_body()

    def body_end(self, trailers: Headers) -> None:
        with self._ready:
            self._eof = True
            self._ready.notify_all()

    def abort(self) -> None:
        """The client is gone: wake a blocked reader, which then raises."""
        with self._ready:
            self._aborted = True
            self._ready.notify_all()

    # -- the application side (PEP 3333) ----------------------------------------------

    def read(self, size: int | None = -1) -> bytes:
        """Up to ``size`` bytes, fewer only at the end; everything left without size."""
        if size is None or size < 0:
            return self._take(lambda: self._eof, lambda: len(self._buffer), _ALL)
        return self._take(lambda: len(self._buffer) >= size, lambda: size, size)

    def readline(self, size: int | None = -1) -> bytes:
        """One line, newline included; at most ``size`` bytes when given."""
        limit = None if size is None or size < 0 else size

        def line_length() -> int:
            end = self._buffer.find(b"\n")
            length = end + 1 if end >= 0 else len(self._buffer)
            return length if limit is None else min(length, limit)

        def complete() -> bool:
            return b"\n" in self._buffer or (limit is not None and len(self._buffer) >= limit)

        return self._take(complete, line_length, _ALL if limit is None else limit)

    def readlines(self, hint: int = -1) -> list[bytes]:
        """All remaining lines, stopping once ``hint`` bytes were read if given."""
        lines, total = [], 0
        while line := self.readline():
            lines.append(line)
            total += len(line)
            if 0 < hint <= total:
                break
        return lines

    def __iter__(self) -> Iterator[bytes]:
        while line := self.readline():
            yield line

    def close(self) -> None:
        """Nothing to release: the buffer goes with the request; ``closed`` records the call."""
        self.closed = True

    def _take(self, ready: Any, length: Any, wanted: int) -> bytes:
        """Wait until ``ready()`` or the end, then remove ``length()`` bytes.

        ``wanted`` is how much the read may need buffered at once: a read larger than
        the high-water mark must not wait on a body paused at the mark.
        """
        self._request_body()
        with self._ready:
            while not (ready() or self._eof or self._aborted):
                self._wanted = wanted
                if self._paused:
                    self._paused = False
                    self._reactor.callFromThread(self._exchange.resume_body)
                self._ready.wait()
            self._wanted = 0
            if self._aborted and not self._eof:
                raise ClientDisconnectedError("client disconnected before the body ended")
            count = min(length(), len(self._buffer))
            data = bytes(self._buffer[:count])
            del self._buffer[:count]
            resume = self._paused and len(self._buffer) < HIGH_WATER_BYTES // 2
            if resume:
                self._paused = False
        if resume:
            self._reactor.callFromThread(self._exchange.resume_body)
        return data

    def _request_body(self) -> None:
        if not self._requested:
            self._requested = True
            self._reactor.callFromThread(self._exchange.receive_body, self)
