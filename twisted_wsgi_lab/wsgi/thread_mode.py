"""Thread mode: the application runs in a thread pool; the transport stays in the reactor.

The pool thread calls the app and iterates its response. Each piece is handed to the
reactor through the bridge's ``ReactorHandoff``; the thread then waits while the client is slow (the
exchange paused us) or while more than ``MAX_IN_FLIGHT_BYTES`` are on their way, so a
slow client blocks the app's thread and the server never buffers without bound. A
client that goes away wakes the thread at once: nothing ever waits on the reactor from
a thread in a way that shutdown could deadlock (Twisted issue 10124).
"""

from __future__ import annotations

import threading
from collections.abc import Iterable
from typing import IO, Any

from twisted.internet.interfaces import IPushProducer
from twisted.logger import Logger
from twisted.python.failure import Failure
from zope.interface import implementer

from ..engine import Exchange
from .failure_response import answer_app_failure
from .handoff import ReactorHandoff
from .pool_wait import PoolWaitWatch
from .reactor_mode import WSGIApp
from .response_body import WRITE_SLICE_BYTES, known_length, slices
from .start_response import StartResponse, check_body_bytes

log = Logger()

MAX_IN_FLIGHT_BYTES = 512 * 1024

Head = tuple[int, bytes, tuple[tuple[bytes, bytes], ...], int | None]  # ..., known length


class _ClientGoneError(Exception):
    """Raised in the app's thread when there is no one left to send to."""


@implementer(IPushProducer)
class ThreadCall:
    """One call of a WSGI application in a pool thread."""

    def __init__(
        self,
        exchange: Exchange,
        environ: dict[str, Any],
        app: WSGIApp,
        handoff: ReactorHandoff,
        *,
        debug: bool = False,
        wait_watch: PoolWaitWatch | None = None,
        writable: threading.Condition | None = None,
    ) -> None:
        self._exchange = exchange
        self._debug = debug  # tracebacks in 500 pages
        self._wait_watch = wait_watch
        self._environ = environ
        self._body: IO[bytes] = environ["wsgi.input"]  # the app may replace the key
        self._app = app
        self._handoff = handoff  # one per bridge: every call to the reactor, in order
        self._start = StartResponse(self._send)  # write() blocks while the client is slow
        # Guards _paused, _gone and _in_flight. The bridge passes one condition for all
        # its calls: making one per request (an RLock and a Condition) showed in the
        # reactor thread's profile, and a wait is rare (a slow client) and re-checks
        # its own call's state, so a wake-up meant for another call is harmless.
        self._writable = writable if writable is not None else threading.Condition()
        self._paused = False
        self._gone = False
        self._in_flight = 0
        self._length: int | None = None  # known before sending: becomes Content-Length

    # -- reactor thread -----------------------------------------------------------------

    def run(self, pool: Any) -> None:
        """Register for backpressure and start the application in ``pool``."""
        self._exchange.registerProducer(self, True)
        self._exchange.on_disconnect(self._client_gone)
        if self._wait_watch is not None:
            self._wait_watch.submit(self._call_app)
        else:
            pool.callInThread(self._call_app)

    def pauseProducing(self) -> None:
        with self._writable:
            self._paused = True

    def resumeProducing(self) -> None:
        with self._writable:
            self._paused = False
            self._writable.notify_all()

    def stopProducing(self) -> None:
        self._client_gone()

    def _client_gone(self) -> None:
        if not self._gone and not self._exchange.finished:
            log.info("client went away during {request}", request=self._exchange.request_line)
        with self._writable:
            self._gone = True
            self._writable.notify_all()
        abort = getattr(self._body, "abort", None)  # a streaming input wakes its reader
        if abort is not None:
            abort()

    def _deliver(self, head: Head | None, data: bytes, finish: bool, whole: int) -> None:
        """In the reactor: put what the app thread produced on the wire.

        ``whole`` is the size of the item ``data`` is the first slice of (0 if none).
        """
        exchange = self._exchange
        try:
            if exchange.disconnected or exchange.finished:
                return  # gone, or already answered 500: pieces still on their way are dropped
            if head is not None:
                status, reason, headers, length = head
                exchange.start_response(status, reason, headers, known_length=length)
            if whole:
                exchange.check_body_size(whole)
            if data:
                exchange.write(data)
            if finish:
                exchange.unregisterProducer()
                exchange.finish()
        except Exception:
            log.failure("WSGI response refused on {request}", request=exchange.request_line)
            self._client_gone()  # stop the app thread; it must not send more
            answer_app_failure(exchange, Failure(), debug=self._debug)
        finally:
            if not finish:  # after its last piece the app thread waits no more: no wake-up
                with self._writable:
                    self._in_flight -= len(data)
                    self._writable.notify_all()

    def _failed(self, failure: Failure) -> None:
        log.failure(
            "WSGI application failed on {request}",
            failure=failure,
            request=self._exchange.request_line,
        )
        self._exchange.unregisterProducer()
        answer_app_failure(self._exchange, failure, debug=self._debug)

    # -- the pool thread ----------------------------------------------------------------

    def _call_app(self) -> None:
        try:
            try:
                result = self._app(self._environ, self._start)
            except BaseException:
                self._body.close()  # no iterable to close: release the body here
                raise
            try:
                self._send_all(result)
            finally:
                self._close(result)
                self._body.close()
        except _ClientGoneError:
            pass
        except Exception:
            if not self._gone:
                self._handoff.call(self._failed, Failure())

    def _send_all(self, result: Iterable[bytes]) -> None:
        self._length = length = known_length(result)
        kind = type(result)
        if (kind is list or kind is tuple) and length is not None:  # all bytes: a known length
            items: Any = result
            if len(items) == 1:
                self._send(items[0], finish=True)  # head, body and end in one hop
                return
            if length <= WRITE_SLICE_BYTES:  # small: joined, one hop; large: item by item
                self._send(b"".join(items), finish=True)
                return
        for chunk in result:
            check_body_bytes(chunk, "the WSGI iterable")
            if chunk:
                self._send(chunk)
        self._send(b"", finish=True)

    def _send(self, data: bytes, *, finish: bool = False) -> None:
        if len(data) > WRITE_SLICE_BYTES:  # each slice waits for the client in turn
            whole = len(data)  # checked against Content-Length with the first slice
            for piece in slices(data):
                self._send_piece(piece, whole=whole)
                whole = 0
            if finish:
                self._send_piece(b"", finish=True)
        else:
            self._send_piece(data, finish=finish)

    def _send_piece(self, data: bytes, *, finish: bool = False, whole: int = 0) -> None:
        with self._writable:
            while not self._gone and (self._paused or self._in_flight > MAX_IN_FLIGHT_BYTES):
                self._writable.wait()
            if self._gone:
                raise _ClientGoneError()
            self._in_flight += len(data)
        head = None if self._start.head_sent else self._head(finish)
        self._handoff.call(self._deliver, head, data, finish, whole)

    def _head(self, finish: bool) -> Head:
        start = self._start
        if start.status is None:
            raise AssertionError("the application returned without calling start_response()")
        length = 0 if finish and self._length is None else self._length
        start.head_sent = True
        return start.status[0], start.status[1], start.headers, length

    def _close(self, result: Iterable[bytes]) -> None:
        close = getattr(result, "close", None)
        if close is None:
            return
        try:
            close()
        except Exception:
            self._handoff.call(self._close_failed, Failure())

    def _close_failed(self, failure: Failure) -> None:
        log.failure(
            "close() of the WSGI iterable failed on {request}",
            failure=failure,
            request=self._exchange.request_line,
        )
