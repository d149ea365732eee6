"""examples/howto/trace_to_bytes.py gives back exactly the bytes the trace saw arrive."""

from __future__ import annotations

import io
import sys

import pytest
from doc_session import ROOT
from twisted.internet.task import Clock

from twisted_wsgi_lab import App, HTTPFactory
from twisted_wsgi_lab.lab import trace
from twisted_wsgi_lab.testing import connect

if str(ROOT) not in sys.path:  # the examples package, however pytest was started
    sys.path.insert(0, str(ROOT))
from examples.howto.trace_to_bytes import received


def traced(*pieces: bytes, max_bytes: int = 100_000) -> str:
    """The wire trace of one connection that receives ``pieces``, one read each."""
    app = App()
    app.get("/")(lambda request: "hi")
    factory = HTTPFactory(app, clock=Clock())
    output = io.StringIO()
    trace(factory, output, max_bytes=max_bytes)
    protocol, _ = connect(factory)
    for piece in pieces:
        protocol.dataReceived(piece)
    return output.getvalue()


@pytest.mark.parametrize(
    "pieces",
    [
        (b"GET / HTTP/1.1\r\nHost: a\r\n\r\n",),
        (b"GET / HTTP/1.1\nHost: a\n\n",),
        (b"GET / HT", b"TP/1.1\r\nHost: a\r\n", b"\r\n"),
        (b"GET / HTTP/1.1\r\nHost: a\r\nX-Odd: \\ \t \x00 \x7f \xff\r\n\r\n",),
        (bytes(range(256)),),
    ],
    ids=["crlf", "bare-lf", "three-reads", "escapes", "every-byte"],
)
def test_the_received_bytes_come_back_unchanged(pieces: tuple[bytes, ...]) -> None:
    assert received(traced(*pieces), 1) == b"".join(pieces)


def test_a_connection_whose_received_bytes_were_cut_is_refused() -> None:
    with pytest.raises(SystemExit, match="trace with more --trace-bytes"):
        received(traced(b"GET / HTTP/1.1\r\nHost: a\r\n\r\n", max_bytes=10), 1)


def test_only_the_asked_connection_is_taken() -> None:
    assert received(traced(b"GET / HTTP/1.1\r\nHost: a\r\n\r\n"), 2) == b""
