"""--reload: an edited app is served without a restart by hand; a broken edit is not."""

from __future__ import annotations

import time
from pathlib import Path

import pytest
from server_process import LABWEB, ServerProcess
from workers_support import Hammer, one_request, ready_workers

pytestmark = pytest.mark.subprocess

APP = """
def app(environ, start_response):
    start_response("200 OK", [("Content-Type", "text/plain")])
    return [{text!r}]
"""
POLL_SECONDS = 15


def write_app(directory: Path, text: bytes) -> None:
    (directory / "mod.py").write_text(APP.format(text=text))


def served_text(port: int) -> bytes:
    status, body = one_request(port)
    assert status == 200
    return body


def wait_until_served(port: int, text: bytes) -> None:
    deadline = time.monotonic() + POLL_SECONDS
    while (body := served_text(port)) != text:
        assert time.monotonic() < deadline, f"still {body!r}, not {text!r}"
        time.sleep(0.1)


@pytest.fixture
def server(tmp_path: Path):
    site = tmp_path / "site"
    site.mkdir()
    write_app(site, b"first version")
    process = ServerProcess(LABWEB, "--reload", "--app-dir", str(site), "--app", "mod:app",
                            cwd=tmp_path)  # fmt: skip
    yield process, site
    process.kill()


def test_an_edit_is_served_without_a_failed_request_and_a_broken_one_is_not(server):
    process, site = server
    ready_workers(process, 1)
    assert served_text(process.port) == b"first version"

    with Hammer(process.port, threads=2) as hammer:
        hammer.wait_for_ok(20)
        write_app(site, b"second version, longer")
        wait_until_served(process.port, b"second version, longer")
        hammer.wait_for_ok(20)
    assert hammer.failures == []
    process.wait_for(r"worker 1 \(pid \d+\) stopped")

    (site / "mod.py").write_text("def app(environ, start_response:\n")
    found = process.wait_for(r"mod\.py changed: not reloading, the new code does not load")
    assert "SyntaxError" in found.string
    assert "still serving the previous code" in found.string
    assert served_text(process.port) == b"second version, longer"

    write_app(site, b"fixed")
    wait_until_served(process.port, b"fixed")
