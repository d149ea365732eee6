"""The WSGI bridge: hosts any PEP 3333 application behind ``IRequestHandler``.

Two serving modes, one bridge:

- ``reactor``: the app is called in the reactor thread once its whole body has
  arrived (spooled to a temporary file past ``body_spool_bytes``). Fastest for apps
  that never block; a blocking app stalls every connection.
- ``threads``: the app is called in a thread pool while its body streams in. A
  blocking app (database, sleep) only holds its own thread.
"""

from __future__ import annotations

import io
from typing import IO, Any

from zope.interface import implementer

from ..exchange import Exchange
from ..http11.limits import Limits
from ..interfaces import IRequestHandler
from .environ import build_environ, under_prefix
from .failure_response import answer_not_found, answer_server_options
from .reactor_mode import ReactorCall, WSGIApp
from .request_body import SpooledBody
from .streaming_input import StreamingInput
from .thread_mode import ThreadCall

MODES = ("reactor", "threads")


@implementer(IRequestHandler)
class WSGIBridge:
    """Serve ``app`` in reactor mode, or in ``threadpool`` when one is given."""

    def __init__(
        self,
        app: WSGIApp,
        *,
        script_name: str = "",
        body_spool_bytes: int = Limits().body_spool_bytes,
        threadpool: Any = None,
        reactor: Any = None,
    ) -> None:
        if threadpool is not None and reactor is None:
            from twisted.internet import reactor as default_reactor

            reactor = default_reactor
        self.app = app
        self.script_name = script_name.rstrip("/")
        self.body_spool_bytes = body_spool_bytes
        self.threadpool = threadpool
        self.reactor = reactor

    @property
    def mode(self) -> str:
        """``"threads"`` with a thread pool, else ``"reactor"``."""
        return "reactor" if self.threadpool is None else "threads"

    def handle(self, exchange: Exchange) -> None:
        """Start the application for one request, in the bridge's mode."""
        if exchange.head.path == b"*":
            answer_server_options(exchange)  # OPTIONS *: about the server, not a resource
            return
        if self.script_name and not under_prefix(exchange.head.path, self.script_name):
            answer_not_found(exchange)  # outside the mount point: not the app's to see
            return
        if self.threadpool is not None:
            self._start_in_thread(exchange)
            return
        head = exchange.head
        if not head.has_body:
            length = 0 if head.content_length is not None else None
            self._call_in_reactor(exchange, io.BytesIO(), length)
            return
        receiver = SpooledBody(
            self.body_spool_bytes,
            lambda body, length: self._call_in_reactor(exchange, body, length),
        )
        exchange.on_disconnect(receiver.discard)
        exchange.receive_body(receiver)

    def _call_in_reactor(self, exchange: Exchange, body: IO[bytes], length: int | None) -> None:
        environ = build_environ(exchange, body, body_length=length, script_name=self.script_name)
        ReactorCall(exchange, environ, self.app).run()

    def _start_in_thread(self, exchange: Exchange) -> None:
        head = exchange.head
        body = StreamingInput(exchange, self.reactor, has_body=head.has_body)
        environ = build_environ(
            exchange,
            body,  # type: ignore[arg-type]
            body_length=head.content_length,
            script_name=self.script_name,
            multithread=True,
        )
        ThreadCall(exchange, environ, self.app, self.reactor).run(self.threadpool)
