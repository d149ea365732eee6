"""Every timeout, driven by a Clock."""

from __future__ import annotations

from protocol_support import EchoPathHandler, HeldHandler, IgnoredBody, answer

from twisted_wsgi_lab.testing import parse_responses


def test_silent_client_gets_408_after_header_timeout(make, clock):
    protocol, transport = make(EchoPathHandler(), header_timeout_seconds=10)
    protocol.dataReceived(b"GET / HTTP/1.1\r\nHost: a\r\n")
    clock.advance(9)
    assert transport.value() == b""
    protocol.dataReceived(b"X-Slow: drip\r\n")  # trickling does not restart the clock
    clock.advance(1.5)
    [response] = parse_responses(transport.value())
    assert response.status == 408
    assert transport.disconnecting


def test_idle_keep_alive_connection_is_closed_quietly(make, clock):
    protocol, transport = make(EchoPathHandler(), keepalive_timeout_seconds=5)
    protocol.dataReceived(b"GET / HTTP/1.1\r\nHost: a\r\n\r\n")
    answered = transport.value()
    clock.advance(4.9)
    assert not transport.disconnecting
    clock.advance(0.2)
    assert transport.disconnecting
    assert transport.value() == answered


def test_stalled_body_gets_408(make, clock):
    handler = HeldHandler()
    protocol, transport = make(handler, body_timeout_seconds=3)
    protocol.dataReceived(b"POST / HTTP/1.1\r\nHost: a\r\nContent-Length: 10\r\n\r\n")

    handler.exchanges[0].receive_body(IgnoredBody())
    protocol.dataReceived(b"12345")
    clock.advance(2)
    protocol.dataReceived(b"6")  # data restarts the body's idle clock
    clock.advance(2)
    assert transport.value() == b""
    clock.advance(1.5)
    [response] = parse_responses(transport.value())
    assert response.status == 408
    assert transport.disconnecting


def test_no_timeout_while_the_application_is_answering(make, clock):
    handler = HeldHandler()
    protocol, transport = make(handler, header_timeout_seconds=1, keepalive_timeout_seconds=1)
    protocol.dataReceived(b"GET / HTTP/1.1\r\nHost: a\r\n\r\n")
    clock.advance(60)
    assert not transport.disconnecting


def test_whole_request_deadline_stops_a_body_that_keeps_dripping(make, clock):
    handler = HeldHandler()
    protocol, transport = make(handler, request_timeout_seconds=5, body_timeout_seconds=3)
    protocol.dataReceived(b"POST / HTTP/1.1\r\nHost: a\r\nContent-Length: 100\r\n\r\n")

    handler.exchanges[0].receive_body(IgnoredBody())
    for _ in range(4):  # each drip is within the idle timeout, the sum is not
        clock.advance(1.2)
        protocol.dataReceived(b"x")
    assert transport.value() == b""
    clock.advance(1.2)
    [response] = parse_responses(transport.value())
    assert response.status == 408
    assert transport.disconnecting


def test_body_that_never_starts_gets_408(make, clock):
    handler = HeldHandler()
    protocol, transport = make(handler, body_timeout_seconds=3)
    protocol.dataReceived(b"POST / HTTP/1.1\r\nHost: a\r\nContent-Length: 10\r\n\r\n")

    handler.exchanges[0].receive_body(IgnoredBody())
    clock.advance(3.5)
    [response] = parse_responses(transport.value())
    assert response.status == 408


def test_whole_request_deadline_is_kept_when_it_comes_before_the_header_timeout(make, clock):
    protocol, transport = make(
        EchoPathHandler(), request_timeout_seconds=5, header_timeout_seconds=10
    )
    protocol.dataReceived(b"GET / HTTP/1.1\r\nHost: a\r\n")
    clock.advance(4.9)
    assert transport.value() == b""
    clock.advance(0.2)
    [response] = parse_responses(transport.value())
    assert response.status == 408


def test_a_client_that_stops_reading_is_dropped_after_the_send_timeout(make, clock):
    handler = HeldHandler()
    protocol, transport = make(handler, send_timeout_seconds=20)
    protocol.dataReceived(b"GET / HTTP/1.1\r\nHost: a\r\n\r\n")
    exchange = handler.exchanges[0]
    exchange.start_response(200, b"OK", [])
    exchange.write(b"x" * 1000)
    protocol.pauseProducing()  # the transport's buffer is full: the client is not reading
    clock.advance(19)
    assert not transport.disconnected
    clock.advance(2)
    assert transport.disconnected  # aborted: the unsent bytes are not waited for
    protocol.connectionLost()
    assert exchange.disconnected


def test_a_client_that_reads_again_in_time_is_kept(make, clock):
    handler = HeldHandler()
    protocol, transport = make(handler, send_timeout_seconds=20)
    protocol.dataReceived(b"GET / HTTP/1.1\r\nHost: a\r\n\r\n")
    protocol.pauseProducing()
    clock.advance(15)
    protocol.resumeProducing()
    protocol.pauseProducing()  # each stall is timed on its own
    clock.advance(15)
    assert not transport.disconnecting


def test_a_closing_connection_whose_bytes_are_never_read_is_dropped(make, clock):
    protocol, transport = make(EchoPathHandler(), send_timeout_seconds=20)
    protocol.dataReceived(b"GET / HTTP/1.0\r\n\r\n")  # answered, then closed
    assert transport.disconnecting and not transport.disconnected
    clock.advance(21)  # the close waits for the buffer to drain at most this long
    assert transport.disconnected


def test_nothing_pipelined_starts_after_the_send_timeout_dropped_the_connection(make, clock):
    handler = HeldHandler()
    protocol, transport = make(handler, send_timeout_seconds=5)
    protocol.dataReceived(
        b"GET /big HTTP/1.1\r\nHost: a\r\n\r\nGET /next HTTP/1.1\r\nHost: a\r\n\r\n"
    )
    big = handler.exchanges[0]
    big.start_response(200, b"OK", [(b"Content-Length", b"3")])
    big.write(b"ab")
    protocol.pauseProducing()
    clock.advance(6)
    assert transport.disconnected
    big.write(b"c")  # the app finishes before connectionLost comes (a reactor turn later)
    big.finish()
    assert [e.head.path for e in handler.exchanges] == [b"/big"]


def test_a_handler_that_never_answers_gets_503_at_the_response_timeout(make, clock, logged):
    handler = HeldHandler()
    protocol, transport = make(handler, response_timeout_seconds=30)
    protocol.dataReceived(b"GET /hang HTTP/1.1\r\nHost: a\r\n\r\n")
    clock.advance(29)
    assert transport.value() == b""
    clock.advance(1.5)
    [response] = parse_responses(transport.value())
    assert response.status == 503
    assert transport.disconnecting
    assert handler.exchanges[0].disconnected  # the handler is told: it may stop working
    assert any("GET /hang" in str(event.get("request")) for event in logged)


def test_the_response_timeout_spares_a_response_that_has_begun(make, clock):
    handler = HeldHandler()
    protocol, transport = make(handler, response_timeout_seconds=30)
    protocol.dataReceived(b"GET /stream HTTP/1.1\r\nHost: a\r\n\r\n")
    exchange = handler.exchanges[0]
    exchange.start_response(200, b"OK", [])
    exchange.write(b"first")
    clock.advance(120)
    exchange.write(b"later")
    exchange.finish()
    [response] = parse_responses(transport.value())
    assert response.body == b"firstlater"
    assert not transport.disconnecting


def test_each_pipelined_request_gets_its_own_response_timeout(make, clock):
    handler = HeldHandler()
    protocol, transport = make(handler, response_timeout_seconds=30)
    protocol.dataReceived(b"GET /1 HTTP/1.1\r\nHost: a\r\n\r\nGET /2 HTTP/1.1\r\nHost: a\r\n\r\n")
    clock.advance(25)
    answer(handler.exchanges[0])
    clock.advance(25)  # 50 s since the first, 25 s since the second began
    assert len(parse_responses(transport.value())) == 1
    clock.advance(6)
    assert [r.status for r in parse_responses(transport.value())] == [200, 503]
