"""A native labweb App: routes, converters, a JSON API, async handlers, streaming, errors.

Serve it with ``labweb --app examples.router_app:app`` and try::

    curl http://127.0.0.1:8080/
    curl http://127.0.0.1:8080/books/1
    curl -X POST -H 'Content-Type: application/json' -d '{"title": "Emma"}' \\
        http://127.0.0.1:8080/books
    curl -N http://127.0.0.1:8080/countdown/3

Its tests, through the test client, are in ``examples/test_router_app.py``.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any

from twisted.internet.task import deferLater

from twisted_wsgi_lab import App, HTTPError, Request, Response, Router, abort

app = App()
api = Router()

BOOKS: dict[int, dict[str, Any]] = {1: {"id": 1, "title": "Persuasion"}}


@app.get("/")
def index(request: Request) -> str:
    """A str is HTML."""
    return f'<h1>Books</h1><a href="{app.url_for("book", book_id=1)}">the first one</a>'


@api.get("/books/<int:book_id>")
def book(request: Request, book_id: int) -> dict[str, Any]:
    """A dict is JSON; the converter already made the id an int."""
    if book_id not in BOOKS:
        abort(404, f"no book {book_id}")
    return BOOKS[book_id]


@api.post("/books")
async def add_book(request: Request) -> tuple[dict[str, Any], int, dict[str, str]]:
    """An async handler: the body is awaited, then 201 with a Location."""
    data = await request.json()
    if not isinstance(data, dict) or not isinstance(data.get("title"), str):
        abort(400, 'send {"title": "..."}')
    book_id = max(BOOKS) + 1
    BOOKS[book_id] = {"id": book_id, "title": data["title"]}
    return BOOKS[book_id], 201, {"Location": app.url_for("book", book_id=book_id)}


@app.get("/slow")
async def slow(request: Request) -> str:
    """Awaiting a Deferred holds no thread and no other client."""
    await deferLater(request.clock, 0.5, lambda: None)
    return "waited half a second"


@app.get("/countdown/<int:start>")
def countdown(request: Request, start: int) -> Any:
    """An async generator streams: each line leaves as it is made."""

    async def lines() -> AsyncIterator[str]:
        for n in range(start, 0, -1):
            yield f"{n}...\n"
            await deferLater(request.clock, 1.0, lambda: None)
        yield "liftoff\n"

    return lines()


@app.get("/files/<path:name>")
def file_name(request: Request, name: str) -> Response:
    """A path converter takes the rest of the path, slashes included."""
    return Response(f"you asked for {name}\n", content_type="text/plain; charset=utf-8")


@app.errorhandler(404)
def not_found(request: Request, error: HTTPError) -> tuple[dict[str, Any], int]:
    """Every 404, the router's own included, answered as JSON."""
    return {"error": "not found", "detail": error.detail}, 404


app.include(api, prefix="/api")
