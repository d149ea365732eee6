"""The recorder's running totals, and latency percentiles over a bounded window.

Percentiles come from the last ``LATENCY_WINDOW`` responses (sorted when asked, a few
times a second at most), not from every response since start: memory stays fixed and
the figures follow what the server does now.
"""

from __future__ import annotations

from collections import Counter, deque
from typing import Any

LATENCY_WINDOW = 1024
PERCENTILES = (50, 90, 99)


def percentile(sorted_values: list[float], rank: int) -> float:
    """The nearest-rank percentile of ``sorted_values`` (not empty)."""
    index = max(0, -(-rank * len(sorted_values) // 100) - 1)
    return sorted_values[min(index, len(sorted_values) - 1)]


class Counters:
    """Requests, responses by status, bytes, connections, timeouts, latency."""

    def __init__(self, *, latency_window: int = LATENCY_WINDOW) -> None:
        self.requests = 0
        self.responses: Counter[int] = Counter()  # by status; engine answers included
        self.bytes_in = 0
        self.bytes_out = 0
        self.connections_opened = 0
        self.timeouts: Counter[str] = Counter()  # by timer: header, body, response...
        self._latencies: deque[float] = deque(maxlen=latency_window)

    def response(self, status: int, seconds: float) -> None:
        """A response went out in ``seconds`` from its request's first byte."""
        self.responses[status] += 1
        self._latencies.append(seconds)

    def latency_ms(self) -> dict[str, float | None]:
        """``{"p50": ms, "p90": ms, "p99": ms}`` over the window (None before any)."""
        values = sorted(self._latencies)
        return {
            f"p{rank}": round(percentile(values, rank) * 1000, 3) if values else None
            for rank in PERCENTILES
        }

    def as_dict(self) -> dict[str, Any]:
        """JSON-ready: status keys become strings, as JSON objects need."""
        return {
            "requests": self.requests,
            "responses": {str(status): n for status, n in sorted(self.responses.items())},
            "bytes_in": self.bytes_in,
            "bytes_out": self.bytes_out,
            "connections_opened": self.connections_opened,
            "timeouts": dict(self.timeouts),
            "latency_ms": self.latency_ms(),
            "latency_window": len(self._latencies),
        }
