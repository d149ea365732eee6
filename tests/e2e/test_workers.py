"""--workers N: a supervisor and worker processes, under a client that never stops.

Each test hammers the server from four threads (a new 127.0.0.1 connection per request)
while a signal changes the workers, and counts the failed requests: none for SIGHUP,
SIGTTIN and SIGTTOU; for a SIGKILLed worker only what it had in flight may fail.
"""

from __future__ import annotations

import contextlib
import os
import re
import signal
import socket
import ssl
import threading
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from server_process import LABWEB, TWISTD, ServerProcess
from workers_support import Hammer, alive, answered_by, one_request, ready_workers

pytestmark = pytest.mark.subprocess

PID_APP = """
import os, time

def app(environ, start_response):
    time.sleep(float(environ["QUERY_STRING"] or 0))
    start_response("200 OK", [("Content-Type", "text/plain")])
    return [b"%d %r" % (os.getpid(), environ["wsgi.multiprocess"])]
"""
NATIVE_APP = """
import os
from twisted_wsgi_lab import App

app = App()

@app.get("/")
def index(request):
    return str(os.getpid())
"""
HAMMER_SECONDS = 1.0


@pytest.fixture
def start(tmp_path: Path) -> Iterator[Callable[..., ServerProcess]]:
    """start(*arguments, command=LABWEB) -> labweb serving pid_app:app; killed at teardown."""
    (tmp_path / "pid_app.py").write_text(PID_APP)
    (tmp_path / "native_pid_app.py").write_text(NATIVE_APP)
    servers: list[ServerProcess] = []

    def start_server(*arguments: str, command: tuple[str, ...] = LABWEB) -> ServerProcess:
        server = ServerProcess(command, *arguments, cwd=tmp_path)
        servers.append(server)
        return server

    yield start_server
    for server in servers:
        # Workers stop by themselves once their supervisor is gone; ours go at once.
        if server.process.poll() is None:
            for pid in _worker_pids(server):
                with contextlib.suppress(ProcessLookupError):
                    os.kill(pid, signal.SIGKILL)
        server.kill()


def _worker_pids(server: ServerProcess) -> set[int]:
    return {int(pid) for pid in re.findall(r"\(pid (\d+)\) ready", server.text())}


def seen(server: ServerProcess, pattern: str) -> None:
    """Return once a line matching ``pattern`` was logged, before now or from now on."""
    if not re.search(pattern, server.text()):
        server.wait_for(pattern)


def served_by(hammer: Hammer) -> set[int]:
    return hammer.served_by()


@pytest.mark.parametrize("command", [LABWEB, TWISTD], ids=["labweb", "twistd"])
def test_two_workers_share_the_sockets_and_say_multiprocess(start, command):
    server = start("--app", "pid_app:app", "--workers", "2", command=command)
    pids = ready_workers(server, 2)
    with Hammer(server.port) as hammer:
        hammer.wait_for_ok(200)
        hammer.wait_until_served_by(pids)
    assert hammer.failures == []
    assert served_by(hammer) == set(pids)
    assert all(body.endswith(b" True") for body in hammer.bodies)  # wsgi.multiprocess


def test_a_native_app_runs_in_workers_the_same_way(start):
    server = start("--app", "native_pid_app:app", "--workers", "2")
    pids = ready_workers(server, 2)
    with Hammer(server.port) as hammer:
        hammer.wait_for_ok(200)
        hammer.wait_until_served_by(pids)
    assert hammer.failures == []
    assert served_by(hammer) == set(pids)


def test_sighup_replaces_every_worker_one_by_one_without_a_failed_request(start):
    server = start("--app", "pid_app:app", "--workers", "2")
    old = ready_workers(server, 2)
    with Hammer(server.port) as hammer:
        hammer.wait_for_ok(50)
        hammer.wait_until_served_by(old)
        server.signal(signal.SIGHUP)
        new = ready_workers(server, 2)
        for pid in old:
            seen(server, rf"\(pid {pid}\) stopped \(status 0\)")
        before = hammer.ok
        hammer.wait_for_ok(100)
        hammer.wait_until_served_by(new)
    assert hammer.failures == []
    assert before > 50
    assert set(new).isdisjoint(old)
    assert served_by(hammer) == set(old) | set(new)
    # Only the new workers answer now, and both do (at least 20 requests, and more
    # until each has answered: the kernel may give a long run of them to one worker).
    assert answered_by(server.port, new) == set(new)


def _bodies_now(port: int, count: int) -> list[bytes]:
    return [one_request(port)[1] for _ in range(count)]


def test_ttin_and_ttou_add_and_remove_a_worker_without_a_failed_request(start):
    server = start("--app", "pid_app:app", "--workers", "2")
    first = ready_workers(server, 2)
    with Hammer(server.port) as hammer:
        hammer.wait_for_ok(50)
        server.signal(signal.SIGTTIN)
        [third] = ready_workers(server, 1)
        hammer.wait_for_ok(100)
        server.signal(signal.SIGTTOU)
        seen(server, rf"\(pid {first[0]}\) stopped \(status 0\)")  # the oldest goes
        hammer.wait_for_ok(100)
    assert hammer.failures == []
    assert third in served_by(hammer)
    assert {int(b.split()[0]) for b in _bodies_now(server.port, 20)} <= {first[1], third}


def test_a_killed_worker_is_replaced_and_only_its_requests_in_flight_can_fail(start):
    server = start("--app", "pid_app:app", "--workers", "2")
    victim, _ = ready_workers(server, 2)
    with Hammer(server.port, path="/?0.05") as hammer:
        hammer.wait_for_ok(40)
        os.kill(victim, signal.SIGKILL)
        seen(server, rf"\(pid {victim}\) died \(signal SIGKILL\); starting another")
        [replacement] = ready_workers(server, 1)
        failed_by_then = len(hammer.failures)
        hammer.wait_for_ok(60)
        hammer.wait_until_served_by([replacement])
    print(f"requests failed by the SIGKILL: {failed_by_then} of {hammer.ok + failed_by_then}")
    assert failed_by_then <= 4  # one in flight per client thread at most
    assert len(hammer.failures) == failed_by_then  # none after
    assert replacement in served_by(hammer)


def test_sigterm_lets_every_worker_finish_its_requests_then_exits_0(start):
    server = start("--app", "pid_app:app", "--workers", "2", command=TWISTD)
    ready_workers(server, 2)
    results: list[tuple[int, bytes]] = []
    clients = [
        threading.Thread(target=lambda: results.append(one_request(server.port, "/?1.0")))
        for _ in range(3)
    ]
    for client in clients:
        client.start()
    time.sleep(0.4)  # the requests are in the apps now
    server.signal(signal.SIGTERM)
    for client in clients:
        client.join(15)
    assert server.wait(15) == 0
    assert [status for status, _ in results] == [200, 200, 200]
    assert "graceful stop: stopping 2 workers" in server.text()
    assert "Traceback" not in server.text()


def test_a_second_sigterm_stops_the_workers_at_once(start):
    server = start("--app", "pid_app:app", "--workers", "2", "--shutdown-timeout", "60")
    pids = ready_workers(server, 2)
    stuck = threading.Thread(target=_cut_request, args=(server.port,), daemon=True)
    stuck.start()
    time.sleep(0.4)
    server.signal(signal.SIGTERM)
    server.wait_for("graceful stop: stopping 2 workers")
    started = time.monotonic()
    server.signal(signal.SIGTERM)
    assert server.wait(10) == 128 + signal.SIGTERM
    assert time.monotonic() - started < 10
    assert not any(alive(pid) for pid in pids)


def _cut_request(port: int) -> None:
    with contextlib.suppress(OSError):
        one_request(port, "/?30", timeout=30)


def test_an_app_that_cannot_be_imported_is_one_error_before_any_worker(tmp_path):
    result = _run_labweb(tmp_path, "--app", "nosuch:app", "--workers", "2")
    assert result.returncode == 1
    assert "no module named 'nosuch'" in result.stdout
    assert "Traceback" not in result.stdout
    assert "worker" not in result.stdout


def _run_labweb(tmp_path: Path, *arguments: str):
    import subprocess

    from server_process import LOCAL, ROOT

    return subprocess.run(
        [*LABWEB, *arguments, "--listen", LOCAL],
        cwd=tmp_path,
        env={**os.environ, "PYTHONPATH": str(ROOT)},
        stdin=subprocess.DEVNULL,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        timeout=20,
    )


@pytest.mark.filterwarnings("ignore:Passing pyOpenSSL:DeprecationWarning")
def test_workers_serve_https_on_a_shared_ssl_endpoint(start, tmp_path):
    from test_tls import self_signed

    cert, key = self_signed(tmp_path)
    tls = f"ssl:0:interface=127.0.0.1:certKey={cert}:privateKey={key}"
    server = start("--app", "pid_app:app", "--workers", "2", "--listen", tls)
    pids = ready_workers(server, 2)
    port = int(re.search(r"on https://127\.0\.0\.1:(\d+)/", server.text()).group(1))
    context = ssl.create_default_context(cafile=str(cert))
    bodies = []
    for _ in range(10):
        with (
            socket.create_connection(("127.0.0.1", port), timeout=10) as raw,
            context.wrap_socket(raw, server_hostname="127.0.0.1") as sock,
        ):
            sock.sendall(b"GET / HTTP/1.1\r\nHost: t\r\nConnection: close\r\n\r\n")
            data = b""
            while chunk := sock.recv(65536):
                data += chunk
        assert data.startswith(b"HTTP/1.1 200 ")
        bodies.append(data.partition(b"\r\n\r\n")[2])
    assert {int(body.split()[0]) for body in bodies} <= set(pids)


FAILING_WORKER_APP = """
import sys

if "--number" in sys.argv:  # imports in the supervisor's check, fails in every worker
    raise RuntimeError("no database here")

def app(environ, start_response):
    start_response("200 OK", [])
    return [b""]
"""


def test_workers_that_never_start_make_the_supervisor_give_up_with_status_3(start, tmp_path):
    (tmp_path / "failing_app.py").write_text(FAILING_WORKER_APP)
    server = start("--app", "failing_app:app", "--workers", "2")
    # Five start-ups and 7.5 s of back-off: over 30 s on a loaded machine, where a
    # worker takes 6 s to start. Each failure is waited for in turn instead, so every
    # step has the whole deadline, however slow the machine.
    for _ in range(4):
        server.wait_for(r"failed at start-up \(status 1\); next start in")
    assert server.wait() == 3  # the fifth: 4 s of back-off and a start-up from here
    text = server.text()
    assert "failed at start-up (status 1); next start in 0.5s" in text
    assert "no worker could start (5 failed in a row, the last: status 1); giving up" in text
    assert "RuntimeError: no database here" in text
