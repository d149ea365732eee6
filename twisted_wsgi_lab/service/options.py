"""The options of ``labweb`` and ``twistd labweb``: one class serves both."""

from __future__ import annotations

import dataclasses
import math
import re
import sys
from collections.abc import Callable
from typing import Any

from twisted.python import usage

from ..http11.limits import Limits
from .workers_options import check_worker_options

_SIZE = re.compile(r"([0-9]+)\s*(?:([KMG])i?)?B?", re.IGNORECASE)
_UNITS = {"": 1, "K": 1024, "M": 1024**2, "G": 1024**3}
# What Twisted's endpoint parsers raise for a description they cannot use.
_BAD_ENDPOINT = (ValueError, TypeError, KeyError, OSError)


def parse_size(text: str) -> int:
    """Bytes from ``"65536"``, ``"64K"``, ``"1M"``, ``"1GiB"``."""
    match = _SIZE.fullmatch(text.strip())
    if match is None:
        raise ValueError(f"{text!r} is not a size such as 65536, 64K, 16M or 1G")
    return int(match.group(1)) * _UNITS[(match.group(2) or "").upper()]


def parse_seconds(text: str) -> float:
    """Seconds from ``"10"`` or ``"2.5"``; NaN and infinity are refused."""
    seconds = float(text)
    if not math.isfinite(seconds):
        raise ValueError(f"{text!r} is not a finite number of seconds")
    return seconds


# option name, Limits field, parser: every limit the engine enforces can be set here.
LIMIT_OPTIONS: list[tuple[str, str, Callable[[str], float]]] = [
    ("max-request-line", "max_request_line_bytes", parse_size),
    ("max-head", "max_head_bytes", parse_size),
    ("max-headers", "max_header_count", int),
    ("max-body", "max_body_bytes", parse_size),
    ("max-chunk-line", "max_chunk_line_bytes", parse_size),
    ("max-trailer", "max_trailer_bytes", parse_size),
    ("max-pipelined", "max_pipelined_requests", int),
    ("header-timeout", "header_timeout_seconds", parse_seconds),
    ("body-timeout", "body_timeout_seconds", parse_seconds),
    ("keepalive-timeout", "keepalive_timeout_seconds", parse_seconds),
    ("request-timeout", "request_timeout_seconds", parse_seconds),
    ("send-timeout", "send_timeout_seconds", parse_seconds),
    ("response-timeout", "response_timeout_seconds", parse_seconds),
    ("max-connections", "max_connections", int),
    ("shutdown-timeout", "shutdown_timeout_seconds", parse_seconds),
    ("body-spool", "body_spool_bytes", parse_size),
    ("max-websocket-message", "max_websocket_message_bytes", parse_size),
    ("websocket-ping-interval", "websocket_ping_interval_seconds", parse_seconds),
    ("websocket-ping-timeout", "websocket_ping_timeout_seconds", parse_seconds),
    ("websocket-close-timeout", "websocket_close_timeout_seconds", parse_seconds),
    ("max-form-parts", "max_form_parts", int),
    ("max-part-head", "max_part_head_bytes", parse_size),
    ("max-form-field", "max_form_field_bytes", parse_size),
    ("max-upload", "max_upload_bytes", parse_size),
    ("upload-spool", "upload_spool_bytes", parse_size),
]

_HELP = {
    "max_request_line_bytes": "longest request line, then 414",
    "max_head_bytes": "largest request head, then 431",
    "max_header_count": "most header fields in a request, then 431",
    "max_body_bytes": "largest request body, then 413",
    "max_chunk_line_bytes": "longest chunk-size line with extensions, then 400",
    "max_trailer_bytes": "largest chunked trailer section, then 431",
    "max_pipelined_requests": "requests parsed ahead of the response in flight",
    "header_timeout_seconds": "seconds from a head's first byte to its end, then 408",
    "body_timeout_seconds": "seconds of silence inside a request body, then 408",
    "keepalive_timeout_seconds": "seconds an idle keep-alive connection is kept",
    "request_timeout_seconds": "seconds for a whole request, head to last body byte, then 408",
    "send_timeout_seconds": "seconds a response may wait for the client to read, then drop",
    "response_timeout_seconds": "seconds the app has to begin its response, then 503",
    "max_connections": "open connections at most; beyond it new ones get 503",
    "shutdown_timeout_seconds": "seconds in-flight requests get to finish on SIGTERM; "
    "a second signal stops at once",
    "body_spool_bytes": "request bodies beyond this go to a temporary file",
    "max_websocket_message_bytes": "largest WebSocket message, then close 1009",
    "websocket_ping_interval_seconds": "seconds between WebSocket keep-alive pings",
    "websocket_ping_timeout_seconds": "seconds a WebSocket ping waits for its pong, then close",
    "websocket_close_timeout_seconds": "seconds a WebSocket close waits for the reply",
    "max_form_parts": "most fields and files in one form (native App), then 413",
    "max_part_head_bytes": "largest header section of one multipart part, then 413",
    "max_form_field_bytes": "largest form field that is not a file, and largest "
    "urlencoded form, then 413",
    "max_upload_bytes": "largest uploaded file in a multipart form, then 413",
    "upload_spool_bytes": "uploaded files beyond this go to a temporary file",
}


def _shown(default: object) -> str:
    return "off" if default is None else str(default)


def _limit_parameters() -> list[list[object]]:
    defaults = Limits()
    return [
        [option, None, None, f"{_HELP[field]} [default: {_shown(getattr(defaults, field))}]"]
        for option, field, _ in LIMIT_OPTIONS
    ]


def _watchdog_seconds(text: str) -> float | None:
    """The ``--watchdog`` threshold, or None for ``0`` and ``off`` (no watchdog)."""
    if text.strip().lower() == "off":
        return None
    try:
        seconds = parse_seconds(text)
    except ValueError:
        seconds = -1.0
    if seconds < 0:
        raise usage.UsageError(f"--watchdog {text!r}: give seconds, or 0 or off to disable")
    return seconds or None


class LabWebOptions(usage.Options):
    """Options shared by the ``labweb`` command and ``twistd labweb``."""

    longdesc = (
        "Serve a WSGI application with labweb, an HTTP/1.1 server on Twisted. "
        "Without --app, a built-in page says how to serve your own."
    )
    optParameters = [  # noqa: RUF012 (usage.Options reads this class attribute)
        [
            "app",
            "a",
            None,
            "WSGI app as module:attribute or module:factory() [default: built-in page]",
        ],
        ["app-dir", None, ".", "directory put first on sys.path before importing --app"],
        [
            "mode",
            "m",
            None,
            "WSGI apps only: threads calls the app in a thread pool, so a slow request "
            "holds only its thread; reactor: in the reactor thread, fastest for apps "
            "that never block [default: threads]",
        ],
        ["threads", "t", None, "threads in the pool with --mode threads [default: 8]"],
        [
            "access-log",
            None,
            None,
            "one line per response to this file, or - for standard output [default: off]",
        ],
        ["access-log-format", None, "combined", "combined (as nginx and Apache write) or json"],
        [
            "watchdog",
            None,
            "0.5",
            "warn when the reactor thread is blocked this many seconds; 0 or off disables",
        ],
        ["script-name", None, "", "URL prefix the app is mounted under (SCRIPT_NAME)"],
        [
            "workers",
            "w",
            "1",
            "processes serving the app, or auto for one per CPU; above 1, a supervisor "
            "binds the --listen sockets once and runs the workers",
        ],
        *_limit_parameters(),
    ]
    optFlags = [  # noqa: RUF012 (usage.Options reads this class attribute)
        [
            "reload",
            None,
            "development: restart the workers when a .py file under --app-dir changes",
        ],
    ]

    def __init__(self) -> None:
        super().__init__()
        self["listen"] = []

    def parseOptions(self, options: list[str] | None = None) -> None:
        # Kept as given: a supervisor starts its workers with the same arguments.
        self["argv"] = list(sys.argv[1:] if options is None else options)
        super().parseOptions(options)

    def opt_version(self) -> None:
        """Print labweb's version and exit."""
        from .. import __version__

        print(f"labweb {__version__}")
        raise SystemExit(0)

    def opt_listen(self, description: str) -> None:
        """Twisted endpoint to listen on, repeatable [default: tcp:8080]."""
        self["listen"].append(description)

    opt_l = opt_listen

    def postOptions(self) -> None:
        if not self["listen"]:
            self["listen"] = ["tcp:8080"]
        self["limits"] = self._limits()
        self._check_mode()
        if self["access-log-format"] not in ("combined", "json"):
            raise usage.UsageError(
                f"--access-log-format {self['access-log-format']!r}: choose combined or json"
            )
        self["watchdog"] = _watchdog_seconds(self["watchdog"])
        self._check_endpoints()
        check_worker_options(self)

    def _check_mode(self) -> None:
        # Whether the user chose: a native App ignores both, and says so only then.
        self["serving-options-given"] = self["mode"] is not None or self["threads"] is not None
        self["mode"] = self["mode"] or "threads"
        self["threads"] = self["threads"] or "8"
        if self["mode"] not in ("reactor", "threads"):
            raise usage.UsageError(f"--mode {self['mode']!r}: choose reactor or threads")
        try:
            self["threads"] = int(self["threads"])
        except ValueError:
            raise usage.UsageError(f"--threads {self['threads']!r}: not a number") from None
        if self["threads"] < 1:
            raise usage.UsageError(f"--threads {self['threads']}: need at least 1")
        prefix = self["script-name"]
        if prefix and (not prefix.startswith("/") or prefix.endswith("/")):
            raise usage.UsageError(
                f"--script-name {prefix!r}: start with '/' and do not end with one, e.g. /app"
            )

    def _limits(self) -> Limits:
        changes: dict[str, Any] = {}
        for option, field, parse in LIMIT_OPTIONS:
            if self[option] is None:
                continue
            try:
                changes[field] = parse(self[option])
                dataclasses.replace(Limits(), **{field: changes[field]})
            except ValueError as error:
                raise usage.UsageError(f"--{option} {self[option]!r}: {error}") from None
        return dataclasses.replace(Limits(), **changes)

    def _check_endpoints(self) -> None:
        """Build every endpoint once, so a bad one is a usage error, not a traceback.

        Building an ``ssl:`` endpoint reads its certificate and key, so a missing file,
        a wrong key or a missing pyOpenSSL is found here, before anything starts.
        """
        from twisted.internet import reactor
        from twisted.internet.endpoints import serverFromString

        from .tls import endpoint_problem

        for description in self["listen"]:
            try:
                serverFromString(reactor, description)
            except Exception as error:
                problem = endpoint_problem(error)
                if problem is None and not isinstance(error, _BAD_ENDPOINT):
                    raise
                raise usage.UsageError(f"--listen {description!r}: {problem or error}") from None
