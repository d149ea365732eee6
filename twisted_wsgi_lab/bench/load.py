"""The seam between ``labweb bench`` and whatever generates the load.

Everything else in the bench asks for load through ``run_load(plan) -> LoadResult`` and
nothing more. The body below is a temporary, wrk-only one: wrk for the measured
requests (a Lua script when they carry a body), and plain sockets in threads for the
side load wrk cannot make (idle keep-alive connections, slow readers). It is meant to
be replaced by ``bench/wrk.py`` and ``bench/loadgen.py`` (wrk if installed, else
labweb's own Twisted load generator in a process of its own), without the callers
changing.
"""

from __future__ import annotations

import contextlib
import math
import re
import resource
import selectors
import shutil
import socket
import subprocess
import tempfile
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

from .apps import SLOW_BODY_BYTES
from .load_result import LoadResult
from .processes import BenchError

WRK_GRACE_SECONDS = 30.0
SLOW_READ_BYTES = 16 * 1024
SLOW_READ_PAUSE_SECONDS = 0.1
SOCKET_TIMEOUT_SECONDS = 10.0
IDLE_OPEN_SECONDS = 10.0  # for all the idle connections together


@dataclass(frozen=True)
class LoadPlan:
    """One load run: ``connections`` busy clients on ``url`` for ``seconds``, plus side load.

    ``idle_connections`` each make one request and then stay open, silent, for the
    whole run; ``slow_readers`` keep fetching ``slow_path`` and read it slowly.
    """

    url: str
    connections: int
    seconds: float
    method: str = "GET"
    body_bytes: int = 0
    idle_connections: int = 0
    slow_readers: int = 0
    slow_path: str = "/big"


def load_tool() -> str:
    """The name of the load generator ``run_load`` uses: shown in the report."""
    return "wrk"


def load_tool_available() -> str | None:
    """None when the load generator can run, else a one-line reason."""
    if shutil.which("wrk") is None:
        return "wrk is not installed (Debian/Ubuntu: apt-get install wrk)"
    return None


def run_load(plan: LoadPlan) -> LoadResult:
    """Run ``plan`` against 127.0.0.1 and return what the measured clients saw.

    Raises:
        BenchError: the load generator failed or printed something unreadable.
    """
    with side_load(plan):
        return run_wrk(plan)


# --------------------------------------------------------------------------- wrk


LATENCY_UNITS_MS = {"us": 0.001, "ms": 1.0, "s": 1000.0, "m": 60_000.0}
RE_SUMMARY = re.compile(r"^\s*(\d+) requests in ([\d.]+)(us|ms|s|m),", re.MULTILINE)
RE_PERCENTILE = re.compile(r"^\s*(50|75|90|99)(?:\.0+)?%\s+([\d.]+)(us|ms|s|m)\s*$", re.MULTILINE)
RE_MAX = re.compile(r"^[ \t]*Latency[ \t]+\S+[ \t]+\S+[ \t]+([\d.]+)(us|ms|s|m)", re.MULTILINE)
RE_SOCKET_ERRORS = re.compile(
    r"Socket errors: connect (\d+), read (\d+), write (\d+), timeout (\d+)"
)
RE_NON_2XX = re.compile(r"Non-2xx or 3xx responses: (\d+)")
RE_READ = re.compile(r"requests in [^,]+, ([\d.]+)([KMGT]?B) read")
BYTE_UNITS = {"B": 1, "KB": 1024, "MB": 1024**2, "GB": 1024**3, "TB": 1024**4}


def parse_wrk_output(text: str, *, url: str, connections: int) -> LoadResult:
    """Read counts, duration and latency percentiles from ``wrk --latency`` output.

    Raises:
        BenchError: the summary line or the 50%/99% latency lines are missing.
    """
    summary = RE_SUMMARY.search(text)
    percentiles = {
        f"p{match[1]}": float(match[2]) * LATENCY_UNITS_MS[match[3]]
        for match in RE_PERCENTILE.finditer(text)
    }
    if summary is None or not {"p50", "p99"} <= set(percentiles):
        raise BenchError("could not read the request count and 50%/99% latency from wrk output")
    latest = RE_MAX.search(text)
    if latest is not None:
        percentiles["max"] = float(latest[1]) * LATENCY_UNITS_MS[latest[2]]
    socket_errors = RE_SOCKET_ERRORS.search(text)
    non_2xx = RE_NON_2XX.search(text)
    read = RE_READ.search(text)
    requests = int(summary[1])
    bad = int(non_2xx[1]) if non_2xx else 0
    return LoadResult(
        tool="wrk",
        url=url,
        connections=connections,
        duration_seconds=float(summary[2]) * LATENCY_UNITS_MS[summary[3]] / 1000.0,
        requests=requests,
        errors=sum(map(int, socket_errors.groups())) if socket_errors else 0,
        status_counts={"2xx-3xx": requests - bad, "other": bad},
        bytes_received=int(float(read[1]) * BYTE_UNITS[read[2]]) if read else 0,
        latency_ms=percentiles,
    )


def wrk_script(plan: LoadPlan, directory: Path) -> list[str]:
    """``-s script.lua`` arguments that set the method and a body, if the plan has one."""
    if plan.method == "GET" and plan.body_bytes == 0:
        return []
    script = directory / "request.lua"
    script.write_text(
        f'wrk.method = "{plan.method}"\n'
        f'wrk.body = string.rep("x", {plan.body_bytes})\n'
        'wrk.headers["Content-Type"] = "application/octet-stream"\n'
    )
    return ["-s", str(script)]


def run_wrk(plan: LoadPlan) -> LoadResult:
    """One ``wrk -t1`` run; wrk takes whole seconds, so the duration is rounded up."""
    wrk = shutil.which("wrk")
    if wrk is None:
        raise BenchError(load_tool_available() or "wrk is not installed")
    seconds = max(1, math.ceil(plan.seconds))
    with tempfile.TemporaryDirectory(prefix="labweb-bench-") as directory:
        argv = [wrk, "-t1", f"-c{plan.connections}", f"-d{seconds}s", "--latency"]
        argv += [*wrk_script(plan, Path(directory)), plan.url]
        before = resource.getrusage(resource.RUSAGE_CHILDREN)
        try:
            done = subprocess.run(
                argv, capture_output=True, text=True, timeout=seconds + WRK_GRACE_SECONDS
            )
        except subprocess.TimeoutExpired:
            raise BenchError(f"wrk did not finish: {' '.join(argv)}") from None
        after = resource.getrusage(resource.RUSAGE_CHILDREN)
    if done.returncode != 0:
        reason = (done.stderr or done.stdout).strip().splitlines()[-1:] or ["no output"]
        raise BenchError(f"wrk exited with code {done.returncode}: {reason[0]}")
    result = parse_wrk_output(done.stdout, url=plan.url, connections=plan.connections)
    cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
    return LoadResult(**{**result.__dict__, "generator_cpu_seconds": cpu})


# --------------------------------------------------------------------------- side load


def host_port(url: str) -> tuple[str, int]:
    """``http://127.0.0.1:8080/`` -> ``("127.0.0.1", 8080)``."""
    authority = url.split("://", 1)[1].split("/", 1)[0]
    host, _, port = authority.rpartition(":")
    return host, int(port)


@contextmanager
def side_load(plan: LoadPlan) -> Iterator[None]:
    """Hold idle connections and run slow readers for as long as the block runs."""
    host, port = host_port(plan.url)
    stop = threading.Event()
    idle = open_idle_connections(host, port, plan.idle_connections)
    readers = [
        threading.Thread(target=read_slowly, args=(host, port, plan.slow_path, stop), daemon=True)
        for _ in range(plan.slow_readers)
    ]
    for reader in readers:
        reader.start()
    if readers:
        time.sleep(0.5)  # let the slow readers fill their windows first
    try:
        yield
    finally:
        stop.set()
        for sock in idle:
            sock.close()
        for reader in readers:
            reader.join(SOCKET_TIMEOUT_SECONDS)


def request_bytes(host: str, port: int, path: str) -> bytes:
    """A keep-alive GET."""
    return f"GET {path} HTTP/1.1\r\nHost: {host}:{port}\r\n\r\n".encode("ascii")


def open_idle_connections(host: str, port: int, count: int) -> list[socket.socket]:
    """Open ``count`` connections that each make one request, within ``IDLE_OPEN_SECONDS``.

    All of them together, never one after the other with a timeout each: a server with
    a connection limit (waitress holds 100) leaves the rest unanswered, and the run
    goes on with the connections it did accept.
    """
    deadline = time.monotonic() + IDLE_OPEN_SECONDS
    opened: list[socket.socket] = []
    for _ in range(count):
        remaining = deadline - time.monotonic()
        if remaining <= 0:
            break
        try:
            sock = socket.create_connection((host, port), timeout=min(remaining, 1.0))
        except OSError:
            continue
        opened.append(sock)
        with contextlib.suppress(OSError):
            sock.sendall(request_bytes(host, port, "/"))
    read_first_answers(opened, deadline)
    return opened


def read_first_answers(sockets: list[socket.socket], deadline: float) -> None:
    """Read what each socket was answered (one small response), until the deadline."""
    with selectors.DefaultSelector() as selector:
        for sock in sockets:
            sock.setblocking(False)
            selector.register(sock, selectors.EVENT_READ)
        waiting = len(sockets)
        while waiting and time.monotonic() < deadline:
            for key, _ in selector.select(timeout=max(0.0, deadline - time.monotonic())):
                with contextlib.suppress(OSError):
                    key.fileobj.recv(4096)  # type: ignore[union-attr]
                selector.unregister(key.fileobj)
                waiting -= 1


def read_slowly(host: str, port: int, path: str, stop: threading.Event) -> None:
    """Fetch ``path`` again and again, reading a little at a time, until ``stop`` is set."""
    while not stop.is_set():
        try:
            sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
            sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, SLOW_READ_BYTES)
            sock.settimeout(SOCKET_TIMEOUT_SECONDS)
            with sock:
                sock.connect((host, port))
                sock.sendall(request_bytes(host, port, path))
                received = 0
                while received < SLOW_BODY_BYTES and not stop.wait(SLOW_READ_PAUSE_SECONDS):
                    block = sock.recv(SLOW_READ_BYTES)
                    if not block:
                        break
                    received += len(block)
        except OSError:
            stop.wait(SLOW_READ_PAUSE_SECONDS)
