"""The Connection seam: hosted code driven through an exchange with no protocol at all."""

from __future__ import annotations

from typing import Any

import pytest
from twisted.internet.protocol import Protocol

from twisted_wsgi_lab import WSGIBridge
from twisted_wsgi_lab.testing import MemoryConnection, exchange_for, parse_responses


def test_a_wsgi_app_answers_through_a_memory_connection() -> None:
    def app(environ: dict[str, Any], start_response: Any) -> list[bytes]:
        body = environ["wsgi.input"].read()
        start_response("200 OK", [("Content-Type", "text/plain")])
        return [b"got " + body + b" from " + environ["REMOTE_ADDR"].encode()]

    exchange = exchange_for(
        b"POST /echo HTTP/1.1\r\nHost: x\r\nContent-Length: 5\r\n\r\nhello",
        MemoryConnection(peer=("192.0.2.7", 5555)),
    )
    WSGIBridge(app).handle(exchange)
    connection = exchange.connection
    assert isinstance(connection, MemoryConnection)
    [response] = parse_responses(bytes(connection.written))
    assert (response.status, response.body) == (200, b"got hello from 192.0.2.7")
    assert connection.finished == [exchange]


def test_a_failing_handler_gets_the_engine_500_on_a_memory_connection() -> None:
    def app(environ: dict[str, Any], start_response: Any) -> list[bytes]:
        raise RuntimeError("bug")

    exchange = exchange_for(b"GET / HTTP/1.1\r\nHost: x\r\n\r\n")
    WSGIBridge(app).handle(exchange)
    [response] = parse_responses(bytes(exchange.connection.written))  # type: ignore[attr-defined]
    assert response.status == 500


def test_a_switch_on_a_memory_connection_records_the_new_protocol() -> None:
    exchange = exchange_for(
        b"GET / HTTP/1.1\r\nHost: x\r\nUpgrade: echo\r\nConnection: upgrade\r\n\r\n"
    )
    target = Protocol()
    exchange.switch_protocols([(b"Upgrade", b"echo")], target)
    connection = exchange.connection
    assert isinstance(connection, MemoryConnection)
    assert connection.switched_to is target
    assert bytes(connection.written).startswith(b"HTTP/1.1 101 Switching Protocols\r\n")
    assert exchange.finished


def test_exchange_for_refuses_an_incomplete_request() -> None:
    with pytest.raises(ValueError, match="whole request body"):
        exchange_for(b"POST / HTTP/1.1\r\nHost: x\r\nContent-Length: 9\r\n\r\nabc")
