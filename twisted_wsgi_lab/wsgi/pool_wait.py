"""Saying when requests wait for a free thread, as waitress warns about its task queue.

In thread mode a request waits in the pool's queue while every thread is busy. That
is invisible from outside (the client only sees a slow answer), so ``PoolWaitWatch``
stamps each call when it is queued and when a thread takes it, and logs one warning
per *episode*: when the oldest waiting request has waited ``warn_after_seconds``, or
more requests wait than the pool has threads. The episode ends when the queue is
empty; the next one is reported again, but never sooner than ``quiet_seconds`` after
the last warning, so a pool at the edge does not flood the log.
"""

from __future__ import annotations

import threading
from collections import deque
from collections.abc import Callable
from typing import Any

from twisted.internet.interfaces import IDelayedCall
from twisted.logger import Logger

log = Logger()

WARN_AFTER_SECONDS = 1.0
QUIET_SECONDS = 30.0


class PoolWaitWatch:
    """Queue calls into a thread pool, and warn once per episode of waiting for it.

    ``submit`` runs in the reactor thread; the wrapper it queues starts in a pool
    thread, so the queue of stamps is guarded by a lock. The check that notices a
    long wait is a timer in the reactor thread, armed only while calls are waiting.
    """

    def __init__(
        self,
        pool: Any,
        clock: Any,
        *,
        warn_after_seconds: float = WARN_AFTER_SECONDS,
        quiet_seconds: float = QUIET_SECONDS,
    ) -> None:
        self._pool = pool
        self._clock = clock
        self._threads = int(getattr(pool, "max", 0)) or None
        self._warn_after = warn_after_seconds
        self._quiet = quiet_seconds
        self._lock = threading.Lock()
        self._queued: deque[float] = deque()  # when each waiting call was queued, in order
        self._warned = False  # in this episode
        self._last_warning: float | None = None
        self._check_call: IDelayedCall | None = None

    @property
    def waiting(self) -> int:
        """Calls queued and not yet taken by a thread."""
        with self._lock:
            return len(self._queued)

    def submit(self, function: Callable[[], None]) -> None:
        """Queue ``function`` in the pool (reactor thread); stamp when it waits and starts."""
        now = self._clock.seconds()
        with self._lock:
            queued = self._queued
            queued.append(now)
            count, first = len(queued), queued[0]
        self._pool.callInThread(self._started, function)
        # Every request comes through here: look closer only when this call could warn
        # (crowded, or the oldest is due) or must arm the timer; else _evaluate is a no-op.
        threads = self._threads
        crowded = threads is not None and count > threads
        if crowded or self._check_call is None or now - first >= self._warn_after:
            self._evaluate()

    def _started(self, function: Callable[[], None]) -> None:
        """In a pool thread: the pool's queue is first in, first out, as is ours."""
        with self._lock:
            if self._queued:
                self._queued.popleft()
            if not self._queued:
                self._warned = False  # the episode is over
        function()

    def _check(self) -> None:
        """The timer: look again while calls wait."""
        self._check_call = None
        self._evaluate()

    def _evaluate(self) -> None:
        """In the reactor: warn if the episode calls for it; keep a timer while calls wait."""
        now = self._clock.seconds()
        with self._lock:
            count = len(self._queued)
            oldest = now - self._queued[0] if count else 0.0
            crowded = self._threads is not None and count > self._threads
            quiet = self._last_warning is not None and now - self._last_warning < self._quiet
            warn = bool(count) and (oldest >= self._warn_after or crowded)
            warn = warn and not self._warned and not quiet
            if warn:
                self._warned = True
                self._last_warning = now
        if warn:
            log.warn(
                "{count} requests waiting for a free thread (the oldest for {oldest:.1f} s);"
                " consider --threads (now {threads})",
                count=count,
                oldest=oldest,
                threads=self._threads,
            )
        if count and self._check_call is None:
            delay = max(self._warn_after - oldest, self._warn_after / 4)
            self._check_call = self._clock.callLater(delay, self._check)
