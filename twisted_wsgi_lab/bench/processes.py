"""The servers ``labweb bench`` starts: started, checked, measured, always stopped.

Output goes to files, not pipes: a pipe nobody reads fills up and stalls the server.
Each server leads a process group of its own (the fork reference's children, labweb's
workers), and stopping it ends the whole group, so nothing outlives the run.
"""

from __future__ import annotations

import contextlib
import os
import re
import signal
import socket
import subprocess
import time
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

HOST = "127.0.0.1"
START_TIMEOUT_SECONDS = 30.0
STOP_TIMEOUT_SECONDS = 5.0
OUTPUT_TAIL_LINES = 12


class BenchError(Exception):
    """The run cannot go on; ``str(error)`` is the one line shown, ``details`` follow it."""

    def __init__(self, message: str, *, details: Sequence[str] = ()) -> None:
        super().__init__(message)
        self.details = tuple(details)


def stop_process(process: subprocess.Popen[bytes] | subprocess.Popen[str], timeout: float) -> None:
    """SIGTERM ``process``, wait up to ``timeout`` seconds, then SIGKILL it."""
    if process.poll() is not None:
        return
    process.send_signal(signal.SIGTERM)
    try:
        process.wait(timeout=timeout)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait(timeout=timeout)


@dataclass
class Server:
    """A started server: its name, port, process and the log files of its output."""

    name: str
    port: int
    process: subprocess.Popen[bytes]
    log_path: Path

    def failed(self, reason: str) -> BenchError:
        """An error for this server, with the tail of what it wrote."""
        lines = self.log_path.read_text(errors="replace").splitlines()[-OUTPUT_TAIL_LINES:]
        details = [f"  {line}" for line in lines] or ["  (the server wrote nothing)"]
        return BenchError(f"model {self.name!r} on {HOST}:{self.port} {reason}", details=details)

    def ensure_running(self) -> None:
        """Raise if the server died, so a dead port is never measured."""
        code = self.process.poll()
        if code is not None:
            raise self.failed(f"exited with code {code}")


def free_ports(count: int) -> list[int]:
    """``count`` distinct ports free on 127.0.0.1 a moment ago (all held at once)."""
    sockets = [socket.socket(socket.AF_INET, socket.SOCK_STREAM) for _ in range(count)]
    try:
        for sock in sockets:
            sock.bind((HOST, 0))
        return [int(sock.getsockname()[1]) for sock in sockets]
    finally:
        for sock in sockets:
            sock.close()


def start_server(
    name: str,
    port: int,
    argv: Sequence[str],
    log_dir: Path,
    env: dict[str, str],
    cwd: str | None = None,
) -> Server:
    """Start ``argv`` in a new session (its own process group); do not wait for it."""
    log_path = log_dir / (re.sub(r"[^A-Za-z0-9_.-]", "_", name) + ".log")  # MODEL@DIR too
    with log_path.open("wb") as log:
        process = subprocess.Popen(
            list(argv),
            env=env,
            cwd=cwd,
            stdin=subprocess.DEVNULL,
            stdout=log,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
    return Server(name, port, process, log_path)


def wait_until_ready(server: Server, timeout_seconds: float = START_TIMEOUT_SECONDS) -> None:
    """Wait for a TCP connect, then insist on a 200 for ``GET /``.

    Raises:
        BenchError: the process exited, never accepted, or answered something else.
    """
    deadline = time.monotonic() + timeout_seconds
    while True:
        server.ensure_running()
        try:
            with socket.create_connection((HOST, server.port), timeout=0.5):
                break
        except OSError:
            if time.monotonic() > deadline:
                raise server.failed(f"gave no answer within {timeout_seconds:.0f}s") from None
            time.sleep(0.1)
    status = first_status(server.port)
    if status != "200":
        raise server.failed(f"answered GET / with {status!r}, not 200")


def first_status(port: int) -> str:
    """The status code of one ``GET /`` with ``Connection: close``, or the error."""
    request = f"GET / HTTP/1.1\r\nHost: {HOST}:{port}\r\nConnection: close\r\n\r\n"
    try:
        with socket.create_connection((HOST, port), timeout=10.0) as sock:
            sock.sendall(request.encode("ascii"))
            line = sock.makefile("rb").readline(1024).decode("latin-1")
    except OSError as error:
        return f"no answer: {error}"
    return line.split(" ")[1] if line.count(" ") >= 1 else line.strip()


def stop_server(server: Server) -> None:
    """SIGTERM the server, SIGKILL it after a while, then end whatever is left of its group."""
    stop_process(server.process, STOP_TIMEOUT_SECONDS)
    with contextlib.suppress(ProcessLookupError, PermissionError):
        os.killpg(server.process.pid, signal.SIGKILL)
