"""What one load run should do, checked before any socket opens: loopback targets only.

The same ``LoadSpec`` drives labweb's own load generator (in process or as
``python -m twisted_wsgi_lab.bench.loadgen``) and wrk, so a scenario is written once.
Load never leaves the machine: the host must be 127.0.0.1, ::1 or localhost, and
anything else is refused here, with the reason, whoever builds the spec.
"""

from __future__ import annotations

import ipaddress
from dataclasses import dataclass
from urllib.parse import urlsplit

LOOPBACK_HOSTS = frozenset({"127.0.0.1", "::1", "localhost"})
# after the last measured moment, how long outstanding requests and closes may take
GRACE_SECONDS = 5.0


class NotLoopbackError(ValueError):
    """The URL points somewhere other than 127.0.0.1 or ::1: no load goes there."""


@dataclass(frozen=True)
class LoadSpec:
    """One load run; the CLI flags of ``loadgen`` map one to one onto these fields."""

    url: str
    connections: int = 10
    duration_seconds: float = 10.0  # a cap even when max_requests is given
    max_requests: int | None = None  # at most this many measured requests in all
    warmup_seconds: float = 0.0  # load first, unmeasured, for this long
    method: str = "GET"
    headers: tuple[tuple[str, str], ...] = ()
    body_bytes: int = 0  # a body of this many bytes, with Content-Length
    timeout_seconds: float = 5.0  # per request: no answer by then is a timeout error
    pipeline: int = 1  # requests outstanding per connection; 1 is no pipelining
    idle_connections: int = 0  # opened first, one request each, then held silent
    idle_seconds: float = 0.0  # how long the idle connections are held
    slow_readers: int = 0  # extra connections reading slow_path slowly
    slow_path: str = "/"
    slow_read_bytes: int = 4096  # a slow reader reads at most this much ...
    slow_read_interval_ms: float = 100.0  # ... this often

    def __post_init__(self) -> None:
        """Refuse a non-loopback target and any count or time that cannot work.

        Raises:
            NotLoopbackError: the host is not 127.0.0.1, ::1 or localhost.
            ValueError: not an http:// URL, a negative or zero count or time, or a
                method, path or header that would not make one valid request line.
        """
        target = urlsplit(self.url)
        if target.scheme != "http" or not target.hostname:
            raise ValueError(f"the URL must be http://HOST:PORT/PATH, not {self.url!r}")
        if not is_loopback(target.hostname):
            raise NotLoopbackError(
                f"refusing to load {target.hostname}: load only goes to 127.0.0.1, ::1 "
                "or localhost, never to another machine"
            )
        self._check_ranges()
        self._check_request()

    def _check_request(self) -> None:
        """A method of letters, and no CR or LF anywhere: one request, not two."""
        if not self.method.isalpha() or not self.method.isascii():
            raise ValueError(f"the method must be letters, like GET, not {self.method!r}")
        texts = [self.path, self.slow_path, *(part for pair in self.headers for part in pair)]
        if any("\r" in text or "\n" in text for text in texts):
            raise ValueError("CR and LF are not allowed in the path, slow_path or headers")

    def _check_ranges(self) -> None:
        positive: dict[str, float] = {
            "duration_seconds": self.duration_seconds,
            "pipeline": self.pipeline,
        }
        positive |= {
            "timeout_seconds": self.timeout_seconds,
            "slow_read_bytes": self.slow_read_bytes,
        }
        positive["slow_read_interval_ms"] = self.slow_read_interval_ms
        for name, value in positive.items():
            if value <= 0:
                raise ValueError(f"{name} must be more than 0, not {value}")
        counts: dict[str, float] = {"connections": self.connections, "body_bytes": self.body_bytes}
        counts |= {"idle_connections": self.idle_connections, "slow_readers": self.slow_readers}
        counts |= {"warmup_seconds": self.warmup_seconds, "idle_seconds": self.idle_seconds}
        for name, value in counts.items():
            if value < 0:
                raise ValueError(f"{name} must not be negative, not {value}")
        if self.max_requests is not None and self.max_requests < 1:
            raise ValueError(f"max_requests must be at least 1, not {self.max_requests}")
        if self.connections == 0 and self.idle_connections == 0:
            raise ValueError("nothing to do: connections and idle_connections are both 0")

    @property
    def address(self) -> tuple[str, int]:
        """Where to connect: localhost is 127.0.0.1, so no resolver is involved."""
        target = urlsplit(self.url)
        host = target.hostname or ""
        return ("127.0.0.1" if host == "localhost" else host), target.port or 80

    @property
    def path(self) -> str:
        target = urlsplit(self.url)
        return (target.path or "/") + (f"?{target.query}" if target.query else "")

    @property
    def host_header(self) -> str:
        host, port = self.address
        return f"[{host}]:{port}" if ":" in host else f"{host}:{port}"

    @property
    def hard_deadline_seconds(self) -> float:
        """The longest a run may take, whatever the server does."""
        setup = 2 * self.timeout_seconds if self.idle_connections or self.slow_readers else 0
        load = self.warmup_seconds + self.duration_seconds if self.connections else 0.0
        return setup + max(load, self.idle_seconds) + self.timeout_seconds + GRACE_SECONDS

    def request_bytes(self) -> bytes:
        """The request the load connections send, body included."""
        return self._request(self.method, self.path, self.body_bytes)

    def slow_request_bytes(self) -> bytes:
        """The request of a slow reader: GET of ``slow_path``."""
        return self._request("GET", self.slow_path, 0)

    def idle_request_bytes(self) -> bytes:
        """The one request of an idle connection: GET of the URL's path."""
        return self._request("GET", self.path, 0)

    def _request(self, method: str, path: str, body_bytes: int) -> bytes:
        lines = [f"{method} {path} HTTP/1.1", f"Host: {self.host_header}"]
        lines += [f"{name}: {value}" for name, value in self.headers]
        if body_bytes or method in ("POST", "PUT", "PATCH"):
            lines.append(f"Content-Length: {body_bytes}")
        head = ("\r\n".join(lines) + "\r\n\r\n").encode("latin-1")
        return head + b"x" * body_bytes


def is_loopback(host: str) -> bool:
    """127.0.0.1, ::1 or localhost, in any spelling of those two addresses."""
    if host in LOOPBACK_HOSTS:
        return True
    try:
        address = ipaddress.ip_address(host)
    except ValueError:
        return False
    return str(address) in LOOPBACK_HOSTS
