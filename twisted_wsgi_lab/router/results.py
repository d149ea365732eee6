"""What a handler may return, turned into one ``Response``.

Flask's conventions: ``str`` is HTML, ``bytes`` is binary, ``dict`` and ``list`` are
JSON, a tuple adds a status and/or headers, generators (sync or async) stream. A
Deferred or a coroutine is awaited first (``dispatch`` does that); ``None`` is a bug
in the handler, reported with its name.
"""

from __future__ import annotations

import inspect
from collections.abc import Mapping
from typing import Any, cast

from .headers import Headers
from .response import Response, StreamingResponse


class ReturnValueError(TypeError):
    """A handler returned something that cannot become a response."""


def to_response(value: Any, handler_name: str) -> Response:
    """Turn a handler's (already awaited) return value into a ``Response``.

    Raises:
        ReturnValueError: ``None``, a malformed tuple, or an unknown type; the message
            names the handler.
    """
    if isinstance(value, Response):
        return value
    if isinstance(value, tuple):
        return _from_tuple(value, handler_name)
    if isinstance(value, str | bytes):
        return Response(value)
    if isinstance(value, dict | list):
        return Response.json(value)
    if inspect.isgenerator(value) or inspect.isasyncgen(value):
        return StreamingResponse(cast(Any, value))  # items are checked as they are sent
    if value is None:
        raise ReturnValueError(f"handler {handler_name} returned None: return a response")
    raise ReturnValueError(
        f"handler {handler_name} returned a {type(value).__name__}, which is not a response"
        " (str, bytes, dict, list, a tuple, a Response or a generator)"
    )


def _from_tuple(value: tuple[Any, ...], handler_name: str) -> Response:
    """``(body, status)``, ``(body, status, headers)`` or ``(body, headers)``."""
    if len(value) == 2 and isinstance(value[1], int):
        body, status, headers = value[0], value[1], None
    elif len(value) == 2:
        body, status, headers = value[0], None, value[1]
    elif len(value) == 3 and isinstance(value[1], int):
        body, status, headers = value
    else:
        raise ReturnValueError(
            f"handler {handler_name} returned a tuple of {len(value)} items: use "
            "(body, status), (body, status, headers) or (body, headers)"
        )
    if isinstance(body, tuple):
        raise ReturnValueError(f"handler {handler_name} returned a tuple inside a tuple")
    response = to_response(body, handler_name)
    if status is not None:
        response.status = status
    if headers is not None:
        _apply_headers(response, headers, handler_name)
    return response


def _apply_headers(response: Response, headers: Any, handler_name: str) -> None:
    """Fields given with the return value replace the response's fields of that name.

    Raises:
        ReturnValueError: ``headers`` is neither a mapping nor a list of pairs.
    """
    pairs = headers.items() if isinstance(headers, Mapping | Headers) else headers
    if isinstance(pairs, str | bytes) or not all(
        isinstance(pair, tuple | list) and len(pair) == 2 for pair in pairs
    ):
        raise ReturnValueError(
            f"handler {handler_name} returned {headers!r} where headers (a dict or a list"
            " of pairs) or an int status belong"
        )
    replaced: set[str] = set()
    for name, value in pairs:
        if name.lower() not in replaced:
            replaced.add(name.lower())
            if name in response.headers:
                del response.headers[name]
        response.headers.add(name, value)
