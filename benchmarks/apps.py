"""The WSGI apps that ``compare_servers.py --scenario`` serves: one per kind of work.

- ``hello``: no work at all, like ``examples/hello.py``; measures the server alone.
- ``blocking``: waits ``BLOCKING_SECONDS`` without using the CPU, a stand-in for a
  database call. A server that runs apps in N threads can reach N / 10 ms requests per
  second; one that calls the app in the reactor thread gets 100 at most.
- ``cpu``: a pure-Python loop of about ``CPU_MILLISECONDS`` on the development machine
  (2 cores). Threads cannot help here (the GIL), so this shows what they cost.

Servers import this file as the top-level module ``apps`` (``benchmarks/`` is on their
PYTHONPATH): ``labweb --app apps:blocking``, ``twistd web --wsgi apps.blocking``.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterable
from typing import Any

BLOCKING_SECONDS = 0.010
CPU_MILLISECONDS = 2.0
# Calibrated by hand: 52,000 turns of ``spin`` took 2.0 ms (median) on the 2-core
# development machine with Python 3.11. A fixed count keeps runs comparable; a faster
# machine simply does the same work in less time.
CPU_LOOP_TURNS = 52_000

HELLO_BODY = b"Hello, world!\n"
HEADERS = [
    ("Content-Type", "text/plain; charset=utf-8"),
    ("Content-Length", str(len(HELLO_BODY))),
]


def spin(turns: int) -> int:
    """Keep one core busy in the interpreter for ``turns`` iterations; return a checksum.

    The result is used by the caller, so no optimiser could drop the loop (CPython has
    none, but PyPy does).
    """
    total = 0
    for i in range(turns):
        total = (total + i * i) % 1_000_003
    return total


def hello(environ: dict[str, Any], start_response: Callable[..., Any]) -> Iterable[bytes]:
    """Answer at once with a short plain-text greeting."""
    start_response("200 OK", HEADERS)
    return [HELLO_BODY]


def blocking(environ: dict[str, Any], start_response: Callable[..., Any]) -> Iterable[bytes]:
    """Sleep ``BLOCKING_SECONDS`` (the thread waits, the CPU is free), then answer."""
    time.sleep(BLOCKING_SECONDS)
    start_response("200 OK", HEADERS)
    return [HELLO_BODY]


def cpu(environ: dict[str, Any], start_response: Callable[..., Any]) -> Iterable[bytes]:
    """Compute for about ``CPU_MILLISECONDS`` holding the GIL, then answer."""
    if spin(CPU_LOOP_TURNS) < 0:  # never true; keeps the result used
        raise AssertionError("spin() returned a negative checksum")
    start_response("200 OK", HEADERS)
    return [HELLO_BODY]


def measure_cpu_milliseconds(samples: int = 50) -> float:
    """Median milliseconds one ``cpu`` request spends in ``spin``, on this machine."""
    durations = []
    for _ in range(samples):
        started = time.perf_counter()
        spin(CPU_LOOP_TURNS)
        durations.append(time.perf_counter() - started)
    durations.sort()
    return 1000.0 * durations[len(durations) // 2]


if __name__ == "__main__":
    print(f"cpu app: {measure_cpu_milliseconds():.2f} ms per request (target {CPU_MILLISECONDS})")
