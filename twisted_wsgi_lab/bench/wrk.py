"""wrk as a load generator: its command for a ``LoadSpec``, and its text output as a LoadResult.

wrk (C, one event loop per thread) is the faster and better-known tool, so it is used
when installed. It has no machine-readable output, so ``parse_wrk_output`` reads the
text of ``wrk --latency``: the requests line, ``Socket errors``, ``Non-2xx or 3xx``,
the thread stats (average and max latency) and the latency distribution. wrk sends a
method and a body only through Lua, so for those a three-line script is written to a
temporary file. wrk takes whole seconds for ``-d`` and ``--timeout``: durations are
rounded up.
"""

from __future__ import annotations

import math
import re
import tempfile
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path

from .load_result import LoadResult
from .load_spec import LoadSpec

TIME_UNITS = {"us": 0.001, "ms": 1.0, "s": 1000.0, "m": 60_000.0, "h": 3_600_000.0}
BYTE_UNITS = {"B": 1, "KB": 1024, "MB": 1024**2, "GB": 1024**3, "TB": 1024**4}
NUMBER_WITH_UNIT = r"([\d.]+)([a-zA-Z]+)"
REQUESTS = re.compile(rf"(\d+) requests in {NUMBER_WITH_UNIT}, {NUMBER_WITH_UNIT} read")
SOCKET_ERRORS = re.compile(r"Socket errors: connect (\d+), read (\d+), write (\d+), timeout (\d+)")
HTTP_ERRORS = re.compile(r"Non-2xx or 3xx responses: (\d+)")
THREAD_LATENCY = re.compile(rf"Latency\s+{NUMBER_WITH_UNIT}\s+\S+\s+{NUMBER_WITH_UNIT}")
DISTRIBUTION = re.compile(rf"^\s+(50|75|90|99)%\s+{NUMBER_WITH_UNIT}\s*$", re.M)


class WrkError(RuntimeError):
    """wrk failed or printed something that is not a wrk --latency report."""


def wrk_seconds(seconds: float) -> str:
    """wrk's -d and --timeout take whole seconds."""
    return f"{max(1, math.ceil(seconds))}s"


def wrk_command(
    spec: LoadSpec,
    *,
    duration_seconds: float | None = None,
    threads: int = 1,
    script: Path | None = None,
) -> list[str]:
    """The wrk argv for ``spec`` (its duration, or ``duration_seconds`` for a warm-up)."""
    seconds = spec.duration_seconds if duration_seconds is None else duration_seconds
    command = ["wrk", "--latency", "-t", str(threads), "-c", str(max(spec.connections, threads))]
    command += ["-d", wrk_seconds(seconds), "--timeout", wrk_seconds(spec.timeout_seconds)]
    for name, value in spec.headers:
        command += ["-H", f"{name}: {value}"]
    if script is not None:
        command += ["-s", str(script)]
    return [*command, spec.url]


def lua_script(spec: LoadSpec) -> str | None:
    """What wrk needs to send ``spec``'s method and body; None for a plain GET."""
    if spec.method == "GET" and not spec.body_bytes:
        return None
    lines = [f'wrk.method = "{spec.method}"']
    if spec.body_bytes:
        lines.append(f'wrk.body = string.rep("x", {spec.body_bytes})')
    return "\n".join(lines) + "\n"


@contextmanager
def script_file(spec: LoadSpec) -> Iterator[Path | None]:
    """A temporary Lua file for ``spec`` (removed afterwards), or None when not needed."""
    text = lua_script(spec)
    if text is None:
        yield None
        return
    with tempfile.TemporaryDirectory(prefix="labweb-wrk-") as directory:
        path = Path(directory) / "request.lua"
        path.write_text(text)
        yield path


def parse_wrk_output(
    text: str, *, url: str, connections: int, cpu_seconds: float | None = None
) -> LoadResult:
    """A LoadResult from the text of ``wrk --latency``.

    Raises:
        WrkError: the text has no requests line (wrk could not connect, or failed).
    """
    requests = REQUESTS.search(text)
    if requests is None:
        raise WrkError(f"not a wrk report: {text.strip()[-200:]!r}")
    sockets = SOCKET_ERRORS.search(text)
    kinds = ("connect", "read", "write", "timeout")
    error_counts = dict(zip(kinds, map(int, sockets.groups()), strict=True)) if sockets else {}
    http_errors = HTTP_ERRORS.search(text)
    return LoadResult(
        tool="wrk",
        url=url,
        connections=connections,
        duration_seconds=to_milliseconds(*requests.group(2, 3)) / 1000,
        requests=int(requests.group(1)),
        errors=sum(error_counts.values()),
        bytes_received=to_bytes(*requests.group(4, 5)),
        latency_ms=latency_ms(text),
        generator_cpu_seconds=cpu_seconds,
        error_counts={kind: count for kind, count in error_counts.items() if count},
        http_errors=int(http_errors.group(1)) if http_errors else 0,
    )


def latency_ms(text: str) -> dict[str, float]:
    """p50..p99 from the distribution, mean and max from the thread stats."""
    latency = {
        f"p{percent}": to_milliseconds(number, unit)
        for percent, number, unit in DISTRIBUTION.findall(text)
    }
    stats = THREAD_LATENCY.search(text)
    if stats is not None:
        latency["mean"] = to_milliseconds(*stats.group(1, 2))
        latency["max"] = to_milliseconds(*stats.group(3, 4))
    return latency


def to_milliseconds(number: str, unit: str) -> float:
    """'565.00', 'us' -> 0.565, with wrk's time units.

    Raises:
        WrkError: a unit wrk does not print.
    """
    if unit not in TIME_UNITS:
        raise WrkError(f"unknown time unit in wrk output: {number}{unit}")
    return float(number) * TIME_UNITS[unit]


def to_bytes(number: str, unit: str) -> int:
    """'3.83', 'MB' -> bytes; wrk's units are powers of 1024.

    Raises:
        WrkError: a unit wrk does not print.
    """
    if unit not in BYTE_UNITS:
        raise WrkError(f"unknown size unit in wrk output: {number}{unit}")
    return round(float(number) * BYTE_UNITS[unit])


def wrk_can_run(spec: LoadSpec) -> bool:
    """Whether wrk can do all of ``spec``: not the request cap, pipelining or the modes."""
    special: Sequence[object] = (spec.max_requests, spec.idle_connections, spec.slow_readers)
    return spec.connections > 0 and spec.pipeline == 1 and not any(special)
