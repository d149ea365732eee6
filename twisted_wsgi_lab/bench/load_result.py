"""What one load run measured, whichever load generator made it (wrk or labweb's own).

One shape for both, so the runner, the report and ``--compare`` never ask which tool
ran; the loadgen prints it as JSON, and wrk's output is parsed into it.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from typing import Any

PERCENTILES = (50.0, 75.0, 90.0, 99.0)


@dataclass(frozen=True)
class LoadResult:
    """Counts, rate and latencies of one load run against one server."""

    tool: str  # "wrk" or "loadgen"
    url: str
    connections: int
    # measured: from the first request sent (after any warm-up) to the end of the
    # duration, or to the last answer when a request cap ends the run first
    duration_seconds: float
    requests: int  # complete responses, any status
    errors: int  # connect, read, timeout and protocol errors, together
    status_counts: dict[str, int] = field(default_factory=dict)  # "200" -> count
    bytes_received: int = 0
    # "p50", "p75", "p90", "p99", "max" and "mean", in milliseconds
    latency_ms: dict[str, float] = field(default_factory=dict)
    # CPU the load generator itself used (user + system), so the report can say how
    # much of the shared machine the load took; None when not measured
    generator_cpu_seconds: float | None = None
    # errors by kind, only those that happened: "connect", "read", "timeout" (both
    # tools), "write" (wrk), "protocol" (loadgen: bytes that are not an HTTP
    # response); they add up to ``errors``
    error_counts: dict[str, int] = field(default_factory=dict)
    # answers of status 400 or more: wrk's "Non-2xx or 3xx responses", its only status
    # figure (its status_counts stay empty)
    http_errors: int = 0
    reconnects: int = 0  # loadgen: connections the server closed (Connection: close...)
    # loadgen --idle-connections: asked for, answered their one request, closed by the
    # server during the hold
    idle_connections: int = 0
    idle_connections_established: int = 0
    idle_connections_dropped: int = 0
    # loadgen --slow-readers: how many, and the bytes they read in all
    slow_readers: int = 0
    slow_reader_bytes: int = 0

    @property
    def requests_per_second(self) -> float:
        return self.requests / self.duration_seconds if self.duration_seconds > 0 else 0.0

    def to_json(self) -> dict[str, Any]:
        data = asdict(self)
        data["requests_per_second"] = self.requests_per_second
        return data

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> LoadResult:
        fields = {name: data[name] for name in cls.__dataclass_fields__ if name in data}
        return cls(**fields)
