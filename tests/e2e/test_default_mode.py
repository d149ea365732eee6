"""Without ``--mode``, one slow request no longer holds every other client.

The default is thread mode for all three commands, as for ``twistd web --wsgi``,
waitress and gunicorn's threaded workers. Order, not timing, is asserted: the fast
request must be answered while the slow one is still in the app.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from server_process import LABWEB, TWISTD, ServerProcess, get

pytestmark = pytest.mark.subprocess

SLEEPY_APP = """
import sys, time

def app(environ, start_response):
    if environ["PATH_INFO"] == "/slow":
        print("slow request begun", file=sys.stderr, flush=True)
        time.sleep(2)
    # one string: the watchdog's thread logs to the same stream, and print() with
    # several arguments writes them one by one, so its line could land in between
    print("app done with " + environ["PATH_INFO"], file=sys.stderr, flush=True)
    start_response("200 OK", [("Content-Type", "text/plain")])
    return [environ["PATH_INFO"].encode()]
"""


@pytest.fixture
def start(tmp_path: Path) -> Iterator[Callable[..., ServerProcess]]:
    """start(command, *arguments) -> a server for sleepy_app:app, killed at teardown."""
    (tmp_path / "sleepy_app.py").write_text(SLEEPY_APP)
    servers: list[ServerProcess] = []

    def start_server(command: tuple[str, ...], *arguments: str) -> ServerProcess:
        server = ServerProcess(command, "--app", "sleepy_app:app", *arguments, cwd=tmp_path)
        servers.append(server)
        return server

    yield start_server
    for server in servers:
        server.kill()


@pytest.mark.parametrize("command", [LABWEB, TWISTD], ids=["labweb", "twistd"])
def test_by_default_a_fast_request_is_answered_while_a_slow_one_sleeps(start, command):
    server = start(command)
    answered: list[str] = []

    def fetch(path: str) -> None:
        assert get(server.port, path).endswith(path.encode())
        answered.append(path)

    slow = threading.Thread(target=fetch, args=("/slow",))
    slow.start()
    server.wait_for("slow request begun")
    fetch("/fast")
    slow.join(20)
    assert answered == ["/fast", "/slow"]
    assert "in 8 threads" in server.text()


def test_in_reactor_mode_the_slow_request_holds_the_fast_one(start):
    """The trade-off the default avoids, shown so the test above means something."""
    server = start(LABWEB, "--mode", "reactor")
    slow = threading.Thread(target=get, args=(server.port, "/slow"))
    slow.start()
    server.wait_for("slow request begun")
    assert get(server.port, "/fast").endswith(b"/fast")
    slow.join(20)
    server.wait_for("app done with /fast")
    done = [line.split()[-1] for line in server.lines if "app done with" in line]
    assert done == ["/slow", "/fast"]  # the app saw /fast only once /slow had returned
