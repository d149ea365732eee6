"""The three ways to start labweb, run as a user would: serve, answer, stop on a signal.

``labweb``, ``python -m twisted_wsgi_lab`` and ``twistd -n labweb`` each start as a child
process listening on 127.0.0.1:0; the port comes from the "labweb serving ... on" log
line. Every child is killed at teardown whatever happened.

twistd is started as ``python -c "...twisted.scripts.twistd.run()"``, the body of the
``twistd`` script: ``python -m twisted.scripts.twistd`` imports the module and exits 0
without doing anything, because that module has no ``__main__`` block.
"""

from __future__ import annotations

import http.client
import os
import queue
import re
import shutil
import signal
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import IO

import pytest

pytestmark = pytest.mark.subprocess

ROOT = Path(__file__).resolve().parents[2]
LOCAL = "tcp:0:interface=127.0.0.1"
HELLO = ["--app", "examples.hello:app", "--app-dir", str(ROOT)]
START_SECONDS = 20
STOP_SECONDS = 20
SERVING = re.compile(r"labweb serving (.+) on http://127\.0\.0\.1:(\d+)/")
TWISTD_RUN = (
    "import sys; from twisted.scripts.twistd import run; sys.argv[0] = 'twistd'; sys.exit(run())"
)


def labweb_script() -> str:
    """The ``labweb`` console script of the interpreter running the tests."""
    beside = Path(sys.executable).with_name("labweb")
    found = str(beside) if beside.exists() else shutil.which("labweb")
    assert found, "the labweb script is not installed; run `pip install -e .`"
    return found


@dataclass(frozen=True)
class Command:
    """One way to start labweb, and where and how it reports."""

    name: str
    argv: tuple[str, ...]
    log_stream: str  # where "labweb serving ..." goes: "stdout" or "stderr"
    sigterm_status: int  # labweb clears the signal twistd would re-raise: 0 everywhere

    def __str__(self) -> str:
        return self.name


LABWEB = Command("labweb", (labweb_script(),), "stderr", 0)
PYTHON_M = Command("python -m", (sys.executable, "-m", "twisted_wsgi_lab"), "stderr", 0)
TWISTD = Command(
    "twistd",
    (sys.executable, "-c", TWISTD_RUN, "--pidfile=", "-n", "labweb"),
    "stdout",
    0,
)
TWISTD_ALONE = Command("twistd", (sys.executable, "-c", TWISTD_RUN), "stdout", 0)
ALL_COMMANDS = [LABWEB, PYTHON_M, TWISTD]
LABWEB_COMMANDS = [LABWEB, PYTHON_M]


class Child:
    """A started command whose stdout and stderr are read line by line as they come."""

    def __init__(self, argv: list[str], cwd: Path) -> None:
        # No PYTHONUNBUFFERED: the log line must arrive promptly without it.
        env = {k: v for k, v in os.environ.items() if k != "PYTHONUNBUFFERED"}
        self.process = subprocess.Popen(
            argv,
            cwd=cwd,
            env=env,
            stdin=subprocess.DEVNULL,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        self.output: dict[str, list[str]] = {"stdout": [], "stderr": []}
        self._lines: queue.Queue[tuple[str, str]] = queue.Queue()
        self._readers = [
            threading.Thread(target=self._read, args=(name, stream), daemon=True)
            for name, stream in (("stdout", self.process.stdout), ("stderr", self.process.stderr))
        ]
        for reader in self._readers:
            reader.start()

    def _read(self, name: str, stream: IO[str] | None) -> None:
        assert stream is not None
        for line in stream:
            self._lines.put((name, line))

    def _drain(self, timeout: float) -> tuple[str, str] | None:
        try:
            name, line = self._lines.get(timeout=timeout)
        except queue.Empty:
            return None
        self.output[name].append(line)
        return name, line

    def serving_port(self, stream: str) -> int:
        """Wait for the "labweb serving ... on" line on ``stream``; return its port."""
        deadline = time.monotonic() + START_SECONDS
        while time.monotonic() < deadline:
            got = self._drain(0.1)
            if got is None:
                assert self.process.poll() is None, f"exited early: {self.text()}"
                continue
            match = SERVING.search(got[1])
            if match and got[0] == stream:
                return int(match.group(2))
        raise AssertionError(f"no 'labweb serving' line on {stream}: {self.text()}")

    def stop(self, signum: int) -> int:
        """Send ``signum`` and return the exit status; the output is then complete."""
        self.process.send_signal(signum)
        return self.wait()

    def wait(self) -> int:
        status = self.process.wait(timeout=STOP_SECONDS)
        for reader in self._readers:
            reader.join(STOP_SECONDS)
        while self._drain(0) is not None:
            pass
        return status

    def text(self, stream: str | None = None) -> str:
        names = [stream] if stream else ["stdout", "stderr"]
        return "".join(f"[{n}] {line}" for n in names for line in self.output[n])

    def kill(self) -> None:
        if self.process.poll() is None:
            self.process.kill()
            self.process.wait(timeout=STOP_SECONDS)
        for reader in self._readers:  # they see end-of-file once the child is gone
            reader.join(STOP_SECONDS)
        for stream in (self.process.stdout, self.process.stderr):
            if stream is not None:
                stream.close()


@pytest.fixture
def start(tmp_path: Path) -> Iterator[Callable[..., Child]]:
    """start(command, *arguments) -> a running Child, killed at teardown."""
    children: list[Child] = []

    def start_child(command: Command, *arguments: str) -> Child:
        child = Child([*command.argv, *arguments], cwd=tmp_path)
        children.append(child)
        return child

    yield start_child
    for child in children:
        child.kill()


def run(command: Command, *arguments: str, cwd: Path) -> subprocess.CompletedProcess[str]:
    """Run a command that should end by itself, within a timeout."""
    return subprocess.run(
        [*command.argv, *arguments],
        cwd=cwd,
        stdin=subprocess.DEVNULL,
        capture_output=True,
        text=True,
        timeout=START_SECONDS,
    )


def get(port: int, path: str = "/") -> tuple[int, str, str]:
    """Status, Content-Type and body of GET ``path`` from 127.0.0.1:``port``."""
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
    try:
        connection.request("GET", path)
        response = connection.getresponse()
        body = response.read().decode("utf-8")
        return response.status, response.getheader("Content-Type", ""), body
    finally:
        connection.close()


# -- serving ---------------------------------------------------------------------------


@pytest.mark.parametrize("command", ALL_COMMANDS, ids=str)
def test_each_command_serves_the_app_and_stops_cleanly_on_sigterm(start, command):
    child = start(command, *HELLO, "--listen", LOCAL)
    port = child.serving_port(command.log_stream)

    assert get(port) == (200, "text/plain; charset=utf-8", "Hello, world!\n")
    assert child.stop(signal.SIGTERM) == command.sigterm_status
    assert "Traceback" not in child.text()
    assert "Main loop terminated" in child.text(command.log_stream)


@pytest.mark.parametrize("command", ALL_COMMANDS, ids=str)
def test_without_app_each_command_serves_the_built_in_page(start, command):
    child = start(command, "--listen", LOCAL)
    port = child.serving_port(command.log_stream)

    status, content_type, body = get(port, "/some/where")
    assert (status, content_type) == (200, "text/html; charset=utf-8")
    assert "labweb is running" in body
    assert "GET /some/where" in body
    assert "labweb serving the built-in page" in child.text(command.log_stream)


@pytest.mark.parametrize("command", LABWEB_COMMANDS, ids=str)
def test_ctrl_c_stops_labweb_with_status_0(start, command):
    child = start(command, *HELLO, "--listen", LOCAL)
    get(child.serving_port(command.log_stream))
    assert child.stop(signal.SIGINT) == 0
    assert "Traceback" not in child.text()


def test_one_process_serves_every_listen_endpoint(start):
    child = start(LABWEB, *HELLO, "--listen", LOCAL, "--listen", LOCAL)
    first = child.serving_port("stderr")
    second = child.serving_port("stderr")
    assert first != second
    assert get(first)[2] == get(second)[2] == "Hello, world!\n"


def test_threads_mode_serves_the_app_and_stops_cleanly(start):
    child = start(LABWEB, *HELLO, "--mode", "threads", "--threads", "2", "--listen", LOCAL)
    port = child.serving_port("stderr")
    assert "examples.hello:app in 2 threads" in child.text("stderr")
    assert get(port)[2] == "Hello, world!\n"
    assert child.stop(signal.SIGTERM) == 0


# -- refusing to start -----------------------------------------------------------------


BAD_APPS = [
    pytest.param(
        "labweb_no_such_module:app", "no module named 'labweb_no_such_module'", id="module"
    ),
    pytest.param("examples.hello:nope", "has no attribute 'nope'", id="attribute"),
    pytest.param("examples.hello:__doc__", "is not callable (it is a str)", id="not-callable"),
    pytest.param("examples.hello:app(x)", "must be Python literals", id="factory-arguments"),
]


@pytest.mark.parametrize(("app", "complaint"), BAD_APPS)
@pytest.mark.parametrize("command", ALL_COMMANDS, ids=str)
def test_a_bad_app_is_one_line_on_stderr_and_a_failed_exit(tmp_path, command, app, complaint):
    result = run(command, "--app", app, "--app-dir", str(ROOT), "--listen", LOCAL, cwd=tmp_path)

    assert result.returncode != 0
    [line] = result.stderr.splitlines()
    assert line.startswith("labweb: error: ")
    assert complaint in line
    assert "Traceback" not in result.stdout + result.stderr


@pytest.mark.parametrize("command", ALL_COMMANDS, ids=str)
def test_an_app_whose_dependency_is_missing_names_the_dependency(tmp_path, command):
    (tmp_path / "needs_more.py").write_text("import labweb_absent_dependency\napp = None\n")
    result = run(command, "--app", "needs_more:app", "--app-dir", str(tmp_path), cwd=tmp_path)

    assert result.returncode != 0
    [line] = result.stderr.splitlines()
    assert "labweb_absent_dependency" in line
    assert "needs_more" in line
    assert "Traceback" not in result.stdout


@pytest.mark.parametrize("command", ALL_COMMANDS, ids=str)
def test_a_bad_app_dir_is_named(tmp_path, command):
    missing = tmp_path / "nowhere"
    result = run(command, *HELLO[:2], "--app-dir", str(missing), cwd=tmp_path)

    assert result.returncode != 0
    assert result.stderr.splitlines() == [
        f"labweb: error: --app-dir {str(missing)!r} is not a directory"
    ]


@pytest.fixture
def busy_port() -> Iterator[int]:
    """A port on 127.0.0.1 that something else is already listening on."""
    with socket.socket() as holder:
        holder.bind(("127.0.0.1", 0))
        holder.listen()
        yield holder.getsockname()[1]


@pytest.mark.parametrize("command", LABWEB_COMMANDS, ids=str)
def test_a_port_in_use_is_one_line_on_stderr_and_a_failed_exit(tmp_path, command, busy_port):
    endpoint = f"tcp:{busy_port}:interface=127.0.0.1"
    result = run(command, *HELLO, "--listen", endpoint, cwd=tmp_path)

    assert result.returncode != 0
    [line] = result.stderr.splitlines()
    assert line.startswith(f"labweb: cannot listen on {endpoint!r}")
    assert "in use" in line
    assert result.stdout == ""


def test_a_port_in_use_under_twistd_is_one_logged_error_and_a_failed_exit(tmp_path, busy_port):
    endpoint = f"tcp:{busy_port}:interface=127.0.0.1"
    result = run(TWISTD, *HELLO, "--listen", endpoint, cwd=tmp_path)

    assert result.returncode != 0
    errors = [
        line for line in result.stdout.splitlines() if f"cannot listen on {endpoint!r}" in line
    ]
    assert len(errors) == 1
    assert "in use" in errors[0]
    assert "Traceback" not in result.stdout + result.stderr


def test_a_later_endpoint_in_use_stops_labweb_from_starting_at_all(tmp_path, busy_port):
    endpoint = f"tcp:{busy_port}:interface=127.0.0.1"
    result = run(LABWEB, *HELLO, "--listen", LOCAL, "--listen", endpoint, cwd=tmp_path)

    assert result.returncode != 0
    assert f"cannot listen on {endpoint!r}" in result.stderr
    assert "Traceback" not in result.stderr


@pytest.mark.parametrize(
    ("arguments", "option"),
    [
        pytest.param(["--max-body", "lots"], "--max-body", id="size"),
        pytest.param(["--listen", "tcp:notaport"], "--listen", id="endpoint"),
        # ssl: wants server.pem in the working directory; reading it is an OSError
        pytest.param(["--listen", "ssl:0"], "--listen", id="certificate"),
        pytest.param(["--mode", "fast"], "--mode", id="mode"),
        pytest.param(["--no-such-option"], "no-such-option", id="unknown-option"),
    ],
)
@pytest.mark.parametrize("command", LABWEB_COMMANDS, ids=str)
def test_a_usage_error_names_the_option_points_to_help_and_exits_2(
    tmp_path, command, arguments, option
):
    result = run(command, *arguments, cwd=tmp_path)

    assert result.returncode == 2
    first, second = result.stderr.splitlines()
    assert first.startswith("labweb: error: ")
    assert option in first
    assert second == "Try 'labweb --help'."
    assert result.stdout == ""


# -- help ------------------------------------------------------------------------------


@pytest.mark.parametrize("command", LABWEB_COMMANDS, ids=str)
def test_help_lists_the_options_and_exits_0(tmp_path, command):
    result = run(command, "--help", cwd=tmp_path)

    assert result.returncode == 0
    for option in ("--app=", "--app-dir=", "--listen=", "--max-body=", "--mode="):
        assert option in result.stdout


def test_twistd_help_lists_the_labweb_plugin(tmp_path):
    result = run(TWISTD_ALONE, "--help", cwd=tmp_path)

    assert result.returncode == 0
    assert re.search(r"^\s+labweb\s+An HTTP/1\.1 server", result.stdout, re.M), result.stdout


def test_twistd_labweb_help_shows_the_labweb_options(tmp_path):
    result = run(TWISTD, "--help", cwd=tmp_path)

    assert result.returncode == 0
    assert "--app-dir=" in result.stdout
    assert "--max-body=" in result.stdout
