"""The request a native handler gets as its first argument.

Everything is read from the engine's ``Exchange`` on first use, so a handler pays only
for what it looks at. The body is read when the handler asks (``await
request.body()``, ``await request.json()`` or ``async for chunk in
request.stream()``): a handler that never asks still gets its request answered, and
the engine drops the unread body so the connection can carry the next request.
"""

from __future__ import annotations

import json
from collections import deque
from collections.abc import AsyncIterator
from functools import cached_property
from typing import TYPE_CHECKING, Any
from urllib.parse import unquote

from twisted.internet.address import IPv4Address, IPv6Address
from twisted.internet.defer import Deferred, succeed
from twisted.internet.interfaces import IReactorTime

from ..engine import Exchange
from .cookies import parse_cookie_header
from .errors import HTTPError
from .forms import Form, FormReader
from .headers import Headers, MultiDict, parse_query
from .sessions import Session, SessionError

if TYPE_CHECKING:
    from ..http11 import Headers as WireHeaders
    from .app import App

# How much of a streamed body may wait for the handler before reading pauses.
STREAM_HIGH_WATER_BYTES = 256 * 1024


class Request:
    """One HTTP request, as a native handler sees it."""

    # Made for every request and most stay as they are: class defaults, set on the
    # instance only when they change.
    _body: _BodyCollector | None = None
    _streaming = False
    loaded_session: Session | None = None
    script_root = ""  # where a WSGI server mounted the App (SCRIPT_NAME)
    _form: FormReader | None = None

    def __init__(self, exchange: Exchange, app: App, params: dict[str, Any]) -> None:
        self.exchange = exchange
        self.app = app
        self.params = params  # what the rule's converters produced
        head = exchange.head
        self.method = head.method.decode("ascii")
        self.raw_path = head.path
        self.query_string = head.query

    # -- the head -----------------------------------------------------------------

    @cached_property
    def path(self) -> str:
        """The path, percent-decoded as UTF-8 (``%2F`` becomes ``/`` here)."""
        return unquote(self.raw_path.decode("latin-1"), errors="replace")

    @cached_property
    def args(self) -> MultiDict:
        """Query arguments: ``args.get(name)`` is the first value, ``getlist`` all."""
        return parse_query(self.query_string)

    @cached_property
    def headers(self) -> Headers:
        """Request header fields, case-insensitive."""
        return Headers.from_wire(self.exchange.head.headers)

    @cached_property
    def cookies(self) -> dict[str, str]:
        """Cookies the client sent (the first of a repeated name wins)."""
        cookies: dict[str, str] = {}
        for value in self.headers.getlist("cookie"):
            for name, cookie in parse_cookie_header(value).items():
                cookies.setdefault(name, cookie)
        return cookies

    @property
    def session(self) -> Session:
        """The session of this client, kept in a signed cookie (a dict).

        Raises:
            SessionError: the App has no ``secret_key``.
        """
        if self.loaded_session is None:
            store = self.app.sessions
            if store is None:
                raise SessionError(
                    "request.session needs a secret key: App(secret_key=...) signs the cookie"
                )
            self.loaded_session = store.load(self)
        return self.loaded_session

    @property
    def clock(self) -> IReactorTime:
        """The reactor timing this connection (a simulated Clock in the test client)."""
        return self.exchange.clock

    @property
    def scheme(self) -> str:
        """``https`` on TLS (or as a trusted proxy reported), else ``http``."""
        return self.exchange.scheme

    @property
    def host(self) -> str:
        """The authority the client asked for (the Host field, or a trusted proxy's
        report of it), as text."""
        return self.exchange.authority.decode("latin-1")

    @property
    def url(self) -> str:
        """The full URL of the request (with the mount point under a WSGI server)."""
        query = "?" + self.query_string.decode("latin-1") if self.query_string else ""
        path = self.raw_path.decode("latin-1")
        return f"{self.scheme}://{self.host}{self.script_root}{path}{query}"

    def url_for(self, endpoint: str, **params: Any) -> str:
        """``app.url_for`` under the App's mount point (``SCRIPT_NAME`` under WSGI)."""
        return self.script_root + self.app.url_for(endpoint, **params)

    @property
    def client(self) -> tuple[str, int] | None:
        """The client's (address, port); None on a UNIX socket.

        The peer's, unless a trusted proxy reported the client (port 0 when the proxy
        did not say which).
        """
        peer = self.exchange.client_address
        if isinstance(peer, IPv4Address | IPv6Address):
            return peer.host, peer.port
        return None

    # -- the body -----------------------------------------------------------------

    def body(self) -> Deferred[bytes]:
        """The whole body (await it); bounded by ``--max-body``, whose excess is a 413."""
        if self._body is None:
            if self._streaming or self._form is not None:
                raise RuntimeError("the body is being read with request.stream() or form()")
            self._body = _BodyCollector()
            self.exchange.receive_body(self._body)
        return self._body.wait()

    async def json(self) -> Any:
        """The body parsed as JSON.

        Raises:
            HTTPError: 415 if the Content-Type is not JSON; 400 if the body is not JSON.
        """
        content_type = (self.headers.get("content-type") or "").split(";")[0].strip().lower()
        if content_type != "application/json" and not content_type.endswith("+json"):
            raise HTTPError(415, f"expected application/json, got {content_type or 'nothing'}")
        data = await self.body()
        try:
            return json.loads(data)
        except ValueError as error:  # UnicodeDecodeError is a ValueError too
            raise HTTPError(400, f"the body is not valid JSON: {error}") from None

    def stream(self) -> AsyncIterator[bytes]:
        """The body as it arrives: ``async for chunk in request.stream()``.

        Reading slower than the client sends pauses the socket (backpressure).
        """
        if self._body is not None or self._streaming or self._form is not None:
            raise RuntimeError("the body was already read")
        self._streaming = True
        stream = _BodyStream(self.exchange)
        self.exchange.receive_body(stream)
        return stream

    def form(self) -> Deferred[Form]:
        """The body as a form (await it): fields, and uploads in ``form.files``.

        ``application/x-www-form-urlencoded`` and ``multipart/form-data`` are parsed as
        the body arrives; uploads past ``--upload-spool`` go to a temporary file, and
        every upload is closed when the request is over. See docs/forms.md.

        Raises:
            HTTPError: 415 for another Content-Type; 413 past a form limit (the detail
                names its option); 400 for a malformed multipart body.
            RuntimeError: the body was already read another way.
        """
        if self._form is None:
            if self._body is not None or self._streaming:
                raise RuntimeError("the body was already read")
            self._form = FormReader.start(self.exchange, self.headers.get("content-type"))
        return self._form.wait()


class _BodyCollector:
    """Receives the whole body; each ``wait()`` gets it once complete."""

    def __init__(self) -> None:
        self._pieces: list[bytes] = []
        self._data: bytes | None = None
        self._waiters: list[Deferred[bytes]] = []

    def wait(self) -> Deferred[bytes]:
        if self._data is not None:
            return succeed(self._data)
        waiter: Deferred[bytes] = Deferred()
        self._waiters.append(waiter)
        return waiter

    def body_data(self, data: bytes) -> None:
        self._pieces.append(data)

    def body_end(self, trailers: WireHeaders) -> None:
        self._data = b"".join(self._pieces)
        self._pieces = []
        waiters, self._waiters = self._waiters, []
        for waiter in waiters:
            waiter.callback(self._data)


class _BodyStream:
    """The body as an async iterator; pauses the exchange past a high-water mark."""

    def __init__(self, exchange: Exchange) -> None:
        self._exchange = exchange
        self._chunks: deque[bytes] = deque()
        self._buffered = 0
        self._ended = False
        self._paused = False
        self._waiting: Deferred[None] | None = None

    def body_data(self, data: bytes) -> None:
        self._chunks.append(data)
        self._buffered += len(data)
        if self._buffered > STREAM_HIGH_WATER_BYTES and not self._paused:
            self._paused = True
            self._exchange.pause_body()
        self._wake()

    def body_end(self, trailers: WireHeaders) -> None:
        self._ended = True
        self._wake()

    def _wake(self) -> None:
        waiting, self._waiting = self._waiting, None
        if waiting is not None:
            waiting.callback(None)

    def __aiter__(self) -> _BodyStream:
        return self

    async def __anext__(self) -> bytes:
        while not self._chunks:
            if self._ended:
                raise StopAsyncIteration
            self._waiting = Deferred()
            await self._waiting
        chunk = self._chunks.popleft()
        self._buffered -= len(chunk)
        if self._paused and self._buffered <= STREAM_HIGH_WATER_BYTES // 2:
            self._paused = False
            self._exchange.resume_body()
        return chunk
