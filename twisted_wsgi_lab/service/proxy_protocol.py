"""``--listen haproxy:...``: the PROXY protocol (v1 and v2), with a log line on refusal.

Twisted's ``haproxy:`` endpoint reads the PROXY header a load balancer sends before
the first HTTP byte, and makes the transport's ``getPeer()`` return the client it
names; the engine reads the peer per request, so ``REMOTE_ADDR``, ``request.client``
and the access log all see that client. Twisted closes a connection whose header is
malformed without a word, so labweb wraps its factory to log why.

The wrapper also fills three gaps, each once per connection, never per request:

- it waits for enough bytes to recognise the header: Twisted decides from the first
  read alone, and refuses one shorter than 8 bytes (16 for v2), which a proxy sending
  the header in two segments would hit;
- it checks the addresses of a v1 line, where Twisted takes any word;
- it gives a v2 IPv6 client in the short form (``2001:db8::7``, not eight groups).
"""

from __future__ import annotations

import ipaddress
from typing import Any

from twisted.internet.address import IPv6Address
from twisted.internet.defer import Deferred
from twisted.internet.endpoints import serverFromString
from twisted.internet.interfaces import (
    IAddress,
    IListeningPort,
    IProtocolFactory,
    IStreamServerEndpoint,
)
from twisted.logger import Logger
from twisted.protocols.haproxy._wrapper import HAProxyProtocolWrapper, HAProxyWrappingFactory
from zope.interface import implementer

log = Logger()

PREFIX = "haproxy:"
_V1_SIGNATURE = b"PROXY "
_V2_SIGNATURE = b"\r\n\r\n\x00\r\nQUIT\n"
_SIGNATURE_BYTES = 16  # v2: 12 signature bytes, version and command, family, length
_V1_MAX = 107  # the longest v1 line, CR LF included (the PROXY protocol spec, 2.1)
_V1_FAMILIES = {b"TCP4": ipaddress.IPv4Address, b"TCP6": ipaddress.IPv6Address}


class LoggedProxyWrapper(HAProxyProtocolWrapper):
    """Twisted's PROXY wrapper, saying why it closes a connection before any HTTP.

    A v1 line is also checked before Twisted reads it: Twisted takes any word as an
    address there, and the word would become ``REMOTE_ADDR``.
    """

    _start = b""  # the first bytes, until a signature (and a v1 line) is complete
    _in_header = False  # inside Twisted's parsing of the header
    _peer: IAddress | None = None  # the client, once the header is read

    def dataReceived(self, data: bytes) -> None:
        if self._proxyInfo is not None:  # the usual case: the header is done
            self.wrappedProtocol.dataReceived(data)
            return
        if self._parser is None:
            data = self._start + data
            if _incomplete_start(data):
                self._start = data
                return
            self._start = b""
            if data.startswith(_V1_SIGNATURE) and not _valid_v1_line(data):
                self._refuse("malformed PROXY protocol header")
                return
        self._in_header = True
        try:
            super().dataReceived(data)
        finally:
            self._in_header = False

    def loseConnection(self) -> None:
        # Only Twisted's wrapper closes while the header is parsed: the HTTP protocol
        # gets bytes once the header is accepted (_proxyInfo set), never before.
        if self._in_header and self._proxyInfo is None and not self.disconnecting:
            if self._parser is None:
                self._log_refusal("no PROXY protocol header")
            else:
                self._log_refusal("malformed PROXY protocol header")
        super().loseConnection()

    def getPeer(self) -> IAddress:
        """The client the header names, its IPv6 address in the canonical short form."""
        peer = self._peer
        if peer is None:
            peer = super().getPeer()
            if self._proxyInfo is None:
                return peer  # no header yet: the proxy itself
            peer = self._peer = _canonical(peer)
        return peer

    def _refuse(self, why: str) -> None:
        self._log_refusal(why)
        super().loseConnection()

    def _log_refusal(self, why: str) -> None:
        log.info(
            "closing the connection from {peer}: {why}",
            peer=_describe(self.transport.getPeer()),  # type: ignore[union-attr]
            why=why,
        )


class LoggedProxyFactory(HAProxyWrappingFactory):
    """Twisted's PROXY factory, building ``LoggedProxyWrapper``s."""

    protocol = LoggedProxyWrapper  # type: ignore[assignment]  # (Self-typed __init__)


@implementer(IStreamServerEndpoint)
class ProxyProtocolEndpoint:
    """``inner``, with every connection read through ``LoggedProxyWrapper`` first."""

    def __init__(self, inner: IStreamServerEndpoint) -> None:
        self.inner = inner

    def listen(self, factory: IProtocolFactory) -> Deferred[IListeningPort]:
        return self.inner.listen(LoggedProxyFactory(factory))


def server_endpoint(reactor: Any, description: str) -> IStreamServerEndpoint:
    """The endpoint for one ``--listen`` description; ``haproxy:`` ones log refusals.

    Raises:
        ValueError: what ``serverFromString`` raises for a bad description.
    """
    if description[: len(PREFIX)].lower() == PREFIX:
        return ProxyProtocolEndpoint(serverFromString(reactor, description[len(PREFIX) :]))
    return serverFromString(reactor, description)  # type: ignore[no-any-return]


def inner_endpoint(endpoint: object) -> object:
    """The endpoint under a ``ProxyProtocolEndpoint`` (for TLS checks), else itself."""
    return endpoint.inner if isinstance(endpoint, ProxyProtocolEndpoint) else endpoint


def _incomplete_start(data: bytes) -> bool:
    """True while ``data`` could still become a PROXY header but is too short to tell.

    A v1 line is awaited whole (up to its 107-byte maximum), so that it can be checked.
    """
    if _V1_SIGNATURE.startswith(data[:6]):
        return len(data) < len(_V1_SIGNATURE) or (b"\n" not in data and len(data) <= _V1_MAX)
    return len(data) < _SIGNATURE_BYTES and _V2_SIGNATURE.startswith(data[:12])


def _valid_v1_line(data: bytes) -> bool:
    """Whether a v1 line's addresses are addresses of its family (ports: Twisted's)."""
    line = data.partition(b"\r\n")[0]
    words = line.split(b" ")
    if len(words) < 2 or words[1] == b"UNKNOWN":
        return True  # UNKNOWN: the proxy's own connection; Twisted keeps the real peer
    if len(words) != 6 or words[1] not in _V1_FAMILIES:
        return True  # Twisted refuses it, and the refusal is logged
    family = _V1_FAMILIES[words[1]]
    try:
        return all(
            type(ipaddress.ip_address(word.decode("ascii"))) is family for word in words[2:4]
        )
    except ValueError:  # UnicodeDecodeError included
        return False


def _canonical(address: IAddress) -> IAddress:
    if isinstance(address, IPv6Address):
        try:
            host = str(ipaddress.ip_address(address.host))
        except ValueError:
            return address
        return IPv6Address(address.type, host, address.port)
    return address


def _describe(address: object) -> str:
    host, port = getattr(address, "host", None), getattr(address, "port", None)
    return f"{host}:{port}" if host is not None else str(address)
