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
            ready.wait(10)
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
        head = head_from_environ(environ)
        length = head.content_length or 0
        if length > self.limits.max_body_bytes:
            start_response("413 Content Too Large", [("Content-Type", "text/plain")])
            return [b"413 Content Too Large\n"]
        body = environ["wsgi.input"].read(length) if length else b""
        connection = _EnvironConnection(environ, self.limits, reactor)
        response: Response = blockingCallFromThread(
            reactor,
            self._respond,  # type: ignore[arg-type]
            connection,
            head,
            body,
        )
        fields = [(name, value) for name, value in response.headers.items()]
        start_response(f"{response.status} {reason_phrase(response.status).decode()}", fields)
        if isinstance(response, StreamingResponse):
            return _stream(response.stream, reactor)
        return [response.body]

    def _respond(
        self, connection: _EnvironConnection, head: RequestHead, body: bytes
    ) -> Deferred[Response]:
        exchange = Exchange(connection, head)
        if body:
            exchange.deliver_body(body)
        exchange.end_body(())
        return Dispatch(self.app, exchange).respond()


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
    length = environ.get("CONTENT_LENGTH")
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
        content_length=int(length) if length else None,
    )


def _stream(stream: Any, reactor: Any) -> Iterator[bytes]:
    """Items of a streamed response, pulled from the reactor one at a time if async."""
    if not hasattr(stream, "__anext__"):
        for chunk in stream:
            yield chunk.encode("utf-8") if isinstance(chunk, str) else bytes(chunk)
        return
    while True:
        item: Any = blockingCallFromThread(
            reactor, lambda: Deferred.fromCoroutine(next_item(stream))
        )
        if item is END:
            return
        yield item.encode("utf-8") if isinstance(item, str) else bytes(item)


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

    def switch_protocol(self, exchange: Exchange, protocol: IProtocol, head: bytes) -> None:
        raise RuntimeError("protocol switching (101) is not possible under WSGI")
