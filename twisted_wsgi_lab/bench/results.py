"""What a bench run measured: every round, and the medians with their spread.

The median over rounds resists one disturbed round on a shared machine; the spread,
``(max - min) / median`` of req/s, says how far to trust a difference between rows.
"""

from __future__ import annotations

import statistics
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any

from .load_result import LoadResult


@dataclass(frozen=True)
class Measurement:
    """One load run of one model, at one concurrency, in one round."""

    scenario: str
    model: str
    concurrency: int
    round: int
    load: LoadResult
    memory_before_kib: int | None = None  # the server tree's PSS before the run
    memory_peak_kib: int | None = None  # its peak during the run

    def to_json(self) -> dict[str, Any]:
        return {
            "scenario": self.scenario,
            "model": self.model,
            "concurrency": self.concurrency,
            "round": self.round,
            "memory_before_kib": self.memory_before_kib,
            "memory_peak_kib": self.memory_peak_kib,
            "load": self.load.to_json(),
        }

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> Measurement:
        return cls(
            data["scenario"],
            data["model"],
            data["concurrency"],
            data["round"],
            LoadResult.from_json(data["load"]),
            data.get("memory_before_kib"),
            data.get("memory_peak_kib"),
        )


@dataclass(frozen=True)
class Summary:
    """Medians over the rounds of one (scenario, model, concurrency)."""

    scenario: str
    model: str
    concurrency: int
    rounds: int
    requests_per_second: float
    spread_percent: float
    p50_ms: float
    p99_ms: float
    errors: int  # over all rounds, non-2xx/3xx answers included
    generator_cpu_percent: float | None  # of one core, while the load ran
    kib_per_idle_connection: float | None = None

    def key(self) -> tuple[str, str, int]:
        return (self.scenario, self.model, self.concurrency)


def median(values: Iterable[float]) -> float:
    """The median, or 0.0 for no values."""
    items = list(values)
    return float(statistics.median(items)) if items else 0.0


def spread_percent(values: Sequence[float]) -> float:
    """``(max - min) / median`` in percent; 0.0 for no values or a zero median."""
    middle = median(values)
    return 100.0 * (max(values) - min(values)) / middle if values and middle else 0.0


def summarize(measurements: Sequence[Measurement]) -> list[Summary]:
    """One summary per (scenario, model, concurrency), in the order first measured."""
    groups: dict[tuple[str, str, int], list[Measurement]] = {}
    for item in measurements:
        groups.setdefault((item.scenario, item.model, item.concurrency), []).append(item)
    return [summary_of(key, items) for key, items in groups.items()]


def summary_of(key: tuple[str, str, int], items: Sequence[Measurement]) -> Summary:
    """The medians of one group of rounds."""
    loads = [item.load for item in items]
    rates = [load.requests_per_second for load in loads]
    cpu = [
        100.0 * load.generator_cpu_seconds / load.duration_seconds
        for load in loads
        if load.generator_cpu_seconds is not None and load.duration_seconds > 0
    ]
    return Summary(
        scenario=key[0],
        model=key[1],
        concurrency=key[2],
        rounds=len(items),
        requests_per_second=median(rates),
        spread_percent=spread_percent(rates),
        p50_ms=median(load.latency_ms.get("p50", 0.0) for load in loads),
        p99_ms=median(load.latency_ms.get("p99", 0.0) for load in loads),
        errors=sum(load.errors + failed_answers(load) for load in loads),
        generator_cpu_percent=median(cpu) if cpu else None,
        kib_per_idle_connection=idle_cost(items),
    )


def failed_answers(load: LoadResult) -> int:
    """Responses whose status was not 2xx or 3xx."""
    return sum(
        count for status, count in load.status_counts.items() if not status.startswith(("2", "3"))
    )


def idle_cost(items: Sequence[Measurement]) -> float | None:
    """Median memory growth per held connection, for runs that held idle ones."""
    costs = [
        (item.memory_peak_kib - item.memory_before_kib) / item.concurrency
        for item in items
        if item.memory_peak_kib is not None and item.memory_before_kib is not None
    ]
    return median(costs) if costs else None
