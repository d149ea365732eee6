"""TLS listeners: telling them apart, their ALPN choice, and what their errors mean.

Nothing here imports pyOpenSSL at module level: labweb without the ``tls`` extra must
still start on plain TCP, and say which extra to install when asked for ``ssl:``.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from twisted.internet.endpoints import SSL4ServerEndpoint
from twisted.internet.error import VerifyError

PYOPENSSL_MISSING = 'TLS needs pyOpenSSL: pip install "twisted-wsgi-lab[tls]"'


def is_tls(endpoint: object) -> bool:
    """True for the endpoint of an ``ssl:`` description: its URL says https."""
    return isinstance(endpoint, SSL4ServerEndpoint)


def never_fail_alpn(endpoint: object, acceptable: Sequence[bytes]) -> None:
    """Choose by ALPN from ``acceptable``, or go on without ALPN when nothing matches.

    Twisted's own chooser answers a client that offers none of the factory's protocols
    (say, h2 alone) with an empty name, which OpenSSL turns into an internal_error
    alert. RFC 7301 section 3.2 asks for no_application_protocol there; labweb rather
    completes the handshake without ALPN, as pyOpenSSL's NO_OVERLAPPING_PROTOCOLS does,
    so ``curl --http1.0`` (which offers http/1.0 alone) is still served.

    The chooser is set on the endpoint's context before it makes any connection:
    pyOpenSSL refuses changes to a context once used. Twisted keeps that context
    factory in a private attribute; if it moves, Twisted's chooser stays in place.
    """
    creator: Any = getattr(endpoint, "_sslContextFactory", None)
    if not is_tls(endpoint) or not hasattr(creator, "getContext"):
        return
    from OpenSSL.SSL import NO_OVERLAPPING_PROTOCOLS, Connection

    def choose(connection: Connection, offered: list[bytes]) -> Any:
        return next((p for p in acceptable if p in offered), NO_OVERLAPPING_PROTOCOLS)

    creator.getContext().set_alpn_select_callback(choose)


def endpoint_problem(error: Exception) -> str | None:
    """One line for what went wrong building an endpoint, or None if it is not ours.

    Covers what ``ssl:`` raises while reading its files: pyOpenSSL absent, a file
    missing or unreadable, text that is not PEM, a key that is not the certificate's.
    """
    if isinstance(error, ImportError):
        return PYOPENSSL_MISSING if (error.name or "").startswith("OpenSSL") else None
    if isinstance(error, OSError) and error.filename is not None:
        return f"cannot read {error.filename!r}: {error.strerror or error}"
    if isinstance(error, VerifyError):
        return str(error)
    if isinstance(error, _openssl_errors()):
        return f"not a PEM certificate and private key (OpenSSL: {error})"
    return None


def _openssl_errors() -> tuple[type[Exception], ...]:
    """pyOpenSSL's error types, or none when it is not installed."""
    try:
        from OpenSSL import SSL, crypto
    except ImportError:
        return ()
    return (SSL.Error, crypto.Error)
