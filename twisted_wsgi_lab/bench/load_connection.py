"""Keep-alive client connections that send requests back to back and time each answer.

A ``ConnectionGroup`` is a Twisted client factory for ``count`` connections that share
one request, one set of counters and one way of reading: the load itself, the idle
connections (one request each, then silence) and the slow readers are three groups of
the same connection. Each connection keeps at most ``pipeline`` requests outstanding
(one by default: the next request leaves when the previous answer has ended), and
reconnects when the server closes it, so a run always has ``count`` connections
trying. Errors are counted by kind, with wrk's names where they apply: connect,
read (closed or reset with a request outstanding), timeout; and protocol (bytes that
are not an HTTP response).
"""

from __future__ import annotations

import socket
import time
from collections import Counter, deque
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from twisted.internet.interfaces import IConnector, IDelayedCall, IReactorTCP, IReactorTime
from twisted.internet.protocol import ClientFactory, Protocol, connectionDone
from twisted.python.failure import Failure

from .histogram import LatencyHistogram
from .response_parser import ResponseParseError, ResponseParser

RECONNECT_DELAY_SECONDS = 0.01  # after a refused connect: count it, but do not spin
SWEEP_SECONDS = 0.1  # how often, at most, outstanding requests are checked for timeouts


@dataclass
class LoadCounters:
    """What a group of connections measured since ``measure_from`` (a perf_counter time)."""

    histogram: LatencyHistogram = field(default_factory=LatencyHistogram)
    status_counts: Counter[str] = field(default_factory=Counter)
    errors: Counter[str] = field(default_factory=Counter)
    bytes_received: int = 0
    reconnects: int = 0
    http_errors: int = 0
    measure_from: float = 0.0  # perf_counter time: requests sent before are not counted

    @property
    def requests(self) -> int:
        return self.histogram.count

    def answered(self, sent: float, now: float, status: int) -> None:
        if sent < self.measure_from:
            return
        self.histogram.record(round((now - sent) * 1_000_000))
        self.status_counts[str(status)] += 1
        self.http_errors += status >= 400


@dataclass(frozen=True)
class ReadPace:
    """Read at most ``chunk_bytes`` every ``interval_seconds``: a slow reader."""

    chunk_bytes: int
    interval_seconds: float


class RequestBudget:
    """How many more requests the whole group may send; None is no limit."""

    def __init__(self, limit: int | None = None) -> None:
        self.left = limit

    def take(self) -> bool:
        if self.left is None:
            return True
        if self.left <= 0:
            return False
        self.left -= 1
        return True


class LoadConnection(Protocol):
    """One keep-alive connection of a group; see the module docstring."""

    def __init__(self, group: ConnectionGroup) -> None:
        self.group = group
        self.parser = ResponseParser()
        self.sent_at: deque[float] = deque()  # one perf_counter time per outstanding request
        self.requests_made = 0
        self.closing = False  # we chose to close: the loss is no error
        self.resume_call: IDelayedCall | None = None

    def connectionMade(self) -> None:
        self.group.connected(self)
        transport: Any = self.transport
        transport.setTcpNoDelay(True)
        pace = self.group.pace
        if pace is not None:
            # a small receive window makes the server's writes block soon; reading at
            # most chunk_bytes per read is Twisted's FileDescriptor.bufferSize
            transport.getHandle().setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, pace.chunk_bytes)
            transport.bufferSize = pace.chunk_bytes
        self.fill()

    def fill(self) -> None:
        """Send requests until ``pipeline`` are outstanding or the group says stop."""
        group = self.group
        while len(self.sent_at) < group.pipeline and group.may_send(self):
            self.requests_made += 1
            self.parser.expect(head=group.head_request)
            self.sent_at.append(time.perf_counter())
            group.in_flight += 1
            self.transport.write(group.request)  # type: ignore[union-attr]

    def dataReceived(self, data: bytes) -> None:
        counters = self.group.counters
        counters.bytes_received += len(data)
        try:
            finished = self.parser.feed(data)
        except ResponseParseError:
            self.fail("protocol")
            return
        for done in finished:
            self.response_ended(done.status, done.keep_alive)
            if self.closing:
                return
        self.pace_reading()
        self.fill()

    def response_ended(self, status: int, keep_alive: bool) -> None:
        now = time.perf_counter()
        self.group.counters.answered(self.sent_at.popleft(), now, status)
        self.group.in_flight -= 1
        if not keep_alive:
            self.group.counters.reconnects += 1
            self.close()
        self.group.answered(self)

    def pace_reading(self) -> None:
        """A slow reader stops reading now and resumes after its interval."""
        pace = self.group.pace
        if pace is None or self.closing or self.resume_call is not None:
            return
        transport: Any = self.transport
        transport.pauseProducing()
        self.resume_call = self.group.reactor.callLater(pace.interval_seconds, self.resume)

    def resume(self) -> None:
        self.resume_call = None
        if not self.closing:
            self.transport.resumeProducing()  # type: ignore[union-attr]

    def fail(self, kind: str) -> None:
        """Count one error of ``kind`` and drop the connection (it reconnects)."""
        if self.group.running:
            self.group.counters.errors[kind] += 1
        self.close(abort=True)

    def close(self, *, abort: bool = False) -> None:
        self.closing = True
        self.cancel_resume()
        transport: Any = self.transport
        if abort:
            transport.abortConnection()
        else:
            transport.loseConnection()

    def cancel_resume(self) -> None:
        if self.resume_call is not None and self.resume_call.active():
            self.resume_call.cancel()
        self.resume_call = None

    def connectionLost(self, reason: Failure = connectionDone) -> None:
        self.cancel_resume()
        if not self.closing and self.group.running:
            self.count_unexpected_loss()
        self.group.in_flight -= len(self.sent_at)
        self.sent_at.clear()
        self.group.lost(self)

    def count_unexpected_loss(self) -> None:
        """The server closed: ends a body read to the close, else an error or a reconnect."""
        try:
            done = self.parser.connection_closed()
        except ResponseParseError:
            self.group.counters.errors["read"] += 1
            return
        if done is not None:
            self.response_ended(done.status, keep_alive=False)
        elif self.sent_at:
            self.group.counters.errors["read"] += 1
        else:
            self.group.counters.reconnects += 1


class ConnectionGroup(ClientFactory):
    """``count`` connections to one address sharing a request, counters and budget."""

    def __init__(
        self,
        reactor: Any,
        *,
        address: tuple[str, int],
        request: bytes,
        count: int,
        head_request: bool = False,
        budget: RequestBudget | None = None,
        requests_per_connection: int | None = None,
        timeout_seconds: float | None = 5.0,
        pipeline: int = 1,
        pace: ReadPace | None = None,
    ) -> None:
        self.reactor = reactor
        self.address = address
        self.request = request
        self.count = count
        self.head_request = head_request
        self.budget = budget or RequestBudget()
        self.requests_per_connection = requests_per_connection
        self.timeout_seconds = timeout_seconds
        self.pipeline = pipeline
        self.pace = pace
        self.counters = LoadCounters()
        self.running = False
        self.in_flight = 0
        self.open: set[LoadConnection] = set()
        self.answered_once: set[LoadConnection] = set()
        self.gave_up = 0  # one-shot connections that failed before their answer
        self.dropped = 0  # one-shot connections the server closed after their answer
        self.when_drained: Callable[[], None] | None = None
        self.connectors: list[IConnector] = []
        self.pending: list[IDelayedCall] = []
        self.sweep_call: IDelayedCall | None = None

    def start(self) -> None:
        self.running = True
        host, port = self.address
        tcp: IReactorTCP = self.reactor
        if self.timeout_seconds is not None:
            self.schedule_sweep()
        for _ in range(self.count):
            self.connectors.append(
                tcp.connectTCP(host, port, self, timeout=self.timeout_seconds or 30)
            )

    def stop(self) -> None:
        """Stop sending and reconnecting, and cut every connection now."""
        self.running = False
        for call in [*self.pending, self.sweep_call]:
            if call is not None and call.active():
                call.cancel()
        for connection in list(self.open):
            connection.close(abort=True)
        for connector in self.connectors:
            if connector.state == "connecting":  # type: ignore[attr-defined]
                connector.stopConnecting()

    def schedule_sweep(self) -> None:
        timeout = self.timeout_seconds or 0
        interval = min(timeout / 10, SWEEP_SECONDS)
        self.sweep_call = self.reactor.callLater(interval, self.sweep)

    def sweep(self) -> None:
        """Fail every connection whose oldest request waited ``timeout_seconds``.

        One timer for the group instead of one per request: a timer per request
        would cost more than the rest of sending it. Timeouts fire up to a tenth of
        the timeout (at most 100 ms) late.
        """
        now = time.perf_counter()
        timeout = self.timeout_seconds or 0
        for connection in list(self.open):
            if connection.sent_at and now - connection.sent_at[0] >= timeout:
                connection.fail("timeout")
        if self.running:
            self.schedule_sweep()

    def buildProtocol(self, addr: Any) -> LoadConnection:
        return LoadConnection(self)

    def may_send(self, connection: LoadConnection) -> bool:
        limit = self.requests_per_connection
        if not self.running or (limit is not None and connection.requests_made >= limit):
            return False
        return self.budget.take()

    @property
    def one_shot(self) -> bool:
        """Connections that make a set number of requests and never reconnect (idle)."""
        return self.requests_per_connection is not None

    @property
    def settled(self) -> int:
        """Connections that answered once or gave up: the idle mode waits for all."""
        return len(self.answered_once) + self.gave_up

    def connected(self, connection: LoadConnection) -> None:
        self.open.add(connection)

    def answered(self, connection: LoadConnection) -> None:
        if self.one_shot:  # only idle connections are followed one by one
            self.answered_once.add(connection)
        self.check_drained()

    def lost(self, connection: LoadConnection) -> None:
        self.open.discard(connection)
        if self.one_shot and self.running:
            if connection in self.answered_once:
                self.dropped += 1
            else:
                self.gave_up += 1
        self.check_drained()

    def check_drained(self) -> None:
        """Tell the run once the budget is spent and every request has its answer."""
        if self.budget.left == 0 and self.in_flight == 0 and self.when_drained is not None:
            drained, self.when_drained = self.when_drained, None
            drained()

    def clientConnectionFailed(self, connector: IConnector, reason: Failure) -> None:
        if not self.running:
            return
        self.counters.errors["connect"] += 1
        if self.one_shot:
            self.gave_up += 1
        else:
            self.reconnect_later(connector, RECONNECT_DELAY_SECONDS)

    def clientConnectionLost(self, connector: IConnector, reason: Failure) -> None:
        if self.running and not self.one_shot:
            self.reconnect_later(connector, 0)

    def reconnect_later(self, connector: IConnector, delay_seconds: float) -> None:
        """Connect again from the reactor loop (not from inside Twisted's callback)."""
        clock: IReactorTime = self.reactor
        self.pending = [call for call in self.pending if call.active()]
        self.pending.append(clock.callLater(delay_seconds, self.redial, connector))

    def redial(self, connector: IConnector) -> None:
        if self.running:
            connector.connect()
