"""Step 6: the native ``App``: routes, methods, converters, JSON, async handlers.

``App`` is the other ``IRequestHandler``: it matches the request head against its
routes and calls a handler with a ``Request``; a handler returns a value (text, a dict
as JSON, a ``Response``) or awaits first. Wrong paths and methods get 404 and 405
without a line of yours (docs/tutorial/step6.md).
"""

from __future__ import annotations

import argparse
from collections.abc import Awaitable, Callable

from twisted.internet import reactor

from twisted_wsgi_lab import App, HTTPFactory, Request, Response, abort

app = App()
ROOMS = {1: ["ada", "grace"], 2: ["alan"]}


@app.middleware
async def log(request: Request, call_next: Callable[[Request], Awaitable[Response]]) -> Response:
    """Around every handler, errors included: one line per answer on the console."""
    response = await call_next(request)
    print(f"  {request.method} {request.path} -> {response.status}", flush=True)
    return response


@app.get("/")
def index(request: Request) -> str:
    return "Try /rooms/1 or POST to /rooms/1\n"


@app.get("/rooms/<int:room_id>")
def room(request: Request, room_id: int) -> dict[str, object]:
    if room_id not in ROOMS:
        abort(404, f"no room {room_id}")
    return {"room": room_id, "members": ROOMS[room_id]}


@app.post("/rooms/<int:room_id>")
async def join(request: Request, room_id: int) -> tuple[dict[str, object], int]:
    name = (await request.body()).decode()  # the body arrives without blocking anyone
    ROOMS.setdefault(room_id, []).append(name)
    return {"room": room_id, "joined": name}, 201


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--port", type=int, default=8000, help="0 picks a free port")
    port = reactor.listenTCP(parser.parse_args().port, HTTPFactory(app), interface="127.0.0.1")
    print(f"listening on http://127.0.0.1:{port.getHost().port}/", flush=True)
    reactor.run()  # Ctrl-C stops it


if __name__ == "__main__":
    main()
