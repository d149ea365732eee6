"""Views of the example project. POST views are csrf_exempt: the tests are not browsers."""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterator

from django.http import (
    HttpRequest,
    HttpResponse,
    JsonResponse,
    StreamingHttpResponse,
)
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_GET, require_POST


def text(body: str) -> HttpResponse:
    return HttpResponse(body, content_type="text/plain")


@require_GET
def index(request: HttpRequest) -> HttpResponse:
    return text("hello from django")


@require_GET
def item(request: HttpRequest, item_id: int) -> JsonResponse:
    return JsonResponse({"id": item_id})


@csrf_exempt
@require_POST
def form(request: HttpRequest) -> HttpResponse:
    return text(f"name={request.POST['name']} age={request.POST['age']}")


@csrf_exempt
@require_POST
def echo_json(request: HttpRequest) -> JsonResponse:
    return JsonResponse({**json.loads(request.body), "ok": True})


@csrf_exempt
@require_POST
def upload(request: HttpRequest) -> JsonResponse:
    upload = request.FILES["file"]
    hasher = hashlib.sha256()
    for chunk in upload.chunks():
        hasher.update(chunk)
    return JsonResponse(
        {"filename": upload.name, "size": upload.size, "sha256": hasher.hexdigest()}
    )


@require_GET
def set_cookie(request: HttpRequest) -> HttpResponse:
    response = text("cookie set")
    response.set_cookie("flavour", "oatmeal")
    return response


@require_GET
def get_cookie(request: HttpRequest) -> HttpResponse:
    return text(request.COOKIES.get("flavour", ""))


@require_GET
def stream(request: HttpRequest) -> StreamingHttpResponse:
    def lines() -> Iterator[str]:
        for number in range(5):
            yield f"line {number}\n"

    return StreamingHttpResponse(lines(), content_type="text/plain")


def boom(request: HttpRequest) -> HttpResponse:
    raise RuntimeError("boom: an error in a view becomes Django's 500 page")
