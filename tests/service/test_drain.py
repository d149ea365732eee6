"""The graceful stop's drain: idle connections close, a request sent as it began is answered."""

from __future__ import annotations

from twisted.internet.task import Clock

from twisted_wsgi_lab import App, HTTPFactory
from twisted_wsgi_lab.service.http_service import HTTPService
from twisted_wsgi_lab.testing import connect, parse_responses

GET = b"GET / HTTP/1.1\r\nHost: a\r\nConnection: close\r\n\r\n"


def service_and_clock() -> tuple[HTTPService, HTTPFactory, Clock]:
    app = App()
    app.get("/")(lambda request: "answered")
    clock = Clock()
    factory = HTTPFactory(app, clock=clock)
    return HTTPService(factory, [], app_name="test"), factory, clock


def test_a_request_on_a_new_connection_that_arrives_as_the_stop_begins_is_answered() -> None:
    """A connection accepted just before the listener closed carries a request in flight:
    closing it as idle would give that client an empty reply (seen as a reload flake)."""
    service, factory, clock = service_and_clock()
    protocol, transport = connect(factory)
    service._drain()
    clock.advance(0.01)
    protocol.dataReceived(GET)
    [response] = parse_responses(transport.value())
    assert (response.status, response.body) == (200, b"answered")
    assert transport.disconnecting


def test_a_connection_that_stays_idle_is_still_closed_by_the_drain() -> None:
    service, factory, clock = service_and_clock()
    protocol, transport = connect(factory)
    drained = service._drain()
    clock.advance(1)
    assert transport.disconnecting
    protocol.connectionLost(None)  # type: ignore[arg-type]
    clock.advance(0.1)
    assert drained.called
