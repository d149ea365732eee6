"""The HTTP side of a WebSocket: checking the opening handshake, and the 101's fields.

RFC 6455 section 4.2 asks for a GET over HTTP/1.1 that names ``websocket`` in
``Upgrade`` and ``upgrade`` in ``Connection``, a ``Sec-WebSocket-Key`` that is the
base64 of 16 bytes, and ``Sec-WebSocket-Version: 13``. Only the frames that follow
are left to wsproto: the handshake is plain HTTP, so it goes through the engine (the
parser has already validated the head; the writer makes the 101) like any response.

A request that does not ask for a WebSocket at all gets ``426`` with ``Upgrade:
websocket`` (a browser that opened the URL by hand learns what it is); a version we do
not speak gets ``426`` with ``Sec-WebSocket-Version: 13`` (section 4.4); anything else
malformed gets ``400``.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
from dataclasses import dataclass

from ..http11 import RequestHead
from .errors import HTTPError

# RFC 6455 section 1.3: appended to the key before hashing, so that only a server that
# understood the handshake can produce the answer.
ACCEPT_GUID = b"258EAFA5-E914-47DA-95CA-C5AB0DC85B11"
VERSION = b"13"


@dataclass(frozen=True, slots=True)
class Handshake:
    """A valid opening handshake: the client's key and the subprotocols it offers."""

    key: bytes
    subprotocols: tuple[str, ...]  # in the client's order of preference


def _tokens(value: bytes | None) -> list[bytes]:
    """The comma-separated tokens of a field, lower-cased (``Connection: keep-alive, Upgrade``)."""
    if value is None:
        return []
    return [token.strip().lower() for token in value.split(b",") if token.strip()]


def _fields(head: RequestHead, name: bytes) -> list[bytes]:
    return [value for key, value in head.headers if key == name]


def read_handshake(head: RequestHead) -> Handshake:
    """Check that ``head`` opens a WebSocket (RFC 6455 section 4.2.1).

    Raises:
        HTTPError: 426 if the request does not ask for a WebSocket, or asks for a
            version other than 13; 400 if the handshake is malformed.
    """
    if b"websocket" not in _tokens(head.get(b"upgrade")):
        raise HTTPError(426, "this URL speaks WebSocket only", headers={"Upgrade": "websocket"})
    if head.version < (1, 1):
        raise HTTPError(400, "a WebSocket handshake needs HTTP/1.1")
    if not head.upgrade or b"upgrade" not in _tokens(head.get(b"connection")):
        raise HTTPError(400, "a WebSocket handshake names upgrade in Connection")
    if head.method != b"GET" or head.has_body:
        raise HTTPError(400, "a WebSocket handshake is a GET without a body")
    if _fields(head, b"sec-websocket-version") != [VERSION]:
        raise HTTPError(
            426,
            "only WebSocket version 13 is spoken here",
            headers={"Sec-WebSocket-Version": VERSION.decode()},
        )
    keys = _fields(head, b"sec-websocket-key")
    if len(keys) != 1 or not _valid_key(keys[0]):
        raise HTTPError(400, "Sec-WebSocket-Key must be the base64 of 16 bytes, given once")
    offered = _tokens_as_text(_fields(head, b"sec-websocket-protocol"))
    return Handshake(key=keys[0], subprotocols=offered)


def _valid_key(key: bytes) -> bool:
    try:
        return len(base64.b64decode(key, validate=True)) == 16
    except binascii.Error:
        return False


def _tokens_as_text(values: list[bytes]) -> tuple[str, ...]:
    """Subprotocol names keep their case: RFC 6455 compares them exactly."""
    names = [part.strip() for value in values for part in value.split(b",")]
    return tuple(name.decode("latin-1") for name in names if name)


def accept_token(key: bytes) -> str:
    """``Sec-WebSocket-Accept`` for ``key``: base64 of SHA-1 of the key and the GUID."""
    digest = hashlib.sha1(key + ACCEPT_GUID).digest()
    return base64.b64encode(digest).decode("ascii")


def accept_fields(handshake: Handshake, subprotocol: str | None) -> dict[str, str]:
    """The fields of the 101 that accepts ``handshake`` (``Connection`` is the writer's)."""
    fields = {"Upgrade": "websocket", "Sec-WebSocket-Accept": accept_token(handshake.key)}
    if subprotocol is not None:
        fields["Sec-WebSocket-Protocol"] = subprotocol
    return fields
