"""Putting a ``Response`` on the wire: at once, or streamed from a generator.

A streamed body is pulled from its (sync or async) generator only while the client
keeps reading: the sender is the exchange's push producer, so a slow client pauses
the generator and a 1 GiB generated response holds a few chunks in memory, not the
gigabyte. A client that goes away closes the generator (an async one at its current
``await``).
"""

from __future__ import annotations

import inspect
from collections.abc import AsyncIterator, Callable, Iterator
from typing import Any

from twisted.internet.defer import Deferred
from twisted.internet.interfaces import IDelayedCall, IPushProducer
from twisted.logger import Logger
from twisted.python.failure import Failure
from zope.interface import implementer

from ..engine import Exchange, answer_failure
from ..http11.writer import reason_phrase
from .response import Response, StreamingResponse
from .websocket import AcceptResponse

log = Logger()

# A synchronous generator gives up the reactor after this many items or bytes.
PUMP_ITEMS = 64
PUMP_BYTES = 256 * 1024


def send_response(
    exchange: Exchange,
    response: Response,
    on_early_failure: Callable[[Failure], None] | None = None,
) -> None:
    """Send ``response`` in full, or start streaming it.

    ``on_early_failure`` answers a stream that fails before its first byte left (the
    head is still held), so it can still get a proper error page.
    """
    if exchange.disconnected or exchange.finished:
        if isinstance(response, StreamingResponse):
            _close_quietly(response.stream)  # nobody will pull it: run its finally now
        return
    if isinstance(response, AcceptResponse):
        response.switch(exchange)  # 101: the connection now speaks WebSocket
        return
    status = response.status
    fields = response.headers.to_wire()
    if isinstance(response, StreamingResponse):
        exchange.start_response(status, reason_phrase(status), fields)
        StreamSender(exchange, response.stream, on_early_failure).start()
        return
    exchange.respond(status, reason_phrase(status), fields, response.body)


def _as_bytes(item: Any) -> bytes:
    if isinstance(item, bytes):
        return item
    if isinstance(item, str):
        return item.encode("utf-8")
    raise TypeError(f"a streamed response yielded a {type(item).__name__}, not bytes or str")


@implementer(IPushProducer)
class StreamSender:
    """Pull a generator into an exchange while the client reads."""

    def __init__(
        self,
        exchange: Exchange,
        stream: Any,
        on_early_failure: Callable[[Failure], None] | None = None,
    ) -> None:
        self._exchange = exchange
        self._on_early_failure = on_early_failure
        self._sync: Iterator[Any] | None = None if inspect.isasyncgen(stream) else iter(stream)
        self._async: AsyncIterator[Any] | None = stream if self._sync is None else None
        self._paused = False
        self._done = False
        self._scheduled: IDelayedCall | None = None
        self._pending: Deferred[Any] | None = None  # an async generator's next item

    def start(self) -> None:
        """Register for backpressure and send the first items."""
        self._exchange.registerProducer(self, True)
        self._exchange.on_disconnect(self.stopProducing)
        if self._exchange.head.method == b"HEAD":
            self._finish()  # no body is sent for HEAD: do not run the generator
            return
        self._pump()

    def _pump(self) -> None:
        self._scheduled = None
        if self._sync is not None:
            self._pump_sync(self._sync)
        else:
            self._pull_async()

    def _pump_sync(self, items: Iterator[Any]) -> None:
        sent = count = 0
        try:
            while not self._paused and not self._done:
                item = next(items, END)
                if item is END:
                    self._finish()
                    return
                data = _as_bytes(item)
                if data:
                    self._exchange.write(data)
                sent, count = sent + len(data), count + 1
                if sent >= PUMP_BYTES or count >= PUMP_ITEMS:
                    self._scheduled = self._exchange.clock.callLater(0, self._pump)
                    return
        except Exception:
            self._fail(Failure())

    def _pull_async(self) -> None:
        """Ask for the next item; items that are ready at once are taken in a loop.

        As for a sync generator, the loop gives up the reactor after ``PUMP_ITEMS``.
        """
        taken = 0
        while not self._paused and not self._done and self._pending is None:
            if taken >= PUMP_ITEMS:
                self._scheduled = self._exchange.clock.callLater(0, self._pump)
                return
            taken += 1
            pending = Deferred.fromCoroutine(next_item(self._async))  # type: ignore[arg-type]
            if not pending.called:  # the generator awaits something: continue when it comes
                self._pending = pending
                pending.addCallbacks(self._async_item_later, self._async_failed)
                return
            ready: list[Any] = []
            pending.addBoth(ready.append)  # taken here, so nothing is left unhandled
            if not self._take(ready[0]):
                return

    def _async_item_later(self, item: Any) -> None:
        self._pending = None
        if self._take(item):
            self._pull_async()

    def _async_failed(self, failure: Failure) -> None:
        self._pending = None
        if not self._done:  # a cancel (the client left) is expected and silent
            self._fail(failure)

    def _take(self, item: Any) -> bool:
        """Send one async item; False once the stream is over or failed."""
        if self._done:
            return False
        if isinstance(item, Failure):
            self._fail(item)
            return False
        if item is END:
            self._finish()
            return False
        try:
            data = _as_bytes(item)
        except TypeError:
            self._fail(Failure())
            return False
        if data:
            self._exchange.write(data)
        return True

    def _finish(self) -> None:
        self._done = True
        self._close_generator()
        self._exchange.unregisterProducer()
        self._exchange.finish()

    def _fail(self, failure: Failure) -> None:
        self._done = True
        self._close_generator()
        self._exchange.unregisterProducer()
        if self._on_early_failure is not None and not self._exchange.response_started:
            self._on_early_failure(failure)  # nothing left yet: a real error page
            return
        log.failure(
            "streamed response failed on {request}",
            failure=failure,
            request=self._exchange.request_line,
        )
        answer_failure(self._exchange)  # under way: the connection is cut

    def _close_generator(self) -> None:
        if self._scheduled is not None and self._scheduled.active():
            self._scheduled.cancel()
        self._scheduled = None
        if self._sync is not None:
            close = getattr(self._sync, "close", None)
            if close is not None:
                close()
        elif self._async is not None:
            pending, self._pending = self._pending, None
            if pending is not None:
                pending.cancel()  # CancelledError at the generator's current await
            aclose = getattr(self._async, "aclose", None)
            if aclose is not None:
                Deferred.fromCoroutine(aclose()).addErrback(lambda _: None)

    # IPushProducer: the exchange pauses us while the client is slow.

    def pauseProducing(self) -> None:
        self._paused = True

    def resumeProducing(self) -> None:
        self._paused = False
        if not self._done and self._scheduled is None and self._pending is None:
            self._pump()

    def stopProducing(self) -> None:
        """The client went away: stop and close the generator."""
        if not self._done:
            self._done = True
            self._close_generator()


END = object()  # what ``next_item`` gives at the end of a stream


def _close_quietly(stream: Any) -> None:
    """Close a generator that will never be pulled (its client left first)."""
    if inspect.isasyncgen(stream):
        Deferred.fromCoroutine(stream.aclose()).addErrback(lambda _: None)
    elif inspect.isgenerator(stream):
        stream.close()


async def next_item(stream: AsyncIterator[Any]) -> Any:
    """The next item of an async iterator, or ``END``."""
    try:
        return await stream.__anext__()
    except StopAsyncIteration:
        return END
