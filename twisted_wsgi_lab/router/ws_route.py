"""A WebSocket rule's target in the matcher: an HTTP handler that may answer 101.

``@app.websocket(rule)`` registers a ``WebSocketRoute`` as a GET route, so routing,
middleware, before- and after-request hooks and error handlers apply to the
handshake as to any request. Called like a handler, it checks the handshake (400 or
426 from ``read_handshake``), starts the ``async def handler(ws, **params)`` and
returns a Deferred of the HTTP answer: the 101 when the handler accepts, the error
page for what it raised before accepting (500 unless an error handler says
otherwise), or 403 if it returned without accepting. Cancelling that Deferred (the
client left before the answer) cancels the handler.
"""

from __future__ import annotations

import inspect
from typing import TYPE_CHECKING, Any

from twisted.internet.defer import Deferred
from twisted.python.failure import Failure

from .errors import HTTPError
from .websocket import WebSocket, WebSocketState
from .ws_handshake import read_handshake

if TYPE_CHECKING:
    from .request import Request
    from .response import Response


class WebSocketRoute:
    """Run ``handler`` for each WebSocket handshake that reaches its rule."""

    def __init__(self, handler: Any) -> None:
        """Raises: TypeError: ``handler`` is not an ``async def`` function."""
        if not inspect.iscoroutinefunction(handler):
            raise TypeError(f"WebSocket handler {handler!r} must be an async def function")
        self.handler = handler
        self.__name__ = getattr(handler, "__name__", repr(handler))

    def __repr__(self) -> str:
        return f"<WebSocketRoute {self.__name__}>"

    def __call__(self, request: Request, **params: Any) -> Deferred[Response]:
        """Check the handshake, start the handler, return the HTTP answer to come.

        Raises:
            HTTPError: 426 for a request that is not a WebSocket handshake, or asks for
                another version; 400 for a malformed handshake.
        """
        handshake = read_handshake(request.exchange.head)
        answer: Deferred[Response] = Deferred(lambda _: websocket.cancel_handler())
        websocket = WebSocket(request, handshake, answer)
        running: Deferred[object] = Deferred.fromCoroutine(self.handler(websocket, **params))
        websocket.run(running)
        running.addBoth(self._ended, websocket)
        return answer

    def _ended(self, result: object, websocket: WebSocket) -> None:
        """The handler returned or raised: an HTTP answer if it decided none, else a close."""
        undecided = websocket.state is WebSocketState.CONNECTING
        if undecided and isinstance(result, Failure):
            websocket.refuse(result)
        elif undecided:
            refusal = HTTPError(403, "the WebSocket handler returned without accepting")
            websocket.refuse(Failure(refusal))
        else:
            websocket.handler_ended(result)
