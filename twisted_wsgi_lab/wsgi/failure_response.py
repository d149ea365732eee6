"""Answers the bridge gives itself: 404 outside the mount, OPTIONS *.

The 500 for an app that fails is the engine's one rule, ``answer_failure``;
``answer_app_failure`` is that rule with ``--debug``: the same choice (500 if nothing
was sent, else the connection is cut), and the traceback in the 500's body.
"""

from __future__ import annotations

from twisted.python.failure import Failure

from ..engine import Exchange, answer_failure

__all__ = ["answer_app_failure", "answer_failure", "answer_not_found", "answer_server_options"]

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


def answer_app_failure(exchange: Exchange, failure: Failure, *, debug: bool) -> None:
    """The engine's rule for an app that failed; with ``debug``, the 500 shows ``failure``.

    Only a response not yet begun can carry a traceback: once a byte has left, the
    engine's rule cuts the connection, debug or not. Never for production: a traceback
    tells a client about the code, its paths and sometimes its data.
    """
    if not debug or exchange.disconnected or exchange.finished or exchange.response_started:
        answer_failure(exchange)
        return
    body = f"500 Internal Server Error\n\n{failure.getTraceback()}".encode("utf-8", "replace")
    headers = [
        (b"Content-Type", b"text/plain; charset=utf-8"),
        (b"Content-Length", b"%d" % len(body)),
    ]
    exchange.start_response(500, b"Internal Server Error", headers)
    exchange.write(body)
    exchange.finish()
