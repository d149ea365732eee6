"""HTTPProtocol over a StringTransport: keep-alive, pipelining, errors, 100-continue."""

from __future__ import annotations

from protocol_support import BodyCollector, EchoPathHandler, HeldHandler, answer

from twisted_wsgi_lab.testing import parse_responses

GET = b"GET /%s HTTP/1.1\r\nHost: example.test\r\n\r\n"


def test_http11_connection_stays_open_for_a_second_request(make):
    protocol, transport = make(EchoPathHandler())
    protocol.dataReceived(GET % b"one")
    protocol.dataReceived(GET % b"two")
    responses = parse_responses(transport.value())
    assert [r.body for r in responses] == [b"/one", b"/two"]
    assert not transport.disconnecting


def test_http10_closes_after_the_response_by_default(make):
    protocol, transport = make(EchoPathHandler())
    protocol.dataReceived(b"GET /a HTTP/1.0\r\n\r\nGET /b HTTP/1.0\r\n\r\n")
    [response] = parse_responses(transport.value())
    assert response.body == b"/a"
    assert response.header(b"connection") == b"close"
    assert transport.disconnecting


def test_http10_keep_alive_is_honoured_and_announced(make):
    protocol, transport = make(EchoPathHandler())
    request = b"GET /%s HTTP/1.0\r\nConnection: keep-alive\r\n\r\n"
    protocol.dataReceived(request % b"a" + request % b"b")
    responses = parse_responses(transport.value())
    assert [r.body for r in responses] == [b"/a", b"/b"]
    assert responses[0].header(b"connection") == b"keep-alive"
    assert not transport.disconnecting


def test_connection_close_is_found_in_a_comma_list_and_ends_the_connection(make):
    protocol, transport = make(EchoPathHandler())
    closing = b"GET /last HTTP/1.1\r\nHost: a\r\nConnection: Keep-Alive, CLOSE\r\n\r\n"
    protocol.dataReceived(closing + GET % b"never")
    [response] = parse_responses(transport.value())
    assert response.body == b"/last"
    assert response.header(b"connection") == b"close"
    assert transport.disconnecting


def test_pipelined_responses_leave_in_request_order(make):
    handler = HeldHandler()
    protocol, transport = make(handler)
    protocol.dataReceived(GET % b"1" + GET % b"2" + GET % b"3")
    # Only the first is handed over; the others wait, parsed, behind it.
    assert [e.head.path for e in handler.exchanges] == [b"/1"]
    answer(handler.exchanges[0], b"first")
    answer(handler.exchanges[1], b"second")
    answer(handler.exchanges[2], b"third")
    assert [r.body for r in parse_responses(transport.value())] == [b"first", b"second", b"third"]


def test_a_slow_response_does_not_stop_parsing_of_the_next_request(make):
    handler = HeldHandler()
    protocol, transport = make(handler)
    protocol.dataReceived(GET % b"slow" + GET % b"next")
    assert protocol.requests_in_flight == 2  # the second head is parsed already
    assert transport.value() == b""


def test_reading_pauses_when_too_many_requests_are_pipelined(make):
    handler = HeldHandler()
    protocol, transport = make(handler, max_pipelined_requests=2)
    protocol.dataReceived((GET % b"x") * 5)
    assert transport.producerState == "paused"
    for _ in range(5):
        answer(handler.exchanges[-1])
    assert len(parse_responses(transport.value())) == 5
    assert transport.producerState == "producing"


def test_framing_error_is_answered_and_closes_the_connection(make):
    protocol, transport = make(EchoPathHandler())
    protocol.dataReceived(b"GET / HTTP/1.1\r\nHost: a\r\nContent-Length: x\r\n\r\n")
    [response] = parse_responses(transport.value())
    assert response.status == 400
    assert response.header(b"connection") == b"close"
    assert transport.disconnecting


def test_nothing_after_a_framing_error_reaches_the_application(make):
    handler = HeldHandler()
    protocol, transport = make(handler)
    bad = b"GET /bad HTTP/1.1\r\nHost: a\r\nHost: b\r\n\r\n"
    protocol.dataReceived(GET % b"good" + bad + GET % b"smuggled")
    protocol.dataReceived(GET % b"later")
    assert [e.head.path for e in handler.exchanges] == [b"/good"]
    assert transport.value() == b""  # the error waits for the response before it
    answer(handler.exchanges[0], b"good")
    good, error = parse_responses(transport.value())
    assert (good.body, error.status) == (b"good", 400)
    assert [e.head.path for e in handler.exchanges] == [b"/good"]
    assert transport.disconnecting


def test_error_inside_a_body_drops_that_request_and_answers_the_error(make):
    handler = HeldHandler()
    protocol, transport = make(handler)
    protocol.dataReceived(b"POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\n\r\n")
    exchange = handler.exchanges[0]
    protocol.dataReceived(b"zz\r\n")
    assert exchange.disconnected
    [response] = parse_responses(transport.value())
    assert response.status == 400


def test_connect_is_answered_501(make):
    protocol, transport = make(HeldHandler())
    protocol.dataReceived(b"CONNECT example.test:443 HTTP/1.1\r\nHost: example.test:443\r\n\r\n")
    [response] = parse_responses(transport.value())
    assert response.status == 501


EXPECTING = b"POST / HTTP/1.1\r\nHost: a\r\nContent-Length: 5\r\nExpect: 100-continue\r\n\r\n"


def test_100_continue_is_sent_when_the_handler_first_reads_the_body(make):
    handler = HeldHandler()
    protocol, transport = make(handler)
    protocol.dataReceived(EXPECTING)
    assert transport.value() == b""
    collector = BodyCollector()
    handler.exchanges[0].receive_body(collector)
    assert transport.value() == b"HTTP/1.1 100 Continue\r\n\r\n"
    protocol.dataReceived(b"hello")
    assert collector.data == [b"hello"] and collector.ended


def test_100_continue_is_not_sent_on_http10(make):
    handler = HeldHandler()
    protocol, transport = make(handler)
    protocol.dataReceived(EXPECTING.replace(b"HTTP/1.1", b"HTTP/1.0"))
    handler.exchanges[0].receive_body(BodyCollector())
    assert transport.value() == b""


def test_unread_expected_body_closes_after_a_final_response(make):
    handler = HeldHandler()
    protocol, transport = make(handler)
    protocol.dataReceived(EXPECTING)
    answer(handler.exchanges[0], b"no thanks", status=413)
    [response] = parse_responses(transport.value())
    assert response.status == 413
    assert b"100 Continue" not in transport.value()
    assert transport.disconnecting


def test_unread_body_is_discarded_and_the_next_request_served(make):
    handler = HeldHandler()
    protocol, transport = make(handler)
    protocol.dataReceived(b"POST / HTTP/1.1\r\nHost: a\r\nContent-Length: 4\r\n\r\n")
    answer(handler.exchanges[0], b"ignored your body")
    protocol.dataReceived(b"abcd" + GET % b"next")
    assert [e.head.path for e in handler.exchanges] == [b"/", b"/next"]
    answer(handler.exchanges[1], b"second")
    assert [r.body for r in parse_responses(transport.value())] == [b"ignored your body", b"second"]


def test_paused_body_pauses_reading_from_the_socket(make):
    handler = HeldHandler()
    protocol, transport = make(handler)
    protocol.dataReceived(b"POST / HTTP/1.1\r\nHost: a\r\nContent-Length: 6\r\n\r\n")
    collector = BodyCollector()
    exchange = handler.exchanges[0]
    exchange.receive_body(collector)
    exchange.pause_body()
    protocol.dataReceived(b"abc")
    assert transport.producerState == "paused"
    assert collector.data == []
    exchange.resume_body()
    assert collector.data == [b"abc"]
    assert transport.producerState == "producing"
    protocol.dataReceived(b"def")
    assert collector.data == [b"abc", b"def"] and collector.ended


def test_head_response_carries_no_body(make):
    protocol, transport = make(EchoPathHandler())
    protocol.dataReceived(b"HEAD /x HTTP/1.1\r\nHost: a\r\n\r\n" + GET % b"y")
    head, get = parse_responses(transport.value(), head_methods=(0,))
    assert head.header(b"content-length") == b"2"
    assert head.body == b""
    assert get.body == b"/y"


def test_responses_carry_date_and_server(make, clock):
    clock.advance(784111777)  # Sun, 06 Nov 1994 08:49:37 GMT, RFC 9110's example
    protocol, transport = make(EchoPathHandler())
    protocol.dataReceived(GET % b"")
    [response] = parse_responses(transport.value())
    assert response.header(b"date") == b"Sun, 06 Nov 1994 08:49:37 GMT"
    assert response.header(b"server").startswith(b"labweb/")


def test_client_disconnect_tells_the_exchange(make):
    handler = HeldHandler()
    protocol, transport = make(handler)
    protocol.dataReceived(GET % b"")
    gone = []
    handler.exchanges[0].on_disconnect(lambda: gone.append(True))
    protocol.connectionLost()
    assert gone == [True]
    answer(handler.exchanges[0])  # late writes are dropped, not errors
    assert transport.value() == b""


def test_a_small_response_leaves_in_one_write(make):
    protocol, transport = make(EchoPathHandler())
    writes = []
    original = transport.write
    transport.write = lambda data: (writes.append(data), original(data))
    protocol.dataReceived(GET % b"one")
    assert len(writes) == 1  # head and body together: one TCP segment, not two
    assert parse_responses(writes[0])[0].body == b"/one"
