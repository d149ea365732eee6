"""Middleware and request hooks: code that wraps every request of an App.

``@app.middleware`` registers ``async def mw(request, call_next)``; ``await
call_next(request)`` runs the rest of the chain (the next middleware, then the
before-request hooks, the route or its error page, the after-request hooks) and
returns the ``Response``, whose headers the middleware may change. The first
registered is the outermost. Error responses (404, 405, a handler's exception) pass
through the chain like any other, so a middleware sees every answer.
"""

from __future__ import annotations

import inspect
from collections.abc import Callable, Sequence
from typing import TYPE_CHECKING, Any

from twisted.internet.defer import Deferred, fail, succeed

from .response import Response
from .results import to_response

if TYPE_CHECKING:
    from .request import Request

Middleware = Callable[["Request", Callable[["Request"], Deferred[Response]]], Any]
Endpoint = Callable[["Request"], "Response | Deferred[Response]"]


def resolve(value: Any, name: str) -> Deferred[Response]:
    """A Deferred of the Response that ``value`` (maybe a coroutine or Deferred) gives."""
    if inspect.iscoroutine(value):
        value = Deferred.fromCoroutine(value)
    if isinstance(value, Deferred):
        return value.addCallback(to_response, name)
    return succeed(to_response(value, name))


def run_chain(
    middlewares: Sequence[Middleware], request: Request, endpoint: Endpoint
) -> Deferred[Response]:
    """Call ``middlewares[0]`` with a ``call_next`` that leads, in turn, to ``endpoint``."""

    def call(index: int, current: Request) -> Deferred[Response]:
        if index == len(middlewares):
            answer = endpoint(current)
            return answer if isinstance(answer, Deferred) else succeed(answer)
        middleware = middlewares[index]

        def call_next(next_request: Request) -> Deferred[Response]:
            return call(index + 1, next_request)

        try:
            return resolve(middleware(current, call_next), _name(middleware))
        except Exception:
            return fail()

    return call(0, request)


def _name(function: Any) -> str:
    return str(getattr(function, "__name__", repr(function)))
