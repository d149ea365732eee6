"""What ``--listen`` accepts: short forms as gunicorn takes them, and Twisted endpoints.

``endpoint_for`` turns what the user typed into a Twisted endpoint string:

============================  ====================================================
``--listen``                  Twisted endpoint
============================  ====================================================
``8000``, ``:8000``           ``tcp:8000`` (every IPv4 interface, as ``tcp:8000``)
``127.0.0.1:8000``            ``tcp:8000:interface=127.0.0.1``
``localhost:8000``            ``tcp:8000:interface=127.0.0.1``
``[::1]:8000``                ``tcp6:8000:interface=\\:\\:1``
``[::]:8000``                 ``tcp6:8000`` (every IPv6 interface)
``unix:/run/app.sock``        unchanged, as is every Twisted endpoint (``tcp:``,
                              ``tcp6:``, ``unix:``, ``ssl:``, ``systemd:``,
                              ``haproxy:``...)
============================  ====================================================

``build_endpoint`` then builds it, and turns whatever Twisted raises into one line that
names no internals and ends with an example that works. ``bind_problem`` does the same
for a failure to listen.
"""

from __future__ import annotations

import ipaddress
import os
import re
from typing import Any

from twisted.internet.error import CannotListenError

from ..http11.errors import LabWebError
from .tls import endpoint_problem

FORMS = (
    "give a port (8000), an address and port (127.0.0.1:8000 or [::1]:8000), "
    "unix:/path/to.sock, or a Twisted endpoint such as tcp:8000:interface=127.0.0.1"
)
_PORT = re.compile(r":?([0-9]+)")
_HOST_PORT = re.compile(r"([0-9.]+|localhost):([^:]*)", re.IGNORECASE)
_BRACKETED = re.compile(r"\[([^\]]*)\](?::(.*))?")
_TCP_PORT = re.compile(r"(tcp|tcp6|ssl):(?:port=)?([^:]*)")
_UNKNOWN_TYPE = re.compile(r"Unknown endpoint type: '([^']*)'")
_NOT_A_NUMBER = re.compile(r"invalid literal for int\(\) with base [0-9]+: '([^']*)'")
_UNEXPECTED = re.compile(r"unexpected keyword argument '([^']*)'")
_MISSING = re.compile(r"missing [0-9]+ required positional argument: '([^']*)'")
_LAST_PORT = 65535


class ListenError(LabWebError):
    """A ``--listen`` value that cannot be used; the message says why and shows one that can."""


def endpoint_for(text: str) -> str:
    """The Twisted endpoint string for one ``--listen`` value.

    A bare port listens on every IPv4 interface, as ``tcp:8000`` and the default
    ``tcp:8080`` do. Anything with a type prefix (``tcp:``, ``unix:``, ``ssl:``...) is a
    Twisted endpoint and is returned as it is, but for a ``unix:`` socket whose
    directory is missing (Twisted would report its lock file instead).

    Raises:
        ListenError: an address without a port, an IPv6 address without brackets, a
            port out of range, or a unix socket in a directory that does not exist.
    """
    value = text.strip()
    if not value:
        raise ListenError(f"empty; {FORMS}")
    if match := _PORT.fullmatch(value):
        return f"tcp:{_port(match.group(1), example='8000')}"
    if match := _BRACKETED.fullmatch(value):
        return _ipv6(match.group(1), match.group(2))
    if match := _HOST_PORT.fullmatch(value):
        return _ipv4(match.group(1), match.group(2))
    if value.count(":") > 1 and (_is_ip(value) or _is_ip(value.rsplit(":", 1)[0])):
        raise ListenError("put an IPv6 address in brackets, the port after them: [::1]:8000")
    if _is_ip(value):
        raise ListenError(f"no port: give one after the address, e.g. {value}:8000")
    if value.startswith("unix:"):
        _check_unix(value)
    return value


def _port(text: str, *, example: str) -> int:
    if not text.isdigit() or int(text) > _LAST_PORT:
        raise ListenError(f"{text!r} is not a port (0 to {_LAST_PORT}), e.g. {example}")
    return int(text)


def _ipv4(host: str, port_text: str) -> str:
    interface = "127.0.0.1" if host.lower() == "localhost" else host
    try:
        ipaddress.IPv4Address(interface)
    except ValueError:
        raise ListenError(f"{host!r} is not an IPv4 address, e.g. 127.0.0.1:8000") from None
    port = _port(port_text, example=f"{host}:8000")
    return f"tcp:{port}:interface={interface}"


def _ipv6(host: str, port_text: str | None) -> str:
    try:
        address = ipaddress.IPv6Address(host)
    except ValueError:
        raise ListenError(f"{host!r} is not an IPv6 address, e.g. [::1]:8000") from None
    if port_text is None:
        raise ListenError(f"no port: give one after the brackets, e.g. [{host}]:8000")
    port = _port(port_text, example=f"[{host}]:8000")
    if address.is_unspecified:
        return f"tcp6:{port}"
    return f"tcp6:{port}:interface={host.replace(':', chr(92) + ':')}"


def _is_ip(text: str) -> bool:
    try:
        ipaddress.ip_address(text)
    except ValueError:
        return False
    return True


def _check_unix(value: str) -> None:
    path = value[len("unix:") :].split(":", 1)[0].removeprefix("address=")
    if not path:
        raise ListenError("no socket path, e.g. unix:/run/labweb.sock")
    directory = os.path.dirname(path) or "."
    if not os.path.isdir(directory):
        raise ListenError(
            f"directory {directory!r} does not exist: create it, or put the socket in one "
            "that does, e.g. unix:/tmp/labweb.sock"
        )


def build_endpoint(reactor: Any, text: str) -> Any:
    """Translate ``text`` with ``endpoint_for`` and build its Twisted endpoint.

    Building an ``ssl:`` endpoint reads its certificate and key, and a ``systemd:`` one
    looks up the socket it inherited, so those problems are found here too.

    Raises:
        ListenError: the value cannot be used; the message says why, with an example.
    """
    from twisted.internet.endpoints import serverFromString

    description = endpoint_for(text)
    if (match := _TCP_PORT.match(description)) is not None:
        _port(match.group(2), example=f"{match.group(1)}:8000")
    try:
        return serverFromString(reactor, description)
    except Exception as error:
        problem = endpoint_problem(error) or _parse_problem(description, error)
        if problem is None:
            raise
        raise ListenError(problem) from None


def _parse_problem(description: str, error: Exception) -> str | None:
    """One line for what Twisted's endpoint parsers raise, or None if it is not theirs."""
    kind = description.split(":", 1)[0]
    message = str(error)
    if (match := _UNKNOWN_TYPE.search(message)) is not None:
        if kind == "haproxy":
            return "haproxy: wraps another endpoint, e.g. haproxy:tcp:8000:interface=127.0.0.1"
        return (
            f"unknown endpoint type {match.group(1)!r} (hosts are IP addresses, such as"
            f" 127.0.0.1:8000; names are not looked up); {FORMS}"
        )
    if kind == "tcp6" and "multiple values" in message:
        return (
            "an IPv6 interface needs its colons escaped in an endpoint string"
            r" (tcp6:8000:interface=\:\:1), or write [::1]:8000"
        )
    if kind == "systemd" and isinstance(error, IndexError | KeyError):
        return (
            "systemd passed no such socket (LISTEN_FDS and LISTEN_FDNAMES say which); "
            "run labweb from a systemd socket unit, e.g. systemd:domain=INET:index=0"
        )
    if (match := _NOT_A_NUMBER.search(message)) is not None:
        return f"{match.group(1)!r} is not a number; e.g. tcp:8000:interface=127.0.0.1"
    if (match := _UNEXPECTED.search(message)) is not None:
        return f"{kind}: has no parameter {match.group(1)!r}; e.g. tcp:8000:interface=127.0.0.1"
    if (match := _MISSING.search(message)) is not None:
        return f"{kind}: no {match.group(1)} given; e.g. tcp:8000"
    if isinstance(error, ValueError | TypeError | KeyError | AttributeError):
        return f"{message}; {FORMS}"
    return None


def bind_problem(error: BaseException) -> str:
    """One line for why an endpoint could not listen, without Twisted's internals.

    Twisted's ``unix:`` endpoint first creates a lock file, the socket path plus
    ``.lock``, and reports that file, which the user never typed: say so plainly.
    """
    if isinstance(error, OSError) and error.filename2 is not None:
        lock = os.fsdecode(error.filename2)
        if lock.endswith(".lock"):
            return (
                f"cannot create the lock file {lock!r} that Twisted keeps beside the socket: "
                f"{error.strerror}"
            )
    if isinstance(error, CannotListenError):
        if "Cannot acquire lock" in str(error):
            return (
                f"another process holds the lock file {os.fsdecode(error.port)}.lock: "
                "is another server running on this socket?"
            )
        if isinstance(error.socketError, OSError):
            reason = error.socketError.strerror or str(error.socketError)
            return reason[:1].lower() + reason[1:]
    if isinstance(error, OSError):
        return error.strerror or str(error)
    return str(error)
