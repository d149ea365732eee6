"""Step 3: the parser of step 2 driven by a minimal Twisted ``Protocol``.

The reactor waits on every socket at once and calls ``dataReceived`` with whatever
arrived, so one thread serves many clients and a silent one blocks nobody. The parser
frames the requests, so keep-alive and pipelining work. docs/tutorial/step3.md says
what this protocol still lacks, and step 4 hands those jobs to labweb's engine.
"""

from __future__ import annotations

import argparse
import time

from twisted.internet import reactor
from twisted.internet.protocol import Factory, Protocol, connectionDone
from twisted.python.failure import Failure

from twisted_wsgi_lab.http11 import EndOfMessage, ProtocolError, RequestHead, RequestParser
from twisted_wsgi_lab.http11.dates import http_date
from twisted_wsgi_lab.http11.writer import ResponseWriter, error_response

SERVER = b"step3"


class TinyHTTP(Protocol):
    """One per connection: bytes to the parser, one response per complete request."""

    def connectionMade(self) -> None:
        self.parser = RequestParser()
        self.head: RequestHead | None = None
        self.peer = self.transport.getPeer()
        print(f"connection from {self.peer.host}:{self.peer.port}", flush=True)

    def dataReceived(self, data: bytes) -> None:
        try:
            for event in self.parser.feed(data):
                if isinstance(event, RequestHead):
                    self.head = event
                elif isinstance(event, EndOfMessage) and self.head is not None:
                    self.answer(self.head)  # the body (if any) is ignored here
        except ProtocolError as error:
            print(f"  refused: {error.status} {error}", flush=True)
            date = http_date(time.time())
            self.transport.write(error_response(error.status, str(error), server=SERVER, date=date))
            self.transport.loseConnection()

    def answer(self, head: RequestHead) -> None:
        print(f"  {head.method.decode()} {head.target.decode()}", flush=True)
        body = b"You asked for " + head.target + b"\n"
        writer = ResponseWriter(head, server=SERVER)
        fields = [(b"Content-Type", b"text/plain"), (b"Content-Length", b"%d" % len(body))]
        wire = writer.start(200, b"OK", fields, date=http_date(time.time()))
        self.transport.write(wire + writer.body(body) + writer.end())
        if not writer.keep_alive:
            self.transport.loseConnection()

    def connectionLost(self, reason: Failure = connectionDone) -> None:
        print(f"closed {self.peer.host}:{self.peer.port}", flush=True)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--port", type=int, default=8000, help="0 picks a free port")
    factory = Factory.forProtocol(TinyHTTP)
    port = reactor.listenTCP(parser.parse_args().port, factory, interface="127.0.0.1")
    print(f"listening on http://127.0.0.1:{port.getHost().port}/", flush=True)
    reactor.run()  # Ctrl-C stops it


if __name__ == "__main__":
    main()
