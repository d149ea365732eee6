"""The site's App: routes, templates, sessions, middleware, CORS and errors.

Everything here is what a teaching server did by hand (``docs/origins.md``), done
through labweb's App.
"""

from __future__ import annotations

import os
import time
from typing import Any

from twisted_wsgi_lab import App, HTTPError, Request, Response, WebSocket, abort

app = App(
    secret_key=os.environ.get("SITE_SECRET_KEY", "dev only: set SITE_SECRET_KEY"),
    template_folder="templates",
)
app.add_cors(allow_origins=["http://localhost:3000"], allow_methods=["GET"])
app.static("/static", os.path.join(os.path.dirname(__file__), "static"))


@app.middleware
async def timing(request: Request, call_next: Any) -> Response:
    """Every answer says how long it took (errors too)."""
    started = time.perf_counter()
    response: Response = await call_next(request)
    elapsed = (time.perf_counter() - started) * 1000
    response.headers["Server-Timing"] = f"app;dur={elapsed:.2f}"
    return response


@app.get("/")
def index(request: Request) -> Response:
    """A template with a context, and a visit counter in a cookie session."""
    request.session["visits"] = request.session.get("visits", 0) + 1
    return app.render_template(
        "index.html", visits=request.session["visits"], name=request.session.get("name")
    )


@app.get("/hello")
def hello(request: Request) -> Response:
    """Query parameters: /hello?name=Ada remembers the name in the session."""
    name = request.args.get("name", "world")
    request.session["name"] = name
    return Response.redirect("/", status=303)


@app.get("/api/visits")
def visits(request: Request) -> dict[str, Any]:
    """JSON for a page on another origin (CORS allows http://localhost:3000)."""
    return {"visits": request.session.get("visits", 0)}


@app.get("/teapot")
def teapot(request: Request) -> None:
    """The teaching server's favourite error."""
    abort(418, "I'm a teapot: this server will not brew coffee")


@app.get("/upload")
def upload_page(request: Request) -> Response:
    """A form with a file field."""
    return app.render_template("upload.html", uploaded=None)


@app.post("/upload")
async def upload(request: Request) -> Response:
    """The upload is parsed as it arrives; a large file goes to a temporary file."""
    form = await request.form()
    uploaded = form.files.get("file")
    if uploaded is None:
        abort(400, "choose a file to upload")
    return app.render_template("upload.html", uploaded=uploaded, note=form.get("note"))


ROOM: set[WebSocket] = set()


@app.get("/chat")
def chat_page(request: Request) -> Response:
    """The page of the chat; its script opens the WebSocket below."""
    return app.render_template("chat.html")


@app.websocket("/ws/chat")
async def chat(ws: WebSocket) -> None:
    """Every message from one member goes to every member (a broadcast room)."""
    await ws.accept()
    ROOM.add(ws)
    try:
        async for message in ws:
            for member in list(ROOM):
                await member.send(str(message))
    finally:
        ROOM.discard(ws)


@app.errorhandler(404)
@app.errorhandler(418)
def error_page(request: Request, error: HTTPError) -> tuple[Response, int]:
    """Errors in the site's own template."""
    page = app.render_template(
        "error.html", status=error.status, message=error.detail or "Nothing here."
    )
    return page, error.status
