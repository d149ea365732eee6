"""``LabMount``: the dashboard under ``/_lab`` in front of any application.

Requests for ``/_lab`` and below go to the dashboard; everything else goes to the
application unchanged. The dashboard shows every byte of every exchange (cookies and
credentials included), so unless ``allow_remote`` it answers only requests that are
local in three ways: the peer is a loopback address or a Unix socket; no proxy
forwarded the request (no ``Forwarded`` or ``X-Forwarded-For``: a proxy on the same
machine would otherwise make the whole Internet local); and the Host is a loopback
name, so a web page whose name was rebound to 127.0.0.1 (DNS rebinding) gets nothing.
Other requests for ``/_lab`` go to the application as if the dashboard did not exist.
"""

from __future__ import annotations

import ipaddress

from twisted.internet.address import IPv4Address, IPv6Address, UNIXAddress
from zope.interface import implementer

from ..engine import Exchange, IRequestHandler
from .dashboard import PREFIX

_LOCAL_NAMES = (b"localhost", b"[::1]")


def _loopback(host: str) -> bool:
    try:
        address = ipaddress.ip_address(host.split("%", 1)[0])
    except ValueError:
        return False
    mapped = getattr(address, "ipv4_mapped", None)
    return address.is_loopback or (mapped is not None and mapped.is_loopback)


def _local_host_name(authority: bytes) -> bool:
    if authority.startswith(b"["):
        name = authority[: authority.find(b"]") + 1]
    else:
        name = authority.partition(b":")[0]
    name = name.lower()
    return name in _LOCAL_NAMES or _loopback(name.decode("latin-1"))


def is_local(exchange: Exchange) -> bool:
    """The request comes from this machine, directly, for a loopback name."""
    address = exchange.client_address
    if isinstance(address, (IPv4Address, IPv6Address)):
        local_peer = _loopback(address.host)
    else:
        local_peer = isinstance(address, UNIXAddress)
    head = exchange.head
    forwarded = head.get(b"forwarded") is not None or head.get(b"x-forwarded-for") is not None
    return local_peer and not forwarded and _local_host_name(head.authority)


@implementer(IRequestHandler)
class LabMount:
    """``dashboard`` under ``/_lab`` (for local clients), ``app`` for the rest."""

    def __init__(
        self, dashboard: IRequestHandler, app: IRequestHandler, *, allow_remote: bool = False
    ) -> None:
        self.dashboard = dashboard
        self.app = app
        self.allow_remote = allow_remote
        self._prefix = PREFIX.encode("ascii")

    def handle(self, exchange: Exchange) -> None:
        """IRequestHandler: route one request."""
        path = exchange.head.path
        under = path == self._prefix or path.startswith(self._prefix + b"/")
        if under and (self.allow_remote or is_local(exchange)):
            self.dashboard.handle(exchange)
        else:
            self.app.handle(exchange)
