"""Each fault on an in-memory connection timed by a Clock: what the client is sent."""

from __future__ import annotations

import random
from collections.abc import Iterator
from typing import Any

import pytest
from twisted.internet.error import ConnectionDone
from twisted.internet.task import Clock
from twisted.internet.testing import StringTransport
from twisted.python.failure import Failure

from twisted_wsgi_lab import App, HTTPFactory, HTTPProtocol, Request, StreamingResponse
from twisted_wsgi_lab.engine import Exchange, ResponseStateError
from twisted_wsgi_lab.lab import FaultInjector, fault
from twisted_wsgi_lab.testing import MemoryConnection, connect, exchange_for, parse_responses

BODY = b"0123456789" * 10  # 100 bytes, sent with Content-Length
GET = b"GET / HTTP/1.1\r\nHost: a\r\n\r\n"


def app() -> App:
    application = App()
    application.get("/")(lambda request: BODY)
    application.get("/small")(lambda request: "small")
    return application


def served(
    faults: Any = (), *, header: bool = False, handler: Any = None
) -> tuple[HTTPProtocol, StringTransport, Clock]:
    clock = Clock()
    injector = FaultInjector(handler or app(), faults, header=header, rng=random.Random(1))
    protocol, transport = connect(HTTPFactory(injector, clock=clock))
    return protocol, transport, clock


def test_without_faults_the_exchange_talks_to_the_plain_protocol() -> None:
    seen: list[Exchange] = []
    application = app()
    application.before_request(lambda request: seen.append(request.exchange))
    protocol, transport = connect(HTTPFactory(application, clock=Clock()))
    protocol.dataReceived(GET)
    assert type(protocol) is HTTPProtocol
    assert seen[0].connection is protocol
    assert parse_responses(transport.value())[0].body == BODY


def test_delay_holds_the_whole_response_for_its_milliseconds() -> None:
    protocol, transport, clock = served("delay:ms=500")
    protocol.dataReceived(GET)
    clock.advance(0.499)
    assert transport.value() == b""
    clock.advance(0.001)
    [response] = parse_responses(transport.value())
    assert (response.status, response.body) == (200, BODY)
    assert not transport.disconnecting  # the connection is kept for the next request


def test_trickle_sends_n_bytes_every_t_ms_and_keeps_pipelined_responses_in_order() -> None:
    protocol, transport, clock = served("trickle:bytes=10,ms=50")
    protocol.dataReceived(GET + b"GET /small HTTP/1.1\r\nHost: a\r\n\r\n")
    sizes = [len(transport.value())]
    for _ in range(40):
        clock.advance(0.05)
        sizes.append(len(transport.value()))
    assert sizes[:3] == [10, 20, 30]
    first, second = parse_responses(transport.value())
    assert (first.body, second.body) == (BODY, b"small")  # in request order, whole


def test_truncate_sends_half_the_announced_body_then_closes() -> None:
    protocol, transport, _ = served("truncate")
    protocol.dataReceived(GET)
    head, _, body = transport.value().partition(b"\r\n\r\n")
    assert b"Content-Length: 100" in head
    assert body == BODY[:50]
    assert transport.disconnecting and not transport.disconnected  # a FIN, not a reset


def test_reset_cuts_with_a_rst_after_the_given_body_bytes() -> None:
    protocol, transport, clock = served("reset:bytes=7")
    protocol.dataReceived(GET)
    assert transport.value().endswith(b"\r\n\r\n" + BODY[:7])
    assert not transport.disconnecting  # the bytes get a reactor turn to leave first
    clock.advance(0)
    assert transport.disconnected  # abortConnection: a RST


def test_bad_status_sends_a_status_line_no_parser_takes_then_closes() -> None:
    protocol, transport, _ = served("bad-status")
    protocol.dataReceived(GET)
    assert transport.value().startswith(b"HTTP/1.1 2OO OK\r\nContent-Type:")
    assert transport.value().endswith(BODY)
    assert transport.disconnecting


def test_extra_1xx_sends_interim_responses_before_the_real_one() -> None:
    protocol, transport, _ = served("extra-1xx:count=2")
    protocol.dataReceived(GET)
    early, later, final = parse_responses(transport.value())
    assert (early.status, early.reason, early.header(b"x-labweb-interim")) == (
        103,
        b"Early Hints",
        b"1",
    )
    assert (later.status, later.header(b"x-labweb-interim")) == (103, b"2")
    assert (final.status, final.body) == (200, BODY)


def test_extra_1xx_is_never_sent_to_an_http_1_0_client() -> None:
    protocol, transport, _ = served("extra-1xx")
    protocol.dataReceived(b"GET / HTTP/1.0\r\n\r\n")
    assert transport.value().startswith(b"HTTP/1.1 200 OK")


@pytest.mark.parametrize(("delta", "announced"), [(10, b"110"), (-5, b"95"), (-500, b"0")])
def test_wrong_length_announces_a_length_off_by_delta_then_closes(
    delta: int, announced: bytes
) -> None:
    protocol, transport, _ = served(f"wrong-length:delta={delta}")
    protocol.dataReceived(GET)
    head, _, body = transport.value().partition(b"\r\n\r\n")
    assert b"Content-Length: " + announced + b"\r\n" in head + b"\r\n"
    assert body == BODY  # the whole body, whatever was announced
    assert transport.disconnecting


def test_faults_that_need_a_body_leave_a_head_response_alone() -> None:
    protocol, transport, _ = served(["truncate", "wrong-length"])
    protocol.dataReceived(b"HEAD / HTTP/1.1\r\nHost: a\r\n\r\n")
    assert b"Content-Length: 100\r\n" in transport.value()
    assert not transport.disconnecting


def test_stall_read_reads_no_body_and_calls_nothing_until_its_time() -> None:
    calls: list[bytes] = []
    application = App()

    @application.post("/upload")
    async def upload(request: Request) -> str:
        calls.append(await request.body())
        return "got it"

    protocol, transport, clock = served("stall-read:ms=1000", handler=application)
    protocol.dataReceived(b"POST /upload HTTP/1.1\r\nHost: a\r\nContent-Length: 4\r\n\r\nab")
    assert transport.producerState == "paused"  # the socket is not read
    clock.advance(0.999)
    assert calls == [] and transport.value() == b""
    clock.advance(0.001)
    protocol.dataReceived(b"cd")
    assert calls == [b"abcd"]
    assert parse_responses(transport.value())[0].body == b"got it"


def test_every_n_bends_only_each_nth_response() -> None:
    protocol, transport, _ = served("bad-status:every=2")
    protocol.dataReceived(GET)
    assert transport.value().startswith(b"HTTP/1.1 200 OK")
    transport.clear()
    protocol.dataReceived(GET)
    assert transport.value().startswith(b"HTTP/1.1 2OO OK")


def test_a_held_response_pauses_its_streaming_source() -> None:
    pulled: list[int] = []
    application = App()

    @application.get("/stream")
    def stream(request: Request) -> StreamingResponse:
        def pieces() -> Iterator[bytes]:
            for n in range(100):
                pulled.append(n)
                yield b"x" * 100

        return StreamingResponse(pieces())

    protocol, transport, clock = served("trickle:bytes=50,ms=10", handler=application)
    protocol.dataReceived(b"GET /stream HTTP/1.1\r\nHost: a\r\n\r\n")
    clock.advance(0.01)
    assert len(pulled) < 5  # the generator waits while the trickle holds bytes
    for _ in range(1000):
        clock.advance(0.01)
    [response] = parse_responses(transport.value())
    assert response.body == b"x" * 10000


def test_a_trickled_stream_ends_whole_before_a_last_request_closes() -> None:
    application = App()
    application.get("/s")(lambda request: StreamingResponse(iter([BODY[:50], BODY[50:]])))
    protocol, transport, clock = served("trickle:bytes=30,ms=10", handler=application)
    protocol.dataReceived(b"GET /s HTTP/1.1\r\nHost: a\r\nConnection: close\r\n\r\n")
    while not transport.disconnecting:
        clock.advance(0.01)
    [response] = parse_responses(transport.value())  # the last chunk came before the FIN
    assert (response.chunked, response.body) == (True, BODY)


def test_the_header_is_ignored_unless_the_server_opted_in() -> None:
    asking = b"GET / HTTP/1.1\r\nHost: a\r\nX-Labweb-Fault: bad-status\r\n\r\n"
    protocol, transport, _ = served()
    protocol.dataReceived(asking)
    assert transport.value().startswith(b"HTTP/1.1 200 OK")
    protocol, transport, _ = served(header=True)
    protocol.dataReceived(asking)
    assert transport.value().startswith(b"HTTP/1.1 2OO OK")


def test_a_header_naming_no_fault_is_answered_400_with_the_reason() -> None:
    protocol, transport, _ = served(header=True)
    protocol.dataReceived(b"GET / HTTP/1.1\r\nHost: a\r\nX-Labweb-Fault: slow\r\n\r\n")
    [response] = parse_responses(transport.value())
    assert response.status == 400
    assert response.body.startswith(b"X-Labweb-Fault: unknown fault 'slow': choose one of delay")


def test_the_decorator_bends_its_route_only() -> None:
    application = app()

    @application.get("/broken")
    @fault("wrong-length:delta=3")
    def broken(request: Request) -> bytes:
        return b"abc"

    protocol, transport = connect(HTTPFactory(application, clock=Clock()))
    protocol.dataReceived(GET)
    assert b"Content-Length: 100\r\n" in transport.value()
    protocol.dataReceived(b"GET /broken HTTP/1.1\r\nHost: a\r\n\r\n")
    head, _, body = transport.value().rpartition(b"HTTP/1.1 200 OK")[2].partition(b"\r\n\r\n")
    assert b"Content-Length: 6\r\n" in head and body == b"abc"
    assert transport.disconnecting


def test_the_decorator_above_the_route_is_refused_instead_of_doing_nothing() -> None:
    application = app()
    with pytest.raises(TypeError, match=r"@fault.*below @app.get"):

        @fault("delay:ms=10")
        @application.get("/late")
        def late(request: Request) -> bytes:
            return b"never bent"


def test_the_decorator_stalls_before_calling_its_route() -> None:
    clock = Clock()
    application = App()

    @application.get("/later")
    @fault("stall-read:ms=200")
    async def later(request: Request) -> str:
        return "now"

    protocol, transport = connect(HTTPFactory(application, clock=clock))
    protocol.dataReceived(b"GET /later HTTP/1.1\r\nHost: a\r\n\r\n")
    assert transport.value() == b""
    clock.advance(0.2)
    assert parse_responses(transport.value())[0].body == b"now"


def test_interposing_after_the_response_started_is_refused() -> None:
    exchange = exchange_for(GET, MemoryConnection())
    exchange.start_response(200, b"OK", [])
    exchange.write(b"x")
    with pytest.raises(ResponseStateError):
        exchange.interpose(lambda connection: connection)


def test_a_trickle_stops_when_the_client_leaves_after_the_app_finished() -> None:
    protocol, transport, clock = served("trickle:bytes=10,ms=50")
    protocol.dataReceived(GET)  # the App wrote and finished at once; 90 bytes are held
    clock.advance(0.05)
    protocol.connectionLost(None)  # type: ignore[arg-type]
    sent = len(transport.value())
    clock.advance(0.05)
    assert len(transport.value()) == sent
    assert clock.getDelayedCalls() == []  # nothing left ticking for a client that left


def test_every_in_a_header_counts_the_requests_that_carry_the_same_value() -> None:
    injector = FaultInjector(app(), header=True)
    asking = b"GET / HTTP/1.1\r\nHost: a\r\nX-Labweb-Fault: bad-status:every=2\r\n\r\n"
    firsts = []
    for _ in range(4):  # one connection each: the count is the injector's, not a connection's
        protocol, transport = connect(HTTPFactory(injector, clock=Clock()))
        protocol.dataReceived(asking)
        firsts.append(transport.value().split(b"\r\n", 1)[0])
    assert firsts == [b"HTTP/1.1 200 OK", b"HTTP/1.1 2OO OK"] * 2


def test_delay_then_trickle_combine() -> None:
    protocol, transport, clock = served(["delay:ms=200", "trickle:bytes=40,ms=10"])
    protocol.dataReceived(GET)
    clock.advance(0.199)
    assert transport.value() == b""
    clock.advance(0.001)
    assert len(transport.value()) == 40
    for _ in range(10):
        clock.advance(0.01)
    assert parse_responses(transport.value())[0].body == BODY


def test_a_cut_is_made_even_while_the_client_is_slow_to_read() -> None:
    protocol, transport, _ = served("truncate:bytes=10")
    protocol.pauseProducing()  # the transport's buffer is full: the client reads slowly
    protocol.dataReceived(GET)
    assert transport.value().endswith(b"\r\n\r\n" + BODY[:10])
    assert transport.disconnecting


def routed_under(listener_fault: str, route_fault: str) -> tuple[StringTransport, Clock]:
    """``--fault listener_fault`` in front of an App whose route has ``@fault(route_fault)``."""
    application = App()

    @application.get("/")
    @fault(route_fault)
    def bent(request: Request) -> bytes:
        return BODY

    protocol, transport, clock = served(listener_fault, handler=application)
    protocol.dataReceived(GET)
    clock.advance(1)
    return transport, clock


def test_a_listener_fault_and_a_route_fault_bend_the_real_head_not_an_interim_one() -> None:
    transport, _ = routed_under("bad-status", "extra-1xx")
    interim, _, final = transport.value().partition(b"\r\n\r\n")
    assert interim == b"HTTP/1.1 103 Early Hints\r\nX-Labweb-Interim: 1"
    assert final.startswith(b"HTTP/1.1 2OO OK\r\n") and final.endswith(BODY)
    assert transport.disconnecting


def test_a_route_fault_under_a_listener_fault_is_applied_once_to_the_whole_response() -> None:
    transport, _ = routed_under("extra-1xx", "bad-status")
    interim, _, final = transport.value().partition(b"\r\n\r\n")
    assert interim == b"HTTP/1.1 103 Early Hints\r\nX-Labweb-Interim: 1"
    assert final.startswith(b"HTTP/1.1 2OO OK\r\n") and final.endswith(BODY)


def test_a_cut_under_interim_responses_counts_body_bytes_of_the_final_response() -> None:
    transport, _ = routed_under("truncate:bytes=10", "extra-1xx:count=3")
    interims, _, final = transport.value().rpartition(b"HTTP/1.1 200 OK\r\n")
    assert interims.count(b"HTTP/1.1 103 Early Hints\r\n") == 3
    assert final.partition(b"\r\n\r\n")[2] == BODY[:10]  # 10 bytes of the body proper
    assert transport.disconnecting


def test_bad_status_after_extra_1xx_bends_the_final_status_line() -> None:
    protocol, transport, _ = served(["extra-1xx", "bad-status"])
    protocol.dataReceived(GET)
    interim, _, final = transport.value().partition(b"\r\n\r\n")
    assert interim == b"HTTP/1.1 103 Early Hints\r\nX-Labweb-Interim: 1"
    assert final.startswith(b"HTTP/1.1 2OO OK\r\n")


def test_a_stall_is_forgotten_when_the_client_leaves_during_it() -> None:
    protocol, _, clock = served("stall-read:ms=10000")
    protocol.dataReceived(GET)
    protocol.connectionLost(Failure(ConnectionDone()))
    assert clock.getDelayedCalls() == []  # nothing holds the exchange for ten seconds


@pytest.mark.parametrize("held", ["delay:ms=10000", "trickle:bytes=1,ms=10000"])
def test_a_held_response_is_forgotten_when_the_client_leaves_after_the_app_finished(
    held: str,
) -> None:
    protocol, transport, clock = served(held)
    protocol.dataReceived(GET)  # the app has finished: only the fault holds its bytes
    protocol.connectionLost(Failure(ConnectionDone()))
    assert clock.getDelayedCalls() == []
    clock.advance(10)
    assert len(transport.value()) <= 1  # nothing was written after the client left
