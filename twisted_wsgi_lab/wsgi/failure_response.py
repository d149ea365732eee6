"""Answers the bridge gives itself: 500 when the app fails, 404 outside the mount, OPTIONS *."""

from __future__ import annotations

from ..engine import Exchange

ERROR_BODY = b"500 Internal Server Error\n"
_ERROR_HEADERS = [
    (b"Content-Type", b"text/plain; charset=utf-8"),
    (b"Content-Length", b"%d" % len(ERROR_BODY)),
]


def answer_failure(exchange: Exchange) -> None:
    """Answer 500 if no byte of the response left yet; otherwise drop the connection.

    Once the status line is out, the only honest signal left is an incomplete
    response: a chunked body without its last chunk, or fewer bytes than announced.
    The traceback goes to the log, never to the client.
    """
    if exchange.disconnected or exchange.finished:
        return
    if exchange.response_started:
        exchange.abort()
        return
    exchange.start_response(500, b"Internal Server Error", _ERROR_HEADERS)
    exchange.write(ERROR_BODY)
    exchange.finish()


_NOT_FOUND = b"404 Not Found\n"


def answer_not_found(exchange: Exchange) -> None:
    """404 for a path outside ``--script-name``, without calling the application."""
    headers = [(b"Content-Type", b"text/plain; charset=utf-8"), (b"Content-Length", b"14")]
    exchange.start_response(404, b"Not Found", headers)
    exchange.write(_NOT_FOUND)
    exchange.finish()


def answer_server_options(exchange: Exchange) -> None:
    """``OPTIONS *`` asks about the server itself (RFC 9110 section 9.3.7): 200, no body."""
    exchange.start_response(200, b"OK", [(b"Content-Length", b"0")])
    exchange.finish()
