"""The native App twins of ``apps.py``, for the ``native`` model.

Same bytes as the WSGI apps; kept apart so WSGI servers never import the router.
``labweb --app twisted_wsgi_lab.bench.native_apps:<name>``.
"""

from __future__ import annotations

import time

from twisted_wsgi_lab import App, Request, Response, StreamingResponse

from .apps import (
    BLOCKING_SECONDS,
    CPU_LOOP_TURNS,
    HELLO_BODY,
    LARGE_BODY,
    SLOW_BODY_BYTES,
    blocks,
    spin,
)

TEXT = "text/plain; charset=utf-8"


def _greeting() -> Response:
    return Response(HELLO_BODY, content_type=TEXT)


hello = App()
blocking = App()
cpu = App()
download = App()
upload = App()
slow = App()


@hello.get("/")
def greet(request: Request) -> Response:
    """The same bytes as the WSGI ``hello``."""
    return _greeting()


@blocking.get("/")
def wait_then_greet(request: Request) -> Response:
    """Block the reactor thread for 10 ms, as a sync handler that calls a database would."""
    time.sleep(BLOCKING_SECONDS)
    return _greeting()


@cpu.get("/")
def compute_then_greet(request: Request) -> Response:
    """About 2 ms of Python in the reactor thread."""
    if spin(CPU_LOOP_TURNS) < 0:
        raise AssertionError("spin() returned a negative checksum")
    return _greeting()


@download.get("/")
def large(request: Request) -> Response:
    """The 1 MiB body, from memory."""
    return Response(LARGE_BODY, content_type="application/octet-stream")


@upload.route("/", methods=["GET", "POST"])
async def count(request: Request) -> Response:
    """Read the whole body and answer with its length."""
    body = await request.body()
    return Response(f"{len(body)}\n".encode("ascii"), content_type=TEXT)


@slow.get("/")
def slow_greet(request: Request) -> Response:
    """``/`` is hello."""
    return _greeting()


@slow.get("/big")
def slow_large(request: Request) -> StreamingResponse:
    """The body slow readers fetch, streamed in blocks."""
    return StreamingResponse(
        blocks(SLOW_BODY_BYTES), headers={"Content-Length": str(SLOW_BODY_BYTES)}
    )
