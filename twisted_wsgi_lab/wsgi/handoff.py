"""Calls from the pool threads to the reactor, many per wake-up.

``callFromThread`` wakes the reactor once per call: a write to its waker (a system
call) and one more pass of its loop. Under load the pool's threads finish responses
faster than the reactor takes them, so ``ReactorHandoff`` queues the calls and asks
for one wake-up only when no drain is pending; that drain runs every call queued by
the time it gets there, in the order queued.
"""

from __future__ import annotations

from collections import deque
from collections.abc import Callable
from typing import Any

from twisted.logger import Logger

log = Logger()


class ReactorHandoff:
    """Run calls made in other threads in the reactor thread, in order, in batches.

    No lock: ``deque.append`` and ``popleft`` are atomic, and the drain clears
    ``_scheduled`` *before* it empties the queue. A thread that saw ``_scheduled``
    set appended before that, so its call is drained; one that saw it clear asks for
    another drain, which at worst finds nothing to do.
    """

    def __init__(self, reactor: Any) -> None:
        self._reactor = reactor
        self._calls: deque[tuple[Callable[..., object], tuple[Any, ...]]] = deque()
        self._scheduled = False

    def call(self, function: Callable[..., object], *args: Any) -> None:
        """Run ``function(*args)`` in the reactor thread soon (any thread may call)."""
        self._calls.append((function, args))
        if not self._scheduled:
            self._scheduled = True
            self._reactor.callFromThread(self._drain)

    def _drain(self) -> None:
        """In the reactor: run every queued call; one that raises is logged, not fatal."""
        self._scheduled = False
        calls = self._calls
        while calls:
            function, args = calls.popleft()
            try:
                function(*args)
            except Exception:
                log.failure("call from a pool thread failed")
