"""The options of ``labweb`` and ``twistd labweb``: one class serves both."""

from __future__ import annotations

import dataclasses
import getopt
import sys
from collections.abc import Callable
from typing import Any

from twisted.python import usage

from ..http11.limits import Limits
from .lab_options import LAB_FLAGS, LAB_PARAMETERS, check_lab_options
from .units import OFF, format_value, parse_count, parse_seconds, parse_size
from .workers_options import check_worker_options

LOG_LEVELS = ("debug", "info", "warn", "error")
LOG_FORMATS = ("text", "json")


# option name, Limits field, parser: every limit the engine enforces can be set here.
LIMIT_OPTIONS: list[tuple[str, str, Callable[[str], float]]] = [
    ("max-request-line", "max_request_line_bytes", parse_size),
    ("max-head", "max_head_bytes", parse_size),
    ("max-headers", "max_header_count", parse_count),
    ("max-body", "max_body_bytes", parse_size),
    ("max-chunk-line", "max_chunk_line_bytes", parse_size),
    ("max-trailer", "max_trailer_bytes", parse_size),
    ("max-pipelined", "max_pipelined_requests", parse_count),
    ("header-timeout", "header_timeout_seconds", parse_seconds),
    ("body-timeout", "body_timeout_seconds", parse_seconds),
    ("keepalive-timeout", "keepalive_timeout_seconds", parse_seconds),
    ("request-timeout", "request_timeout_seconds", parse_seconds),
    ("send-timeout", "send_timeout_seconds", parse_seconds),
    ("response-timeout", "response_timeout_seconds", parse_seconds),
    ("max-connections", "max_connections", parse_count),
    ("shutdown-timeout", "shutdown_timeout_seconds", parse_seconds),
    ("body-spool", "body_spool_bytes", parse_size),
    ("max-websocket-message", "max_websocket_message_bytes", parse_size),
    ("websocket-ping-interval", "websocket_ping_interval_seconds", parse_seconds),
    ("websocket-ping-timeout", "websocket_ping_timeout_seconds", parse_seconds),
    ("websocket-close-timeout", "websocket_close_timeout_seconds", parse_seconds),
    ("max-form-parts", "max_form_parts", parse_count),
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


# Limits whose field may be None: "off" turns them off, and is their shown default.
OPTIONAL_LIMITS = frozenset(
    field.name for field in dataclasses.fields(Limits) if str(field.type).endswith("None")
)


def _limit_parameters() -> list[list[object]]:
    defaults = Limits()
    return [
        [
            option,
            None,
            None,
            f"{_HELP[field]} [default: {format_value(getattr(defaults, field), parse)}]",
        ]
        for option, field, parse in LIMIT_OPTIONS
    ]


def _watchdog_seconds(text: str) -> float | None:
    """The ``--watchdog`` threshold, or None for ``0`` and ``off`` (no watchdog)."""
    if text.strip().lower() == "off":
        return None
    try:
        seconds = parse_seconds(text)
    except ValueError:
        raise usage.UsageError(
            f"--watchdog {text!r}: give seconds (0.5, 2s, 500ms), or 0 or off to disable"
        ) from None
    return seconds or None


def _options_first(arguments: list[str], short: str, long: list[str]) -> list[str]:
    """``arguments`` with every option before the first positional one.

    Left as they are when getopt refuses them: ``usage.Options`` then reports the error.
    """
    try:
        found, rest = getopt.gnu_getopt(arguments, short, long)
    except getopt.GetoptError:
        return arguments
    ordered: list[str] = []
    for option, value in found:
        takes_value = f"{option[2:]}=" in long or f"{option[1:]}:" in short
        ordered += [option, value] if takes_value else [option]
    return [*ordered, "--", *rest] if rest else ordered


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
            "WSGI app as module:attribute or module:factory(), also given without --app "
            "[default: built-in page]",
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
            "trace-file",
            None,
            None,
            "with --trace: write the wire trace to this file instead of standard error",
        ],
        ["trace-bytes", None, "1024", "with --trace: show at most this many bytes of each piece"],
        [
            "health-path",
            None,
            None,
            "answer GET on this path (e.g. /healthz) with 200, or 503 once stopping [default: off]",
        ],
        [
            "drain-delay",
            None,
            "0",
            "seconds to go on serving after SIGTERM while --health-path says 503",
        ],
        [
            "watchdog",
            None,
            "0.5s",
            "warn when the reactor thread is blocked this many seconds; 0 or off disables",
        ],
        ["script-name", None, "", "URL prefix the app is mounted under (SCRIPT_NAME)"],
        [
            "trusted-proxies",
            None,
            None,
            "with --proxy-headers: addresses or CIDR networks of the proxies whose"
            " forwarding fields are believed, comma-separated [default: 127.0.0.0/8,::1]",
        ],
        [
            "proxy-header-kind",
            None,
            "auto",
            "with --proxy-headers: x-forwarded, forwarded (RFC 7239), or auto"
            " (X-Forwarded-* when present, else Forwarded)",
        ],
        ["log-format", None, "text", "text (one line per event) or json (one object per line)"],
        [
            "log-level",
            None,
            None,
            "least important events logged: debug, info, warn or error "
            "[default: info, or debug with --debug]",
        ],
        [
            "workers",
            "w",
            "1",
            "processes serving the app, or auto for one per CPU; above 1, a supervisor "
            "binds the --listen sockets once and runs the workers",
        ],
        *LAB_PARAMETERS,
        *_limit_parameters(),
    ]
    optFlags = [  # noqa: RUF012 (usage.Options reads this class attribute)
        [
            "trace",
            None,
            "print every byte in (> ) and out (< ) of every connection, as curl -v does",
        ],
        *LAB_FLAGS,
        [
            "reload",
            None,
            "development: restart the workers when a .py file under --app-dir changes",
        ],
        [
            "proxy-headers",
            None,
            "believe X-Forwarded-* and Forwarded from --trusted-proxies: client"
            " address, scheme and Host (see docs/proxies.md)",
        ],
        [
            "fault-header",
            None,
            "testing clients: bend a response when its request asks with"
            " X-Labweb-Fault: NAME[:PARAMS] (see docs/faults.md); never in production",
        ],
        [
            "debug",
            None,
            "tracebacks in 500 pages and for an app that fails to import, and debug "
            "logging; never in production",
        ],
    ]

    def __init__(self) -> None:
        super().__init__()
        self["listen"] = []
        self["listen-as-given"] = []
        self["faults"] = []

    def parseOptions(self, options: list[str] | None = None) -> None:
        """Parse as usual, but let options follow the app: ``labweb app:app -l 8000``.

        ``usage.Options`` stops at the first argument that is not an option (getopt);
        the arguments are put in GNU order first (options, then ``--``, then the rest).
        """
        arguments = sys.argv[1:] if options is None else options
        # Kept as given: a supervisor starts its workers with the same arguments.
        self["argv"] = list(arguments)
        super().parseOptions(_options_first(arguments, self.shortOpt, self.longOpt))

    def parseArgs(self, *apps: str) -> None:
        """``labweb module:app``: the app may be given without ``--app``, as to gunicorn."""
        if len(apps) > 1:
            raise usage.UsageError(
                f"one app at most, got {len(apps)}: {' '.join(apps)} "
                "(options go before or after it, e.g. labweb myapp:app --listen 8000)"
            )
        if apps and self["app"] is not None and self["app"] != apps[0]:
            raise usage.UsageError(f"two apps: --app {self['app']} and {apps[0]}; give one of them")
        if apps:
            self["app"] = apps[0]

    def opt_version(self) -> None:
        """Print labweb's version and exit."""
        from .. import __version__

        print(f"labweb {__version__}")
        raise SystemExit(0)

    def opt_listen(self, description: str) -> None:
        """where to listen, repeatable: 8000, 127.0.0.1:8000, [::1]:8000, unix:/path, or a
        Twisted endpoint such as ssl:8443 or systemd:domain=INET:index=0 [default:
        tcp:8080]."""
        self["listen-as-given"].append(description)

    opt_l = opt_listen

    def opt_fault(self, description: str) -> None:
        """repeatable, to test clients: bend responses, e.g. delay:ms=500 (docs/faults.md)"""
        from ..lab.faults.spec import FaultSpecError, parse_fault

        try:
            self["faults"].append(parse_fault(description))
        except FaultSpecError as error:
            raise usage.UsageError(f"--fault {description!r}: {error}") from None

    def postOptions(self) -> None:
        if not self["listen-as-given"]:
            self["listen-as-given"] = ["tcp:8080"]
        self["limits"] = self._limits()
        self._check_mode()
        try:
            self["drain-delay"] = parse_seconds(str(self["drain-delay"]))
        except ValueError as error:
            raise usage.UsageError(f"--drain-delay {self['drain-delay']!r}: {error}") from None
        if self["drain-delay"] < 0 or (self["drain-delay"] and not self["health-path"]):
            raise usage.UsageError("--drain-delay: a number of seconds, with --health-path")
        path = self["health-path"]
        if path is not None and (not path.startswith("/") or not path.isascii() or " " in path):
            raise usage.UsageError(f"--health-path {path!r}: give a path such as /healthz")
        if self["access-log-format"] not in ("combined", "json"):
            raise usage.UsageError(
                f"--access-log-format {self['access-log-format']!r}: choose combined or json"
            )
        self["watchdog"] = _watchdog_seconds(self["watchdog"])
        self._check_trace()
        self._check_proxy_options()
        self._check_logging()
        self._check_endpoints()
        check_worker_options(self)
        check_lab_options(self)

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

    def _check_trace(self) -> None:
        try:
            self["trace-bytes"] = parse_count(str(self["trace-bytes"]))
        except ValueError as error:
            raise usage.UsageError(f"--trace-bytes {self['trace-bytes']!r}: {error}") from None
        if self["trace-file"] and not self["trace"]:
            self["trace"] = True  # a trace file asks for the trace

    def _check_proxy_options(self) -> None:
        """``--trusted-proxies`` becomes ``trusted-networks``; a bad entry is named."""
        from .proxy_headers import DEFAULT_TRUSTED, HEADER_KINDS, parse_networks

        kind = self["proxy-header-kind"]
        if kind not in HEADER_KINDS:
            raise usage.UsageError(
                f"--proxy-header-kind {kind!r}: choose {', '.join(HEADER_KINDS)}"
            )
        text = self["trusted-proxies"]
        try:
            self["trusted-networks"] = parse_networks(text or DEFAULT_TRUSTED)
        except ValueError as error:
            raise usage.UsageError(f"--trusted-proxies {text!r}: {error}") from None

    def _limits(self) -> Limits:
        """The ``Limits`` the options ask for; an error names the option, not the field."""
        changes: dict[str, Any] = {}
        for option, field, parse in LIMIT_OPTIONS:
            text = self[option]
            if text is None:
                continue
            if text.strip().lower() == OFF and field in OPTIONAL_LIMITS:
                changes[field] = None
                continue
            try:
                value = parse(text)
            except ValueError as error:
                raise usage.UsageError(f"--{option} {text!r}: {error}") from None
            if not value > 0:
                off = ", or off" if field in OPTIONAL_LIMITS else ""
                raise usage.UsageError(f"--{option} {text!r}: must be more than 0{off}")
            changes[field] = value
        return dataclasses.replace(Limits(), **changes)

    def _check_logging(self) -> None:
        if self["log-format"] not in LOG_FORMATS:
            raise usage.UsageError(f"--log-format {self['log-format']!r}: choose text or json")
        level = self["log-level"]
        if level is None:
            level = "debug" if self["debug"] else "info"
        level = {"warning": "warn", "critical": "error"}.get(level.lower(), level.lower())
        if level not in LOG_LEVELS:
            raise usage.UsageError(
                f"--log-level {self['log-level']!r}: choose debug, info, warn or error"
            )
        self["log-level"] = level

    def _check_endpoints(self) -> None:
        """Translate and build every endpoint once, so a bad one is a usage error.

        Building an ``ssl:`` endpoint reads its certificate and key, so a missing file,
        a wrong key or a missing pyOpenSSL is found here, before anything starts.
        """
        from twisted.internet import reactor

        from .listen import ListenError, build_endpoint, endpoint_for

        self["listen"] = []
        for text in self["listen-as-given"]:
            try:
                build_endpoint(reactor, text)
            except ListenError as error:
                raise usage.UsageError(f"--listen {text!r}: {error}") from None
            self["listen"].append(endpoint_for(text))
