"""Reactor mode: the application is called, and its iterable consumed, in the reactor.

The iterable is driven as a push producer: a slow client pauses the iteration, and
each reactor turn takes at most ``PUMP_BYTES`` or ``PUMP_ITEMS`` from it, so a long
response never holds the reactor (and every other connection) for long. A large item
is sent in slices, so even a one-item response is paused while the client is slow.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator
from typing import IO, Any

from twisted.internet.interfaces import IDelayedCall, IPushProducer
from twisted.logger import Logger
from twisted.python.failure import Failure
from zope.interface import implementer

from ..engine import Exchange
from .failure_response import answer_app_failure
from .response_body import WRITE_SLICE_BYTES, known_length, slices
from .start_response import StartResponse, check_body_bytes

log = Logger()

WSGIApp = Callable[[dict[str, Any], Callable[..., Any]], Iterable[bytes]]

NO_START_RESPONSE = "the application returned without calling start_response()"
PUMP_BYTES = 256 * 1024
PUMP_ITEMS = 64
_END = object()


@implementer(IPushProducer)
class ReactorCall:
    """One call of a WSGI application, in the reactor thread."""

    def __init__(
        self, exchange: Exchange, environ: dict[str, Any], app: WSGIApp, *, debug: bool = False
    ) -> None:
        self._exchange = exchange
        self._debug = debug  # tracebacks in 500 pages
        self._environ = environ
        self._body: IO[bytes] = environ["wsgi.input"]  # the app may replace the key
        self._app = app
        self._start = StartResponse(self._send)
        self._result: Iterable[bytes] | None = None
        self._iterator: Iterator[bytes] | None = None
        self._slices: Iterator[bytes] | None = None  # the rest of a large item
        self._length: int | None = None  # known before sending: becomes Content-Length
        self._paused = False
        self._done = False
        self._closed = False
        self._scheduled: IDelayedCall | None = None

    def run(self) -> None:
        """Call the application and start sending what it returns."""
        try:
            result = self._app(self._environ, self._start)
            self._result = result
            self._iterator = iter(result)
        except Exception:
            self._fail()
            return
        self._length = length = known_length(result)
        kind = type(result)
        if (
            (kind is list or kind is tuple)
            and length is not None
            and length <= WRITE_SLICE_BYTES
            and not self._start.head_sent  # else the app's write() began the response
        ):
            self._send_small(result)  # type: ignore[arg-type]
            return
        # Until here all ran in this one call, which a client cannot leave in the
        # middle of; from here the response may take many reactor turns.
        self._exchange.on_disconnect(self._client_gone)
        self._exchange.registerProducer(self, True)
        self._pump()

    def _send_small(self, items: list[bytes] | tuple[bytes, ...]) -> None:
        """Send a small list of bytes whole: the head and the body in one write.

        The usual answer of a small app (``[body]``) needs no producer and no pump:
        a slice or a reactor turn cannot come before it is all written anyway. Only
        while nothing is sent: after the app's own ``write()`` the pump sends the rest.
        """
        try:
            body = items[0] if len(items) == 1 else b"".join(items)
            start = self._start
            if start.status is None:
                raise AssertionError(NO_START_RESPONSE)
            status, reason = start.status
            self._done = True
            self._close_result()
            self._exchange.respond(status, reason, start.headers, body)
            start.head_sent = True
        except Exception:
            self._fail()

    def _pump(self) -> None:
        self._scheduled = None
        iterator = self._iterator
        assert iterator is not None
        sent = items = 0
        try:
            while not self._paused and not self._done:
                if self._slices is not None:
                    chunk = next(self._slices, b"")
                    if not chunk:
                        self._slices = None
                        continue
                else:
                    item = next(iterator, _END)
                    if item is _END:
                        self._complete()
                        return
                    chunk = check_body_bytes(item, "the WSGI iterable")
                    items += 1
                    if len(chunk) > WRITE_SLICE_BYTES:
                        if not self._start.head_sent:
                            self._send_head(self._length)
                        self._exchange.check_body_size(len(chunk))  # whole, before a slice
                        self._slices = slices(chunk)
                        continue
                if chunk:
                    self._send(chunk)
                    sent += len(chunk)
                if sent >= PUMP_BYTES or items >= PUMP_ITEMS:
                    self._scheduled = self._exchange.clock.callLater(0, self._pump)
                    return
        except Exception:
            self._fail()

    def _send(self, chunk: bytes) -> None:
        if not self._start.head_sent:
            self._send_head(self._length)
        self._exchange.write(chunk)

    def _send_head(self, known_length: int | None) -> None:
        start = self._start
        if start.status is None:
            raise AssertionError(NO_START_RESPONSE)
        status, reason = start.status
        self._exchange.start_response(status, reason, start.headers, known_length=known_length)
        start.head_sent = True

    def _complete(self) -> None:
        if not self._start.head_sent:
            self._send_head(0)
        self._done = True
        self._exchange.unregisterProducer()
        self._close_result()
        self._exchange.finish()

    def _fail(self) -> None:
        """Log the application's exception once; answer 500 if nothing was sent yet."""
        self._done = True
        failure = Failure()
        log.failure(
            "WSGI application failed on {request}",
            failure=failure,
            request=self._exchange.request_line,
        )
        self._exchange.unregisterProducer()
        self._close_result()
        answer_app_failure(self._exchange, failure, debug=self._debug)

    def _close_result(self) -> None:
        """Call the iterable's close() exactly once, whatever happened before.

        The request body (a spooled temporary file) is released here too.
        """
        if self._closed:
            return
        self._closed = True
        # The start_response the app was given sends through this call, which holds it:
        # a reference cycle that only the garbage collector would free, with the
        # environ and the exchange in it. Bytes written after the end go straight to
        # the exchange, which refuses them (ResponseStateError).
        self._start.rebind(self._exchange.write)
        if self._scheduled is not None and self._scheduled.active():
            self._scheduled.cancel()
        self._body.close()
        close = getattr(self._result, "close", None)
        if close is not None:
            try:
                close()
            except Exception:
                log.failure(
                    "close() of the WSGI iterable failed on {request}",
                    request=self._exchange.request_line,
                )

    def _client_gone(self) -> None:
        if not self._done:
            log.info("client went away during {request}", request=self._exchange.request_line)
        self._done = True
        self._close_result()

    # IPushProducer: the exchange pauses us while the client is slow.

    def pauseProducing(self) -> None:
        self._paused = True

    def resumeProducing(self) -> None:
        self._paused = False
        if not self._done and self._scheduled is None:
            self._pump()

    def stopProducing(self) -> None:
        self._client_gone()
