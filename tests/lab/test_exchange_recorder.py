"""The exchange recorder: exchanges with their bytes and timings, connections, counters."""

from __future__ import annotations

from typing import Any

from twisted.internet.defer import Deferred
from twisted.internet.task import Clock

from twisted_wsgi_lab import App, HTTPFactory, Request
from twisted_wsgi_lab.http11 import Limits
from twisted_wsgi_lab.lab import Activity, ExchangeRecorder, Outcome, record
from twisted_wsgi_lab.testing import connect, parse_responses


def served(**recorder_options: Any) -> tuple[HTTPFactory, ExchangeRecorder, Clock, list[Any]]:
    """An App with a quick route, a held one and a big one; a recorder on its factory."""
    app = App()
    held: list[Deferred[str]] = []
    app.get("/")(lambda request: "hello")
    app.get("/big")(lambda request: "x" * 20_000)

    @app.get("/held")
    def hold(request: Request) -> Deferred[str]:
        held.append(Deferred())
        return held[-1]

    app.post("/echo")(lambda request: request.body())
    clock = Clock()
    factory = HTTPFactory(app, clock=clock, limits=Limits(header_timeout_seconds=5))
    return factory, record(factory, **recorder_options), clock, held


def test_an_exchange_is_kept_with_its_bytes_status_and_timings() -> None:
    factory, recorder, clock, _ = served()
    protocol, transport = connect(factory, peer=("192.0.2.7", 5555))
    clock.advance(10)
    protocol.dataReceived(b"POST /echo HTTP/1.1\r\nHost: a\r\nContent-Length: 6\r\n\r\nab")
    clock.advance(0.25)
    protocol.dataReceived(b"cdef")
    [exchange] = recorder.exchanges
    assert exchange.outcome is Outcome.ANSWERED and exchange.status == 200
    assert (exchange.method, exchange.target, exchange.peer) == ("POST", "/echo", "192.0.2.7:5555")
    assert bytes(exchange.raw_in).endswith(b"\r\n\r\nabcdef")
    assert bytes(exchange.raw_out) == transport.value()
    assert exchange.started == 10 and exchange.request_end_at == 10.25
    assert exchange.duration == 0.25  # the response could only follow the whole body
    assert recorder.counters.responses[200] == 1


def test_pipelined_requests_in_one_read_are_split_where_each_ends() -> None:
    factory, recorder, _, _ = served()
    protocol, transport = connect(factory)
    first = b"GET / HTTP/1.1\r\nHost: a\r\n\r\n"
    second = b"POST /echo HTTP/1.1\r\nHost: a\r\nContent-Length: 3\r\n\r\nxyz"
    third = b"GET /nothing HTTP/1.1\r\nHost: a\r\n\r\n"
    protocol.dataReceived(first + second + third)
    assert [bytes(e.raw_in) for e in recorder.exchanges] == [first, second, third]
    assert [e.status for e in recorder.exchanges] == [200, 200, 404]
    responses = parse_responses(transport.value())
    assert b"".join(bytes(e.raw_out) for e in recorder.exchanges) == transport.value()
    assert [r.status for r in responses] == [200, 200, 404]


def test_raw_bytes_are_capped_and_the_totals_still_counted() -> None:
    factory, recorder, _, _ = served(max_raw_bytes=100)
    protocol, transport = connect(factory)
    protocol.dataReceived(b"GET /big HTTP/1.1\r\nHost: a\r\n\r\n")
    [exchange] = recorder.exchanges
    assert len(exchange.raw_out) == 100
    assert exchange.bytes_out == len(transport.value()) > 20_000
    assert exchange.details()["raw_out_truncated"] is True


def test_only_the_last_n_exchanges_are_kept() -> None:
    factory, recorder, _, _ = served(max_exchanges=3)
    protocol, _ = connect(factory)
    protocol.dataReceived(b"GET / HTTP/1.1\r\nHost: a\r\n\r\n" * 5)
    assert [e.number for e in recorder.exchanges] == [3, 4, 5]
    assert recorder.counters.requests == 5
    assert [e.number for e in recorder.since(4)] == [5]


def test_a_malformed_head_is_an_exchange_answered_by_the_engine() -> None:
    factory, recorder, _, _ = served()
    protocol, transport = connect(factory)
    protocol.dataReceived(b"GET / HTTP/1.1\r\nHost: a\r\nX: a\x00b\r\n\r\n")
    [exchange] = recorder.exchanges
    assert exchange.outcome is Outcome.ENGINE_ERROR and exchange.status == 400
    assert exchange.head is None and b"a\x00b" in exchange.raw_in
    assert "invalid character" in exchange.error
    assert bytes(exchange.raw_out) == transport.value()


def test_a_silent_client_gets_a_408_exchange_and_the_timeout_is_counted() -> None:
    factory, recorder, clock, _ = served()
    protocol, _ = connect(factory)
    protocol.dataReceived(b"GET / HTTP/1.1\r\nHo")
    clock.advance(6)
    [exchange] = recorder.exchanges
    assert exchange.status == 408 and exchange.raw_in == b"GET / HTTP/1.1\r\nHo"
    assert recorder.counters.timeouts == {"header": 1}


def test_the_connection_table_follows_what_each_connection_does() -> None:
    factory, recorder, _, held = served()
    protocol, _ = connect(factory, peer=("127.0.0.1", 4000))

    def activity() -> str:
        [connection] = recorder.connections()
        return str(connection["activity"])

    assert activity() == Activity.IDLE.value
    protocol.dataReceived(b"GET /held HTTP/1.1\r\n")
    assert activity() == Activity.READING.value
    protocol.dataReceived(b"Host: a\r\n\r\n")
    assert activity() == Activity.ANSWERING.value
    held[0].callback("done")
    assert activity() == Activity.IDLE.value
    protocol.connectionLost(None)  # type: ignore[arg-type]
    assert recorder.connections() == []


def test_a_request_left_unanswered_at_close_is_kept_as_such() -> None:
    factory, recorder, _, _ = served()
    protocol, _ = connect(factory)
    protocol.dataReceived(b"GET /held HTTP/1.1\r\nHost: a\r\n\r\n")
    protocol.connectionLost(None)  # type: ignore[arg-type]
    [exchange] = recorder.exchanges
    assert exchange.outcome is Outcome.NO_RESPONSE and exchange.status is None
    assert recorder.counters.responses == {}


def test_latency_percentiles_come_from_the_recent_responses() -> None:
    factory, recorder, clock, held = served()
    for seconds in range(1, 11):  # ten requests answered in 1..10 s
        protocol, _ = connect(factory)
        protocol.dataReceived(b"GET /held HTTP/1.1\r\nHost: a\r\n\r\n")
        clock.advance(seconds)
        held[-1].callback("late")
    assert recorder.counters.latency_ms() == {"p50": 5000.0, "p90": 9000.0, "p99": 10000.0}


def test_observers_added_on_the_app_see_the_test_clients_connections() -> None:
    app = App()
    app.get("/")(lambda request: "hi")
    client = app.test_client()
    recorder = ExchangeRecorder()
    app.add_observer(recorder)  # after the client was made: still seen
    assert client.get("/").status_code == 200
    [exchange] = recorder.exchanges
    assert exchange.status == 200 and exchange.target == "/"
    assert HTTPFactory(app).observers == (recorder,)


def test_bytes_after_a_101_belong_to_the_new_protocol_not_to_an_exchange() -> None:
    app = App()

    @app.websocket("/ws")
    async def echo(ws: Any) -> None:
        await ws.accept()
        await ws.receive()

    factory = HTTPFactory(app, clock=Clock())
    recorder = record(factory)
    protocol, transport = connect(factory)
    handshake = (
        b"GET /ws HTTP/1.1\r\nHost: a\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
        b"Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n\r\n"
    )
    protocol.dataReceived(handshake + b"\x81\x85\x00\x00\x00\x00hello")  # a masked frame
    assert transport.value().startswith(b"HTTP/1.1 101 ")
    [connection] = recorder.connections()
    assert connection["activity"] == Activity.SWITCHED.value
    protocol.connectionLost(None)  # type: ignore[arg-type]
    [exchange] = recorder.exchanges
    assert (exchange.outcome, exchange.status) == (Outcome.SWITCHED, 101)
    assert bytes(exchange.raw_in) == handshake
