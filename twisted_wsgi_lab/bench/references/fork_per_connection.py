"""Fork per connection, as the teaching servers labweb grew from did it.

The parent only accepts: each connection gets a child process (``os.fork``) that
serves it and exits, and a ``SIGCHLD`` handler reaps finished children so none is left
a zombie. Unlike the teaching servers, a child reads the whole head (not one
``recv(1024)``), finds Content-Length as a header field (not by substring search),
reads the body exactly, and keeps the connection alive between requests.

``python -m twisted_wsgi_lab.bench.references.fork_per_connection PORT module:app``.
"""

from __future__ import annotations

import errno
import io
import os
import signal
import socket
import sys
from collections.abc import Iterable
from typing import Any, BinaryIO

from .app_loading import WSGIApp, load_wsgi_app

MAX_HEAD_LINES = 100
MAX_LINE_BYTES = 8192


def reap_children(signum: int, frame: Any) -> None:
    """Collect every child that has exited (several SIGCHLD may arrive as one)."""
    while True:
        try:
            pid, _ = os.waitpid(-1, os.WNOHANG)
        except ChildProcessError:
            return
        if pid == 0:
            return


def read_head(reader: BinaryIO) -> tuple[str, str, str, dict[str, str]] | None:
    """Read a request line and header fields; None when the client closed or sent junk."""
    line = reader.readline(MAX_LINE_BYTES)
    parts = line.decode("latin-1").split()
    if len(parts) != 3:
        return None
    headers: dict[str, str] = {}
    for _ in range(MAX_HEAD_LINES):
        field = reader.readline(MAX_LINE_BYTES).decode("latin-1")
        if field in ("\r\n", "\n", ""):
            return parts[0], parts[1], parts[2], headers
        name, _, value = field.partition(":")
        headers[name.strip().lower()] = value.strip()
    return None


def build_environ(
    method: str, target: str, headers: dict[str, str], body: bytes, port: int
) -> dict[str, Any]:
    """The PEP 3333 environ for one request."""
    path, _, query = target.partition("?")
    environ: dict[str, Any] = {
        "REQUEST_METHOD": method,
        "SCRIPT_NAME": "",
        "PATH_INFO": path,
        "QUERY_STRING": query,
        "SERVER_NAME": "127.0.0.1",
        "SERVER_PORT": str(port),
        "SERVER_PROTOCOL": "HTTP/1.1",
        "CONTENT_LENGTH": headers.get("content-length", ""),
        "CONTENT_TYPE": headers.get("content-type", ""),
        "wsgi.version": (1, 0),
        "wsgi.url_scheme": "http",
        "wsgi.input": io.BytesIO(body),
        "wsgi.errors": sys.stderr,
        "wsgi.multithread": False,
        "wsgi.multiprocess": True,
        "wsgi.run_once": False,
    }
    for name, value in headers.items():
        environ["HTTP_" + name.upper().replace("-", "_")] = value
    return environ


def respond(app: WSGIApp, environ: dict[str, Any], out: socket.socket) -> bool:
    """Call the app and send its response; return whether the connection may stay open."""
    status_headers: list[Any] = []

    def start_response(status: str, headers: list[tuple[str, str]], exc_info: Any = None) -> Any:
        status_headers[:] = [status, headers]
        return out.sendall

    result: Iterable[bytes] = app(environ, start_response)
    try:
        body = b"".join(result)
    finally:
        close = getattr(result, "close", None)
        if close is not None:
            close()
    status, headers = status_headers
    names = {name.lower() for name, _ in headers}
    if "content-length" not in names:
        headers = [*headers, ("Content-Length", str(len(body)))]
    head = f"HTTP/1.1 {status}\r\n" + "".join(f"{n}: {v}\r\n" for n, v in headers) + "\r\n"
    out.sendall(head.encode("latin-1") + body)
    connection_field: str = environ.get("HTTP_CONNECTION", "")
    return connection_field.lower() != "close"


def serve_connection(app: WSGIApp, connection: socket.socket, port: int) -> None:
    """In the child: answer requests on one connection until the client is done."""
    reader = connection.makefile("rb")
    while True:
        head = read_head(reader)
        if head is None:
            return
        method, target, _, headers = head
        length = int(headers.get("content-length") or 0)
        body = reader.read(length) if length > 0 else b""
        if not respond(app, build_environ(method, target, headers, body, port), connection):
            return


def accept_forever(app: WSGIApp, listener: socket.socket, port: int) -> None:
    """Accept, fork, let the child serve; the parent closes its copy and goes on."""
    while True:
        try:
            connection, _ = listener.accept()
        except InterruptedError:
            continue
        except OSError as error:
            if error.errno == errno.EINTR:
                continue
            raise
        if os.fork() == 0:
            listener.close()
            signal.signal(signal.SIGCHLD, signal.SIG_DFL)
            try:
                serve_connection(app, connection, port)
            except OSError:
                pass
            finally:
                os._exit(0)
        connection.close()


def main(argv: list[str] | None = None) -> None:
    """Serve ``module:app`` on ``127.0.0.1:PORT``, one process per connection."""
    args = sys.argv[1:] if argv is None else argv
    if len(args) != 2 or not args[0].isdigit():
        raise SystemExit(
            "usage: python -m twisted_wsgi_lab.bench.references.fork_per_connection PORT module:app"
        )
    app = load_wsgi_app(args[1])
    signal.signal(signal.SIGCHLD, reap_children)
    signal.signal(signal.SIGTERM, lambda signum, frame: os._exit(0))
    listener = socket.create_server(("127.0.0.1", int(args[0])), backlog=1024)
    accept_forever(app, listener, int(args[0]))


if __name__ == "__main__":
    main()
