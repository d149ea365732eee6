"""Step 4: labweb's engine (``HTTPFactory``) serving a tiny ``IRequestHandler``.

The handler sees one ``Exchange`` per request and answers when it likes, here later
for ``/slow``. The engine does the rest that step 3 left out: responses to pipelined
requests leave in request order, idle connections time out, broken requests get
their 4xx, a slow reader pauses the response (docs/tutorial/step4.md).
"""

from __future__ import annotations

import argparse

from twisted.internet import reactor
from zope.interface import implementer

from twisted_wsgi_lab import (
    ConnectionObserver,
    Exchange,
    HTTPFactory,
    HTTPProtocol,
    IRequestHandler,
    Limits,
)
from twisted_wsgi_lab.engine import TimerKind

SLOW_SECONDS = 0.5


@implementer(IRequestHandler)
class SlowOrFast:
    """Answers ``/slow`` after half a second and anything else at once."""

    def handle(self, exchange: Exchange) -> None:
        target = exchange.head.target.decode()
        print(f"  handler starts {target}", flush=True)
        delay = SLOW_SECONDS if target == "/slow" else 0
        reactor.callLater(delay, self.answer, exchange, target)

    def answer(self, exchange: Exchange, target: str) -> None:
        print(f"  handler answers {target}", flush=True)
        body = f"You asked for {target}\n".encode()
        fields = [(b"Content-Type", b"text/plain"), (b"Content-Length", b"%d" % len(body))]
        exchange.start_response(200, b"OK", fields)
        exchange.write(body)
        exchange.finish()  # the engine starts the next pipelined request from here


class ConnectionLog(ConnectionObserver):
    """Prints when a connection opens, times out and closes (the lab's seam)."""

    def connection_opened(self, connection: HTTPProtocol) -> None:
        print(f"connection from {connection.peer.host}:{connection.peer.port}", flush=True)

    def timed_out(self, connection: HTTPProtocol, kind: TimerKind) -> None:
        print(f"  timed out waiting ({kind.name.lower()})", flush=True)

    def connection_closed(self, connection: HTTPProtocol, reason: object) -> None:
        print(f"closed {connection.peer.host}:{connection.peer.port}", flush=True)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--port", type=int, default=8000, help="0 picks a free port")
    parser.add_argument("--keepalive-timeout", type=float, default=15.0, metavar="SECONDS")
    options = parser.parse_args()
    limits = Limits(keepalive_timeout_seconds=options.keepalive_timeout)
    factory = HTTPFactory(SlowOrFast(), limits=limits)
    factory.add_observer(ConnectionLog())
    port = reactor.listenTCP(options.port, factory, interface="127.0.0.1")
    print(f"listening on http://127.0.0.1:{port.getHost().port}/", flush=True)
    reactor.run()  # Ctrl-C stops it


if __name__ == "__main__":
    main()
