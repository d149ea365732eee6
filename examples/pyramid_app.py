"""The example routes in Pyramid: serve with ``labweb --app examples.pyramid_app:app``.

Every example app (Flask, Django, Pyramid, Bottle) answers the same routes, so one
test matrix in ``tests/frameworks`` runs them all, unchanged, in both serving modes.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterator
from typing import Any

from pyramid.config import Configurator
from pyramid.httpexceptions import HTTPInternalServerError
from pyramid.request import Request
from pyramid.response import Response


def index(request: Request) -> Response:
    return Response("hello from pyramid", content_type="text/plain")


def item(request: Request) -> dict[str, Any]:
    return {"id": int(request.matchdict["item_id"])}


def form(request: Request) -> Response:
    fields = request.POST
    return Response(f"name={fields['name']} age={fields['age']}", content_type="text/plain")


def echo_json(request: Request) -> dict[str, Any]:
    return {**request.json_body, "ok": True}


def upload(request: Request) -> dict[str, Any]:
    field = request.POST["file"]
    # WebOb copied the body to a temporary file that only the garbage collector closes.
    with request.body_file_raw:
        data = field.file.read()
    return {
        "filename": field.filename,
        "size": len(data),
        "sha256": hashlib.sha256(data).hexdigest(),
    }


def set_cookie(request: Request) -> Response:
    response = Response("cookie set", content_type="text/plain")
    response.set_cookie("flavour", "oatmeal")
    return response


def get_cookie(request: Request) -> Response:
    return Response(request.cookies.get("flavour", ""), content_type="text/plain")


def stream(request: Request) -> Response:
    def lines() -> Iterator[bytes]:
        for number in range(5):
            yield f"line {number}\n".encode()

    return Response(app_iter=lines(), content_type="text/plain")


def boom(request: Request) -> Response:
    raise RuntimeError("boom: an error in a view becomes a 500 page")


def server_error(exc: Exception, request: Request) -> HTTPInternalServerError:
    """Pyramid lets exceptions out of the app unless an exception view catches them."""
    return HTTPInternalServerError()


ROUTES = [
    ("index", "/", "GET", index, None),
    ("item", r"/items/{item_id:\d+}", "GET", item, "json"),
    ("form", "/form", "POST", form, None),
    ("json", "/json", "POST", echo_json, "json"),
    ("upload", "/upload", "POST", upload, "json"),
    ("set_cookie", "/cookie/set", "GET", set_cookie, None),
    ("get_cookie", "/cookie/get", "GET", get_cookie, None),
    ("stream", "/stream", "GET", stream, None),
    ("boom", "/boom", "GET", boom, None),
]

with Configurator() as config:
    for name, pattern, method, view, renderer in ROUTES:
        config.add_route(name, pattern, request_method=method)
        config.add_view(view, route_name=name, renderer=renderer)
    config.add_exception_view(server_error, context=Exception)
    app = config.make_wsgi_app()
