"""The one rule for hosted code that fails: 500 if nothing was sent, else cut.

Every kind of hosted code (the WSGI bridge, the native router) gets it from here, and
the engine applies it itself to a handler that raises inside ``handle()``.
"""

from __future__ import annotations

from .exchange import Exchange

ERROR_BODY = b"500 Internal Server Error\n"
_ERROR_HEADERS = (
    (b"Content-Type", b"text/plain; charset=utf-8"),
    (b"Content-Length", b"%d" % len(ERROR_BODY)),
)


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
