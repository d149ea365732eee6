"""A client hammering a server from threads, counting what failed; worker log lines."""

from __future__ import annotations

import collections
import re
import socket
import threading
import time
from collections.abc import Iterable
from types import TracebackType

from server_process import ServerProcess, scaled

READY = re.compile(r"worker (\d+) \(pid (\d+)\) ready")


def one_request(port: int, path: str = "/", timeout: float = 10) -> tuple[int, bytes]:
    """Status and body of GET ``path`` on a new connection (Connection: close)."""
    data = b""
    with socket.create_connection(("127.0.0.1", port), timeout=timeout) as sock:
        sock.sendall(f"GET {path} HTTP/1.1\r\nHost: t\r\nConnection: close\r\n\r\n".encode())
        while chunk := sock.recv(65536):
            data += chunk
    head, _, body = data.partition(b"\r\n\r\n")
    status = int(head.split(b" ", 2)[1]) if head.startswith(b"HTTP/1.1 ") else 0
    return status, body


class Hammer:
    """``threads`` clients doing requests in a loop until the block ends.

    Every request is a new connection, so a refused or reset connection counts as a
    failure (a keep-alive client would also have to retry a request its idle
    connection's close raced with; that race is not the server's to avoid).
    """

    def __init__(self, port: int, *, threads: int = 4, path: str = "/") -> None:
        self.port = port
        self.path = path
        self.ok = 0
        self.failures: list[str] = []
        self.bodies: collections.Counter[bytes] = collections.Counter()
        self._lock = threading.Lock()
        self._stop = threading.Event()
        self._threads = [threading.Thread(target=self._run, daemon=True) for _ in range(threads)]

    def __enter__(self) -> Hammer:
        for thread in self._threads:
            thread.start()
        return self

    def __exit__(
        self,
        kind: type[BaseException] | None,
        error: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        self._stop.set()
        for thread in self._threads:
            thread.join(15)

    def _run(self) -> None:
        while not self._stop.is_set():
            try:
                status, body = one_request(self.port, self.path)
                failure = None if status == 200 else f"status {status}"
            except OSError as error:
                failure, body = f"{type(error).__name__}: {error}", b""
            with self._lock:
                if failure is None:
                    self.ok += 1
                    self.bodies[body] += 1
                else:
                    self.failures.append(failure)

    def wait_for_ok(self, count: int, timeout: float = 30) -> None:
        """Block until ``count`` more requests succeeded (the load is really on)."""
        target = self.ok + count
        deadline = time.monotonic() + scaled(timeout)
        while self.ok < target:
            assert time.monotonic() < deadline, f"only {self.ok} requests: {self.failures[:3]}"
            time.sleep(0.02)

    def served_by(self) -> set[int]:
        """The pids that answered so far (each body starts with the worker's pid)."""
        with self._lock:
            return {int(body.split()[0]) for body in self.bodies}

    def wait_until_served_by(self, pids: Iterable[int], timeout: float = 30) -> None:
        """Block until each of ``pids`` has answered a request, or the deadline passes.

        Which worker accepts a connection is the kernel's choice, and on a loaded
        machine one worker may take a long run of them: a fixed number of requests
        proves nothing about spreading. Waiting for each pid does; the caller still
        asserts on ``served_by()``, which fails if one of them never answered.
        """
        wanted = set(pids)
        deadline = time.monotonic() + scaled(timeout)
        while not wanted <= self.served_by() and time.monotonic() < deadline:
            time.sleep(0.02)


def answered_by(
    port: int, pids: Iterable[int], *, at_least: int = 20, timeout: float = 30
) -> set[int]:
    """The pids answering requests one at a time (``at_least``), until all of ``pids`` did.

    Stops at the deadline with what answered by then, so the caller's assertion that
    every pid answered (and no other did) still fails if one never does.
    """
    wanted = set(pids)
    seen: set[int] = set()
    count = 0
    deadline = time.monotonic() + scaled(timeout)
    while count < at_least or (not wanted <= seen and time.monotonic() < deadline):
        seen.add(int(one_request(port)[1].split()[0]))
        count += 1
    return seen


def ready_workers(server: ServerProcess, count: int) -> list[int]:
    """The pids of the next ``count`` workers to say ready, oldest worker first."""
    found = [server.wait_for(READY) for _ in range(count)]
    return [int(match.group(2)) for match in sorted(found, key=lambda m: int(m.group(1)))]


def alive(pid: int) -> bool:
    """Whether process ``pid`` exists and is not a zombie waiting to be reaped."""
    try:
        with open(f"/proc/{pid}/stat") as stat:
            return stat.read().rpartition(")")[2].split()[0] != "Z"
    except FileNotFoundError:
        return False
