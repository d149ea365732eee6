"""``--proxy-headers``: believe what a trusted reverse proxy says about the client.

Behind nginx, HAProxy or a load balancer, the peer of every connection is the proxy.
The proxy reports the real client, the scheme and the Host in header fields: the
``X-Forwarded-For``/``-Proto``/``-Host``/``-Port`` family, or RFC 7239's
``Forwarded``. Anyone can send those fields, so they are read only when the peer of
the connection is a trusted proxy (``--trusted-proxies``, loopback by default), and
then only through ``Exchange.set_origin``: the request head is never changed, so the
application still sees the fields themselves.

The rules, in the order they apply:

- The peer is not trusted: nothing changes.
- Which family: ``auto`` (the default) reads the X-Forwarded-* fields when any of them
  is present, else ``Forwarded``. Never both: nginx, Caddy, Envoy and most load
  balancers set X-Forwarded-For and pass a client's ``Forwarded`` on untouched, so
  preferring ``Forwarded`` would let any client choose its address there.
  ``--proxy-header-kind forwarded`` (or ``x-forwarded``) reads one family only.
- The client: the address list is walked from the right, skipping trusted proxies;
  the first untrusted address is the client. If every address is trusted, the
  left-most one is. An ``unknown`` or obfuscated (``_hidden``) identifier ends the
  walk without a client: the address stays the peer's.
- Scheme and Host: with ``Forwarded``, from the element the walk stopped at (written
  by the outermost trusted proxy, about the request it received); with X-Forwarded-*,
  the right-most value, which the nearest proxy set. ``X-Forwarded-Port`` replaces
  the port of the Host.
- A malformed field is ignored as a whole (logged at debug level); the request is
  answered as usual.
"""

from __future__ import annotations

import ipaddress
import re
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from typing import TypeVar

from twisted.internet.address import IPv4Address, IPv6Address, UNIXAddress
from twisted.internet.interfaces import IAddress
from twisted.logger import Logger
from zope.interface import implementer

from ..engine import Exchange, IRequestHandler
from ..http11.errors import LabWebError
from ..http11.grammar import HOST

log = Logger()

Network = ipaddress.IPv4Network | ipaddress.IPv6Network
IPAddress = ipaddress.IPv4Address | ipaddress.IPv6Address

DEFAULT_TRUSTED = "127.0.0.0/8,::1"
HEADER_KINDS = ("auto", "x-forwarded", "forwarded")
_X_FORWARDED = (b"x-forwarded-for", b"x-forwarded-proto", b"x-forwarded-host", b"x-forwarded-port")
_SCHEMES = ("http", "https")
_T = TypeVar("_T")
_DEFAULT_PORTS = {"http": b"80", "https": b"443"}


class ProxyHeaderError(LabWebError, ValueError):
    """A forwarding header field is malformed; the whole field is ignored."""


# -- the pieces ------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Node:
    """A forwarded-for node: an IP address and port, or None for unknown/obfuscated."""

    address: IPAddress | None
    port: int | None = None


@dataclass(frozen=True, slots=True)
class ForwardedElement:
    """One element of ``Forwarded`` (one proxy's report); absent parameters are None."""

    for_node: Node | None = None
    proto: str | None = None
    host: bytes | None = None


@dataclass(frozen=True, slots=True)
class Origin:
    """What the proxies say about the client's request; None where they say nothing."""

    client: Node | None = None
    scheme: str | None = None
    authority: bytes | None = None
    port: int | None = None  # X-Forwarded-Port: replaces the port of the Host


def parse_networks(text: str) -> tuple[Network, ...]:
    """Networks from ``"10.0.0.0/8, ::1"``; a bare address is a network of one.

    Raises:
        ValueError: an entry is not an address or CIDR network (the message names it).
    """
    networks: list[Network] = []
    for entry in text.split(","):
        entry = entry.strip()
        if not entry:
            continue
        try:
            networks.append(ipaddress.ip_network(entry, strict=False))
        except ValueError:
            raise ValueError(f"{entry!r} is not an IP address or CIDR network") from None
    if not networks:
        raise ValueError("no network given")
    return tuple(networks)


def is_trusted(address: IPAddress, networks: Sequence[Network]) -> bool:
    """True when ``address`` (an IPv4-mapped IPv6 address counts as IPv4) is in one."""
    if isinstance(address, ipaddress.IPv6Address) and address.ipv4_mapped is not None:
        address = address.ipv4_mapped
    return any(address in network for network in networks)


_TCHAR = rb"[!#$%&'*+.^_`|~0-9A-Za-z-]"
_TOKEN = re.compile(_TCHAR + rb"+")
_PAIR = re.compile(
    rb"[ \t]*(" + _TCHAR + rb"+)=(?:(" + _TCHAR + rb"+)|\"((?:[^\"\\]|\\.)*)\")[ \t]*"
)
_OBFUSCATED = re.compile(r"_[A-Za-z0-9._-]+")
_PORT = re.compile(r"[0-9]{1,5}")


def parse_node(text: str) -> Node:
    """A node of ``Forwarded: for=`` or an ``X-Forwarded-For`` entry.

    ``192.0.2.7``, ``192.0.2.7:4711``, ``[2001:db8::7]``, ``[2001:db8::7]:4711``, a bare
    IPv6 address (X-Forwarded-For writes them so), ``unknown`` and ``_obfuscated``
    identifiers (RFC 7239 section 6); an obfuscated port counts as no port.

    Raises:
        ProxyHeaderError: anything else.
    """
    if text.lower() == "unknown" or _OBFUSCATED.fullmatch(text):
        return Node(None)
    host, port = text, None
    if text.startswith("["):
        host, bracket, rest = text[1:].partition("]")
        if not bracket or (rest and not rest.startswith(":")):
            raise ProxyHeaderError(f"bad node {text!r}")
        port = rest[1:] if rest else None
        if ":" not in host:
            raise ProxyHeaderError(f"bad node {text!r}: brackets hold an IPv6 address")
    elif text.count(":") == 1:
        host, _, port = text.partition(":")
    try:
        address = ipaddress.ip_address(host)
    except ValueError:
        raise ProxyHeaderError(f"bad node {text!r}: not an IP address") from None
    return Node(address, _node_port(port, text))


def _node_port(port: str | None, text: str) -> int | None:
    if port is None or _OBFUSCATED.fullmatch(port):
        return None
    if _PORT.fullmatch(port) is None or int(port) > 65535:
        raise ProxyHeaderError(f"bad node {text!r}: bad port")
    return int(port)


def parse_forwarded(value: bytes) -> list[ForwardedElement]:
    """The elements of a ``Forwarded`` value (RFC 7239 section 4), in order.

    Parameters are ``token=token`` or ``token="quoted string"``, separated by ``;``;
    elements by ``,``. A comma or semicolon inside quotes belongs to the value, so the
    value is scanned, never split. Parameters other than for, proto and host are
    skipped; one given twice in an element is refused.

    Raises:
        ProxyHeaderError: the value does not follow the grammar, or a for/proto/host
            value is not valid.
    """
    elements: list[ForwardedElement] = []
    position, end = 0, len(value)
    while True:
        while position < end and value[position] in b" \t,":  # empty list elements
            position += 1
        if position >= end:
            return elements
        params, position = _element_params(value, position)
        elements.append(_element(params))


def _element_params(value: bytes, position: int) -> tuple[dict[str, str], int]:
    """The pairs of the element starting at ``position``; where its ``,`` (or the end) is."""
    params: dict[str, str] = {}
    while True:
        if value[position : position + 1] not in (b";", b",", b""):  # [ pair ]: may be empty
            match = _PAIR.match(value, position)
            if match is None:
                raise ProxyHeaderError(f"bad Forwarded value {value!r}")
            name = match.group(1).decode("ascii").lower()
            raw = match.group(2) if match.group(2) is not None else _unquote(match.group(3))
            if name in params:
                raise ProxyHeaderError(f"Forwarded: {name}= twice in one element")
            params[name] = raw.decode("latin-1")
            position = match.end()
        separator = value[position : position + 1]
        if separator != b";":
            if separator not in (b",", b""):
                raise ProxyHeaderError(f"bad Forwarded value {value!r}")
            return params, position
        position += 1


def _unquote(quoted: bytes) -> bytes:
    return re.sub(rb"\\(.)", rb"\1", quoted)


def _element(params: dict[str, str]) -> ForwardedElement:
    for_text, proto, host = params.get("for"), params.get("proto"), params.get("host")
    return ForwardedElement(
        for_node=parse_node(for_text) if for_text is not None else None,
        proto=parse_scheme(proto) if proto is not None else None,
        host=parse_authority(host) if host is not None else None,
    )


def parse_scheme(text: str) -> str:
    """``http`` or ``https`` (any case).

    Raises:
        ProxyHeaderError: another scheme.
    """
    scheme = text.strip().lower()
    if scheme not in _SCHEMES:
        raise ProxyHeaderError(f"scheme {text!r}: expected http or https")
    return scheme


def parse_authority(text: str) -> bytes:
    """A Host value: ``example.com``, ``example.com:8443``, ``[2001:db8::1]:8443``.

    Raises:
        ProxyHeaderError: not a valid Host (RFC 9110 section 7.2).
    """
    authority = text.strip().encode("latin-1")
    if not authority or HOST.fullmatch(authority) is None:
        raise ProxyHeaderError(f"bad host {text!r}")
    return authority


def parse_x_forwarded_for(value: bytes) -> list[Node]:
    """The nodes of an ``X-Forwarded-For`` value, left (client) to right (nearest).

    Raises:
        ProxyHeaderError: an entry is not a node (see ``parse_node``), or is empty.
    """
    return [parse_node(entry.strip()) for entry in value.decode("latin-1").split(",")]


# -- deciding ------------------------------------------------------------------------


def origin_from_headers(
    headers: Iterable[tuple[bytes, bytes]],
    networks: Sequence[Network],
    *,
    kind: str = "auto",
) -> Origin | None:
    """What a trusted peer's forwarding fields say, or None when they say nothing.

    ``headers`` are the request's (names lower-cased); a field repeated on several
    lines is one comma-separated list, as RFC 9110 section 5.3 says. The caller has
    already checked that the peer is trusted. Malformed fields are logged at debug
    level and count as absent.
    """
    fields: dict[bytes, list[bytes]] = {}
    for name, value in headers:
        if name in _WANTED:
            fields.setdefault(name, []).append(value)
    if not fields:
        return None
    x_forwarded = any(name in fields for name in _X_FORWARDED)
    if kind == "forwarded" or (kind == "auto" and not x_forwarded):
        joined = fields.get(b"forwarded")
        return _from_forwarded(b", ".join(joined), networks) if joined else None
    return _from_x_forwarded(fields, networks) if x_forwarded else None


_WANTED = frozenset((b"forwarded", *_X_FORWARDED))


def _from_forwarded(value: bytes, networks: Sequence[Network]) -> Origin | None:
    try:
        elements = parse_forwarded(value)
    except ProxyHeaderError as error:
        _ignored("Forwarded", error)
        return None
    if not elements:
        return None
    chosen = elements[0]  # every hop trusted: the left-most element
    for element in reversed(elements):
        node = element.for_node
        if node is None or node.address is None or not is_trusted(node.address, networks):
            chosen = element
            break
    return Origin(chosen.for_node, chosen.proto, chosen.host)


def _from_x_forwarded(fields: dict[bytes, list[bytes]], networks: Sequence[Network]) -> Origin:
    values = fields.get
    client = _ignoring(lambda found: _walk_for(found, networks), values(b"x-forwarded-for"))
    scheme = _ignoring(lambda found: parse_scheme(_rightmost(found)), values(b"x-forwarded-proto"))
    host = _ignoring(lambda found: parse_authority(_rightmost(found)), values(b"x-forwarded-host"))
    port = _ignoring(lambda found: parse_port(_rightmost(found)), values(b"x-forwarded-port"))
    return Origin(client, scheme, host, port)


def _walk_for(values: list[bytes], networks: Sequence[Network]) -> Node:
    nodes = parse_x_forwarded_for(b",".join(values))
    for node in reversed(nodes):
        if node.address is None or not is_trusted(node.address, networks):
            return node
    return nodes[0]


def _rightmost(values: list[bytes]) -> str:
    """The last entry of a list field: the one the nearest proxy wrote."""
    return values[-1].decode("latin-1").rpartition(",")[2].strip()


def parse_port(text: str) -> int:
    """A port number, 1 to 65535.

    Raises:
        ProxyHeaderError: anything else.
    """
    if _PORT.fullmatch(text) is None or not 0 < int(text) <= 65535:
        raise ProxyHeaderError(f"bad port {text!r}")
    return int(text)


def _ignoring(parse: Callable[[list[bytes]], _T], values: list[bytes] | None) -> _T | None:
    """``parse(values)``; None when the field is absent or malformed (logged)."""
    if values is None:
        return None
    try:
        return parse(values)
    except ProxyHeaderError as error:
        _ignored("an X-Forwarded-* field", error)
        return None


def _ignored(field: str, error: ProxyHeaderError) -> None:
    log.debug("--proxy-headers: ignoring {field}: {error}", field=field, error=str(error))


def with_port(authority: bytes, port: int, scheme: str) -> bytes:
    """``authority`` with its port replaced by ``port`` (left out if the scheme's default).

    An empty authority (an HTTP/1.0 request without Host) stays empty: there is no
    name to put the port on.
    """
    if not authority:
        return authority
    host = authority
    if b":" in authority.rpartition(b"]")[2]:
        host = authority[: authority.rindex(b":")]
    port_text = str(port).encode("ascii")
    return host if _DEFAULT_PORTS[scheme] == port_text else host + b":" + port_text


# -- the handler ---------------------------------------------------------------------


def _address(node: Node) -> IAddress | None:
    address = node.address
    if address is None:
        return None
    if isinstance(address, ipaddress.IPv6Address):
        if address.ipv4_mapped is None:
            return IPv6Address("TCP", str(address), node.port or 0)
        address = address.ipv4_mapped
    return IPv4Address("TCP", str(address), node.port or 0)


@implementer(IRequestHandler)
class ProxyHeadersHandler:
    """Sets each exchange's origin from a trusted peer's fields, then calls ``inner``.

    A peer on a UNIX socket is trusted: only a process on this machine can reach it,
    which is why a proxy is put there.
    """

    def __init__(
        self,
        inner: IRequestHandler,
        networks: Sequence[Network] = (),
        *,
        kind: str = "auto",
    ) -> None:
        if kind not in HEADER_KINDS:
            raise ValueError(f"proxy header kind {kind!r}: choose {', '.join(HEADER_KINDS)}")
        self.inner = inner
        self.networks = tuple(networks) or parse_networks(DEFAULT_TRUSTED)
        self.kind = kind

    def __repr__(self) -> str:
        return f"ProxyHeadersHandler({self.inner!r})"

    def handle(self, exchange: Exchange) -> None:
        if self.trusts(exchange.peer_address):
            origin = origin_from_headers(exchange.head.headers, self.networks, kind=self.kind)
            if origin is not None:
                apply_origin(exchange, origin)
        self.inner.handle(exchange)

    def trusts(self, peer: IAddress) -> bool:
        """True for a peer in the trusted networks, or on a UNIX socket."""
        if isinstance(peer, IPv4Address | IPv6Address):
            try:
                address = ipaddress.ip_address(peer.host.partition("%")[0])
            except ValueError:
                return False
            return is_trusted(address, self.networks)
        return isinstance(peer, UNIXAddress)


def apply_origin(exchange: Exchange, origin: Origin) -> None:
    """Hand ``origin`` to ``exchange.set_origin``, the port joined to the Host."""
    authority = origin.authority
    if origin.port is not None:
        scheme = origin.scheme or exchange.scheme
        authority = with_port(authority or exchange.head.authority, origin.port, scheme)
    client = _address(origin.client) if origin.client is not None else None
    if client is None and origin.scheme is None and authority is None:
        return
    exchange.set_origin(client=client, scheme=origin.scheme, authority=authority)
