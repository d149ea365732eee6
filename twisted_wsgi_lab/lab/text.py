"""How the lab shows bytes and addresses as text.

Raw bytes become a string a reader can trust and a program can turn back into the
same bytes: printable ASCII as it is, ``\\r``, ``\\n``, ``\\t`` and ``\\\\`` as Python
writes them, anything else as ``\\xNN``. ``codecs.escape_decode(text.encode())[0]``
gives the bytes back, so a smuggling attempt or a stray NUL is visible and exact.
"""

from __future__ import annotations

import re

from twisted.internet.address import IPv4Address, IPv6Address, UNIXAddress
from twisted.internet.interfaces import IAddress

_ESCAPED = re.compile(rb"[^\x20-\x5b\x5d-\x7e]")
_NAMED = {0x0D: b"\\r", 0x0A: b"\\n", 0x09: b"\\t", 0x5C: b"\\\\"}


def escape_bytes(data: bytes) -> str:
    """``data`` as reversible text (see the module's rule)."""

    def one(match: re.Match[bytes]) -> bytes:
        byte = match.group()[0]
        return _NAMED.get(byte) or b"\\x%02x" % byte

    return _ESCAPED.sub(one, data).decode("ascii")


def address_text(address: IAddress) -> str:
    """``host:port``, ``[v6]:port``, or the socket path; what logs and the lab show.

    Never raises (observers must not): a socket path that is not UTF-8 is escaped.
    """
    if isinstance(address, IPv6Address):
        return f"[{address.host}]:{address.port}"
    if isinstance(address, IPv4Address):
        return f"{address.host}:{address.port}"
    if isinstance(address, UNIXAddress):
        name = address.name
        return "unix:" + (
            name.decode("utf-8", "backslashreplace") if isinstance(name, bytes) else str(name or "")
        )
    return str(address)
