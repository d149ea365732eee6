"""Handing a connection to another protocol after ``101 Switching Protocols``.

The ``HTTPProtocol`` stays the transport's protocol (TLS and other wrappers keep
talking to it) and forwards to the new one by replacing its own methods on the
instance: an HTTP connection that never switches pays nothing for the possibility.
"""

from __future__ import annotations

from typing import Any

from twisted.internet.interfaces import IHalfCloseableProtocol, IProtocol


def forward_to(http_protocol: Any, protocol: IProtocol, transport: Any) -> None:
    """From now on, what the transport tells ``http_protocol`` goes to ``protocol``."""
    half_closeable = IHalfCloseableProtocol(protocol, None)
    forwards = {
        "dataReceived": protocol.dataReceived,
        "connectionLost": protocol.connectionLost,
        "readConnectionLost": (
            half_closeable.readConnectionLost if half_closeable else transport.loseConnection
        ),
        "writeConnectionLost": (half_closeable.writeConnectionLost if half_closeable else _ignore),
    }
    for name, method in forwards.items():
        setattr(http_protocol, name, method)


def _ignore() -> None:
    """For a new protocol that does not take half-closes."""
