"""Observers see every event; without one the factory builds the plain protocol."""

from __future__ import annotations

from typing import Any

from protocol_support import BodyCollector, EchoPathHandler, HeldHandler, answer
from twisted.internet.task import Clock
from zope.interface import implementer

from twisted_wsgi_lab.engine import (
    ConnectionObserver,
    Exchange,
    HTTPFactory,
    HTTPProtocol,
    IRequestHandler,
    ObservedHTTPProtocol,
    TimerKind,
)
from twisted_wsgi_lab.http11 import Limits
from twisted_wsgi_lab.testing import connect, parse_responses


class Recorder(ConnectionObserver):
    def __init__(self) -> None:
        self.events: list[tuple[str, Any]] = []

    def connection_opened(self, connection: HTTPProtocol) -> None:
        self.events.append(("opened", None))

    def bytes_received(self, connection: HTTPProtocol, data: bytes) -> None:
        self.events.append(("in", data))

    def request_head(self, connection: HTTPProtocol, head: Any) -> None:
        self.events.append(("head", head.path))

    def body_data(self, connection: HTTPProtocol, data: bytes) -> None:
        self.events.append(("body", data))

    def end_of_message(self, connection: HTTPProtocol, trailers: Any) -> None:
        self.events.append(("end", trailers))

    def protocol_error(self, connection: HTTPProtocol, error: Any) -> None:
        self.events.append(("error", error.status))

    def bytes_sent(self, connection: HTTPProtocol, data: bytes) -> None:
        self.events.append(("out", data))

    def response_finished(self, connection: HTTPProtocol, exchange: Any) -> None:
        self.events.append(("finished", exchange.status))

    def timed_out(self, connection: HTTPProtocol, kind: TimerKind) -> None:
        self.events.append(("timeout", kind))

    def connection_closed(self, connection: HTTPProtocol, reason: Any) -> None:
        self.events.append(("closed", None))


def test_without_an_observer_the_factory_builds_the_plain_protocol():
    factory = HTTPFactory(EchoPathHandler(), clock=Clock())
    assert type(factory.buildProtocol(None)) is HTTPProtocol
    recorder = Recorder()
    factory.add_observer(recorder)
    assert type(factory.buildProtocol(None)) is ObservedHTTPProtocol
    factory.remove_observer(recorder)
    assert type(factory.buildProtocol(None)) is HTTPProtocol


class OnlyFinished(ConnectionObserver):
    def __init__(self) -> None:
        self.statuses: list[int] = []

    def response_finished(self, connection: HTTPProtocol, exchange: Exchange) -> None:
        self.statuses.append(exchange.status)


def test_events_of_every_request_that_no_observer_wants_go_straight_to_the_plain_path():
    """The seam's price: an observer pays per request only for the events it wants."""
    factory = HTTPFactory(EchoPathHandler(), clock=Clock())
    watcher = OnlyFinished()
    factory.add_observer(watcher)
    protocol, transport = connect(factory)
    assert type(protocol) is ObservedHTTPProtocol
    for unwanted in ("dataReceived", "_request_head", "_end_of_message", "write"):
        assert getattr(protocol, unwanted).__func__ is getattr(HTTPProtocol, unwanted)
    assert protocol.exchange_finished.__func__ is ObservedHTTPProtocol.exchange_finished
    protocol.dataReceived(b"GET /a HTTP/1.1\r\nHost: a\r\n\r\nGET /b HTTP/1.1\r\nHost: a\r\n\r\n")
    assert [response.body for response in parse_responses(transport.value())] == [b"/a", b"/b"]
    assert watcher.statuses == [200, 200]


@implementer(IRequestHandler)
class AnswerAfterBody:
    """Reads the whole body, then answers with it."""

    def handle(self, exchange: Exchange) -> None:
        collected = BodyCollector()

        class Then:
            def body_data(self, data: bytes) -> None:
                collected.body_data(data)

            def body_end(self, trailers: Any) -> None:
                answer(exchange, b"".join(collected.data))

        exchange.receive_body(Then())


def test_an_observer_sees_a_request_from_its_bytes_to_the_close():
    factory = HTTPFactory(AnswerAfterBody(), clock=Clock())
    recorder = Recorder()
    factory.add_observer(recorder)
    protocol, transport = connect(factory)
    request = b"POST /p HTTP/1.1\r\nHost: a\r\nContent-Length: 2\r\n\r\nhi"
    protocol.dataReceived(request)
    protocol.connectionLost(None)  # type: ignore[arg-type]
    names = [name for name, _ in recorder.events]
    assert names == ["opened", "in", "head", "body", "end", "out", "finished", "closed"]
    events = dict(recorder.events)
    assert events["in"] == request
    assert (events["head"], events["body"], events["finished"]) == (b"/p", b"hi", 200)
    assert events["out"] == transport.value()


def test_an_observer_sees_protocol_errors_and_timeouts():
    clock = Clock()
    factory = HTTPFactory(HeldHandler(), limits=Limits(header_timeout_seconds=5), clock=clock)
    recorder = Recorder()
    factory.add_observer(recorder)
    protocol, transport = connect(factory)
    protocol.dataReceived(b"GET / HTTP/1.1\r\n")
    clock.advance(6)
    assert ("timeout", TimerKind.HEADER) in recorder.events
    assert parse_responses(transport.value())[0].status == 408

    protocol, transport = connect(factory)
    protocol.dataReceived(b"GET / HTTP/1.1\r\nHost: a\r\nContent-Length: x\r\n\r\n")
    assert ("error", 400) in recorder.events
