"""The live dashboard: a native ``App`` under ``/_lab``, built on the recorder.

``/_lab`` is a page of plain HTML and JavaScript (package data, no build step, nothing
fetched from elsewhere); ``/_lab/state`` is the JSON it starts from;
``/_lab/exchanges/N`` one exchange with its raw bytes; ``/_lab/har`` the HAR
document; ``/_lab/feed`` a WebSocket that pushes what changed at most every
``interval_seconds``, one message however many requests came meanwhile, so a busy
server costs the dashboard a few messages a second, not one per request.

Mount it in front of an application with ``LabMount`` (``lab.mount``): the dashboard
shows raw bytes, cookies and credentials included, so it answers local clients only
unless told otherwise.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from importlib import resources
from typing import Any
from urllib.parse import urlsplit

from twisted.internet.task import deferLater

from ..router import App, Request, Response, WebSocket, WebSocketDisconnect, abort
from ..router.websocket import WebSocketState
from .recorder import ExchangeRecorder

PREFIX = "/_lab"
FEED_INTERVAL_SECONDS = 0.5
_TYPES = {
    "html": "text/html; charset=utf-8",
    "js": "text/javascript; charset=utf-8",
    "css": "text/css; charset=utf-8",
}
# The page runs only its own script and talks only to its own origin.
_PAGE_HEADERS = {
    "Cache-Control": "no-store",
    "Content-Security-Policy": "default-src 'self'; img-src 'self' data:; frame-ancestors 'none'",
    "X-Content-Type-Options": "nosniff",
}

PoolStatus = Callable[[], dict[str, int] | None]


def _file_handler(name: str) -> Callable[[Request], Response]:
    """A handler for one file of the page, read once from the package."""
    body = (resources.files(__package__) / "dashboard_page" / name).read_bytes()
    content_type = _TYPES[name.rpartition(".")[2]]

    def serve(request: Request) -> Response:
        return Response(body, content_type=content_type, headers=_PAGE_HEADERS)

    return serve


def same_origin(request: Request) -> bool:
    """True unless a browser says the page that opened this came from another site.

    Any web page may open a WebSocket to 127.0.0.1; the browser's ``Origin`` tells
    which page did. Clients that are not browsers send none.
    """
    origin = request.headers.get("Origin")
    return origin is None or urlsplit(origin).netloc == request.headers.get("Host", "")


class Dashboard:
    """The dashboard's state and the messages it sends, apart from the routes."""

    def __init__(self, recorder: ExchangeRecorder, pool_status: PoolStatus | None = None):
        self.recorder = recorder
        self.pool_status = pool_status

    def state(self, since: int = 0) -> dict[str, Any]:
        """The recorder's snapshot, plus the WSGI thread pool when there is one."""
        return {
            **self.recorder.snapshot(since=since),
            "pool": self.pool_status() if self.pool_status is not None else None,
        }

    async def feed(self, ws: WebSocket, interval_seconds: float) -> None:
        """Push the state on connect, then what changed, at most every interval."""
        if not same_origin(ws.request):
            return  # refused with 403: a page from another site
        await ws.accept()
        clock = ws.request.clock
        sent: tuple[int, Any] | None = None
        since = 0
        while ws.state is WebSocketState.OPEN:
            pool = self.pool_status() if self.pool_status is not None else None
            if sent != (self.recorder.changes, pool):
                sent = (self.recorder.changes, pool)
                message = self.state(since)
                since = message["last"]
                try:
                    await ws.send(json.dumps(message))
                except WebSocketDisconnect:
                    return  # the page went away between two looks
            await deferLater(clock, interval_seconds, lambda: None)


def dashboard_app(
    recorder: ExchangeRecorder,
    *,
    pool_status: PoolStatus | None = None,
    interval_seconds: float = FEED_INTERVAL_SECONDS,
) -> App:
    """The ``/_lab`` App over ``recorder``; ``pool_status`` reports the thread pool."""
    board = Dashboard(recorder, pool_status)
    app = App()
    files = {"": "index.html", "/": "index.html", "/dashboard.js": "dashboard.js"}
    files["/dashboard.css"] = "dashboard.css"
    for suffix, name in files.items():
        app.get(PREFIX + suffix, endpoint=f"lab-file{suffix}")(_file_handler(name))

    @app.get(PREFIX + "/state")
    def state(request: Request) -> dict[str, Any]:
        return board.state()

    @app.get(PREFIX + "/exchanges/<int:number>")
    def exchange(request: Request, number: int) -> dict[str, Any]:
        found = recorder.find(number)
        if found is None:
            abort(404, f"exchange {number} is not among the last {recorder.exchanges.maxlen}")
        return found.details()

    @app.get(PREFIX + "/har")
    def har(request: Request) -> Response:
        return Response(
            json.dumps(recorder.har(), indent=1),
            content_type="application/json",
            headers={"Content-Disposition": 'attachment; filename="labweb.har"'},
        )

    @app.websocket(PREFIX + "/feed")
    async def feed(ws: WebSocket) -> None:
        await board.feed(ws, interval_seconds)

    return app
