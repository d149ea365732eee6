"""The end of an exchange: an unread or paused body, pipelined requests behind it,
shutdown while a body is arriving, and which timer runs once the response is sent."""

from __future__ import annotations

from protocol_support import BodyCollector, HeldHandler, answer

from twisted_wsgi_lab.testing import parse_responses

GET = b"GET /%s HTTP/1.1\r\nHost: a\r\n\r\n"
POST = b"POST /%s HTTP/1.1\r\nHost: a\r\nContent-Length: %d\r\n\r\n"


def test_a_request_pipelined_behind_an_unread_body_is_started_exactly_once(make):
    handler = HeldHandler()
    protocol, transport = make(handler)
    protocol.dataReceived(POST % (b"upload", 4) + b"ab")  # reading pauses: no one reads
    protocol.dataReceived(b"cd" + GET % b"next")
    answer(handler.exchanges[0], b"not reading that")  # the rest is dropped, then /next
    assert [e.head.path for e in handler.exchanges] == [b"/upload", b"/next"]
    answer(handler.exchanges[1], b"second")
    statuses = [(r.status, r.body) for r in parse_responses(transport.value())]
    assert statuses == [(200, b"not reading that"), (200, b"second")]


def test_a_body_paused_by_the_application_is_still_dropped_after_its_response(make):
    handler = HeldHandler()
    protocol, transport = make(handler)
    protocol.dataReceived(POST % (b"upload", 6))
    exchange = handler.exchanges[0]
    collector = BodyCollector()
    exchange.receive_body(collector)
    exchange.pause_body()
    protocol.dataReceived(b"abc")
    answer(exchange, b"enough")
    protocol.dataReceived(b"def" + GET % b"next")
    assert collector.data == []  # the application's receiver got nothing after pausing
    assert [e.head.path for e in handler.exchanges] == [b"/upload", b"/next"]
    answer(handler.exchanges[1], b"next")
    assert [r.body for r in parse_responses(transport.value())] == [b"enough", b"next"]


def test_a_framing_error_found_when_a_full_pipeline_resumes_is_answered(make):
    handler = HeldHandler()
    protocol, transport = make(handler, max_pipelined_requests=1)
    broken = b"POST /b HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\n"
    protocol.dataReceived(GET % b"a" + broken)  # /b waits: the pipeline holds one
    answer(handler.exchanges[0], b"first")
    statuses = [r.status for r in parse_responses(transport.value())]
    assert statuses == [200, 400]
    assert transport.disconnecting


def test_a_body_dropped_after_its_response_is_timed_as_a_body_not_a_head(make, clock):
    handler = HeldHandler()
    protocol, transport = make(handler, header_timeout_seconds=5, body_timeout_seconds=30)
    protocol.dataReceived(POST % (b"upload", 10) + b"12")
    answer(handler.exchanges[0], b"done")
    clock.advance(10)  # past the head timeout: a body is what is awaited
    assert not transport.disconnecting
    clock.advance(25)
    assert transport.disconnecting
    [response] = parse_responses(transport.value())  # no 408 after a complete response
    assert response.body == b"done"


def test_shutdown_lets_a_body_in_flight_arrive_and_answers_nothing_after_it(make):
    handler = HeldHandler()
    protocol, transport = make(handler)
    protocol.dataReceived(POST % (b"upload", 6) + b"abc")
    collector = BodyCollector()
    handler.exchanges[0].receive_body(collector)
    protocol.close_when_idle()
    protocol.dataReceived(b"def" + GET % b"late")
    assert collector.data == [b"abc", b"def"] and collector.ended
    assert not transport.disconnecting
    answer(handler.exchanges[0], b"stored")
    assert transport.disconnecting
    assert [e.head.path for e in handler.exchanges] == [b"/upload"]
    assert [r.body for r in parse_responses(transport.value())] == [b"stored"]


def test_a_408_for_a_stalled_body_tells_the_application_the_client_is_gone(make, clock):
    handler = HeldHandler()
    protocol, transport = make(handler, body_timeout_seconds=3)
    protocol.dataReceived(POST % (b"upload", 6))
    exchange = handler.exchanges[0]
    exchange.receive_body(BodyCollector())
    gone = []
    exchange.on_disconnect(lambda: gone.append(True))
    clock.advance(4)
    assert gone == [True]
    answer(exchange, b"too late")  # dropped: the 408 already ended the connection
    [response] = parse_responses(transport.value())
    assert response.status == 408
