"""Uploads end to end: a 300 MiB file through ``labweb`` in bounded memory, and a
multipart form from a real client (treq) on a real port."""

from __future__ import annotations

import json
import re
import socket
import textwrap
import time
import zlib
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
import treq
from server_process import LABWEB, ServerProcess
from twisted.internet.defer import ensureDeferred

from twisted_wsgi_lab import App, Request
from twisted_wsgi_lab.http11.limits import MIB

UPLOAD_BYTES = 300 * MIB
ALLOWED_GROWTH_BYTES = 64 * MIB
BOUNDARY = "labweb-upload-test-7d3f"
# No CR in it (bytes 0..255 in order never give CRLF), so never a boundary inside.
PATTERN = bytes(range(256)) * 4096  # 1 MiB
TIMEOUT = 30

UPLOAD_APP = """
    import zlib

    from twisted_wsgi_lab import App

    app = App()


    @app.post("/upload")
    async def upload(request):
        form = await request.form()
        upload = form.files["file"]
        crc = 0
        while chunk := upload.read(1024 * 1024):
            crc = zlib.crc32(chunk, crc)
        return {
            "note": form.get("note"),
            "size": upload.size,
            "crc": crc,
            "in_memory": upload.in_memory,
        }
"""


def peak_rss_bytes(pid: int) -> int:
    """The child's peak resident set (VmHWM), from /proc."""
    status = Path(f"/proc/{pid}/status").read_text()
    found = re.search(r"^VmHWM:\s+(\d+) kB$", status, re.M)
    assert found is not None, status
    return int(found.group(1)) * 1024


def multipart_pieces(size: int) -> tuple[bytes, Iterator[bytes], bytes]:
    """The head of the body, the file's bytes as a generator, and the tail."""
    head = (
        f"--{BOUNDARY}\r\n"
        'Content-Disposition: form-data; name="note"\r\n\r\n'
        "big one\r\n"
        f"--{BOUNDARY}\r\n"
        'Content-Disposition: form-data; name="file"; filename="big.bin"\r\n'
        "Content-Type: application/octet-stream\r\n\r\n"
    ).encode()
    tail = f"\r\n--{BOUNDARY}--\r\n".encode()

    def chunks() -> Iterator[bytes]:
        for start in range(0, size, len(PATTERN)):
            yield PATTERN[: min(len(PATTERN), size - start)]

    return head, chunks(), tail


def post_upload(port: int, size: int) -> tuple[bytes, int]:
    """POST a ``size``-byte file from a generator over a raw socket: (response, crc)."""
    head, chunks, tail = multipart_pieces(size)
    request_head = (
        "POST /upload HTTP/1.1\r\nHost: t\r\nConnection: close\r\n"
        f"Content-Type: multipart/form-data; boundary={BOUNDARY}\r\n"
        f"Content-Length: {len(head) + size + len(tail)}\r\n\r\n"
    ).encode()
    crc = 0
    response = b""
    with socket.create_connection(("127.0.0.1", port), timeout=TIMEOUT) as sock:
        sock.sendall(request_head + head)
        for chunk in chunks:
            crc = zlib.crc32(chunk, crc)
            sock.sendall(chunk)
        sock.sendall(tail)
        while data := sock.recv(65536):
            response += data
    return response, crc


def answer(response: bytes) -> dict[str, Any]:
    status_line, _, rest = response.partition(b"\r\n")
    assert status_line == b"HTTP/1.1 200 OK", response[:500]
    return json.loads(rest.partition(b"\r\n\r\n")[2])  # type: ignore[no-any-return]


@pytest.mark.subprocess
@pytest.mark.timeout(60)
def test_a_300_mib_upload_leaves_the_server_within_64_mib_of_idle(tmp_path: Path) -> None:
    (tmp_path / "upload_app.py").write_text(textwrap.dedent(UPLOAD_APP))
    server = ServerProcess(
        LABWEB, "--app", "upload_app:app", "--app-dir", str(tmp_path), cwd=tmp_path
    )
    try:
        pid = server.process.pid
        warm, _ = post_upload(server.port, 2 * MIB)  # imports and first buffers, once
        assert answer(warm)["size"] == 2 * MIB
        idle = peak_rss_bytes(pid)
        started = time.monotonic()
        response, crc = post_upload(server.port, UPLOAD_BYTES)
        elapsed = time.monotonic() - started
        growth = peak_rss_bytes(pid) - idle
        result = answer(response)
        assert result == {"note": "big one", "size": UPLOAD_BYTES, "crc": crc, "in_memory": False}
        print(f"300 MiB in {elapsed:.1f}s; peak RSS {idle / MIB:.1f} MiB, grew {growth / MIB:.1f}")
        assert growth < ALLOWED_GROWTH_BYTES, f"peak RSS grew {growth / MIB:.1f} MiB"
        assert elapsed < 15
    finally:
        server.kill()


# -- a real client on a real port ---------------------------------------------------


def test_treq_posts_fields_and_files_that_the_app_reads(
    serve_handler: Callable[..., int], in_reactor: Callable[..., Any], tmp_path: Path
) -> None:
    app = App()
    saved = tmp_path / "saved.txt"

    @app.post("/form")
    async def form_view(request: Request) -> dict[str, Any]:
        form = await request.form()
        photos = form.files.getlist("photos")
        photos[0].save(saved)
        return {
            "title": form.get("title"),
            "photos": [[p.filename, p.content_type, p.size] for p in photos],
        }

    port = serve_handler(app)

    async def post() -> tuple[int, Any]:
        response = await treq.post(
            f"http://127.0.0.1:{port}/form",
            data={"title": "holiday"},
            files=[
                ("photos", ("a.txt", "text/plain", _file(tmp_path / "a.txt", b"first"))),
                ("photos", ("b.bin", "application/octet-stream", _file(tmp_path / "b", b"2nd!"))),
            ],
            timeout=TIMEOUT,
        )
        return response.code, await response.json()

    status, body = in_reactor(lambda: ensureDeferred(post()))
    assert status == 200
    assert body == {
        "title": "holiday",
        "photos": [["a.txt", "text/plain", 5], ["b.bin", "application/octet-stream", 4]],
    }
    assert saved.read_bytes() == b"first"


def _file(path: Path, data: bytes) -> Any:
    path.write_bytes(data)
    return path.open("rb")
