"""Bugs a review reproduced in the engine; each test failed on the code before its fix."""

from __future__ import annotations

import pytest
from protocol_support import EchoPathHandler, HeldHandler, IgnoredBody, answer
from zope.interface import implementer

from twisted_wsgi_lab.engine import Exchange, IRequestHandler, ResponseStateError
from twisted_wsgi_lab.testing import parse_responses

GET = b"GET /%d HTTP/1.1\r\nHost: a\r\n\r\n"


def test_the_whole_request_deadline_holds_after_the_timer_was_dropped(make, clock):
    """request_timeout=30 and a body first read at 20 s: the 408 is due at 30 s, not 80."""
    handler = HeldHandler()
    protocol, transport = make(
        handler,
        request_timeout_seconds=30,
        body_timeout_seconds=60,
        keepalive_timeout_seconds=5,
        header_timeout_seconds=5,
    )
    protocol.dataReceived(b"POST / HTTP/1.1\r\nHost: a\r\nContent-Length: 10\r\n\r\n")
    clock.advance(20)  # the connection's earlier timer fired meanwhile and was dropped
    handler.exchanges[0].receive_body(IgnoredBody())
    clock.advance(10.5)
    [response] = parse_responses(transport.value())
    assert response.status == 408


def test_a_write_after_finish_raises_and_sends_nothing(make):
    handler = HeldHandler()
    protocol, transport = make(handler)
    protocol.dataReceived(GET % 1 + GET % 2)
    first = handler.exchanges[0]
    first.start_response(200, b"OK", [])  # chunked: no Content-Length
    first.write(b"early")
    first.finish()
    sent = transport.value()
    with pytest.raises(ResponseStateError):
        first.write(b"LATE")
    assert transport.value() == sent
    answer(handler.exchanges[1], b"second")
    responses = parse_responses(transport.value())
    assert [r.body for r in responses] == [b"early", b"second"]


@implementer(IRequestHandler)
class _HoldFirstAnswerRest:
    """Holds the first request; answers every later one at once, inside handle()."""

    def __init__(self) -> None:
        self.first: Exchange | None = None

    def handle(self, exchange: Exchange) -> None:
        if self.first is None:
            self.first = exchange
        else:
            answer(exchange, exchange.head.path)


def test_hundreds_of_pipelined_requests_behind_a_slow_one_are_all_answered(make):
    """Queued requests start in a loop: recursion stopped at 124 of 201 before."""
    handler = _HoldFirstAnswerRest()
    protocol, transport = make(handler, max_pipelined_requests=200)
    protocol.dataReceived(b"".join(GET % n for n in range(201)))
    assert handler.first is not None
    answer(handler.first, b"/0")
    responses = parse_responses(transport.value())
    assert [r.body for r in responses] == [b"/%d" % n for n in range(201)]
    assert not transport.disconnecting


@implementer(IRequestHandler)
class _RaisingHandler:
    """Raises inside handle(), optionally after starting the response."""

    def __init__(self, *, after_sending: bool = False) -> None:
        self.after_sending = after_sending

    def handle(self, exchange: Exchange) -> None:
        if exchange.head.path == b"/fine":
            answer(exchange, b"fine")
            return
        if self.after_sending:
            exchange.start_response(200, b"OK", [(b"Content-Length", b"100")])
            exchange.write(b"partial")
        raise RuntimeError("handler bug")


def test_a_handler_that_raises_before_answering_gets_a_500_and_the_connection_lives(make, logged):
    protocol, transport = make(_RaisingHandler())
    protocol.dataReceived(
        b"GET /boom HTTP/1.1\r\nHost: a\r\n\r\n" + b"GET /fine HTTP/1.1\r\nHost: a\r\n\r\n"
    )
    first, second = parse_responses(transport.value())
    assert first.status == 500
    assert b"handler bug" not in first.body  # the traceback goes to the log only
    assert (second.status, second.body) == (200, b"fine")
    assert not transport.disconnecting
    assert any("GET /boom" in str(event.get("request")) for event in logged)


def test_a_handler_that_raises_after_sending_has_its_connection_cut(make, logged):
    protocol, transport = make(_RaisingHandler(after_sending=True))
    protocol.dataReceived(b"GET /boom HTTP/1.1\r\nHost: a\r\n\r\n")
    assert transport.value().startswith(b"HTTP/1.1 200 OK")
    assert transport.value().endswith(b"partial")
    assert transport.disconnecting


def test_the_keep_alive_timeout_counts_from_the_last_response(make, clock):
    """Found while splitting the timers: a request answered inside handle() left the
    idle deadline where the previous idle period had set it."""
    protocol, transport = make(EchoPathHandler(), keepalive_timeout_seconds=15)
    clock.advance(10)
    protocol.dataReceived(GET % 1)
    assert parse_responses(transport.value())[0].status == 200
    clock.advance(10)  # 20 s since connecting, 10 s idle
    assert not transport.disconnecting
    clock.advance(5.5)
    assert transport.disconnecting


def test_an_answer_shorter_than_its_content_length_is_logged_and_closes(make, logged):
    handler = HeldHandler()
    protocol, transport = make(handler)
    protocol.dataReceived(GET % 7)
    exchange = handler.exchanges[0]
    exchange.start_response(200, b"OK", [(b"Content-Length", b"100")])
    exchange.write(b"12345")
    exchange.finish()
    assert transport.disconnecting
    [warning] = [e for e in logged if "promised" in e.get("log_format", "")]
    assert (warning["promised"], warning["sent"]) == (100, 5)
    assert warning["request"] == "GET /7 HTTP/1.1"
