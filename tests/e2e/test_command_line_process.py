"""The command line as a user meets it: a positional app, --help in units, a failed
bind under twistd, --debug, the JSON log, and the warning for a busy thread pool.

Every child listens on 127.0.0.1 only and is killed at teardown whatever happened.
"""

from __future__ import annotations

import json
import re
import signal
import socket
import subprocess
import sys
import threading
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from server_process import LABWEB, TWISTD, WAIT_SECONDS, ServerProcess, get

pytestmark = pytest.mark.subprocess

WSGI_APP = """
import time

def app(environ, start_response):
    path = environ["PATH_INFO"]
    if path == "/fail":
        raise RuntimeError("broken on purpose")
    if path == "/slow":
        time.sleep(1.5)
    start_response("200 OK", [("Content-Type", "text/plain")])
    return [path.encode()]
"""
NATIVE_APP = """
from twisted_wsgi_lab.router import App

app = App()

@app.get("/fail")
def fail(request):
    raise ZeroDivisionError("native on purpose")
"""
BROKEN_AT_IMPORT = """
def read_settings():
    raise KeyError("DATABASE_URL")

SETTINGS = read_settings()
"""
COMMANDS = [pytest.param(LABWEB, id="labweb"), pytest.param(TWISTD, id="twistd")]


@pytest.fixture
def start(tmp_path: Path) -> Iterator[Callable[..., ServerProcess]]:
    """start(command, *arguments) -> a server whose cwd holds the test apps."""
    (tmp_path / "cli_app.py").write_text(WSGI_APP)
    (tmp_path / "cli_native.py").write_text(NATIVE_APP)
    servers: list[ServerProcess] = []

    def start_server(command: tuple[str, ...], *arguments: str) -> ServerProcess:
        server = ServerProcess(command, *arguments, cwd=tmp_path)
        servers.append(server)
        return server

    yield start_server
    for server in servers:
        server.kill()


def run(command: tuple[str, ...], *arguments: str, cwd: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [*command, *arguments],
        cwd=cwd,
        stdin=subprocess.DEVNULL,
        capture_output=True,
        text=True,
        timeout=WAIT_SECONDS,
    )


def body_of(response: bytes) -> bytes:
    return response.partition(b"\r\n\r\n")[2]


# -- a positional app --------------------------------------------------------------------


@pytest.mark.parametrize("command", COMMANDS)
def test_each_command_serves_an_app_given_without_app(start, command):
    server = start(command, "cli_app:app")
    assert body_of(get(server.port, "/positional")) == b"/positional"
    assert "labweb serving cli_app:app in 8 threads" in server.text()


def test_python_m_takes_the_app_first_and_options_after_it(start):
    server = start(LABWEB, "cli_app:app", "--threads", "2")
    assert "cli_app:app in 2 threads" in server.text()


def test_two_different_apps_are_a_usage_error(tmp_path):
    result = run(LABWEB, "--app", "cli_app:app", "other:app", cwd=tmp_path)
    assert result.returncode == 2
    assert result.stderr.startswith("labweb: error: two apps: --app cli_app:app and other:app")


# -- --help ------------------------------------------------------------------------------


def test_help_shows_defaults_in_the_units_a_user_types(tmp_path):
    result = run(LABWEB, "--help", cwd=tmp_path)
    words = " ".join(result.stdout.split())
    assert result.returncode == 0
    assert "Usage: labweb [options] [module:app]" in words
    assert "largest request body, then 413 [default: 1G]" in words
    assert "then 408 [default: 10s]" in words
    assert "[default: 64K]" in words
    assert "[default: 0.5s]" in words
    assert "1073741824" not in words


# -- a failed bind under twistd ----------------------------------------------------------


@pytest.fixture
def busy_port() -> Iterator[int]:
    """A port on 127.0.0.1 that this test holds open."""
    with socket.socket() as holder:
        holder.bind(("127.0.0.1", 0))
        holder.listen()
        yield holder.getsockname()[1]


def test_twistd_that_cannot_bind_leaves_no_pid_file_and_one_line_naming_listen(tmp_path, busy_port):
    pid_file = tmp_path / "twistd.pid"
    twistd = tuple(a if a != "--pidfile=" else f"--pidfile={pid_file}" for a in TWISTD)
    result = run(twistd, "--listen", f"127.0.0.1:{busy_port}", cwd=tmp_path)

    assert result.returncode != 0
    assert not pid_file.exists()
    output = result.stdout + result.stderr
    [line] = [line for line in output.splitlines() if "cannot listen" in line]
    assert "(--listen): address already in use" in line
    assert "Traceback" not in output


# -- --debug -----------------------------------------------------------------------------


BAD_REQUEST = b"GET /\x01 HTTP/1.1\r\nHost: t\r\n\r\n"


def send_bad_request(port: int) -> bytes:
    with socket.create_connection(("127.0.0.1", port), timeout=WAIT_SECONDS) as sock:
        sock.sendall(BAD_REQUEST)
        return sock.recv(65536)


@pytest.mark.parametrize("command", COMMANDS)
def test_without_debug_the_log_has_no_debug_lines(start, command):
    server = start(command, "cli_app:app")
    assert send_bad_request(server.port).startswith(b"HTTP/1.1 400 ")
    server.signal(signal.SIGTERM)
    assert server.wait() == 0
    assert "#debug" not in server.text()


@pytest.mark.parametrize("command", COMMANDS)
def test_debug_logs_debug_lines(start, command):
    server = start(command, "cli_app:app", "--debug")
    send_bad_request(server.port)
    server.wait_for(r"#debug\] refused request: 400")


@pytest.mark.parametrize("mode", ["threads", "reactor"])
def test_debug_shows_the_traceback_in_a_wsgi_500(start, mode):
    server = start(LABWEB, "cli_app:app", "--mode", mode, "--debug")
    response = get(server.port, "/fail")
    assert response.startswith(b"HTTP/1.1 500 ")
    assert b"Traceback" in body_of(response)
    assert b"RuntimeError: broken on purpose" in body_of(response)


def test_without_debug_a_wsgi_500_shows_no_traceback(start):
    server = start(LABWEB, "cli_app:app")
    response = get(server.port, "/fail")
    assert body_of(response) == b"500 Internal Server Error\n"


def test_debug_shows_the_traceback_in_a_native_app_500(start):
    server = start(LABWEB, "cli_native:app", "--debug")
    response = get(server.port, "/fail")
    assert response.startswith(b"HTTP/1.1 500 ")
    assert b"ZeroDivisionError: native on purpose" in body_of(response)


@pytest.mark.parametrize("command", COMMANDS)
def test_debug_prints_the_whole_traceback_of_an_app_that_fails_at_import(tmp_path, command):
    (tmp_path / "broken_app.py").write_text(BROKEN_AT_IMPORT)
    result = run(command, "--debug", "broken_app:app", cwd=tmp_path)

    assert result.returncode != 0
    lines = result.stderr.splitlines()
    assert lines[0] == "Traceback (most recent call last):"
    assert any("read_settings" in line for line in lines)
    assert lines[-1] == "labweb: error: importing 'broken_app' failed: KeyError: 'DATABASE_URL'"


# -- --log-format json -------------------------------------------------------------------


@pytest.mark.parametrize("command", COMMANDS)
def test_json_log_is_one_object_per_event(start, command):
    server = start(command, "cli_app:app", "--log-format", "json")
    get(server.port, "/")  # the reactor runs, so SIGTERM is its graceful stop
    server.signal(signal.SIGTERM)
    assert server.wait() == 0

    events = [json.loads(line) for line in server.lines if line.strip()]
    assert events
    for event in events:
        assert set(event) >= {"time", "level", "namespace", "text"}
        assert re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z", event["time"])
    serving = [e for e in events if e["text"].startswith("labweb serving cli_app:app")]
    assert serving[0]["level"] == "info"
    assert serving[0]["namespace"] == "twisted_wsgi_lab.service.http_service"


# -- a busy thread pool ------------------------------------------------------------------


WAITING = re.compile(r"(\d+) requests waiting for a free thread \(the oldest for ([0-9.]+) s\)")


def test_requests_waiting_for_a_busy_pool_are_logged_once(start):
    server = start(LABWEB, "cli_app:app", "--threads", "1")
    clients = [threading.Thread(target=get, args=(server.port, "/slow")) for _ in range(3)]
    for client in clients:
        client.start()
    found = server.wait_for(WAITING)
    for client in clients:
        client.join(WAIT_SECONDS)
    waiting, oldest = int(found.group(1)), float(found.group(2))
    assert waiting > 1 or oldest >= 1.0  # more waiting than threads, or one waited 1 s
    assert "consider --threads (now 1)" in server.text()
    server.signal(signal.SIGTERM)
    server.wait()
    assert len(WAITING.findall(server.text())) == 1


# -- --listen forms that are not TCP -----------------------------------------------------


def get_unix(path: Path) -> bytes:
    with socket.socket(socket.AF_UNIX) as sock:
        sock.settimeout(WAIT_SECONDS)
        sock.connect(str(path))
        sock.sendall(b"GET /over-unix HTTP/1.1\r\nHost: t\r\nConnection: close\r\n\r\n")
        data = b""
        while chunk := sock.recv(65536):
            data += chunk
    return data


def test_a_unix_socket_listen_serves(start, tmp_path):
    server = start(LABWEB, "cli_app:app", "--listen", "unix:app.sock")
    assert body_of(get_unix(tmp_path / "app.sock")) == b"/over-unix"
    server.signal(signal.SIGTERM)
    server.wait()


ACTIVATE = """
import os, sys
fd = int(sys.argv[1])
os.dup2(fd, 3)  # systemd passes its sockets from fd 3 on
os.close(fd)
os.environ.update(LISTEN_PID=str(os.getpid()), LISTEN_FDS="1", LISTEN_FDNAMES="web")
os.execv(sys.argv[2], sys.argv[2:])
"""


def test_systemd_socket_activation_serves_on_the_inherited_socket(tmp_path):
    """As systemd does: a listening socket as fd 3, LISTEN_PID naming the server."""
    (tmp_path / "cli_app.py").write_text(WSGI_APP)
    with socket.socket() as listening:
        listening.bind(("127.0.0.1", 0))
        listening.listen()
        port = listening.getsockname()[1]
        fd = listening.fileno()
        command = [*LABWEB, "cli_app:app", "--listen", "systemd:domain=INET:index=0"]
        child = subprocess.Popen(
            [sys.executable, "-c", ACTIVATE, str(fd), *command],
            cwd=tmp_path,
            pass_fds=(fd,),
            stdin=subprocess.DEVNULL,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.PIPE,
            text=True,
        )
    try:
        # The socket already listens: the connection waits in its backlog until served.
        assert body_of(get(port, "/activated")) == b"/activated", child.stderr
    finally:
        child.kill()
        child.wait(WAIT_SECONDS)
        assert child.stderr is not None
        child.stderr.close()
