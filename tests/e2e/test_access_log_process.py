"""``--access-log``: the labweb command writes a line per response; a bad path is named."""

from __future__ import annotations

import signal
import subprocess
import urllib.request

import pytest
from server_process import LABWEB, ROOT, TWISTD, ServerProcess

pytestmark = pytest.mark.subprocess


@pytest.mark.parametrize("command", [LABWEB, TWISTD], ids=["labweb", "twistd"])
def test_each_response_is_logged_to_standard_output(command: tuple[str, ...]) -> None:
    server = ServerProcess(command, "--app", "examples.hello:app", "--access-log", "-", cwd=ROOT)
    try:
        request = urllib.request.Request(
            f"http://127.0.0.1:{server.port}/", headers={"User-Agent": "access-log-test"}
        )
        with urllib.request.urlopen(request, timeout=10) as response:
            assert response.status == 200
        line = server.wait_for(r'"GET / HTTP/1\.1" 200 \d+ "-" "access-log-test" [\d.]+ms')
        # Under twistd standard output is its log, so twistd's prefix may come first.
        assert "127.0.0.1 - - [" in line.string
    finally:
        server.signal(signal.SIGTERM)
        server.kill()


def test_an_access_log_that_cannot_be_opened_is_named(tmp_path: object) -> None:
    done = subprocess.run(
        [*LABWEB, "--access-log", "/nonexistent-dir/access.log", "--listen", "tcp:0"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=30,
    )
    assert done.returncode != 0
    assert "--access-log '/nonexistent-dir/access.log'" in done.stderr
    assert "Traceback" not in done.stderr
