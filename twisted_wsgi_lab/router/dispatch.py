"""One request through the App: match on the head, call the handler, answer.

Routing happens as soon as the head has arrived, before any body byte is read, so a
404, 405 or 308 goes out without reading an upload. The handler runs in the reactor
thread and may return a value, a Deferred or a coroutine (awaited here), and whatever
it returns becomes a ``Response`` (``results.to_response``). A client that goes away
first cancels the handler: its Deferred is cancelled, so a coroutine gets
``CancelledError`` at its current ``await``.
"""

from __future__ import annotations

import inspect
from typing import TYPE_CHECKING, Any
from urllib.parse import unquote_to_bytes

from twisted.internet.defer import CancelledError, Deferred, succeed
from twisted.logger import Logger
from twisted.python.failure import Failure

from ..engine import Exchange, answer_failure
from .errors import HTTPError, error_response
from .matcher import Found, MethodNotAllowed, Redirect
from .middleware import run_chain
from .request import Request
from .response import Response
from .results import ReturnValueError, to_response
from .sending import send_response

if TYPE_CHECKING:
    from .app import App

log = Logger()


async def _awaited(value: Any) -> Any:
    """``value``, awaited first if it is a coroutine or a Deferred."""
    if inspect.iscoroutine(value) or isinstance(value, Deferred):
        return await value
    return value


def _name(function: Any) -> str:
    return str(getattr(function, "__name__", repr(function)))


def path_segments(raw_path: bytes) -> list[str]:
    """Split the still-encoded path on ``/`` (``["", "a", "b"]``), then decode each segment.

    Splitting first keeps an encoded ``%2F`` inside its segment: it never moves a
    request to another route.

    Raises:
        HTTPError: 400 if a segment is not UTF-8.
    """
    try:
        return [unquote_to_bytes(part).decode("utf-8") for part in raw_path.split(b"/")]
    except UnicodeDecodeError:
        raise HTTPError(400, "the path is not UTF-8") from None


# What most handlers return: values to_response() turns into a Response at once.
_PLAIN_RESULTS = frozenset({Response, str, bytes, dict, list, tuple})


class Dispatch:
    """Answer one exchange with the App's routes and error handlers."""

    handler_name = "(routing)"  # the handler answering, once routed, for logs
    _pending: Deferred[Any] | None = None  # a handler's Deferred, cancelled if the client leaves

    def __init__(self, app: App, exchange: Exchange) -> None:
        self.app = app
        self.exchange = exchange
        self.request = Request(exchange, app, {})
        # What the route is chosen by: the method on the wire, as decoded before any
        # middleware may rewrite request.method.
        self.method = self.request.method

    def run(self) -> None:
        """Answer the exchange; the response may go out later (a Deferred, a stream).

        A handler that returns a plain value is answered without any Deferred: the
        common case pays for none.
        """
        answer = self._answer()
        # Response first: a plain class, where isinstance() of Deferred goes through
        # ABCMeta (Deferred is an Awaitable), a Python call on every request.
        if not isinstance(answer, Response):
            # Only an answer still to come can outlive its client: nothing ran
            # between the handler's start and here for one to leave.
            self.exchange.on_disconnect(self._client_gone)
            answer.addCallback(self._send).addErrback(self._send_failed)
            return
        try:
            self._send(answer)
        except Exception:
            self._send_failed(Failure())

    def respond(self) -> Deferred[Response]:
        """The response for the exchange, with every error already turned into a page."""
        answer = self._answer()
        return answer if isinstance(answer, Deferred) else succeed(answer)

    def _answer(self) -> Response | Deferred[Response]:
        app = self.app
        if app.middlewares or app.before_hooks or app.after_hooks:
            answer = run_chain(app.middlewares, self.request, self._with_hooks)
            return answer.addErrback(self._error_later)
        return self._routed()

    def _routed(self) -> Response | Deferred[Response]:
        """The route's answer, or the error page for whatever went wrong."""
        try:
            return self._route()
        except Exception:
            return self._error_page(Failure())

    def _with_hooks(self, request: Request) -> Deferred[Response]:
        """Before-request hooks, the route (or its error page), after-request hooks."""
        self.request = request
        return Deferred.fromCoroutine(self._hooks_around_route(request))

    async def _hooks_around_route(self, request: Request) -> Response:
        response: Response | None = None
        try:
            for hook in self.app.before_hooks:
                value = await _awaited(hook(request))
                if value is not None:  # a response: the route is not called
                    response = to_response(value, _name(hook))
                    break
            if response is None:
                response = await _awaited(self._routed())
        except Exception:
            response = await _awaited(self._error_page(Failure()))
        for hook in self.app.after_hooks:
            value = await _awaited(hook(request, response))
            if not isinstance(value, Response):
                raise ReturnValueError(
                    f"after_request hook {_name(hook)} returned {type(value).__name__}:"
                    " return the response"
                )
            response = value
        return response

    # -- routing and calling ------------------------------------------------------

    def _route(self) -> Response | Deferred[Response]:
        exchange = self.exchange
        head = exchange.head
        method = self.method
        if head.path == b"*":
            return self._options_response(self.app.all_methods())
        match = self.app.match(head.path, method)
        if isinstance(match, Found):
            self.request.params = dict(match.params)  # the match may be shared
            self.handler_name = match.endpoint
            return self._call(match.target, self.request.params)
        if isinstance(match, Redirect):
            return self._slash_redirect(head.path, head.query)
        if isinstance(match, MethodNotAllowed):
            if method == "OPTIONS":
                return self._options_response(match.allowed)
            allow = ", ".join(sorted(match.allowed))
            raise HTTPError(405, f"{method} is not allowed here", headers={"Allow": allow})
        raise HTTPError(404)

    def _call(self, handler: Any, params: dict[str, Any]) -> Response | Deferred[Response]:
        value = handler(self.request, **params) if params else handler(self.request)
        if type(value) is Response:  # the commonest answer: nothing to convert
            return value
        if type(value) in _PLAIN_RESULTS:  # the common answers: no Deferred to look for
            return to_response(value, self.handler_name)
        if inspect.iscoroutine(value):
            value = Deferred.fromCoroutine(value)
        if isinstance(value, Deferred):
            self._pending = value
            return value.addCallback(self._returned).addErrback(self._error_later)
        return self._returned(value)

    def _returned(self, value: Any) -> Response:
        self._pending = None
        return to_response(value, self.handler_name)

    def _options_response(self, allowed: frozenset[str]) -> Response:
        methods = set(allowed) | {"OPTIONS"}
        response = Response(b"", status=204)
        del response.headers["Content-Type"]  # no body, so no type
        response.headers["Allow"] = ", ".join(sorted(methods))
        return response

    @staticmethod
    def _slash_redirect(raw_path: bytes, query: bytes) -> Response:
        """308 to the same path with a slash: relative, query kept, method kept."""
        last = raw_path.rsplit(b"/", 1)[-1].decode("latin-1")
        location = f"./{last}/" if last else "./"
        if query:
            location += "?" + query.decode("latin-1")
        return Response.redirect(location, status=308)

    # -- errors -------------------------------------------------------------------

    def _error_page(self, failure: Failure) -> Response | Deferred[Response]:
        """The App's error handler for ``failure``, else the default page."""
        self._pending = None
        if failure.check(CancelledError) and self.exchange.disconnected:
            return Response(b"", status=499)  # nobody is left to read it
        error = failure.value
        handler = self.app.error_handler_for(error) if error is not None else None
        if handler is None:
            return self._default_page(failure)
        self.handler_name = getattr(handler, "__name__", repr(handler))
        try:
            value = handler(self.request, error)
            if inspect.iscoroutine(value):
                value = Deferred.fromCoroutine(value)
            if not isinstance(value, Deferred):
                return self._returned(value)
        except Exception:
            return self._default_page(Failure())
        return value.addCallback(self._returned).addErrback(self._default_page)

    def _error_later(self, failure: Failure) -> Deferred[Response]:
        page = self._error_page(failure)
        return page if isinstance(page, Deferred) else succeed(page)

    def _default_page(self, failure: Failure) -> Response:
        error = failure.value
        accept = self.exchange.head.get(b"accept")
        accept_text = accept.decode("latin-1") if accept else None
        if isinstance(error, HTTPError):
            response = error_response(error.status, error.detail, accept=accept_text)
            for name, value in error.headers.items():
                response.headers.add(name, value)
            return response
        log.failure(
            "handler {handler} failed on {request}",
            failure=failure,
            handler=self.handler_name,
            request=self.exchange.request_line,
        )
        trace = failure.getTraceback() if self.app.debug else None
        return error_response(500, None, accept=accept_text, debug_traceback=trace)

    # -- the end ------------------------------------------------------------------

    def _send(self, response: Response) -> None:
        session = self.request.loaded_session
        if session is not None and self.app.sessions is not None:
            self.app.sessions.save(self.request, session, response)
        send_response(self.exchange, response, on_early_failure=self._stream_failed_early)

    def _stream_failed_early(self, failure: Failure) -> None:
        """A generator failed before its first byte left: answer as for a handler."""
        page = self._error_page(failure)
        if isinstance(page, Deferred):
            page.addCallback(self._send).addErrback(self._send_failed)
        else:
            self._send(page)

    def _send_failed(self, failure: Failure) -> None:
        log.failure(
            "could not send the response of {handler} to {request}",
            failure=failure,
            handler=self.handler_name,
            request=self.exchange.request_line,
        )
        answer_failure(self.exchange)

    def _client_gone(self) -> None:
        pending, self._pending = self._pending, None
        if pending is not None:
            pending.cancel()
