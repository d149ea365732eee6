"""What the app behind every server does in ``compare_servers.py``, and what to expect.

A scenario names one app of ``benchmarks/apps.py``. For ``blocking`` there is a target:
N threads that each wait 10 ms per request can serve N / 10 ms requests per second at
most, and ``labweb --mode threads --threads N`` should reach ``BLOCKING_TARGET_PERCENT``
of that; the shortfall is what the server itself costs per request.
"""

from __future__ import annotations

from dataclasses import dataclass

from apps import BLOCKING_SECONDS

BLOCKING_TARGET_PERCENT = 90.0


@dataclass(frozen=True)
class Scenario:
    """What the app behind every server does; ``app`` names it in ``benchmarks/apps.py``.

    Servers import that file as the top-level module ``apps``: ``benchmarks/`` is on
    their PYTHONPATH, so both ``module:attribute`` (labweb) and ``module.attribute``
    (twisted.web) spellings work.
    """

    name: str
    app: str
    description: str


SCENARIOS: dict[str, Scenario] = {
    scenario.name: scenario
    for scenario in (
        Scenario("hello", "apps:hello", "answer at once"),
        Scenario("blocking", "apps:blocking", "sleep 10 ms, then answer (a database call)"),
        Scenario("cpu", "apps:cpu", "compute about 2 ms in Python, then answer"),
    )
}


@dataclass(frozen=True)
class BlockingTarget:
    """How close ``labweb-threads`` came to N threads / 10 ms in the blocking scenario.

    Each thread can finish at most one request per ``BLOCKING_SECONDS``, so N threads
    cap the rate at N / BLOCKING_SECONDS; the rest is what the server itself costs.
    """

    threads: int
    measured_requests_per_second: float
    target_percent: float = BLOCKING_TARGET_PERCENT

    @property
    def ceiling_requests_per_second(self) -> float:
        """What ``threads`` threads can do if the server costs nothing."""
        return self.threads / BLOCKING_SECONDS

    @property
    def percent(self) -> float:
        """Measured median req/s as a share of the ceiling."""
        return 100.0 * self.measured_requests_per_second / self.ceiling_requests_per_second

    def line(self) -> str:
        """The report line, e.g. ``labweb-threads reaches 93.1% of 8/10 ms = 800 req/s``."""
        return (
            f"labweb-threads reaches {self.percent:.1f}% of "
            f"{self.threads}/{BLOCKING_SECONDS * 1000:g} ms = "
            f"{self.ceiling_requests_per_second:.0f} req/s "
            f"(target >= {self.target_percent:g}%)"
        )
