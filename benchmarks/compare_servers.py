"""Compare labweb with twisted.web's WSGI resource and a canned-response ceiling, under wrk.

Why these: twisted.web is the server labweb has to beat or match on the same reactor,
and the canned Protocol (``benchmarks/canned_server.py``) is what any Twisted server
could reach if parsing, dispatch and framing cost nothing. ``labweb / canned`` is
therefore the share of the reactor's ceiling that labweb keeps. labweb runs twice, each
with its mode given explicitly: ``labweb`` is ``--mode reactor`` (the app in the reactor
thread; the command's default is threads, so the flag is passed), ``labweb-threads`` is
``--mode threads --threads N``.

What the app does is the scenario (``benchmarks/apps.py``): ``hello`` answers at once,
``blocking`` sleeps 10 ms first (a database call), ``cpu`` computes for about 2 ms. The
canned server cannot run an app, so it only takes part in ``hello``. For ``blocking``
the report says how close ``labweb --mode threads --threads N`` comes to N / 10 ms.

How it measures: every server is a subprocess on its own free 127.0.0.1 port, started
with the repository root as cwd and on PYTHONPATH (``benchmarks/`` too). After a short
warm-up, wrk loads them in alternating rounds (A, B, C, A, B, C, ...) so that a drift of
the machine (CPU frequency, another process) is spread over all servers instead of
landing on one, and the table reports the median over rounds. The servers are always
terminated at the end.

Servers are data: add a ``ServerSpec`` to ``SERVER_SPECS`` (a name and a function from
a ``Launch``, i.e. port, app and thread count, to argv) to compare another server or
mode; nothing else changes. Scenarios are data too: ``SCENARIOS`` in ``scenarios.py``.

    python benchmarks/compare_servers.py --scenario blocking --seconds 5 --rounds 3
"""

from __future__ import annotations

import argparse
import json
import os
import re
import shutil
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Sequence
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import IO, Any

from processes import stop_process
from scenarios import SCENARIOS, BlockingTarget

BENCHMARKS_DIR = Path(__file__).resolve().parent
REPO_ROOT = BENCHMARKS_DIR.parent
HOST = "127.0.0.1"

# ``python -m twisted.scripts.twistd`` is a silent no-op: that module defines ``run()``
# but has no ``__main__`` block, so it exits 0 without starting anything. The console
# script ``twistd`` does exactly this instead, and this way the interpreter is always
# the one running the benchmark, whatever is first on PATH.
TWISTD = (sys.executable, "-c", "from twisted.scripts.twistd import run; run()")

START_TIMEOUT_SECONDS = 20.0
STOP_TIMEOUT_SECONDS = 5.0
WRK_GRACE_SECONDS = 30.0
STDERR_TAIL_LINES = 15


class BenchmarkError(Exception):
    """The comparison cannot go on; ``str(error)`` is the one-line reason shown to the user.

    ``details`` holds extra lines (a server's stderr tail) printed below that line.
    """

    def __init__(self, message: str, *, details: Sequence[str] = ()) -> None:
        super().__init__(message)
        self.details = tuple(details)


# --------------------------------------------------------------------------- servers


@dataclass(frozen=True)
class Launch:
    """What a server command is built from: where to listen and what to serve."""

    port: int
    app: str  # module:attribute
    threads: int  # for servers with a thread pool of a chosen size


@dataclass(frozen=True)
class ServerSpec:
    """One server to compare: a name for the table and argv for a given launch.

    ``baseline`` servers get a ratio column: every row is divided by them. A server
    with ``scenarios`` set only runs in those scenarios (None: in all of them).
    """

    name: str
    description: str
    command: Callable[[Launch], list[str]]
    baseline: bool = False
    scenarios: frozenset[str] | None = None
    source_tree: Path | None = None  # another labweb checkout, first on PYTHONPATH


def twistd_command(*plugin_args: str) -> list[str]:
    """Return argv for ``twistd -n`` in the foreground, with no pid file written."""
    return [*TWISTD, "--pidfile=", "-n", *plugin_args]


def listen_on(port: int) -> str:
    """Return the strports description that binds ``port`` on the loopback only."""
    return f"tcp:{port}:interface={HOST}"


def labweb_command(launch: Launch) -> list[str]:
    """labweb through its twistd plugin, ``--mode reactor``: the app in the reactor thread.

    Named explicitly: the default mode is threads, and this row measures the server's
    own cost without a thread hand-off.
    """
    return twistd_command(
        "labweb",
        *("--mode", "reactor"),
        *("--app", launch.app, "--listen", listen_on(launch.port)),
    )


def labweb_workers_command(launch: Launch) -> list[str]:
    """The ``labweb`` row with ``--workers 2``: twistd supervises two worker processes."""
    return [*labweb_command(launch), "--workers", "2"]


def labweb_one_worker_command(launch: Launch) -> list[str]:
    """The ``labweb`` row with ``--workers 1``: what ``--workers 2`` is fairly compared to.

    The same supervisor, shared socket and worker process, only one of them.
    """
    return [*labweb_command(launch), "--workers", "1"]


def labweb_threads_command(launch: Launch) -> list[str]:
    """labweb through its twistd plugin, the app in a pool of ``launch.threads`` threads."""
    return twistd_command(
        "labweb",
        "--mode",
        "threads",
        "--threads",
        str(launch.threads),
        "--app",
        launch.app,
        "--listen",
        listen_on(launch.port),
    )


def twisted_web_command(launch: Launch) -> list[str]:
    """twisted.web's WSGIResource, default access log on.

    ``--wsgi`` gives the resource a ``ThreadPool()`` of its own (5 to 20 threads), not
    the reactor's; ``--threads`` does not apply to it.
    """
    wsgi_fqpn = launch.app.replace(":", ".")
    return twistd_command("web", "--wsgi", wsgi_fqpn, "--listen", listen_on(launch.port))


def canned_command(launch: Launch) -> list[str]:
    """The raw Protocol that answers every request head with the same bytes."""
    return [sys.executable, str(BENCHMARKS_DIR / "canned_server.py"), str(launch.port)]


def labweb_logged_command(launch: Launch) -> list[str]:
    """``labweb`` as above with ``--access-log /dev/null``: what the log's observer costs."""
    return [*labweb_command(launch), "--access-log", os.devnull]


def labweb_native_command(launch: Launch) -> list[str]:
    """labweb serving the native App twin of the scenario (``native_apps.py``)."""
    name = launch.app.partition(":")[2]
    return twistd_command(
        "labweb", "--app", f"native_apps:{name}", "--listen", listen_on(launch.port)
    )


SERVER_SPECS: tuple[ServerSpec, ...] = (
    ServerSpec("labweb", "labweb twistd plugin, --mode reactor", labweb_command),
    ServerSpec(
        "labweb-logged",
        "labweb twistd plugin, --mode reactor, with an access log (to /dev/null)",
        labweb_logged_command,
    ),
    ServerSpec(
        "labweb-native",
        "labweb twistd plugin, a native App (handlers in the reactor thread)",
        labweb_native_command,
        scenarios=frozenset({"hello"}),
    ),
    ServerSpec(
        "labweb-1-worker",
        "labweb twistd plugin, --mode reactor --workers 1 (the same, one worker process)",
        labweb_one_worker_command,
    ),
    ServerSpec(
        "labweb-2-workers",
        "labweb twistd plugin, --mode reactor --workers 2 (two processes, one socket)",
        labweb_workers_command,
    ),
    ServerSpec(
        "labweb-threads",
        "labweb twistd plugin, --mode threads --threads N",
        labweb_threads_command,
    ),
    ServerSpec(
        "twisted-web",
        "twistd web --wsgi (a thread pool of its own, 5 to 20 threads)",
        twisted_web_command,
        baseline=True,
    ),
    ServerSpec(
        "canned",
        "benchmarks/canned_server.py (ceiling; no app, so hello only)",
        canned_command,
        baseline=True,
        scenarios=frozenset({"hello"}),
    ),
)


# Rows that serve labweb's own code: ``--before`` adds a twin of each one chosen.
BEFORE_TWINS = ("labweb", "labweb-native", "labweb-threads")


def before_spec(tree: Path, spec: ServerSpec | None = None) -> ServerSpec:
    """``spec`` (the ``labweb`` row by default) with labweb's code from ``tree``."""
    if spec is None:
        spec = SERVER_SPECS[0]
    return ServerSpec(
        "labweb-before" if spec.name == "labweb" else f"{spec.name}-before",
        f"{spec.description}, code from {tree}",
        spec.command,
        scenarios=spec.scenarios,
        source_tree=tree,
    )


@dataclass
class RunningServer:
    """A started server process, its port, and the files its output goes to.

    Output goes to files, not pipes: a pipe nobody reads fills up and stalls the server
    (twisted.web writes an access-log line per request to stdout).
    """

    spec: ServerSpec
    port: int
    process: subprocess.Popen[bytes]
    stdout_path: Path
    stderr_path: Path


def free_ports(count: int) -> list[int]:
    """Return ``count`` distinct ports that were free on 127.0.0.1 a moment ago.

    All sockets are held open together so the kernel cannot hand out one port twice.
    """
    sockets = [socket.socket(socket.AF_INET, socket.SOCK_STREAM) for _ in range(count)]
    try:
        for sock in sockets:
            sock.bind((HOST, 0))
        return [int(sock.getsockname()[1]) for sock in sockets]
    finally:
        for sock in sockets:
            sock.close()


def child_environment(source_tree: Path | None = None) -> dict[str, str]:
    """Return the environment with the repository root and ``benchmarks/`` on PYTHONPATH.

    ``source_tree`` (another checkout of labweb) goes first, so its code is served.
    """
    env = dict(os.environ)
    inherited = filter(None, env.get("PYTHONPATH", "").split(os.pathsep))
    first = [str(source_tree)] if source_tree is not None else []
    paths = [*first, str(REPO_ROOT), str(BENCHMARKS_DIR), *inherited]
    env["PYTHONPATH"] = os.pathsep.join(paths)
    env["PYTHONUNBUFFERED"] = "1"
    return env


def start_server(spec: ServerSpec, launch: Launch, log_dir: Path) -> RunningServer:
    """Start ``spec`` as ``launch`` says, in the repository root; do not wait for it."""
    stdout_path = log_dir / f"{spec.name}.stdout.log"
    stderr_path = log_dir / f"{spec.name}.stderr.log"
    with stdout_path.open("wb") as out, stderr_path.open("wb") as err:
        process = subprocess.Popen(
            spec.command(launch),
            cwd=REPO_ROOT,
            env=child_environment(spec.source_tree),
            stdin=subprocess.DEVNULL,
            stdout=out,
            stderr=err,
        )
    return RunningServer(spec, launch.port, process, stdout_path, stderr_path)


def output_tail(server: RunningServer) -> list[str]:
    """Return the last lines of the server's stderr, or of its stdout if stderr is empty."""
    for path in (server.stderr_path, server.stdout_path):
        lines = path.read_text(errors="replace").splitlines()
        if lines:
            return [f"  {path.name}: {line}" for line in lines[-STDERR_TAIL_LINES:]]
    return ["  (the server wrote nothing to stdout or stderr)"]


def server_failed(server: RunningServer, reason: str) -> BenchmarkError:
    """Build the error for a server that died or never answered, with its output tail."""
    message = f"server {server.spec.name!r} on {HOST}:{server.port} {reason}"
    return BenchmarkError(message, details=output_tail(server))


def wait_until_answering(server: RunningServer, timeout_seconds: float) -> None:
    """Poll the port with TCP connects until it accepts one, for at most the timeout.

    Raises:
        BenchmarkError: the process exited, or the port never accepted a connection.
    """
    deadline = time.monotonic() + timeout_seconds
    while time.monotonic() < deadline:
        code = server.process.poll()
        if code is not None:
            raise server_failed(server, f"did not start: exited with code {code}")
        try:
            with socket.create_connection((HOST, server.port), timeout=0.5):
                return
        except OSError:
            time.sleep(0.1)
    raise server_failed(server, f"did not start: no answer within {timeout_seconds:.0f}s")


def check_hello(server: RunningServer) -> None:
    """Send one GET and insist on a 200, so wrk never measures a server's error page.

    Raises:
        BenchmarkError: no answer, or a status other than 200.
    """
    request = f"GET / HTTP/1.1\r\nHost: {HOST}:{server.port}\r\nConnection: close\r\n\r\n"
    try:
        with socket.create_connection((HOST, server.port), timeout=5.0) as sock:
            sock.sendall(request.encode("ascii"))
            status_line = sock.makefile("rb").readline(1024).decode("latin-1").strip()
    except OSError as error:
        raise server_failed(server, f"accepted but did not answer a GET: {error}") from None
    if status_line.split(" ")[1:2] != ["200"]:
        raise server_failed(server, f"answered GET / with {status_line!r}, not 200")


def stop_server(server: RunningServer) -> None:
    """SIGTERM the server, wait a little, then SIGKILL it if it is still there."""
    stop_process(server.process, STOP_TIMEOUT_SECONDS)


def start_all(options: argparse.Namespace, log_dir: Path, started: list[RunningServer]) -> None:
    """Start every server, then wait for each to answer a real request.

    Servers are appended to ``started`` as soon as they exist, so the caller's
    ``finally`` stops them even when a later one fails.
    """
    specs: list[ServerSpec] = options.specs
    for spec, port in zip(specs, free_ports(len(specs)), strict=True):
        launch = Launch(port, options.scenario.app, options.threads)
        started.append(start_server(spec, launch, log_dir))
    for server in started:
        wait_until_answering(server, START_TIMEOUT_SECONDS)
        check_hello(server)


# --------------------------------------------------------------------------- wrk


@dataclass(frozen=True)
class WrkResult:
    """What one wrk run reported; latencies in milliseconds."""

    requests_per_second: float
    p50_ms: float
    p99_ms: float
    requests: int
    socket_errors: int
    non_2xx_3xx: int


LATENCY_UNITS_MS = {"us": 0.001, "ms": 1.0, "s": 1000.0, "m": 60_000.0, "h": 3_600_000.0}
RE_RATE = re.compile(r"^Requests/sec:\s+([\d.]+)\s*$", re.MULTILINE)
RE_REQUESTS = re.compile(r"^\s*(\d+) requests in ", re.MULTILINE)
RE_PERCENTILE = re.compile(r"^\s*(50|99)(?:\.0+)?%\s+([\d.]+)(us|ms|s|m|h)\s*$", re.MULTILINE)
RE_SOCKET_ERRORS = re.compile(
    r"Socket errors: connect (\d+), read (\d+), write (\d+), timeout (\d+)"
)
RE_NON_2XX = re.compile(r"Non-2xx or 3xx responses: (\d+)")


def parse_wrk_output(text: str) -> WrkResult:
    """Read req/s, p50/p99 latency and error counts from ``wrk --latency`` output.

    Raises:
        BenchmarkError: a required line (Requests/sec, 50%, 99%) is missing.
    """
    rate = RE_RATE.search(text)
    percentiles = {
        match[1]: float(match[2]) * LATENCY_UNITS_MS[match[3]]
        for match in RE_PERCENTILE.finditer(text)
    }
    if rate is None or set(percentiles) != {"50", "99"}:
        raise BenchmarkError("could not read Requests/sec and 50%/99% latency from wrk output")
    requests = RE_REQUESTS.search(text)
    socket_errors = RE_SOCKET_ERRORS.search(text)
    non_2xx = RE_NON_2XX.search(text)
    return WrkResult(
        requests_per_second=float(rate[1]),
        p50_ms=percentiles["50"],
        p99_ms=percentiles["99"],
        requests=int(requests[1]) if requests else 0,
        socket_errors=sum(map(int, socket_errors.groups())) if socket_errors else 0,
        non_2xx_3xx=int(non_2xx[1]) if non_2xx else 0,
    )


def run_wrk(wrk: str, port: int, seconds: int, connections: int) -> WrkResult:
    """Load ``http://127.0.0.1:port/`` with one wrk thread for ``seconds``.

    Raises:
        BenchmarkError: wrk failed, hung past its duration plus a grace period, or
            printed something unreadable.
    """
    argv = [wrk, "-t1", f"-c{connections}", f"-d{seconds}s", "--latency", f"http://{HOST}:{port}/"]
    try:
        done = subprocess.run(
            argv, capture_output=True, text=True, timeout=seconds + WRK_GRACE_SECONDS
        )
    except subprocess.TimeoutExpired:
        raise BenchmarkError(f"wrk did not finish: {' '.join(argv)}") from None
    if done.returncode != 0:
        reason = (done.stderr or done.stdout).strip().splitlines()[-1:] or ["no output"]
        raise BenchmarkError(f"wrk exited with code {done.returncode}: {reason[0]}")
    return parse_wrk_output(done.stdout)


# --------------------------------------------------------------------------- rounds


@dataclass
class ServerResults:
    """All rounds measured for one server."""

    spec: ServerSpec
    rounds: list[WrkResult] = field(default_factory=list)

    def median(self, metric: str) -> float:
        """Median of one ``WrkResult`` field over the rounds."""
        return float(statistics.median(getattr(result, metric) for result in self.rounds))

    def spread_percent(self) -> float:
        """(max - min) / median of req/s: how much to trust the differences."""
        rates = [result.requests_per_second for result in self.rounds]
        median = statistics.median(rates)
        return 100.0 * (max(rates) - min(rates)) / median if median else 0.0


def ensure_running(server: RunningServer) -> None:
    """Raise if a server died under load, instead of letting wrk measure a dead port."""
    code = server.process.poll()
    if code is not None:
        raise server_failed(server, f"exited with code {code} during the benchmark")


def run_rounds(
    servers: Sequence[RunningServer], options: argparse.Namespace, wrk: str
) -> list[ServerResults]:
    """Warm every server up once, then load them in alternating rounds A, B, C, A, B, C."""
    results = [ServerResults(server.spec) for server in servers]
    if options.warmup_seconds > 0:
        for server in servers:
            progress(f"warm-up  {server.spec.name:<18} {options.warmup_seconds}s")
            run_wrk(wrk, server.port, options.warmup_seconds, options.connections)
    for round_number in range(1, options.rounds + 1):
        for server, server_results in zip(servers, results, strict=True):
            ensure_running(server)
            result = run_wrk(wrk, server.port, options.seconds, options.connections)
            ensure_running(server)
            server_results.rounds.append(result)
            progress(
                f"round {round_number}  {server.spec.name:<18} "
                f"{result.requests_per_second:>10.1f} req/s  p99 {result.p99_ms:.2f} ms"
            )
    return results


def progress(line: str) -> None:
    """Report progress on stderr, leaving stdout for the table."""
    print(line, file=sys.stderr, flush=True)


# --------------------------------------------------------------------------- report


def ratios(results: Sequence[ServerResults]) -> dict[str, dict[str, float]]:
    """Median req/s of every server divided by that of every baseline server present."""
    baselines = [item for item in results if item.spec.baseline]
    return {
        item.spec.name: {
            base.spec.name: item.median("requests_per_second") / base.median("requests_per_second")
            for base in baselines
            if base.median("requests_per_second") > 0
        }
        for item in results
    }


def format_table(results: Sequence[ServerResults]) -> str:
    """Render medians, spread, errors and ratio-to-baseline columns as plain text."""
    table_ratios = ratios(results)
    baselines = [item.spec.name for item in results if item.spec.baseline]
    header = f"{'server':<18}{'req/s':>11}{'spread':>8}{'p50 ms':>9}{'p99 ms':>9}{'errors':>8}"
    header += "".join(f"{'/ ' + name:>15}" for name in baselines)
    lines = [header, "-" * len(header)]
    for item in results:
        errors = sum(r.socket_errors + r.non_2xx_3xx for r in item.rounds)
        row = (
            f"{item.spec.name:<18}{item.median('requests_per_second'):>11.1f}"
            f"{item.spread_percent():>7.1f}%{item.median('p50_ms'):>9.2f}"
            f"{item.median('p99_ms'):>9.2f}{errors:>8}"
        )
        row += "".join(f"{table_ratios[item.spec.name].get(b, 0.0):>15.3f}" for b in baselines)
        lines.append(row)
    return "\n".join(lines)


def headline(results: Sequence[ServerResults]) -> list[str]:
    """One line per (measured server, baseline) pair, e.g. ``labweb / canned = 0.412``."""
    return [
        f"{name} / {base} = {value:.3f}"
        for name, by_base in ratios(results).items()
        if name not in {item.spec.name for item in results if item.spec.baseline}
        for base, value in by_base.items()
    ]


def blocking_target(
    results: Sequence[ServerResults], options: argparse.Namespace
) -> BlockingTarget | None:
    """The target for the blocking scenario, if it ran with labweb-threads; else None."""
    if options.scenario.name != "blocking":
        return None
    for item in results:
        if item.spec.name == "labweb-threads":
            return BlockingTarget(options.threads, item.median("requests_per_second"))
    return None


def tool_version(argv: Sequence[str]) -> str:
    """Return the first output line of a version command, or '' if it fails."""
    try:
        done = subprocess.run(argv, capture_output=True, text=True, timeout=10)
    except (OSError, subprocess.TimeoutExpired):
        return ""
    return (
        (done.stdout or done.stderr).strip().splitlines()[0] if done.stdout or done.stderr else ""
    )


def write_json(
    path: Path, results: Sequence[ServerResults], options: argparse.Namespace, wrk: str
) -> None:
    """Write settings, versions, every round and the medians/ratios as JSON."""
    table_ratios = ratios(results)
    target = blocking_target(results, options)
    document: dict[str, Any] = {
        "settings": {
            "scenario": options.scenario.name,
            "app": options.scenario.app,
            "threads": options.threads,
            **{
                key: getattr(options, key)
                for key in ("seconds", "rounds", "connections", "warmup_seconds")
            },
        },
        "versions": {"python": sys.version.split()[0], "wrk": tool_version([wrk, "--version"])},
        "servers": [
            {
                "name": item.spec.name,
                "description": item.spec.description,
                "baseline": item.spec.baseline,
                "median_requests_per_second": item.median("requests_per_second"),
                "median_p50_ms": item.median("p50_ms"),
                "median_p99_ms": item.median("p99_ms"),
                "spread_percent": item.spread_percent(),
                "ratios": table_ratios[item.spec.name],
                "rounds": [asdict(result) for result in item.rounds],
            }
            for item in results
        ],
    }
    if target is not None:
        document["blocking_target"] = {
            **asdict(target),
            "ceiling_requests_per_second": target.ceiling_requests_per_second,
            "percent": target.percent,
        }
    path.write_text(json.dumps(document, indent=2) + "\n")


# --------------------------------------------------------------------------- CLI


def positive_int(text: str) -> int:
    """argparse type: an integer of at least 1."""
    value = int(text)
    if value < 1:
        raise argparse.ArgumentTypeError(f"must be at least 1, not {value}")
    return value


def build_parser() -> argparse.ArgumentParser:
    """The command line, with the defaults the README's commands rely on."""
    names = [spec.name for spec in SERVER_SPECS]
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0] if __doc__ else None)
    parser.add_argument(
        "--scenario", choices=list(SCENARIOS), default="hello", help="what the app does"
    )
    parser.add_argument("--seconds", type=positive_int, default=5, help="wrk duration per run")
    parser.add_argument("--rounds", type=positive_int, default=3, help="alternating rounds")
    parser.add_argument(
        "--connections",
        type=positive_int,
        default=16,
        help="wrk -c (blocking: at least 2 x --threads, so every thread has work)",
    )
    parser.add_argument("--threads", type=positive_int, default=8, help="labweb-threads' --threads")
    parser.add_argument(
        "--warmup-seconds", type=int, default=1, help="unmeasured wrk run per server first"
    )
    parser.add_argument("--json", type=Path, metavar="PATH", help="also write results here")
    parser.add_argument(
        "--only", default=",".join(names), help=f"comma list of servers from: {', '.join(names)}"
    )
    parser.add_argument(
        "--before",
        type=Path,
        metavar="DIR",
        help="also serve another labweb checkout (e.g. a git worktree of an older commit): "
        "each labweb, labweb-native or labweb-threads row chosen gets a NAME-before twin "
        "(labweb's is labweb-before), to compare a change in one run",
    )
    return parser


def parse_args(argv: Sequence[str] | None) -> argparse.Namespace:
    """Parse the command line; ``--only`` is checked against ``SERVER_SPECS``.

    Servers that do not take part in the scenario (canned outside hello) are left out
    with a note on stderr. In the blocking scenario wrk opens at least two connections
    per labweb-threads thread: with fewer, idle threads would cap the rate, not labweb.
    """
    parser = build_parser()
    options = parser.parse_args(argv)
    names = [spec.name for spec in SERVER_SPECS]
    chosen = [name.strip() for name in options.only.split(",") if name.strip()]
    unknown = sorted(set(chosen) - set(names))
    if unknown or not chosen:
        parser.error(f"--only: unknown or no server names {unknown}; choose from {names}")
    options.scenario = SCENARIOS[options.scenario]
    options.specs = []
    for spec in SERVER_SPECS:
        if spec.name not in chosen:
            continue
        if spec.scenarios is not None and options.scenario.name not in spec.scenarios:
            progress(f"skipping {spec.name}: it only runs in {', '.join(sorted(spec.scenarios))}")
            continue
        options.specs.append(spec)
    if options.before is not None:
        if not (options.before / "twisted_wsgi_lab").is_dir():
            parser.error(f"--before {options.before}: no twisted_wsgi_lab package there")
        tree = options.before.resolve()
        twins = [before_spec(tree, spec) for spec in options.specs if spec.name in BEFORE_TWINS]
        options.specs[:0] = twins or [before_spec(tree)]
    if not options.specs:
        parser.error(f"--only: none of {chosen} runs in the {options.scenario.name} scenario")
    if options.scenario.name == "blocking" and options.connections < 2 * options.threads:
        options.connections = 2 * options.threads
        progress(f"blocking: {options.connections} connections (2 x --threads)")
    return options


def report(results: Sequence[ServerResults], options: argparse.Namespace, out: IO[str]) -> None:
    """Print the settings lines, the table, the headline ratios and any target."""
    scenario = options.scenario
    print(
        f"scenario {scenario.name} ({scenario.app}: {scenario.description}), "
        f"labweb-threads --threads {options.threads}",
        file=out,
    )
    print(
        f"wrk -t1 -c{options.connections} -d{options.seconds}s, {options.rounds} round(s), "
        f"median over rounds; spread = (max - min) / median of req/s",
        file=out,
    )
    print(format_table(results), file=out)
    for line in headline(results):
        print(line, file=out)
    target = blocking_target(results, options)
    if target is not None:
        print(target.line(), file=out)


def main(argv: Sequence[str] | None = None) -> int:
    """Run the comparison; return 0, or 1 with a one-line reason on stderr."""
    options = parse_args(argv)
    wrk = shutil.which("wrk")
    servers: list[RunningServer] = []
    try:
        if wrk is None:
            raise BenchmarkError("wrk is not installed (Debian/Ubuntu: apt-get install wrk)")
        with tempfile.TemporaryDirectory(prefix="compare_servers-") as log_dir:
            try:
                start_all(options, Path(log_dir), servers)
                results = run_rounds(servers, options, wrk)
            finally:
                for server in servers:
                    stop_server(server)
    except BenchmarkError as error:
        print(f"compare_servers: error: {error}", file=sys.stderr)
        for line in error.details:
            print(line, file=sys.stderr)
        return 1
    report(results, options, sys.stdout)
    if options.json is not None:
        write_json(options.json, results, options, wrk)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
