"""The access log: one line per response, as an observer on the engine's seam.

Registered only with ``--access-log``, so a server without it builds the plain
protocol and pays nothing. Lines follow the Combined Log Format that nginx and Apache
write (so log tools read them), with the time taken appended; ``--access-log-format
json`` writes one JSON object per line instead.
"""

from __future__ import annotations

import json
import re
import sys
import time
from collections import deque
from collections.abc import Callable
from typing import Any

from twisted.internet.address import IPv4Address, IPv6Address
from twisted.internet.interfaces import IDelayedCall, IReactorTime

from ..engine import ConnectionObserver, Exchange, HTTPProtocol
from ..http11 import ProtocolError, RequestHead

FORMATS = ("combined", "json")


class _Pending:
    """What the log needs of a connection between a request's head and its response."""

    __slots__ = ("sent", "started")

    def __init__(self) -> None:
        self.started: deque[float] = deque()  # one per request parsed, in order
        self.sent = 0  # bytes written since the last response finished


class AccessLog(ConnectionObserver):
    """Writes one line per finished response with ``write``."""

    def __init__(self, write: Callable[[str], None], *, log_format: str = "combined") -> None:
        if log_format not in FORMATS:
            raise ValueError(f"access log format {log_format!r}: choose combined or json")
        self._write = write
        self._json = log_format == "json"
        # Plain dict, dropped at connection_closed: cheaper than a WeakKeyDictionary,
        # which makes a weak reference on every lookup.
        self._pending: dict[HTTPProtocol, _Pending] = {}

    def _state(self, connection: HTTPProtocol) -> _Pending:
        state = self._pending.get(connection)
        if state is None:
            state = self._pending[connection] = _Pending()
        return state

    def request_head(self, connection: HTTPProtocol, head: RequestHead) -> None:
        self._state(connection).started.append(connection.clock.seconds())

    def bytes_sent(self, connection: HTTPProtocol, data: bytes) -> None:
        self._state(connection).sent += len(data)

    def response_finished(self, connection: HTTPProtocol, exchange: Exchange) -> None:
        state = self._state(connection)
        now = connection.clock.seconds()
        started = state.started.popleft() if state.started else now
        sent, state.sent = state.sent, 0
        self._write(self.line(exchange, started=started, now=now, sent=sent) + "\n")

    def error_sent(self, connection: HTTPProtocol, error: ProtocolError) -> None:
        """A request the engine refused (400, 408, 413, 414, 431, 503...): logged too."""
        state = self._state(connection)
        now = connection.clock.seconds()
        started = state.started.popleft() if state.started else now
        sent, state.sent = state.sent, 0
        peer = connection.peer
        remote = peer.host if isinstance(peer, IPv4Address | IPv6Address) else "-"
        when, duration_ms = _clf_time(now), round((now - started) * 1000, 3)
        if self._json:
            fields = {"remote": remote, "time": when, "request": None, "status": error.status,
                      "bytes": sent, "referer": None, "user_agent": None,
                      "duration_ms": duration_ms}  # fmt: skip
            self._write(json.dumps(fields) + "\n")
        else:
            self._write(
                f'{remote} - - [{when}] "-" {error.status} {sent} "-" "-" {duration_ms:.3f}ms\n'
            )

    def connection_closed(self, connection: HTTPProtocol, reason: Any) -> None:
        self._pending.pop(connection, None)

    def line(self, exchange: Exchange, *, started: float, now: float, sent: int) -> str:
        """One log line (without its newline)."""
        head = exchange.head
        remote, when = _host(exchange), _clf_time(now)
        referer, agent = _text(head.get(b"referer")), _text(head.get(b"user-agent"))
        duration_ms = round((now - started) * 1000, 3)
        if self._json:
            fields: dict[str, Any] = {
                "remote": remote,
                "time": when,
                "request": exchange.request_line,
                "status": exchange.status,
                "bytes": sent,
                "referer": referer,
                "user_agent": agent,
                "duration_ms": duration_ms,
            }
            return json.dumps(fields, ensure_ascii=False)
        return (
            f'{remote} - - [{when}] "{_quoted(exchange.request_line)}" {exchange.status} '
            f'{sent} "{_quoted(referer or "-")}" "{_quoted(agent or "-")}" {duration_ms:.3f}ms'
        )


def _host(exchange: Exchange) -> str:
    peer = exchange.client_address
    return peer.host if isinstance(peer, IPv4Address | IPv6Address) else "-"


def _text(value: bytes | None) -> str | None:
    return value.decode("latin-1") if value is not None else None


_NEEDS_ESCAPE = re.compile(r'[^\x20-\x7e]|["\\]')


def _quoted(text: str) -> str:
    """Escape what would break a quoted log field (quotes, backslashes, controls)."""
    if _NEEDS_ESCAPE.search(text) is None:
        return text  # the usual case: printable ASCII, nothing to do
    escaped = text.replace("\\", "\\\\").replace('"', '\\"')
    return "".join(
        ch if 0x20 <= ord(ch) < 0x7F or ord(ch) > 0xA0 else f"\\x{ord(ch):02x}" for ch in escaped
    )


_MONTHS = ("Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec")


_last_time: list[Any] = [-1, ""]  # (second, its text): formatted once a second


def _clf_time(seconds: float) -> str:
    """``01/Dec/2026:15:00:00 +0000``: the Common Log Format's time, in UTC.

    The month is spelled here, not by ``strftime``, whose ``%b`` follows the locale.
    """
    whole = int(seconds)
    if _last_time[0] != whole:
        t = time.gmtime(whole)
        _last_time[:] = [
            whole,
            f"{t.tm_mday:02d}/{_MONTHS[t.tm_mon - 1]}/{t.tm_year}:"
            f"{t.tm_hour:02d}:{t.tm_min:02d}:{t.tm_sec:02d} +0000",
        ]
    return str(_last_time[1])


# Lines are flushed at most this long after they are written: a flush per line (a
# system call per response) would cost more than the rest of the log together.
FLUSH_SECONDS = 1.0


class LogFile:
    """Where the lines go: a buffered stream, flushed within ``FLUSH_SECONDS``."""

    def __init__(self, stream: Any, clock: IReactorTime) -> None:
        self._stream = stream
        self._clock = clock
        self._flush_call: IDelayedCall | None = None

    def __call__(self, line: str) -> None:
        self._stream.write(line)
        if self._flush_call is None:
            self._flush_call = self._clock.callLater(FLUSH_SECONDS, self.flush)

    def flush(self) -> None:
        """Write out what is buffered now (also called when the server stops)."""
        if self._flush_call is not None and self._flush_call.active():
            self._flush_call.cancel()
        self._flush_call = None
        self._stream.flush()


def open_access_log(target: str, clock: IReactorTime) -> LogFile:
    """The log for ``--access-log``: ``-`` is standard output, else a file appended to.

    Raises:
        OSError: the file cannot be opened (the caller names the option).
    """
    if target == "-":
        return LogFile(_CurrentStdout(), clock)
    return LogFile(open(target, "a", encoding="utf-8"), clock)


class _CurrentStdout:
    """``sys.stdout`` as it is at each write: twistd replaces it when it daemonizes
    (and sends it to its log), after the log was opened."""

    def write(self, text: str) -> None:
        sys.stdout.write(text)

    def flush(self) -> None:
        sys.stdout.flush()
