"""The WSGI bridge: hosts any PEP 3333 application behind ``IRequestHandler``."""

from __future__ import annotations

import io
from typing import IO

from zope.interface import implementer

from ..exchange import Exchange
from ..http11.limits import Limits
from ..interfaces import IRequestHandler
from .environ import build_environ
from .reactor_mode import ReactorCall, WSGIApp
from .request_body import SpooledBody


@implementer(IRequestHandler)
class WSGIBridge:
    """Serve ``app`` in reactor mode: called in the reactor thread, body read first."""

    def __init__(
        self,
        app: WSGIApp,
        *,
        script_name: str = "",
        body_spool_bytes: int = Limits().body_spool_bytes,
    ) -> None:
        self.app = app
        self.script_name = script_name.rstrip("/")
        self.body_spool_bytes = body_spool_bytes

    def handle(self, exchange: Exchange) -> None:
        """Receive the whole body (spooled), then call the application."""
        head = exchange.head
        if not head.has_body:
            length = 0 if head.content_length is not None else None
            self._call(exchange, io.BytesIO(), length)
            return
        receiver = SpooledBody(
            self.body_spool_bytes, lambda body, length: self._call(exchange, body, length)
        )
        exchange.on_disconnect(receiver.discard)
        exchange.receive_body(receiver)

    def _call(self, exchange: Exchange, body: IO[bytes], length: int | None) -> None:
        environ = build_environ(exchange, body, body_length=length, script_name=self.script_name)
        ReactorCall(exchange, environ, self.app).run()
