"""A server for the load generator's tests that remembers what it saw (h11 checks the requests).

Paths choose the behaviour: ``/`` answers 200, ``/404`` 404, ``/close`` answers with
``Connection: close`` and closes, ``/abort`` cuts the connection, ``/hang`` never
answers, ``/big`` sends ``BIG_BYTES`` from a push producer that counts its pauses.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import h11
from twisted.internet.interfaces import IPushProducer
from twisted.internet.protocol import Factory, Protocol
from twisted.python.failure import Failure
from zope.interface import implementer

BIG_BYTES = 16 * 1024 * 1024
BLOCK = b"b" * 65_536


@dataclass
class Seen:
    """What the server observed, read by the tests after (or during) a run."""

    requests: list[tuple[str, str, int, str | None]] = field(default_factory=list)
    open_connections: int = 0
    connections_made: int = 0
    big_bytes_written: int = 0
    big_pauses: int = 0
    most_requests_in_one_read: int = 0  # more than 1: the client pipelines


@implementer(IPushProducer)
class BigBody:
    """Writes ``/big`` block by block, only while the transport lets it."""

    def __init__(self, protocol: RecordingProtocol) -> None:
        self.protocol = protocol
        self.paused = False
        self.left = BIG_BYTES

    def pauseProducing(self) -> None:
        self.paused = True
        self.protocol.seen.big_pauses += 1

    def resumeProducing(self) -> None:
        self.paused = False
        while not self.paused and self.left > 0 and self.protocol.transport is not None:
            block = BLOCK[: min(len(BLOCK), self.left)]
            self.left -= len(block)
            self.protocol.seen.big_bytes_written += len(block)
            self.protocol.send(h11.Data(data=block))
        if self.left == 0:
            self.left = -1
            self.protocol.transport.unregisterProducer()  # type: ignore[union-attr]
            self.protocol.finish()

    def stopProducing(self) -> None:
        self.left = -1


class RecordingProtocol(Protocol):
    def __init__(self, seen: Seen) -> None:
        self.seen = seen
        self.h11 = h11.Connection(h11.SERVER)
        self.body = 0
        self.head: Any = None
        self.in_this_read = 0

    def connectionMade(self) -> None:
        self.seen.open_connections += 1
        self.seen.connections_made += 1

    def connectionLost(self, reason: Failure | None = None) -> None:
        self.seen.open_connections -= 1

    def dataReceived(self, data: bytes) -> None:
        self.h11.receive_data(data)
        self.in_this_read = 0
        while self.transport is not None and not self.transport.disconnecting:  # type: ignore[attr-defined]
            event = self.h11.next_event()
            if event is h11.NEED_DATA or event is h11.PAUSED:
                return
            if isinstance(event, h11.Request):
                self.head, self.body = event, 0
            elif isinstance(event, h11.Data):
                self.body += len(event.data)
            elif isinstance(event, h11.EndOfMessage):
                self.in_this_read += 1
                most = max(self.seen.most_requests_in_one_read, self.in_this_read)
                self.seen.most_requests_in_one_read = most
                self.answer()

    def answer(self) -> None:
        method, path = self.head.method.decode(), self.head.target.decode()
        length = dict(self.head.headers).get(b"content-length")
        self.seen.requests.append((method, path, self.body, length and length.decode()))
        if path == "/abort":
            self.transport.abortConnection()  # type: ignore[union-attr]
        elif path == "/big":
            self.send(h11.Response(status_code=200, headers=[("Content-Length", str(BIG_BYTES))]))
            producer = BigBody(self)
            self.transport.registerProducer(producer, True)  # type: ignore[union-attr]
            producer.resumeProducing()
        elif path != "/hang":
            status = 404 if path == "/404" else 200
            headers = [("Content-Length", "2")] + (
                [("Connection", "close")] if path == "/close" else []
            )
            self.send(h11.Response(status_code=status, headers=headers))
            self.send(h11.Data(data=b"ok"))
            self.finish()

    def send(self, event: Any) -> None:
        self.transport.write(self.h11.send(event))  # type: ignore[union-attr]

    def finish(self) -> None:
        self.send(h11.EndOfMessage())
        if self.h11.our_state is h11.MUST_CLOSE:
            self.transport.loseConnection()  # type: ignore[union-attr]
        else:
            self.h11.start_next_cycle()


def recording_factory(seen: Seen) -> Factory:
    factory = Factory()
    factory.protocol = lambda: RecordingProtocol(seen)  # type: ignore[assignment]
    return factory
