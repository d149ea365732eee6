"""Say when the reactor thread is blocked, and which request is blocking it.

A blocked reactor holds every client: nothing is accepted, read or written until it
returns. Nothing is added to the request path to find out. A ``LoopingCall`` in the
reactor stamps the time a few times per threshold; a daemon thread reads the stamp.
When the stamp is older than the threshold, the reactor thread's stack
(``sys._current_frames``) is walked for the request being served: a local ``self`` or
``exchange`` with a ``request_line`` (the engine's ``Exchange``), or with an
``_exchange`` that has one (the WSGI bridge's ``ReactorCall`` and ``ThreadCall``).

One warning per episode: the next one needs the reactor to beat again first.
"""

from __future__ import annotations

import sys
import threading
import time
from collections.abc import Callable
from types import FrameType

from twisted.internet.interfaces import IReactorTime
from twisted.internet.task import LoopingCall
from twisted.logger import Logger

log = Logger()

BEATS_PER_THRESHOLD = 4  # a stamp is at most a quarter threshold old on an idle reactor
_REQUEST_HOLDERS = ("self", "exchange")


class BlockedEpisodes:
    """Turn heartbeats and checks into "an episode began" and "it ended", once each.

    Times are plain seconds from one monotonic clock, so tests pass numbers. The
    reactor thread calls ``beat`` and the watching thread ``check``; a lock keeps an
    episode from being reported twice when a beat lands in the middle of a check.
    """

    def __init__(self, threshold_seconds: float, now: float) -> None:
        self.threshold_seconds = threshold_seconds
        self._last_beat = now
        self._reported_beat: float | None = None  # the stale stamp already reported
        self._lock = threading.Lock()

    def beat(self, now: float) -> None:
        """The reactor ran: record when."""
        with self._lock:
            self._last_beat = now

    def check(self, now: float) -> tuple[str, float] | None:
        """``("blocked", seconds)`` when an episode begins, ``("free", seconds)`` when
        the reactor beats again after one, else None."""
        with self._lock:
            last_beat, reported = self._last_beat, self._reported_beat
            if reported is not None and last_beat != reported:
                self._reported_beat = None
                return ("free", last_beat - reported)
            stale_for = now - last_beat
            if reported is None and stale_for > self.threshold_seconds:
                self._reported_beat = last_beat
                return ("blocked", stale_for)
            return None


def request_line_on_stack(frame: FrameType | None) -> str | None:
    """The request line of the innermost request found on a stack, else None."""
    while frame is not None:
        code = frame.f_code
        local_names = code.co_varnames + code.co_cellvars
        for name in _REQUEST_HOLDERS:
            if name in local_names:
                found = _request_line_of(frame.f_locals.get(name))
                if found is not None:
                    return found
        frame = frame.f_back
    return None


def _request_line_of(candidate: object) -> str | None:
    """``candidate.request_line``, or its ``_exchange``'s, read only from a class
    that declares it (no ``__getattr__`` magic runs in the watching thread)."""
    for holder in (candidate, getattr(candidate, "_exchange", None)):
        if holder is not None and hasattr(type(holder), "request_line"):
            line = getattr(holder, "request_line", None)
            if isinstance(line, str):
                return line
    return None


def where(frame: FrameType | None) -> str:
    """``file:line in function`` of the innermost frame, for the warning."""
    if frame is None:
        return "an unknown place"
    code = frame.f_code
    return f"{code.co_filename}:{frame.f_lineno} in {code.co_name}"


class Watchdog:
    """A heartbeat in the reactor and a thread that warns when it stops.

    ``hint`` ends the warning when a request is to blame (the service suggests
    ``--mode threads`` when the app runs in the reactor thread).
    """

    def __init__(
        self,
        threshold_seconds: float,
        *,
        clock: IReactorTime,
        hint: str = "",
        now: Callable[[], float] = time.monotonic,
    ) -> None:
        self.threshold_seconds = threshold_seconds
        self.hint = hint
        self._now = now
        self._episodes = BlockedEpisodes(threshold_seconds, now())
        self._heartbeat = LoopingCall(self._beat)
        self._heartbeat.clock = clock
        self._stopping = threading.Event()
        self._thread: threading.Thread | None = None
        self._reactor_thread = threading.get_ident()

    def start(self) -> None:
        """Beat now and then; call from the reactor thread once it is running."""
        self._heartbeat.start(self.threshold_seconds / BEATS_PER_THRESHOLD, now=True)
        self._thread = threading.Thread(target=self._watch, name="labweb-watchdog", daemon=True)
        self._thread.start()

    def stop(self) -> None:
        """Stop beating and watching; the thread ends within one check interval."""
        self._stopping.set()
        if self._heartbeat.running:
            self._heartbeat.stop()
        if self._thread is not None:
            self._thread.join(self.threshold_seconds)

    def _beat(self) -> None:
        self._reactor_thread = threading.get_ident()
        self._episodes.beat(self._now())

    def _watch(self) -> None:
        interval = self.threshold_seconds / BEATS_PER_THRESHOLD
        while not self._stopping.wait(interval):
            event = self._episodes.check(self._now())
            if event is None:
                continue
            kind, seconds = event
            if kind == "blocked":
                self._warn(seconds)
            else:
                log.info("reactor thread free again after {s:.2f} s", s=seconds)

    def _warn(self, seconds: float) -> None:
        """Name the request and the line holding the reactor; logged from this thread,
        since the reactor cannot log anything until it is free."""
        frame = sys._current_frames().get(self._reactor_thread)
        request = request_line_on_stack(frame)
        blamed = f" by {request}" if request else ""
        advice = f"; {self.hint}" if request and self.hint else ""
        log.warn(
            "reactor thread blocked for {s:.2f} s{blamed} (at {where}): every other "
            "client waits meanwhile{advice}",
            s=seconds,
            blamed=blamed,
            where=where(frame),
            advice=advice,
        )
