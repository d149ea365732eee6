"""The ordered pipeline: one exchange per request, answered strictly in request order.

Requests are parsed ahead of the response in flight (up to ``max_pipelined_requests``)
and wait here. Each is handed to the hosted code only once the one before it is
finished, by a loop: a handler that answers at once finishes inside ``handle()``, and
starting the next one from there would recurse once per queued request.
"""

from __future__ import annotations

from collections import deque
from collections.abc import Callable

from .exchange import Exchange


class Pipeline:
    """The exchanges of one connection: ``front`` is being answered, the rest wait."""

    __slots__ = ("_active", "_handed", "_queue", "_start", "_starting", "receiving")

    def __init__(self, start: Callable[[Exchange], None], active: Callable[[], bool]) -> None:
        self._queue: deque[Exchange] = deque()
        self._start = start  # hands one exchange to the hosted code
        self._active = active  # False once the connection stops answering
        self._handed: Exchange | None = None  # the front exchange already handed over
        self._starting = False  # the start loop is running further up the stack
        self.receiving: Exchange | None = None  # whose body the parser is reading

    def __len__(self) -> int:
        return len(self._queue)

    def __contains__(self, exchange: object) -> bool:
        return exchange in self._queue

    @property
    def front(self) -> Exchange | None:
        """The exchange being answered, if any."""
        return self._queue[0] if self._queue else None

    def append(self, exchange: Exchange) -> int:
        """Queue a newly parsed request behind the others; return how many are queued."""
        queue = self._queue
        queue.append(exchange)
        return len(queue)

    def remove(self, exchange: Exchange) -> None:
        """Drop a queued request that will not be answered (its body broke framing)."""
        self._queue.remove(exchange)

    def pop_finished(self, exchange: Exchange) -> bool:
        """Remove ``exchange`` if it is the front; False for any other exchange."""
        queue = self._queue
        if not queue or queue[0] is not exchange:
            return False
        queue.popleft()
        if self._handed is exchange:
            self._handed = None  # the finished exchange is not kept alive until the next
        return True

    def start_front(self) -> None:
        """Hand the front exchange, and each one that becomes front, to the hosted code.

        Re-entered from inside a handler (it finished at once), this returns at once:
        the loop further up the stack starts the next exchange, so the stack stays
        flat however many requests are queued.
        """
        if self._starting:
            return
        self._starting = True
        try:
            queue = self._queue
            while queue and queue[0] is not self._handed and self._active():
                exchange = queue[0]
                self._handed = exchange
                self._start(exchange)
        finally:
            self._starting = False

    def drain(self) -> list[Exchange]:
        """Empty the pipeline; return every exchange it held, the one receiving too."""
        exchanges = list(self._queue)
        receiving = self.receiving
        if receiving is not None and receiving not in exchanges:
            exchanges.append(receiving)
        self._queue.clear()
        self.receiving = None
        return exchanges
