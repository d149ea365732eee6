"""The example routes in Flask: serve with ``labweb --app examples.flask_app:app``.

Every example app (Flask, Django, Pyramid, Bottle) answers the same routes, so one
test matrix in ``tests/frameworks`` runs them all, unchanged, in both serving modes.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterator

from flask import Flask, Response, jsonify, request

app = Flask(__name__)


def text(body: str) -> Response:
    return Response(body, mimetype="text/plain")


@app.get("/")
def index() -> Response:
    return text("hello from flask")


@app.get("/items/<int:item_id>")
def item(item_id: int) -> Response:
    return jsonify(id=item_id)


@app.post("/form")
def form() -> Response:
    return text(f"name={request.form['name']} age={request.form['age']}")


@app.post("/json")
def echo_json() -> Response:
    return jsonify({**request.get_json(), "ok": True})


@app.post("/upload")
def upload() -> Response:
    data = request.files["file"].read()
    return jsonify(
        filename=request.files["file"].filename,
        size=len(data),
        sha256=hashlib.sha256(data).hexdigest(),
    )


@app.get("/cookie/set")
def set_cookie() -> Response:
    response = text("cookie set")
    response.set_cookie("flavour", "oatmeal")
    return response


@app.get("/cookie/get")
def get_cookie() -> Response:
    return text(request.cookies.get("flavour", ""))


@app.get("/stream")
def stream() -> Response:
    def lines() -> Iterator[str]:
        for number in range(5):
            yield f"line {number}\n"

    return Response(lines(), mimetype="text/plain")


@app.get("/boom")
def boom() -> Response:
    raise RuntimeError("boom: an error in a view becomes Flask's 500 page")
