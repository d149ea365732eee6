"""The example routes in Bottle: serve with ``labweb --app examples.bottle_app:app``.

Every example app (Flask, Django, Pyramid, Bottle) answers the same routes, so one
test matrix in ``tests/frameworks`` runs them all, unchanged, in both serving modes.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterator
from typing import Any

from bottle import Bottle, request, response

app = Bottle()


@app.get("/")
def index() -> str:
    response.content_type = "text/plain"
    return "hello from bottle"


@app.get("/items/<item_id:int>")
def item(item_id: int) -> dict[str, Any]:
    return {"id": item_id}  # a dict becomes a JSON response


@app.post("/form")
def form() -> str:
    response.content_type = "text/plain"
    return f"name={request.forms.name} age={request.forms.age}"


@app.post("/json")
def echo_json() -> dict[str, Any]:
    return {**request.json, "ok": True}


@app.post("/upload")
def upload() -> dict[str, Any]:
    upload = request.files["file"]
    # Bottle spools big bodies and parts to temporary files that it never closes.
    with request.body, upload.file:
        data = upload.file.read()
    return {
        "filename": upload.filename,
        "size": len(data),
        "sha256": hashlib.sha256(data).hexdigest(),
    }


@app.get("/cookie/set")
def set_cookie() -> str:
    response.content_type = "text/plain"
    response.set_cookie("flavour", "oatmeal")
    return "cookie set"


@app.get("/cookie/get")
def get_cookie() -> str:
    response.content_type = "text/plain"
    return request.get_cookie("flavour", "")


@app.get("/stream")
def stream() -> Iterator[str]:
    response.content_type = "text/plain"
    for number in range(5):
        yield f"line {number}\n"


@app.get("/boom")
def boom() -> str:
    raise RuntimeError("boom: an error in a view becomes Bottle's 500 page")
