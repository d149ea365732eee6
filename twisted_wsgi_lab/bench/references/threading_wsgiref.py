"""Thread per connection: the standard library's WSGI server in ``ThreadingMixIn``.

``wsgiref`` speaks HTTP/1.0 and closes every connection after one response, so each
request costs a TCP connection and a new thread: the model of ``ThreadingHTTPServer``
and of many first servers. ``python -m ...threading_wsgiref PORT module:app``.
"""

from __future__ import annotations

import socketserver
import sys
from typing import Any
from wsgiref.simple_server import WSGIRequestHandler, WSGIServer

from .app_loading import load_wsgi_app


class ThreadingWSGIServer(socketserver.ThreadingMixIn, WSGIServer):
    """One thread per connection; daemon threads so a stop never waits for a client."""

    daemon_threads = True
    request_queue_size = 1024


class QuietHandler(WSGIRequestHandler):
    """No line per request on stderr: a log would measure the terminal, not the server."""

    def log_message(self, format: str, *args: Any) -> None:
        return None


def main(argv: list[str] | None = None) -> None:
    """Serve ``module:app`` on ``127.0.0.1:PORT`` until killed."""
    args = sys.argv[1:] if argv is None else argv
    if len(args) != 2 or not args[0].isdigit():
        raise SystemExit(
            "usage: python -m twisted_wsgi_lab.bench.references.threading_wsgiref PORT module:app"
        )
    server = ThreadingWSGIServer(("127.0.0.1", int(args[0])), QuietHandler)
    server.set_app(load_wsgi_app(args[1]))
    server.serve_forever()


if __name__ == "__main__":
    main()
