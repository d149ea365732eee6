"""A labweb (or twistd) child process whose log is read line by line as it comes.

stdout and stderr are merged: ``labweb`` logs to stderr, ``twistd -n`` to stdout, and
the tests here only care about what was said and in which order. Every wait is bounded.
"""

from __future__ import annotations

import os
import queue
import re
import signal
import socket
import subprocess
import sys
import threading
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
LOCAL = "tcp:0:interface=127.0.0.1"
# Every deadline here is a bound on waiting for something to happen, never a pause: a
# test goes on as soon as it happens. On a machine slower still than a loaded 2-core
# CI runner (where a worker can take 6 s to start), LABWEB_TEST_SLOWDOWN=2 doubles them.
SLOWDOWN = float(os.environ.get("LABWEB_TEST_SLOWDOWN", "1"))
WAIT_SECONDS = 20 * SLOWDOWN


def scaled(seconds: float) -> float:
    """A deadline of ``seconds`` on this machine: times ``LABWEB_TEST_SLOWDOWN``."""
    return seconds * SLOWDOWN


TWISTD_RUN = (
    "import sys; from twisted.scripts.twistd import run; sys.argv[0] = 'twistd'; sys.exit(run())"
)
LABWEB = (sys.executable, "-m", "twisted_wsgi_lab")
TWISTD = (sys.executable, "-c", TWISTD_RUN, "--pidfile=", "-n", "labweb")
SERVING = re.compile(r"labweb serving .* on http://127\.0\.0\.1:(\d+)/")


class ServerProcess:
    """``command`` started in ``cwd``; its merged output collects in ``lines``."""

    def __init__(self, command: tuple[str, ...], *arguments: str, cwd: Path) -> None:
        env = {**os.environ, "PYTHONPATH": str(ROOT)}
        self.process = subprocess.Popen(
            [*command, *arguments, "--listen", LOCAL],
            cwd=cwd,
            env=env,
            stdin=subprocess.DEVNULL,
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            text=True,
        )
        self.lines: list[str] = []
        self._new: queue.Queue[str] = queue.Queue()
        self._reader = threading.Thread(target=self._read, daemon=True)
        self._reader.start()
        self.port = int(self.wait_for(SERVING).group(1))

    def _read(self) -> None:
        assert self.process.stdout is not None
        for line in self.process.stdout:
            self._new.put(line)

    def wait_for(self, pattern: re.Pattern[str] | str) -> re.Match[str]:
        """The first line from now on that matches ``pattern``; fail after a while."""
        deadline = time.monotonic() + WAIT_SECONDS
        while time.monotonic() < deadline:
            try:
                line = self._new.get(timeout=0.1)
            except queue.Empty:
                # Exited, and every line it wrote read: the reader lags behind the exit.
                exited = self.process.poll() is not None and not self._reader.is_alive()
                assert not exited or not self._new.empty(), f"exited early:\n{self.text()}"
                continue
            self.lines.append(line)
            found = re.search(pattern, line)
            if found:
                return found
        raise AssertionError(f"no line matching {pattern!r}:\n{self.text()}")

    def signal(self, signum: signal.Signals) -> None:
        self.process.send_signal(signum)

    def wait(self, timeout: float = WAIT_SECONDS) -> int:
        """The exit status, once the process has ended and its output is all read."""
        status = self.process.wait(timeout=timeout)
        self._reader.join(WAIT_SECONDS)
        while not self._new.empty():
            self.lines.append(self._new.get())
        return status

    def text(self) -> str:
        return "".join(self.lines)

    def kill(self) -> None:
        """End the child if it is still there, and close its pipe."""
        if self.process.poll() is None:
            self.process.kill()
        self.wait()
        if self.process.stdout is not None:
            self.process.stdout.close()


def get(port: int, path: str, timeout: float = WAIT_SECONDS) -> bytes:
    """Everything sent back for GET ``path`` on a connection the server closes."""
    data = b""
    with socket.create_connection(("127.0.0.1", port), timeout=timeout) as sock:
        sock.sendall(f"GET {path} HTTP/1.1\r\nHost: t\r\nConnection: close\r\n\r\n".encode())
        try:
            while chunk := sock.recv(65536):
                data += chunk
        except ConnectionResetError:
            pass
    return data
