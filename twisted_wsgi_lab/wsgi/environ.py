"""Build the PEP 3333 ``environ`` for one request."""

from __future__ import annotations

from typing import IO, Any
from urllib.parse import unquote_to_bytes

from twisted.internet.address import IPv4Address, IPv6Address
from twisted.logger import Logger

from ..engine import Exchange
from .response_body import FileWrapper

log = Logger()

# One-byte tests as ints: ``b"_" in name`` makes CPython try the bytes as an index
# first, raise a TypeError and clear it, five times the cost of ``0x5F in name``.
_PERCENT, _UNDERSCORE = ord("%"), ord("_")


class ErrorStream:
    """``wsgi.errors``: text the application writes goes to the server's log."""

    def write(self, text: str) -> None:
        text = text.rstrip("\n")
        if text:
            log.error("wsgi.errors: {text}", text=text)

    def writelines(self, lines: list[str]) -> None:
        for line in lines:
            self.write(line)

    def flush(self) -> None:
        pass


ERRORS = ErrorStream()


def constant_environ(
    *, script_name: str = "", multithread: bool = False, multiprocess: bool = False
) -> dict[str, Any]:
    """The environ keys that are the same for every request a bridge serves.

    Built once per bridge and copied per request: a dict copy costs less than setting
    the eight constant keys one by one on every request. The ten keys every request
    sets are here too, None until then, so the copy is made at the size it ends at: a
    dict that grows past its room is rebuilt, which cost more than setting the keys.
    """
    return {
        "SCRIPT_NAME": script_name,
        "wsgi.version": (1, 0),
        "wsgi.input_terminated": True,
        "wsgi.errors": ERRORS,
        "wsgi.multithread": multithread,
        "wsgi.multiprocess": multiprocess,
        "wsgi.run_once": False,
        "wsgi.file_wrapper": FileWrapper,
        **dict.fromkeys(_PER_REQUEST_KEYS),
    }


# Set by build_environ on every request.
_PER_REQUEST_KEYS = (
    "REQUEST_METHOD",
    "PATH_INFO",
    "QUERY_STRING",
    "SERVER_NAME",
    "SERVER_PORT",
    "SERVER_PROTOCOL",
    "REMOTE_ADDR",
    "REMOTE_PORT",
    "wsgi.url_scheme",
    "wsgi.input",
)


def build_environ(
    exchange: Exchange,
    body: IO[bytes],
    *,
    body_length: int | None,
    constants: dict[str, Any],
) -> dict[str, Any]:
    """Return the environ for ``exchange``, whose body can be read from ``body``.

    ``constants`` comes from ``constant_environ`` and is copied, never changed.
    PATH_INFO is percent-decoded and carried as latin-1 text, as PEP 3333 asks. Header
    names with an underscore are dropped: ``X_Foo`` and ``X-Foo`` would otherwise both
    become ``HTTP_X_FOO``, letting a client pose as a header a proxy set.
    """
    head = exchange.head
    path = head.path
    path_info = (unquote_to_bytes(path) if _PERCENT in path else path).decode("latin-1")
    script_name = constants["SCRIPT_NAME"]
    if script_name:
        path_info = path_info[len(script_name) :]  # the bridge checked the prefix
    scheme = exchange.scheme
    authority = exchange.authority
    server = _server_names.get((authority, scheme)) or _server_name_port(
        exchange, authority, scheme
    )
    client = exchange.client_address
    version = head.version
    environ = constants.copy()  # every key below is in it already: no dict growth
    environ["REQUEST_METHOD"] = head.method.decode("latin-1")
    environ["PATH_INFO"] = path_info
    environ["QUERY_STRING"] = head.query.decode("latin-1")
    environ["SERVER_NAME"], environ["SERVER_PORT"] = server
    environ["SERVER_PROTOCOL"] = _PROTOCOLS.get(version) or f"HTTP/{version[0]}.{version[1]}"
    environ["REMOTE_ADDR"] = getattr(client, "host", "")
    environ["REMOTE_PORT"] = str(getattr(client, "port", ""))
    environ["wsgi.url_scheme"] = scheme
    environ["wsgi.input"] = body
    if body_length is not None:
        environ["CONTENT_LENGTH"] = str(body_length)
    _add_headers(environ, head.headers, authority)
    return environ


def decoded_path(path: bytes) -> str:
    """The percent-decoded path as latin-1 text, the form PEP 3333 gives PATH_INFO."""
    return (unquote_to_bytes(path) if _PERCENT in path else path).decode("latin-1")


def under_prefix(path: bytes, script_name: str) -> bool:
    """True when ``path`` is ``script_name`` itself or lies below it."""
    decoded = decoded_path(path)
    return decoded == script_name or decoded.startswith(script_name + "/")


_PROTOCOLS = {(1, 1): "HTTP/1.1", (1, 0): "HTTP/1.0"}

# Header names map to the same environ keys on every request: each name is turned into
# its key once. Bounded, so a client inventing names costs a miss, never memory.
_ENVIRON_KEYS_MAX_ENTRIES = 512
_environ_keys: dict[bytes, str] = {}


def _environ_key(name: bytes) -> str:
    key = _environ_keys.get(name)
    if key is None:
        key = "HTTP_" + name.decode("latin-1").upper().replace("-", "_")
        if len(_environ_keys) >= _ENVIRON_KEYS_MAX_ENTRIES:
            _environ_keys.clear()
        _environ_keys[name] = key
    return key


def _add_headers(environ: dict[str, Any], headers: Any, authority: bytes) -> None:
    keys = _environ_keys
    for name, value in headers:
        if _UNDERSCORE in name:
            continue
        text = value.decode("latin-1")
        if name == b"content-type":
            environ["CONTENT_TYPE"] = text
            continue
        if name == b"content-length" or name == b"transfer-encoding":
            continue  # wsgi.input is the decoded body; its length is set from it
        key = keys.get(name) or _environ_key(name)
        if key in environ:
            separator = "; " if key == "HTTP_COOKIE" else ", "
            environ[key] = environ[key] + separator + text
        else:
            environ[key] = text
    if authority:
        # absolute-form wins over Host, and a trusted proxy's report over both
        environ["HTTP_HOST"] = authority.decode("latin-1")


# SERVER_NAME and SERVER_PORT of each (authority, scheme) seen: a server is asked for
# the same few hosts again and again. Bounded, so invented hosts cost a miss only.
_SERVER_NAMES_MAX_ENTRIES = 256
_server_names: dict[tuple[bytes, str], tuple[str, str]] = {}


def _server_name_port(exchange: Exchange, raw_authority: bytes, scheme: str) -> tuple[str, str]:
    """Name and port from the request's authority, else the listening socket."""
    authority = raw_authority.decode("latin-1")
    if authority:
        host, colon, port = authority.rpartition(":")
        if colon and "]" not in port:
            found = host, port or ("443" if scheme == "https" else "80")
        else:
            found = authority, "443" if scheme == "https" else "80"
        if len(_server_names) >= _SERVER_NAMES_MAX_ENTRIES:
            _server_names.clear()
        _server_names[raw_authority, scheme] = found
        return found
    address = exchange.server_address
    if isinstance(address, (IPv4Address, IPv6Address)):
        return address.host, str(address.port)
    return "localhost", "0"
