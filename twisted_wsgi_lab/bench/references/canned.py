"""The ceiling for any Twisted HTTP server: a Protocol that answers from a canned buffer.

Run it as ``python -m twisted_wsgi_lab.bench.references.canned PORT``; 127.0.0.1 only.

It parses nothing. Every request head ends with an empty line, so each ``b"\\r\\n\\r\\n"``
in the byte stream is one request, and the answer is one pre-built keep-alive response.
This is only correct for requests without bodies (wrk sends ``GET`` with none), but it is
what makes it a ceiling: whatever time labweb or twisted.web spend above this server's
is spent in parsing, dispatching, the WSGI bridge and framing, not in the reactor or the
socket. Pipelined requests that arrive in one read are answered with one write, in order.
"""

from __future__ import annotations

import sys

from twisted.internet.defer import Deferred
from twisted.internet.endpoints import TCP4ServerEndpoint
from twisted.internet.interfaces import IListeningPort, IReactorTCP
from twisted.internet.protocol import Factory, Protocol
from twisted.internet.task import react

BODY = b"Hello, world!\n"

# Same body and about the same header weight as the hello-world WSGI app behind the
# real servers, so the bytes on the wire are comparable. No Date header: a ceiling
# should not spend time on the clock.
RESPONSE = (
    b"HTTP/1.1 200 OK\r\n"
    b"Content-Type: text/plain; charset=utf-8\r\n"
    b"Content-Length: " + str(len(BODY)).encode("ascii") + b"\r\n"
    b"\r\n" + BODY
)

HEAD_END = b"\r\n\r\n"


class CannedHTTPProtocol(Protocol):
    """Answer one canned response per request head seen on the connection.

    Only the bytes after the last complete head are kept, and of those only the last
    three: enough to find a ``b"\\r\\n\\r\\n"`` split across two reads, and the memory
    stays bounded however long a head is.
    """

    def connectionMade(self) -> None:
        self._tail = b""

    def dataReceived(self, data: bytes) -> None:
        stream = self._tail + data
        count = stream.count(HEAD_END)
        if count:
            stream = stream[stream.rfind(HEAD_END) + len(HEAD_END) :]
            self.transport.write(RESPONSE * count)  # type: ignore[union-attr]
        self._tail = stream[-(len(HEAD_END) - 1) :]


def listen(reactor: IReactorTCP, port: int) -> Deferred[IListeningPort]:
    """Start listening on ``127.0.0.1:port``; never on another interface."""
    endpoint = TCP4ServerEndpoint(reactor, port, interface="127.0.0.1")
    listening: Deferred[IListeningPort] = endpoint.listen(Factory.forProtocol(CannedHTTPProtocol))
    return listening


def serve_forever(reactor: IReactorTCP, port: int) -> Deferred[None]:
    """Listen, then never fire: the process ends on SIGTERM/SIGINT, like twistd -n."""
    forever: Deferred[None] = Deferred()
    listening = listen(reactor, port)
    listening.addErrback(forever.errback)
    return forever


def main(argv: list[str] | None = None) -> None:
    """Parse ``PORT`` and run the reactor until a signal stops it."""
    args = sys.argv[1:] if argv is None else argv
    if len(args) != 1 or not args[0].isdigit():
        raise SystemExit("usage: python -m twisted_wsgi_lab.bench.references.canned PORT")
    react(serve_forever, [int(args[0])])


if __name__ == "__main__":
    main()
