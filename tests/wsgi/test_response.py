"""start_response, write(), the iterable, close(), errors and backpressure."""

from __future__ import annotations

import gc
import sys
from wsgiref.validate import validator

import pytest
from wsgi_support import failures

from twisted_wsgi_lab.engine import ResponseStateError
from twisted_wsgi_lab.testing import parse_responses
from twisted_wsgi_lab.wsgi.reactor_mode import PUMP_ITEMS

GET = b"GET / HTTP/1.1\r\nHost: h\r\n\r\n"
TEXT = [("Content-Type", "text/plain")]


class ClosingIterable:
    """An iterable that records close() and can fail on the way."""

    def __init__(self, items, *, fail_at=None, close_raises=False):
        self.items = list(items)
        self.fail_at = fail_at
        self.close_raises = close_raises
        self.closed = 0
        self.consumed = 0

    def __iter__(self):
        for index, item in enumerate(self.items):
            if index == self.fail_at:
                raise RuntimeError("broken generator")
            self.consumed += 1
            yield item

    def close(self):
        self.closed += 1
        if self.close_raises:
            raise RuntimeError("close failed")


def app_returning(iterable, headers=TEXT):
    def app(environ, start_response):
        start_response("200 OK", headers)
        return iterable

    return app


def test_one_item_list_gets_a_content_length(serve):
    protocol, transport = serve(app_returning([b"hello"]))
    protocol.dataReceived(GET)
    [response] = parse_responses(transport.value())
    assert (response.header(b"content-length"), response.body) == (b"5", b"hello")


def test_unknown_length_is_sent_chunked_on_http11(serve):
    protocol, transport = serve(validator(app_returning(ClosingIterable([b"a", b"b"]))))
    protocol.dataReceived(GET)
    [response] = parse_responses(transport.value())
    assert response.chunked and response.body == b"ab"


def test_unknown_length_is_close_delimited_on_http10(serve):
    protocol, transport = serve(validator(app_returning(ClosingIterable([b"a", b"b"]))))
    protocol.dataReceived(b"GET / HTTP/1.0\r\nConnection: keep-alive\r\n\r\n")
    [response] = parse_responses(transport.value())
    assert response.body == b"ab" and not response.chunked
    assert transport.disconnecting


def test_close_is_called_after_success(serve):
    iterable = ClosingIterable([b"x"])
    protocol, transport = serve(validator(app_returning(iterable)))
    protocol.dataReceived(GET)
    assert iterable.closed == 1
    assert parse_responses(transport.value())[0].body == b"x"


def test_write_callable_output_comes_before_the_iterable(serve):
    def app(environ, start_response):
        write = start_response("200 OK", TEXT)
        write(b"early ")
        return [b"late"]

    protocol, transport = serve(validator(app))
    protocol.dataReceived(GET)
    assert parse_responses(transport.value())[0].body == b"early late"


def test_app_exception_gives_500_without_the_traceback(serve, logged):
    def app(environ, start_response):
        raise ValueError("secret detail")

    protocol, transport = serve(validator(app))
    protocol.dataReceived(GET + GET)
    first, second = parse_responses(transport.value())
    assert first.status == 500 and second.status == 500
    assert b"secret" not in transport.value()
    logged_failures = failures(logged)
    assert len(logged_failures) == 2
    assert logged_failures[0]["request"] == "GET / HTTP/1.1"


def test_close_is_called_when_iteration_raises(serve, logged):
    iterable = ClosingIterable([b"a", b"b"], fail_at=0)
    protocol, transport = serve(validator(app_returning(iterable)))
    protocol.dataReceived(GET)
    assert iterable.closed == 1
    assert parse_responses(transport.value())[0].status == 500
    assert len(failures(logged)) == 1


def test_error_after_the_head_was_sent_cuts_the_connection(serve, logged):
    iterable = ClosingIterable([b"a", b"b"], fail_at=1)
    protocol, transport = serve(validator(app_returning(iterable)))
    protocol.dataReceived(GET + GET)
    assert transport.value().startswith(b"HTTP/1.1 200 OK")
    assert not transport.value().endswith(b"0\r\n\r\n")  # no last-chunk: visibly cut
    assert transport.disconnecting
    assert iterable.closed == 1


def test_close_raising_is_logged_and_the_next_request_still_served(serve, logged):
    iterable = ClosingIterable([b"a"], close_raises=True)
    protocol, transport = serve(app_returning(iterable))
    protocol.dataReceived(GET + GET)
    assert [r.status for r in parse_responses(transport.value())] == [200, 200]
    assert len(failures(logged)) == 2


def test_exc_info_before_the_head_replaces_the_status(serve):
    def app(environ, start_response):
        start_response("200 OK", TEXT)
        try:
            raise KeyError("oops")
        except KeyError:
            start_response("503 Service Unavailable", TEXT, sys.exc_info())
        return [b"sorry"]

    protocol, transport = serve(validator(app))
    protocol.dataReceived(GET)
    [response] = parse_responses(transport.value())
    assert (response.status, response.body) == (503, b"sorry")


def test_exc_info_after_the_head_reraises_into_the_app(serve, logged):
    def app(environ, start_response):
        write = start_response("200 OK", TEXT)
        write(b"partial")
        try:
            raise KeyError("late")
        except KeyError:
            start_response("500 Internal Server Error", TEXT, sys.exc_info())
        return [b"never"]

    protocol, transport = serve(app)
    protocol.dataReceived(GET)
    assert b"partial" in transport.value() and b"never" not in transport.value()
    assert transport.disconnecting
    assert "KeyError" in failures(logged)[0]["log_failure"].getTraceback()


def test_second_start_response_without_exc_info_is_an_error(serve, logged):
    def app(environ, start_response):
        start_response("200 OK", TEXT)
        start_response("201 Created", TEXT)
        return [b""]

    protocol, transport = serve(app)
    protocol.dataReceived(GET)
    assert parse_responses(transport.value())[0].status == 500


def test_header_with_crlf_becomes_500_and_is_never_sent(serve, logged):
    def app(environ, start_response):
        start_response("200 OK", [("X-Evil", "a\r\nSet-Cookie: stolen=1")])
        return [b"body"]

    protocol, transport = serve(app)
    protocol.dataReceived(GET)
    assert parse_responses(transport.value())[0].status == 500
    assert b"stolen" not in transport.value()


def test_headers_wait_for_the_first_non_empty_chunk(serve, logged):
    iterable = ClosingIterable([b"", b"", b"x"], fail_at=2)
    protocol, transport = serve(validator(app_returning(iterable)))
    protocol.dataReceived(GET)
    assert parse_responses(transport.value())[0].status == 500  # nothing was sent yet


def test_a_long_iterable_yields_the_reactor_between_slices(serve, clock):
    iterable = ClosingIterable([b"x"] * (PUMP_ITEMS * 3))
    protocol, transport = serve(validator(app_returning(iterable)))
    protocol.dataReceived(GET)
    assert iterable.consumed == PUMP_ITEMS  # one slice, then back to the reactor
    # The rest comes on the next reactor turn (other calls are the connection's timers).
    [pending] = [call for call in clock.getDelayedCalls() if call.getTime() == clock.seconds()]
    clock.calls.remove(pending)  # run just that turn, as the reactor would
    pending.func()
    assert iterable.consumed == PUMP_ITEMS * 2
    clock.advance(0)
    assert parse_responses(transport.value())[0].body == b"x" * (PUMP_ITEMS * 3)
    assert iterable.closed == 1


def test_a_slow_client_pauses_the_iteration(serve, clock):
    iterable = ClosingIterable([b"y"] * 10)
    protocol, transport = serve(validator(app_returning(iterable)))
    protocol.pauseProducing()  # what the transport does when its buffer is full
    protocol.dataReceived(GET)
    clock.advance(0)
    assert iterable.consumed == 0
    protocol.resumeProducing()
    assert iterable.consumed == 10
    assert parse_responses(transport.value())[0].body == b"y" * 10


def test_client_gone_mid_response_closes_the_iterable(serve, clock):
    iterable = ClosingIterable([b"z"] * (PUMP_ITEMS * 2))
    protocol, transport = serve(validator(app_returning(iterable)))
    protocol.dataReceived(GET)
    assert transport.value().startswith(b"HTTP/1.1 200 OK")
    protocol.connectionLost()
    clock.advance(0)
    assert iterable.consumed == PUMP_ITEMS
    assert iterable.closed == 1


def test_head_request_runs_the_app_but_sends_no_body(serve):
    protocol, transport = serve(validator(app_returning(ClosingIterable([b"abc"]))))
    protocol.dataReceived(b"HEAD / HTTP/1.1\r\nHost: h\r\n\r\n" + GET)
    head, get = parse_responses(transport.value(), head_methods=(0,))
    assert head.body == b"" and get.body == b"abc"


def test_a_large_single_item_is_sent_in_slices_a_slow_client_pauses(serve, clock):
    body = bytes(range(256)) * 4096  # 1 MiB, one item, as frameworks return it
    protocol, transport = serve(validator(app_returning([body])))
    protocol.dataReceived(GET)
    first_turn = len(transport.value())
    assert first_turn < len(body)  # not handed over whole: the reactor turn ended early
    protocol.pauseProducing()  # the client is slow
    clock.advance(0)
    assert len(transport.value()) == first_turn  # no slice goes out while paused
    protocol.resumeProducing()
    for _ in range(4):  # at most PUMP_BYTES a turn
        clock.advance(0)
    [response] = parse_responses(transport.value())
    assert response.body == body


def _garbage_after(requests):
    """How many objects the collector finds unreachable after ``requests`` runs."""
    gc.collect()
    gc.disable()
    try:
        requests()
        return gc.collect()
    finally:
        gc.enable()


def test_a_small_response_leaves_nothing_for_the_garbage_collector(serve):
    # The environ, the exchange and the call used to stay in a reference cycle (the
    # start_response given to the app sent through the call that held it) until the
    # collector ran: memory held for no reason, and collections on the hot path.
    protocol, transport = serve(app_returning([b"hello"]))

    def requests():
        for _ in range(20):
            protocol.dataReceived(GET)

    assert _garbage_after(requests) == 0
    assert [r.body for r in parse_responses(transport.value())] == [b"hello"] * 20


def test_a_streamed_response_leaves_nothing_for_the_garbage_collector(serve):
    def app(environ, start_response):
        start_response("200 OK", TEXT)
        yield b"a"
        yield b"b"

    protocol, transport = serve(app)

    def requests():
        for _ in range(20):
            protocol.dataReceived(GET)

    assert _garbage_after(requests) == 0
    assert [r.body for r in parse_responses(transport.value())] == [b"ab"] * 20


def test_write_kept_past_the_response_is_refused(serve, logged):
    kept = []

    def app(environ, start_response):
        kept.append(start_response("200 OK", TEXT))
        return [b"done"]

    protocol, transport = serve(app)
    protocol.dataReceived(GET)
    with pytest.raises(ResponseStateError):
        kept[0](b"late")
    protocol.dataReceived(GET)
    assert [r.body for r in parse_responses(transport.value())] == [b"done", b"done"]


def test_write_then_a_small_list_sends_both_in_order(serve):
    # The one-write path for a small list must not start a response the app's own
    # write() already started: that raised, and the client got a cut response.
    def app(environ, start_response):
        write = start_response("200 OK", TEXT)
        write(b"early ")
        return [b"late"]

    protocol, transport = serve(app)
    protocol.dataReceived(GET + GET)
    assert [r.body for r in parse_responses(transport.value())] == [b"early late"] * 2


def test_write_then_an_empty_list_finishes_the_response(serve):
    def app(environ, start_response):
        start_response("200 OK", TEXT)(b"all of it")
        return []

    protocol, transport = serve(app)
    protocol.dataReceived(GET)
    [response] = parse_responses(transport.value())
    assert response.body == b"all of it"
    assert not transport.disconnecting
