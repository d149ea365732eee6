"""Answers the bridge gives itself: 404 outside the mount, OPTIONS *.

The 500 for an app that fails is the engine's one rule, ``answer_failure``.
"""

from __future__ import annotations

from ..engine import Exchange, answer_failure

__all__ = ["answer_failure", "answer_not_found", "answer_server_options"]

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
