"""The exchange recorder: the last N exchanges, the live connections, and counters.

An observer (registered only when asked for: ``--lab``, ``--har``, or ``record()``),
so a server without it pays nothing. The dashboard and the HAR export read it.

Which bytes belong to which exchange, with keep-alive and pipelining:

- Bytes received belong to the request being parsed when the parser reaches them. A
  read that holds the end of one request and the start of the next is split where
  the first request's message ends, found from how many bytes the parser still
  holds (``HTTPProtocol.bytes_unparsed``). Blank lines before a request count as its.
- Bytes sent belong to the oldest exchange of the connection not yet answered:
  responses leave in request order, so that one is always the one being answered.
  An answer the engine sends when no request is in flight (a 400 for a malformed
  head, a 408) becomes an exchange of its own, with the bytes that caused it.
"""

from __future__ import annotations

import enum
import itertools
from collections import deque
from dataclasses import dataclass, field
from typing import Any

from twisted.internet.interfaces import IProtocol
from twisted.python.failure import Failure

from ..engine import (
    ConnectionObserver,
    ConnectionState,
    Exchange,
    HTTPFactory,
    HTTPProtocol,
    TimerKind,
)
from ..http11 import Headers, ProtocolError, RequestHead
from .counters import Counters
from .exchange_record import DEFAULT_MAX_RAW_BYTES, ExchangeRecord, Outcome
from .text import address_text

DEFAULT_MAX_EXCHANGES = 100
_PARSING = (ConnectionState.OPEN, ConnectionState.LAST_RESPONSE)


class Activity(enum.Enum):
    """What a live connection is doing, as the dashboard shows it."""

    IDLE = "idle"  # kept alive, waiting for a request
    READING = "reading"  # a request is arriving
    ANSWERING = "answering"  # requests wait for their responses, or receive them
    SWITCHED = "switched"  # after a 101: WebSocket or another protocol
    CLOSING = "closing"  # closing: what was sent drains


@dataclass(eq=False)
class _Connection:
    """What the recorder tracks of one open connection."""

    id: int
    peer: str
    scheme: str
    opened: float
    protocol: HTTPProtocol
    received: int = 0  # bytes received so far
    assigned: int = 0  # of which the first ``assigned`` belong to some exchange
    pending: bytearray = field(default_factory=bytearray)  # received[assigned:]
    pending_since: float | None = None
    receiving: ExchangeRecord | None = None
    unanswered: deque[ExchangeRecord] = field(default_factory=deque)  # request order
    requests: int = 0
    bytes_out: int = 0


class ExchangeRecorder(ConnectionObserver):
    """Keep the last ``max_exchanges`` exchanges, live connections and counters."""

    def __init__(
        self,
        *,
        max_exchanges: int = DEFAULT_MAX_EXCHANGES,
        max_raw_bytes: int = DEFAULT_MAX_RAW_BYTES,
    ) -> None:
        """Raises: ValueError: a count below 1."""
        if max_exchanges < 1 or max_raw_bytes < 1:
            raise ValueError("max_exchanges and max_raw_bytes must be at least 1")
        self.max_raw_bytes = max_raw_bytes
        self.exchanges: deque[ExchangeRecord] = deque(maxlen=max_exchanges)  # oldest first
        self.counters = Counters()
        self.changes = 0  # grows with every visible change: the feed sends only on news
        self._connections: dict[HTTPProtocol, _Connection] = {}
        self._connection_ids = itertools.count(1)
        self._numbers = itertools.count(1)

    # -- reading ------------------------------------------------------------------

    def since(self, number: int) -> list[ExchangeRecord]:
        """Completed exchanges numbered above ``number``, oldest first."""
        return [record for record in self.exchanges if record.number > number]

    def find(self, number: int) -> ExchangeRecord | None:
        """The completed exchange ``number``, while it is among the last N."""
        return next((r for r in self.exchanges if r.number == number), None)

    def connections(self) -> list[dict[str, Any]]:
        """The open connections, oldest first, JSON-ready."""
        return [
            {
                "id": c.id,
                "peer": c.peer,
                "opened": c.opened,
                "state": c.protocol.state.name.lower(),
                "activity": _activity(c).value,
                "requests": c.requests,
                "bytes_in": c.received,
                "bytes_out": c.bytes_out,
            }
            for c in self._connections.values()
        ]

    def snapshot(self, *, since: int = 0) -> dict[str, Any]:
        """Counters, live connections, and the summaries of exchanges after ``since``."""
        new = self.since(since)
        return {
            "counters": self.counters.as_dict(),
            "connections": self.connections(),
            "exchanges": [record.summary() for record in new],
            "last": new[-1].number if new else since,
            "keeps": self.exchanges.maxlen,
        }

    def har(self) -> dict[str, Any]:
        """The kept exchanges as a HAR 1.2 document (see ``lab.har``)."""
        from .har import har_document

        return har_document(self.exchanges)

    # -- the observer -------------------------------------------------------------

    def connection_opened(self, connection: HTTPProtocol) -> None:
        self._connections[connection] = _Connection(
            next(self._connection_ids),
            address_text(connection.peer),
            "https" if connection.secure else "http",
            connection.clock.seconds(),
            connection,
        )
        self.counters.connections_opened += 1
        self.changes += 1

    def bytes_received(self, connection: HTTPProtocol, data: bytes) -> None:
        tracked = self._connections.get(connection)
        if tracked is None:
            return
        self.counters.bytes_in += len(data)
        tracked.received += len(data)
        if connection.state not in _PARSING:  # drained after a close: counted, not kept
            tracked.assigned += len(data)
            return
        if not tracked.pending:
            tracked.pending_since = connection.clock.seconds()
        tracked.pending += data
        self.changes += 1

    def request_head(self, connection: HTTPProtocol, head: RequestHead) -> None:
        tracked = self._connections.get(connection)
        if tracked is None:
            return
        record = self._new_record(tracked)
        record.head = head
        record.head_at = connection.clock.seconds()
        tracked.receiving = record
        tracked.unanswered.append(record)
        tracked.requests += 1
        self.counters.requests += 1
        self._assign_parsed(tracked)

    def body_data(self, connection: HTTPProtocol, data: bytes) -> None:
        tracked = self._connections.get(connection)
        if tracked is not None:
            self._assign_parsed(tracked)

    def end_of_message(self, connection: HTTPProtocol, trailers: Headers) -> None:
        tracked = self._connections.get(connection)
        if tracked is None or tracked.receiving is None:
            return
        self._assign_parsed(tracked)
        tracked.receiving.request_end_at = connection.clock.seconds()
        tracked.receiving = None
        tracked.pending_since = connection.clock.seconds() if tracked.pending else None

    def protocol_error(self, connection: HTTPProtocol, error: ProtocolError) -> None:
        tracked = self._connections.get(connection)
        if tracked is not None and tracked.receiving is not None:
            self._assign(tracked, len(tracked.pending))  # the bytes that broke it are its
            tracked.receiving = None

    def bytes_sent(self, connection: HTTPProtocol, data: bytes) -> None:
        tracked = self._connections.get(connection)
        if tracked is None:
            return
        if not tracked.unanswered:  # the engine answers bytes that made no request
            record = self._new_record(tracked)
            self._assign(tracked, len(tracked.pending), record)
            tracked.unanswered.append(record)
        tracked.unanswered[0].take_out(data, connection.clock.seconds())
        tracked.bytes_out += len(data)
        self.counters.bytes_out += len(data)
        self.changes += 1

    def error_sent(self, connection: HTTPProtocol, error: ProtocolError) -> None:
        tracked = self._connections.get(connection)
        if tracked is None or not tracked.unanswered:
            return
        record = tracked.unanswered.popleft()
        record.error = str(error)
        self._finish(record, Outcome.ENGINE_ERROR, error.status, connection)

    def response_finished(self, connection: HTTPProtocol, exchange: Exchange) -> None:
        tracked = self._connections.get(connection)
        if tracked is None:
            return
        record = next((r for r in tracked.unanswered if r.head is exchange.head), None)
        if record is not None:
            tracked.unanswered.remove(record)
            self._finish(record, Outcome.ANSWERED, exchange.status, connection)

    def timed_out(self, connection: HTTPProtocol, kind: TimerKind) -> None:
        self.counters.timeouts[kind.name.lower()] += 1
        self.changes += 1

    def protocol_switched(self, connection: HTTPProtocol, protocol: IProtocol) -> None:
        tracked = self._connections.get(connection)
        if tracked is None:
            return
        tracked.assigned += len(tracked.pending)  # what follows the 101 is not HTTP
        tracked.pending.clear()
        if tracked.unanswered:
            self._finish(tracked.unanswered.popleft(), Outcome.SWITCHED, 101, connection)

    def connection_closed(self, connection: HTTPProtocol, reason: Failure) -> None:
        tracked = self._connections.pop(connection, None)
        if tracked is None:
            return
        if tracked.pending.strip() and not tracked.unanswered:
            record = self._new_record(tracked)  # bytes that never made a request
            self._assign(tracked, len(tracked.pending), record)
            tracked.unanswered.append(record)
        for record in tracked.unanswered:
            self._finish(record, Outcome.NO_RESPONSE, None, connection)
        self.changes += 1

    # -- bookkeeping --------------------------------------------------------------

    def _new_record(self, tracked: _Connection) -> ExchangeRecord:
        clock = tracked.protocol.clock
        return ExchangeRecord(
            next(self._numbers),
            tracked.id,
            tracked.peer,
            tracked.scheme,
            tracked.pending_since if tracked.pending_since is not None else clock.seconds(),
            max_raw_bytes=self.max_raw_bytes,
        )

    def _assign_parsed(self, tracked: _Connection) -> None:
        """Give the bytes the parser has consumed to the request being received."""
        parsed = tracked.received - tracked.protocol.bytes_unparsed
        self._assign(tracked, parsed - tracked.assigned)

    def _assign(self, tracked: _Connection, count: int, to: ExchangeRecord | None = None) -> None:
        """Move the first ``count`` pending bytes to ``to`` (default: the one received)."""
        record = to or tracked.receiving
        if count <= 0 or record is None:
            return
        record.take_in(tracked.pending[:count])
        del tracked.pending[:count]
        tracked.assigned += count

    def _finish(
        self, record: ExchangeRecord, outcome: Outcome, status: int | None, connection: HTTPProtocol
    ) -> None:
        now = connection.clock.seconds()
        record.end(outcome, now, status)
        if status is not None and outcome is not Outcome.NO_RESPONSE:
            self.counters.response(status, now - record.started)
        self.exchanges.append(record)
        self.changes += 1


def _activity(tracked: _Connection) -> Activity:
    state = tracked.protocol.state
    if state is ConnectionState.SWITCHED:
        return Activity.SWITCHED
    if state in (ConnectionState.CLOSING, ConnectionState.LINGERING):
        return Activity.CLOSING
    if tracked.receiving is not None or (tracked.pending.strip() and not tracked.unanswered):
        return Activity.READING
    return Activity.ANSWERING if tracked.unanswered else Activity.IDLE


def record(
    factory: HTTPFactory,
    *,
    max_exchanges: int = DEFAULT_MAX_EXCHANGES,
    max_raw_bytes: int = DEFAULT_MAX_RAW_BYTES,
) -> ExchangeRecorder:
    """Record the connections ``factory`` makes from now on (the library call)."""
    recorder = ExchangeRecorder(max_exchanges=max_exchanges, max_raw_bytes=max_raw_bytes)
    factory.add_observer(recorder)
    return recorder
