"""``Exchange.on_finish``: what a request holds is released once its response is done."""

from __future__ import annotations

from twisted_wsgi_lab.testing import exchange_for

GET = b"GET / HTTP/1.1\r\nHost: a\r\n\r\n"


def test_on_finish_callbacks_run_once_when_the_response_is_complete() -> None:
    exchange = exchange_for(GET)
    calls: list[str] = []
    exchange.on_finish(lambda: calls.append("first"))
    exchange.on_finish(lambda: calls.append("second"))
    exchange.start_response(200, b"OK", [])
    assert calls == []
    exchange.finish()
    exchange.finish()  # a second finish is ignored
    assert calls == ["first", "second"]


def test_on_finish_after_the_response_runs_at_once() -> None:
    exchange = exchange_for(GET)
    exchange.start_response(204, b"No Content", [])
    exchange.finish()
    calls: list[str] = []
    exchange.on_finish(lambda: calls.append("late"))
    assert calls == ["late"]


def test_on_finish_does_not_run_when_the_client_leaves_first() -> None:
    exchange = exchange_for(GET)
    calls: list[str] = []
    exchange.on_finish(lambda: calls.append("finished"))
    exchange.on_disconnect(lambda: calls.append("gone"))
    exchange.connection_lost()
    assert calls == ["gone"]
