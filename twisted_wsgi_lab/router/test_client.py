"""``app.test_client()``: requests through the real parser, protocol and App, in memory.

Each call opens an in-memory connection to an ``HTTPFactory`` serving the App, writes
the request bytes, and runs the connection's ``Clock`` until the response is complete:
time in the test client is simulated, so a handler that waits ``deferLater(
request.clock, 5, ...)`` answers at once, and one that never answers gets the 503 of
the response timeout at once too. A handler waiting on something outside (a real
socket, another reactor) cannot finish here: use treq against a real port.
"""

from __future__ import annotations

import json as json_module
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any
from urllib.parse import urlencode

from twisted.internet.task import Clock

from ..engine import HTTPFactory
from ..testing import connect, parse_responses
from .cookies import parse_cookie_header
from .headers import Headers

if TYPE_CHECKING:
    from collections.abc import Sequence

    from twisted.internet.testing import StringTransport

    from ..engine import HTTPProtocol
    from .app import App
    from .ws_test_client import TestWebSocket

MAX_CLOCK_STEPS = 10_000


class TestResponse:
    """What the test client got back."""

    __test__ = False  # not a pytest test class, whatever its name

    def __init__(self, status_code: int, headers: Headers, content: bytes) -> None:
        self.status_code = status_code
        self.headers = headers
        self.content = content

    @property
    def text(self) -> str:
        """The body decoded as UTF-8."""
        return self.content.decode("utf-8", errors="replace")

    def json(self) -> Any:
        """The body parsed as JSON."""
        return json_module.loads(self.content)

    def __repr__(self) -> str:
        return f"<TestResponse {self.status_code} {len(self.content)} bytes>"


class TestClient:
    """Send requests to an App without sockets; cookies persist across calls."""

    __test__ = False

    def __init__(self, app: App) -> None:
        self.app = app
        self.clock = Clock()
        self.factory = HTTPFactory(app, clock=self.clock)
        self.cookies: dict[str, str] = {}

    def connect(self) -> tuple[HTTPProtocol, StringTransport]:
        """A new in-memory connection; observers the App got since the last one see it."""
        for observer in self.app.connection_observers:
            if observer not in self.factory.observers:
                self.factory.add_observer(observer)
        return connect(self.factory)

    def request(
        self,
        method: str,
        path: str,
        *,
        headers: Mapping[str, str] | None = None,
        query: Mapping[str, Any] | None = None,
        json: Any = None,
        data: Mapping[str, Any] | bytes | str | None = None,
    ) -> TestResponse:
        """Send one request and return its response.

        Raises:
            RuntimeError: the handler did not finish (it waits on something that
                only a running reactor would bring).
        """
        body, content_type = _body(json, data)
        joiner = "&" if "?" in path else "?"
        target = path + (joiner + urlencode(query, doseq=True) if query else "")
        fields = Headers({"Host": "testserver"})
        if content_type:
            fields["Content-Type"] = content_type
        if body or method.upper() in ("POST", "PUT", "PATCH"):
            fields["Content-Length"] = str(len(body))
        if self.cookies:
            fields["Cookie"] = "; ".join(f"{k}={v}" for k, v in self.cookies.items())
        fields.update(headers or {})
        fields["Connection"] = "close"
        head = f"{method.upper()} {target} HTTP/1.1\r\n"
        head += "".join(f"{name}: {value}\r\n" for name, value in fields.items())
        return self._exchange(head.encode("latin-1") + b"\r\n" + body, method.upper())

    def _exchange(self, raw: bytes, method: str) -> TestResponse:
        protocol, transport = self.connect()
        protocol.dataReceived(raw)
        for _ in range(MAX_CLOCK_STEPS):
            if transport.disconnecting:
                break
            calls = self.clock.getDelayedCalls()
            if not calls:
                raise RuntimeError(
                    f"{method} did not finish: the handler waits for something the test"
                    " client cannot run (a real network call or another reactor)"
                )
            self.clock.advance(max(0.0, min(c.getTime() for c in calls) - self.clock.seconds()))
        protocol.connectionLost(None)  # type: ignore[arg-type]
        [response] = parse_responses(
            transport.value(), head_methods=(0,) if method == "HEAD" else ()
        )
        headers = Headers([(n.decode("latin-1"), v.decode("latin-1")) for n, v in response.headers])
        self._keep_cookies(headers)
        return TestResponse(response.status, headers, response.body)

    def _keep_cookies(self, headers: Headers) -> None:
        for line in headers.getlist("set-cookie"):
            pair, _, attributes = line.partition(";")
            name, _, _ = pair.partition("=")
            parsed = parse_cookie_header(pair)
            expired = "max-age=0" in attributes.lower().replace(" ", "")
            if expired:
                self.cookies.pop(name.strip(), None)
            elif name.strip() in parsed:
                self.cookies[name.strip()] = pair.partition("=")[2].strip()

    def get(self, path: str, **kwargs: Any) -> TestResponse:
        return self.request("GET", path, **kwargs)

    def head(self, path: str, **kwargs: Any) -> TestResponse:
        return self.request("HEAD", path, **kwargs)

    def post(self, path: str, **kwargs: Any) -> TestResponse:
        return self.request("POST", path, **kwargs)

    def put(self, path: str, **kwargs: Any) -> TestResponse:
        return self.request("PUT", path, **kwargs)

    def patch(self, path: str, **kwargs: Any) -> TestResponse:
        return self.request("PATCH", path, **kwargs)

    def delete(self, path: str, **kwargs: Any) -> TestResponse:
        return self.request("DELETE", path, **kwargs)

    def options(self, path: str, **kwargs: Any) -> TestResponse:
        return self.request("OPTIONS", path, **kwargs)

    def websocket_connect(
        self,
        path: str,
        *,
        subprotocols: Sequence[str] = (),
        headers: Mapping[str, str] | None = None,
        query: Mapping[str, Any] | None = None,
    ) -> TestWebSocket:
        """Open a WebSocket session: ``with client.websocket_connect("/ws") as ws: ...``.

        Raises:
            WebSocketRefusedError: the App answered with an HTTP status, not 101.
        """
        from .ws_test_client import open_websocket

        return open_websocket(self, path, subprotocols=subprotocols, headers=headers, query=query)


def _body(json: Any, data: Mapping[str, Any] | bytes | str | None) -> tuple[bytes, str | None]:
    if json is not None and data is not None:
        raise ValueError("give json= or data=, not both")
    if json is not None:
        return json_module.dumps(json).encode(), "application/json"
    if isinstance(data, Mapping):
        return urlencode(data, doseq=True).encode(), "application/x-www-form-urlencoded"
    if isinstance(data, str):
        return data.encode("utf-8"), "text/plain; charset=utf-8"
    return data or b"", None
