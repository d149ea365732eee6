"""Peak memory of a labweb server while 1 GiB goes through it, in both serving modes.

The claim under test: labweb never buffers a body whole, so moving a gigabyte costs a
bounded amount of memory, less than ``TARGET_INCREASE_MIB`` above the server's resting
size. Three transfers (``benchmarks/memory_apps.py``), each in ``--mode reactor`` and
``--mode threads``, each row on a fresh server:

- ``upload``: POST with Content-Length; the app reads ``wsgi.input`` in 64 KiB blocks
  and answers with their SHA-256, which the client checks against its own. (In reactor
  mode the body is spooled to a temporary file before the app runs.)
- ``download``: GET from a generator app yielding 64 KiB blocks.
- ``file``: GET through ``wsgi.file_wrapper`` of a sparse temporary file, made with
  ``truncate`` (no disk used) and deleted at the end.

How it measures: the server is ``python -m twisted_wsgi_lab`` itself (no wrapper
process), so its pid is the one that holds the memory. After one small warm-up request
through the same app, the kernel's high-water mark is reset (``5`` to
``/proc/PID/clear_refs``) and VmRSS is the baseline; after the transfer VmHWM is the
peak. A thread also samples VmRSS every 10 ms, and the larger of the two is reported.
The clients are raw sockets that never hold more than one block: the upload comes from
a generator, the download is counted, not kept, and read as fast as the socket gives it.

    python benchmarks/memory_peak.py                      # 1 GiB, all six rows
    python benchmarks/memory_peak.py --size 64M --only reactor-upload,threads-file
"""

from __future__ import annotations

import argparse
import hashlib
import os
import re
import socket
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import IO

from memory_apps import FILE_ENVIRONMENT_VARIABLE
from processes import stop_process

BENCHMARKS_DIR = Path(__file__).resolve().parent
REPO_ROOT = BENCHMARKS_DIR.parent
HOST = "127.0.0.1"
MIB = 1024 * 1024
GIB = 1024 * MIB
DEFAULT_MAX_BODY_BYTES = GIB  # labweb's default --max-body; larger uploads raise it

TARGET_INCREASE_MIB = 48.0
MODES = ("reactor", "threads")
START_TIMEOUT_SECONDS = 20.0
STOP_TIMEOUT_SECONDS = 10.0
IO_TIMEOUT_SECONDS = 60.0  # longest silence on a socket
WARMUP_BYTES = 64 * 1024
SEND_BLOCK_BYTES = 256 * 1024
RECEIVE_BUFFER_BYTES = 1 * MIB
MAX_HEAD_BYTES = 64 * 1024
SAMPLE_INTERVAL_SECONDS = 0.010
LOG_TAIL_LINES = 15
RE_SERVING = re.compile(r"labweb serving .* on http://127\.0\.0\.1:(\d+)/")


class MemoryBenchmarkError(Exception):
    """A row cannot be measured; ``str(error)`` says why in one line."""


# --------------------------------------------------------------------------- sizes

_SIZE = re.compile(r"(\d+)\s*([KMG]?)(?:i?B)?", re.IGNORECASE)
_UNITS = {"": 1, "K": 1024, "M": MIB, "G": GIB}


def parse_size(text: str) -> int:
    """argparse type: bytes from ``"65536"``, ``"64K"``, ``"32M"``, ``"1G"`` or ``"1GiB"``."""
    match = _SIZE.fullmatch(text.strip())
    if match is None or int(match[1]) < 1:
        raise argparse.ArgumentTypeError(f"{text!r} is not a size such as 64M or 1G")
    return int(match[1]) * _UNITS[match[2].upper()]


# --------------------------------------------------------------------------- /proc


def status_kib(pid: int, field: str) -> int:
    """A ``kB`` field of ``/proc/PID/status`` such as VmRSS or VmHWM.

    Raises:
        MemoryBenchmarkError: the process is gone or the field is missing.
    """
    try:
        text = Path(f"/proc/{pid}/status").read_text()
    except OSError as error:
        raise MemoryBenchmarkError(f"cannot read /proc/{pid}/status: {error}") from None
    match = re.search(rf"^{field}:\s+(\d+) kB$", text, re.MULTILINE)
    if match is None:
        raise MemoryBenchmarkError(f"no {field} in /proc/{pid}/status")
    return int(match[1])


def reset_peak(pid: int) -> bool:
    """Reset the process's VmHWM to its current RSS (Linux 4.0+); False if refused."""
    try:
        Path(f"/proc/{pid}/clear_refs").write_text("5")
    except OSError:
        return False
    return True


class RssSampler:
    """Samples VmRSS of a process in a thread, keeping the largest value seen."""

    def __init__(self, pid: int) -> None:
        self._pid = pid
        self._stop = threading.Event()
        self.peak_kib = 0
        self._thread = threading.Thread(target=self._run, name="rss-sampler", daemon=True)

    def __enter__(self) -> RssSampler:
        self._thread.start()
        return self

    def __exit__(self, *exc_info: object) -> None:
        self._stop.set()
        self._thread.join()

    def _run(self) -> None:
        while not self._stop.wait(SAMPLE_INTERVAL_SECONDS):
            try:
                self.peak_kib = max(self.peak_kib, status_kib(self._pid, "VmRSS"))
            except MemoryBenchmarkError:
                return


# --------------------------------------------------------------------------- the server


@dataclass
class Server:
    """A started ``python -m twisted_wsgi_lab`` and the file its log goes to."""

    process: subprocess.Popen[bytes]
    log_path: Path
    port: int = 0


def server_command(mode: str, app: str, size: int) -> list[str]:
    """argv for labweb serving ``memory_apps:<app>`` on a free loopback port."""
    argv = [sys.executable, "-m", "twisted_wsgi_lab", "--app-dir", str(BENCHMARKS_DIR)]
    argv += ["--app", app, "--listen", f"tcp:0:interface={HOST}", "--mode", mode]
    if size > DEFAULT_MAX_BODY_BYTES:
        argv += ["--max-body", str(size)]
    return argv


def start_server(argv: list[str], log_path: Path, file_path: Path) -> Server:
    """Start labweb in the repository root and wait for its "serving" log line.

    Raises:
        MemoryBenchmarkError: it exited, or did not log its port in time.
    """
    env = {**os.environ, "PYTHONPATH": str(REPO_ROOT), "PYTHONUNBUFFERED": "1"}
    env[FILE_ENVIRONMENT_VARIABLE] = str(file_path)
    with log_path.open("wb") as log:
        process = subprocess.Popen(
            argv, cwd=REPO_ROOT, env=env, stdin=subprocess.DEVNULL, stdout=log, stderr=log
        )
    server = Server(process, log_path)
    deadline = time.monotonic() + START_TIMEOUT_SECONDS
    while time.monotonic() < deadline:
        found = RE_SERVING.search(log_path.read_text(errors="replace"))
        if found:
            server.port = int(found[1])
            return server
        if process.poll() is not None:
            raise MemoryBenchmarkError(f"labweb exited with code {process.returncode}")
        time.sleep(0.05)
    stop_server(server)
    raise MemoryBenchmarkError(f"labweb logged no port within {START_TIMEOUT_SECONDS:.0f}s")


def stop_server(server: Server) -> None:
    """SIGTERM labweb, then SIGKILL it if it is still there after a while."""
    stop_process(server.process, STOP_TIMEOUT_SECONDS)


def log_tail(log_path: Path) -> list[str]:
    """The last lines labweb logged, indented for the report."""
    if not log_path.exists():
        return []
    lines = log_path.read_text(errors="replace").splitlines()[-LOG_TAIL_LINES:]
    return [f"    {line}" for line in lines] or ["    (labweb logged nothing)"]


# --------------------------------------------------------------------------- clients


class Deadline:
    """The time one transfer may take, checked as it goes."""

    def __init__(self, seconds: float) -> None:
        self.seconds = seconds
        self._end = time.monotonic() + seconds

    def check(self, moved: int) -> None:
        """Raise once the time is up, saying how far the transfer got."""
        if time.monotonic() > self._end:
            raise MemoryBenchmarkError(
                f"transfer timed out after {self.seconds:.0f}s ({moved / MIB:.0f} MiB moved)"
            )


def read_head(sock: socket.socket) -> tuple[int, dict[str, str], bytes]:
    """Read a response head: status code, headers (names lower-cased), bytes after it.

    Raises:
        MemoryBenchmarkError: the connection ended first, or the head is too large.
    """
    data = b""
    while b"\r\n\r\n" not in data:
        chunk = sock.recv(65536)
        if not chunk or len(data) > MAX_HEAD_BYTES:
            raise MemoryBenchmarkError(f"no complete response head, got {data[:200]!r}")
        data += chunk
    head, rest = data.split(b"\r\n\r\n", 1)
    status_line, *fields = head.decode("latin-1").split("\r\n")
    headers = {}
    for field in fields:
        name, _, value = field.partition(":")
        headers[name.strip().lower()] = value.strip()
    return int(status_line.split(" ")[1]), headers, rest


def read_small_body(sock: socket.socket, headers: dict[str, str], rest: bytes) -> bytes:
    """The rest of a short response body: Content-Length bytes, else up to the close."""
    length = int(headers.get("content-length", MAX_HEAD_BYTES))
    body = rest
    while len(body) < length and (chunk := sock.recv(65536)):
        body += chunk
    return body[:length]


def request_head(method: str, port: int, target: str, length: int | None = None) -> bytes:
    """A request head on a connection the server closes after the answer."""
    lines = [f"{method} {target} HTTP/1.1", f"Host: {HOST}:{port}", "Connection: close"]
    if length is not None:
        lines += ["Content-Type: application/octet-stream", f"Content-Length: {length}"]
    return ("\r\n".join(lines) + "\r\n\r\n").encode("ascii")


def upload_blocks(total: int) -> Iterator[bytes]:
    """``total`` bytes in blocks that differ (each starts with its index)."""
    filler = bytes(range(256)) * (SEND_BLOCK_BYTES // 256)
    index = 0
    while total > 0:
        block = (index.to_bytes(8, "big") + filler[8:])[:total]
        yield block
        total -= len(block)
        index += 1


def run_upload(port: int, size: int, timeout_seconds: float) -> int:
    """POST ``size`` generated bytes; check the server's count and SHA-256; return size.

    Raises:
        MemoryBenchmarkError: not a 200, a wrong count or hash, or out of time.
    """
    deadline = Deadline(timeout_seconds)
    digest = hashlib.sha256()
    sent = 0
    with socket.create_connection((HOST, port), timeout=IO_TIMEOUT_SECONDS) as sock:
        sock.sendall(request_head("POST", port, "/upload", size))
        try:
            for block in upload_blocks(size):
                digest.update(block)
                sock.sendall(block)
                sent += len(block)
                deadline.check(sent)
        except (BrokenPipeError, ConnectionResetError) as error:
            raise MemoryBenchmarkError(
                f"server cut the upload after {sent} bytes: {error}"
            ) from None
        status, headers, rest = read_head(sock)
        answer = read_small_body(sock, headers, rest).decode("ascii", "replace").strip()
    expected = f"{size} {digest.hexdigest()}"
    if status != 200 or answer != expected:
        raise MemoryBenchmarkError(f"upload answered {status} {answer!r}, expected {expected!r}")
    return size


def run_download(port: int, size: int, timeout_seconds: float) -> int:
    """GET ``/?bytes=size``; read and count the body as fast as it comes; return the count.

    Raises:
        MemoryBenchmarkError: not a 200 with Content-Length ``size``, a short or long
            body, or out of time.
    """
    deadline = Deadline(timeout_seconds)
    with socket.create_connection((HOST, port), timeout=IO_TIMEOUT_SECONDS) as sock:
        sock.sendall(request_head("GET", port, f"/?bytes={size}"))
        status, headers, rest = read_head(sock)
        if status != 200 or headers.get("content-length") != str(size):
            raise MemoryBenchmarkError(f"download answered {status} with headers {headers}")
        received = len(rest)
        view = memoryview(bytearray(RECEIVE_BUFFER_BYTES))
        while received < size and (count := sock.recv_into(view)):
            received += count
            deadline.check(received)
    if received != size:
        raise MemoryBenchmarkError(f"download got {received} body bytes, expected {size}")
    return received


# --------------------------------------------------------------------------- rows


@dataclass(frozen=True)
class Transfer:
    """One way of moving the bytes: the app that serves it and the client that drives it."""

    name: str
    app: str
    run: Callable[[int, int, float], int]  # (port, bytes, timeout) -> bytes moved


TRANSFERS = (
    Transfer("upload", "memory_apps:upload", run_upload),
    Transfer("download", "memory_apps:download", run_download),
    Transfer("file", "memory_apps:file", run_download),  # ?bytes=size is the whole file
)


@dataclass(frozen=True)
class Row:
    """A transfer in a serving mode: one line of the report."""

    mode: str
    transfer: Transfer

    @property
    def name(self) -> str:
        return f"{self.mode}-{self.transfer.name}"


ROWS = tuple(Row(mode, transfer) for mode in MODES for transfer in TRANSFERS)


@dataclass
class RowResult:
    """What one row measured; memory in KiB as /proc reports it."""

    row: Row
    baseline_kib: int = 0
    peak_kib: int = 0
    seconds: float = 0.0
    moved: int = 0
    peak_was_reset: bool = True
    error: str = ""
    log: Sequence[str] = ()

    @property
    def increase_mib(self) -> float:
        return (self.peak_kib - self.baseline_kib) / 1024

    @property
    def passed(self) -> bool:
        return not self.error and self.increase_mib < TARGET_INCREASE_MIB


def measure_transfer(
    server: Server, row: Row, options: argparse.Namespace, result: RowResult
) -> None:
    """Warm up, take the baseline, move the bytes, and take the peak, into ``result``."""
    pid = server.process.pid
    row.transfer.run(server.port, WARMUP_BYTES, IO_TIMEOUT_SECONDS)
    result.peak_was_reset = reset_peak(pid)
    result.baseline_kib = status_kib(pid, "VmRSS")
    started = time.monotonic()
    with RssSampler(pid) as sampler:
        result.moved = row.transfer.run(server.port, options.size, options.timeout)
    result.seconds = time.monotonic() - started
    result.peak_kib = max(status_kib(pid, "VmHWM"), sampler.peak_kib)
    if server.process.poll() is not None:
        raise MemoryBenchmarkError(f"labweb exited with code {server.process.returncode}")


def measure(row: Row, options: argparse.Namespace, work_dir: Path) -> RowResult:
    """Measure one row on a fresh server; errors become the row's ``error``."""
    result = RowResult(row)
    argv = server_command(row.mode, row.transfer.app, options.size)
    log_path = work_dir / f"{row.name}.log"
    server: Server | None = None
    try:
        server = start_server(argv, log_path, work_dir / "sparse.bin")
        measure_transfer(server, row, options, result)
    except (MemoryBenchmarkError, OSError) as error:
        result.error = str(error) or type(error).__name__
    finally:
        if server is not None:
            stop_server(server)
    if result.error:
        result.log = log_tail(log_path)
    return result


# --------------------------------------------------------------------------- report


def format_table(results: Sequence[RowResult], size: int) -> str:
    """One line per row: baseline, peak and increase in MiB, throughput, PASS/FAIL."""
    header = (
        f"{'row':<18}{'baseline MiB':>13}{'peak MiB':>10}{'increase MiB':>14}"
        f"{'seconds':>9}{'MiB/s':>8}  result (target: increase < {TARGET_INCREASE_MIB:g} MiB)"
    )
    lines = [f"{size / MIB:g} MiB per transfer", header, "-" * len(header)]
    for item in results:
        if item.error:
            lines.append(f"{item.row.name:<18}  FAIL: {item.error}")
            lines.extend(item.log)
            continue
        rate = item.moved / MIB / item.seconds if item.seconds else 0.0
        mark = "" if item.peak_was_reset else " (VmHWM not reset: includes start-up)"
        lines.append(
            f"{item.row.name:<18}{item.baseline_kib / 1024:>13.1f}{item.peak_kib / 1024:>10.1f}"
            f"{item.increase_mib:>14.1f}{item.seconds:>9.1f}{rate:>8.0f}  "
            f"{'PASS' if item.passed else 'FAIL'}{mark}"
        )
    return "\n".join(lines)


# --------------------------------------------------------------------------- CLI


def parse_args(argv: Sequence[str] | None) -> argparse.Namespace:
    """Parse the command line; ``--only`` is checked against ``ROWS``."""
    names = [row.name for row in ROWS]
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0] if __doc__ else None)
    parser.add_argument("--size", type=parse_size, default=GIB, help="bytes per transfer [1G]")
    parser.add_argument(
        "--only", default=",".join(names), help=f"comma list of rows from: {', '.join(names)}"
    )
    parser.add_argument(
        "--timeout", type=float, default=300.0, help="seconds one transfer may take [300]"
    )
    options = parser.parse_args(argv)
    chosen = [name.strip() for name in options.only.split(",") if name.strip()]
    unknown = sorted(set(chosen) - set(names))
    if unknown or not chosen:
        parser.error(f"--only: unknown or no row names {unknown}; choose from {names}")
    options.rows = [row for row in ROWS if row.name in chosen]
    return options


def sparse_file(path: Path, size: int) -> None:
    """Create a file of ``size`` bytes that reads as zeros and takes no disk blocks."""
    with path.open("wb") as handle:
        handle.truncate(size)


def progress(line: str, out: IO[str] = sys.stderr) -> None:
    """Report progress on stderr, leaving stdout for the table."""
    print(line, file=out, flush=True)


def main(argv: Sequence[str] | None = None) -> int:
    """Measure every chosen row; return 0 if all PASS, else 1."""
    options = parse_args(argv)
    results = []
    with tempfile.TemporaryDirectory(prefix="memory_peak-") as work:
        work_dir = Path(work)
        sparse_file(work_dir / "sparse.bin", options.size)
        for row in options.rows:
            progress(f"{row.name}: {options.size / MIB:g} MiB ...")
            results.append(measure(row, options, work_dir))
    print(format_table(results, options.size))
    return 0 if all(item.passed for item in results) else 1


if __name__ == "__main__":
    raise SystemExit(main())
