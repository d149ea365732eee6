"""A WSGI app whose ``/slow`` takes a moment: pipelined answers still leave in order.

Serve it with ``labweb examples.howto.slow_and_fast:app --trace``
(docs/howto/pipelining-keepalive.md).
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterable
from typing import Any

SLOW_SECONDS = 0.3


def app(environ: dict[str, Any], start_response: Callable[..., Any]) -> Iterable[bytes]:
    """Answer with the path; sleep first on ``/slow`` (in a pool thread, by default)."""
    path = environ["PATH_INFO"]
    if path == "/slow":
        time.sleep(SLOW_SECONDS)
    body = f"this answers {path}\n".encode()
    start_response("200 OK", [("Content-Type", "text/plain"), ("Content-Length", str(len(body)))])
    return [body]
