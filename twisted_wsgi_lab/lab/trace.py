"""The wire trace: every byte of every connection, as ``curl -v`` shows a request.

Lines read ``> `` for bytes received and ``< `` for bytes sent, behind the time and
the connection's number; ``* `` lines say what happened to the connection. Control
characters are escaped (``\\r``, ``\\x00``), so a smuggling attempt or a stray byte is
visible, and each piece of data is cut after ``max_bytes``. On TLS the observer sits
above the TLS layer, so the trace shows the decrypted HTTP.
"""

from __future__ import annotations

import itertools
import re
import sys
import time
from typing import IO, Any

from twisted.internet.interfaces import IProtocol

from ..engine import ConnectionObserver, HTTPFactory, HTTPProtocol, TimerKind
from ..http11 import ProtocolError
from .text import address_text

DEFAULT_MAX_BYTES = 1024
_CONTROL = re.compile(rb"[\x00-\x08\x0b-\x1f\x7f-\xff\\]")
_NAMED = {b"\\": b"\\\\", b"\r": b"\\r"}


def trace(
    factory: HTTPFactory, stream: IO[str] | None = None, *, max_bytes: int = DEFAULT_MAX_BYTES
) -> WireTrace:
    """Trace every connection ``factory`` makes from now on (the library call)."""
    observer = WireTrace(stream or sys.stderr, max_bytes=max_bytes)
    factory.add_observer(observer)
    return observer


def _escape(data: bytes) -> str:
    """Printable bytes as they are; CR as ``\\r``, a backslash as ``\\\\``, the rest as ``\\xNN``.

    Each byte is escaped on its own, so the text reads back to exactly the bytes sent.
    """

    def one(match: re.Match[bytes]) -> bytes:
        return _NAMED.get(match.group()) or b"\\x%02x" % match.group()[0]

    return _CONTROL.sub(one, data).decode("ascii")


class WireTrace(ConnectionObserver):
    """Writes a connection's bytes and events to ``stream``, one line each."""

    def __init__(self, stream: IO[str], *, max_bytes: int = DEFAULT_MAX_BYTES) -> None:
        self._stream = stream
        self._max_bytes = max_bytes
        self._numbers = itertools.count(1)
        self._ids: dict[HTTPProtocol, int] = {}

    def _line(self, connection: HTTPProtocol, mark: str, text: str) -> None:
        seconds = connection.clock.seconds()
        stamp = time.strftime("%H:%M:%S", time.gmtime(seconds)) + f".{int(seconds % 1 * 1000):03d}"
        number = self._ids.get(connection, 0)
        self._stream.write(f"{stamp} [{number}] {mark} {text}\n")
        self._stream.flush()

    def _data(self, connection: HTTPProtocol, mark: str, data: bytes) -> None:
        shown, cut = data[: self._max_bytes], len(data) - self._max_bytes
        lines = shown.split(b"\n")
        for index, line in enumerate(lines):
            ending = "\\n" if index < len(lines) - 1 else ""
            if line or ending:
                self._line(connection, mark, _escape(line) + ending)
        if cut > 0:
            self._line(connection, "*", f"... {cut} more bytes not shown (--trace-bytes)")

    def connection_opened(self, connection: HTTPProtocol) -> None:
        self._ids[connection] = next(self._numbers)
        secure = " over TLS (shown decrypted)" if connection.secure else ""
        peer, host = address_text(connection.peer), address_text(connection.host)
        self._line(connection, "*", f"connected from {peer} to {host}{secure}")

    def bytes_received(self, connection: HTTPProtocol, data: bytes) -> None:
        self._data(connection, ">", data)

    def bytes_sent(self, connection: HTTPProtocol, data: bytes) -> None:
        self._data(connection, "<", data)

    def protocol_error(self, connection: HTTPProtocol, error: ProtocolError) -> None:
        self._line(connection, "*", f"refused: {error.status} {error}")

    def timed_out(self, connection: HTTPProtocol, kind: TimerKind) -> None:
        self._line(connection, "*", f"timed out waiting ({kind.name.lower()})")

    def protocol_switched(self, connection: HTTPProtocol, protocol: IProtocol) -> None:
        self._line(connection, "*", f"switched protocols to {type(protocol).__name__}")

    def connection_closed(self, connection: HTTPProtocol, reason: Any) -> None:
        self._line(connection, "*", "closed")
        self._ids.pop(connection, None)
