"""The lab on a real server: labweb --lab and --har as a process, App observers on a port."""

from __future__ import annotations

import codecs
import json
import signal
import urllib.request
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from server_process import LABWEB, ROOT, ServerProcess, get

from twisted_wsgi_lab import App
from twisted_wsgi_lab.lab import ExchangeRecorder

TIMEOUT = 10


def fetch(port: int, path: str) -> bytes:
    with urllib.request.urlopen(f"http://127.0.0.1:{port}{path}", timeout=TIMEOUT) as response:
        return bytes(response.read())


def raw_requests(har: Path) -> list[bytes]:
    entries = json.loads(har.read_text())["log"]["entries"]
    return [codecs.escape_decode(entry["_raw"]["request"].encode())[0] for entry in entries]


@pytest.mark.subprocess
def test_labweb_lab_shows_requests_and_har_is_written_on_sigusr1_and_at_stop(
    tmp_path: Path,
) -> None:
    har = tmp_path / "exchanges.har"
    server = ServerProcess(
        LABWEB, "--app", "examples.hello:app", "--lab", "--har", str(har), cwd=ROOT
    )
    try:
        assert fetch(server.port, "/first") == b"Hello, world!\n"
        state = json.loads(fetch(server.port, "/_lab/state"))
        assert [x["target"] for x in state["exchanges"]] == ["/first"]
        assert state["pool"]["threads"] == 8
        server.signal(signal.SIGUSR1)
        server.wait_for(r"--har: wrote \d+ exchanges to")
        assert any(b"GET /first HTTP/1.1\r\n" in raw for raw in raw_requests(har))
        get(server.port, "/second")
        server.signal(signal.SIGTERM)
        assert server.wait() == 0
        assert any(b"GET /second HTTP/1.1\r\n" in raw for raw in raw_requests(har))
    finally:
        server.kill()


def test_an_app_s_observer_sees_requests_served_on_a_real_port(
    serve_handler: Callable[..., int], in_reactor: Callable[..., Any]
) -> None:
    app = App()
    app.get("/")(lambda request: "observed")
    recorder = ExchangeRecorder()
    app.add_observer(recorder)
    port = serve_handler(app)
    assert fetch(port, "/?q=1") == b"observed"
    [exchange] = in_reactor(lambda: list(recorder.exchanges))
    assert (exchange.target, exchange.status) == ("/?q=1", 200)
    assert bytes(exchange.raw_out).endswith(b"\r\n\r\nobserved")
