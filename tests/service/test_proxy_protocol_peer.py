"""Behind a PROXY-protocol listener the client is the one the PROXY header names, even
when something asked for the connection's peer before that header was read."""

from __future__ import annotations

from twisted.internet.address import IPv4Address
from twisted.internet.task import Clock
from twisted.internet.testing import StringTransport

from twisted_wsgi_lab.engine import ConnectionObserver, HTTPFactory, HTTPProtocol
from twisted_wsgi_lab.service.proxy_protocol import LoggedProxyFactory
from twisted_wsgi_lab.testing import parse_responses
from twisted_wsgi_lab.wsgi import WSGIBridge


class PeerAtOpen(ConnectionObserver):
    """Reads the peer when the connection opens, as the lab's recorder and trace do."""

    def __init__(self) -> None:
        self.seen: list[object] = []

    def connection_opened(self, connection: HTTPProtocol) -> None:
        self.seen.append(connection.peer)


def remote_addr(environ, start_response):
    start_response("200 OK", [("Content-Type", "text/plain")])
    return [environ["REMOTE_ADDR"].encode()]


def test_remote_addr_is_the_client_the_proxy_header_names() -> None:
    observer = PeerAtOpen()
    factory = HTTPFactory(WSGIBridge(remote_addr), clock=Clock(), observers=[observer])
    transport = StringTransport(
        hostAddress=IPv4Address("TCP", "127.0.0.1", 8080),
        peerAddress=IPv4Address("TCP", "10.0.0.1", 5000),  # the load balancer
    )
    protocol = LoggedProxyFactory(factory).buildProtocol(transport.getPeer())
    protocol.makeConnection(transport)
    request = b"GET / HTTP/1.1\r\nHost: h\r\n\r\n"
    protocol.dataReceived(b"PROXY TCP4 203.0.113.7 127.0.0.1 40000 8080\r\n" + request)
    protocol.dataReceived(request)  # the next request on the connection too
    assert [r.body for r in parse_responses(transport.value())] == [b"203.0.113.7"] * 2
    assert len(observer.seen) == 1  # it did ask before the header was read
