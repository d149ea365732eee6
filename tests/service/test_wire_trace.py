"""The wire trace: every byte in and out, escaped and cut, with the connection's events."""

from __future__ import annotations

import io
import subprocess
import sys

import pytest
from twisted.internet.task import Clock

from twisted_wsgi_lab import App, HTTPFactory, HTTPProtocol
from twisted_wsgi_lab.lab import trace
from twisted_wsgi_lab.testing import connect


def traced(max_bytes: int = 1024) -> tuple[HTTPProtocol, io.StringIO]:
    app = App()
    app.get("/")(lambda request: "hello")
    app.post("/big")(lambda request: "x" * 5000)
    factory = HTTPFactory(app, clock=Clock())
    output = io.StringIO()
    trace(factory, output, max_bytes=max_bytes)
    protocol, _ = connect(factory, peer=("192.0.2.9", 4321))
    return protocol, output


def test_bytes_in_and_out_are_shown_curl_v_style_with_the_connection() -> None:
    protocol, output = traced()
    protocol.dataReceived(b"GET / HTTP/1.1\r\nHost: a\r\n\r\n")
    protocol.connectionLost(None)  # type: ignore[arg-type]
    lines = output.getvalue().splitlines()
    assert lines[0].endswith("[1] * connected from 192.0.2.9:4321 to 127.0.0.1:8080")
    assert any(line.endswith("[1] > GET / HTTP/1.1\\r\\n") for line in lines)
    assert any(line.endswith("[1] < HTTP/1.1 200 OK\\r\\n") for line in lines)
    assert any(line.endswith("[1] < hello") for line in lines)
    assert lines[-1].endswith("[1] * closed")


def test_control_bytes_are_escaped_and_refusals_are_said() -> None:
    protocol, output = traced()
    protocol.dataReceived(b"GET / HTTP/1.1\r\nHost: a\r\nX: a\x00b\r\n\r\n")
    text = output.getvalue()
    assert "> X: a\\x00b\\r\\n" in text
    assert "* refused: 400" in text


def test_a_literal_backslash_before_x0d_is_not_shown_as_a_carriage_return() -> None:
    protocol, output = traced()
    protocol.dataReceived(b"GET /a\\x0d HTTP/1.1\r\nHost: a\r\n\r\n")
    text = output.getvalue()
    # the client sent a backslash, then the three characters x0d: not a CR
    assert "> GET /a\\\\x0d HTTP/1.1\\r\\n" in text


def test_long_pieces_are_cut_with_the_count_of_what_is_not_shown() -> None:
    protocol, output = traced(max_bytes=100)
    protocol.dataReceived(b"POST /big HTTP/1.1\r\nHost: a\r\nContent-Length: 0\r\n\r\n")
    assert "more bytes not shown (--trace-bytes)" in output.getvalue()


@pytest.mark.subprocess
def test_labweb_trace_prints_the_wire_to_standard_error() -> None:
    from pathlib import Path

    root = Path(__file__).resolve().parents[2]
    sys.path.insert(0, str(root / "tests" / "e2e"))
    from server_process import LABWEB, ServerProcess

    server = ServerProcess(LABWEB, "--app", "examples.hello:app", "--trace", cwd=root)
    try:
        import urllib.request

        with urllib.request.urlopen(f"http://127.0.0.1:{server.port}/", timeout=10) as response:
            assert response.status == 200
        server.wait_for(r"\] > GET / HTTP/1\.1\\r\\n")
        server.wait_for(r"\] < HTTP/1\.1 200 OK\\r\\n")
    finally:
        server.kill()


def test_a_trace_file_that_cannot_be_opened_is_named() -> None:
    done = subprocess.run(
        [sys.executable, "-m", "twisted_wsgi_lab", "--trace-file", "/nonexistent-dir/t.log",
         "--listen", "tcp:0:interface=127.0.0.1"],
        capture_output=True, text=True, timeout=30,
    )  # fmt: skip
    assert done.returncode != 0
    assert "--trace-file '/nonexistent-dir/t.log'" in done.stderr
