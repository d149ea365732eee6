"""``app.static`` on a real port: a 20 MiB file whole and in a range, and a slow reader
that pauses the reads from disk and, by leaving, closes the file."""

from __future__ import annotations

import hashlib
import http.client
import os
import socket
import struct
import threading
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

from twisted_wsgi_lab import App
from twisted_wsgi_lab.router import file_response

TIMEOUT = 10
SIZE = 20 * 1024 * 1024


@pytest.fixture(scope="module")
def big_file(tmp_path_factory: pytest.TempPathFactory) -> Path:
    site = tmp_path_factory.mktemp("site")
    (site / "big.bin").write_bytes(os.urandom(SIZE))
    return site / "big.bin"


@pytest.fixture
def port(serve_handler: Callable[..., int], big_file: Path) -> int:
    app = App()
    app.static("/static", big_file.parent)
    return serve_handler(app)


def get(port: int, headers: dict[str, str] | None = None) -> tuple[int, dict[str, str], bytes]:
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=TIMEOUT)
    try:
        connection.request("GET", "/static/big.bin", headers=headers or {})
        response = connection.getresponse()
        return response.status, dict(response.getheaders()), response.read()
    finally:
        connection.close()


def test_a_20_mib_file_arrives_whole_and_intact(port: int, big_file: Path) -> None:
    status, headers, body = get(port)
    assert status == 200
    assert headers["Content-Length"] == str(SIZE)
    assert hashlib.sha256(body).digest() == hashlib.sha256(big_file.read_bytes()).digest()


def test_a_range_of_the_big_file_arrives_as_206(port: int, big_file: Path) -> None:
    first, last = 5 * 1024 * 1024 + 7, 9 * 1024 * 1024
    status, headers, body = get(port, {"Range": f"bytes={first}-{last}"})
    assert status == 206
    assert headers["Content-Range"] == f"bytes {first}-{last}/{SIZE}"
    with big_file.open("rb") as file:
        file.seek(first)
        assert body == file.read(last - first + 1)


def open_descriptors_on(path: Path) -> int:
    """How many of this process's descriptors are open on ``path`` (Linux /proc)."""
    count = 0
    for fd in os.listdir("/proc/self/fd"):
        try:
            if os.readlink(f"/proc/self/fd/{fd}") == str(path):
                count += 1
        except OSError:
            pass  # closed meanwhile
    return count


def wait_for(condition: Callable[[], bool]) -> None:
    deadline = time.monotonic() + TIMEOUT
    while not condition():
        assert time.monotonic() < deadline, "timed out"
        time.sleep(0.02)


@pytest.mark.skipif(not os.path.isdir("/proc/self/fd"), reason="needs /proc to see open files")
def test_a_slow_reader_pauses_the_reads_and_leaving_closes_the_file(
    port: int, big_file: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    read = [0]
    closed = threading.Event()
    original = file_response.read_blocks

    def counting(*args: Any, **kwargs: Any) -> Iterator[bytes]:
        blocks = original(*args, **kwargs)
        try:
            for block in blocks:
                read[0] += len(block)
                yield block
        finally:
            blocks.close()
            closed.set()

    monkeypatch.setattr(file_response, "read_blocks", counting)
    sock = socket.create_connection(("127.0.0.1", port), timeout=TIMEOUT)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 65536)
    sock.sendall(b"GET /static/big.bin HTTP/1.1\r\nHost: a\r\n\r\n")
    sock.recv(1000)  # the response has begun; now read nothing more
    wait_for(lambda: read[0] > 0)
    time.sleep(0.5)
    settled = read[0]
    time.sleep(0.5)
    assert read[0] == settled  # paused: no block is read while the client reads nothing
    assert settled < SIZE // 2  # socket buffers (a few MiB on loopback), not the file
    assert open_descriptors_on(big_file.resolve()) == 1  # open while the response waits
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
    sock.close()  # a reset: the server sees the client gone at once
    assert closed.wait(TIMEOUT)
    wait_for(lambda: open_descriptors_on(big_file.resolve()) == 0)
