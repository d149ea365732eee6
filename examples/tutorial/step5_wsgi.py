"""Step 5: a plain WSGI application on labweb's WSGI bridge.

``WSGIBridge`` is one more ``IRequestHandler``: it builds the PEP 3333 ``environ``
from the exchange, gives the app ``start_response`` and sends what it returns. Any
WSGI app (Flask, Django, Pyramid, this function) is served the same way; so is this
one by ``labweb examples.tutorial.step5_wsgi:app`` (docs/tutorial/step5.md).
"""

from __future__ import annotations

import argparse
from collections.abc import Callable, Iterable
from typing import Any

from twisted.internet import reactor

from twisted_wsgi_lab import HTTPFactory, WSGIBridge


def app(environ: dict[str, Any], start_response: Callable[..., Any]) -> Iterable[bytes]:
    """Say what the server told the app about the request, body included."""
    size = int(environ.get("CONTENT_LENGTH") or 0)
    body = environ["wsgi.input"].read(size)
    print(f"  app called for {environ['REQUEST_METHOD']} {environ['PATH_INFO']}", flush=True)
    shown = ["REQUEST_METHOD", "PATH_INFO", "QUERY_STRING", "CONTENT_TYPE", "SERVER_PROTOCOL"]
    lines = [f"{name}: {environ.get(name, '')!r}" for name in shown]
    lines.append(f"wsgi.input: {body!r}")
    start_response("200 OK", [("Content-Type", "text/plain; charset=utf-8")])
    return [line.encode() + b"\n" for line in lines]  # a list: labweb adds Content-Length


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--port", type=int, default=8000, help="0 picks a free port")
    factory = HTTPFactory(WSGIBridge(app))  # reactor mode: no thread pool
    port = reactor.listenTCP(parser.parse_args().port, factory, interface="127.0.0.1")
    print(f"listening on http://127.0.0.1:{port.getHost().port}/", flush=True)
    reactor.run()  # Ctrl-C stops it


if __name__ == "__main__":
    main()
