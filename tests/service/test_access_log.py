"""The access log: a line per response, on the observer seam, off by default."""

from __future__ import annotations

import json
from typing import Any

from twisted.internet.task import Clock

from twisted_wsgi_lab import App, HTTPFactory, HTTPProtocol, Request
from twisted_wsgi_lab.service.access_log import AccessLog
from twisted_wsgi_lab.testing import connect


def logged_connection(log_format: str = "combined") -> tuple[Any, Any, list[str], Clock]:
    app = App()
    app.get("/hello")(lambda request: "hi")

    @app.get("/slow")
    async def slow(request: Request) -> str:
        from twisted.internet.task import deferLater

        await deferLater(request.clock, 0.25, lambda: None)
        return "late"

    lines: list[str] = []
    clock = Clock()
    clock.advance(1_764_601_200)  # 2025-12-01T15:00:00Z
    factory = HTTPFactory(app, clock=clock)
    factory.add_observer(AccessLog(lines.append, log_format=log_format))
    protocol, transport = connect(factory, peer=("192.0.2.9", 5000))
    return protocol, transport, lines, clock


def test_a_line_per_response_in_combined_log_format_with_the_time_taken() -> None:
    protocol, transport, lines, _clock = logged_connection()
    protocol.dataReceived(
        b"GET /hello?x=1 HTTP/1.1\r\nHost: a\r\nReferer: http://r.example/\r\n"
        b'User-Agent: curl/8 "quoted"\r\n\r\n'
    )
    [line] = lines
    assert line.startswith(
        '192.0.2.9 - - [01/Dec/2025:15:00:00 +0000] "GET /hello?x=1 HTTP/1.1" 200 '
    )
    assert f" {len(transport.value())} " in line  # bytes sent for this response
    assert line.endswith(' "http://r.example/" "curl/8 \\"quoted\\"" 0.000ms\n')


def test_pipelined_and_slow_responses_get_their_own_durations() -> None:
    protocol, _, lines, clock = logged_connection()
    protocol.dataReceived(
        b"GET /slow HTTP/1.1\r\nHost: a\r\n\r\nGET /hello HTTP/1.1\r\nHost: a\r\n\r\n"
    )
    clock.advance(0.25)
    assert [line.split('"')[1] for line in lines] == ["GET /slow HTTP/1.1", "GET /hello HTTP/1.1"]
    assert lines[0].rstrip().endswith("250.000ms")
    assert lines[1].rstrip().endswith("250.000ms")  # it waited behind the slow one


def test_json_lines_carry_the_same_fields() -> None:
    protocol, _, lines, _ = logged_connection("json")
    protocol.dataReceived(b"GET /missing HTTP/1.1\r\nHost: a\r\n\r\n")
    record = json.loads(lines[0])
    assert record["status"] == 404 and record["remote"] == "192.0.2.9"
    assert record["request"] == "GET /missing HTTP/1.1" and record["user_agent"] is None


def test_without_an_access_log_the_plain_protocol_runs() -> None:
    factory = HTTPFactory(App(), clock=Clock())
    assert type(factory.buildProtocol(None)) is HTTPProtocol


def test_lines_are_flushed_within_a_second_not_one_write_per_line() -> None:
    import io

    from twisted_wsgi_lab.service.access_log import FLUSH_SECONDS, LogFile

    class CountingStream(io.StringIO):
        flushes = 0

        def flush(self) -> None:
            self.flushes += 1
            super().flush()

    stream, clock = CountingStream(), Clock()
    log_file = LogFile(stream, clock)
    for n in range(100):
        log_file(f"line {n}\n")
    assert stream.flushes == 0
    clock.advance(FLUSH_SECONDS)
    assert stream.flushes == 1
    assert stream.getvalue().count("\n") == 100
    log_file("last\n")
    log_file.flush()  # what the server does when it stops
    assert stream.flushes == 2 and clock.getDelayedCalls() == []


def test_requests_the_engine_refuses_are_logged_too() -> None:
    """Found by review: a 400 or 414 written by the engine itself had no log line."""
    for request, status in (
        (b"GET /hello HTTP/1.1\r\n\r\n", 400),  # no Host
        (b"GET /hello HTTP/1.1\r\nHost: a\r\nX: a\x00b\r\n\r\n", 400),
        (b"GET /" + b"x" * 20000 + b" HTTP/1.1\r\nHost: a\r\n\r\n", 414),
    ):
        protocol, transport, lines, _ = logged_connection()
        protocol.dataReceived(request)
        assert transport.value().startswith(b"HTTP/1.1 4")
        [line] = lines
        assert f'"-" {status} {len(transport.value())} "-" "-"' in line
