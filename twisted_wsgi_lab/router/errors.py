"""HTTP errors raised by handlers, and the pages that answer them.

A handler says "404" by raising (``abort(404, "no room 7")``) from any depth; the
dispatcher catches ``HTTPError`` and answers with ``error_response``: a small HTML page
for browsers, JSON for clients that ask for it in Accept. Text from the request may be
in ``detail``, so it is always escaped in HTML.
"""

from __future__ import annotations

from html import escape
from http import HTTPStatus
from typing import NoReturn

from ..http11.errors import LabWebError
from .accept import prefers_json
from .headers import Headers, HeadersInput
from .response import HTML, Response


class HTTPError(LabWebError):
    """An error status (4xx or 5xx) for the dispatcher to answer with.

    ``headers`` go on the error response, e.g. ``Allow`` for a 405 or
    ``WWW-Authenticate`` for a 401.

    Raises:
        ValueError: ``status`` is not from 400 to 599; for a redirect, return
            ``Response.redirect`` instead.
    """

    def __init__(
        self, status: int, detail: str | None = None, *, headers: HeadersInput = None
    ) -> None:
        if isinstance(status, bool) or not isinstance(status, int) or not 400 <= status <= 599:
            raise ValueError(f"an HTTPError status is from 400 to 599, not {status!r}")
        title = f"{status} {reason_phrase(status)}"
        super().__init__(f"{title}: {detail}" if detail else title)
        self.status = int(status)
        self.detail = detail
        self.headers = Headers(headers)


def abort(status: int, detail: str | None = None, *, headers: HeadersInput = None) -> NoReturn:
    """Stop the handler and answer with ``status``: raises ``HTTPError``.

    Raises:
        HTTPError: always.
        ValueError: ``status`` is not from 400 to 599.
    """
    raise HTTPError(status, detail, headers=headers)


def reason_phrase(status: int) -> str:
    """The registered reason phrase of ``status``, or "Unknown"."""
    try:
        return HTTPStatus(status).phrase
    except ValueError:
        return "Unknown"


def error_response(
    status: int,
    detail: str | None,
    *,
    accept: str | None,
    debug_traceback: str | None = None,
    headers: HeadersInput = None,
) -> Response:
    """The answer to an error: HTML, or JSON when ``accept`` prefers it (``prefers_json``).

    JSON is ``{"status": 404, "error": "Not Found", "detail": ...}`` with
    ``"traceback"`` added when ``debug_traceback`` is given; HTML shows the same, every
    piece escaped. ``Vary: Accept`` tells caches the body depends on Accept.
    ``headers`` (an HTTPError's) are set last and replace fields of the same name.

    Raises:
        ValueError: ``status`` outside 100..599.
    """
    if prefers_json(accept):
        response = Response.json(_error_document(status, detail, debug_traceback), status)
    else:
        page = _error_page(status, detail, debug_traceback)
        response = Response(page, status, content_type=HTML)
    response.headers["Vary"] = "Accept"
    response.headers.update(headers)
    return response


def _error_document(status: int, detail: str | None, debug_traceback: str | None) -> object:
    document: dict[str, object] = {
        "status": status,
        "error": reason_phrase(status),
        "detail": detail,
    }
    if debug_traceback is not None:
        document["traceback"] = debug_traceback
    return document


def _error_page(status: int, detail: str | None, debug_traceback: str | None) -> str:
    title = escape(f"{status} {reason_phrase(status)}")
    lines = [
        "<!doctype html>",
        '<html lang="en">',
        '<meta charset="utf-8">',
        f"<title>{title}</title>",
        f"<h1>{title}</h1>",
    ]
    if detail:
        lines.append(f"<p>{escape(detail)}</p>")
    if debug_traceback is not None:
        lines.append(f"<pre>{escape(debug_traceback)}</pre>")
    return "\n".join(lines) + "\n"
