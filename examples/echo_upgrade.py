"""A toy protocol switch: ``Upgrade: echo`` turns an HTTP connection into an echo service.

This is how WebSocket attaches to the engine: a handler answers ``101 Switching
Protocols`` and hands the connection to another Twisted protocol. Run it and try::

    python examples/echo_upgrade.py 8081
    printf 'GET / HTTP/1.1\\r\\nHost: x\\r\\nUpgrade: echo\\r\\n%s' \\
        'Connection: upgrade\\r\\n\\r\\nhi\\n' | nc 127.0.0.1 8081
"""

from __future__ import annotations

import sys

from twisted.internet.protocol import Protocol
from zope.interface import implementer

from twisted_wsgi_lab import Exchange, HTTPFactory, IRequestHandler


class Echo(Protocol):
    """After the switch: every byte comes back, upper-cased so the echo is visible."""

    def dataReceived(self, data: bytes) -> None:
        self.transport.write(data.upper())  # type: ignore[union-attr]


@implementer(IRequestHandler)
class EchoUpgrade:
    """Switch to ``Echo`` when asked to; explain how otherwise."""

    def handle(self, exchange: Exchange) -> None:
        if exchange.head.upgrade and exchange.head.get(b"upgrade") == b"echo":
            exchange.switch_protocols([(b"Upgrade", b"echo")], Echo())
            return
        body = b"send Upgrade: echo and Connection: upgrade to switch\n"
        headers = [(b"Content-Type", b"text/plain"), (b"Content-Length", b"%d" % len(body))]
        exchange.start_response(200, b"OK", headers)
        exchange.write(body)
        exchange.finish()


def main(port: int) -> None:
    """Serve on 127.0.0.1 until Ctrl-C."""
    from twisted.internet import reactor

    reactor.listenTCP(port, HTTPFactory(EchoUpgrade()), interface="127.0.0.1")  # type: ignore[attr-defined]
    print(f"echo upgrade on http://127.0.0.1:{port}/")
    reactor.run()  # type: ignore[attr-defined]


if __name__ == "__main__":
    main(int(sys.argv[1]) if len(sys.argv) > 1 else 8081)
