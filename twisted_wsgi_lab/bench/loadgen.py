"""labweb's own HTTP/1.1 load generator, on Twisted, for machines without wrk.

    python -m twisted_wsgi_lab.bench.loadgen http://127.0.0.1:8000/ -c 16 -d 10

prints one JSON object on stdout, ``LoadResult.to_json()`` with ``tool="loadgen"``.
``-c C`` keep-alive connections each send a request, wait for the whole answer, and
send the next (``--pipeline N`` keeps N outstanding instead). The run stops by itself
after ``-d`` seconds, or once ``-n`` requests were answered, whichever comes first;
``--warmup S`` loads for S seconds before anything is counted. ``-m``, ``-H 'Name:
value'`` (repeatable) and ``--body-bytes N`` (N bytes with Content-Length; POST when
``-m`` is not given) shape the request. A request unanswered after ``--timeout``
seconds is a timeout error and its connection is replaced; a ``Connection: close``
answer is counted in ``reconnects`` and the connection replaced. Latencies go into an
HDR-style histogram (``histogram.py``); ``generator_cpu_seconds`` is this process's
user + system CPU while measuring, since the load shares the machine with the server.

Two modes for the benchmark scenarios:

- Idle connections: ``--idle-connections K --idle-seconds S`` opens K connections
  first, makes one GET of the URL's path on each (so the server really accepted it),
  prints ``loadgen: idle-ready established=E of K`` on stderr, and holds them silent
  for S seconds (a runner measures the server's memory meanwhile). ``-c 0`` for idle
  only; with ``-c C`` the load runs during the hold. Reported: ``idle_connections``,
  ``idle_connections_established``, ``idle_connections_dropped`` (closed by the server
  during the hold).
- Slow readers: ``--slow-readers K --slow-path PATH`` opens K extra connections that
  GET PATH (a large response) and read at most ``--slow-read-bytes B`` every
  ``--slow-read-interval-ms T`` (a small receive window, the transport paused between
  reads), again and again, while the C connections load the server as usual. The
  figures are the C connections' only; ``slow_reader_bytes`` says what the slow ones
  read. Run once without and once with slow readers to see whether they hold others back.

Errors (``errors``, and ``error_counts`` by kind: connect, read, timeout, protocol)
are those of every connection, idle and slow ones included; the other figures are
the load connections' (the idle ones' when ``-c 0``).

Load only goes to 127.0.0.1, ::1 or localhost; any other host is refused (exit 2).
Every run is bounded: it ends after warm-up + duration (plus the idle hold, the
set-up of idle and slow connections and one timeout) even if the server hangs.

From Python: ``run_load(reactor, LoadSpec(...))`` runs in this process and fires with
the ``LoadResult``; ``load_tool.run_load_process(spec)`` runs it in a child process,
with wrk when it is installed and able to.
"""

from __future__ import annotations

import argparse
import json
import resource
import sys
import time
from collections import Counter
from collections.abc import Callable, Sequence
from typing import Any

from twisted.internet.defer import Deferred, ensureDeferred
from twisted.internet.task import deferLater

from .load_connection import ConnectionGroup, LoadCounters, ReadPace, RequestBudget
from .load_result import LoadResult
from .load_spec import LoadSpec, NotLoopbackError

POLL_SECONDS = 0.01
LATENCY_KEYS = {"p50": 50.0, "p75": 75.0, "p90": 90.0, "p99": 99.0}


def cpu_seconds() -> float:
    """User + system CPU this process has used so far."""
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_utime + usage.ru_stime


class LoadRun:
    """One run of a ``LoadSpec``: idle connections, slow readers, then the load."""

    def __init__(
        self, reactor: Any, spec: LoadSpec, *, on_idle_ready: Callable[[int], None] | None = None
    ) -> None:
        self.reactor = reactor
        self.spec = spec
        self.on_idle_ready = on_idle_ready
        self.groups: list[ConnectionGroup] = []
        self.idle: ConnectionGroup | None = None
        self.slow: ConnectionGroup | None = None
        self.load: ConnectionGroup | None = None

    def start(self) -> Deferred[LoadResult]:
        """Run; the Deferred fires with the result, or fails after the hard deadline."""
        finished = ensureDeferred(self.run())
        finished.addTimeout(self.spec.hard_deadline_seconds, self.reactor)
        finished.addBoth(self.stop_all)
        return finished

    async def run(self) -> LoadResult:
        """Idle connections first, then slow readers, then the measured load.

        Without load (``-c 0``) the figures are the idle connections' one request
        each, timed from the first connect to the end of the hold.
        """
        spec = self.spec
        started, cpu_before = time.perf_counter(), cpu_seconds()
        hold_until = 0.0
        if spec.idle_connections:
            await self.open_idle()
            hold_until = time.perf_counter() + spec.idle_seconds
        if spec.slow_readers:
            await self.open_slow_readers()
        if spec.connections:
            started, cpu_before = await self.warm_up()
            await self.measure()
        ended = time.perf_counter()
        await self.sleep(hold_until - ended)
        if not spec.connections:
            ended = time.perf_counter()
        return self.result(ended - started, cpu_seconds() - cpu_before)

    async def open_idle(self) -> None:
        spec = self.spec
        idle = self.idle = self.group(
            spec.idle_connections, spec.idle_request_bytes(), requests_per_connection=1
        )
        await self.until(lambda: idle.settled >= spec.idle_connections, spec.timeout_seconds)
        if self.on_idle_ready is not None:
            self.on_idle_ready(len(idle.open & idle.answered_once))

    async def open_slow_readers(self) -> None:
        spec = self.spec
        pace = ReadPace(spec.slow_read_bytes, spec.slow_read_interval_ms / 1000)
        slow = self.slow = self.group(
            spec.slow_readers, spec.slow_request_bytes(), pace=pace, timeout_seconds=None
        )

        def reading() -> bool:
            return len(slow.open) >= spec.slow_readers and slow.counters.bytes_received > 0

        await self.until(reading, spec.timeout_seconds)

    async def warm_up(self) -> tuple[float, float]:
        """Start the load; after the warm-up, forget what it measured and set the budget."""
        spec = self.spec
        load = self.load = self.group(
            spec.connections,
            spec.request_bytes(),
            budget=RequestBudget(),
            head_request=spec.method == "HEAD",
            pipeline=spec.pipeline,
        )
        if spec.warmup_seconds:
            await self.sleep(spec.warmup_seconds)
        now = time.perf_counter()
        load.counters = LoadCounters(measure_from=now)  # the warm-up is forgotten
        load.budget.left = spec.max_requests
        return now, cpu_seconds()

    async def measure(self) -> None:
        """Wait for the duration, or until the request budget is spent and answered."""
        load = self.load
        if load is None:
            return
        done: Deferred[None] = Deferred()

        def finish() -> None:
            if not done.called:
                done.callback(None)

        # drained is noticed inside a connection's dataReceived: finish after it returns
        load.when_drained = lambda: self.reactor.callLater(0, finish)
        load.check_drained()
        deadline = self.reactor.callLater(self.spec.duration_seconds, finish)
        await done
        if deadline.active():
            deadline.cancel()
        load.stop()

    def group(self, count: int, request: bytes, **options: Any) -> ConnectionGroup:
        spec = self.spec
        options.setdefault("timeout_seconds", spec.timeout_seconds)
        group = ConnectionGroup(
            self.reactor, address=spec.address, request=request, count=count, **options
        )
        self.groups.append(group)
        group.start()
        return group

    async def until(self, condition: Callable[[], bool], timeout_seconds: float) -> None:
        deadline = time.perf_counter() + timeout_seconds
        while not condition() and time.perf_counter() < deadline:
            await self.sleep(POLL_SECONDS)

    async def sleep(self, seconds: float) -> None:
        if seconds > 0:
            await deferLater(self.reactor, seconds)

    def stop_all(self, outcome: Any) -> Any:
        for group in self.groups:
            group.stop()
        return outcome

    def result(self, duration_seconds: float, cpu: float) -> LoadResult:
        """The figures of the load connections (of the idle ones when there is no load)."""
        spec = self.spec
        main = self.load or self.idle
        counters = main.counters if main is not None else None
        errors: Counter[str] = Counter()
        for group in self.groups:
            errors.update(group.counters.errors)
        histogram = counters.histogram if counters is not None else None
        latency: dict[str, float] = {}
        if histogram is not None and histogram.count:
            values = histogram.percentiles(LATENCY_KEYS.values())
            latency = {key: value / 1000 for key, value in zip(LATENCY_KEYS, values, strict=True)}
            latency |= {"max": histogram.max / 1000, "mean": histogram.mean / 1000}
        return LoadResult(
            tool="loadgen",
            url=spec.url,
            connections=spec.connections,
            duration_seconds=duration_seconds,
            requests=counters.requests if counters else 0,
            errors=sum(errors.values()),
            status_counts=dict(counters.status_counts) if counters else {},
            bytes_received=counters.bytes_received if counters else 0,
            latency_ms=latency,
            generator_cpu_seconds=cpu,
            error_counts=dict(errors),
            http_errors=counters.http_errors if counters else 0,
            reconnects=counters.reconnects if counters else 0,
            **self.mode_fields(),
        )

    def mode_fields(self) -> dict[str, int]:
        idle, slow = self.idle, self.slow
        fields = {"idle_connections": self.spec.idle_connections}
        fields["idle_connections_established"] = len(idle.answered_once) if idle else 0
        fields["idle_connections_dropped"] = idle.dropped if idle else 0
        fields["slow_readers"] = self.spec.slow_readers
        fields["slow_reader_bytes"] = slow.counters.bytes_received if slow else 0
        return fields


def run_load(
    reactor: Any, spec: LoadSpec, *, on_idle_ready: Callable[[int], None] | None = None
) -> Deferred[LoadResult]:
    """Run ``spec`` in this process on a running ``reactor``; fires with the result."""
    return LoadRun(reactor, spec, on_idle_ready=on_idle_ready).start()


# (flags, metavar, type, default, help) of every flag but -H
FLAGS: tuple[tuple[tuple[str, ...], str, type, object, str], ...] = (
    (("-c", "--connections"), "C", int, 10, "keep-alive connections (default 10)"),
    (("-d", "--duration"), "S", float, 10.0, "seconds of load, a cap (default 10)"),
    (("-n", "--requests"), "N", int, None, "stop after this many answers"),
    (("--warmup",), "S", float, 0.0, "seconds of unmeasured load first"),
    (("-m", "--method"), "METHOD", str, None, "default GET, or POST with --body-bytes"),
    (("--body-bytes",), "N", int, 0, "send a body of N bytes, with Content-Length"),
    (("--timeout",), "S", float, 5.0, "seconds per request (default 5)"),
    (("--pipeline",), "N", int, 1, "requests outstanding per connection (default 1)"),
    (("--idle-connections",), "K", int, 0, "K connections held idle (see below)"),
    (("--idle-seconds",), "S", float, 0.0, "how long to hold them"),
    (("--slow-readers",), "K", int, 0, "K connections reading slowly (see below)"),
    (("--slow-path",), "PATH", str, "/", "what the slow readers GET (a large response)"),
    (("--slow-read-bytes",), "B", int, 4096, "bytes per slow read (default 4096)"),
    (("--slow-read-interval-ms",), "T", float, 100.0, "ms between slow reads (default 100)"),
)


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="python -m twisted_wsgi_lab.bench.loadgen",
        description="Load an HTTP/1.1 server on 127.0.0.1 or ::1; print a LoadResult as JSON.",
        epilog="Two modes" + (__doc__ or "").partition("Two modes")[2],
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("url", help="http://127.0.0.1:PORT/PATH (or [::1], or localhost)")
    for flags, metavar, kind, default, text in FLAGS:
        parser.add_argument(*flags, metavar=metavar, type=kind, default=default, help=text)
    parser.add_argument(
        "-H", "--header", metavar="'NAME: VALUE'", action="append", default=[], help="repeatable"
    )
    return parser


def spec_from_arguments(arguments: argparse.Namespace) -> LoadSpec:
    """The flags as a ``LoadSpec``; its checks become usage errors.

    Raises:
        ValueError: a header without a colon, or what ``LoadSpec`` refuses.
    """
    headers = []
    for header in arguments.header:
        name, colon, value = header.partition(":")
        if not colon or not name.strip():
            raise ValueError(f"-H wants 'Name: value', not {header!r}")
        headers.append((name.strip(), value.strip()))
    method = arguments.method or ("POST" if arguments.body_bytes else "GET")
    return LoadSpec(
        url=arguments.url,
        connections=arguments.connections,
        duration_seconds=arguments.duration,
        max_requests=arguments.requests,
        warmup_seconds=arguments.warmup,
        method=method.upper(),
        headers=tuple(headers),
        body_bytes=arguments.body_bytes,
        timeout_seconds=arguments.timeout,
        pipeline=arguments.pipeline,
        idle_connections=arguments.idle_connections,
        idle_seconds=arguments.idle_seconds,
        slow_readers=arguments.slow_readers,
        slow_path=arguments.slow_path,
        slow_read_bytes=arguments.slow_read_bytes,
        slow_read_interval_ms=arguments.slow_read_interval_ms,
    )


def raise_open_files_limit() -> None:
    """Idle-connection runs open thousands of sockets: lift the soft limit to the hard one."""
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    if soft < hard:
        resource.setrlimit(resource.RLIMIT_NOFILE, (hard, hard))


def main(argv: Sequence[str] | None = None) -> None:
    """Parse the flags, run, print the JSON; exit 2 on a usage error or a remote host."""
    parser = build_parser()
    arguments = parser.parse_args(argv)
    try:
        spec = spec_from_arguments(arguments)
    except NotLoopbackError as error:
        parser.exit(2, f"loadgen: {error}\n")
    except ValueError as error:
        parser.error(str(error))
    raise_open_files_limit()

    def announce(established: int) -> None:
        total = spec.idle_connections
        print(f"loadgen: idle-ready established={established} of {total}", file=sys.stderr)
        sys.stderr.flush()

    def print_result(result: LoadResult) -> None:
        print(json.dumps(result.to_json()))

    from twisted.internet.task import react

    react(lambda reactor: run_load(reactor, spec, on_idle_ready=announce).addCallback(print_result))


if __name__ == "__main__":
    main()
