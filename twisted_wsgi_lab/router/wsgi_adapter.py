"""``app.wsgi``: the same App as a PEP 3333 callable, for gunicorn or any WSGI server.

The WSGI server calls the App in one of its threads; the App's handlers belong on a
reactor. So each request is handed to a reactor running in a background thread (the
approach of the ``crochet`` library; started on first use if none runs yet), and the
WSGI thread waits for the response. That costs two thread hand-offs per request, and
a streamed body costs one per item of an async generator: serving the App natively
(``labweb --app mod:app``) is the fast way; this is the portable one.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterable, Iterator
from typing import TYPE_CHECKING, Any
from urllib.parse import quote

from twisted.internet.address import IPv4Address
from twisted.internet.defer import Deferred
from twisted.internet.interfaces import IAddress, IProtocol, IReactorTime
from twisted.internet.threads import blockingCallFromThread
from twisted.python.threadable import isInIOThread

from ..engine import Exchange
from ..http11 import Limits, RequestHead
from ..http11.dates import http_date
from ..http11.writer import reason_phrase
from .dispatch import Dispatch
from .response import Response, StreamingResponse
from .sending import END, next_item

if TYPE_CHECKING:
    from .app import App

_SAFE_PATH = "/:@!$&'()*+,;=~-._"
_reactor_lock = threading.Lock()


def running_reactor() -> Any:
    """The global reactor, started in a daemon thread if nothing runs it yet."""
    from twisted.internet import reactor

    with _reactor_lock:
        if not reactor.running:
            ready = threading.Event()
            reactor.callWhenRunning(ready.set)
            threading.Thread(
                target=reactor.run,
                kwargs={"installSignalHandlers": False},
                name="labweb-wsgi-reactor",
                daemon=True,
            ).start()
            if not ready.wait(10):
                raise RuntimeError(
                    "app.wsgi could not start a reactor in a background thread (was one"
                    " stopped already in this process? a reactor cannot be restarted)"
                )
    return reactor


class WSGIAdapter:
    """A PEP 3333 application that answers with an App."""

    def __init__(self, app: App, *, limits: Limits | None = None) -> None:
        self.app = app
        self.limits = limits or Limits()

    def __call__(
        self, environ: dict[str, Any], start_response: Callable[..., Any]
    ) -> Iterable[bytes]:
        if isInIOThread():
            raise RuntimeError(
                "app.wsgi was called in the reactor thread: serve the App itself "
                "(labweb --app module:app), not through a WSGI bridge in reactor mode"
            )
        reactor = running_reactor()
        try:
            head = head_from_environ(environ)
            body = self._read_body(environ, head.content_length)
        except _RefusedError as refused:
            start_response(refused.status, [("Content-Type", "text/plain; charset=utf-8")])
            return [refused.status.encode() + b"\n"]
        connection = _EnvironConnection(environ, self.limits, reactor)
        response: Response = blockingCallFromThread(
            reactor,
            self._respond,  # type: ignore[arg-type]
            connection,
            head,
            body,
            environ.get("SCRIPT_NAME", ""),
        )
        fields = [(name, value) for name, value in response.headers.items()]
        start_response(f"{response.status} {reason_phrase(response.status).decode()}", fields)
        if isinstance(response, StreamingResponse):
            return _ReactorStream(response.stream, reactor)
        return [response.body]

    def _read_body(self, environ: dict[str, Any], length: int | None) -> bytes:
        """The whole body, within ``max_body_bytes``; without a length, up to EOF."""
        limit = self.limits.max_body_bytes
        if length is not None:
            if length > limit:
                raise _RefusedError("413 Content Too Large")
            return bytes(environ["wsgi.input"].read(length)) if length else b""
        if not environ.get("wsgi.input_terminated"):
            return b""  # PEP 3333: without a length there is no body to read
        data = bytes(environ["wsgi.input"].read(limit + 1))
        if len(data) > limit:
            raise _RefusedError("413 Content Too Large")
        return data

    def _respond(
        self, connection: _EnvironConnection, head: RequestHead, body: bytes, script_root: str
    ) -> Deferred[Response]:
        exchange = Exchange(connection, head)
        if body:
            exchange.deliver_body(body)
        exchange.end_body(())
        dispatch = Dispatch(self.app, exchange)
        dispatch.request.script_root = script_root
        answer = dispatch.respond()
        seconds = self.limits.response_timeout_seconds
        return answer.addTimeout(seconds, connection.clock, onTimeoutCancel=_timed_out)


def head_from_environ(environ: dict[str, Any]) -> RequestHead:
    """The request head the App would have parsed, rebuilt from a WSGI environ."""
    path = quote(environ.get("PATH_INFO", "").encode("latin-1"), safe=_SAFE_PATH) or "/"
    query = environ.get("QUERY_STRING", "").encode("latin-1")
    headers = [
        (key[5:].replace("_", "-").lower().encode("latin-1"), str(value).encode("latin-1"))
        for key, value in environ.items()
        if key.startswith("HTTP_")
    ]
    for key in ("CONTENT_TYPE", "CONTENT_LENGTH"):
        if environ.get(key):
            headers.append((key.replace("_", "-").lower().encode(), environ[key].encode()))
    length = environ.get("CONTENT_LENGTH") or None
    if length is not None and not length.isdigit():
        raise _RefusedError("400 Bad Request")
    host = environ.get("HTTP_HOST") or f"{environ['SERVER_NAME']}:{environ['SERVER_PORT']}"
    target = path + ("?" + query.decode("latin-1") if query else "")
    return RequestHead(
        method=environ["REQUEST_METHOD"].encode("latin-1"),
        target=target.encode("latin-1"),
        version=(1, 1),
        headers=tuple(headers),
        path=path.encode("latin-1"),
        query=query,
        authority=host.encode("latin-1"),
        content_length=int(length) if length is not None else None,
    )


class _RefusedError(Exception):
    """The request is refused before the App sees it; ``status`` says how."""

    def __init__(self, status: str) -> None:
        super().__init__(status)
        self.status = status


def _timed_out(result: Any, timeout: float) -> Response:
    """The App did not answer within ``--response-timeout``: 503, as the server does."""
    return Response(b"the application did not answer in time\n", status=503)


class _ReactorStream:
    """A streamed body for the WSGI server: every item is pulled in the reactor thread.

    The App's generators belong to the reactor, as its handlers do; ``close()`` (which
    a WSGI server calls when the client leaves) closes them there too.
    """

    def __init__(self, stream: Any, reactor: Any) -> None:
        self._stream = stream
        self._reactor = reactor
        self._async = hasattr(stream, "__anext__")
        self._items: Any = None if self._async else iter(stream)

    def __iter__(self) -> Iterator[bytes]:
        return self

    def __next__(self) -> bytes:
        item: Any = blockingCallFromThread(self._reactor, self._next)
        if item is END:
            raise StopIteration
        return item.encode("utf-8") if isinstance(item, str) else bytes(item)

    def _next(self) -> Any:
        if self._async:
            return Deferred.fromCoroutine(next_item(self._stream))
        return next(self._items, END)

    def close(self) -> None:
        blockingCallFromThread(self._reactor, self._close)

    def _close(self) -> Deferred[None] | None:
        if self._async:
            aclose = getattr(self._stream, "aclose", None)
            return Deferred.fromCoroutine(aclose()) if aclose is not None else None
        close = getattr(self._items, "close", None)
        if close is not None:
            close()
        return None


class _EnvironConnection:
    """The ``Connection`` an exchange sees under WSGI: addresses from the environ."""

    def __init__(self, environ: dict[str, Any], limits: Limits, clock: IReactorTime) -> None:
        self.limits = limits
        self.clock = clock
        self.server_header = b"labweb"
        self._environ = environ
        self.writes_paused = False

    @property
    def peer(self) -> IAddress:
        port = int(self._environ.get("REMOTE_PORT") or 0)
        return IPv4Address("TCP", self._environ.get("REMOTE_ADDR", "0.0.0.0"), port)

    @property
    def host(self) -> IAddress:
        port = int(self._environ.get("SERVER_PORT") or 0)
        return IPv4Address("TCP", self._environ.get("SERVER_NAME", "localhost"), port)

    @property
    def secure(self) -> bool:
        return bool(self._environ.get("wsgi.url_scheme") == "https")

    def date(self) -> bytes:
        return http_date(self.clock.seconds())

    def write(self, data: bytes) -> None:
        """Nothing is written here: the WSGI server sends the response."""

    def body_wanted(self, exchange: Exchange) -> None:
        """The body was read whole before the App was called."""

    def exchange_finished(self, exchange: Exchange) -> None:
        """The WSGI server ends the response."""

    def abort(self) -> None:
        """Nothing to cut: the WSGI server owns the connection."""

    @property
    def answering(self) -> bool:
        """Always: the WSGI server owns the connection and says nothing of it."""
        return True

    def reset(self) -> None:
        """Nothing to reset: the WSGI server owns the connection."""

    def switch_protocol(self, exchange: Exchange, protocol: IProtocol, head: bytes) -> None:
        raise RuntimeError("protocol switching (101) is not possible under WSGI")
