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
import threading
from typing import IO, Any

from zope.interface import implementer

from ..engine import Exchange, IRequestHandler
from .environ import build_environ, constant_environ, under_prefix
from .failure_response import answer_not_found, answer_server_options
from .handoff import ReactorHandoff
from .pool_wait import PoolWaitWatch
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
        threadpool: Any = None,
        reactor: Any = None,
        debug: bool = False,
        multiprocess: bool = False,
    ) -> None:
        if threadpool is not None and reactor is None:
            from twisted.internet import reactor as default_reactor

            reactor = default_reactor
        self.app = app
        self.script_name = script_name.rstrip("/")
        self.threadpool = threadpool
        self.reactor = reactor
        self.debug = debug  # tracebacks in 500 pages: never in production
        # Says when requests wait for a free thread; made with the first threaded call,
        # timed by the connection's clock (the reactor, or a test's Clock).
        self.wait_watch: PoolWaitWatch | None = None
        # True when other processes serve the same app at once (labweb --workers).
        self.multiprocess = multiprocess
        self._writable = threading.Condition()  # shared by the thread-mode calls
        # Pool threads reach the reactor through one queue: one wake-up for many calls.
        self._handoff = ReactorHandoff(reactor) if threadpool is not None else None
        self._constants = constant_environ(
            script_name=self.script_name,
            multithread=threadpool is not None,
            multiprocess=multiprocess,
        )

    @property
    def mode(self) -> str:
        """``"threads"`` with a thread pool, else ``"reactor"``."""
        return "reactor" if self.threadpool is None else "threads"

    def pool_status(self) -> dict[str, int] | None:
        """The thread pool now, for the lab: ``threads``, ``busy``, and ``waiting``
        (requests queued for a free thread); None in reactor mode."""
        pool = self.threadpool
        if pool is None:
            return None
        waiting = self.wait_watch.waiting if self.wait_watch is not None else 0
        return {"threads": int(pool.max), "busy": len(pool.working), "waiting": waiting}

    def handle(self, exchange: Exchange) -> None:
        """Start the application for one request, in the bridge's mode."""
        head = exchange.head
        if head.path == b"*":
            answer_server_options(exchange)  # OPTIONS *: about the server, not a resource
        elif self.script_name and not under_prefix(head.path, self.script_name):
            answer_not_found(exchange)  # outside the mount point: not the app's to see
        elif not head.has_body:
            self._call(exchange, io.BytesIO(), 0 if head.content_length is not None else None)
        elif self.threadpool is not None and not head.chunked:
            self._call(exchange, StreamingInput(exchange, self.reactor), head.content_length)
        else:
            self._receive_then_call(exchange)

    def _receive_then_call(self, exchange: Exchange) -> None:
        """Receive the whole body (spooled to a file when large), then call the app.

        Always so in reactor mode, where the app must not wait for bytes. In thread mode
        only for chunked uploads: Django and Bottle read nothing without CONTENT_LENGTH
        (they ignore wsgi.input_terminated), so the length is found out first.
        """

        def call(body: IO[bytes], length: int) -> None:
            try:
                self._call(exchange, body, length)
            except BaseException:
                body.close()  # no call took the file over: release it here
                raise

        receiver = SpooledBody(exchange.limits.body_spool_bytes, call)
        exchange.on_disconnect(receiver.discard)
        exchange.receive_body(receiver)

    def _wait_watch(self, exchange: Exchange) -> PoolWaitWatch:
        if self.wait_watch is None:
            self.wait_watch = PoolWaitWatch(self.threadpool, exchange.clock)
        return self.wait_watch

    def _call(self, exchange: Exchange, body: Any, length: int | None) -> None:
        environ = build_environ(exchange, body, body_length=length, constants=self._constants)
        if self._handoff is not None:
            call = ThreadCall(
                exchange,
                environ,
                self.app,
                self._handoff,
                debug=self.debug,
                wait_watch=self._wait_watch(exchange),
                writable=self._writable,
            )
            call.run(self.threadpool)
        else:
            ReactorCall(exchange, environ, self.app, debug=self.debug).run()
