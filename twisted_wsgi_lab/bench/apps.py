"""The WSGI apps behind the built-in scenarios: one per kind of work.

Servers import them as ``twisted_wsgi_lab.bench.apps:<name>`` (``twistd web --wsgi``
spells it with a dot), so every model serves the very same function.

- ``hello``: no work; measures the server alone.
- ``blocking``: waits ``BLOCKING_SECONDS`` without the CPU, a stand-in for a database
  call. N threads can reach N / 10 ms; an app in the reactor thread 100 req/s at most.
- ``cpu``: about ``CPU_MILLISECONDS`` of pure Python, holding the GIL.
- ``download``: a ``LARGE_BODY_BYTES`` response; ``upload`` reads such a request body.
- ``slow``: ``/`` is hello; any other path streams ``SLOW_BODY_BYTES`` in blocks, for
  slow readers. It is larger than the kernel's socket buffers on the loopback (up to
  4 MiB), so a reader that does not read really holds back whoever writes to it.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterable, Iterator
from typing import Any

BLOCKING_SECONDS = 0.010
CPU_MILLISECONDS = 2.0
# Calibrated by hand: 52,000 turns of ``spin`` took 2.0 ms (median) on the 2-core
# development machine with Python 3.11. A fixed count keeps runs comparable.
CPU_LOOP_TURNS = 52_000
LARGE_BODY_BYTES = 1024 * 1024
READ_BLOCK_BYTES = 64 * 1024
SLOW_BODY_BYTES = 16 * 1024 * 1024

HELLO_BODY = b"Hello, world!\n"
LARGE_BODY = b"x" * LARGE_BODY_BYTES
TEXT = ("Content-Type", "text/plain; charset=utf-8")
HELLO_HEADERS = [TEXT, ("Content-Length", str(len(HELLO_BODY)))]
LARGE_HEADERS = [
    ("Content-Type", "application/octet-stream"),
    ("Content-Length", str(LARGE_BODY_BYTES)),
]

StartResponse = Callable[..., Any]


def spin(turns: int) -> int:
    """Keep one core busy in the interpreter for ``turns`` iterations; return a checksum."""
    total = 0
    for i in range(turns):
        total = (total + i * i) % 1_000_003
    return total


def hello(environ: dict[str, Any], start_response: StartResponse) -> Iterable[bytes]:
    """Answer at once with a short plain-text greeting."""
    start_response("200 OK", HELLO_HEADERS)
    return [HELLO_BODY]


def blocking(environ: dict[str, Any], start_response: StartResponse) -> Iterable[bytes]:
    """Sleep ``BLOCKING_SECONDS`` (the thread waits, the CPU is free), then answer."""
    time.sleep(BLOCKING_SECONDS)
    return hello(environ, start_response)


def cpu(environ: dict[str, Any], start_response: StartResponse) -> Iterable[bytes]:
    """Compute for about ``CPU_MILLISECONDS`` holding the GIL, then answer."""
    if spin(CPU_LOOP_TURNS) < 0:  # never true; keeps the result used
        raise AssertionError("spin() returned a negative checksum")
    return hello(environ, start_response)


def download(environ: dict[str, Any], start_response: StartResponse) -> Iterable[bytes]:
    """Answer with ``LARGE_BODY_BYTES`` from memory: the cost of moving bytes out."""
    start_response("200 OK", LARGE_HEADERS)
    return [LARGE_BODY]


def upload(environ: dict[str, Any], start_response: StartResponse) -> Iterable[bytes]:
    """Read the whole request body in blocks and answer with its length.

    A GET (the readiness check) has no body and is answered ``0``.
    """
    stream = environ["wsgi.input"]
    remaining = int(environ.get("CONTENT_LENGTH") or 0)
    received = 0
    while remaining > 0:
        block = stream.read(min(READ_BLOCK_BYTES, remaining))
        if not block:
            break
        received += len(block)
        remaining -= len(block)
    body = f"{received}\n".encode("ascii")
    start_response("200 OK", [TEXT, ("Content-Length", str(len(body)))])
    return [body]


def blocks(total_bytes: int) -> Iterator[bytes]:
    """``total_bytes`` of body in ``READ_BLOCK_BYTES`` pieces, made as they are sent."""
    block = LARGE_BODY[:READ_BLOCK_BYTES]
    for _ in range(total_bytes // READ_BLOCK_BYTES):
        yield block


def slow(environ: dict[str, Any], start_response: StartResponse) -> Iterable[bytes]:
    """``/`` is hello (the measured load); any other path streams the slow readers' body."""
    if environ.get("PATH_INFO", "/") == "/":
        return hello(environ, start_response)
    start_response(
        "200 OK",
        [("Content-Type", "application/octet-stream"), ("Content-Length", str(SLOW_BODY_BYTES))],
    )
    return blocks(SLOW_BODY_BYTES)


def measure_cpu_milliseconds(samples: int = 50) -> float:
    """Median milliseconds one ``cpu`` request spends in ``spin``, on this machine."""
    durations = []
    for _ in range(samples):
        started = time.perf_counter()
        spin(CPU_LOOP_TURNS)
        durations.append(time.perf_counter() - started)
    durations.sort()
    return 1000.0 * durations[len(durations) // 2]
